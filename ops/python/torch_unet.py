"""The FlowCPS flow U-Net written in PyTorch, op for op, as the reference a user would pick instead.

Built from the same config (the `flowcps.config` JSON of a checkpoint) and the same parameter names as the Swift
graph (Sources/Model/Graph/UNetBuilder.swift); activations NCHW internally, inputs and outputs NHWC like Swift's.
Swift stores conv weights as (out, kh, kw, in); they are permuted to PyTorch's (out, in, kh, kw) on load.
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F


class TorchUNet(torch.nn.Module):
    def __init__(self, config, tensors):
        """config: dict as in ModelConfig; tensors: name -> numpy float32 array in Swift's layout."""
        super().__init__()
        self.c = config
        self.names = list(tensors.keys())
        self.p = torch.nn.ParameterDict()
        for name, value in tensors.items():
            t = torch.from_numpy(np.array(value, dtype=np.float32))
            if t.dim() == 4:
                t = t.permute(0, 3, 1, 2).contiguous()
            self.p[name.replace(".", "__")] = torch.nn.Parameter(t)

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def has(self, name):
        return name.replace(".", "__") in self.p

    def export(self):
        """Parameters back in Swift's layout (numpy)."""
        out = {}
        for key, t in self.p.items():
            a = t.detach()
            if a.dim() == 4:
                a = a.permute(0, 2, 3, 1)
            out[key.replace("__", ".")] = a.contiguous().numpy()
        return out

    # -- layers ---------------------------------------------------------------------------------------------
    def linear(self, name, x, bias=False):
        return F.linear(x, self.w(name + ".weight"), self.w(name + ".bias") if bias else None)

    def conv(self, name, x, stride=1):
        w = self.w(name + ".weight")
        return F.conv2d(x, w, self.w(name + ".bias"), stride=stride, padding=w.shape[-1] // 2)

    def gn(self, name, x):
        return F.group_norm(x, self.c["groups"], self.w(name + ".weight"), self.w(name + ".bias"), eps=1e-5)

    def ln(self, name, x):
        return F.layer_norm(x, (x.shape[-1],), self.w(name + ".weight"), self.w(name + ".bias"), eps=1e-5)

    @staticmethod
    def attend(q, k, v, heads, key_mask=None):
        b, nq, c = q.shape
        nk = k.shape[1]
        hd = c // heads
        q = q.view(b, nq, heads, hd).transpose(1, 2)
        k = k.view(b, nk, heads, hd).transpose(1, 2)
        v = v.view(b, nk, heads, hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(hd)
        if key_mask is not None:
            s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        o = torch.softmax(s, dim=-1) @ v
        return o.transpose(1, 2).reshape(b, nq, c)

    # -- blocks ---------------------------------------------------------------------------------------------
    def text(self, ids, mask):
        c = self.c
        h = self.w("text.token_embedding")[ids] + self.w("text.position_embedding")[None, :, :]
        for layer in range(c["textLayers"]):
            n = f"text.layer.{layer}"
            x = self.ln(n + ".norm1", h)
            a = self.attend(self.linear(n + ".attn.q", x), self.linear(n + ".attn.k", x), self.linear(n + ".attn.v", x),
                            c["textHeads"], mask)
            h = h + self.linear(n + ".attn.out", a, bias=True)
            x = self.ln(n + ".norm2", h)
            h = h + self.linear(n + ".mlp.fc2", F.gelu(self.linear(n + ".mlp.fc1", x, bias=True), approximate="tanh"), bias=True)
        return self.ln("text.norm_out", h)

    def condition(self, t, text, mask):
        c = self.c
        half = c["timeFeatures"] // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        a = 1000.0 * t[:, None] * f[None, :]
        temb = torch.cat([torch.cos(a), torch.sin(a)], dim=1)
        t2 = self.linear("cond.time.fc2", F.silu(self.linear("cond.time.fc1", temb, bias=True)), bias=True)
        m = mask.float()
        pooled = (text * m[:, :, None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1)
        return F.silu(t2 + self.linear("cond.text.fc", pooled, bias=True))

    def res_block(self, n, x, cond):
        h = self.conv(n + ".conv1", F.silu(self.gn(n + ".norm1", x)))
        cout = h.shape[1]
        mod = self.linear(n + ".film", cond, bias=True)
        scale, shift = mod[:, :cout], mod[:, cout:]
        f = self.gn(n + ".norm2", h) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        h = self.conv(n + ".conv2", F.silu(f))
        skip = self.conv(n + ".skip", x) if self.has(n + ".skip.weight") else x
        return skip + h

    def attention(self, n, x, text, mask, cross):
        b, c, hh, ww = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        y = self.ln(n + ".norm", tokens)
        q = self.linear(n + ".q", y)
        src = text if cross else y
        a = self.attend(q, self.linear(n + ".k", src), self.linear(n + ".v", src), self.c["attentionHeads"],
                        mask if cross else None)
        out = tokens + self.linear(n + ".out", a, bias=True)
        return out.reshape(b, hh, ww, c).permute(0, 3, 1, 2)

    def forward(self, x_nhwc, t, ids, mask):
        c = self.c
        text = self.text(ids, mask)
        cond = self.condition(t, text, mask)
        h = self.conv("unet.conv_in", x_nhwc.permute(0, 3, 1, 2))
        if c.get("imagePositionEmbedding", False):
            s, c0 = c["imageSize"], c["channels"][0]
            h = h + self.w("unet.position_embedding").reshape(s, s, c0).permute(2, 0, 1)[None]
        skips = []
        levels = len(c["channels"])
        for level in range(levels):
            for blk in range(c["blocksPerLevel"]):
                n = f"unet.down.{level}.{blk}"
                h = self.res_block(n, h, cond)
                if level in c["crossAttentionLevels"]:
                    h = self.attention(n + ".cross", h, text, mask, True)
                skips.append(h)
            if level < levels - 1:
                h = self.conv(f"unet.down.{level}.downsample", h, stride=2)
        h = self.res_block("unet.mid.0", h, cond)
        if c["middleAttention"]:
            h = self.attention("unet.mid.self", h, text, mask, False)
            h = self.attention("unet.mid.cross", h, text, mask, True)
        h = self.res_block("unet.mid.1", h, cond)
        for level in reversed(range(levels)):
            for blk in range(c["blocksPerLevel"]):
                n = f"unet.up.{level}.{blk}"
                h = torch.cat([h, skips.pop()], dim=1)
                h = self.res_block(n, h, cond)
                if level in c["crossAttentionLevels"]:
                    h = self.attention(n + ".cross", h, text, mask, True)
            if level > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv("unet.conv_out", F.silu(self.gn("unet.norm_out", h)))
        return h.permute(0, 2, 3, 1)


def token_batch(token_lists, max_tokens):
    """ids (B, L) and mask (B, L) as Swift pads them (an empty prompt is the single pad token 0)."""
    ids = np.zeros((len(token_lists), max_tokens), dtype=np.int64)
    mask = np.zeros((len(token_lists), max_tokens), dtype=bool)
    for b, toks in enumerate(token_lists):
        toks = toks if toks else [0]
        ids[b, : len(toks)] = toks
        mask[b, : len(toks)] = True
    return torch.from_numpy(ids), torch.from_numpy(mask)


def load(path):
    """(TorchUNet, config) from a FlowCPS safetensors checkpoint."""
    from safetensors.numpy import load_file
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    tensors = load_file(path)
    config = json.loads(meta["flowcps.config"])
    return TorchUNet(config, tensors), config
