"""The database keeps the invariants. Each test tries to break one at the database level,
with ORM writes that skip model validation (``create``, ``update``) or raw SQL, and checks
that the database refuses and that nothing was written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, cast

import psycopg2.errors
import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import DatabaseError, DataError, IntegrityError, connection, models, transaction
from django.utils import timezone

from claims.models import (
    Claim,
    ClaimChange,
    ClaimImport,
    ClaimSource,
    Contradiction,
    Entity,
    PartyClaimCount,
    Predicate,
    ScanRun,
    Status,
    Verdict,
    VerdictEvidence,
)
from project.db import TREE_MAX_DEPTH
from sources.models import Party, Source
from tests import factories
from tests.factories import predicate

pytestmark = pytest.mark.django_db

ASSERTED_AT = dt.datetime(2020, 10, 23, 12, tzinfo=dt.UTC)


# --- Helpers --------------------------------------------------------------------------


def event_model(model: type[models.Model]) -> type[models.Model] | None:
    """The history table pghistory keeps for ``model``, if it is tracked."""
    try:
        return apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    except LookupError:
        return None


def snapshot(*tracked: type[models.Model]) -> dict[str, Any]:
    """Every row of each model, and the number of its history events."""
    state: dict[str, Any] = {}
    for model in tracked:
        state[model._meta.label] = list(model._default_manager.order_by("pk").values())
        events = event_model(model)
        if events is not None:
            state[f"{model._meta.label} events"] = events._default_manager.count()
    return state


@contextmanager
def refused(
    *tracked: type[models.Model],
    error: type[Exception] | tuple[type[Exception], ...] = IntegrityError,
    match: str | None = None,
) -> Iterator[pytest.ExceptionInfo[Any]]:
    """The block must fail in the database with ``error``, and leave every row of the
    ``tracked`` models, and their history, as it was."""
    before = snapshot(*tracked)
    with pytest.raises(error, match=match) as excinfo:
        with transaction.atomic():
            yield excinfo
    assert snapshot(*tracked) == before, "the refused write left a trace"


def db_cause(excinfo: pytest.ExceptionInfo[Any]) -> Any:
    """The psycopg2 exception behind Django's."""
    cause = excinfo.value.__cause__
    assert cause is not None, f"no database error behind {excinfo.value!r}"
    return cause


