"""The Python reward worker against a real FlowCPS pipeline (run by ops/test with PG_TEST_URL and FLOWCPS_BIN).

Each test gets its own schema, migrated by `flowcps db migrate`, a tiny base model and a run mixing the internal
`geneval` reward with an external one: the toy `redness` (served by this package) or, with FLOWCPS_TEST_REWARD and
the scorer variables below, the learned `align` model. Swift workers run as `flowcps worker`
subprocesses; reward workers as `python -m flowcps_reward` subprocesses, so SIGKILL and SIGTERM are real.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import psycopg

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT))
SERVER = os.environ.get("PG_TEST_URL")
FLOWCPS = os.environ.get("FLOWCPS_BIN", os.path.join(REPO, ".build-test/release/flowcps"))
# The external reward under test: the toy `redness` by default; the learned model with
#   FLOWCPS_TEST_REWARD=align FLOWCPS_TEST_SCORER='align_model:scorer()' FLOWCPS_TEST_SLOW_SCORER='slow_scorer:slow_align()'
REWARD = os.environ.get("FLOWCPS_TEST_REWARD", "redness")
SCORER = os.environ.get("FLOWCPS_TEST_SCORER", "flowcps_reward.examples:redness")
SLOW_SCORER = os.environ.get("FLOWCPS_TEST_SLOW_SCORER", "slow_scorer:slow_redness")

SMALL_MODEL = """{"imageSize": 32, "imageChannels": 3, "channels": [4, 8], "blocksPerLevel": 1,
 "crossAttentionLevels": [1], "middleAttention": true, "attentionHeads": 2, "groups": 2, "textWidth": 8,
 "textHeads": 2, "textLayers": 1, "maxTokens": 12, "vocabularySize": 80, "timeFeatures": 8, "conditionWidth": 8}"""


def with_params(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + "&".join(f"{k}={v}" for k, v in params.items())


class Pipeline:
    """A fresh schema with FlowCPS's migrations, a tiny base model and a run file; helpers to run workers."""

    def __init__(self, steps: int = 2, directory: str = ""):
        # Runs compared bit for bit share a directory: the run's identity (stored in its training state) includes
        # the paths of its base model and prompt sets.
        self.dir = directory or tempfile.mkdtemp(prefix="flowcps-reward-")
        self.schema = "py_" + uuid.uuid4().hex[:16]
        with psycopg.connect(SERVER, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {self.schema}")
        self.url = with_params(SERVER, options=f"-csearch_path%3D{self.schema}")
        self.worker_dsn = with_params(self.url, user="flowcps_reward_worker")
        self.env = dict(os.environ, FLOWCPS_DATABASE_URL=self.url, FLOWCPS_MIGRATIONS=os.path.join(REPO, "migrations"))
        self.flowcps("db", "migrate")
        with open(f"{self.dir}/small.json", "w") as f:
            f.write(SMALL_MODEL)
        self.flowcps("model", "init", "--config", f"{self.dir}/small.json", "--seed", "5",
                     "--out", f"{self.dir}/base.safetensors")
        with open(f"{self.dir}/train.txt", "w") as f:
            f.write("single_object\ta circle\ncolors\ta red square\ncounting\ttwo triangles\ncolors\ta blue circle\n")
        with open(f"{self.dir}/eval.txt", "w") as f:
            f.write("single_object\ta square\ncolors\ta green circle\n")
        with open(f"{self.dir}/run.yaml", "w") as f:
            f.write(f"""name: ext
seed: 3
steps: {steps}
model: {{base: {self.dir}/base.safetensors, threads: 1}}
prompts: {{train: {self.dir}/train.txt, eval: {self.dir}/eval.txt}}
sampler: {{kind: cps, noise: 0.7, steps: 3}}
group: {{size: 2, prompts_per_step: 4, prompts_per_shard: 1}}
rewards: {{geneval: 1, {REWARD}: {{weight: 0.5, external: true}}}}
train: {{lr: 1e-3}}
eval: {{every: {steps}, steps: 4}}
""")

    def flowcps(self, *args: str) -> str:
        r = subprocess.run([FLOWCPS, *args], env=self.env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"flowcps {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
        return r.stdout

    def swift_worker(self) -> subprocess.Popen:
        return self.spawn([FLOWCPS, "worker", "--exit-when-idle", "--threads", "1"], self.env, "swift-worker.log")

    def spawn(self, command: list, env: dict, log: str) -> subprocess.Popen:
        """Starts `command` with its stderr appended to `log` in the test folder (the child keeps its own handle)."""
        with open(f"{self.dir}/{log}", "a") as f:
            return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=f)

    def reward_worker(self, scorer: str = SCORER, log: str = "reward-worker.log",
                      lease: int = 5) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([CLIENT, HERE, os.path.join(REPO, "ops", "python")]))
        return self.spawn([sys.executable, "-m", "flowcps_reward", "--dsn", self.worker_dsn,
                           "--reward", f"{REWARD}={scorer}", "--lease-seconds", str(lease), "--name", "py"], env, log)

    def read(self, log: str) -> str:
        with open(f"{self.dir}/{log}") as f:
            return f.read()

    def sql(self, query: str, *params):
        with psycopg.connect(self.url) as c:
            return c.execute(query, params).fetchall()

    def state(self) -> str:
        return self.sql("SELECT state FROM runs WHERE name = 'ext'")[0][0]

    def wait_for(self, what, timeout: float = 300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if what():
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout} s")

    def outputs(self):
        """Checkpoint hashes, reward rows and sample totals: what must not depend on how the run was disturbed."""
        return (self.sql("SELECT step, kind, sha256 FROM checkpoints ORDER BY step, kind"),
                self.sql("SELECT step, prompt_index, sample_index, name, value FROM rewards ORDER BY 1, 2, 3, 4"),
                self.sql("SELECT step, prompt_index, sample_index, reward, advantage FROM samples ORDER BY 1, 2, 3"))

    def close(self):
        with psycopg.connect(SERVER, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {self.schema} CASCADE")


def stop(p: subprocess.Popen, sig=signal.SIGTERM) -> int:
    if p.poll() is None:
        p.send_signal(sig)
    return p.wait(timeout=60)


@unittest.skipUnless(SERVER and os.path.exists(FLOWCPS), "needs PG_TEST_URL and a built flowcps (run ops/test)")
class RewardWorkerTests(unittest.TestCase):
    def run_pipeline(self, disturb: bool, directory: str) -> tuple:
        p = Pipeline(directory=directory)
        try:
            p.flowcps("run", "submit", f"{p.dir}/run.yaml")
            swift = p.swift_worker()
            kills = 0
            if disturb:
                # SIGKILL the reward worker at random while it scores (slowly, so kills land mid-job), restart it.
                rng = random.Random(7)
                while kills < 5 or p.state() == "active" and kills < 8:
                    if p.state() != "active":
                        break
                    log = f"killed-{kills}.log"
                    w = p.reward_worker(SLOW_SCORER, log=log)
                    # Kill while a job is held: after the worker's first claim (a scorer may take seconds to load its
                    # model), within the scorer's one-second pause.
                    deadline = time.time() + 60
                    while "claimed" not in p.read(log) and time.time() < deadline \
                            and w.poll() is None and p.state() == "active":
                        time.sleep(0.05)
                    time.sleep(rng.uniform(0.0, 0.9))
                    if w.poll() is None:
                        w.kill()
                        w.wait()
                        kills += 1
            final = p.reward_worker()
            p.wait_for(lambda: p.state() != "active")
            self.assertEqual(stop(final), 0)
            self.assertEqual(swift.wait(timeout=120), 0)
            self.assertEqual(p.state(), "completed")
            # Every sample of the run has its external reward row, readable by the analysts' role.
            with psycopg.connect(with_params(p.url, user="flowcps_reader")) as reader:
                n = reader.execute("SELECT samples FROM reward_curve WHERE run = 'ext' AND reward = %s "
                                   "ORDER BY step", (REWARD,)).fetchall()
            self.assertEqual(n, [(8,), (8,)])
            if disturb:  # some kill landed while a job was held: it was reaped and scored again
                retried = p.sql("SELECT count(*) FROM jobs WHERE stage = 'reward' AND attempt > 1")[0][0]
                self.assertGreaterEqual(retried, 1)
            return p.outputs(), kills
        finally:
            p.close()

    def test_sigkilled_reward_workers_leave_the_run_bitwise_identical(self):
        directory = tempfile.mkdtemp(prefix="flowcps-reward-")
        calm, _ = self.run_pipeline(disturb=False, directory=directory)
        chaos, kills = self.run_pipeline(disturb=True, directory=directory)
        self.assertGreaterEqual(kills, 5)
        self.assertEqual(calm[0], chaos[0], "checkpoints differ")
        self.assertEqual(calm[1], chaos[1], "reward rows differ")
        self.assertEqual(calm[2], chaos[2], "sample totals or advantages differ")
        self.assertEqual(len({c[2] for c in calm[0]}), len(calm[0]))  # real, distinct checkpoints
        self.assertTrue(any(r[3] == REWARD for r in calm[1]))

    def test_sigterm_finishes_the_batch_and_a_cancelled_job_is_lost(self):
        p = Pipeline(steps=1)
        try:
            p.flowcps("run", "submit", f"{p.dir}/run.yaml")
            swift = p.swift_worker()
            p.wait_for(lambda: p.sql("SELECT count(*) FROM jobs WHERE stage = 'reward'")[0][0] > 0)
            w = p.reward_worker(SLOW_SCORER, log="term.log", lease=30)
            p.wait_for(lambda: "claimed" in p.read("term.log"))
            self.assertEqual(stop(w), 0)  # SIGTERM: the job in hand is scored and completed first
            log = p.read("term.log")
            self.assertIn(f"completed {REWARD}", log)
            self.assertIn("stopped: 1 completed", log)
            self.assertEqual(p.sql("SELECT count(*) FROM jobs WHERE stage = 'reward' AND state = 'completed'")[0][0], 1)

            # A job whose run is cancelled while it is scored: the completion is refused as a lost lease.
            sys.path.insert(0, CLIENT)
            from flowcps_reward import LeaseLost, RewardWorker
            rw = RewardWorker(p.worker_dsn, {REWARD: lambda pngs, prompts: [0.5] * len(pngs)}, name="api")
            with psycopg.connect(p.worker_dsn) as c:
                job = rw.claim(c)
                self.assertIsNotNone(job)
                samples = rw.samples(c, job)
                self.assertEqual(len(samples.pngs), job.samples)
                self.assertTrue(all(png.startswith(b"\x89PNG") for png in samples.pngs))
                p.flowcps("run", "cancel", "ext")
                with self.assertRaises(LeaseLost):
                    rw.complete(c, job, samples, [0.5] * job.samples)
            self.assertEqual(p.sql("SELECT count(*) FROM rewards WHERE name = %s", REWARD)[0][0], 2)
            stop(swift)
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main()
