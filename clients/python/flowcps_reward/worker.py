"""The reward worker: claim, read, score, complete; heartbeats while scoring; SIGTERM finishes the batch."""

from __future__ import annotations

import logging
import math
import signal
import threading
import traceback
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import psycopg

log = logging.getLogger("flowcps_reward")

#: A scoring function: PNG bytes and prompts of one job's samples (same order) -> one finite float per sample.
Scorer = Callable[[List[bytes], List[str]], Sequence[float]]

LEASE_LOST = "FL001"
BAD_SCORES = "FL002"


class LeaseLost(Exception):
    """The job was reaped, cancelled or completed by another holder: its scores must be dropped."""


@dataclass(frozen=True)
class Job:
    """A claimed reward job: the claim's token fences every later call for this attempt."""

    id: int
    token: str
    attempt: int
    run: str
    step: int
    shard: int
    reward: str
    samples: int


@dataclass
class Samples:
    prompt_indices: List[int]
    sample_indices: List[int]
    prompts: List[str]
    pngs: List[bytes]


class RewardWorker:
    """Serves external rewards of FlowCPS runs.

    ``rewards`` maps each reward name this worker serves to its scoring function. ``dsn`` is a libpq connection
    string for the ``flowcps_reward_worker`` role. The worker holds one job at a time; a heartbeat thread extends
    its lease every ``lease_seconds / 3`` while the scorer runs.
    """

    def __init__(self, dsn: str, rewards: Dict[str, Scorer], name: str = "python", lease_seconds: float = 60,
                 idle_wait: float = 5.0):
        if not rewards:
            raise ValueError("serve at least one reward")
        if not 5 <= lease_seconds <= 3600:
            raise ValueError("lease_seconds must be in [5, 3600]")
        self.dsn, self.rewards, self.name = dsn, dict(rewards), name
        self.lease_seconds, self.idle_wait = float(lease_seconds), idle_wait
        self.stopping = threading.Event()
        self.completed = 0
        self.failed = 0
        self.lost = 0

    # The five calls of the protocol, each one statement.

    def claim(self, conn: psycopg.Connection) -> Optional[Job]:
        row = conn.execute("SELECT * FROM flowcps_reward_claim(%s, %s, %s)",
                           (self.name, list(self.rewards), self.lease_seconds)).fetchone()
        conn.commit()
        if row is None:
            return None
        job_id, token, attempt, run, step, shard, reward, samples, _expires = row
        return Job(job_id, token, attempt, run, step, shard, reward, samples)

    def samples(self, conn: psycopg.Connection, job: Job) -> Samples:
        rows = self._call(conn, "SELECT prompt_index, sample_index, prompt, png FROM flowcps_reward_samples(%s, %s)",
                          (job.id, job.token)).fetchall()
        conn.commit()
        return Samples([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [bytes(r[3]) for r in rows])

    def heartbeat(self, conn: psycopg.Connection, job: Job) -> None:
        self._call(conn, "SELECT flowcps_reward_heartbeat(%s, %s, %s)", (job.id, job.token, self.lease_seconds))
        conn.commit()

    def complete(self, conn: psycopg.Connection, job: Job, s: Samples, values: Sequence[float]) -> None:
        self._call(conn, "SELECT flowcps_reward_complete(%s, %s, %s::integer[], %s::integer[], %s::float8[])",
                   (job.id, job.token, s.prompt_indices, s.sample_indices, [float(v) for v in values]))
        conn.commit()

    def fail(self, conn: psycopg.Connection, job: Job, error: str, permanent: bool = False) -> str:
        state = self._call(conn, "SELECT flowcps_reward_fail(%s, %s, %s, %s)",
                           (job.id, job.token, error[-2000:], permanent)).fetchone()[0]
        conn.commit()
        return state

    def _call(self, conn: psycopg.Connection, sql: str, params: tuple):
        try:
            return conn.execute(sql, params)
        except psycopg.Error as e:
            conn.rollback()
            if e.sqlstate == LEASE_LOST:
                raise LeaseLost(str(e).splitlines()[0]) from None
            raise

    # The loop.

    def run_once(self, conn: psycopg.Connection) -> bool:
        """Claims and finishes one job; False when none was claimable."""
        job = self.claim(conn)
        if job is None:
            return False
        log.info("claimed %s step %d shard %d of %s (attempt %d, %d samples)",
                 job.reward, job.step, job.shard, job.run, job.attempt, job.samples)
        try:
            s = self.samples(conn, job)
            values = self._score_with_heartbeats(job, s)
            bad = [i for i, v in enumerate(values) if not isinstance(v, (int, float)) or not math.isfinite(v)]
            if len(values) != len(s.pngs) or bad:
                raise ValueError(f"scorer for {job.reward} returned {len(values)} values for {len(s.pngs)} samples"
                                 + (f", non-finite at {bad[:5]}" if bad else ""))
            self.complete(conn, job, s, values)
            self.completed += 1
            log.info("completed %s step %d shard %d of %s", job.reward, job.step, job.shard, job.run)
        except LeaseLost as e:
            self.lost += 1
            log.warning("%s", e)
        except Exception as e:  # the scorer (or its output) failed: record it; the queue retries with backoff
            permanent = isinstance(e, psycopg.Error) and e.sqlstate == BAD_SCORES
            self.failed += 1
            log.error("%s step %d shard %d failed: %s", job.reward, job.step, job.shard, e)
            try:
                state = self.fail(conn, job, "".join(traceback.format_exception_only(type(e), e)).strip(), permanent)
                log.error("job %d is now %s", job.id, state)
            except LeaseLost as lost:
                log.warning("%s", lost)
        return True

    def _score_with_heartbeats(self, job: Job, s: Samples) -> List[float]:
        done = threading.Event()
        lost: List[BaseException] = []

        def beat() -> None:
            with psycopg.connect(self.dsn) as hb:
                while not done.wait(self.lease_seconds / 3):
                    try:
                        self.heartbeat(hb, job)
                    except LeaseLost as e:
                        lost.append(e)
                        return

        t = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        t.start()
        try:
            values = list(self.rewards[job.reward](s.pngs, s.prompts))
        finally:
            done.set()
            t.join()
        if lost:
            raise lost[0]
        return values

    def serve(self, exit_when_idle: bool = False) -> None:
        """Claims jobs until SIGTERM/SIGINT (the job in hand is finished first) or, with ``exit_when_idle``, until
        none is claimable. Waits for new jobs with LISTEN (woken by the pipeline's NOTIFY) and polls as a fallback."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        with psycopg.connect(self.dsn) as conn, psycopg.connect(self.dsn, autocommit=True) as listener:
            listener.execute("LISTEN flowcps_jobs")
            log.info("serving %s as %s", ", ".join(self.rewards), self.name)
            while not self.stopping.is_set():
                if self.run_once(conn):
                    continue
                if exit_when_idle:
                    break
                for _ in listener.notifies(timeout=self.idle_wait, stop_after=1):
                    pass
        log.info("stopped: %d completed, %d failed, %d lost leases", self.completed, self.failed, self.lost)