def execute(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def fetch_one(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def claim_values(**overrides: Any) -> dict[str, Any]:
    """Arguments for a valid "controlled by" claim; override to break it."""
    values: dict[str, Any] = {
        "subject": factories.EntityFactory(),
        "predicate": predicate("controlled-by"),
        "object_entity": factories.EntityFactory(kind=Entity.Kind.ORGANISATION),
        "asserted_by": factories.PartyFactory(),
        "asserted_at": ASSERTED_AT,
        "statement": "Azerbaijan controls Aghband",
        "valid_from": dt.date(2020, 10, 23),
        "valid_until": dt.date(2020, 10, 23),
    }
    values.update(overrides)
    return values


def quantity_values(**overrides: Any) -> dict[str, Any]:
    values = claim_values(
        predicate=predicate("casualties"),
        object_entity=None,
        quantity_low=Decimal(10),
        quantity_best=Decimal(20),
        quantity_high=Decimal(30),
        statement="Armenian forces lost 20 people",
    )
    values.update(overrides)
    return values


@pytest.fixture
def reviewer() -> User:
    return factories.UserFactory(username="reviewer")


def make_verdict(claim: Claim, reviewer: User, rating: str = Status.FALSE, **extra: Any) -> Verdict:
    return Verdict.objects.create(
        claim=claim, rating=rating, rationale="Checked against the map.", reviewer=reviewer, **extra
    )


def make_contradiction(first: Claim, second: Claim, **extra: Any) -> Contradiction:
    values: dict[str, Any] = {
        "kind": Contradiction.Kind.NEGATION,
        "relation": Contradiction.Relation.DISPUTE,
        "explanation": "One affirms what the other denies.",
        "rule": "negation",
    }
    values.update(extra)
    return Contradiction.objects.create(claim_a=first, claim_b=second, **values)


# --- A period's end is not before its start --------------------------------------------


# A period that ends before it starts is refused by the CHECK, or earlier by the generated
# ``period`` column, which cannot build a range whose bounds are reversed.
PERIOD_REFUSED = (IntegrityError, DataError)


def test_a_claim_whose_period_ends_before_it_starts_is_refused_on_insert() -> None:
    with refused(Claim) as excinfo:
        Claim.objects.create(**claim_values(valid_from=dt.date(2020, 10, 23), valid_until=dt.date(2020, 10, 22)))
    assert db_cause(excinfo).diag.constraint_name == "claim_period_ordered"
    with refused(Claim, error=PERIOD_REFUSED):
        Claim.objects.create(**claim_values(valid_from=dt.date(2020, 10, 23), valid_until=dt.date(2020, 9, 1)))


def test_moving_a_claims_period_end_before_its_start_is_refused_on_update() -> None:
    claim = Claim.objects.create(**claim_values())

    with refused(Claim, error=PERIOD_REFUSED):
        Claim.objects.filter(pk=claim.pk).update(valid_until=dt.date(2020, 10, 22))
    with refused(Claim, error=PERIOD_REFUSED):
        Claim.objects.filter(pk=claim.pk).update(valid_until=dt.date(2020, 10, 1))
    with refused(Claim, error=PERIOD_REFUSED):
        execute("UPDATE claims_claim SET valid_from = '2020-11-01' WHERE id = %s", [claim.pk])


def test_a_period_of_one_day_and_an_open_ended_period_are_accepted() -> None:
    one_day = Claim.objects.create(**claim_values())
    open_ended = Claim.objects.create(**claim_values(valid_until=None))

    assert one_day.pk and open_ended.pk


def test_a_scan_run_cannot_finish_before_it_started() -> None:
    run = ScanRun.objects.create()

    with refused(ScanRun):
        ScanRun.objects.filter(pk=run.pk).update(finished_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


# --- Quantity low <= best <= high -----------------------------------------------------


@pytest.mark.parametrize(
    ("low", "best", "high"),
    [(30, 20, 40), (10, 50, 40), (30, 20, 10), (None, 50, 40), (30, 20, None)],
    ids=["low above best", "best above high", "reversed range", "best above high, no low", "low above best, no high"],
)
def test_a_quantity_out_of_order_is_refused(low: int | None, best: int, high: int | None) -> None:
    values = quantity_values(
        quantity_low=None if low is None else Decimal(low),
        quantity_best=Decimal(best),
        quantity_high=None if high is None else Decimal(high),
    )
    with refused(Claim) as excinfo:
        Claim.objects.create(**values)
    # Either the ordering check or, for a missing bound, the value-type check refuses it.
    assert db_cause(excinfo).diag.constraint_name in {"claim_quantity_ordered", "claim_value_matches_type"}


def test_a_quantity_cannot_be_updated_out_of_order() -> None:
    claim = Claim.objects.create(**quantity_values())

    with refused(Claim) as excinfo:
        Claim.objects.filter(pk=claim.pk).update(quantity_low=Decimal(25))
    assert db_cause(excinfo).diag.constraint_name == "claim_quantity_ordered"
    with refused(Claim):
        execute("UPDATE claims_claim SET quantity_high = 5 WHERE id = %s", [claim.pk])


def test_a_single_figure_stored_as_its_own_range_is_accepted() -> None:
    claim = Claim.objects.create(
        **quantity_values(quantity_low=Decimal(7), quantity_best=Decimal(7), quantity_high=Decimal(7))
    )

    assert (claim.quantity_low, claim.quantity_best, claim.quantity_high) == (Decimal(7), Decimal(7), Decimal(7))


# --- The value matches the predicate's value type ------------------------------------


def test_an_entity_predicate_given_a_quantity_is_refused() -> None:
    values = claim_values(
        object_entity=None, quantity_low=Decimal(1), quantity_best=Decimal(1), quantity_high=Decimal(1)
    )
    with refused(Claim) as excinfo:
        Claim.objects.create(**values)
    assert db_cause(excinfo).diag.constraint_name == "claim_value_matches_type"


def test_an_entity_predicate_given_both_an_object_and_a_quantity_is_refused() -> None:
    values = claim_values(quantity_low=Decimal(1), quantity_best=Decimal(1), quantity_high=Decimal(1))
    with refused(Claim):
        Claim.objects.create(**values)


def test_an_entity_predicate_without_an_object_is_refused() -> None:
    with refused(Claim):
        Claim.objects.create(**claim_values(object_entity=None))


def test_a_quantity_predicate_given_an_object_is_refused() -> None:
    with refused(Claim) as excinfo:
        Claim.objects.create(**quantity_values(object_entity=factories.EntityFactory()))
    assert db_cause(excinfo).diag.constraint_name == "claim_value_matches_type"


def test_a_quantity_predicate_given_only_an_object_is_refused() -> None:
    values = quantity_values(
        object_entity=factories.EntityFactory(), quantity_low=None, quantity_best=None, quantity_high=None
    )
    with refused(Claim):
        Claim.objects.create(**values)


def test_a_text_predicate_without_text_is_refused() -> None:
    with refused(Claim) as excinfo:
        Claim.objects.create(**claim_values(predicate=predicate("losses"), object_entity=None, text_value=""))
    assert db_cause(excinfo).diag.constraint_name == "claim_value_matches_type"


def test_a_predicate_without_a_value_given_text_is_refused() -> None:
    values = claim_values(predicate=predicate("collapsing"), object_entity=None, text_value="heavily")
    with refused(Claim):
        Claim.objects.create(**values)


def test_each_value_type_is_accepted_with_the_value_it_expects() -> None:
    Claim.objects.create(**claim_values())
    Claim.objects.create(**quantity_values())
    Claim.objects.create(**claim_values(predicate=predicate("losses"), object_entity=None, text_value="heavy"))
    Claim.objects.create(**claim_values(predicate=predicate("collapsing"), object_entity=None))

    assert sorted(Claim.objects.values_list("value_type", flat=True)) == ["entity", "none", "quantity", "text"]


def test_a_claims_value_type_cannot_drift_from_its_predicates_even_in_raw_sql() -> None:
    """The composite foreign key (predicate_id, value_type) refuses the row even when the
    values are made to fit the new type, so the value-type CHECK alone would pass it."""
    claim = Claim.objects.create(**claim_values())

    with refused(Claim) as excinfo:
        execute(
            """
            UPDATE claims_claim
            SET value_type = 'quantity', object_entity_id = NULL,
                quantity_low = 1, quantity_best = 1, quantity_high = 1
            WHERE id = %s
            """,
            [claim.pk],
        )
    cause = db_cause(excinfo)
    assert isinstance(cause, psycopg2.errors.ForeignKeyViolation)
    assert cause.diag.constraint_name == "claim_value_type_matches_predicate"


def test_switching_a_claim_to_a_predicate_of_another_value_type_is_refused() -> None:
    claim = Claim.objects.create(**claim_values())

    with refused(Claim):
        Claim.objects.filter(pk=claim.pk).update(predicate=predicate("casualties"))


def test_a_raw_insert_whose_value_type_disagrees_with_its_predicate_is_refused() -> None:
    claim = Claim.objects.create(**claim_values())
    casualties = predicate("casualties")

    with refused(Claim) as excinfo:
        execute(
            """
            INSERT INTO claims_claim (
                subject_id, predicate_id, value_type, object_entity_id, text_value, polarity,
                valid_from, valid_from_precision, valid_until_precision, asserted_by_id, asserted_at,
                statement, quote, hedge, credibility, status, review_state, retraction_reason,
                created_at, updated_at,
                quantity_low, quantity_best, quantity_high
            )
            SELECT subject_id, %s, 'entity', object_entity_id, '', polarity,
                valid_from, valid_from_precision, valid_until_precision, asserted_by_id, asserted_at,
                statement, quote, hedge, credibility, status, review_state, retraction_reason,
                now(), now(), NULL, NULL, NULL
            FROM claims_claim WHERE id = %s
            """,
            [casualties.pk, claim.pk],
        )
    assert db_cause(excinfo).diag.constraint_name == "claim_value_type_matches_predicate"


def test_changing_a_predicates_value_type_is_refused_while_claims_use_it() -> None:
    claim = Claim.objects.create(**claim_values())
    controlled_by = claim.predicate

    with refused(Predicate, Claim):
        Predicate.objects.filter(pk=controlled_by.pk).update(value_type=Predicate.ValueType.QUANTITY)
    with refused(Predicate, Claim):
        execute("UPDATE claims_predicate SET value_type = 'text' WHERE id = %s", [controlled_by.pk])


def test_a_predicate_nobody_has_used_can_change_its_value_type() -> None:
    unused = Predicate.objects.create(slug="shelled-by", label="shelled by", value_type=Predicate.ValueType.ENTITY)

    Predicate.objects.filter(pk=unused.pk).update(value_type=Predicate.ValueType.TEXT)

    unused.refresh_from_db()
    assert unused.value_type == Predicate.ValueType.TEXT


# --- A source URL is unique after normalisation --------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "HTTPS://News.Example.ORG/war/aghband",
        "https://news.example.org/war/aghband/",
        "https://news.example.org/war/aghband?utm_source=twitter&utm_medium=social",
        "https://news.example.org/war/aghband?fbclid=abc123",
        "https://news.example.org/war/aghband#comments",
        "https://news.example.org:443/war/aghband",
        "  https://NEWS.example.org/war/aghband/?utm_campaign=x#top  ",
    ],
)
def test_a_source_url_is_unique_after_normalisation(variant: str) -> None:
    first = Source.objects.create(title="Aghband captured", url="https://news.example.org/war/aghband")

    with refused(Source) as excinfo:
        Source.objects.create(title="The same article again", url=variant)
    assert db_cause(excinfo).diag.constraint_name == "source_url_unique"
    first.refresh_from_db()
    assert first.url == "https://news.example.org/war/aghband"


def test_a_source_url_is_stored_normalised() -> None:
    source = Source.objects.create(title="t", url="HTTPS://News.Example.org/a/b/?utm_source=x&z=1&a=2#frag")

    stored = fetch_one("SELECT url FROM sources_source WHERE id = %s", [source.pk])[0]
    assert stored == "https://news.example.org/a/b?a=2&z=1"


def test_a_lookup_by_any_form_of_the_url_finds_the_normalised_source() -> None:
    source = Source.objects.create(title="t", url="https://news.example.org/war/aghband")

    assert Source.objects.get(url="HTTPS://NEWS.example.org/war/aghband/?utm_source=tw#x") == source
    assert list(Source.objects.filter(url__in=["https://news.example.org/war/aghband/"])) == [source]


def test_updating_a_source_to_another_sources_url_in_another_form_is_refused() -> None:
    Source.objects.create(title="first", url="https://news.example.org/a")
    second = Source.objects.create(title="second", url="https://news.example.org/b")

    with refused(Source):
        Source.objects.filter(pk=second.pk).update(url="HTTPS://news.example.org/a/?utm_source=x")


@pytest.mark.parametrize(
    "unnormalised",
    [
        "https://News.example.org/a",
        "https://news.EXAMPLE.org/a",
        "https://news.example.org/a/",
        "https://news.example.org/a#frag",
        "https://news.example.org/a?utm_source=twitter",
        "ftp://news.example.org/a",
    ],
)
def test_raw_sql_cannot_store_a_url_that_is_not_normalised(unnormalised: str) -> None:
    """Raw SQL skips the field's normalisation, so the table's CHECK must refuse any URL
    that is not in the one normalised form; otherwise two forms of one URL could coexist."""
    with refused(Source):
        execute(
            """
            INSERT INTO sources_source (kind, url, title, author, language, published_precision,
                                        archive_url, content_hash, created_at, updated_at)
            VALUES ('article', %s, 't', '', '', 'day', '', '', now(), now())
            """,
            [unnormalised],
        )


def test_many_sources_may_have_no_url() -> None:
    Source.objects.create(title="An interview on state television", url=None)
    Source.objects.create(title="A leaflet", url="")
    Source.objects.create(title="A radio report")

    assert Source.objects.filter(url__isnull=True).count() == 3


# --- A contradiction pair is stored once, whatever the order ------------------------


@pytest.fixture
def pair() -> tuple[Claim, Claim]:
    first = Claim.objects.create(**claim_values())
    second = Claim.objects.create(**claim_values(subject=first.subject, polarity=Claim.Polarity.DENIES))
    return first, second


def test_a_contradiction_pair_is_stored_once(pair: tuple[Claim, Claim]) -> None:
    first, second = pair
    make_contradiction(first, second)

    with refused(Contradiction) as excinfo:
        make_contradiction(first, second, kind=Contradiction.Kind.CONFLICTING_VALUE, rule="conflicting-value")
    assert db_cause(excinfo).diag.constraint_name == "contradiction_pair_unique"


def test_the_same_pair_in_the_other_order_is_refused(pair: tuple[Claim, Claim]) -> None:
    first, second = pair
    make_contradiction(first, second)

    with refused(Contradiction):
        make_contradiction(second, first)
    with refused(Contradiction):
        execute(
            """
            INSERT INTO claims_contradiction (claim_a_id, claim_b_id, kind, relation, explanation, rule,
                                              rule_version, detected_at, state, state_reason, updated_at)
            VALUES (%s, %s, 'negation', 'dispute', 'x', 'negation', 1, now(), 'open', '', now())
            """,
            [second.pk, first.pk],
        )
    assert Contradiction.objects.count() == 1


def test_a_pair_stored_in_descending_order_is_refused_so_each_pair_has_one_form(pair: tuple[Claim, Claim]) -> None:
    first, second = pair

    with refused(Contradiction) as excinfo:
        make_contradiction(second, first)
    assert db_cause(excinfo).diag.constraint_name == "contradiction_pair_ordered"


def test_a_claim_cannot_contradict_itself(pair: tuple[Claim, Claim]) -> None:
    first, _ = pair

    with refused(Contradiction):
        make_contradiction(first, first)


def test_a_dismissal_without_a_reason_is_refused(pair: tuple[Claim, Claim]) -> None:
    contradiction = make_contradiction(*pair)

    with refused(Contradiction) as excinfo:
        Contradiction.objects.filter(pk=contradiction.pk).update(state=Contradiction.State.DISMISSED)
    assert db_cause(excinfo).diag.constraint_name == "contradiction_dismissal_has_reason"


def test_a_resolution_without_the_verdict_that_settled_it_is_refused(pair: tuple[Claim, Claim]) -> None:
    contradiction = make_contradiction(*pair)

    with refused(Contradiction):
        Contradiction.objects.filter(pk=contradiction.pk).update(state=Contradiction.State.RESOLVED)


# --- Every choice column is limited to its choices -----------------------------------


def _our_models() -> list[type[models.Model]]:
    """Every concrete model of our apps, except pghistory's event tables."""
    import pghistory.models

    found = []
    for app_label in ("sources", "claims"):
        for model in apps.get_app_config(app_label).get_models():
            if issubclass(model, pghistory.models.Event):
                continue
            found.append(model)
    return found


def _choices_of(field: models.Field[Any, Any]) -> Any:
    """The choices a column is limited to: its own, or for an array, its elements'."""
    from django.contrib.postgres.fields import ArrayField

    return field.base_field.choices if isinstance(field, ArrayField) else field.choices


CHOICE_FIELDS = [
    pytest.param(model, field.name, id=f"{model._meta.label}.{field.name}")
    for model in _our_models()
    for field in model._meta.concrete_fields
    if _choices_of(field)
]


def test_the_choice_columns_are_found() -> None:
    """Guards the loop below against silently testing nothing."""
    found = {param.id for param in CHOICE_FIELDS}
    assert {
        "sources.Party.kind",
        "sources.Party.reliability",
        "sources.Source.kind",
        "claims.Claim.polarity",
        "claims.Claim.hedge",
        "claims.Claim.credibility",
        "claims.Claim.status",
        "claims.Verdict.rating",
        "claims.Contradiction.state",
        "claims.ClaimSource.role",
        "claims.Predicate.value_type",
    } <= found


@pytest.fixture
def one_of_each(reviewer: User) -> dict[type[models.Model], models.Model]:
    """One row of every model that has a choice column."""
    claim = Claim.objects.create(**claim_values())
    other = Claim.objects.create(**claim_values(subject=claim.subject, polarity=Claim.Polarity.DENIES))
    source = factories.SourceFactory()
    verdict = make_verdict(claim, reviewer)
    rows: dict[type[models.Model], Any] = {
        Party: claim.asserted_by,
        Source: source,
        Entity: claim.subject,
        Predicate: Predicate.objects.create(slug="unused", label="unused", value_type=Predicate.ValueType.TEXT),
        Claim: claim,
        ClaimSource: ClaimSource.objects.create(claim=claim, source=source),
        Verdict: verdict,
        VerdictEvidence: VerdictEvidence.objects.create(verdict=verdict, source=source),
        Contradiction: make_contradiction(claim, other),
        ScanRun: ScanRun.objects.create(),
        ClaimImport: ClaimImport.objects.create(origin=ClaimImport.Origin.API),
    }
    # The change feed's row and the claim counts' are written by triggers when the claim is.
    rows[ClaimChange] = ClaimChange.objects.filter(claim=claim).first()
    assert rows[ClaimChange] is not None
    rows[PartyClaimCount] = PartyClaimCount.objects.filter(party=claim.asserted_by).first()
    assert rows[PartyClaimCount] is not None
    return rows


def _invalid_value(field: models.Field[Any, Any]) -> Any:
    from django.contrib.postgres.fields import ArrayField

    if isinstance(field, ArrayField):
        return [_invalid_value(field.base_field)]
    valid = {value for value, _ in field.flatchoices}
    if isinstance(field, models.IntegerField):
        candidate: Any = max(valid) + 1
    else:
        candidate = "not-a-choice"[: field.max_length or 12]
    assert candidate not in valid
    return candidate


@pytest.mark.parametrize(("model", "field_name"), CHOICE_FIELDS)
def test_a_choice_column_refuses_a_value_outside_its_choices(
    model: type[models.Model], field_name: str, one_of_each: dict[type[models.Model], models.Model]
) -> None:
    assert model in one_of_each, f"add a row of {model.__name__} to the one_of_each fixture"
    row = one_of_each[model]
    field = cast("models.Field[Any, Any]", model._meta.get_field(field_name))  # a concrete field
    table, column = model._meta.db_table, field.column
    bad = _invalid_value(field)

    with refused(model) as excinfo:
        if model is Verdict:
            # Verdicts refuse every update, so try to insert one with the bad rating.
            assert column == "rating"
            execute(
                """
                INSERT INTO claims_verdict (claim_id, rating, rationale, reviewer_id, recorded_at)
                SELECT claim_id, %s, rationale, reviewer_id, now() FROM claims_verdict WHERE id = %s
                """,
                [bad, row.pk],
            )
        else:
            execute(f'UPDATE {table} SET "{column}" = %s WHERE id = %s', [bad, row.pk])
    cause = db_cause(excinfo)
    assert isinstance(cause, psycopg2.errors.CheckViolation), cause
    # The CHECK that refused it is about this column (not some other rule the row broke).
    (definition,) = fetch_one(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [cause.diag.constraint_name]
    )
    assert column in definition


# --- Verdicts are append-only ---------------------------------------------------------


@pytest.fixture
def verdict(reviewer: User) -> Verdict:
    return make_verdict(Claim.objects.create(**claim_values()), reviewer)


def test_a_verdicts_rating_cannot_be_changed(verdict: Verdict) -> None:
    with refused(Verdict, Claim, match="append-only"):
        Verdict.objects.filter(pk=verdict.pk).update(rating=Status.TRUE)
    with refused(Verdict, Claim, match="append-only"):
        execute("UPDATE claims_verdict SET rating = 'true' WHERE id = %s", [verdict.pk])


def test_a_verdicts_rationale_reviewer_and_time_cannot_be_changed(verdict: Verdict, superuser: User) -> None:
    with refused(Verdict):
        Verdict.objects.filter(pk=verdict.pk).update(rationale="On second thoughts")
    with refused(Verdict):
        Verdict.objects.filter(pk=verdict.pk).update(reviewer=superuser)
    with refused(Verdict):
        Verdict.objects.filter(pk=verdict.pk).update(recorded_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))


