"""SQL expressions the models are built from: accent folding, a claim's period, its full-text document."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import DateRangeField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func
from django.utils.deconstruct import deconstructible


@deconstructible(path="claims.models.FoldedNames")  # as migrations name it
class FoldedNames(Func):
    """``cw_fold_names(name, aliases)``: every name of an entity, lower-cased, accents removed.

    The SQL function is created by migration 0001 (immutable, so it can be indexed).
    """

    function = "cw_fold_names"
    output_field = models.TextField()


@deconstructible(path="claims.models.Fold")  # as migrations name it
class Fold(Func):
    """``cw_fold(text)``: lower-case, accents removed (ə→e and ı→i included)."""

    function = "cw_fold"
    output_field = models.TextField()


@deconstructible(path="claims.models.ClaimPeriod")  # as migrations name it
class ClaimPeriod(Func):
    """The half-open date range a claim is about, widened to the precision of each bound.

    A bound known to the month covers the whole month; a missing end is open-ended.
    Built only from immutable functions, so it can be a stored generated column.
    """

    output_field = DateRangeField()

    def __init__(self) -> None:
        super().__init__(F("valid_from"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        sql = """daterange(
            CASE valid_from_precision
                WHEN 'year' THEN date_trunc('year', valid_from::timestamp)::date
                WHEN 'month' THEN date_trunc('month', valid_from::timestamp)::date
                ELSE valid_from END,
            CASE
                WHEN valid_until IS NULL THEN NULL
                WHEN valid_until_precision = 'year'
                    THEN (date_trunc('year', valid_until::timestamp) + interval '1 year')::date
                WHEN valid_until_precision = 'month'
                    THEN (date_trunc('month', valid_until::timestamp) + interval '1 month')::date
                ELSE valid_until + 1 END,
            '[)')"""
        return sql, []


@deconstructible(path="claims.models.ClaimSearchVector")  # as migrations name it
class ClaimSearchVector(Func):
    """Full-text document over a claim's statement and quote (English configuration)."""

    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__(F("statement"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        return (
            "setweight(to_tsvector('english'::regconfig, coalesce(statement, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, coalesce(quote, '')), 'B')",
            [],
        )
