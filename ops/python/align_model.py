"""The learned `align` reward: a small image-text dual encoder for the shapes world, and its scorer for the Python
reward worker (clients/python). Trained by ops/python/align_reward.py; weights in models/align-reward.safetensors.

Image: four 3x3 convolutions (32 px -> 4 px), flattened so where things are survives, then a linear map.
Text: word and character tokens of the prompt (the vocabulary of docs/world.md) with position embeddings, two
transformer layers, the mean of the tokens. Score: the cosine of the two embeddings (in [-1, 1]); training sharpens
it by a learned temperature against hard negatives (a wrong colour, count, shape, relation, binding or text).
"""

from __future__ import annotations

import io
import json
import re
from typing import List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

COLORS = ["red", "green", "blue", "yellow", "purple", "cyan"]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
SHAPES = ["circle", "square", "triangle"]
CHARS = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
WORDS = ["a", "and", "the", "text", "left", "right", "of", "above", "below"]
VOCAB = ["<pad>", '"'] + WORDS + NUMBERS + [w for s in SHAPES for w in (s, s + "s")] + COLORS + CHARS
IDS = {t: i for i, t in enumerate(VOCAB)}
MAX_TOKENS = 16


def tokenize(prompt: str) -> List[int]:
    """Word tokens outside quotes, one token per character inside them (as FlowCPS's own tokenizer)."""
    out: List[int] = []
    for i, part in enumerate(prompt.split('"')):
        if i % 2 == 1:
            out += [IDS['"']] + [IDS[c] for c in part] + [IDS['"']]
        else:
            out += [IDS[w] for w in part.split()]
    if len(out) > MAX_TOKENS:
        raise ValueError(f"prompt too long for the align model: {prompt!r}")
    return out


def batch_tokens(prompts: Sequence[str]) -> torch.Tensor:
    ids = torch.zeros(len(prompts), MAX_TOKENS, dtype=torch.long)
    for i, p in enumerate(prompts):
        t = tokenize(p)
        ids[i, :len(t)] = torch.tensor(t)
    return ids


class AlignModel(nn.Module):
    def __init__(self, width: int = 128, embed: int = 128):
        super().__init__()
        c = [3, 32, 64, 96, 128]
        self.convs = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], 3, stride=1 if i == 0 else 2, padding=1) for i in range(4))
        self.image_out = nn.Linear(128 * 4 * 4, embed)
        self.tokens = nn.Embedding(len(VOCAB), width)
        self.positions = nn.Parameter(torch.randn(MAX_TOKENS, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, 4, 4 * width, dropout=0.0, batch_first=True, norm_first=True)
        self.text = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.text_out = nn.Linear(width, embed)
        self.log_temperature = nn.Parameter(torch.tensor(2.5))

    def encode_images(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, 32, 32) in [-1, 1]."""
        for conv in self.convs:
            x = F.gelu(conv(x))
        return F.normalize(self.image_out(x.flatten(1)), dim=-1)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        pad = ids == 0
        h = self.text(self.tokens(ids) + self.positions, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return F.normalize(self.text_out((h * keep).sum(1) / keep.sum(1)), dim=-1)


def images_from_png(pngs: Sequence[bytes]) -> torch.Tensor:
    from PIL import Image
    arrays = [np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), dtype=np.float32) for p in pngs]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2) / 127.5 - 1


def load(path: str) -> AlignModel:
    from safetensors.torch import load_file
    model = AlignModel()
    model.load_state_dict(load_file(path))
    return model.eval()


def scorer(path: str = "models/align-reward.safetensors"):
    """The reward worker's scoring function: cosine(image, prompt) per sample, one job (shard) at a time."""
    torch.set_num_threads(1)
    model = load(path)

    @torch.no_grad()
    def score(pngs: List[bytes], prompts: List[str]) -> List[float]:
        # One image at a time: the same image gets the same score whatever else is in the job.
        out = []
        for png, prompt in zip(pngs, prompts):
            out.append(float((model.encode_images(images_from_png([png])) * model.encode_text(batch_tokens([prompt]))).sum()))
        return out

    return score


# Hard negatives: the prompt with one thing changed that a correct image must contradict.

def hard_negatives(prompt: str, rng: np.random.Generator, k: int) -> List[str]:
    out: List[str] = []
    for _ in range(8 * k):
        n = mutate(prompt, rng)
        if n and n != prompt and n not in out:
            out.append(n)
        if len(out) == k:
            break
    return out


def mutate(prompt: str, rng: np.random.Generator) -> str:
    m = re.fullmatch(r'the text "([0-9A-Z]+)"', prompt)
    if m:
        s = list(m.group(1))
        if len(s) >= 2 and rng.random() < 0.3:
            i = int(rng.integers(len(s) - 1))
            if s[i] != s[i + 1]:
                s[i], s[i + 1] = s[i + 1], s[i]
                return f'the text "{"".join(s)}"'
        i = int(rng.integers(len(s)))
        s[i] = str(rng.choice([c for c in CHARS if c != s[i]]))
        return f'the text "{"".join(s)}"'
    words = prompt.split()
    kinds = []
    if any(w in COLORS for w in words):
        kinds.append("color")
    if any(w in NUMBERS for w in words):
        kinds.append("count")
    if any(w.rstrip("s") in SHAPES for w in words):
        kinds.append("shape")
    rel = re.fullmatch(r"(.+) (left of|right of|above|below) (.+)", prompt)
    pair = re.fullmatch(r"(.+) and (.+)", prompt)
    if rel:
        kinds += ["relation", "relation", "swap"]
    if pair and sum(w in COLORS for w in words) == 2:
        kinds += ["binding", "binding"]
    kind = str(rng.choice(kinds))
    if kind == "relation":
        other = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
        return f"{rel.group(1)} {other[rel.group(2)]} {rel.group(3)}"
    if kind == "swap":
        return f"{rel.group(3)} {rel.group(2)} {rel.group(1)}"
    if kind == "binding":
        ci = [i for i, w in enumerate(words) if w in COLORS]
        words[ci[0]], words[ci[1]] = words[ci[1]], words[ci[0]]
        return " ".join(words)
    if kind == "color":
        i = int(rng.choice([i for i, w in enumerate(words) if w in COLORS]))
        words[i] = str(rng.choice([c for c in COLORS if c != words[i]]))
        return " ".join(words)
    if kind == "count":
        i = next(i for i, w in enumerate(words) if w in NUMBERS)
        n = NUMBERS.index(words[i]) + 1
        choices = [v for v in (n - 1, n + 1, n + 2) if 2 <= v <= 5]
        words[i] = NUMBERS[int(rng.choice(choices)) - 1]
        return " ".join(words)
    i = int(rng.choice([i for i, w in enumerate(words) if w.rstrip("s") in SHAPES]))
    plural = words[i].endswith("s")
    base = words[i].rstrip("s")
    new = str(rng.choice([s for s in SHAPES if s != base]))
    words[i] = new + ("s" if plural else "")
    return " ".join(words)


def metadata() -> dict:
    return {"vocab": json.dumps(VOCAB), "max_tokens": str(MAX_TOKENS)}