def test_a_verdict_cannot_be_changed_through_save(verdict: Verdict) -> None:
    verdict.rating = Status.TRUE
    with refused(Verdict):
        verdict.save()


def test_a_verdict_cannot_be_deleted(verdict: Verdict) -> None:
    with refused(Verdict, Claim, error=DatabaseError, match="Cannot delete"):
        Verdict.objects.filter(pk=verdict.pk).delete()
    with refused(Verdict, Claim, error=DatabaseError, match="Cannot delete"):
        execute("DELETE FROM claims_verdict WHERE id = %s", [verdict.pk])


def test_a_verdict_can_be_published_once(verdict: Verdict) -> None:
    first = timezone.now()
    Verdict.objects.filter(pk=verdict.pk).update(published_at=first)

    with refused(Verdict, match="append-only"):
        Verdict.objects.filter(pk=verdict.pk).update(published_at=first + dt.timedelta(days=1))
    with refused(Verdict, match="append-only"):
        Verdict.objects.filter(pk=verdict.pk).update(published_at=None)
    verdict.refresh_from_db()
    assert verdict.published_at == first


def test_publishing_cannot_smuggle_in_another_change(verdict: Verdict) -> None:
    with refused(Verdict, match="append-only"):
        Verdict.objects.filter(pk=verdict.pk).update(published_at=timezone.now(), rating=Status.TRUE)


