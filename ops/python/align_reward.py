"""Train the learned `align` reward (ops/python/align_model.py) on ground-truth renderings with hard negatives.

Data comes from `flowcps dataset` (index.tsv + PNGs): the train set renders the train prompt files, the eval set the
held-out eval prompt files, so the held-out accuracy is on prompts the model never saw. Each image is contrasted
with its own prompt, K hard negatives of it (one colour, count, shape, relation, binding or text character
changed) and the other prompts of the batch. Deterministic for a seed and thread count.

  flowcps dataset --prompts TRAIN.txt --samples 24 --seed 1 --out data/train
  flowcps dataset --prompts EVAL.txt --samples 4 --seed 2 --out data/eval
  .venv/bin/python ops/python/align_reward.py --train data/train --eval data/eval --out models/align-reward.safetensors
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from align_model import AlignModel, batch_tokens, hard_negatives, images_from_png, metadata  # noqa: E402


def load_set(folder: str):
    with open(os.path.join(folder, "index.tsv")) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    pngs = []
    for r in rows:
        with open(os.path.join(folder, r["file"]), "rb") as f:
            pngs.append(f.read())
    images = torch.cat([images_from_png(pngs[i:i + 512]) for i in range(0, len(pngs), 512)])
    return images, [r["prompt"] for r in rows], [r["category"] for r in rows]


@torch.no_grad()
def evaluate(model, images, prompts, categories, k: int = 8, seed: int = 12345):
    """Share of (image, hard negative) pairs where the right prompt scores higher, per category and overall."""
    model.eval()
    rng = np.random.default_rng(seed)
    wins = collections.defaultdict(list)
    for start in range(0, len(prompts), 256):
        idx = range(start, min(start + 256, len(prompts)))
        img = model.encode_images(images[list(idx)])
        for j, i in enumerate(idx):
            negs = hard_negatives(prompts[i], rng, k)
            t = model.encode_text(batch_tokens([prompts[i]] + negs))
            s = t @ img[j]
            wins[categories[i]] += (s[0] > s[1:]).tolist()
    out = {c: float(np.mean(v)) for c, v in sorted(wins.items())}
    out["overall (pairs)"] = float(np.mean([x for v in wins.values() for x in v]))
    model.train()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--eval", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--negatives", type=int, default=6)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    images, prompts, categories = load_set(a.train)
    eval_images, eval_prompts, eval_categories = load_set(a.eval)
    print(f"loaded {len(prompts)} train and {len(eval_prompts)} eval images in {time.time() - t0:.0f} s", flush=True)
    # Balance the families: GenEval scenes are drawn as often as text scenes.
    text = [i for i, c in enumerate(categories) if c == "text"]
    scenes = [i for i, c in enumerate(categories) if c != "text"]
    per_epoch = 2 * max(len(scenes), min(len(text), 4 * len(scenes)))
    model = AlignModel()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01)
    steps = a.epochs * (per_epoch // a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.05)
    step = 0
    for epoch in range(a.epochs):
        order = np.concatenate([rng.choice(scenes, per_epoch // 2), rng.choice(text, per_epoch // 2)])
        rng.shuffle(order)
        losses = []
        for b in range(per_epoch // a.batch):
            idx = order[b * a.batch:(b + 1) * a.batch]
            texts = [prompts[i] for i in idx]
            negs = [hard_negatives(prompts[i], rng, a.negatives) for i in idx]
            # Prompts with few possible changes ("a square") are padded with other train prompts.
            negs = [n + [x for x in (prompts[j] for j in rng.integers(len(prompts), size=4 * a.negatives))
                         if x != texts[i]][:a.negatives - len(n)] for i, n in enumerate(negs)]
            img = model.encode_images(images[idx])
            pos = model.encode_text(batch_tokens(texts))
            neg = model.encode_text(batch_tokens([x for n in negs for x in n])).view(len(idx), a.negatives, -1)
            scale = model.log_temperature.exp()
            in_batch = scale * img @ pos.T                                  # image i against every batch prompt
            hard = scale * torch.einsum("bd,bkd->bk", img, neg)              # and against its own hard negatives
            same = torch.tensor([[texts[i] == texts[j] and i != j for j in range(len(idx))] for i in range(len(idx))])
            in_batch = in_batch.masked_fill(same, -1e4)                     # duplicates of the prompt are not negatives
            logits = torch.cat([in_batch, hard], dim=1)
            loss = F.cross_entropy(logits, torch.arange(len(idx)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
        acc = evaluate(model, eval_images, eval_prompts, eval_categories)
        print(f"epoch {epoch + 1}/{a.epochs} loss {np.mean(losses):.4f} held-out pair accuracy "
              f"{acc['overall (pairs)']:.4f} ({time.time() - t0:.0f} s)", flush=True)
    acc = evaluate(model, eval_images, eval_prompts, eval_categories)
    from safetensors.torch import save_file
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, a.out, metadata=metadata())
    # Cost per image as the reward worker scores it: one image and prompt at a time, one thread.
    torch.set_num_threads(1)
    model.eval()
    n = 256
    with torch.no_grad():
        t = time.time()
        for i in range(n):
            (model.encode_images(eval_images[i:i + 1]) * model.encode_text(batch_tokens([eval_prompts[i]]))).sum()
        per_image = (time.time() - t) / n
    report = {"held_out_pair_accuracy": acc, "seconds_per_image_one_thread": per_image,
              "bytes": os.path.getsize(a.out), "train_images": len(prompts), "eval_images": len(eval_prompts),
              "epochs": a.epochs, "seed": a.seed, "wall_seconds": time.time() - t0,
              "parameters": sum(p.numel() for p in model.parameters())}
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
