"""Rows a request body names, loaded as model instances by one precompiled query.

A write resolves a handful of rows per request (a claim's subject, its value, its party,
its predicate, its sources). Compiling ``Model.objects.filter(pk=...).first()`` costs the
ORM several times what the query costs the database, so each lookup here is compiled once
per process: ``WHERE <column> = ANY(%s) [OR <column> = ANY(%s) ...]``, run with the values,
its rows built into instances as the ORM builds them (``Model.from_db``).

Only an unfiltered queryset (all the table's rows) is loaded this way, and only for models
whose columns need no conversion from the database: otherwise these fall back to the ORM,
so an instance is the one the ORM would give.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models.expressions import RawSQL

_M = TypeVar("_M", bound=models.Model)


class _Plan:
    def __init__(self, sql: str, attnames: list[str]) -> None:
        self.sql = sql
        self.attnames = attnames


@functools.cache
def _plan(model: type[models.Model], columns: tuple[str, ...]) -> _Plan | None:
    """The compiled lookup of ``model`` by ``columns`` (field names), or None when the ORM's
    rows need converters this shortcut does not apply."""
    meta = model._meta
    attnames = [field.attname for field in meta.concrete_fields]
    fields = [meta.pk if name == "pk" else meta.get_field(name) for name in columns]
    quoted = [f'"{meta.db_table}"."{field.column}"' for field in fields]  # type: ignore[union-attr]
    condition = " OR ".join(f"{column} = ANY(%s)" for column in quoted)
    wanted = RawSQL(condition, [[]] * len(columns), output_field=models.BooleanField())  # noqa: S611 - model names
    queryset = model._base_manager.order_by().filter(wanted).values_list(*attnames)
    compiler = queryset.query.get_compiler(router.db_for_read(model))
    sql, params = compiler.as_sql()
    if list(params) != [[]] * len(columns):
        return None  # not the plain lookup it should be: leave it to the ORM
    if compiler.get_converters([column for column, _, _ in compiler.select]):
        return None
    return _Plan(str(sql), attnames)


def _plain(queryset: models.QuerySet[Any]) -> bool:
    """Whether ``queryset`` is all its table's rows, unfiltered."""
    query = queryset.query
    return not query.where and not query.annotations and not query.extra and not query.is_sliced


def instances_where(queryset: models.QuerySet[_M], columns: Sequence[str], values: Sequence[Iterable[Any]]) -> list[_M]:
    """The rows of ``queryset`` whose ``columns[i]`` is one of ``values[i]`` (for any
    ``i``), as instances, in no particular order."""
    wanted_lists = [list(wanted) for wanted in values]
    model = queryset.model
    plan = _plan(model, tuple(columns)) if _plain(queryset) else None
    if plan is None:
        condition = models.Q()
        for name, wanted in zip(columns, wanted_lists, strict=True):
            condition |= models.Q(**{f"{name}__in": wanted})
        return list(queryset.filter(condition))
    alias = router.db_for_read(model)
    with connections[alias].cursor() as cursor:
        cursor.execute(plan.sql, wanted_lists)
        rows = cursor.fetchall()
    return [model.from_db(alias, plan.attnames, row) for row in rows]


def instance_where(queryset: models.QuerySet[_M], column: str, value: Any) -> _M | None:
    """The row of ``queryset`` whose ``column`` (a unique one) is ``value``, or None."""
    found = instances_where(queryset, [column], [[value]])
    return found[0] if found else None