def test_a_verdicts_evidence_cannot_be_changed_or_removed(verdict: Verdict) -> None:
    link = VerdictEvidence.objects.create(verdict=verdict, source=factories.SourceFactory())

    with refused(VerdictEvidence, error=DatabaseError):
        VerdictEvidence.objects.filter(pk=link.pk).update(source=factories.SourceFactory())
    with refused(VerdictEvidence, error=DatabaseError):
        execute("DELETE FROM claims_verdictevidence WHERE id = %s", [link.pk])


# --- Claims and contradictions are never deleted -------------------------------------


def test_a_claim_cannot_be_deleted() -> None:
    claim = Claim.objects.create(**claim_values())
    ClaimSource.objects.create(claim=claim, source=factories.SourceFactory(), excerpt="Aghband was liberated")

    # The ORM deletes the claim's appearances first; the refusal must undo that too.
    with refused(Claim, ClaimSource, error=DatabaseError, match="Cannot delete"):
        claim.delete()
    with refused(Claim, ClaimSource, error=DatabaseError, match="Cannot delete"):
        Claim.objects.all().delete()
    with refused(Claim, error=DatabaseError, match="Cannot delete"):
        execute("DELETE FROM claims_claim WHERE id = %s", [claim.pk])


def test_a_contradiction_cannot_be_deleted(pair: tuple[Claim, Claim]) -> None:
    contradiction = make_contradiction(*pair)

    with refused(Contradiction, error=DatabaseError, match="Cannot delete"):
        contradiction.delete()
    with refused(Contradiction, error=DatabaseError, match="Cannot delete"):
        execute("DELETE FROM claims_contradiction WHERE id = %s", [contradiction.pk])


