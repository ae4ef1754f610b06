"""Prove that a database made by the old layout migrates forward to this checkout, no data lost.

Models move between apps with state-only migrations that rename tables and rewrite links. A
test database is always built from the current migrations, so nothing else shows that a
database which already holds rows survives the move. This script builds one with the old
commit (a git worktree), seeds it with the demo world, snapshots it with plain SQL, migrates it
with this checkout and compares, on PostgreSQL and on SQLite.

Run it from any checkout with the project's Python: ``.ci/migrate-forward [--engine E]``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg2
import psycopg2.extensions

# What the moves since the old layout changed, kept together so that the next move only has to
# add its lines here. Keys are the old names.

# Tables renamed by a move, old name -> new name.
RENAMED_TABLES: dict[str, str] = {
    "transfers_notification": "notifications_notification",
    "students_importjob": "imports_importjob",
}

# Columns of an old table that the new layout drops on purpose. Any other old column missing
# from the new table is data lost.
DROPPED_COLUMNS: dict[str, set[str]] = {
    # Replaced by the generic link below, which is checked row by row.
    "transfers_notification": {"application_id"},
}

# Text columns that became stored texts (core.stored_text, JSON): each old sentence must be
# kept, word for word, as the new column's literal piece, old column -> new column.
TEXT_TO_STORED: dict[str, dict[str, str]] = {
    "transfers_notification": {"subject": "subject_text", "body": "body_text"},
}

# Models whose content type must now be under another app, (app, model) old -> new. After
# remove_stale_contenttypes the old one must be gone and the new one present.
MOVED_MODELS: dict[tuple[str, str], tuple[str, str]] = {
    ("transfers", "notification"): ("notifications", "notification"),
    ("students", "importjob"): ("imports", "importjob"),
}

# Triggers the new layout removes on purpose, by name. Any other trigger missing afterwards
# is a rule the database no longer enforces.
DROPPED_TRIGGERS: set[str] = set()


@dataclass(frozen=True)
class GenericLink:
    """A foreign key column replaced by a content type and an id (a generic link).

    Its values are compared explicitly: the old id must be the new id, with the new type
    pointing at the model the foreign key pointed at.
    """

    old_column: str
    type_column: str
    id_column: str
    target: tuple[str, str]


# Old table -> the foreign key its rows had, now a generic link.
GENERIC_LINKS: dict[str, GenericLink] = {
    "transfers_notification": GenericLink(
        old_column="application_id",
        type_column="about_type_id",
        id_column="about_id",
        target=("transfers", "application"),
    ),
}

DEFAULT_BASE = "b11643b"
DEFAULT_POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"

# Django's bookkeeping: rewritten by every migrate (migrations, content types, permissions)
# or not data of the project (sessions, admin log). Content types are checked on their own.
SKIPPED_TABLES = {
    "django_migrations",
    "django_session",
    "django_admin_log",
    "django_content_type",
    "auth_permission",
}

# Rows compared per table: this many at each end of the primary key.
SAMPLE_EACH_END = 20

# The append-only history: after the move an UPDATE and a DELETE of one row must still fail.
APPEND_ONLY_TABLE = "transfers_applicationevent"
APPEND_ONLY_STATEMENTS = {
    "UPDATE": "UPDATE transfers_applicationevent SET comment = comment WHERE id = {p}",
    "DELETE": "DELETE FROM transfers_applicationevent WHERE id = {p}",
}

ROOT = Path(__file__).resolve().parent.parent

Value = str | None
Key = tuple[Value, ...]


class StepFailed(Exception):
    """A command of the run failed; the message says which and carries its output."""


def quote(name: str) -> str:
    """Quote an identifier: table names come from the catalog, never from a user."""
    return '"' + name.replace('"', '""') + '"'


def as_text(value: Any) -> Value:
    """The value as a string that is the same for the same data read on the same engine."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        # psycopg2 gives bytea as a memoryview, whose str() is its address.
        return bytes(value).hex()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def shorten(value: Value, limit: int = 60) -> str:
    """A value fit for one line of a report."""
    text = "NULL" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- The two engines -------------------------------------------------------------------------


