"""Does a checkpoint's prediction from pure noise follow a prompt's spatial relation? (models/README.md, "Why
relations are not learned".)

For "a red circle <relation> a blue square" with each relation, and with the objects named the other way round,
averages the predicted clean image x0 = x_t − t·v over noise draws at t = 1 (and 0.9, 0.8 as off-manifold probes)
and prints how much redder (R − B) its left half is than its right half, and its top half than its bottom half.
A mean that separates "left of" from "right of" (opposite signs) shows the relation in the average image; the
converse does not hold: a model may follow relations through which blob becomes which object, a choice that depends
on the noise and averages out (models/README.md shows one). Judge models by evaluation; use this to look inside.

Usage: .venv/bin/python ops/python/relation_probe.py CHECKPOINT [--draws 64] [--flowcps .build/release/flowcps]
"""
import argparse
import os
import re
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_unet import load, token_batch  # noqa: E402

PROMPTS = [
    "a red circle left of a blue square",
    "a red circle right of a blue square",
    "a red circle above a blue square",
    "a red circle below a blue square",
    "a blue square left of a red circle",
]


def tokens(flowcps, prompt):
    """Token ids as the Swift tokenizer writes them (`flowcps prompts parse`)."""
    out = subprocess.run([flowcps, "prompts", "parse", prompt], check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("tokens:"))
    return [int(x) for x in re.match(r"tokens:\s+([\d ]+?)\s+\(", line).group(1).split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--draws", type=int, default=64)
    ap.add_argument("--flowcps", default=".build/release/flowcps")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, cfg = load(a.checkpoint)
    ids = {p: tokens(a.flowcps, p) for p in PROMPTS}
    g = torch.Generator().manual_seed(0)
    print(f"{'t':>4}  {'prompt':36} {'left−right':>11} {'top−bottom':>11}")
    for t in [1.0, 0.9, 0.8]:
        noise = torch.randn(a.draws, cfg["imageSize"], cfg["imageSize"], 3, generator=g)
        for p in PROMPTS:
            tok, mask = token_batch([ids[p]] * a.draws, cfg["maxTokens"])
            with torch.no_grad():
                v = model(noise, torch.full((a.draws,), t), tok, mask)
            x0 = (noise - t * v).mean(0).numpy()
            red = x0[..., 0] - x0[..., 2]
            h = red.shape[0] // 2
            print(f"{t:4.1f}  {p:36} {red[:, :h].mean() - red[:, h:].mean():+11.3f} "
                  f"{red[:h, :].mean() - red[h:, :].mean():+11.3f}")


if __name__ == "__main__":
    main()