def test_history_events_cannot_be_rewritten_or_deleted() -> None:
    claim = Claim.objects.create(**claim_values())
    events = event_model(Claim)
    assert events is not None
    event = events._default_manager.get(pgh_obj_id=claim.pk, pgh_label="insert")

    with refused(events, error=DatabaseError):
        events._default_manager.filter(pk=event.pk).update(statement="Nothing was said")
    with refused(events, error=DatabaseError):
        events._default_manager.filter(pk=event.pk).delete()


# --- A claim's status is its latest verdict -------------------------------------------


def test_a_claims_status_follows_its_latest_verdict(reviewer: User) -> None:
    claim = Claim.objects.create(**claim_values())
    assert claim.status == Status.UNRATED

    for rating in (Status.UNPROVEN, Status.MOSTLY_FALSE, Status.FALSE):
        latest = make_verdict(claim, reviewer, rating=rating)
        claim.refresh_from_db()
        assert (claim.status, claim.current_verdict_id) == (rating, latest.pk)
    assert claim.review_state == Claim.ReviewState.DECIDED
    assert claim.verdicts.count() == 3


def test_a_verdict_inserted_in_raw_sql_still_sets_the_claims_status(reviewer: User) -> None:
    claim = Claim.objects.create(**claim_values())
    make_verdict(claim, reviewer, rating=Status.UNPROVEN)

    (verdict_id,) = fetch_one(
        """
        INSERT INTO claims_verdict (claim_id, rating, rationale, reviewer_id, recorded_at)
        VALUES (%s, 'true', 'Confirmed by satellite imagery.', %s, clock_timestamp())
        RETURNING id
        """,
        [claim.pk, reviewer.pk],
    )

    claim.refresh_from_db()
    assert (claim.status, claim.current_verdict_id) == (Status.TRUE, verdict_id)


