#!/usr/bin/env python3
"""Markdown tables for docs/RESULTS.md from the files ops/bench/reproduce writes (standard library only).

Usage: results_tables.py figure2|figure1|convergence|tuning FOLDER
"""
import csv
import glob
import json
import math
import os
import statistics
import sys

CATEGORIES = ["single_object", "two_object", "counting", "colors", "position", "color_attr"]
# Stated targets of the convergence table: the rollout reward's 9-step mean this far above the run's own steps 0-9,
# and the eval (overall strict accuracy, or mean score for ocr) this far above the base model's.
REWARD_GAIN = 0.05
EVAL_GAIN = 0.05


def fmt(v, digits=3):
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def label(o):
    names = {"flow-sde": "Flow-SDE a", "dance-sde": "Dance-SDE η", "cps": "CPS η"}
    return f"{names.get(o['sampler'], o['sampler'])}={o['noise']:g}"


def figure2(folder):
    for name, title in [("noise-level-16", "16 steps, shift 1 (linspace)"), ("noise-level-10", "10 steps, shift 1 (linspace)"),
                        ("noise-level-10-sd3", "10 steps, shift 3 (sd3 grid: the training setting)")]:
        with open(os.path.join(folder, name + ".json")) as f:
            series = json.load(f)
        print(f"**{title}** — noise level the last two steps leave (ideal: σ of the grid, 0 at the end), the "
              f"accumulated error √Σ(N²−σ²), and the largest gap between the closed form and the Monte Carlo "
              f"measurement through the sampler's step ({len(series[0].get('measured', []))} steps)\n")
        print("| sampler | step N−1 (ideal " + fmt(series[0]["ideal"][-2], 4) + ") | last step (ideal 0) | accumulated error "
              "| measured: last step | max \\|measured − theory\\| / theory |")
        print("|---|---|---|---|---|---|")
        for o in series:
            gaps = [abs(m - t) / t for m, t in zip(o.get("measured", []), o["per_step"]) if t > 0]
            print(f"| {label(o)} | {fmt(o['per_step'][-2], 4)} | {fmt(o['per_step'][-1], 4)} | {fmt(o['accumulated_error'], 4)} "
                  f"| {fmt(o['measured'][-1] if 'measured' in o else None, 4)} | {fmt(100 * max(gaps), 2) + ' %' if gaps else '–'} |")
        print()


def figure1(folder):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path) as f:
            o = json.load(f)
        sampler, _, noise = name.rpartition("-")
        if name.startswith("ode-"):
            sampler, noise = f"ODE, {name[4:]} steps", ""
        else:
            sampler = {"flow-sde": "Flow-SDE a", "cps": "CPS η"}[sampler]
        rows.append((0 if name.startswith("ode") else 1, name, sampler, noise, o))
    rows.sort(key=lambda r: (r[0], r[2], r[3]))
    print("| sampler | noise | residual noise | GenEval strict | accuracy | " + " | ".join(CATEGORIES) + " | grid |")
    print("|---|---|---|---|---|" + "---|" * len(CATEGORIES) + "---|")
    for _, name, sampler, noise, o in rows:
        cats = o["categories"]
        print(f"| {sampler} | {noise} | {fmt(o['noise'], 4)} | {fmt(o['overall_strict'])} | {fmt(o['overall_accuracy'])} | "
              + " | ".join(fmt(cats.get(c, {}).get("strict")) for c in CATEGORIES) + f" | [png]({name}.png) |")


# Column names of curves.csv before the metric vocabulary (docs/pipeline.md, "Metrics"): the committed exports under
# docs/results were written with them.
OLD_CURVE_NAMES = {"reward.mean": "reward_mean", "seconds.step": "step_seconds", "eval.score": "eval_score",
                   "eval.strict": "eval_strict", "eval.noise": "eval_noise"}


