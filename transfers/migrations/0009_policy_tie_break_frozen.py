"""The tie-break is part of a policy: existing versions ranked ties by the earlier
submission, which is what they now say; and an approved version's tie-break is frozen with
the rest of what the bureau approved (PostgreSQL's trigger of 0002, one column more)."""

from django.db import migrations

from core.migration_sql import vendor_sql

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION transfers_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state IN ('approved', 'published', 'superseded') AND (
        NEW.window_opens IS DISTINCT FROM OLD.window_opens
        OR NEW.window_closes IS DISTINCT FROM OLD.window_closes
        OR NEW.min_first_semester_credits IS DISTINCT FROM OLD.min_first_semester_credits
        OR NEW.notice_days IS DISTINCT FROM OLD.notice_days
        OR NEW.tie_break::text IS DISTINCT FROM OLD.tie_break::text
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
"""

POSTGRES_BACKWARD = """
CREATE OR REPLACE FUNCTION transfers_policy_frozen() RETURNS trigger AS $$
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
"""


def by_earlier_submission(apps, schema_editor):
    TransferPolicy = apps.get_model("transfers", "TransferPolicy")
    TransferPolicy.objects.filter(tie_break__isnull=True).update(tie_break=[])


class Migration(migrations.Migration):
    dependencies = [("transfers", "0008_policy_tie_break")]

    operations = [
        migrations.RunPython(by_earlier_submission, migrations.RunPython.noop, elidable=False),
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=[],
            sqlite_reverse=[],
        ),
    ]