def test_a_backdated_verdict_does_not_override_a_later_one(reviewer: User) -> None:
    claim = Claim.objects.create(**claim_values())
    current = make_verdict(claim, reviewer, rating=Status.FALSE)

    execute(
        """
        INSERT INTO claims_verdict (claim_id, rating, rationale, reviewer_id, recorded_at)
        VALUES (%s, 'true', 'An older review, entered late.', %s, '2020-11-01T00:00:00Z')
        """,
        [claim.pk, reviewer.pk],
    )

    claim.refresh_from_db()
    assert (claim.status, claim.current_verdict_id) == (Status.FALSE, current.pk)


def test_a_verdict_for_one_claim_leaves_other_claims_alone(reviewer: User) -> None:
    claim = Claim.objects.create(**claim_values())
    other = Claim.objects.create(**claim_values())

    make_verdict(claim, reviewer, rating=Status.FALSE)

    other.refresh_from_db()
    assert (other.status, other.current_verdict_id) == (Status.UNRATED, None)


def test_a_claims_status_cannot_be_written_to_disagree_with_its_latest_verdict(reviewer: User) -> None:
    """The status is kept in one place, by the verdict trigger; a direct write that makes
    it disagree with the verdict history must be refused."""
    claim = Claim.objects.create(**claim_values())
    make_verdict(claim, reviewer, rating=Status.FALSE)

    with refused(Claim, error=DatabaseError):
        Claim.objects.filter(pk=claim.pk).update(status=Status.TRUE)
    with refused(Claim, error=DatabaseError):
        execute("UPDATE claims_claim SET status = 'unrated', current_verdict_id = NULL WHERE id = %s", [claim.pk])


# --- History of every change ----------------------------------------------------------


@pytest.fixture
def tracked_rows(reviewer: User) -> dict[type[models.Model], models.Model]:
    claim = Claim.objects.create(**claim_values())
    other = Claim.objects.create(**claim_values(subject=claim.subject, polarity=Claim.Polarity.DENIES))
    source = factories.SourceFactory()
    return {
        Party: claim.asserted_by,
        Source: source,
        Entity: claim.subject,
        Claim: claim,
        ClaimSource: ClaimSource.objects.create(claim=claim, source=source),
        Contradiction: make_contradiction(claim, other),
        Verdict: make_verdict(claim, reviewer),
    }


# (model, column, new value): one change each table accepts.
Tracked = (
    type[Party] | type[Source] | type[Entity] | type[Claim] | type[ClaimSource] | type[Contradiction] | type[Verdict]
)
CHANGES = [
    pytest.param(Party, "description", "Speaks for the government", id="party"),
    pytest.param(Source, "title", "Retitled", id="source"),
    pytest.param(Entity, "description", "A village in Zangilan", id="entity"),
    pytest.param(Claim, "statement", "Azerbaijan holds Aghband", id="claim"),
    pytest.param(ClaimSource, "excerpt", "the village of Aghband", id="claimsource"),
    pytest.param(Contradiction, "explanation", "Clearer explanation", id="contradiction"),
    pytest.param(Verdict, "published_at", dt.datetime(2020, 12, 1, tzinfo=dt.UTC), id="verdict (publication)"),
]


def _update_events(model: type[models.Model], pk: int) -> list[Any]:
    events = event_model(model)
    assert events is not None, f"{model.__name__} has no history table"
    return list(events._default_manager.filter(pgh_obj_id=pk, pgh_label="update").order_by("pgh_id"))


@pytest.mark.parametrize(("model", "column", "value"), CHANGES)
def test_a_bulk_update_is_recorded_in_history(
    model: Tracked, column: str, value: object, tracked_rows: dict[type[models.Model], models.Model]
) -> None:
    row = tracked_rows[model]
    before = len(_update_events(model, row.pk))

    model.objects.filter(pk=row.pk).update(**{column: value})

    events = _update_events(model, row.pk)
    assert len(events) == before + 1
    assert getattr(events[-1], column) == value