class Engine(ABC):
    """A fresh database on one engine, read through the catalog rather than the ORM.

    The ORM cannot read both layouts: model names and apps differ between them.
    """

    name: str
    placeholder: str
    # The errors a trigger's refusal raises; a missing column or table raises others, which
    # must not pass for a refusal.
    refusals: tuple[type[Exception], ...]

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    @property
    @abstractmethod
    def url(self) -> str:
        """DATABASE_URL for Django."""
        ...

    @abstractmethod
    def create(self) -> None: ...

    @abstractmethod
    def drop(self) -> None: ...

    @abstractmethod
    def connect(self) -> Any: ...

    @abstractmethod
    def tables(self, cursor: Any) -> set[str]: ...

    @abstractmethod
    def columns(self, cursor: Any, table: str) -> list[str]: ...

    @abstractmethod
    def primary_key(self, cursor: Any, table: str) -> list[str]: ...

    @abstractmethod
    def triggers(self, cursor: Any) -> set[tuple[str, str]]:
        """(table, trigger name) of the project's own triggers."""
        ...

    def integrity_problems(self, cursor: Any) -> list[str]:
        """Broken references the engine itself can list; none by default."""
        return []

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        connection = self.connect()
        try:
            yield connection.cursor()
        finally:
            connection.close()


class Postgres(Engine):
    name = "postgres"
    placeholder = "%s"
    refusals = (psycopg2.IntegrityError, psycopg2.InternalError)

    def __init__(self, workdir: Path, server: str) -> None:
        super().__init__(workdir)
        self.server = server
        # The pid keeps two runs at once (two CI jobs on one server) apart.
        self.database = f"transfers_fwd_{os.getpid()}"

    def _url(self, database: str) -> str:
        return urlunparse(urlparse(self.server)._replace(path=f"/{database}"))

    @property
    def url(self) -> str:
        return self._url(self.database)

    def _admin(self, sql: str) -> None:
        # CREATE and DROP DATABASE cannot run in a transaction, nor inside the database.
        connection = psycopg2.connect(self._url("postgres"))
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create(self) -> None:
        # A database of this name can only be left by a dead run whose pid came back.
        self._admin(f"DROP DATABASE IF EXISTS {quote(self.database)} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {quote(self.database)}")

    def drop(self) -> None:
        # FORCE: a command killed halfway may leave a backend connected.
        self._admin(f"DROP DATABASE IF EXISTS {quote(self.database)} WITH (FORCE)")

    def connect(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(self.url)

    def tables(self, cursor: Any) -> set[str]:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        return {row[0] for row in cursor.fetchall()}

    def columns(self, cursor: Any, table: str) -> list[str]:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]

    def primary_key(self, cursor: Any, table: str) -> list[str]:
        cursor.execute(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
            [quote(table)],
        )
        return [row[0] for row in cursor.fetchall()]

    def triggers(self, cursor: Any) -> set[tuple[str, str]]:
        # Internal triggers are the ones PostgreSQL makes for foreign keys.
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE NOT t.tgisinternal AND n.nspname = 'public'"
        )
        return {(row[0], row[1]) for row in cursor.fetchall()}


class Sqlite(Engine):
    name = "sqlite"
    placeholder = "?"
    # RAISE(ABORT, ...) in a trigger is reported as a constraint failure.
    refusals = (sqlite3.IntegrityError,)

    @property
    def path(self) -> Path:
        return self.workdir / "migrate_forward.sqlite3"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def create(self) -> None:
        # migrate creates the file; an empty temporary folder is all that is needed.
        self.path.unlink(missing_ok=True)

    def drop(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def tables(self, cursor: Any) -> set[str]:
        # sqlite_sequence and sqlite_stat1 are SQLite's own bookkeeping.
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%'"
            " ESCAPE '\\'"
        )
        return {row[0] for row in cursor.fetchall()}

    def _table_info(self, cursor: Any, table: str) -> list[tuple[Any, ...]]:
        cursor.execute(f"PRAGMA table_info({quote(table)})")
        return cursor.fetchall()

    def columns(self, cursor: Any, table: str) -> list[str]:
        return [row[1] for row in self._table_info(cursor, table)]

    def primary_key(self, cursor: Any, table: str) -> list[str]:
        # Column 5 is the column's position in the primary key, 0 when not in it.
        info = sorted((row[5], row[1]) for row in self._table_info(cursor, table) if row[5])
        return [name for _position, name in info]

    def triggers(self, cursor: Any) -> set[tuple[str, str]]:
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        return {(row[0], row[1]) for row in cursor.fetchall()}

    def integrity_problems(self, cursor: Any) -> list[str]:
        # A table renamed under a foreign key that still names the old table shows up here;
        # PostgreSQL follows renames by itself.
        cursor.execute("PRAGMA foreign_key_check")
        return [
            f"{table} row {rowid} refers to a missing row of {parent}"
            for table, rowid, parent, _fk in cursor.fetchall()
        ]


