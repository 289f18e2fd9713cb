"""Memory of `flowcps serve` under clients asking for many distinct answers (ops/bench/dashboard-soak).

N clients, each on a kept-alive connection, ask without pause for a random stored rollout image of any run, a
random run's JSON, the runs list, the queue, an eval grid of a random evaluated step, and /metrics, so the server's
answer cache (bounded at 256 answers) is churned far past its capacity. The server's resident memory is sampled
every few seconds; prints the series and writes a markdown table with the first and last minutes' ranges.
"""
import argparse
import http.client
import random
import threading
import time
import urllib.parse

import psycopg

from dashboard_load import publish, rss_kib


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=360)
    ap.add_argument("--every", type=float, default=5)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    with psycopg.connect(a.dsn) as c:
        images = c.execute("SELECT r.name, s.step, s.prompt_index, s.sample_index FROM samples s JOIN runs r ON r.id = s.run_id "
                           "WHERE s.png IS NOT NULL").fetchall()
        evals = c.execute("SELECT DISTINCT r.name, e.step FROM eval_samples e JOIN runs r ON r.id = e.run_id").fetchall()
        runs = [r[0] for r in c.execute("SELECT name FROM runs").fetchall()]
    if not images or not runs:
        raise SystemExit("the database has no runs with stored rollout images: run a pipeline first")
    q = lambda s: urllib.parse.quote(s, safe="")

    def pick(rng: random.Random) -> str:
        k = rng.random()
        if k < 0.6:
            n, s, p, i = rng.choice(images)
            return f"/api/runs/{q(n)}/samples/{s}/{p}/{i}.png"
        if k < 0.8:
            return f"/api/runs/{q(rng.choice(runs))}"
        if k < 0.88 and evals:
            n, s = rng.choice(evals)
            return f"/api/runs/{q(n)}/eval-grid.png?step={s}"
        return rng.choice(["/api/runs", "/api/queue", "/metrics"])

    host = urllib.parse.urlparse(a.url).netloc
    stop = threading.Event()
    counts = {"requests": 0, "errors": 0}
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, timeout=60)
        while not stop.is_set():
            try:
                conn.request("GET", pick(rng))
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except Exception:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, timeout=60)
            with lock:
                counts["requests"] += 1
                counts["errors"] += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(a.clients)]
    t0 = time.time()
    for t in threads:
        t.start()
    series = []
    while time.time() - t0 < a.seconds:
        time.sleep(a.every)
        series.append((time.time() - t0, rss_kib(a.server_pid) / 1024, counts["requests"]))
        print(f"{series[-1][0]:6.0f} s  rss {series[-1][1]:6.1f} MiB  requests {series[-1][2]}", flush=True)
    stop.set()
    for t in threads:
        t.join()

    def window(lo, hi):
        xs = [m for t, m, _ in series if lo <= t < hi]
        return (min(xs), max(xs)) if xs else (float("nan"), float("nan"))

    first, last = window(0, 60), window(a.seconds - 60, a.seconds + 1)
    lines = [
        f"# Dashboard memory soak: {a.clients} clients asking for distinct answers for {a.seconds:.0f} s",
        "",
        f"{len(images)} stored rollout images, {len(runs)} runs and {len(evals)} evaluated steps to ask for; "
        f"{counts['requests']} requests, {counts['errors']} not answered 200.",
        "",
        "| window | server RSS min–max (MiB) |",
        "|---|---|",
        f"| first minute | {first[0]:.1f}–{first[1]:.1f} |",
        f"| last minute | {last[0]:.1f}–{last[1]:.1f} |",
        "",
        "| seconds | RSS (MiB) | requests so far |",
        "|---|---|---|",
    ] + [f"| {t:.0f} | {m:.1f} | {n} |" for t, m, n in series[:: max(1, len(series) // 24)]]
    publish(lines, a.out)


if __name__ == "__main__":
    main()
