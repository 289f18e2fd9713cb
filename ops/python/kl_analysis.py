"""Per-step curves of the KL experiment (docs/RESULTS.md, issue 33) from `flowcps run export` folders.

For each run and RL step: the learned `align` reward the run trained on (mean over its rollouts), the exact
detector's verdict on the same rollout images (`flowcps score --reward geneval=1,noise=0`: strict accuracy and the
GenEval partial score), their residual background noise (the `noise` metric, docs/rewards.md), and sample
diversity (mean pixel RMS distance between the samples of one group, in [0, 1], averaged over groups). Writes
`curves-<run>.csv` per run into --out and prints a table of the first and last steps and of the evaluations.

    python ops/python/kl_analysis.py --flowcps .build/release/flowcps --out docs/results/align-kl runs/kl-b0/export runs/kl-b004/export
"""
import argparse
import csv
import itertools
import json
import os
import subprocess
from collections import defaultdict

import numpy as np
from PIL import Image


def rollout_rows(export: str):
    with open(os.path.join(export, "samples.csv")) as f:
        return list(csv.DictReader(f))


def score(flowcps: str, prompt: str, files):
    out = subprocess.run([flowcps, "score", "--reward", "geneval=1,noise=0", "--prompt", prompt, "--json", *files],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def diversity(images) -> float:
    pairs = [np.sqrt(np.mean((a - b) ** 2)) for a, b in itertools.combinations(images, 2)]
    return float(np.mean(pairs)) if pairs else 0.0


def analyse(flowcps: str, export: str):
    by_step = defaultdict(lambda: defaultdict(list))  # step -> (prompt_index, prompt) -> rows
    rows = rollout_rows(export)
    unscored = {int(r["step"]) for r in rows if r["reward"] == ""}  # a step still being scored
    for r in rows:
        if int(r["step"]) not in unscored:
            by_step[int(r["step"])][(int(r["prompt_index"]), r["prompt"])].append(r)
    curves = []
    for step in sorted(by_step):
        align, strict, partial, noise, div = [], [], [], [], []
        for (p, prompt), rows in sorted(by_step[step].items()):
            files = [os.path.join(export, "samples", f"step-{step}", f"{p}-{r['sample_index']}.png") for r in rows]
            for r in rows:
                align.append(float(r["reward"]))
            for s in score(flowcps, prompt, files):
                strict.append(s["rewards"]["geneval"]["strict"])
                partial.append(s["rewards"]["geneval"]["value"])
                noise.append(s["rewards"]["noise"]["value"])
            div.append(diversity([np.asarray(Image.open(f).convert("RGB"), dtype=np.float64) / 255 for f in files]))
        curves.append({"step": step, "align": np.mean(align), "geneval_strict": np.mean(strict),
                       "geneval_score": np.mean(partial), "noise": np.mean(noise), "diversity": np.mean(div),
                       "samples": len(align)})
    return curves


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowcps", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("exports", nargs="+", help="run export folders (flowcps run export NAME)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    keys = ["align", "geneval_strict", "geneval_score", "noise", "diversity"]
    print("| run | steps | " + " | ".join(f"{k} first 5 → last 5" for k in keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for export in a.exports:
        run = os.path.basename(os.path.dirname(os.path.normpath(export)))
        curves = analyse(a.flowcps, export)
        with open(os.path.join(a.out, f"curves-{run}.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["step", *keys, "samples"])
            w.writeheader()
            for c in curves:
                w.writerow({k: (f"{v:.5f}" if isinstance(v, float) else v) for k, v in c.items()})
        head, tail = curves[:5], curves[-5:]
        cells = [f"{np.mean([c[k] for c in head]):.3f} → {np.mean([c[k] for c in tail]):.3f}" for k in keys]
        print(f"| {run} | {len(curves)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