# --- Snapshots -------------------------------------------------------------------------------


@dataclass
class TableSnapshot:
    """What a table holds: its count, and a sample of rows keyed by primary key."""

    columns: list[str]
    key_columns: list[str]
    count: int
    rows: dict[Key, dict[str, Value]] = field(default_factory=dict)
    # The key as the driver gave it, to look the same row up on the other side.
    raw_keys: dict[Key, tuple[Any, ...]] = field(default_factory=dict)


@dataclass
class Snapshot:
    tables: dict[str, TableSnapshot]
    content_types: dict[tuple[str, str], int]
    triggers: set[tuple[str, str]]
    # Old table -> {primary key: value of the foreign key that became a generic link}.
    links: dict[str, dict[Any, Any]] = field(default_factory=dict)


def _rows(cursor: Any, columns: list[str], key_columns: list[str], table: TableSnapshot) -> None:
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        raw = tuple(row[name] for name in key_columns)
        key = tuple(as_text(value) for value in raw)
        table.rows[key] = {name: as_text(value) for name, value in sorted(row.items())}
        table.raw_keys[key] = raw


def read_table(
    engine: Engine, cursor: Any, name: str, keys: Sequence[tuple[Any, ...]] | None = None
) -> TableSnapshot:
    """Count a table and read either the rows at both ends of its key or the rows of ``keys``.

    The new side is read by the old side's keys so that rows a migration adds elsewhere in
    the table cannot shift the sample.
    """
    columns = engine.columns(cursor, name)
    key_columns = engine.primary_key(cursor, name)
    cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 - a catalog name
    table = TableSnapshot(columns=columns, key_columns=key_columns, count=cursor.fetchone()[0])
    if not key_columns:
        # Every Django table has one; without it there is no stable sample, only the count.
        return table
    select = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(name)}"  # noqa: S608
    if keys is None:
        order = ", ".join(quote(c) for c in key_columns)
        order_desc = ", ".join(f"{quote(c)} DESC" for c in key_columns)
        for direction in (order, order_desc):
            cursor.execute(f"{select} ORDER BY {direction} LIMIT {SAMPLE_EACH_END}")
            _rows(cursor, columns, key_columns, table)
    else:
        where = " AND ".join(f"{quote(c)} = {engine.placeholder}" for c in key_columns)
        for key in keys:
            cursor.execute(f"{select} WHERE {where}", list(key))
            _rows(cursor, columns, key_columns, table)
    return table


def read_content_types(cursor: Any) -> dict[tuple[str, str], int]:
    cursor.execute("SELECT app_label, model, id FROM django_content_type")
    return {(app, model): pk for app, model, pk in cursor.fetchall()}


def snapshot_old(engine: Engine) -> Snapshot:
    """Everything the comparison needs from the database as the old layout left it."""
    with engine.cursor() as cursor:
        names = sorted(engine.tables(cursor) - SKIPPED_TABLES)
        tables = {name: read_table(engine, cursor, name) for name in names}
        snapshot = Snapshot(
            tables=tables,
            content_types=read_content_types(cursor),
            triggers=engine.triggers(cursor),
        )
        for name, link in GENERIC_LINKS.items():
            # A later --base may already have the generic link; then there is nothing to map.
            if name in tables and link.old_column in tables[name].columns:
                key = quote(tables[name].key_columns[0])
                cursor.execute(f"SELECT {key}, {quote(link.old_column)} FROM {quote(name)}")  # noqa: S608
                snapshot.links[name] = dict(cursor.fetchall())
    return snapshot


