"""The history of students and their registrations cannot be rewritten, whoever holds a
database connection: the new history tables refuse UPDATE, DELETE and TRUNCATE; a status
record (学籍) is never deleted, and once closed it is history and refuses every change."""

from django.db import migrations

from core.migration_sql import vendor_sql

HISTORY = ["studentchange", "studenthandover", "statusevent", "reviewevent", "idnumberreveal"]

POSTGRES_FORWARD = (
    """
CREATE FUNCTION students_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: history is append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION students_status_record_kept() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statusrecord: a registration is never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.state <> 'active' THEN
        RAISE EXCEPTION 'statusrecord: a closed registration is history and cannot change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER statusrecord_kept BEFORE UPDATE OR DELETE ON students_statusrecord
    FOR EACH ROW EXECUTE FUNCTION students_status_record_kept();
CREATE TRIGGER statusrecord_no_truncate BEFORE TRUNCATE ON students_statusrecord
    FOR EACH STATEMENT EXECUTE FUNCTION students_refuse_change();
"""
    + "".join(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON students_{table} "
        f"FOR EACH ROW EXECUTE FUNCTION students_refuse_change();\n"
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON students_{table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION students_refuse_change();\n"
        for table in HISTORY
    )
)
POSTGRES_BACKWARD = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_append_only ON students_{table};\n"
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON students_{table};\n"
        for table in HISTORY
    )
    + """
DROP TRIGGER IF EXISTS statusrecord_kept ON students_statusrecord;
DROP TRIGGER IF EXISTS statusrecord_no_truncate ON students_statusrecord;
DROP FUNCTION IF EXISTS students_status_record_kept();
DROP FUNCTION IF EXISTS students_refuse_change();
"""
)

SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_append_only_{op.lower()} BEFORE {op} ON students_{table} "
    f"BEGIN SELECT RAISE(ABORT, '{table}: history is append-only'); END;"
    for table in HISTORY
    for op in ("UPDATE", "DELETE")
] + [
    "CREATE TRIGGER statusrecord_kept_delete BEFORE DELETE ON students_statusrecord "
    "BEGIN SELECT RAISE(ABORT, 'statusrecord: a registration is never deleted'); END;",
    "CREATE TRIGGER statusrecord_kept_update BEFORE UPDATE ON students_statusrecord "
    "WHEN OLD.state <> 'active' "
    "BEGIN SELECT RAISE(ABORT, 'statusrecord: a closed registration is history and cannot "
    "change'); END;",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {table}_append_only_{op.lower()};"
    for table in HISTORY
    for op in ("UPDATE", "DELETE")
] + [
    "DROP TRIGGER IF EXISTS statusrecord_kept_delete;",
    "DROP TRIGGER IF EXISTS statusrecord_kept_update;",
]


class Migration(migrations.Migration):
    dependencies = [("students", "0007_history_of_people_and_records")]

    operations = [
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
