-- External rewards (docs/external-rewards.md). A run file may declare a reward `external: true`; each rollout shard
-- then gets one job of stage `reward` per external reward, which no Swift worker claims. Any process, in any
-- language, serves it through the five functions below, as the role `flowcps_reward_worker`, which may call them and
-- nothing else: it cannot read a table, a checkpoint or another job's images, and can write nothing but the reward
-- rows of a job it holds. The functions keep the queue's rules: a claim is one `FOR UPDATE SKIP LOCKED` statement;
-- the lease is extended by heartbeats and reaped like any other when they stop; completion is fenced by the claim's
-- token (a fresh one per attempt) and writes the rewards, completes the job and arrives at the step's score barrier
-- in one transaction, enqueuing the advantage job when it is the last arrival, exactly as a Swift score job does.
-- Errors a worker must tell apart carry their own SQLSTATE: FL001 the lease is lost (drop the job), FL002 the
-- scores are malformed (a bug in the worker: the job is not completed).
--
-- The lease owner of an external attempt is `reward:<worker>:<sha256 of the token>`; only the holder of the token
-- (returned once, by the claim) can act on the job.

-- The running `reward` job `job_id` if `token` holds it, locked; raises FL001 otherwise. Not callable by workers.
CREATE FUNCTION flowcps_reward_held(job_id bigint, token text) RETURNS jobs
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs;
BEGIN
    SELECT * INTO j FROM jobs
    WHERE id = job_id AND stage = 'reward' AND state = 'running'
      AND lease_owner LIKE 'reward:%'
      AND pg_catalog.right(lease_owner, 64) = pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), 'hex')
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lease lost on reward job %: it was reaped, cancelled or completed; drop it', job_id
            USING ERRCODE = 'FL001';
    END IF;
    RETURN j;
END
$$;

-- Claims the next available job of one of `rewards` (highest priority first) for `lease_seconds`. Returns no row when
-- none is claimable. `token` fences every later call for this attempt; `prompts` are the shard's prompt indices.
CREATE FUNCTION flowcps_reward_claim(worker text, rewards text[], lease_seconds double precision DEFAULT 60)
RETURNS TABLE (job_id bigint, token text, attempt integer, run text, step integer, shard integer, reward text,
               samples integer, lease_expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    t text := pg_catalog.gen_random_uuid()::text;
BEGIN
    IF worker IS NULL OR pg_catalog.length(worker) NOT BETWEEN 1 AND 64 OR worker LIKE '%:%' THEN
        RAISE EXCEPTION 'worker name must be 1 to 64 characters without ":", got %', pg_catalog.quote_nullable(worker)
            USING ERRCODE = '22023';
    END IF;
    IF lease_seconds IS NULL OR lease_seconds < 5 OR lease_seconds > 3600 THEN
        RAISE EXCEPTION 'lease_seconds must be in [5, 3600], got %', lease_seconds USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT j.id FROM jobs j
        WHERE j.state = 'available' AND j.scheduled_at <= pg_catalog.now() AND j.stage = 'reward'
          AND (j.args ->> 'reward') = ANY (rewards)
        ORDER BY j.priority, j.scheduled_at, j.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE jobs j
        SET state = 'running', attempt = j.attempt + 1,
            lease_owner = 'reward:' || worker || ':'
                          || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(t, 'UTF8')), 'hex'),
            lease_expires_at = pg_catalog.now() + pg_catalog.make_interval(secs => lease_seconds),
            heartbeat_at = pg_catalog.now(), attempted_at = pg_catalog.now()
        FROM picked WHERE j.id = picked.id
        RETURNING j.id, j.attempt, j.run_id, j.step, j.shard, j.args, j.lease_expires_at)
    SELECT c.id, t, c.attempt::integer, r.name, c.step, c.shard, c.args ->> 'reward',
           (SELECT pg_catalog.count(*)::integer FROM samples s
            WHERE s.run_id = c.run_id AND s.step = c.step
              AND s.prompt_index IN (SELECT pg_catalog.jsonb_array_elements_text(c.args -> 'prompts')::integer)),
           c.lease_expires_at
    FROM claimed c JOIN runs r ON r.id = c.run_id;
