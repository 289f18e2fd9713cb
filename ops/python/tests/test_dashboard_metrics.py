"""`flowcps serve`'s /metrics and a worker's --metrics-port, parsed by the Prometheus Python client's text parser
and checked against SQL (run by ops/test with PG_TEST_URL and FLOWCPS_BIN).

A fresh schema gets FlowCPS's migrations, a tiny base model and a two-step run; a real `flowcps worker` process
runs it while `flowcps serve` is scraped, then both series are compared with the jobs table.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request
import uuid

import psycopg
from prometheus_client.parser import text_string_to_metric_families

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SERVER = os.environ.get("PG_TEST_URL")
FLOWCPS = os.environ.get("FLOWCPS_BIN", os.path.join(REPO, ".build-test/release/flowcps"))

SMALL_MODEL = """{"imageSize": 32, "imageChannels": 3, "channels": [4, 8], "blocksPerLevel": 1,
 "crossAttentionLevels": [1], "middleAttention": true, "attentionHeads": 2, "groups": 2, "textWidth": 8,
 "textHeads": 2, "textLayers": 1, "maxTokens": 12, "vocabularySize": 80, "timeFeatures": 8, "conditionWidth": 8}"""


def with_params(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + "&".join(f"{k}={v}" for k, v in params.items())


def address(process: subprocess.Popen, log_path: str, pattern: str, seconds: float = 30) -> str:
    """The first match of `pattern` (one group) in the log a starting process writes."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(log_path) as f:
            m = re.search(pattern, f.read())
        if m:
            return m.group(1)
        if process.poll() is not None:
            raise AssertionError(f"process exited {process.returncode}: {open(log_path).read()}")
        time.sleep(0.1)
    raise AssertionError(f"no {pattern!r} within {seconds} s in {log_path}")


def scrape(url: str) -> dict:
    """Every sample of a /metrics answer, parsed by prometheus_client: {(name, sorted labels): value}."""
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@unittest.skipUnless(SERVER, "PG_TEST_URL is not set (run through ops/test)")
class DashboardMetricsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="flowcps-metrics-")
        schema = "py_" + uuid.uuid4().hex[:16]
        with psycopg.connect(SERVER, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {schema}")
        self.url = with_params(SERVER, options=f"-csearch_path%3D{schema}")
        self.env = dict(os.environ, FLOWCPS_DATABASE_URL=self.url, FLOWCPS_MIGRATIONS=os.path.join(REPO, "migrations"))
        self.processes = []
        self.flowcps("db", "migrate")
        with open(f"{self.dir}/small.json", "w") as f:
            f.write(SMALL_MODEL)
        self.flowcps("model", "init", "--config", f"{self.dir}/small.json", "--seed", "5", "--out", f"{self.dir}/base.safetensors")
        with open(f"{self.dir}/train.txt", "w") as f:
            f.write("single_object\ta circle\ncolors\ta red square\n")
        with open(f"{self.dir}/eval.txt", "w") as f:
            f.write("single_object\ta square\n")
        with open(f"{self.dir}/run.yaml", "w") as f:
            f.write(f"""name: "metrics \\"quoted\\" ü"
seed: 1
steps: 2
model: {{base: {self.dir}/base.safetensors, threads: 1}}
prompts: {{train: {self.dir}/train.txt, eval: {self.dir}/eval.txt}}
sampler: {{kind: cps, noise: 0.7, steps: 3}}
group: {{size: 2, prompts_per_step: 2, prompts_per_shard: 1}}
rewards: {{geneval: 1}}
eval: {{every: 2, steps: 4}}
""")
        self.flowcps("run", "submit", f"{self.dir}/run.yaml")

    def tearDown(self):
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)

    def flowcps(self, *args: str) -> str:
        r = subprocess.run([FLOWCPS, *args], env=self.env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"flowcps {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
        return r.stdout

    def start(self, log: str, *args: str) -> subprocess.Popen:
        out = open(log, "w")
        self.addCleanup(out.close)
        p = subprocess.Popen([FLOWCPS, *args], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(p)
        return p

    def jobs_by_stage_state(self) -> dict:
        with psycopg.connect(self.url) as c:
            return {(stage, state): n for stage, state, n in
                    c.execute("SELECT stage, state, count(*) FROM jobs GROUP BY stage, state").fetchall()}

    def test_metrics_parse_and_match_sql(self):
        serve_log, worker_log = f"{self.dir}/serve.log", f"{self.dir}/worker.log"
        serve = self.start(serve_log, "serve", "--port", "0", "--cache", "0")
        base = address(serve, serve_log, r"dashboard: (http://\S+/)")
        # Before any worker: the queue holds the run's first job.
        before = scrape(base + "metrics")
        self.assertEqual(before[("flowcps_jobs", (("stage", "plan"), ("state", "available")))], 1)

        worker = self.start(worker_log, "worker", "--threads", "1", "--metrics-port", "0")
        worker_metrics = address(worker, worker_log, r"worker metrics: (http://\S+/metrics)")
        deadline = time.time() + 300
        while "completed" not in self.flowcps("run", "list"):
            scrape(base + "metrics")  # parses mid-run too
            self.assertLess(time.time(), deadline, "the run did not complete in 300 s")
            time.sleep(0.5)

        samples = scrape(base + "metrics")
        depth = {(dict(k[1])["stage"], dict(k[1])["state"]): v for k, v in samples.items() if k[0] == "flowcps_jobs"}
        self.assertEqual(depth, {k: float(v) for k, v in self.jobs_by_stage_state().items()})
        run = (("run", 'metrics "quoted" ü'),)
        self.assertEqual(samples[("flowcps_run_steps_done", run)], 2)
        self.assertEqual(samples[("flowcps_run_info", (("run", 'metrics "quoted" ü'), ("state", "completed")))], 1)
        completed_trains = self.jobs_by_stage_state()[("train", "completed")]
        self.assertEqual(samples[("flowcps_job_duration_seconds_count", (("stage", "train"),))], completed_trains)
        self.assertEqual(samples[("flowcps_job_duration_seconds_bucket", (("le", "+Inf"), ("stage", "train")))], completed_trains)

        mine = scrape(worker_metrics)
        done = sum(v for (name, _), v in mine.items() if name == "flowcps_worker_jobs_total")
        completed = sum(n for (stage, state), n in self.jobs_by_stage_state().items() if state == "completed")
        self.assertEqual(done, completed)


if __name__ == "__main__":
    unittest.main()
