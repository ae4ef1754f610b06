"""The workflow's history cannot be rewritten, whoever holds a database connection.

ApplicationEvent and ScoreCorrection refuse UPDATE and DELETE, and an approved policy
version refuses changes to its content (rule 9: what the bureau approved is what applies);
only its state may still move on (approved → published → superseded).
"""

from django.db import migrations

from core.migration_sql import vendor_sql

POSTGRES_FORWARD = """
CREATE FUNCTION transfers_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: history is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER applicationevent_append_only BEFORE UPDATE OR DELETE ON transfers_applicationevent
    FOR EACH ROW EXECUTE FUNCTION transfers_refuse_change();
CREATE TRIGGER scorecorrection_append_only BEFORE UPDATE OR DELETE ON transfers_scorecorrection
    FOR EACH ROW EXECUTE FUNCTION transfers_refuse_change();

CREATE FUNCTION transfers_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state IN ('approved', 'published', 'superseded') AND (
        NEW.window_opens IS DISTINCT FROM OLD.window_opens
        OR NEW.window_closes IS DISTINCT FROM OLD.window_closes
        OR NEW.min_first_semester_credits IS DISTINCT FROM OLD.min_first_semester_credits
        OR NEW.notice_days IS DISTINCT FROM OLD.notice_days
        OR NEW.cohort_year IS DISTINCT FROM OLD.cohort_year
        OR NEW.pilot_area_id IS DISTINCT FROM OLD.pilot_area_id
        OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.approved_by_id IS DISTINCT FROM OLD.approved_by_id
        OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
        OR NEW.state IN ('draft', 'pending', 'returned')
    ) THEN
        RAISE EXCEPTION 'policy_frozen: an approved policy version cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER policy_frozen BEFORE UPDATE ON transfers_transferpolicy
    FOR EACH ROW EXECUTE FUNCTION transfers_policy_frozen();

CREATE FUNCTION transfers_policy_content_frozen() RETURNS trigger AS $$
DECLARE
    policy_state text;
BEGIN
    SELECT state INTO policy_state FROM transfers_transferpolicy
     WHERE id = COALESCE(NEW.policy_id, OLD.policy_id);
    IF policy_state IN ('approved', 'published', 'superseded') THEN
        RAISE EXCEPTION 'policy_frozen: the standards and seats of an approved policy cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER component_frozen BEFORE INSERT OR UPDATE OR DELETE ON transfers_assessmentcomponent
    FOR EACH ROW EXECUTE FUNCTION transfers_policy_content_frozen();
CREATE TRIGGER quota_frozen BEFORE INSERT OR UPDATE OR DELETE ON transfers_seatquota
    FOR EACH ROW EXECUTE FUNCTION transfers_policy_content_frozen();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS quota_frozen ON transfers_seatquota;
DROP TRIGGER IF EXISTS component_frozen ON transfers_assessmentcomponent;
DROP FUNCTION IF EXISTS transfers_policy_content_frozen();
DROP TRIGGER IF EXISTS policy_frozen ON transfers_transferpolicy;
DROP FUNCTION IF EXISTS transfers_policy_frozen();
DROP TRIGGER IF EXISTS scorecorrection_append_only ON transfers_scorecorrection;
DROP TRIGGER IF EXISTS applicationevent_append_only ON transfers_applicationevent;
DROP FUNCTION IF EXISTS transfers_refuse_change();
"""

SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_append_only_{op.lower()} BEFORE {op} ON transfers_{table} "
    f"BEGIN SELECT RAISE(ABORT, '{table}: history is append-only'); END;"
    for table in ("applicationevent", "scorecorrection")
    for op in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {table}_append_only_{op.lower()};"
    for table in ("applicationevent", "scorecorrection")
    for op in ("UPDATE", "DELETE")
]


class Migration(migrations.Migration):
    dependencies = [("transfers", "0001_initial")]

    operations = [
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
