"""A cooperative major that an integration class trains in cannot be removed from its
pairing, whoever deletes it (the service refuses too, with a message)."""

from django.db import migrations

from core.migration_sql import vendor_sql

POSTGRES_FORWARD = """
CREATE FUNCTION schools_cooperative_major_in_use() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM schools_integrationclass c
                WHERE c.pairing_id = OLD.pairing_id AND c.major_id = OLD.major_id) THEN
        RAISE EXCEPTION 'cooperative_major_in_use: an integration class trains in this major'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER cooperative_major_in_use
    BEFORE DELETE OR UPDATE OF pairing_id, major_id ON schools_cooperativemajor
    FOR EACH ROW EXECUTE FUNCTION schools_cooperative_major_in_use();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS cooperative_major_in_use ON schools_cooperativemajor;
DROP FUNCTION IF EXISTS schools_cooperative_major_in_use();
"""
_IN_USE = """EXISTS (SELECT 1 FROM schools_integrationclass c
                     WHERE c.pairing_id = OLD.pairing_id AND c.major_id = OLD.major_id)"""
_MESSAGE = "cooperative_major_in_use: an integration class trains in this major"
SQLITE_FORWARD = [
    f"CREATE TRIGGER cooperative_major_in_use_delete BEFORE DELETE ON schools_cooperativemajor "
    f"WHEN {_IN_USE} BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END;",
    f"CREATE TRIGGER cooperative_major_in_use_update "
    f"BEFORE UPDATE OF pairing_id, major_id ON schools_cooperativemajor "
    f"WHEN {_IN_USE} BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cooperative_major_in_use_delete;",
    "DROP TRIGGER IF EXISTS cooperative_major_in_use_update;",
]


class Migration(migrations.Migration):
    dependencies = [("schools", "0002_pairing_and_class_triggers")]

    operations = [
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
