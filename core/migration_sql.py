"""One migration operation for SQL that differs by engine: triggers mostly.

PostgreSQL gets one script (run without parameter interpolation, since plpgsql uses %);
SQLite gets a list of statements, since it runs one statement per execute."""

from django.db import migrations


def vendor_sql(
    *,
    postgres: str,
    postgres_reverse: str,
    sqlite: list[str],
    sqlite_reverse: list[str],
) -> migrations.RunPython:
    def run(script: str, statements: list[str]):
        def operation(apps, schema_editor):
            vendor = schema_editor.connection.vendor
            if vendor == "postgresql":
                schema_editor.execute(script, params=None)
            elif vendor == "sqlite":
                for statement in statements:
                    schema_editor.execute(statement)

        return operation

    return migrations.RunPython(
        run(postgres, sqlite), run(postgres_reverse, sqlite_reverse), elidable=False
    )
