"""50 browsers on the dashboard against one worker's RL steps, side by side (ops/bench/dashboard-load).

The run advances while phases alternate: `quiet` (no clients) and `load` (N clients, each on one kept-alive
connection). A client polls the run page's JSON every 2 s as the page does, revalidating by entity tag as a browser
does for the page's `cache: "no-cache"` fetches; fetches each image address it has not seen once; and polls the runs
list every fifth time. ops/bench/dashboard-load runs this script in the idle scheduling class: on a real deployment
the browsers are other machines, so their own cost is not the server's. Each phase lasts until the run has completed
`--steps-per-phase` more steps and at least `--min-seconds` have passed. A step belongs to the phase in which it
started and ended (steps across a boundary are dropped). The server's resident memory is sampled every second, and
the CPU time of the server, of PostgreSQL and of the clients is taken per phase. Prints and writes a markdown
table: step seconds per phase (mean ± standard error), their ratio, requests served, request latency, CPU and
memory per phase.
"""
import argparse
import http.client
import json
import os
import statistics
import threading
import time
import urllib.parse

import psycopg


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of process `pid` in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def postgres_ticks() -> int:
    """CPU ticks of every PostgreSQL process on the machine. Its backends serve the worker and the server alike;
    the difference between phases is what the dashboard's reads cost the database."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        total += cpu_ticks(int(pid))
    return total


def publish(lines: list, path: str) -> None:
    """Prints the markdown `lines` and writes them to `path`."""
    text = "\n".join(lines) + "\n"
    print(text)
    with open(path, "w") as f:
        f.write(text)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client(threading.Thread):
    """One browser tab: a kept-alive connection, as browsers keep one."""

    def __init__(self, base: str, run: str, stop: threading.Event, stats: dict, lock: threading.Lock):
        super().__init__(daemon=True)
        self.run_path, self.stop, self.stats, self.lock = "/api/runs/" + urllib.parse.quote(run, safe=""), stop, stats, lock
        self.host = urllib.parse.urlparse(base).netloc
        self.conn = None
        self.seen = set()
        self.held = {}

    def get(self, path: str) -> bytes:
        t = time.time()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=30)
            # As a browser's fetch(url, {cache: "no-cache"}) does: revalidate what it holds by its entity tag.
            held = self.held.get(path)
            self.conn.request("GET", path, headers={"If-None-Match": held[0]} if held else {})
            r = self.conn.getresponse()
            body = r.read()
            ok = r.status in (200, 304)
            if r.status == 304 and held:
                body = held[1]
            elif r.status == 200 and r.getheader("ETag"):
                self.held[path] = (r.getheader("ETag"), body)
        except Exception:
            body, ok = b"", False
            if self.conn is not None:
                self.conn.close()
            self.conn = None
        with self.lock:
            self.stats["requests"] += 1
            self.stats["errors"] += 0 if ok else 1
            self.stats["latency"].append(time.time() - t)
        return body

    def run(self):
        i = 0
        while not self.stop.is_set():
            body = self.get(self.run_path)
            try:
                detail = json.loads(body)
                images = [s["png"] for s in detail.get("samples", [])] + ([detail["evalGrid"]] if detail.get("evalGrid") else [])
            except Exception:
                images = []
            for url in images:
                if url not in self.seen:
                    self.seen.add(url)
                    self.get(url)
            if i % 5 == 0:
                self.get("/api/runs")
            i += 1
            self.stop.wait(2.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps-per-phase", type=int, default=2)
    ap.add_argument("--min-seconds", type=float, default=60)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    watch = psycopg.connect(a.dsn, autocommit=True)

    def version() -> int:
        v, state = watch.execute("SELECT version, state FROM runs WHERE name = %s", (a.run,)).fetchone()
        if state != "active":
            raise SystemExit(f"run {a.run} is {state} at step {v} before the phases ended: give it more steps")
        return v

    def ticks() -> tuple:
        t = os.times()
        return cpu_ticks(a.server_pid), postgres_ticks(), round((t.user + t.system) * os.sysconf("SC_CLK_TCK"))

    phases = []  # (kind, first step, last step exclusive, stats)
    for r in range(a.rounds):
        for kind in ("quiet", "load"):
            stats = {"requests": 0, "errors": 0, "latency": [], "rss": []}
            lock, stop = threading.Lock(), threading.Event()
            clients = [Client(a.url, a.run, stop, stats, lock) for _ in range(a.clients if kind == "load" else 0)]
            for c in clients:
                c.start()
            start_v, t0, cpu0 = version(), time.time(), ticks()
            while version() < start_v + a.steps_per_phase or time.time() - t0 < a.min_seconds:
                stats["rss"].append(rss_kib(a.server_pid))
                time.sleep(1)
            stop.set()
            for c in clients:
                c.join()
            end_v, cpu1 = version(), ticks()
            # CPU used per second of the phase, in percent of one core: server, PostgreSQL, clients.
            hz = os.sysconf("SC_CLK_TCK")
            stats["cpu"] = [100 * (y - x) / hz / (time.time() - t0) for x, y in zip(cpu0, cpu1)]
            phases.append((kind, start_v, end_v, stats, time.time() - t0))
            print(f"round {r + 1} {kind}: steps {start_v}..{end_v}, {time.time() - t0:.0f} s, {stats['requests']} requests, "
                  f"rss {max(stats['rss']) // 1024} MiB, cpu % of a core: server {stats['cpu'][0]:.1f}, "
                  f"postgres {stats['cpu'][1]:.1f}, clients {stats['cpu'][2]:.1f}", flush=True)

    with psycopg.connect(a.dsn) as c:
        seconds = dict(c.execute(
            "SELECT step, step_seconds FROM step_timings t JOIN runs r ON r.id = t.run_id "
            "WHERE r.name = %s AND step_seconds IS NOT NULL", (a.run,)).fetchall())
    # Step k is trained when version goes k -> k+1; it started and ended inside [start_v, end_v).
    per = {"quiet": [], "load": []}
    for kind, s, e, _, _ in phases:
        per[kind] += [seconds[k] for k in range(s + 1, e) if k in seconds]

    def mse(xs):
        return (statistics.mean(xs), statistics.stdev(xs) / len(xs) ** 0.5 if len(xs) > 1 else float("nan"))

    q, l = mse(per["quiet"]), mse(per["load"])
    lat = sorted(x for p in phases for x in p[3]["latency"])
    lines = [
        f"# Dashboard load: {a.clients} polling clients against one worker's RL steps",
        "",
        f"Run `{a.run}`; {a.rounds} rounds of quiet/load phases (each ≥ {a.min_seconds:.0f} s and ≥ {a.steps_per_phase} steps).",
        "",
        "| phase | steps | step seconds (mean ± se) |",
        "|---|---|---|",
        f"| quiet (no clients) | {len(per['quiet'])} | {q[0]:.2f} ± {q[1]:.2f} |",
        f"| load ({a.clients} clients) | {len(per['load'])} | {l[0]:.2f} ± {l[1]:.2f} |",
        "",
        f"Ratio load / quiet: **{l[0] / q[0]:.3f}** (difference {l[0] - q[0]:+.2f} s, its standard error "
        f"{(q[1] ** 2 + l[1] ** 2) ** 0.5:.2f} s).",
        "",
        f"Requests served in load phases: {sum(p[3]['requests'] for p in phases)}, errors: {sum(p[3]['errors'] for p in phases)}; "
        f"latency median {1000 * lat[len(lat) // 2]:.1f} ms, 99th percentile {1000 * lat[int(len(lat) * 0.99)]:.1f} ms." if lat else "",
        "",
        "CPU in percent of one core over each phase (PostgreSQL serves the worker in every phase; the clients stand",
        "for browsers on other machines and run at the lowest priority):",
        "",
        "| round | phase | seconds | requests | server CPU | PostgreSQL CPU | clients CPU | server RSS min–max (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, (kind, s, e, st, dur) in enumerate(phases):
        cpu = st["cpu"]
        lines.append(f"| {i // 2 + 1} | {kind} | {dur:.0f} | {st['requests']} | {cpu[0]:.1f} % | {cpu[1]:.1f} % | {cpu[2]:.1f} % | "
                     f"{min(st['rss']) / 1024:.1f}–{max(st['rss']) / 1024:.1f} |")
    publish(lines, a.out)


if __name__ == "__main__":
    main()
