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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


def _connection() -> Any:
    # the proxy ``django.db.connection`` looks the connection up on every attribute access
    return connections[DEFAULT_DB_ALIAS]


@functools.cache
def _select(
    model: type[models.Model], vendor: str, only: tuple[str, ...] = ()
) -> tuple[str, list[str], list[Any]]:
    connection = _connection()
    fields = [
        f for f in model._meta.concrete_fields if not only or f.primary_key or f.attname in only
    ]
    table = model._meta.db_table
    # unqualified: the statement reads one table (the SQL text is scanned on every execute)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    converters: list[Any] = []
    for i, f in enumerate(fields):
        col = f.get_col(table)
        field: Any = f  # every concrete field has get_db_converters (the stubs miss it)
        found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if found:
            converters.append((i, found, col))
    return columns, [f.attname for f in fields], converters


def load(
    model: type[M],
    where: str,
    params: Mapping[str, Any],
    *,
    extra: str = "",
    only: tuple[str, ...] = (),
) -> list[tuple[M, tuple[Any, ...]]]:
    """Instances of ``model`` matching the raw ``where`` clause, each with its ``extra`` columns.

    ``where`` and ``extra`` name their parameters (``%(key)s``), as in :func:`insert`.

    ``only``: the attribute names to read (the primary key always); the others are deferred,
    as with ``QuerySet.only``.
    """
    connection = _connection()
    columns, names, converters = _select(model, connection.vendor, only)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {columns}{', ' + extra if extra else ''} FROM {table} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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


# Field classes (exactly these, not subclasses) whose ``pre_save`` is the plain attribute read
# and whose ``get_db_prep_save`` hands a value of the listed types, or None, back unchanged:
# the Promise check and ``to_python`` pass a ``str`` (or a ``bool``) through as it is.
_PASS_THROUGH: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
}


def _pass_through(field: models.Field[Any, Any], connection: Any) -> tuple[type, ...] | None:
    """The value types ``field`` stores unchanged on ``connection``, or None (convert them)."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        target = field.target_field  # type: ignore[attr-defined]
        base_ops = BaseDatabaseOperations.validate_autopk_value
        # an int key of an auto field: int(value), then the backend's check (a no-op but on MySQL)
        if type(target) in (models.AutoField, models.BigAutoField) and (
            type(connection.ops).validate_autopk_value is base_ops
        ):
            return (int,)
        return None
    return _PASS_THROUGH.get(type(field))


@functools.cache
def _insert_plan(
    model: type[models.Model], vendor: str
) -> list[tuple[str, tuple[type, ...] | None, models.Field[Any, Any]]]:
    connection = _connection()
    return [(f.attname, _pass_through(f, connection), f) for f in _insert_fields(model)]


def _insert_params(objs: Sequence[models.Model], connection: Any) -> list[Any]:
    """The INSERT parameters of ``objs``, as ``get_db_prep_save(pre_save(obj, True))`` gives them.

    Two shortcuts, both exact: values the field stores unchanged skip the call chain, and a
    value object shared by several rows (the send time of every receipt) is converted once.
    """
    plan = _insert_plan(type(objs[0]), connection.vendor)
    params: list[Any] = []
    converted: dict[tuple[int, int], tuple[Any, Any]] = {}  # (field, id(value)) → (value, db)
    for obj in objs:
        for i, (attname, unchanged, field) in enumerate(plan):
            if unchanged is not None:
                value = getattr(obj, attname)
                if value is None or type(value) in unchanged:
                    params.append(value)
                    continue
            value = field.pre_save(obj, True)
            key = (i, id(value))
            hit = converted.get(key)
            if hit is None:
                # the value is kept in the entry, so its id is not reused during this call
                hit = converted[key] = (value, field.get_db_prep_save(value, connection))
            params.append(hit[1])
    return params


@functools.cache
def _insert_sql(model: type[models.Model], count: int, vendor: str) -> tuple[str, tuple[str, ...]]:
    """The INSERT of ``count`` rows and its parameter names, in "pyformat" style.

    Named (``%(v0)s``) rather than positional (``%s``): Django's SQLite backend rewrites
    positional placeholders with a regular expression that costs about as much per character
    of SQL as the database spends on a small insert; named ones it rewrites with one ``%``.
    """
    quote = _connection().ops.quote_name
    fields = _insert_fields(model)
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(f.column) for f in fields)
    names = tuple(f"v{i}" for i in range(count * len(fields)))
    values = ", ".join(
        "(" + ", ".join(f"%({n})s" for n in names[r * len(fields) : (r + 1) * len(fields)]) + ")"
        for r in range(count)
    )
    pk = quote(model._meta.pk.column)
    return f"INSERT INTO {table} ({cols}) VALUES {values} RETURNING {pk}", names  # noqa: S608


def insert(objs: Sequence[M]) -> list[M]:
    """INSERT ``objs`` (all of one model) in one statement; their primary keys are set."""
    if not objs:
        return []
    connection = _connection()
    model = type(objs[0])
    sql, names = _insert_sql(model, len(objs), connection.vendor)
    params = dict(zip(names, _insert_params(objs, connection), strict=True))
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