# --- Comparison ------------------------------------------------------------------------------


@dataclass
class Report:
    """Differences that fail the run, and notes that are only shown."""

    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)


def compare_tables(engine: Engine, old: Snapshot, report: Report) -> None:
    """Every old table under its new name, same count, same sampled rows; print the table."""
    lines: list[tuple[str, str, str, str]] = []
    with engine.cursor() as cursor:
        new_names = engine.tables(cursor) - SKIPPED_TABLES
        mapped = {RENAMED_TABLES.get(name, name) for name in old.tables}
        for name in sorted(new_names - mapped):
            # Its count shows whether a migration filled it from the old rows.
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 - a catalog name
            report.note(f"new table {name} (not in the old layout), {cursor.fetchone()[0]} rows")
        for old_name, before in old.tables.items():
            new_name = RENAMED_TABLES.get(old_name, old_name)
            label = old_name if new_name == old_name else f"{old_name} -> {new_name}"
            if new_name not in new_names:
                report.fail(f"{label}: table missing after the migration")
                lines.append((label, str(before.count), "-", "MISSING"))
                continue
            after = read_table(engine, cursor, new_name, keys=list(before.raw_keys.values()))
            problems = compare_table(label, old_name, before, after, report)
            lines.append(
                (label, str(before.count), str(after.count), "OK" if not problems else "FAIL")
            )
    width = max((len(line[0]) for line in lines), default=len("table"))
    print(f"  {'table':<{width}}  {'old':>6}  {'new':>6}  ok")
    for label, count_before, count_after, status in lines:
        print(f"  {label:<{width}}  {count_before:>6}  {count_after:>6}  {status}")


def compare_table(
    label: str, old_name: str, before: TableSnapshot, after: TableSnapshot, report: Report
) -> int:
    """Compare one table; return how many failures it added."""
    failures_before = len(report.failures)
    link = GENERIC_LINKS.get(old_name)
    # The link's columns are compared row by row in check_generic_links, not as plain columns
    # (its old column must still be listed in DROPPED_COLUMNS to go).
    old_link = {link.old_column} if link else set()
    new_link = {link.type_column, link.id_column} if link else set()
    old_columns = set(before.columns)
    new_columns = set(after.columns)
    stored = TEXT_TO_STORED.get(old_name, {})
    for column in sorted(old_columns - new_columns):
        if column in stored:
            report.note(f"{label}: column {column} kept as the stored text {stored[column]}")
        elif column in DROPPED_COLUMNS.get(old_name, set()):
            report.note(f"{label}: column {column} dropped, as expected")
        else:
            report.fail(f"{label}: column {column} lost (not in DROPPED_COLUMNS)")
    for column in sorted(new_columns - old_columns - new_link):
        report.note(f"{label}: new column {column}")
    if before.count != after.count:
        report.fail(f"{label}: {before.count} rows before, {after.count} after")
    common = sorted((old_columns & new_columns) - old_link - new_link)
    for key, row in before.rows.items():
        new_row = after.rows.get(key)
        if new_row is None:
            report.fail(f"{label}: row {key} missing after the migration")
            continue
        for old_column, new_column in stored.items():
            kept = _stored_literal(new_row.get(new_column))
            if kept != row[old_column]:
                report.fail(
                    f"{label}: row {key} column {old_column}: {shorten(row[old_column])} "
                    f"before, {shorten(new_row.get(new_column))} as {new_column} after"
                )
        for column in common:
            if row[column] != new_row[column]:
                report.fail(
                    f"{label}: row {key} column {column}: "
                    f"{shorten(row[column])} before, {shorten(new_row[column])} after"
                )
    return len(report.failures) - failures_before


