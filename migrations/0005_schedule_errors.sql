-- Why a schedule last failed to fire (a stored run file or cron expression this build rejects, a name taken):
-- each schedule fires in its own savepoint, so one that cannot fire records its reason here and the others fire.
ALTER TABLE schedules ADD COLUMN last_error text;

CREATE OR REPLACE VIEW schedule_overview AS
SELECT name, cron, next_due, last_due, last_run, missed, created_at, last_error FROM schedules;
