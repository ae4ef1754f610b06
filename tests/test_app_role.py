"""The audit trail cannot be rewritten with the app's own credentials (issue 13, finding 5).

The app connects as a role that owns no table; each way of rewriting history that worked as
the owner is refused to it: UPDATE, DELETE and TRUNCATE of the history, disabling a trigger,
``session_replication_role = replica``, deleting or rewriting a status record. The owner, who
may do DDL, still meets the triggers: they refuse TRUNCATE and every change of a row."""

import os

import pytest
from db_owner import app_role, owner_connection
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from factories import StatusRecordFactory

from core.db_roles import app_privileges_by_table
from students.models import StatusEvent, StatusRecord
from students.services import status_close

pytestmark = pytest.mark.postgres

#: Every table the database keeps append-only.
APPEND_ONLY = sorted(
    table
    for table, privileges in app_privileges_by_table().items()
    if privileges == ("SELECT", "INSERT")
)


def _refused(sql: str, params=()) -> str:
    """Run ``sql`` in a savepoint; return the database's refusal (and fail if it ran)."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(refusal.value)


def test_the_history_tables_are_the_ones_expected():
    assert {
        "transfers_applicationevent",
        "transfers_policyevent",
        "transfers_scorecorrection",
        "transfers_resultsversion",
        "transfers_allocation",
        "students_studentchange",
        "students_studenthandover",
        "students_statusevent",
        "students_reviewevent",
        "students_idnumberreveal",
    } <= set(APPEND_ONLY)


@pytest.mark.django_db
def test_the_suite_runs_as_a_role_that_owns_nothing():
    if not app_role():
        if os.environ.get("REQUIRE_APP_ROLE") == "1":
            pytest.fail("REQUIRE_APP_ROLE=1 but DATABASE_APP_ROLE is not set", pytrace=False)
        pytest.skip("DATABASE_APP_ROLE is not set: the suite runs as the tables' owner")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = current_user"
        )
        user, superuser, createrole, createdb = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
            [user],
        )
        owned = cursor.fetchone()[0]
    assert user == settings.DATABASE_APP_ROLE
    assert (superuser, createrole, createdb, owned) == (False, False, False, 0)


@pytest.mark.django_db
def test_as_the_app_role_every_rewrite_is_refused():
    if not app_role():
        pytest.skip("DATABASE_APP_ROLE is not set")
    record = StatusRecordFactory()
    status_close(
        record=record,
        state=StatusRecord.State.WITHDRAWN,
        end_date=record.start_date,
        reason="退学",
        actor=None,
    )
    assert StatusEvent.objects.filter(record=record).exists()
    for table in APPEND_ONLY:
        assert "permission denied" in _refused(f"UPDATE {table} SET id = id")  # noqa: S608
        assert "permission denied" in _refused(f"DELETE FROM {table}")  # noqa: S608
        assert "permission denied" in _refused(f"TRUNCATE {table}")
        assert "must be owner" in _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    assert "permission denied" in _refused("SET session_replication_role = replica")
    assert "permission denied" in _refused("DELETE FROM students_statusrecord")
    assert "permission denied" in _refused("TRUNCATE students_statusrecord")
    assert "must be owner" in _refused("ALTER TABLE students_statusrecord DISABLE TRIGGER ALL")
    # The app may still correct an active registration, but a closed one is history.
    assert "closed registration is history" in _refused(
        "UPDATE students_statusrecord SET reason = 'rewritten' WHERE id = %s", [record.pk]
    )
    assert "must be owner" in _refused("DROP TRIGGER statusrecord_kept ON students_statusrecord")


@pytest.mark.django_db(transaction=True)
def test_even_the_owner_meets_the_triggers():
    """Written and committed first, so the owner's own connection sees the rows."""
    record = StatusRecordFactory()
    status_close(
        record=record,
        state=StatusRecord.State.WITHDRAWN,
        end_date=record.start_date,
        reason="退学",
        actor=None,
    )
    with owner_connection() as owner, owner.cursor() as cursor:
        for sql in [
            *(f"TRUNCATE {table} CASCADE" for table in APPEND_ONLY),
            "TRUNCATE students_statusrecord CASCADE",
            "UPDATE students_statusevent SET comment = 'rewritten'",
            "DELETE FROM students_statusevent",
            f"UPDATE students_statusrecord SET reason = 'x' WHERE id = {record.pk}",  # noqa: S608
            f"DELETE FROM students_statusrecord WHERE id = {record.pk}",  # noqa: S608
        ]:
            with pytest.raises(DatabaseError) as refusal:
                cursor.execute("BEGIN")
                try:
                    cursor.execute(sql)
                finally:
                    cursor.execute("ROLLBACK")
            assert "history" in str(refusal.value) or "never deleted" in str(refusal.value), sql
