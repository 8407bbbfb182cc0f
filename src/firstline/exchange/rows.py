"""Plain reads and inserts of whole model rows for the send path, without the query compiler.

Sending a message writes a thread, a message, its entities, receipts and search text, and
reads the organisations and their keys. Through the ORM each of those statements spends most
of its time compiling SQL (joins for default orderings, expression resolution), far more than
the database spends running it. These helpers build each statement once per model and convert
values exactly as the ORM does (``get_db_prep_save`` on the way in, the backend's and the
field's converters on the way out), so the instances they return or fill are ordinary model
instances, in the caller's transaction.

Only for models without ``save()`` overrides or signal receivers (the exchange's own).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


def _connection() -> Any:
    # the proxy ``django.db.connection`` looks the connection up on every attribute access
    return connections[DEFAULT_DB_ALIAS]


@functools.cache
def _select(model: type[models.Model], vendor: str) -> tuple[str, list[str], list[Any]]:
    connection = _connection()
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    columns = ", ".join(
        f"{connection.ops.quote_name(table)}.{connection.ops.quote_name(f.column)}" for f in fields
    )
    converters: list[Any] = []
    for i, f in enumerate(fields):
        col = f.get_col(table)
        field: Any = f  # every concrete field has get_db_converters (the stubs miss it)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return columns, [f.attname for f in fields], converters


def load(
    model: type[M], where: str, params: Sequence[Any], *, extra: str = ""
) -> list[tuple[M, tuple[Any, ...]]]:
    """Instances of ``model`` matching the raw ``where`` clause, each with its ``extra`` columns."""
    connection = _connection()
    columns, names, converters = _select(model, connection.vendor)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {columns}{', ' + extra if extra else ''} FROM {table} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    out = []
    width = len(names)
    for row in rows:
        values = list(row[:width])
        for i, funcs, col in converters:
            value = values[i]
            for func in funcs:
                value = func(value, col, connection)
            values[i] = value
        out.append((model.from_db(connection.alias, names, values), tuple(row[width:])))
    return out


@functools.cache
def _insert_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_sql(model: type[models.Model], count: int, vendor: str) -> str:
    quote = _connection().ops.quote_name
    fields = _insert_fields(model)
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(model._meta.pk.column)
    return (
        f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * count)} "  # noqa: S608
        f"RETURNING {pk}"
    )


def insert(objs: Sequence[M]) -> list[M]:
    """INSERT ``objs`` (all of one model) in one statement; their primary keys are set."""
    if not objs:
        return []
    connection = _connection()
    model = type(objs[0])
    fields = _insert_fields(model)
    sql = _insert_sql(model, len(objs), connection.vendor)
    params: list[Any] = []
    for obj in objs:
        params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) != len(objs):  # pragma: no cover - a database that does not return the rows
        raise RuntimeError(f"inserted {len(objs)} {model.__name__} rows, got {len(ids)} ids")
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)