END
$$;

-- The images and prompts of a held job, ordered by (prompt_index, sample_index).
CREATE FUNCTION flowcps_reward_samples(job_id bigint, token text)
RETURNS TABLE (prompt_index integer, sample_index integer, line integer, prompt text, png bytea)
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs := flowcps_reward_held(job_id, token);
BEGIN
    RETURN QUERY
    SELECT s.prompt_index, s.sample_index, s.line, s.prompt, s.png FROM samples s
    WHERE s.run_id = j.run_id AND s.step = j.step
      AND s.prompt_index IN (SELECT pg_catalog.jsonb_array_elements_text(j.args -> 'prompts')::integer)
    ORDER BY s.prompt_index, s.sample_index;
END
$$;

-- Extends the lease of a held job by `lease_seconds`; raises FL001 when it is lost.
CREATE FUNCTION flowcps_reward_heartbeat(job_id bigint, token text, lease_seconds double precision DEFAULT 60)
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs := flowcps_reward_held(job_id, token);
    expires timestamptz;
BEGIN
    IF lease_seconds IS NULL OR lease_seconds < 5 OR lease_seconds > 3600 THEN
        RAISE EXCEPTION 'lease_seconds must be in [5, 3600], got %', lease_seconds USING ERRCODE = '22023';
    END IF;
    UPDATE jobs SET lease_expires_at = pg_catalog.now() + pg_catalog.make_interval(secs => lease_seconds),
                    heartbeat_at = pg_catalog.now()
    WHERE id = j.id
    RETURNING lease_expires_at INTO expires;
    RETURN expires;
END
$$;

-- Completes a held job: one value per sample of the job (parallel arrays, every (prompt_index, sample_index) of
-- `flowcps_reward_samples` exactly once, finite values), written as `rewards` rows under the job's reward name;
-- then the job is completed and arrives at the step's score barrier, and the last arrival enqueues the advantage
-- job (held when the run is paused), as the Swift score job does. Raises FL001 when the lease is lost, FL002 when
-- the scores do not match the job's samples; either way nothing is written.
CREATE FUNCTION flowcps_reward_complete(job_id bigint, token text, prompt_indices integer[], sample_indices integer[],
                                        reward_values double precision[])
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs := flowcps_reward_held(job_id, token);
    run_state text;
    expected integer;
    given integer;
    matched integer;
    last boolean;
