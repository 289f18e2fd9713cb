-- FlowCPS schema: runs, the job queue with its fan-in barriers, and every result as rows (docs/architecture.md §3–4). Blobs are bytea with their sha256, written in the transaction that completes the job.

CREATE TABLE runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    -- The resolved run file (canonical YAML) and its fingerprint (what resuming must match).
    config          text NOT NULL,
    fingerprint     text NOT NULL,
    -- The prompt sets as submitted (category<TAB>prompt lines): workers need no shared files.
    train_prompts   text NOT NULL,
    eval_prompts    text NOT NULL,
    state           text NOT NULL DEFAULT 'active'
                    CHECK (state IN ('active', 'paused', 'cancelled', 'completed', 'failed')),
    reason          text,
    steps           integer NOT NULL CHECK (steps >= 0),
    -- RL steps whose train stage committed: the model version, advanced by compare-and-set.
    version         integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage            text NOT NULL,
    step             integer NOT NULL,
    shard            integer NOT NULL DEFAULT 0,
    -- pending: waits for its run to resume; available: claimable from scheduled_at; running: leased.
    state            text NOT NULL DEFAULT 'available'
                     CHECK (state IN ('pending', 'available', 'running', 'completed', 'failed', 'cancelled')),
    attempt          smallint NOT NULL DEFAULT 0,
    max_attempts     smallint NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    -- Lower runs first: a run's train step is never starved by another run's rollouts.
    priority         smallint NOT NULL DEFAULT 0,
    scheduled_at     timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    heartbeat_at     timestamptz,
    -- Pointers only (step, shard, prompt indices), never tensors.
    args             jsonb NOT NULL DEFAULT '{}',
    errors           jsonb NOT NULL DEFAULT '[]',
    dedupe_key       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempted_at     timestamptz,
    finalized_at     timestamptz,
    CHECK ((state IN ('completed', 'failed', 'cancelled')) = (finalized_at IS NOT NULL)),
    CHECK ((state = 'running') = (lease_owner IS NOT NULL))
);
-- One job per logical key: a replayed enqueue is a no-op.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key);
-- The claim walks only claimable rows; the reaper only leased ones (neither indexes lease_expires_at, so a
-- heartbeat is a HOT update that touches no index).
CREATE INDEX jobs_claim ON jobs (priority, scheduled_at, id) WHERE state = 'available';
CREATE INDEX jobs_running ON jobs (id) WHERE state = 'running';
CREATE INDEX jobs_run ON jobs (run_id, step, stage);
-- A queue table churns: vacuum it early and leave room on each page for HOT updates.
ALTER TABLE jobs SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01,
                      autovacuum_vacuum_threshold = 500, autovacuum_vacuum_cost_delay = 0);

-- Fan-in: the advantage stage of a step starts when all its score shards have arrived.
CREATE TABLE stage_barriers (
    run_id      bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step        integer NOT NULL,
    stage       text NOT NULL,
    expected    integer NOT NULL CHECK (expected > 0),
    arrived     integer NOT NULL DEFAULT 0 CHECK (arrived <= expected),
    PRIMARY KEY (run_id, step, stage)
);

-- By the step they were made at: `policy` (the weights rollouts sample from; step 0 is the base model), `state`
-- (policy + AdamW moments + EMA: what the next train step starts from) and `eval` (the EMA weights, when kept).
CREATE TABLE checkpoints (
    run_id      bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step        integer NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('policy', 'state', 'eval')),
    sha256      text NOT NULL,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step, kind)
);

-- One row per rollout image.
CREATE TABLE samples (
    run_id       bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step         integer NOT NULL,
    prompt_index integer NOT NULL,
    sample_index integer NOT NULL,
    line         integer NOT NULL,
    prompt       text NOT NULL,
    seed         bigint NOT NULL,
    png          bytea NOT NULL,
    reward       double precision,
    advantage    double precision,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step, prompt_index, sample_index)
);

-- The states and old log-probs of each rollout chain; deleted once the train stage has consumed them.
CREATE TABLE trajectories (
    run_id       bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step         integer NOT NULL,
    prompt_index integer NOT NULL,
    sample_index integer NOT NULL,
    states       bytea NOT NULL,
    log_probs    bytea NOT NULL,
    sha256       text NOT NULL,
    PRIMARY KEY (run_id, step, prompt_index, sample_index)
);

-- Rewards in long form: one row per sample and reward name (the weighted total is samples.reward).
CREATE TABLE rewards (
    run_id       bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step         integer NOT NULL,
    prompt_index integer NOT NULL,
    sample_index integer NOT NULL,
    name         text NOT NULL,
    value        double precision NOT NULL,
    PRIMARY KEY (run_id, step, prompt_index, sample_index, name)
);

-- Per-step scalars: objective metrics, advantage statistics, seconds per stage.
CREATE TABLE metrics (
    run_id  bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step    integer NOT NULL,
    name    text NOT NULL,
    value   double precision NOT NULL,
    PRIMARY KEY (run_id, step, name)
);

-- Evaluation images (deterministic ODE, fixed seeds) and their scores, per eval step and eval prompt line.
CREATE TABLE eval_samples (
    run_id    bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step      integer NOT NULL,
    line      integer NOT NULL,
    category  text NOT NULL,
    prompt    text NOT NULL,
    png       bytea NOT NULL,
    strict    boolean,
    rewards   jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, step, line)
);

-- Blobs are already dense (floats, PNG): store them out of line without trying to compress them.
ALTER TABLE checkpoints ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE trajectories ALTER COLUMN states SET STORAGE EXTERNAL;
ALTER TABLE samples ALTER COLUMN png SET STORAGE EXTERNAL;
ALTER TABLE eval_samples ALTER COLUMN png SET STORAGE EXTERNAL;
