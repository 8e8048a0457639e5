"""SQL expressions the models are built from: accent folding, a claim's period, its
full-text document, and the wording of a period."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib.postgres.fields import DateRangeField
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import F, Func
from django.utils.deconstruct import deconstructible

from claims.sql import CLAIM_PERIOD, CLAIM_SEARCH_VECTOR, verdict_rating


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


class RawSQLExpression(Func):
    """An expression that is one fixed piece of SQL (``sql``, from ``claims.sql``) over the
    row's own columns: what a generated column is computed from. A subclass whose SQL is
    built from its arguments or from ``claims.rules`` (which imports the models) gives it
    in ``as_sql`` instead.

    ``reads`` names a column the SQL reads, so that Django sees the expression refer to
    the model's fields (a generated field needs that).
    """

    sql: ClassVar[str]
    reads: ClassVar[str]

    def __init__(self) -> None:
        super().__init__(F(self.reads))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra_context: Any,
    ) -> Any:
        return self.sql, []


@deconstructible(path="claims.models.ClaimPeriod")  # as migrations name it
class ClaimPeriod(RawSQLExpression):
    """The half-open date range a claim is about, widened to the precision of each bound.

    A bound known to the month covers the whole month; a missing end is open-ended.
    Built only from immutable functions, so it can be a stored generated column.
    """

    output_field = DateRangeField()
    sql = CLAIM_PERIOD
    reads = "valid_from"


@deconstructible(path="claims.models.ClaimSearchVector")  # as migrations name it
class ClaimSearchVector(RawSQLExpression):
    """Full-text document over a claim's statement and quote (English configuration)."""

    output_field = SearchVectorField()
    sql = CLAIM_SEARCH_VECTOR
    reads = "statement"


@deconstructible(path="claims.models.ClaimDoubtPoints")  # as migrations name it
class ClaimDoubtPoints(RawSQLExpression):
    """The doubt points of what a claim's own row records (``claims.rules.row_doubt_sql``:
    its hedge, its credibility, whether it is its party's own statement), for the
    confidence of its flags."""

    output_field = models.SmallIntegerField()
    reads = "hedge"

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        from claims.rules import row_doubt_sql  # the rules import the models

        return row_doubt_sql(hedge="hedge", credibility="credibility", own="own_statement"), []


@deconstructible(path="claims.models.ClaimRatedVerdict")  # as migrations name it
class ClaimRatedVerdict(RawSQLExpression):
    """The claim's current verdict if it rates the claim ``rating``, else NULL."""

    output_field = models.BigIntegerField()
    reads = "status"

    def __init__(self, rating: str) -> None:
        super().__init__()
        self.rating = rating

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        return verdict_rating(self.rating), []


class PeriodPhrase(Func):
    """``cw_period_phrase``: a claim's period in words, the one wording of it ("from 9 Oct
    2020", "on 23 Oct 2020", "in Oct 2020", "from 1 Sep 2020 to 9 Oct 2020"), as the
    engine's explanations and the admin give it. The SQL function is created by migration
    0006 (``cw_date_phrase`` words each bound to its precision).

    Annotate a queryset with it (``period_phrase=PeriodPhrase()``; a related claim's with
    ``PeriodPhrase("claim_a__")``), or word one claim's period with ``PeriodPhrase.of(...)``.
    """

    function = "cw_period_phrase"
    output_field = models.TextField()

    def __init__(self, claim: str = "") -> None:
        fields = ("valid_from", "valid_from_precision", "valid_until", "valid_until_precision")
        super().__init__(*(F(f"{claim}{field}") for field in fields))

    @staticmethod
    def of(
        *, valid_from: dt.date, valid_from_precision: str, valid_until: dt.date | None, valid_until_precision: str
    ) -> str:
        """The wording of one period (one query, no table read)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT cw_period_phrase(%s::date, %s, %s::date, %s)",
                [valid_from, valid_from_precision, valid_until, valid_until_precision],
            )
            row = cursor.fetchone()
        return str(row[0]) if row else ""
