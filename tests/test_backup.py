"""deploy/backup.sh and deploy/restore.sh, as an operator runs them: a dump of the test
database in the custom format, restored into a new database with the same rows, the
append-only triggers and the app role's grants, and the older dumps pruned to the newest N.

The test's rows are committed (a transactional test) so that pg_dump, another session, sees
them; it connects as the tables' owner, who backs up and restores in production."""

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from db_owner import app_role
from django.conf import settings
from django.db import DatabaseError, connection, connections
from factories import CreditRecordFactory, StatusRecordFactory

from students.models import StatusRecord
from students.services import status_close

pytestmark = [pytest.mark.postgres, pytest.mark.owner]

DEPLOY = Path(settings.BASE_DIR) / "deploy"
COUNTED = [
    "schools_school",
    "students_student",
    "students_statusrecord",
    "students_statusevent",
    "credits_creditrecord",
]
#: Some of the triggers the migrations create (CREATE TRIGGER), history and invariants both.
TRIGGERS = {
    "statusevent_append_only",
    "statusevent_no_truncate",
    "statusrecord_kept",
    "applicationevent_append_only",
    "policyevent_append_only",
    "allocation_append_only",
    "pairing_schools_match",
}


def _script_env() -> dict[str, str]:
    """This test's connection (the owner's) as the scripts' DATABASE_URL; the password, if
    any, apart in PGPASSWORD."""
    params = connection.settings_dict
    host = params.get("HOST") or ""
    port = f":{params['PORT']}" if params.get("PORT") else ""
    user, name = quote(params["USER"], safe=""), quote(params["NAME"], safe="")
    env = {**os.environ, "DATABASE_URL": f"postgres://{user}@{host}{port}/{name}"}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


def _run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own scripts, our own arguments
        ["/bin/bash", str(DEPLOY / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _facts(conn) -> dict:
    with conn.cursor() as cursor:
        counts = {}
        for table in COUNTED:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our table names
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {row[0] for row in cursor.fetchall()}
    return {"counts": counts, "triggers": triggers}


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_with_its_rows_triggers_and_grants(tmp_path):
    records = StatusRecordFactory.create_batch(3)
    CreditRecordFactory.create_batch(2)
    status_close(
        record=records[0],
        state=StatusRecord.State.WITHDRAWN,
        end_date=records[0].start_date,
        reason="退学",
    )
    before = _facts(connection)
    assert before["counts"]["students_statusevent"] >= 1
    assert TRIGGERS - before["triggers"] == set()

    database = connection.settings_dict["NAME"]
    backups = tmp_path / "backups"
    backups.mkdir()
    for old in ("20250101T020000Z", "20250102T020000Z"):  # two older dumps, and another's
        (backups / f"{database}-{old}.dump").write_bytes(b"")
    (backups / "other-20250101T020000Z.dump").write_bytes(b"")
    env = _script_env()

    backup = _run("backup.sh", str(backups), "2", env=env)

    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.parent == backups and dump.stat().st_size > 0
    assert dump.stat().st_mode & 0o077 == 0  # personal data: the owner's eyes only
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [f"{database}-20250102T020000Z.dump", dump.name, "other-20250101T020000Z.dump"]
    )

    restored = f"{database}_restored_{os.getpid()}"[:63]
    try:
        restore = _run("restore.sh", str(dump), restored, env=env)
        assert restore.returncode == 0, restore.stderr
        owner = connections["default"]
        copy = owner.__class__(dict(owner.settings_dict, NAME=restored), alias="restored")
        try:
            assert _facts(copy) == before
            with copy.cursor() as cursor:
                with pytest.raises(DatabaseError, match="append-only"):  # autocommit: no undo
                    cursor.execute("DELETE FROM students_statusevent")
                if app_role():
                    cursor.execute(
                        "SELECT has_table_privilege(%s, 'students_statusevent', 'INSERT'), "
                        "has_table_privilege(%s, 'students_statusevent', 'UPDATE')",
                        [app_role(), app_role()],
                    )
                    assert cursor.fetchone() == (True, False)
        finally:
            copy.close()
        again = _run("restore.sh", str(dump), restored, env=env)  # never over one that exists
        assert again.returncode != 0
        assert "already exists" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
