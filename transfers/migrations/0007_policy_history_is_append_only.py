"""A policy's history cannot be rewritten either: PolicyEvent refuses UPDATE and DELETE, as
the application's history does (the function is the one of 0002)."""

from django.db import migrations

from core.migration_sql import vendor_sql

SQLITE_FORWARD = [
    f"CREATE TRIGGER policyevent_append_only_{op.lower()} BEFORE {op} ON transfers_policyevent "
    f"BEGIN SELECT RAISE(ABORT, 'policyevent: history is append-only'); END;"
    for op in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS policyevent_append_only_{op.lower()};" for op in ("UPDATE", "DELETE")
]


class Migration(migrations.Migration):
    dependencies = [("transfers", "0006_policy_history")]

    operations = [
        vendor_sql(
            postgres="""
CREATE TRIGGER policyevent_append_only BEFORE UPDATE OR DELETE ON transfers_policyevent
    FOR EACH ROW EXECUTE FUNCTION transfers_refuse_change();
""",
            postgres_reverse=(
                "DROP TRIGGER IF EXISTS policyevent_append_only ON transfers_policyevent;"
            ),
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
