"""Paired strict-accuracy change between two evaluations of run folders (`flowcps rl` writes eval.csv).

Usage: paired_eval.py A_DIR A_STEP B_DIR B_STEP
Pairs images by (eval line, sample) — every run of one eval file and eval seed draws the same noise — and prints
B − A overall and per category with its standard error clustered by eval line (as `flowcps run compare` does for
pipeline runs).
"""
import csv
import math
import sys
from collections import defaultdict


def load(folder: str, step: int) -> dict:
    with open(f"{folder}/eval.csv") as f:
        return {(int(r["line"]), int(r["sample"])): (r["category"], float(r["strict"]))
                for r in csv.DictReader(f) if int(r["step"]) == step}


def main() -> None:
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    a, b = load(sys.argv[1], int(sys.argv[2])), load(sys.argv[3], int(sys.argv[4]))
    keys = sorted(set(a) & set(b))
    if not keys:
        raise SystemExit("the two evaluations share no (line, sample) images")
    groups = defaultdict(lambda: defaultdict(list))
    for k in keys:
        cat = a[k][0]
        for name in (cat, "overall"):
            groups[name][k[0]].append(b[k][1] - a[k][1])
    print(f"{'category':<14} {'images':>6} {'A':>6} {'B':>6} {'B − A':>7} {'se':>6}")
    for name in sorted(groups, key=lambda c: (c == "overall", c)):
        lines = groups[name]
        n = sum(len(v) for v in lines.values())
        diff = sum(sum(v) for v in lines.values()) / n
        # Clustered by line: the variance of line totals around their expected share of the mean difference.
        m = len(lines)
        var = sum((sum(v) - len(v) * diff) ** 2 for v in lines.values()) * m / max(m - 1, 1) / n ** 2
        ka = [k for k in keys if (a[k][0] == name or name == "overall")]
        mean_a = sum(a[k][1] for k in ka) / len(ka)
        mean_b = sum(b[k][1] for k in ka) / len(ka)
        print(f"{name:<14} {n:>6} {mean_a:6.3f} {mean_b:6.3f} {diff:+7.3f} {math.sqrt(var):6.3f}")


if __name__ == "__main__":
    main()
