-- Least privilege (docs/operations.md, "Roles"). Three roles share the database:
--   * the owner, who runs `flowcps db migrate` (DDL) and nothing else;
--   * flowcps_worker: workers and the run/schedule commands; it reads and writes the pipeline's rows, and may not
--     create, alter or drop anything, nor create roles;
--   * flowcps_reader: analysts; it reads the views (0002) with bounded connections, statements and transactions.
-- Nobody else may create objects in this schema or temporary tables: a function planted in a schema on the
-- search path could otherwise stand in for a built-in the owner calls (CVE-2018-1058; the default before
-- PostgreSQL 15 lets every role create in `public`). Roles belong to the whole cluster: they are made once, and a
-- migrating user who may not create roles or change them skips that part with a notice (a DBA does it).
DO $$
DECLARE
    s text := current_schema();
BEGIN
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', s);
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    -- Large objects are written outside every table, by any role, unless PUBLIC loses these functions.
    BEGIN
        REVOKE EXECUTE ON FUNCTION pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_create(oid),
            pg_catalog.lo_creat(integer), pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid) FROM PUBLIC;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'large-object functions left executable: % does not own them', current_user;
    END;

    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_worker') THEN
        BEGIN
            CREATE ROLE flowcps_worker LOGIN NOINHERIT NOCREATEROLE NOCREATEDB CONNECTION LIMIT 256;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'flowcps_worker not created: % may not create roles', current_user;
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_worker') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowcps_worker', s);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.runs, %I.jobs, %I.stage_barriers, %I.checkpoints, '
                       '%I.samples, %I.trajectories, %I.rewards, %I.metrics, %I.eval_samples, %I.schedules '
                       'TO flowcps_worker', VARIADIC array_fill(s, ARRAY[10]));
        EXECUTE format('GRANT SELECT ON %I.schema_migrations TO flowcps_worker', s);
        EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO flowcps_worker', s);
        EXECUTE format('GRANT SELECT ON %I.reward_curve, %I.eval_curve, %I.eval_rewards, %I.prompt_progress, '
                       '%I.stage_timings, %I.step_timings, %I.queue_depth, %I.run_overview, %I.run_metrics, '
                       '%I.schedule_overview TO flowcps_worker', VARIADIC array_fill(s, ARRAY[10]));
    END IF;

    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'flowcps_reader') THEN
        BEGIN
            ALTER ROLE flowcps_reader CONNECTION LIMIT 8;
            ALTER ROLE flowcps_reader SET statement_timeout = '60s';
            ALTER ROLE flowcps_reader SET idle_in_transaction_session_timeout = '60s';
            ALTER ROLE flowcps_reader SET idle_session_timeout = '1h';
            ALTER ROLE flowcps_reader SET temp_file_limit = '1GB';
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'flowcps_reader limits not set: % may not alter roles', current_user;
        END;
    END IF;
END
$$;