def _stored_literal(value):
    """A stored text that is one literal piece, as its text (SQLite hands JSON back as text,
    PostgreSQL as the value)."""
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return value  # PostgreSQL's driver decoded the JSON string already
    return decoded if isinstance(decoded, str) else value


def check_generic_links(engine: Engine, old: Snapshot, report: Report) -> None:
    """Each old foreign key value must now be the generic link's id, typed as its target."""
    with engine.cursor() as cursor:
        content_types = read_content_types(cursor)
        for old_name, values in old.links.items():
            link = GENERIC_LINKS[old_name]
            new_name = RENAMED_TABLES.get(old_name, old_name)
            if new_name not in engine.tables(cursor):
                continue  # already a failure of compare_tables
            missing = {link.type_column, link.id_column} - set(engine.columns(cursor, new_name))
            if missing:
                report.fail(f"{new_name}: no column {', '.join(sorted(missing))} for the link")
                continue
            target = content_types.get(link.target)
            key = quote(old.tables[old_name].key_columns[0])
            cursor.execute(
                f"SELECT {key}, {quote(link.type_column)}, {quote(link.id_column)}"  # noqa: S608
                f" FROM {quote(new_name)}"
            )
            now = {pk: (kind, pk_about) for pk, kind, pk_about in cursor.fetchall()}
            linked = sum(value is not None for value in values.values())
            if linked and target is None:
                report.fail(f"{new_name}: no content type {'.'.join(link.target)} to link to")
            wrong = 0
            for pk, value in values.items():
                expected = (None, None) if value is None else (target, value)
                if now.get(pk) != expected:
                    wrong += 1
                    if wrong <= 5:
                        report.fail(
                            f"{new_name}: row {pk} {link.old_column}={value} became "
                            f"{link.type_column}, {link.id_column} = {now.get(pk)}, "
                            f"expected {expected}"
                        )
            if wrong > 5:
                report.fail(f"{new_name}: {wrong - 5} more rows with a wrong generic link")
            print(
                f"  {old_name}.{link.old_column} -> {new_name}.({link.type_column}, "
                f"{link.id_column}): {len(values)} rows, {linked} linked, {wrong} wrong"
            )


def check_content_types(engine: Engine, old: Snapshot, report: Report) -> None:
    """Moved models under their new app only; every other content type kept with its id.

    Generic links and permissions hold content type ids, so an id that changes is a link lost.
    """
    with engine.cursor() as cursor:
        now = read_content_types(cursor)
    for (app, model), (new_app, new_model) in MOVED_MODELS.items():
        if (app, model) in now:
            report.fail(f"content type {app}.{model} still there after the move")
        if (new_app, new_model) not in now:
            report.fail(f"content type {new_app}.{new_model} missing")
        else:
            print(f"  content type {app}.{model} -> {new_app}.{new_model}: OK")
    for natural_key, pk in sorted(old.content_types.items()):
        if natural_key in MOVED_MODELS:
            continue
        label = ".".join(natural_key)
        if natural_key not in now:
            report.fail(f"content type {label} (id {pk}) removed")
        elif now[natural_key] != pk:
            report.fail(f"content type {label}: id {pk} before, {now[natural_key]} after")


def check_triggers(engine: Engine, old: Snapshot, report: Report) -> None:
    """Every old trigger still on its (renamed) table, and the history still append-only."""
    with engine.cursor() as cursor:
        now = engine.triggers(cursor)
        for problem in engine.integrity_problems(cursor):
            report.fail(problem)
    for table, name in sorted(old.triggers):
        if name not in DROPPED_TRIGGERS and (RENAMED_TABLES.get(table, table), name) not in now:
            report.fail(f"trigger {name} on {table} missing after the migration")
    print(f"  {len(old.triggers)} triggers before, {len(now)} after")

    connection = engine.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT MIN(id) FROM {APPEND_ONLY_TABLE}")  # noqa: S608 - a constant
        row_id = cursor.fetchone()[0]
        if row_id is None:
            report.fail(f"{APPEND_ONLY_TABLE} is empty: the append-only trigger cannot be tried")
            return
        for verb, template in APPEND_ONLY_STATEMENTS.items():
            try:
                cursor.execute(template.format(p=engine.placeholder), [row_id])
            except engine.refusals as error:
                message = str(error).strip().splitlines()[0]
                print(f"  {verb} of {APPEND_ONLY_TABLE} row {row_id}: refused ({message})")
            except (psycopg2.Error, sqlite3.Error) as error:
                # A missing column or table, say: the statement never reached the trigger.
                report.fail(f"{verb} of {APPEND_ONLY_TABLE} failed for another reason: {error}")
            else:
                report.fail(f"{verb} of {APPEND_ONLY_TABLE} row {row_id} was accepted")
            finally:
                # Undo an accepted change, and end the aborted transaction on PostgreSQL.
                connection.rollback()
    finally:
        connection.close()


