"""TRUNCATE fires no row triggers, so the append-only history refused UPDATE and DELETE but
could still be emptied at a stroke: every append-only table of the workflow now refuses it
too (the function is the one of 0002)."""

from django.db import migrations

from core.migration_sql import vendor_sql

TABLES = ["applicationevent", "scorecorrection", "policyevent", "resultsversion", "allocation"]


class Migration(migrations.Migration):
    dependencies = [("transfers", "0013_application_choices")]

    operations = [
        vendor_sql(
            postgres="".join(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON transfers_{table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION transfers_refuse_change();\n"
                for table in TABLES
            ),
            postgres_reverse="".join(
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON transfers_{table};\n"
                for table in TABLES
            ),
            # SQLite has no TRUNCATE: its DELETE FROM fires the row triggers already there.
            sqlite=[],
            sqlite_reverse=[],
        )
    ]