BEGIN
    -- The run row is shared-locked as a Swift completion does: pause and cancel wait for this transaction.
    SELECT r.state INTO run_state FROM runs r WHERE r.id = j.run_id FOR SHARE;
    SELECT pg_catalog.count(*) INTO expected FROM samples s
    WHERE s.run_id = j.run_id AND s.step = j.step
      AND s.prompt_index IN (SELECT pg_catalog.jsonb_array_elements_text(j.args -> 'prompts')::integer);
    given := pg_catalog.cardinality(reward_values);
    IF given IS NULL OR pg_catalog.cardinality(prompt_indices) IS DISTINCT FROM given
       OR pg_catalog.cardinality(sample_indices) IS DISTINCT FROM given THEN
        RAISE EXCEPTION 'reward job %: prompt_indices, sample_indices and reward_values must have one entry per sample',
            job_id USING ERRCODE = 'FL002';
    END IF;
    IF given <> expected THEN
        RAISE EXCEPTION 'reward job %: % values for % samples', job_id, given, expected USING ERRCODE = 'FL002';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.unnest(reward_values) v(x)
               WHERE x IS NULL OR x IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)) THEN
        RAISE EXCEPTION 'reward job %: every value must be a finite number', job_id USING ERRCODE = 'FL002';
    END IF;
    SELECT pg_catalog.count(DISTINCT (u.p, u.s)) INTO matched
    FROM ROWS FROM (pg_catalog.unnest(prompt_indices), pg_catalog.unnest(sample_indices)) u(p, s)
    JOIN samples sm ON sm.run_id = j.run_id AND sm.step = j.step AND sm.prompt_index = u.p AND sm.sample_index = u.s
    WHERE u.p IN (SELECT pg_catalog.jsonb_array_elements_text(j.args -> 'prompts')::integer);
    IF matched <> expected THEN
        RAISE EXCEPTION 'reward job %: the (prompt_index, sample_index) pairs are not the job''s samples, each once',
            job_id USING ERRCODE = 'FL002';
    END IF;

    INSERT INTO rewards (run_id, step, prompt_index, sample_index, name, value)
    SELECT j.run_id, j.step, u.p, u.s, j.args ->> 'reward', u.v
    FROM ROWS FROM (pg_catalog.unnest(prompt_indices), pg_catalog.unnest(sample_indices),
                   pg_catalog.unnest(reward_values)) u(p, s, v);

    UPDATE jobs SET state = 'completed', finalized_at = pg_catalog.now(), lease_owner = NULL, lease_expires_at = NULL
    WHERE id = j.id;

    UPDATE stage_barriers b SET arrived = b.arrived + 1
    WHERE b.run_id = j.run_id AND b.step = j.step AND b.stage = 'score'
    RETURNING b.arrived = b.expected INTO last;
    IF last IS NULL THEN
        RAISE EXCEPTION 'no score barrier for run % step %', j.run_id, j.step;
    END IF;
    IF last THEN
        -- The advantage job as `PipelineStage.advantage.job` writes it (priority 1, 5 attempts, its dedupe key).
        INSERT INTO jobs (run_id, stage, step, shard, state, priority, max_attempts, args, dedupe_key, scheduled_at)
        VALUES (j.run_id, 'advantage', j.step, 0, CASE WHEN run_state = 'paused' THEN 'pending' ELSE 'available' END,
                1, 5, '{}', 'advantage:' || j.run_id || ':' || j.step || ':0', pg_catalog.now())
        ON CONFLICT (dedupe_key) DO NOTHING;
        PERFORM pg_catalog.pg_notify('flowcps_jobs', '');
    END IF;
    RETURN last;
END
$$;