# --- Running commands ------------------------------------------------------------------------


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, show: bool) -> None:
    """Run one command, check it, and print its output only when it says something useful.

    The seeder prints every demo account; migrate's output is worth reading in the new
    checkout only. A failing command always shows its whole output.
    """
    shown = " ".join(["python", *command[1:]] if command[0] == sys.executable else command)
    print(f"$ {shown}   (in {cwd})", flush=True)
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - our own arguments, no shell
            command, cwd=cwd, env=env, check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as error:
        output = (error.stdout or "") + (error.stderr or "")
        raise StepFailed(
            f"`{shown}` in {cwd} exited with {error.returncode}:\n{output.rstrip()}"
        ) from error
    if show:
        for line in (result.stdout + result.stderr).rstrip().splitlines():
            print(f"    {line}")
    print(f"    ({time.monotonic() - started:.1f} s)", flush=True)


def django_env(engine: Engine) -> dict[str, str]:
    """The environment of the manage.py commands: this engine's database, eager Celery."""
    env = dict(os.environ)
    env["DATABASE_URL"] = engine.url
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Empty rather than removed: a developer's .env could otherwise set a broker, and an empty
    # value is what the settings read as "no Redis, run tasks eagerly".
    env["REDIS_URL"] = ""
    # The demo seeder refuses to run with DEBUG off.
    env["DEBUG"] = "on"
    return env


def manage(*arguments: str) -> list[str]:
    # The same interpreter for both layouts: the venv this script runs in.
    return [sys.executable, "manage.py", *arguments]