def read_curves(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    def col(name):
        old = OLD_CURVE_NAMES.get(name) or ("eval_strict_" + name[12:] if name.startswith("eval.strict.") else name)
        key = name if rows and name in rows[0] else old
        return [(int(r["step"]), float(r[key])) for r in rows if r.get(key, "") != ""]
    return col


def first_reaching(points, target):
    for step, v in points:
        if v >= target - 1e-12:
            return step
    return None


def moving_mean(points, window=9):
    half = window // 2
    out = []
    for i, (s, _) in enumerate(points):
        lo, hi = max(0, i - half), min(len(points), i + half + 1)
        out.append((s, sum(v for _, v in points[lo:hi]) / (hi - lo)))
    return out


def largest_drop(points):
    """The largest fall of a curve below its own running best: how far a run went back after a gain."""
    best, drop = -math.inf, 0.0
    for _, v in points:
        best = max(best, v)
        drop = max(drop, best - v)
    return drop


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def convergence(folder):
    runs = sorted(d for d in os.listdir(folder) if os.path.isfile(os.path.join(folder, d, "curves.csv")))
    if not runs:
        print("(no exported runs yet)")
        return
    print(f"Targets: rollout reward (9-step mean) ≥ the run's mean over steps 0–9 + {REWARD_GAIN}; eval ≥ the base "
          f"model's (step 0) + {EVAL_GAIN} (strict accuracy for geneval, mean score for ocr). Wall time: the sum of "
          "the steps up to that step at the run's median seconds per step (robust to a step that spans an interrupted "
          "session); total wall: the sum of all steps' seconds, as measured.\n")
    print("Stability: the largest fall of the 9-step mean rollout reward below its running best (reward drop), and "
          "of the eval below its best eval so far (eval drop).\n")
    print("| run | steps | reward 0–9 → last 10 | reward target at step (wall s) | reward drop | eval metric "
          "| eval at 0 → best (step) → last | eval target at step (wall s) | eval drop | eval image noise (last) "
          "| s per step (median) | total wall |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    finals, groups = {}, {}
    for run in runs:
        col = read_curves(os.path.join(folder, run, "curves.csv"))
        reward, seconds = col("reward.mean"), dict(col("seconds.step"))
        metric = "eval.score" if run.startswith("ocr") else "eval.strict"
        ev = col(metric)
        median = statistics.median(seconds.values()) if seconds else None
        def wall(step):
            return None if step is None or median is None else (step + 1) * median
        first10 = sum(v for _, v in reward[:10]) / max(1, len(reward[:10]))
        last10 = sum(v for _, v in reward[-10:]) / max(1, len(reward[-10:]))
        r_step = first_reaching(moving_mean(reward), first10 + REWARD_GAIN)
        e_step = first_reaching(ev[1:], ev[0][1] + EVAL_GAIN) if ev else None
        best = max(ev, key=lambda p: p[1]) if ev else None
        noise = col("eval.noise")
        r_drop, e_drop = largest_drop(moving_mean(reward)), largest_drop(ev) if ev else None
        print(f"| {run} | {reward[-1][0] + 1 if reward else 0} | {fmt(first10)} → {fmt(last10)} | "
              f"{r_step if r_step is not None else 'not reached'} ({fmt(wall(r_step), 0)}) | {fmt(r_drop)} | "
              f"{metric[5:]} | {fmt(ev[0][1]) if ev else '–'} → {fmt(best[1]) if best else '–'} "
              f"({best[0] if best else '–'}) → {fmt(ev[-1][1]) if ev else '–'} | "
              f"{e_step if e_step is not None else 'not reached'} ({fmt(wall(e_step), 0)}) | {fmt(e_drop)} | "
              f"{fmt(noise[-1][1] if noise else None, 4)} | {fmt(median, 1)} | {fmt(sum(seconds.values()), 0)} s |")
        # Seeds of one configuration (run names end in -s<seed>) are summarised together below.
        config = run.rsplit("-s", 1)[0] if run.rsplit("-s", 1)[-1].isdigit() else run
        groups.setdefault(config, []).append({
            "reward_gain": last10 - first10, "r_step": r_step, "r_drop": r_drop,
            "eval_gain": ev[-1][1] - ev[0][1] if ev else None, "e_step": e_step, "e_drop": e_drop,
            "sec_per_step": median})
        if run.startswith("geneval"):
            finals[run] = {c: col("eval.strict." + c) for c in CATEGORIES}
            finals[run]["overall"] = ev
    print("\nSeeds averaged per configuration (a target not reached by every seed is counted as not reached):\n")
    print("| configuration | seeds | reward gain (last 10 − first 10) | reward target at step | reward drop "
          "| eval gain (last − base) | eval target at step | eval drop | s per step (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for config, rs in groups.items():
        def steps(key):
            values = [r[key] for r in rs]
            return "not reached" if any(v is None for v in values) else fmt(mean(values), 0)
        print(f"| {config} | {len(rs)} | {fmt(mean([r['reward_gain'] for r in rs]))} | {steps('r_step')} | "
              f"{fmt(mean([r['r_drop'] for r in rs]))} | {fmt(mean([r['eval_gain'] for r in rs]))} | "
              f"{steps('e_step')} | {fmt(mean([r['e_drop'] for r in rs]))} | "
              f"{fmt(mean([r['sec_per_step'] for r in rs]), 1)} |")
    if finals:
        print("\nGenEval eval strict accuracy per category, base model (step 0) → last eval:\n")
        print("| run | overall | " + " | ".join(CATEGORIES) + " |")
        print("|---|---|" + "---|" * len(CATEGORIES))
        for run, cats in finals.items():
            cells = [f"{fmt(v[0][1])} → {fmt(v[-1][1])}" if v else "–" for v in [cats["overall"]] + [cats[c] for c in CATEGORIES]]
            print(f"| {run} | " + " | ".join(cells) + " |")
    timings = sorted(glob.glob(os.path.join(folder, "step-timing-*.json")))
    if timings:
        print("\nSeconds per RL step of each run file, side by side (`flowcps-bench rl`, in one process each, one "
              "after another on quiet cores, no database and no eval; mean over the timed steps):\n")
        print("| run file | steps timed | s per step | rollout | score | train | model evaluations per step "
              "| trained terms per step | trained terms per s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for path in timings:
            t = json.load(open(path))
            print(f"| {os.path.basename(t['config'])} | {t['steps']} | {fmt(t['seconds_per_step'], 1)} | "
                  f"{fmt(t['rollout'], 1)} | {fmt(t['score'], 2)} | {fmt(t['train'], 1)} | "
                  f"{fmt(t.get('model_evaluations_per_step'), 0)} | {fmt(t.get('trained_terms_per_step'), 0)} | "
                  f"{fmt(t['train_img_s'], 1)} |")


def tuning(folder):
    """The settings search judged on the train prompts beside its eval-prompt numbers (ops/bench/tuning-recheck)."""
    base = json.load(open(os.path.join(folder, "base.json")))
    models = sorted(f[:-5] for f in os.listdir(folder) if f.endswith(".json") and f != "base.json")
    cats = sorted(base["categories"])
    def eval_strict(run, step):
        metrics = os.path.join(folder, run + "-metrics.csv")
        if os.path.exists(metrics):  # a run folder of today's `flowcps rl`
            with open(metrics, newline="") as f:
                return next((float(r["value"]) for r in csv.DictReader(f)
                             if r["step"] == step and r["name"] == "eval.strict"), None)
        with open(os.path.join(folder, run + "-eval.csv"), newline="") as f:  # the older eval.csv (one row per step)
            return next((float(r["strict"]) for r in csv.DictReader(f) if r["step"] == step), None)
    rows = []
    for name in ["base"] + models:
        d = json.load(open(os.path.join(folder, name + ".json")))
        c = d["categories"]
        images = sum(v["images"] for v in c.values())
        weighted = sum(v["strict"] * v["images"] for v in c.values()) / images
        # The base model's eval number is any search run's step 0.
        run, _, step = (models[0].rpartition("-")[0], "", "0") if name == "base" else name.rpartition("-")
        ev = eval_strict(run, step)
        rows.append((name, ev, d["overall_strict"], weighted, {k: c[k]["strict"] for k in cats}, images))
    def ranks(index):
        order = sorted((r for r in rows if r[0] != "base"), key=lambda r: -r[index])
        return {r[0]: i + 1 for i, r in enumerate(order)}
    eval_rank, train_rank = ranks(1), ranks(2)
    print(f"40-step ODE strict accuracy, seed 0. Eval prompts: geneval-eval.txt (the search's measure). Train prompts: "
          f"geneval-train.txt ({rows[0][5]} images; the category mean and the image-weighted mean). Rank 1 = best.\n")
    print("| model | eval prompts (rank) | train prompts, category mean (rank) | train prompts, image-weighted | "
          + " | ".join(cats) + " |")
    print("|---|---|---|---|" + "---|" * len(cats))
    for name, ev, train, weighted, per, _ in rows:
        er = f" ({eval_rank[name]})" if name in eval_rank else ""
        tr = f" ({train_rank[name]})" if name in train_rank else ""
        print(f"| {name} | {fmt(ev)}{er} | {fmt(train)}{tr} | {fmt(weighted)} | "
              + " | ".join(fmt(per[k]) for k in cats) + " |")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("figure2", "figure1", "convergence", "tuning"):
        sys.exit(__doc__)
    globals()[sys.argv[1]](sys.argv[2])
