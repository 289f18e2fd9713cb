/// Every statement on `jobs` (docs/architecture.md §3). Claims, completions and failures are single statements; completions
/// and failures are fenced by (id, attempt, lease owner) so a worker that lost its lease changes nothing.
public enum JobStatements {
    static let returning = "id, run_id, stage, step, shard, attempt, max_attempts, priority, args::text AS args"

    /// Inserts a job unless one with its dedupe key exists; returns its id when inserted.
    static func insert(_ j: JobSpec) -> SQL {
        """
        INSERT INTO jobs (run_id, stage, step, shard, state, priority, max_attempts, args, dedupe_key, scheduled_at)
        VALUES (\(j.runID), \(j.stage), \(j.step), \(j.shard), \(j.held ? "pending" : "available"), \(j.priority),
                \(j.maxAttempts), \(SQLValue.jsonb(j.args)), \(j.dedupeKey), now())
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id
        """
    }

    /// Claims up to `limit` claimable jobs of `stages` (comma-separated; empty: any stage) in priority order.
    static func claim(owner: String, stages: String, limit: Int, leaseSeconds: Double) -> SQL {
        """
        WITH picked AS MATERIALIZED (
            SELECT id FROM jobs
            WHERE state = 'available' AND scheduled_at <= now()
              AND (\(stages) = '' OR stage = ANY (string_to_array(\(stages), ',')))
            ORDER BY priority, scheduled_at, id
            LIMIT \(limit)
            FOR UPDATE SKIP LOCKED)
        UPDATE jobs j
        SET state = 'running', attempt = j.attempt + 1, lease_owner = \(owner),
            lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), heartbeat_at = now(), attempted_at = now()
        FROM picked WHERE j.id = picked.id
        RETURNING j.id, j.run_id, j.stage, j.step, j.shard, j.attempt, j.max_attempts, j.priority, j.args::text AS args
        """
    }