@pytest.mark.parametrize(("model", "column", "value"), CHANGES)
def test_a_raw_sql_update_is_recorded_in_history(
    model: Tracked, column: str, value: object, tracked_rows: dict[type[models.Model], models.Model]
) -> None:
    row = tracked_rows[model]
    before = len(_update_events(model, row.pk))

    execute(f'UPDATE {model._meta.db_table} SET "{column}" = %s WHERE id = %s', [value, row.pk])

    events = _update_events(model, row.pk)
    assert len(events) == before + 1
    assert getattr(events[-1], column) == value


def test_history_keeps_what_a_claim_said_before_it_was_changed() -> None:
    claim = Claim.objects.create(**claim_values(statement="Azerbaijan controls Aghband"))
    Claim.objects.filter(pk=claim.pk).update(statement="Azerbaijan controls Aghband and the border")

    events = event_model(Claim)
    assert events is not None
    statements = list(
        events._default_manager.filter(pgh_obj_id=claim.pk).order_by("pgh_id").values_list("statement", flat=True)
    )
    assert statements == ["Azerbaijan controls Aghband", "Azerbaijan controls Aghband and the border"]


def test_history_records_the_acting_user_given_in_context(analyst: User) -> None:
    import pghistory

    claim = Claim.objects.create(**claim_values())
    with pghistory.context(user=analyst.pk, url="/somewhere"):
        Claim.objects.filter(pk=claim.pk).update(statement="Edited by the analyst")

    (event,) = _update_events(Claim, claim.pk)
    assert event.pgh_context.metadata["user"] == analyst.pk


# --- Text limits (an oversized text cannot reach the full-text index) -------------------


def test_a_claims_texts_over_their_limits_are_refused_in_raw_sql() -> None:
    claim = Claim.objects.create(**claim_values())
    for column, limit, constraint in [
        ("statement", 2000, "claim_statement_length"),
        ("quote", 20_000, "claim_quote_length"),
    ]:
        with refused(Claim) as excinfo:
            execute(f"UPDATE claims_claim SET {column} = repeat('x', %s) WHERE id = %s", [limit + 1, claim.pk])
        assert db_cause(excinfo).diag.constraint_name == constraint
        execute(f"UPDATE claims_claim SET {column} = repeat('x', %s) WHERE id = %s", [limit, claim.pk])


def test_a_text_value_over_its_limit_is_refused_on_insert() -> None:
    with refused(Claim) as excinfo:
        Claim.objects.create(**claim_values(predicate=predicate("losses"), object_entity=None, text_value="t" * 2001))
    assert db_cause(excinfo).diag.constraint_name == "claim_text_value_length"


def test_an_oversized_excerpt_is_refused_in_raw_sql() -> None:
    claim = Claim.objects.create(**claim_values())
    source = factories.SourceFactory()
    with refused(ClaimSource) as excinfo:
        execute(
            "INSERT INTO claims_claimsource (claim_id, source_id, role, excerpt, locator) "
            "VALUES (%s, %s, 'report', repeat('e', 20001), '')",
            [claim.pk, source.pk],
        )
    assert db_cause(excinfo).diag.constraint_name == "claimsource_excerpt_length"


def test_an_oversized_rationale_is_refused_in_raw_sql(reviewer: User) -> None:
    claim = Claim.objects.create(**claim_values())
    with refused(Verdict, Claim) as excinfo:
        execute(
            "INSERT INTO claims_verdict (claim_id, rating, rationale, reviewer_id, recorded_at) "
            "VALUES (%s, 'false', repeat('r', 20001), %s, now())",
            [claim.pk, reviewer.pk],
        )
    assert db_cause(excinfo).diag.constraint_name == "verdict_rationale_length"


@pytest.mark.parametrize("model", [Entity, Party], ids=["entity", "party"])
def test_more_than_fifty_aliases_are_refused(model: type[Entity] | type[Party]) -> None:
    row = factories.EntityFactory() if model is Entity else factories.PartyFactory()
    with refused(model) as excinfo:
        model.objects.filter(pk=row.pk).update(aliases=[f"Alias {n}" for n in range(51)])
    assert db_cause(excinfo).diag.constraint_name == f"{model._meta.model_name}_aliases_count"
    model.objects.filter(pk=row.pk).update(aliases=[f"Alias {n}" for n in range(50)])


@pytest.mark.parametrize(
    ("table", "column", "length"),
    [
        ("claims_entity", "name", 201),
        ("sources_party", "name", 201),
        ("claims_predicate", "label", 101),
        ("sources_source", "title", 501),
        ("sources_source", "author", 201),
        ("claims_claimsource", "locator", 101),
    ],
)
def test_names_titles_and_locators_over_their_limits_are_refused_in_raw_sql(
    table: str, column: str, length: int
) -> None:
    """These are varchar(n): the column type itself refuses a longer value."""
    rows: dict[str, Callable[[], models.Model]] = {
        "claims_entity": factories.EntityFactory,
        "sources_party": factories.PartyFactory,
        "claims_predicate": lambda: predicate("losses"),
        "sources_source": factories.SourceFactory,
        "claims_claimsource": lambda: ClaimSource.objects.create(
            claim=Claim.objects.create(**claim_values()), source=factories.SourceFactory()
        ),
    }
    row = rows[table]()
    with refused(type(row), error=DataError):
        execute(f"UPDATE {table} SET {column} = repeat('n', %s) WHERE id = %s", [length, row.pk])


