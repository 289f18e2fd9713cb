"""Writes the golden fixture of ModelTests/GoldenTests.swift from the PyTorch reference (ops/python/torch_unet.py).

    .build/release/flowcps model init --config tiny --out /tmp/tiny.safetensors
    .venv/bin/python Tests/ModelTests/Fixtures/make_golden.py /tmp/tiny.safetensors Tests/ModelTests/Fixtures/golden-tiny.safetensors
    .build/release/flowcps model init --config tiny-v2 --out /tmp/tiny-v2.safetensors
    .venv/bin/python Tests/ModelTests/Fixtures/make_golden.py /tmp/tiny-v2.safetensors Tests/ModelTests/Fixtures/golden-tiny-v2.safetensors

The Swift checkpoint only supplies the config and the parameter names and shapes; every weight is redrawn here
(seeded) so that the zero-initialised branches are exercised. The fixture holds the weights (Swift layout), the
batch, the velocity at step 0 and the flow-matching losses before each of 10 AdamW steps and after the last.
Metadata: flowcps.golden = "1" (bump when the format changes).
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "ops", "python"))
from torch_unet import TorchUNet, token_batch  # noqa: E402

template, out = sys.argv[1], sys.argv[2]
with safe_open(template, framework="numpy") as f:
    meta = f.metadata()
config = json.loads(meta["flowcps.config"])
rng = np.random.default_rng(20261121)
weights = {k: (rng.standard_normal(v.shape) * 0.3).astype(np.float32) for k, v in load_file(template).items()}

torch.manual_seed(0)
model = TorchUNet(config, weights)
s, ch = config["imageSize"], config["imageChannels"]
batch = 3
x0 = rng.uniform(-1, 1, (batch, s, s, ch)).astype(np.float32)
noise = rng.standard_normal((batch, s, s, ch)).astype(np.float32)
t = np.array([0.15, 0.5, 0.95], dtype=np.float32)
tokens = [[1, 4, 2], [], [3, 3, 5, 7]]
ids, mask = token_batch(tokens, config["maxTokens"])
tokens_tensor = np.full((batch, config["maxTokens"]), -1, dtype=np.float32)
for b, toks in enumerate(tokens):
    tokens_tensor[b, : len(toks)] = toks

tt = torch.from_numpy(t)[:, None, None, None]
xt = (1 - tt) * torch.from_numpy(x0) + tt * torch.from_numpy(noise)
target = torch.from_numpy(noise) - torch.from_numpy(x0)
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
losses = []
velocity = None
for step in range(11):
    v = model(xt, torch.from_numpy(t), ids, mask)
    loss = ((v - target) ** 2).mean()
    if velocity is None:
        velocity = v.detach().numpy().copy()
    losses.append(loss.item())
    if step == 10:
        break
    opt.zero_grad()
    loss.backward()
    opt.step()

fixture = {k: np.ascontiguousarray(v) for k, v in weights.items()}
fixture.update({
    "input.x0": x0, "input.noise": noise, "input.t": t, "input.tokens": tokens_tensor,
    "expected.velocity": velocity.astype(np.float32), "expected.losses": np.array(losses, dtype=np.float32),
})
save_file(fixture, out, metadata={"flowcps.golden": "1", "flowcps.config": meta["flowcps.config"],
                                   "flowcps.optimizer": "AdamW lr=1e-3 betas=(0.9,0.999) eps=1e-8 wd=0.01"})
print("losses", [round(l, 6) for l in losses])
