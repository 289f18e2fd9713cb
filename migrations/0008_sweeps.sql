-- Sweeps (docs/sweeps.md): a named set of runs submitted together from one sweep file, one run per point of a grid
-- or list of field overrides and per seed. The runs are ordinary runs (workers do not know sweeps); these rows only
-- group them and say which overrides made each.
CREATE TABLE sweeps (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    file       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

CREATE TABLE sweep_runs (
    sweep_id   bigint NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    run_id     bigint NOT NULL UNIQUE REFERENCES runs (id) ON DELETE CASCADE,
    point      integer NOT NULL CHECK (point >= 1),
    seed       bigint NOT NULL,
    overrides  text NOT NULL,
    PRIMARY KEY (sweep_id, point, seed)
);

-- Each run of each sweep with its point, seed and overrides, its progress, and its first and latest complete
-- evaluation (overall strict with its standard error, from the metrics the eval stage writes).
CREATE VIEW sweep_overview AS
SELECT s.name AS sweep, r.name AS run, sr.run_id, sr.point, sr.seed, sr.overrides, r.state, r.version AS steps_done,
       r.steps, f.step AS first_eval_step, f.value AS first_strict, l.step AS last_eval_step, l.value AS last_strict,
       (SELECT m.value FROM metrics m WHERE m.run_id = sr.run_id AND m.step = l.step AND m.name = 'eval.strict_se')
           AS last_strict_se
FROM sweeps s
JOIN sweep_runs sr ON sr.sweep_id = s.id
JOIN runs r ON r.id = sr.run_id
LEFT JOIN LATERAL (SELECT m.step, m.value FROM metrics m WHERE m.run_id = sr.run_id AND m.name = 'eval.strict'
                   ORDER BY m.step LIMIT 1) f ON true
LEFT JOIN LATERAL (SELECT m.step, m.value FROM metrics m WHERE m.run_id = sr.run_id AND m.name = 'eval.strict'
                   ORDER BY m.step DESC LIMIT 1) l ON true;

DO $$
DECLARE
    s text := current_schema();
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_worker') THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.sweeps, %I.sweep_runs TO flowcps_worker', s, s);
        EXECUTE format('GRANT USAGE ON %I.sweeps_id_seq TO flowcps_worker', s);
        EXECUTE format('GRANT SELECT ON %I.sweep_overview TO flowcps_worker', s);
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_reader') THEN
        EXECUTE format('GRANT SELECT ON %I.sweep_overview TO flowcps_reader', s);
    END IF;
END
$$;