# --- Dates a claim's period (and Python) can represent ----------------------------------


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_ending_in_the_year_9999_is_refused_in_raw_sql(precision: str) -> None:
    claim = Claim.objects.create(**claim_values())
    with refused(Claim) as excinfo:
        execute(
            "UPDATE claims_claim SET valid_until = '9999-12-31', valid_until_precision = %s WHERE id = %s",
            [precision, claim.pk],
        )
    assert db_cause(excinfo).diag.constraint_name == "claim_valid_until_representable"


def test_a_period_or_assertion_outside_years_1_to_9998_is_refused_in_raw_sql() -> None:
    claim = Claim.objects.create(**claim_values(valid_until=None))
    for sql, constraint in [
        ("valid_from = '9999-01-01'", "claim_valid_from_representable"),
        ("valid_from = '0001-12-31 BC'", "claim_valid_from_representable"),
        ("asserted_at = '9999-01-01T00:00:00Z'", "claim_asserted_at_representable"),
        ("asserted_at = '0001-12-31T23:00:00Z BC'", "claim_asserted_at_representable"),
    ]:
        with refused(Claim) as excinfo:
            execute(f"UPDATE claims_claim SET {sql} WHERE id = %s", [claim.pk])  # noqa: S608  (constants)
        assert db_cause(excinfo).diag.constraint_name == constraint, sql


def test_the_first_and_last_representable_days_are_accepted() -> None:
    first = Claim.objects.create(
        **claim_values(
            asserted_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC), valid_from=dt.date(1, 1, 1), valid_until=dt.date(1, 1, 1)
        )
    )
    last = Claim.objects.create(
        **claim_values(
            asserted_at=dt.datetime(9998, 12, 31, 23, 59, tzinfo=dt.UTC),
            valid_from=dt.date(9998, 12, 31),
            valid_until=dt.date(9998, 12, 31),
            valid_until_precision="year",
        )
    )
    assert Claim.objects.get(pk=first.pk).period.lower == dt.date(1, 1, 1)
    assert Claim.objects.get(pk=last.pk).period.upper == dt.date(9999, 1, 1)


@pytest.mark.parametrize("column", ["published_at", "retrieved_at"])
def test_a_source_dated_outside_years_1_to_9998_is_refused_in_raw_sql(column: str) -> None:
    source = factories.SourceFactory()
    for moment in ("9999-06-01T00:00:00Z", "0001-06-01T00:00:00Z BC"):
        with refused(Source) as excinfo:
            execute(f"UPDATE sources_source SET {column} = %s WHERE id = %s", [moment, source.pk])
        assert db_cause(excinfo).diag.constraint_name == f"source_{column}_representable"


# --- Coordinates ----------------------------------------------------------------------


@pytest.mark.parametrize("latitude, longitude", [(39.5, None), (None, 46.7)])
def test_a_latitude_or_a_longitude_alone_is_refused_in_raw_sql(latitude: float | None, longitude: float | None) -> None:
    entity = factories.EntityFactory()
    with refused(Entity) as excinfo:
        execute(
            "UPDATE claims_entity SET latitude = %s, longitude = %s WHERE id = %s", [latitude, longitude, entity.pk]
        )
    assert db_cause(excinfo).diag.constraint_name == "entity_coordinates_valid"


def test_both_coordinates_or_neither_are_accepted() -> None:
    entity = factories.EntityFactory()
    execute("UPDATE claims_entity SET latitude = 39.5, longitude = 46.7 WHERE id = %s", [entity.pk])
    execute("UPDATE claims_entity SET latitude = NULL, longitude = NULL WHERE id = %s", [entity.pk])


# --- Trees ------------------------------------------------------------------------------


def test_a_loop_of_places_or_parties_is_refused_in_raw_sql() -> None:
    def entity(name: str, up: Any) -> Any:
        return Entity.objects.create(name=name, part_of=up)

    def party(name: str, up: Any) -> Any:
        return Party.objects.create(name=name, parent=up)

    for table, column, constraint, make in [
        ("claims_entity", "part_of_id", "entity_part_of_no_loop", entity),
        ("sources_party", "parent_id", "party_parent_no_loop", party),
    ]:
        top = make("Top", None)
        bottom = make("Bottom", make("Middle", top))
        with refused(Entity, Party) as excinfo:
            execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [bottom.pk, top.pk])
        assert db_cause(excinfo).diag.constraint_name == constraint
        execute(f"UPDATE {table} SET {column} = NULL WHERE id = %s", [bottom.pk])
        execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [bottom.pk, top.pk])  # no loop now


@pytest.mark.parametrize(
    ("model", "column", "constraint"),
    [(Entity, "part_of_id", "entity_part_of_depth"), (Party, "parent_id", "party_parent_depth")],
    ids=["places", "parties"],
)
def test_a_tree_deeper_than_the_walks_go_is_refused_in_raw_sql(model: Any, column: str, constraint: str) -> None:
    table = model._meta.db_table
    top = model.objects.create(name="Level 0")
    rows = [top]
    for level in range(1, TREE_MAX_DEPTH + 1):  # the deepest allowed: 32 steps
        rows.append(model.objects.create(name=f"Level {level}", **{column.removesuffix("_id"): rows[-1]}))
    other = model.objects.create(name="Above")

    # A row added below the deepest, or the whole tree put under another row: too deep.
    with refused(Entity, Party) as excinfo:
        model.objects.create(name="Below", **{column.removesuffix("_id"): rows[-1]})  # no validation: the trigger
    assert db_cause(excinfo).diag.constraint_name == constraint
    with refused(Entity, Party) as excinfo:
        execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [other.pk, top.pk])
    assert db_cause(excinfo).diag.constraint_name == constraint
    # Its bottom row put under the other row instead: 1 step.
    execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [other.pk, rows[-1].pk])
