"""PostgreSQL arrays for the busiest queries and writes: a list of values (or a subquery's
column) sent as one array instead of a placeholder per value, and array literals for
``core.inserts.insert_rows``. Elsewhere (SQLite) the plain ORM forms are used."""

import datetime
import decimal
import re

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import F, Field, Lookup, Q, QuerySet


def any_of(name: str, values: list | QuerySet) -> Q | Lookup:
    """A filter: the field ``name`` is one of ``values``, a list or a one-column queryset.
    On PostgreSQL ``= ANY(array)``:

    * a list goes as one parameter, where ``__in`` is a placeholder per value, each prepared
      by Django in Python: for the 2,000 ID-card numbers of a part of an import, 5 ms
      against 14, for the same plan (PostgreSQL reads ``IN (...)`` as ``= ANY``);
    * a queryset is read once into an array (``ARRAY(SELECT ...)``) before the outer query
      runs, which keeps PostgreSQL from turning it into a join it may plan badly (see
      ``students.selectors.students_visible_to``)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{name}__in": values})
    if isinstance(values, QuerySet):
        return _AnyOf(F(name), ArraySubquery(values.order_by()))
    return _AnyOf(F(name), values)


class _AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "as_sql"):
            array, array_params = compiler.compile(self.rhs)
            return f"{lhs} = ANY({array})", [*params, *array_params]
        array = f"%s::{array_type(self.lhs.output_field)}"
        return f"{lhs} = ANY({array})", [*params, array_literal(self.rhs)]


def array_type(field: Field) -> str:
    # Without the column's modifier: varchar(50)[] would cut a longer value short, where an
    # INSERT into varchar(50) refuses it, as it refuses it from any other statement.
    db_type = field.db_type(connection)
    if db_type is None:  # a field with no column of its own: re.sub would raise TypeError too
        raise TypeError(f"{field} has no database type")
    return re.sub(r"[(].*[)]", "", db_type) + "[]"


def array_literal(values: list) -> str:
    """A PostgreSQL array literal (``{"a","b",NULL}``) of the values.

    Written here rather than left to psycopg2, which turns a list into ARRAY['a', 'b', ...],
    an expression of one constant per element: quoting 2,000 rows that way took as long as
    inserting them, and the server parses the expression again. A literal is one parameter,
    read by the array type's own input function."""
    return "{" + ",".join(map(array_element, values)) + "}"


def array_element(value) -> str:
    """A value as an element of an array literal: quoted, with a backslash before each
    backslash and double quote (the literal's only escapes), or NULL."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):  # a datetime is a date
        return '"' + value.isoformat() + '"'
    raise TypeError(f"no array literal for {type(value).__name__} values")