def git(*arguments: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own arguments, no shell
        ["git", "-C", str(ROOT), *arguments],  # noqa: S607 - git from PATH, as a developer runs it
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout.strip() if capture else ""


@contextmanager
def old_layout(base: str, workdir: Path) -> Iterator[Path]:
    """A worktree of the old layout, with its translations compiled; removed afterwards."""
    worktree = workdir / "old"
    print(f"== git worktree of {base} at {worktree}", flush=True)
    git("worktree", "add", "--quiet", "--detach", str(worktree), base)
    try:
        # The seeder's names and messages come from the compiled catalogues.
        run(manage("compiletranslations"), cwd=worktree, show=False)
        yield worktree
    finally:
        # --force: the worktree holds untracked files (compiled catalogues, bytecode).
        try:
            git("worktree", "remove", "--force", str(worktree))
        finally:
            shutil.rmtree(worktree, ignore_errors=True)
            git("worktree", "prune")


def check_engine(engine: Engine, worktree: Path) -> Report:
    """Seed with the old layout, migrate with this checkout, compare; the database is dropped."""
    report = Report()
    env = django_env(engine)
    try:
        engine.create()
    except psycopg2.Error as error:
        report.fail(f"cannot create the database {engine.url}: {error}".strip())
        return report
    try:
        print(f"== {engine.name}: the old layout builds and seeds {engine.url}", flush=True)
        run(manage("migrate", "--noinput"), cwd=worktree, env=env, show=False)
        run(manage("seed_demo"), cwd=worktree, env=env, show=False)
        old = snapshot_old(engine)
        rows = sum(table.count for table in old.tables.values())
        sampled = sum(len(table.rows) for table in old.tables.values())
        print(f"    snapshot: {len(old.tables)} tables, {rows} rows, {sampled} sampled", flush=True)
        # An empty table proves only that it is still there: say which ones the seed left so.
        empty = sorted(name for name, table in old.tables.items() if not table.count)
        if empty:
            report.note(f"empty in the old database, so only counted: {', '.join(empty)}")

        print(f"== {engine.name}: this checkout migrates it forward", flush=True)
        run(manage("migrate", "--noinput"), cwd=ROOT, env=env, show=True)
        run(
            manage("remove_stale_contenttypes", "--noinput", "--include-stale-apps", "-v", "2"),
            cwd=ROOT,
            env=env,
            show=True,
        )
        run(manage("makemigrations", "--check", "--dry-run"), cwd=ROOT, env=env, show=True)

        print(f"== {engine.name}: compare", flush=True)
        compare_tables(engine, old, report)
        check_generic_links(engine, old, report)
        check_content_types(engine, old, report)
        check_triggers(engine, old, report)
    except StepFailed as error:
        report.fail(str(error))
    except (psycopg2.Error, sqlite3.Error) as error:
        # Reading a table the catalog listed failed: a broken database, not a crash to hide.
        report.fail(f"reading the database failed: {type(error).__name__}: {error}")
    finally:
        engine.drop()
    return report


def resolve(base: str) -> str:
    """The base as a commit id, with a clear message when it is not one."""
    try:
        return git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", capture=True)
    except subprocess.CalledProcessError:
        raise SystemExit(f"migrate-forward: {base!r} is not a commit of {ROOT}") from None


def terminate(_signal: int, _frame: object) -> None:
    """SIGTERM as an exit, so that the finally blocks remove the worktree and databases."""
    print("migrate-forward: terminated, cleaning up", file=sys.stderr, flush=True)
    sys.exit(143)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument(
        "--base", default=DEFAULT_BASE, help=f"the old layout (default {DEFAULT_BASE})"
    )
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get("MIGRATE_FORWARD_POSTGRES", DEFAULT_POSTGRES_SERVER),
        help="server for the temporary PostgreSQL database, a URL without the database name "
        f"(default $MIGRATE_FORWARD_POSTGRES or {DEFAULT_POSTGRES_SERVER})",
    )
    args = parser.parse_args(argv)
    # A CI job that is cancelled sends SIGTERM: exit through the finally blocks, so that the
    # worktree and the databases go too.
    signal.signal(signal.SIGTERM, terminate)

    base = resolve(args.base)
    head = git("rev-parse", "--short", "HEAD", capture=True)
    print(f"migrate-forward: {args.base} ({base[:10]}) -> the checkout at {ROOT} (HEAD {head})")
    names = ["postgres", "sqlite"] if args.engine == "both" else [args.engine]
    reports: dict[str, tuple[Report, float]] = {}
    started_all = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="migrate_forward_") as temporary:
        workdir = Path(temporary)
        try:
            with old_layout(base, workdir) as worktree:
                for name in names:
                    engine: Engine = (
                        Postgres(workdir, args.postgres_server)
                        if name == "postgres"
                        else Sqlite(workdir)
                    )
                    started = time.monotonic()
                    reports[name] = (check_engine(engine, worktree), time.monotonic() - started)
        except (StepFailed, subprocess.CalledProcessError) as error:
            # The worktree itself: made, translated or removed.
            print(f"migrate-forward: FAILED with the worktree of {base}:\n{error}", file=sys.stderr)
            return 1

    print("\n== Summary")
    failed: list[str] = []
    for name, (report, seconds) in reports.items():
        for note in report.notes:
            print(f"  {name}: note: {note}")
        status = "FAILED" if report.failures else "OK"
        print(f"  {name}: {status} in {seconds:.1f} s")
        if report.failures:
            failed.append(name)
        for failure in report.failures:
            print(f"  {name}: FAIL: {failure}")
    print(f"  total, the worktree included: {time.monotonic() - started_all:.1f} s", flush=True)
    if failed:
        print(f"migrate-forward: FAILED on {', '.join(failed)}, see FAIL above", file=sys.stderr)
        return 1
    print("migrate-forward: OK, no data lost")
    return 0


if __name__ == "__main__":
    sys.exit(main())
