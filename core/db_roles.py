"""What the application's database role may do, granted by the tables' owner after each
migrate: the app connects as a role that owns nothing, so it cannot ALTER a table, disable a
trigger, TRUNCATE, or set ``session_replication_role`` (a superuser's setting), and it may
only read and append the history.

A model says what the app may do with its table through ``app_privileges`` (AppendOnly rows:
SELECT and INSERT; a status record: no DELETE); other models' tables get SELECT, INSERT,
UPDATE and DELETE, and a table no model names (``django_migrations``) SELECT only.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FULL = ("SELECT", "INSERT", "UPDATE", "DELETE")
READ = ("SELECT",)


def app_privileges_by_table() -> dict[str, tuple[str, ...]]:
    """Each model table's privileges for the application's role."""
    return {
        model._meta.db_table: tuple(getattr(model, "app_privileges", FULL))
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def grant_statements(connection, role: str) -> list[str]:
    """The statements that give ``role`` exactly its privileges on every table there is."""
    quote = connection.ops.quote_name
    who = quote(role)
    privileges = app_privileges_by_table()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor, include_views=False)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ]
    statements += [
        f"GRANT {', '.join(privileges.get(table, READ))} ON {quote(table)} TO {who}"
        for table in tables
    ]
    return statements


def grant_app_role(*, using: str = "default", **_kwargs) -> None:
    """After a migrate on PostgreSQL, give the application's role its privileges; nothing to
    do on SQLite, without a role configured, or when the app role itself is connected (the
    test suite's flush emits post_migrate as the app)."""
    from django.db import connections

    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [role]
        )
        current, exists = cursor.fetchone()
        if current == role:
            return
        if not exists:
            raise ImproperlyConfigured(
                f"DATABASE_APP_ROLE names a role that does not exist: create it first "
                f"(CREATE ROLE {role} LOGIN PASSWORD '...')."
            )
        for statement in grant_statements(connection, role):
            cursor.execute(statement)
