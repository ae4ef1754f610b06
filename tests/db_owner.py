"""The suite connects as the application's role when DATABASE_APP_ROLE is set (as CI does):
the test database is created and migrated by the owner named in DATABASE_URL, which grants
the app role its privileges (core.db_roles); then every connection of the tests, their
threads and the live server uses the app role. What only the owner may do (a transactional
test's flush, DDL in a test's setup) goes through ``owner_connection``."""

import contextlib
import os

from django.conf import settings
from django.core.management.color import no_style
from django.db import connections

APP_PASSWORD_ENV = "DATABASE_APP_PASSWORD"


def app_role() -> str:
    return settings.DATABASE_APP_ROLE if connections["default"].vendor == "postgresql" else ""


_owner_credentials: dict[str, str] = {}


class state:  # noqa: N801 - a namespace of the run's state
    #: The test being set up or run is marked ``owner``.
    owner_test = False


def connect_as_app_role() -> None:
    """Point the default database's settings at the app role (the test database's name is
    already in them) and drop the owner's connection."""
    database = settings.DATABASES["default"]
    if not _owner_credentials:
        _owner_credentials.update(
            USER=database.get("USER", ""), PASSWORD=database.get("PASSWORD", "")
        )
    _switch(USER=app_role(), PASSWORD=os.environ.get(APP_PASSWORD_ENV, ""))


def connect_as_owner() -> None:
    """Back to the owner's credentials (nothing to do before the app role is set up)."""
    if _owner_credentials:
        _switch(**_owner_credentials)


def _switch(**credentials) -> None:
    connection = connections["default"]
    connection.close()
    settings.DATABASES["default"].update(credentials)
    connection.settings_dict.update(credentials)


@contextlib.contextmanager
def owner_connection():
    """A connection of its own to the test database as the tables' owner."""
    connection = connections["default"]
    owner = dict(connection.settings_dict, **(_owner_credentials or {}))
    wrapper = connection.__class__(owner, alias="owner")
    try:
        yield wrapper
    finally:
        wrapper.close()


def flush_as_owner(*, allow_cascade: bool) -> None:
    """Empty every table, as a transactional test's teardown does, but as the owner and with
    the tables' own triggers lifted for the moment (the append-only history refuses
    TRUNCATE, as it should, to everyone else)."""
    with owner_connection() as owner:
        tables = owner.introspection.django_table_names(only_existing=True, include_views=False)
        statements = owner.ops.sql_flush(
            no_style(), tables, reset_sequences=False, allow_cascade=allow_cascade
        )
        quote = owner.ops.quote_name
        with owner.cursor() as cursor:
            cursor.execute("BEGIN")
            for table in tables:
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER")
            for statement in statements:
                cursor.execute(statement)
            for table in tables:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER")
            cursor.execute("COMMIT")
