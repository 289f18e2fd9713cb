-- Scheduled training pipelines: a run file submitted at every due time of a cron expression (UTC) by whichever
-- worker holds the scheduler's advisory lock. Everything a submission needs is stored here (the resolved run file,
-- its prompt sets and base model), so any worker on any machine can fire it.
CREATE TABLE schedules (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    cron            text NOT NULL,
    config          text NOT NULL,
    train_prompts   text NOT NULL,
    eval_prompts    text NOT NULL,
    base_model      bytea NOT NULL,
    base_sha256     text NOT NULL,
    -- The next due time to fire, and the last one fired with the run it made.
    next_due        timestamptz,
    last_due        timestamptz,
    last_run        text,
    -- Due times that passed while no worker ran, skipped (the newest of them is fired once).
    missed          integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due ON schedules (next_due);
ALTER TABLE schedules ALTER COLUMN base_model SET STORAGE EXTERNAL;

-- What analysts may see of a schedule (not its stored run file or model).
CREATE VIEW schedule_overview AS
SELECT name, cron, next_due, last_due, last_run, missed, created_at FROM schedules;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'flowcps_reader') THEN
        EXECUTE format('GRANT SELECT ON %I.schedule_overview TO flowcps_reader', current_schema());
    END IF;
END
$$;