-- Gives up on a held job: `error` joins the job's history; it is retried after the queue's backoff, or fails for
-- good (pausing its run, as any failed job does) once its attempts are spent or when `permanent`. Returns the job's
-- new state ('available' or 'failed').
CREATE FUNCTION flowcps_reward_fail(job_id bigint, token text, error text, permanent boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs := flowcps_reward_held(job_id, token);
    new_state text;
BEGIN
    UPDATE jobs SET
        state = CASE WHEN attempt >= max_attempts OR permanent THEN 'failed' ELSE 'available' END,
        finalized_at = CASE WHEN attempt >= max_attempts OR permanent THEN pg_catalog.now() END,
        -- The queue's backoff: min(600 s, 2 s · 2^(attempt−1)) · U(0.9, 1.1) (JobStatements.fail).
        scheduled_at = pg_catalog.now() + pg_catalog.make_interval(secs => least(600::float8,
            2::float8 * pg_catalog.power(2::float8, (greatest(attempt, 1) - 1)::float8))
            * (0.9::float8 + 0.2::float8 * pg_catalog.random())),
        errors = errors || pg_catalog.jsonb_build_object('attempt'::text, attempt, 'at'::text, pg_catalog.now(),
                                                         'owner'::text, lease_owner,
                                                         'error'::text, pg_catalog.left(coalesce(error, ''), 2000)),
        lease_owner = NULL, lease_expires_at = NULL
    WHERE id = j.id
    RETURNING state INTO new_state;
    RETURN new_state;
END
$$;

-- Hands a held job back unfinished (a worker shutting down before it scored): claimable at once, the attempt not
-- counted.
CREATE FUNCTION flowcps_reward_release(job_id bigint, token text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER VOLATILE AS $$
DECLARE
    j jobs := flowcps_reward_held(job_id, token);
BEGIN
    UPDATE jobs SET state = 'available', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
                    scheduled_at = pg_catalog.now()
    WHERE id = j.id;
END
$$;

-- External rewards of active runs and whether a worker serves them: jobs waiting to be claimed, running, the
-- oldest wait, and the last claim. `run status`, the report and the dashboard say "waiting for external reward
-- NAME: no claim for N s" from it.
CREATE VIEW external_reward_waits AS
SELECT r.name AS run, j.run_id, j.args ->> 'reward' AS reward,
       count(*) FILTER (WHERE j.state = 'available') AS waiting,
       count(*) FILTER (WHERE j.state = 'running') AS running,
       count(*) FILTER (WHERE j.state = 'completed') AS completed,
       extract(epoch FROM now() - min(j.scheduled_at) FILTER (WHERE j.state = 'available'))::float8 AS oldest_wait_seconds,
       max(j.attempted_at) AS last_claim_at
FROM jobs j JOIN runs r ON r.id = j.run_id
WHERE j.stage = 'reward' AND r.state IN ('active', 'paused')
GROUP BY r.name, j.run_id, j.args ->> 'reward';

DO $$
DECLARE
    s text := current_schema();
    f text;
BEGIN
    -- SECURITY DEFINER functions run as the owner: pin their search path so nothing planted elsewhere stands in
    -- for a table or a built-in (audit H1), and let nobody but the roles below call them.
    FOREACH f IN ARRAY ARRAY['flowcps_reward_held(bigint, text)',
                             'flowcps_reward_claim(text, text[], double precision)',
                             'flowcps_reward_samples(bigint, text)',
                             'flowcps_reward_heartbeat(bigint, text, double precision)',
                             'flowcps_reward_complete(bigint, text, integer[], integer[], double precision[])',
                             'flowcps_reward_fail(bigint, text, text, boolean)',
                             'flowcps_reward_release(bigint, text)'] LOOP
        EXECUTE format('ALTER FUNCTION %I.%s SET search_path = pg_catalog, %I', s, f, s);
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %I.%s FROM PUBLIC', s, f);
    END LOOP;

    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_reward_worker') THEN
        BEGIN
            CREATE ROLE flowcps_reward_worker LOGIN NOINHERIT NOCREATEROLE NOCREATEDB CONNECTION LIMIT 64;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'flowcps_reward_worker not created: % may not create roles', current_user;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_reward_worker') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowcps_reward_worker', s);
        FOREACH f IN ARRAY ARRAY['flowcps_reward_claim(text, text[], double precision)',
                                 'flowcps_reward_samples(bigint, text)',
                                 'flowcps_reward_heartbeat(bigint, text, double precision)',
                                 'flowcps_reward_complete(bigint, text, integer[], integer[], double precision[])',
                                 'flowcps_reward_fail(bigint, text, text, boolean)',
                                 'flowcps_reward_release(bigint, text)'] LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %I.%s TO flowcps_reward_worker', s, f);
        END LOOP;
        BEGIN
            ALTER ROLE flowcps_reward_worker SET statement_timeout = '300s';
            ALTER ROLE flowcps_reward_worker SET idle_in_transaction_session_timeout = '300s';
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'flowcps_reward_worker limits not set: % may not alter roles', current_user;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_worker') THEN
        EXECUTE format('GRANT SELECT ON %I.external_reward_waits TO flowcps_worker', s);
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_reader') THEN
        EXECUTE format('GRANT SELECT ON %I.external_reward_waits TO flowcps_reader', s);
    END IF;
END
$$;