    /// Extends a lease; zero rows means the lease is lost and the worker must abandon the job.
    static func heartbeat(id: Int64, attempt: Int, owner: String, leaseSeconds: Double) -> SQL {
        """
        UPDATE jobs SET lease_expires_at = now() + make_interval(secs => \(leaseSeconds)), heartbeat_at = now()
        WHERE id = \(id) AND attempt = \(attempt) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    /// Fenced completion.
    static func complete(id: Int64, attempt: Int, owner: String) -> SQL {
        """
        UPDATE jobs SET state = 'completed', finalized_at = now(), lease_owner = NULL, lease_expires_at = NULL
        WHERE id = \(id) AND attempt = \(attempt) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    /// Fenced failure: back to `available` after a jittered exponential backoff, or `failed` once attempts are
    /// spent. The error joins the job's history. Returns the new state.
    static func fail(id: Int64, attempt: Int, owner: String, error: String, retryBaseSeconds: Double,
                     permanent: Bool) -> SQL {
        """
        UPDATE jobs SET
            state = CASE WHEN attempt >= max_attempts OR \(permanent) THEN 'failed' ELSE 'available' END,
            finalized_at = CASE WHEN attempt >= max_attempts OR \(permanent) THEN now() END,
            scheduled_at = now() + \(unsafe: backoffHead)\(retryBaseSeconds)\(unsafe: backoffTail(attempt: "attempt")),
            errors = errors || pg_catalog.jsonb_build_object('attempt'::text, attempt, 'at'::text, now(),
                                                             'owner'::text, lease_owner, 'error'::text, \(error)::text),
            lease_owner = NULL, lease_expires_at = NULL
        WHERE id = \(id) AND attempt = \(attempt) AND lease_owner = \(owner) AND state = 'running'
        RETURNING id, run_id, state, attempt
        """
    }

    /// Hands a job back unfinished (a worker shutting down): claimable at once, the attempt not counted.
    static func release(id: Int64, attempt: Int, owner: String) -> SQL {
        """
        UPDATE jobs SET state = 'available', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
            scheduled_at = now()
        WHERE id = \(id) AND attempt = \(attempt) AND lease_owner = \(owner) AND state = 'running'
        """
    }

    /// The reaper: every running job whose lease expired counts as a failed attempt (the worker died).
    static func reapExpired(retryBaseSeconds: Double) -> SQL {
        """
        WITH expired AS MATERIALIZED (
            SELECT id FROM jobs
            WHERE state = 'running' AND lease_expires_at < now()
            FOR UPDATE SKIP LOCKED)
        UPDATE jobs j SET
            state = CASE WHEN j.attempt >= j.max_attempts THEN 'failed' ELSE 'available' END,
            finalized_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
            scheduled_at = now() + \(unsafe: backoffHead)\(retryBaseSeconds)\(unsafe: backoffTail(attempt: "j.attempt")),
            errors = j.errors || pg_catalog.jsonb_build_object('attempt'::text, j.attempt, 'at'::text, now(),
                                                               'owner'::text, j.lease_owner,
                                                               'error'::text, 'lease expired (worker stopped heartbeating)'::text),
            lease_owner = NULL, lease_expires_at = NULL
        FROM expired WHERE j.id = expired.id
        RETURNING j.id, j.run_id, j.state, j.attempt
        """
    }

    /// The backoff min(600 s, base · 2^(attempt−1)) · U(0.9, 1.1) as an interval: head, the bound base, tail. Every
    /// function call is schema-qualified and exactly typed (`least` and `greatest` are SQL constructs, not
    /// functions), so nothing planted on the search path can stand in for a built-in (audit H1); the base is a
    /// bound parameter, never text.
    static let backoffHead = "pg_catalog.make_interval(secs => least(600::float8, "

    static func backoffTail(attempt: String) -> String {
        "::float8 * pg_catalog.power(2::float8, (greatest(\(attempt), 1) - 1)::float8)) * (0.9::float8 + 0.2::float8 * pg_catalog.random()))"
    }

    /// Holds a run's claimable jobs (`pending`) or releases them (`available`).
    public static func hold(runID: Int64) -> SQL {
        "UPDATE jobs SET state = 'pending' WHERE run_id = \(runID) AND state = 'available'"
    }

    public static func unhold(runID: Int64) -> SQL {
        "UPDATE jobs SET state = 'available', scheduled_at = now() WHERE run_id = \(runID) AND state = 'pending'"
    }

    /// Cancels every unfinished job of a run (running ones too: their completions will then be rejected).
    public static func cancel(runID: Int64) -> SQL {
        """
        UPDATE jobs SET state = 'cancelled', finalized_at = now(), lease_owner = NULL, lease_expires_at = NULL
        WHERE run_id = \(runID) AND state IN ('pending', 'available', 'running')
        """
    }

    /// Job counts by state for one run (all runs when `runID` is nil).
    static func counts(runID: Int64?) -> SQL {
        """
        SELECT state, count(*) AS n FROM jobs
        WHERE (\(runID) IS NULL OR run_id = \(runID))
        GROUP BY state
        """
    }

    /// What changes whenever a job of the run (of any run when `runID` is nil) is added, claimed, completed, retried,
    /// failed or cancelled, but not on heartbeats: the count of jobs in each state and the sum of their attempts.
    /// The dashboard recomputes an answer only when this (or the run rows) changed.
    public static func transitionFingerprint(runID: Int64?) -> SQL {
        if let runID { return "SELECT \(unsafe: transitionColumns) FROM jobs WHERE run_id = \(runID)" }
        return "SELECT \(unsafe: transitionColumns) FROM jobs"
    }

    static let transitionColumns = """
        concat_ws(':', count(*), coalesce(sum(attempt), 0), count(*) FILTER (WHERE state = 'running'),
                  count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state = 'failed'),
                  count(*) FILTER (WHERE state = 'cancelled'), count(*) FILTER (WHERE state = 'pending')) AS fingerprint
        """

    /// One job by id.
    static func get(id: Int64) -> SQL {
        "SELECT \(unsafe: returning), state, lease_owner, errors::text AS errors FROM jobs WHERE id = \(id)"
    }

    /// Deletes finished jobs older than `seconds` (retention of the queue's history).
    static func deleteFinished(olderThanSeconds seconds: Double) -> SQL {
        """
        DELETE FROM jobs WHERE state IN ('completed', 'cancelled')
          AND finalized_at < now() - make_interval(secs => \(seconds))
        """
    }

    /// The jobs of a run that are running now (what its workers are doing).
    public static func running(runID: Int64) -> SQL {
        "SELECT stage, step, shard FROM jobs WHERE run_id = \(runID) AND state = 'running' ORDER BY priority, step, shard"
    }

    /// Gives a run's failed jobs a fresh set of attempts (on resume, after the cause was fixed).
    public static func retryFailed(runID: Int64) -> SQL {
        """
        UPDATE jobs SET state = 'pending', attempt = 0, finalized_at = NULL, scheduled_at = now()
        WHERE run_id = \(runID) AND state = 'failed'
        """
    }

    /// Wakes listening workers (delivered at commit).
    public static let notify: SQL = "SELECT pg_notify('flowcps_jobs', '')"

    /// Active runs with a job that failed for good: a failure whose pause did not commit, or one the reaper made.
    /// Driven from the (few) active runs, each probing its own jobs through `jobs_run`, so the reaper's pass does
    /// not scan the whole job history.
    public static let strandedRuns: SQL = """
        SELECT r.id AS run_id FROM runs r
        WHERE r.state = 'active' AND EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.state = 'failed')
        ORDER BY r.id
        """

    /// A run's first job that failed for good, with its last error.
    public static func firstFailed(runID: Int64) -> SQL {
        """
        SELECT id, stage, step, shard, attempt, errors -> -1 ->> 'error' AS error FROM jobs
        WHERE run_id = \(runID) AND state = 'failed' ORDER BY id LIMIT 1
        """
    }

    // MARK: What the dashboard and /metrics read (docs/dashboard.md)

    /// Jobs by stage and state over every run (the queue depth /metrics exports), the runs' own states aside.
    public static let depthByStageState: SQL = """
        SELECT stage, state, count(*) AS jobs FROM jobs GROUP BY stage, state ORDER BY stage, state
        """

    /// Available jobs by stage and priority: `ready` may be claimed now, `backoff` waits for its retry time.
    public static let claimable: SQL = """
        SELECT stage, priority,
               count(*) FILTER (WHERE scheduled_at <= now()) AS ready,
               count(*) FILTER (WHERE scheduled_at > now())  AS backoff,
               coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE scheduled_at <= now())), 0)::double precision
                   AS oldest_ready_seconds
        FROM jobs WHERE state = 'available' GROUP BY stage, priority ORDER BY priority, stage
        """

    /// Running jobs with their run, worker (lease owner), attempt and the age of their last heartbeat.
    public static let runningWithWorkers: SQL = """
        SELECT j.id, r.name AS run, j.stage, j.step, j.shard, j.attempt, j.lease_owner AS worker,
               extract(epoch FROM now() - j.attempted_at)::double precision AS running_seconds,
               extract(epoch FROM now() - coalesce(j.heartbeat_at, j.attempted_at))::double precision AS heartbeat_age_seconds,
               extract(epoch FROM j.lease_expires_at - now())::double precision AS lease_left_seconds
        FROM jobs j JOIN runs r ON r.id = j.run_id
        WHERE j.state = 'running' ORDER BY j.attempted_at, j.id
        """

    /// The `limit` most recent failed attempts (retried or for good) with their error, newest first.
    public static func recentFailures(limit: Int) -> SQL {
        """
        SELECT j.id, r.name AS run, j.stage, j.step, j.shard, j.state, j.max_attempts,
               (e.value ->> 'attempt')::integer AS attempt, e.value ->> 'owner' AS worker, e.value ->> 'error' AS error,
               extract(epoch FROM now() - (e.value ->> 'at')::timestamptz)::double precision AS age_seconds
        FROM jobs j JOIN runs r ON r.id = j.run_id
        CROSS JOIN LATERAL jsonb_array_elements(j.errors) e
        WHERE j.errors <> '[]'::jsonb
        ORDER BY (e.value ->> 'at')::timestamptz DESC, j.id DESC LIMIT \(limit)
        """
    }

    /// Failed attempts, lost leases (attempts the reaper ended) and retries (attempts beyond the first) by stage,
    /// over every job ever run: counters for /metrics.
    public static let attemptCountsByStage: SQL = """
        SELECT stage,
               coalesce(sum(jsonb_array_length(errors)), 0)::bigint AS failed_attempts,
               coalesce(sum((SELECT count(*) FROM jsonb_array_elements(errors) e
                             WHERE e ->> 'error' LIKE 'lease expired%')), 0)::bigint AS lost_leases,
               coalesce(sum(greatest(attempt - 1, 0)), 0)::bigint AS retries,
               count(*) FILTER (WHERE state = 'failed')::bigint AS failed_jobs
        FROM jobs GROUP BY stage ORDER BY stage
        """

    /// The cumulative histogram of completed jobs' durations (claim of the final attempt → completion) by stage:
    /// one row per stage and bucket bound `le` (seconds, `buckets` ascending), plus the count and the sum.
    public static func durationHistogram(buckets: [Double]) -> SQL {
        """
        WITH d AS (
            SELECT stage, extract(epoch FROM finalized_at - attempted_at)::double precision AS seconds
            FROM jobs WHERE state = 'completed' AND attempted_at IS NOT NULL
        )
        SELECT d.stage, b.le, count(*) FILTER (WHERE d.seconds <= b.le) AS below,
               count(*) AS total, sum(d.seconds) AS seconds
        FROM d CROSS JOIN unnest(string_to_array(\(buckets.map { "\($0)" }.joined(separator: ",")), ',')::float8[]) AS b(le)
        GROUP BY d.stage, b.le ORDER BY d.stage, b.le
        """
    }
}
