"""Inserting many new rows of a model at once, as fast as the engine allows."""

from typing import Any

from django.db import connection
from django.db.models import Model

from .arrays import array_element, array_literal, array_type


def insert_rows(model: type[Model], *, count: int, values: dict[str, Any]) -> list[int]:
    """Insert ``count`` new rows of a model; returns their ids, in order. ``values`` gives
    each field, by its attname, as a list of one value per row or as one value for every
    row; a field left out takes its default (or, with ``auto_now``/``auto_now_add``, the
    time now), as ``Model(**values)`` would. Nothing is validated: the values come checked,
    and the database's constraints hold as for any INSERT.

    On PostgreSQL this is one ``INSERT ... SELECT ... FROM unnest(...)``, an array per
    column, rather than ``bulk_create``'s model instance per row and preparation of each of
    its fields, which took longer than the INSERTs themselves: 2.7 s against 0.6 s for 20,000
    students with their registrations. Elsewhere it is ``bulk_create``. The columns are the
    model's own (concrete, not generated), so a field added to it cannot be left out."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
    unknown = set(values) - {field.attname for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field to insert named {sorted(unknown)}")
    for name, value in values.items():
        if isinstance(value, list) and len(value) != count:
            raise ValueError(f"{len(value)} values of {name} for {count} rows")
    if count == 0:
        return []
    if connection.vendor != "postgresql":
        rows = [
            model(**{name: v[i] if isinstance(v, list) else v for name, v in values.items()})
            for i in range(count)
        ]
        return [row.pk for row in model._default_manager.bulk_create(rows)]

    probe = model()  # holds each default, and the time for auto_now fields, as a new row does
    columns, arrays, literals = [], [], []
    for field in fields:
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.attname in values and not stamped:
            value = values[field.attname]
        elif field.has_default() and callable(field.default) and not stamped:
            value = [field.get_default() for _row in range(count)]
        else:
            value = field.pre_save(probe, add=True)
        columns.append(connection.ops.quote_name(field.column))
        arrays.append(f"%s::{array_type(field)}")
        if isinstance(value, list):
            literals.append(array_literal(value))
        else:  # one value for every row, written out once
            literals.append("{" + ",".join([array_element(value)] * count) + "}")
    # The names are the model's own, quoted; the values go as parameters.
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(arrays)}) "
        f"RETURNING {connection.ops.quote_name(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, literals)
        # In the order of the arrays, as bulk_create's ids are in the order of its VALUES.
        return [row[0] for row in cursor.fetchall()]
