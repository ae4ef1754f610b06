"""Triggers for the invariants a CHECK cannot see because they span two tables.

- A pairing joins a general and a vocational school, both pilot schools of the pairing's own
  area (rule 2); a school that is paired cannot change kind or area underneath its pairing.
- An integration class is hosted by one of its pairing's schools and trains in one of the
  pairing's cooperative majors.

Both engines get the same rules: PostgreSQL raises check_violation (an IntegrityError to
Django), SQLite aborts with RAISE(ABORT), which is also an IntegrityError.
"""

from django.db import migrations

from core.migration_sql import vendor_sql

POSTGRES_FORWARD = """
CREATE FUNCTION schools_pairing_schools_match() RETURNS trigger AS $$
BEGIN
    -- FOR SHARE: nobody may change either school's kind or area until we commit.
    PERFORM 1 FROM schools_school
     WHERE id IN (NEW.general_school_id, NEW.vocational_school_id) FOR SHARE;
    IF NOT EXISTS (SELECT 1 FROM schools_school WHERE id = NEW.general_school_id
                      AND kind = 'general' AND pilot_area_id = NEW.pilot_area_id)
       OR NOT EXISTS (SELECT 1 FROM schools_school WHERE id = NEW.vocational_school_id
                      AND kind = 'vocational' AND pilot_area_id = NEW.pilot_area_id) THEN
        RAISE EXCEPTION 'pairing_schools_match: a pairing joins one general and one vocational '
                        'school of its own pilot area'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER pairing_schools_match BEFORE INSERT OR UPDATE ON schools_pairing
    FOR EACH ROW EXECUTE FUNCTION schools_pairing_schools_match();

CREATE FUNCTION schools_school_keeps_pairings() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM schools_pairing p
                WHERE (p.general_school_id = NEW.id
                       AND (NEW.kind <> 'general' OR NEW.pilot_area_id IS DISTINCT FROM p.pilot_area_id))
                   OR (p.vocational_school_id = NEW.id
                       AND (NEW.kind <> 'vocational' OR NEW.pilot_area_id IS DISTINCT FROM p.pilot_area_id))) THEN
        RAISE EXCEPTION 'pairing_schools_match: school % is paired; its kind and pilot area are fixed', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER school_keeps_pairings BEFORE UPDATE OF kind, pilot_area_id ON schools_school
    FOR EACH ROW EXECUTE FUNCTION schools_school_keeps_pairings();

CREATE FUNCTION schools_integration_class_matches_pairing() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM schools_pairing p
                    WHERE p.id = NEW.pairing_id
                      AND NEW.host_school_id IN (p.general_school_id, p.vocational_school_id))
       OR NOT EXISTS (SELECT 1 FROM schools_cooperativemajor c
                       WHERE c.pairing_id = NEW.pairing_id AND c.major_id = NEW.major_id) THEN
        RAISE EXCEPTION 'integration_class_matches_pairing: an integration class is hosted by '
                        'a school of its pairing and trains in a cooperative major'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER integration_class_matches_pairing BEFORE INSERT OR UPDATE ON schools_integrationclass
    FOR EACH ROW EXECUTE FUNCTION schools_integration_class_matches_pairing();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS integration_class_matches_pairing ON schools_integrationclass;
DROP FUNCTION IF EXISTS schools_integration_class_matches_pairing();
DROP TRIGGER IF EXISTS school_keeps_pairings ON schools_school;
DROP FUNCTION IF EXISTS schools_school_keeps_pairings();
DROP TRIGGER IF EXISTS pairing_schools_match ON schools_pairing;
DROP FUNCTION IF EXISTS schools_pairing_schools_match();
"""

_PAIRING_BAD = """
    NOT EXISTS (SELECT 1 FROM schools_school WHERE id = NEW.general_school_id
                AND kind = 'general' AND pilot_area_id = NEW.pilot_area_id)
    OR NOT EXISTS (SELECT 1 FROM schools_school WHERE id = NEW.vocational_school_id
                   AND kind = 'vocational' AND pilot_area_id = NEW.pilot_area_id)
"""
_SCHOOL_BAD = """
    EXISTS (SELECT 1 FROM schools_pairing p
             WHERE (p.general_school_id = NEW.id
                    AND (NEW.kind <> 'general' OR NEW.pilot_area_id IS NOT p.pilot_area_id))
                OR (p.vocational_school_id = NEW.id
                    AND (NEW.kind <> 'vocational' OR NEW.pilot_area_id IS NOT p.pilot_area_id)))
"""
_CLASS_BAD = """
    NOT EXISTS (SELECT 1 FROM schools_pairing p WHERE p.id = NEW.pairing_id
                AND NEW.host_school_id IN (p.general_school_id, p.vocational_school_id))
    OR NOT EXISTS (SELECT 1 FROM schools_cooperativemajor c
                   WHERE c.pairing_id = NEW.pairing_id AND c.major_id = NEW.major_id)
"""
_PAIRING_MSG = "pairing_schools_match: a pairing joins one general and one vocational school of its own pilot area"
_CLASS_MSG = "integration_class_matches_pairing: an integration class is hosted by a school of its pairing and trains in a cooperative major"

SQLITE_FORWARD = [
    f"CREATE TRIGGER pairing_schools_match_insert BEFORE INSERT ON schools_pairing "
    f"WHEN {_PAIRING_BAD} BEGIN SELECT RAISE(ABORT, '{_PAIRING_MSG}'); END;",
    f"CREATE TRIGGER pairing_schools_match_update BEFORE UPDATE ON schools_pairing "
    f"WHEN {_PAIRING_BAD} BEGIN SELECT RAISE(ABORT, '{_PAIRING_MSG}'); END;",
    f"CREATE TRIGGER school_keeps_pairings BEFORE UPDATE OF kind, pilot_area_id ON schools_school "
    f"WHEN {_SCHOOL_BAD} BEGIN SELECT RAISE(ABORT, '{_PAIRING_MSG}'); END;",
    f"CREATE TRIGGER integration_class_matches_pairing_insert BEFORE INSERT ON schools_integrationclass "
    f"WHEN {_CLASS_BAD} BEGIN SELECT RAISE(ABORT, '{_CLASS_MSG}'); END;",
    f"CREATE TRIGGER integration_class_matches_pairing_update BEFORE UPDATE ON schools_integrationclass "
    f"WHEN {_CLASS_BAD} BEGIN SELECT RAISE(ABORT, '{_CLASS_MSG}'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS pairing_schools_match_insert;",
    "DROP TRIGGER IF EXISTS pairing_schools_match_update;",
    "DROP TRIGGER IF EXISTS school_keeps_pairings;",
    "DROP TRIGGER IF EXISTS integration_class_matches_pairing_insert;",
    "DROP TRIGGER IF EXISTS integration_class_matches_pairing_update;",
]


class Migration(migrations.Migration):
    dependencies = [("schools", "0001_initial")]

    operations = [
        vendor_sql(
            postgres=POSTGRES_FORWARD,
            postgres_reverse=POSTGRES_BACKWARD,
            sqlite=SQLITE_FORWARD,
            sqlite_reverse=SQLITE_BACKWARD,
        )
    ]
