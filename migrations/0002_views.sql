-- Views for the questions analysts ask (docs/architecture.md §4, docs/sql.md) and the read-only role that may read
-- them and nothing else. Views run with their owner's rights, so `flowcps_reader` needs no grant on any table:
-- it cannot read the jobs' payloads, checkpoints or trajectories, and cannot write anything.

-- Rollout rewards per run, step and reward name (the weighted total as `total`).
CREATE VIEW reward_curve AS
WITH v AS (
    SELECT run_id, step, name AS reward, value FROM rewards
    UNION ALL
    SELECT run_id, step, 'total', reward FROM samples WHERE reward IS NOT NULL
)
SELECT r.name AS run, v.run_id, v.step, v.reward,
       count(*)                                               AS samples,
       avg(v.value)                                           AS mean,
       coalesce(stddev_pop(v.value), 0)                       AS std,
       min(v.value)                                           AS min,
       percentile_cont(0.1) WITHIN GROUP (ORDER BY v.value)  AS p10,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v.value)  AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY v.value)  AS p90,
       max(v.value)                                           AS max
FROM v JOIN runs r ON r.id = v.run_id
GROUP BY r.name, v.run_id, v.step, v.reward;

-- Evaluation (deterministic ODE, fixed seeds) per run, step and GenEval category, plus `overall`: the mean over
-- categories, as GenEval reports it.
CREATE VIEW eval_curve AS
WITH c AS (
    SELECT run_id, step, category,
           count(*)                                          AS prompts,
           avg(CASE WHEN strict THEN 1.0 ELSE 0.0 END)::double precision AS strict,
           avg((rewards ->> 'accuracy')::double precision)   AS accuracy,
           avg((rewards ->> 'noise')::double precision)      AS noise
    FROM eval_samples
    GROUP BY run_id, step, category
), o AS (
    SELECT run_id, step, 'overall'::text AS category, sum(prompts)::bigint AS prompts,
           avg(strict) AS strict, avg(accuracy) AS accuracy, avg(noise) AS noise
    FROM c
    GROUP BY run_id, step
)
SELECT r.name AS run, x.run_id, x.step, x.category, x.prompts, x.strict, x.accuracy, x.noise
FROM (SELECT * FROM c UNION ALL SELECT * FROM o) x JOIN runs r ON r.id = x.run_id;

-- Every reward of every evaluation image, in long form (the eval stage scores with all the run's rewards).
CREATE VIEW eval_rewards AS
SELECT r.name AS run, e.run_id, e.step, e.line, e.category, e.prompt, kv.key AS reward,
       (kv.value #>> '{}')::double precision AS value
FROM eval_samples e
JOIN runs r ON r.id = e.run_id
CROSS JOIN LATERAL jsonb_each(e.rewards) kv
WHERE jsonb_typeof(kv.value) = 'number';

-- How each training prompt's group fared at each step it was drawn.
CREATE VIEW prompt_progress AS
SELECT r.name AS run, s.run_id, s.line, s.prompt, s.step,
       count(*)                               AS samples,
       avg(s.reward)                          AS mean_reward,
       coalesce(stddev_pop(s.reward), 0)      AS std_reward,
       max(s.reward)                          AS best_reward
FROM samples s JOIN runs r ON r.id = s.run_id
GROUP BY r.name, s.run_id, s.line, s.prompt, s.step;

-- Where a step's time went: per run, step and stage, the jobs, their retries, the wall time of their final
-- attempts, and the workers' own accounts (compute, data writes, queue statements) from `metrics`.
CREATE VIEW stage_timings AS
SELECT r.name AS run, j.run_id, j.step, j.stage,
       count(*)                                                                       AS jobs,
       sum(j.attempt - 1) FILTER (WHERE j.attempt > 0)                                AS retries,
       count(*) FILTER (WHERE j.state = 'completed')                                  AS completed,
       min(j.created_at)                                                              AS first_enqueued,
       max(j.finalized_at)                                                            AS last_finished,
       sum(extract(epoch FROM j.finalized_at - j.attempted_at))
           FILTER (WHERE j.state = 'completed')::double precision                     AS job_seconds,
       (SELECT m.value FROM metrics m
        WHERE m.run_id = j.run_id AND m.step = j.step AND m.name = 'seconds.' || j.stage) AS compute_seconds
FROM jobs j JOIN runs r ON r.id = j.run_id
GROUP BY r.name, j.run_id, j.step, j.stage;

-- Wall time of each RL step (plan enqueued → train committed) beside the time the workers spent in queue
-- statements and in data writes for it.
CREATE VIEW step_timings AS
SELECT r.name AS run, j.run_id, j.step,
       extract(epoch FROM max(j.finalized_at) FILTER (WHERE j.stage = 'train')
                          - min(j.created_at) FILTER (WHERE j.stage = 'plan'))::double precision AS step_seconds,
       (SELECT m.value FROM metrics m WHERE m.run_id = j.run_id AND m.step = j.step AND m.name = 'seconds.queue')
                                                                                   AS queue_seconds,
       (SELECT m.value FROM metrics m WHERE m.run_id = j.run_id AND m.step = j.step AND m.name = 'seconds.write')
                                                                                   AS write_seconds
FROM jobs j JOIN runs r ON r.id = j.run_id
GROUP BY r.name, j.run_id, j.step;

-- Jobs by run, stage and state, right now.
CREATE VIEW queue_depth AS
SELECT r.name AS run, j.run_id, j.stage,
       count(*) FILTER (WHERE j.state = 'pending')    AS pending,
       count(*) FILTER (WHERE j.state = 'available')  AS available,
       count(*) FILTER (WHERE j.state = 'running')    AS running,
       count(*) FILTER (WHERE j.state = 'completed')  AS completed,
       count(*) FILTER (WHERE j.state = 'failed')     AS failed,
       count(*) FILTER (WHERE j.state = 'cancelled')  AS cancelled
FROM jobs j JOIN runs r ON r.id = j.run_id
GROUP BY r.name, j.run_id, j.stage;

-- Runs without their prompt sets: state, progress and timestamps.
CREATE VIEW run_overview AS
SELECT name AS run, id AS run_id, state, reason, version AS steps_done, steps, created_at, updated_at, finished_at
FROM runs;

-- Per-step scalars (objective, advantage statistics, seconds, eval accuracies) as written by the stages.
CREATE VIEW run_metrics AS
SELECT r.name AS run, m.run_id, m.step, m.name, m.value
FROM metrics m JOIN runs r ON r.id = m.run_id;

-- The analysts' role: it may read the views above and nothing else. Roles belong to the whole cluster, so the
-- role is made once (a server where the migrating user may not create roles skips it with a notice).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowcps_reader') THEN
        BEGIN
            CREATE ROLE flowcps_reader LOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'flowcps_reader not created: % may not create roles', current_user;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowcps_reader') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowcps_reader', current_schema());
        EXECUTE format('GRANT SELECT ON %I.reward_curve, %I.eval_curve, %I.eval_rewards, %I.prompt_progress, '
                       '%I.stage_timings, %I.step_timings, %I.queue_depth, %I.run_overview, %I.run_metrics '
                       'TO flowcps_reader', VARIADIC array_fill(current_schema()::text, ARRAY[9]));
    END IF;
END
$$;
