"""The write services in ``claims.services``, the domain QuerySets, and URL normalisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from claims.models import Claim, ClaimSource, Contradiction, Entity, Status, Verdict
from claims.selectors import claim_status_as_of
from claims.services import (
    Appearance,
    claim_create,
    claim_retract,
    claim_update,
    contradiction_confirm,
    contradiction_dismiss,
    verdict_publish,
    verdict_record,
)
from sources.models import Party
from sources.urlnorm import InvalidURL, normalize_url
from tests import factories
from tests.factories import predicate

ASSERTED_AT = dt.datetime(2020, 10, 23, 14, 30, tzinfo=dt.UTC)


def messages_of(error: ValidationError, field: str) -> str:
    """Every message for ``field``, as one string."""
    return " ".join(error.message_dict.get(field, []))


def all_messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def new_claim(**overrides: Any) -> Claim:
    """A valid "controlled by" claim through the service; override to vary it."""
    values: dict[str, Any] = {
        "predicate": predicate("controlled-by"),
        "asserted_at": ASSERTED_AT,
        "statement": "Azerbaijan controls Aghband",
    }
    values.update(overrides)
    # Only make the related rows the caller did not give (names and parties are unique).
    if "subject" not in values:
        values["subject"] = factories.EntityFactory()
    if "object_entity" not in values:
        values["object_entity"] = factories.EntityFactory(kind=Entity.Kind.ORGANISATION)
    if "asserted_by" not in values:
        values["asserted_by"] = factories.PartyFactory()
    return claim_create(**values)


# --- claim_create ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_without_a_period_is_about_the_day_it_was_asserted() -> None:
    claim = new_claim()

    claim.refresh_from_db()
    assert (claim.valid_from, claim.valid_until) == (dt.date(2020, 10, 23), dt.date(2020, 10, 23))
    assert claim.valid_from_precision == claim.valid_until_precision == "day"


@pytest.mark.django_db
def test_a_claim_keeps_the_period_it_is_given() -> None:
    claim = new_claim(valid_from=dt.date(2020, 10, 1), valid_from_precision="month", valid_until=None)

    claim.refresh_from_db()
    assert (claim.valid_from, claim.valid_from_precision, claim.valid_until) == (dt.date(2020, 10, 1), "month", None)


@pytest.mark.django_db
def test_a_single_quantity_becomes_its_own_range() -> None:
    claim = new_claim(predicate=predicate("casualties"), object_entity=None, quantity_best=Decimal(17))

    claim.refresh_from_db()
    assert (claim.quantity_low, claim.quantity_best, claim.quantity_high) == (Decimal(17), Decimal(17), Decimal(17))
    assert claim.value_type == "quantity"


@pytest.mark.django_db
def test_a_quantity_range_is_kept_as_given() -> None:
    claim = new_claim(
        predicate=predicate("casualties"),
        object_entity=None,
        quantity_low=Decimal(10),
        quantity_best=Decimal(20),
        quantity_high=Decimal(40),
    )

    claim.refresh_from_db()
    assert (claim.quantity_low, claim.quantity_best, claim.quantity_high) == (Decimal(10), Decimal(20), Decimal(40))


@pytest.mark.django_db
def test_a_claim_is_saved_with_its_appearances_and_their_excerpts(analyst: User) -> None:
    article = factories.SourceFactory(title="Azerbaijan captures Aghband")
    republication = factories.SourceFactory(title="Azerbaijan captures Aghband (republished)")

    claim = new_claim(
        quote="Azerbaijani forces captured the village of Aghband",
        appearances=[
            Appearance(source=article, role=ClaimSource.Role.ORIGINAL, excerpt="captured the village", locator="¶2"),
            Appearance(source=republication, role=ClaimSource.Role.REPUBLICATION, excerpt="the village of Aghband"),
        ],
        created_by=analyst,
    )

    links = list(
        ClaimSource.objects.filter(claim=claim).order_by("id").values_list("source", "role", "excerpt", "locator")
    )
    assert links == [
        (article.pk, "original", "captured the village", "¶2"),
        (republication.pk, "republication", "the village of Aghband", ""),
    ]
    claim.refresh_from_db()
    assert claim.created_by == analyst
    assert claim.status == Status.UNRATED
    assert claim.quote == "Azerbaijani forces captured the village of Aghband"


@pytest.mark.django_db
def test_an_entity_predicate_given_a_quantity_is_a_field_error_and_nothing_is_written() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(
            object_entity=None,
            quantity_best=Decimal(3),
            appearances=[Appearance(source=factories.SourceFactory(), excerpt="three")],
        )

    assert "quantity_best" in excinfo.value.message_dict
    assert "controlled by" in messages_of(excinfo.value, "quantity_best")
    assert "entity" in messages_of(excinfo.value, "quantity_best")
    assert Claim.objects.count() == 0
    assert ClaimSource.objects.count() == 0


@pytest.mark.django_db
def test_a_quantity_predicate_given_an_object_is_a_field_error_and_nothing_is_written() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(predicate=predicate("casualties"), appearances=[Appearance(source=factories.SourceFactory())])

    assert "object_entity" in excinfo.value.message_dict
    assert "casualties" in messages_of(excinfo.value, "object_entity")
    assert "quantity" in messages_of(excinfo.value, "object_entity")
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_an_entity_predicate_without_an_object_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(object_entity=None)

    assert "needs an entity" in messages_of(excinfo.value, "object_entity")
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_text_predicate_without_text_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(predicate=predicate("losses"), object_entity=None)

    assert "text_value" in excinfo.value.message_dict
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_predicate_without_a_value_given_an_object_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(predicate=predicate("collapsing"))

    assert "object_entity" in excinfo.value.message_dict
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_period_that_ends_before_it_starts_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(valid_from=dt.date(2020, 10, 23), valid_until=dt.date(2020, 10, 9))

    assert "end is before its start" in all_messages(excinfo.value)
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_quantity_out_of_order_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(
            predicate=predicate("casualties"),
            object_entity=None,
            quantity_low=Decimal(50),
            quantity_best=Decimal(20),
            quantity_high=Decimal(40),
        )

    assert "low ≤ best ≤ high" in all_messages(excinfo.value)
    assert Claim.objects.count() == 0


@pytest.mark.django_db
def test_a_range_without_a_best_estimate_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(
            predicate=predicate("casualties"), object_entity=None, quantity_low=Decimal(1), quantity_high=Decimal(9)
        )

    assert "quantity_best" in excinfo.value.message_dict


@pytest.mark.django_db
def test_a_bad_appearance_undoes_the_whole_claim() -> None:
    """The claim and its appearances are one unit of work: a link that cannot be saved
    leaves no claim behind."""
    source = factories.SourceFactory()

    with pytest.raises(ValidationError):
        new_claim(appearances=[Appearance(source=source, excerpt="first"), Appearance(source=source, excerpt="again")])

    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_an_unknown_choice_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_claim(hedge="rumoured")

    assert "hedge" in excinfo.value.message_dict
    assert Claim.objects.count() == 0


# --- claim_update ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claim_can_be_updated() -> None:
    claim = new_claim()
    hadrut = factories.EntityFactory(name="Hadrut")

    updated = claim_update(claim=claim, data={"statement": "Azerbaijan controls Hadrut", "subject": hadrut})

    updated.refresh_from_db()
    assert (updated.statement, updated.subject) == ("Azerbaijan controls Hadrut", hadrut)


@pytest.mark.django_db
def test_an_update_that_breaks_the_value_type_is_refused_and_changes_nothing() -> None:
    claim = new_claim()

    with pytest.raises(ValidationError) as excinfo:
        claim_update(claim=claim, data={"object_entity": None, "quantity_best": Decimal(5), "statement": "changed"})

    assert "quantity_best" in excinfo.value.message_dict
    claim.refresh_from_db()
    assert claim.statement == "Azerbaijan controls Aghband"
    assert claim.object_entity is not None and claim.quantity_best is None


@pytest.mark.django_db
def test_fields_kept_by_the_database_cannot_be_updated() -> None:
    claim = new_claim()

    with pytest.raises(ValidationError) as excinfo:
        claim_update(claim=claim, data={"status": Status.TRUE, "retracted_at": ASSERTED_AT})

    assert {"status", "retracted_at"} <= set(excinfo.value.message_dict)
    claim.refresh_from_db()
    assert (claim.status, claim.retracted_at) == (Status.UNRATED, None)


@pytest.mark.django_db
def test_correcting_a_single_figure_moves_its_range_with_it() -> None:
    """A claim of "17 casualties" is stored as 17–17; corrected to 25, it is 25–25, not
    an error because 25 lies outside the old range."""
    claim = new_claim(predicate=predicate("casualties"), object_entity=None, quantity_best=Decimal(17))

    updated = claim_update(claim=claim, data={"quantity_best": Decimal(25)})

    updated.refresh_from_db()
    assert (updated.quantity_low, updated.quantity_best, updated.quantity_high) == (
        Decimal(25),
        Decimal(25),
        Decimal(25),
    )


# --- claim_retract --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_retraction_needs_a_reason() -> None:
    claim = new_claim()

    with pytest.raises(ValidationError) as excinfo:
        claim_retract(claim=claim, reason="   ")

    assert "retraction_reason" in excinfo.value.message_dict
    claim.refresh_from_db()
    assert claim.retracted_at is None


@pytest.mark.django_db
def test_a_retracted_claim_stays_on_record_with_its_reason() -> None:
    claim = new_claim()

    claim_retract(claim=claim, reason="  Logged against the wrong party.  ")

    claim.refresh_from_db()
    assert claim.retracted_at is not None
    assert claim.retraction_reason == "Logged against the wrong party."
    assert list(Claim.objects.retracted()) == [claim]
    assert list(Claim.objects.active()) == []


@pytest.mark.django_db
def test_a_claim_cannot_be_retracted_twice() -> None:
    claim = new_claim()
    claim_retract(claim=claim, reason="Duplicate")
    claim.refresh_from_db()
    first = (claim.retracted_at, claim.retraction_reason)

    with pytest.raises(ValidationError, match="already retracted"):
        claim_retract(claim=claim, reason="Another reason")

    claim.refresh_from_db()
    assert (claim.retracted_at, claim.retraction_reason) == first


@pytest.mark.django_db
def test_a_retracted_claim_cannot_be_updated() -> None:
    claim = new_claim()
    claim_retract(claim=claim, reason="Duplicate")
    claim.refresh_from_db()

    with pytest.raises(ValidationError, match="retracted"):
        claim_update(claim=claim, data={"statement": "Changed after retraction"})

    claim.refresh_from_db()
    assert claim.statement == "Azerbaijan controls Aghband"


@pytest.mark.django_db
def test_an_update_through_a_stale_copy_of_a_retracted_claim_is_refused() -> None:
    """Another analyst retracted the claim after this copy was loaded."""
    claim = new_claim()
    stale = Claim.objects.get(pk=claim.pk)
    claim_retract(claim=claim, reason="Duplicate")

    with pytest.raises(ValidationError, match="retracted"):
        claim_update(claim=stale, data={"statement": "Changed after retraction"})

    claim.refresh_from_db()
    assert claim.statement == "Azerbaijan controls Aghband"


# --- verdict_record, verdict_publish, claim_status_as_of ------------------------------


@pytest.mark.django_db
def test_a_verdict_sets_the_claims_status(analyst: User) -> None:
    claim = new_claim()

    verdict = verdict_record(
        claim=claim, rating=Status.FALSE, rationale="The village was still contested.", reviewer=analyst
    )

    claim.refresh_from_db()
    assert (claim.status, claim.current_verdict_id) == (Status.FALSE, verdict.pk)
    assert verdict.published_at is None


@pytest.mark.django_db
def test_a_second_verdict_is_appended_and_the_first_is_kept(analyst: User) -> None:
    claim = new_claim()
    first = verdict_record(claim=claim, rating=Status.UNPROVEN, rationale="No evidence yet.", reviewer=analyst)

    second = verdict_record(claim=claim, rating=Status.TRUE, rationale="Video geolocated.", reviewer=analyst)

    assert list(claim.verdicts.order_by("id").values_list("pk", "rating")) == [
        (first.pk, Status.UNPROVEN),
        (second.pk, Status.TRUE),
    ]
    claim.refresh_from_db()
    assert claim.status == Status.TRUE


@pytest.mark.django_db
def test_a_verdict_records_its_evidence(analyst: User) -> None:
    claim = new_claim()
    video = factories.SourceFactory(title="Video near Muradxanlı")

    verdict = verdict_record(
        claim=claim, rating=Status.TRUE, rationale="Geolocated.", reviewer=analyst, evidence=[video]
    )

    assert list(verdict.evidence.all()) == [video]


@pytest.mark.django_db
def test_a_verdict_needs_a_rationale_and_a_known_rating(analyst: User) -> None:
    claim = new_claim()

    with pytest.raises(ValidationError) as excinfo:
        verdict_record(claim=claim, rating=Status.TRUE, rationale="  ", reviewer=analyst)
    assert "rationale" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        verdict_record(claim=claim, rating="pants_on_fire", rationale="Nope.", reviewer=analyst)
    assert "rating" in excinfo.value.message_dict

    assert Verdict.objects.count() == 0
    claim.refresh_from_db()
    assert claim.status == Status.UNRATED


@pytest.mark.django_db
def test_the_status_as_of_an_earlier_moment_is_the_verdict_then_in_force(analyst: User) -> None:
    """A verdict's time is its statement's (not its transaction's), so each has its own."""
    claim = new_claim()
    first = verdict_record(claim=claim, rating=Status.UNPROVEN, rationale="No evidence yet.", reviewer=analyst)
    second = verdict_record(
        claim=claim, rating=Status.FALSE, rationale="Armenian forces still held it.", reviewer=analyst
    )
    third = verdict_record(
        claim=claim, rating=Status.TRUE, rationale="Confirmed after the ceasefire.", reviewer=analyst
    )
    for verdict in (first, second, third):
        verdict.refresh_from_db()
    assert first.recorded_at < second.recorded_at < third.recorded_at

    assert claim_status_as_of(claim=claim, moment=first.recorded_at - dt.timedelta(microseconds=1)) == "unrated"
    assert claim_status_as_of(claim=claim, moment=first.recorded_at) == Status.UNPROVEN
    between = first.recorded_at + (second.recorded_at - first.recorded_at) / 2
    assert claim_status_as_of(claim=claim, moment=between) == Status.UNPROVEN
    assert claim_status_as_of(claim=claim, moment=second.recorded_at) == Status.FALSE
    assert claim_status_as_of(claim=claim, moment=third.recorded_at + dt.timedelta(days=1)) == Status.TRUE
    claim.refresh_from_db()
    assert claim.status == Status.TRUE


@pytest.mark.django_db
def test_a_verdict_can_be_published_once(analyst: User) -> None:
    verdict = verdict_record(claim=new_claim(), rating=Status.TRUE, rationale="Geolocated.", reviewer=analyst)

    published = verdict_publish(verdict=verdict)
    assert published.published_at is not None
    with pytest.raises(ValidationError, match="already published"):
        verdict_publish(verdict=verdict)

    verdict.refresh_from_db()
    assert verdict.published_at == published.published_at


@pytest.mark.django_db
def test_a_verdict_recorded_as_published_cannot_be_published_again(analyst: User) -> None:
    verdict = verdict_record(
        claim=new_claim(), rating=Status.TRUE, rationale="Geolocated.", reviewer=analyst, publish=True
    )

    assert verdict.published_at is not None
    with pytest.raises(ValidationError):
        verdict_publish(verdict=verdict)


# --- contradiction_confirm / contradiction_dismiss -------------------------------------


@pytest.fixture
def contradiction(db: Any) -> Contradiction:
    affirms = new_claim()
    denies = new_claim(
        subject=affirms.subject,
        object_entity=affirms.object_entity,
        polarity=Claim.Polarity.DENIES,
        asserted_by=factories.PartyFactory(name="Armenian Ministry of Defence"),
        statement="Azerbaijan does not control Aghband",
    )
    return Contradiction.objects.create(
        claim_a=affirms,
        claim_b=denies,
        kind=Contradiction.Kind.NEGATION,
        relation=Contradiction.Relation.DISPUTE,
        explanation="One affirms what the other denies.",
        rule="negation",
    )


def test_a_contradiction_can_be_confirmed(contradiction: Contradiction, journalist: User) -> None:
    confirmed = contradiction_confirm(contradiction=contradiction, user=journalist, note="  Both on record.  ")

    confirmed.refresh_from_db()
    assert confirmed.state == Contradiction.State.CONFIRMED
    assert confirmed.state_reason == "Both on record."
    assert confirmed.reviewed_by == journalist
    assert confirmed.state_changed_at is not None


def test_a_contradiction_cannot_be_confirmed_twice(contradiction: Contradiction, journalist: User) -> None:
    contradiction_confirm(contradiction=contradiction, user=journalist)

    with pytest.raises(ValidationError, match="already confirmed"):
        contradiction_confirm(contradiction=contradiction, user=journalist)


def test_a_dismissal_needs_a_reason(contradiction: Contradiction, analyst: User) -> None:
    with pytest.raises(ValidationError) as excinfo:
        contradiction_dismiss(contradiction=contradiction, user=analyst, reason="  ")

    assert "reason" in excinfo.value.message_dict
    contradiction.refresh_from_db()
    assert (contradiction.state, contradiction.reviewed_by) == (Contradiction.State.OPEN, None)


def test_a_contradiction_can_be_dismissed_with_a_reason(contradiction: Contradiction, analyst: User) -> None:
    dismissed = contradiction_dismiss(
        contradiction=contradiction, user=analyst, reason="Different villages of that name."
    )

    dismissed.refresh_from_db()
    assert dismissed.state == Contradiction.State.DISMISSED
    assert dismissed.state_reason == "Different villages of that name."
    assert dismissed.reviewed_by == analyst


def test_a_confirmed_contradiction_can_later_be_dismissed_and_a_dismissed_one_confirmed(
    contradiction: Contradiction, analyst: User
) -> None:
    contradiction_confirm(contradiction=contradiction, user=analyst)
    contradiction_dismiss(contradiction=contradiction, user=analyst, reason="Misread the quote.")
    contradiction.refresh_from_db()
    assert contradiction.state == Contradiction.State.DISMISSED

    contradiction_confirm(contradiction=contradiction, user=analyst, note="Re-read: it is a real dispute.")
    contradiction.refresh_from_db()
    assert contradiction.state == Contradiction.State.CONFIRMED


@pytest.mark.parametrize("state", [Contradiction.State.CLOSED, Contradiction.State.RESOLVED])
def test_a_closed_or_resolved_contradiction_cannot_be_reviewed(
    contradiction: Contradiction, analyst: User, state: str
) -> None:
    verdict = verdict_record(claim=contradiction.claim_a, rating=Status.TRUE, rationale="Settled.", reviewer=analyst)
    Contradiction.objects.filter(pk=contradiction.pk).update(
        state=state, state_reason="Settled", resolved_by_verdict=verdict if state == "resolved" else None
    )

    with pytest.raises(ValidationError):
        contradiction_confirm(contradiction=contradiction, user=analyst)
    with pytest.raises(ValidationError):
        contradiction_dismiss(contradiction=contradiction, user=analyst, reason="No longer relevant")
    contradiction.refresh_from_db()
    assert contradiction.state == state


def test_each_review_is_kept_in_history(contradiction: Contradiction, analyst: User) -> None:
    from django.apps import apps

    contradiction_confirm(contradiction=contradiction, user=analyst)
    contradiction_dismiss(contradiction=contradiction, user=analyst, reason="Misread the quote.")

    events = apps.get_model("claims", "ContradictionEvent").objects.filter(pgh_obj_id=contradiction.pk)
    assert list(events.order_by("pgh_id").values_list("state", flat=True)) == ["open", "confirmed", "dismissed"]


# --- Entity search and the part-of / side hierarchies ---------------------------------


@pytest.fixture
def places(db: Any) -> dict[str, Entity]:
    azerbaijan = factories.EntityFactory(name="Azerbaijan")
    zangilan = factories.EntityFactory(name="Zangilan district", part_of=azerbaijan)
    aghband = factories.EntityFactory(name="Aghband", aliases=["Ağbənd"], part_of=zangilan)
    muradxanli = factories.EntityFactory(name="Muradxanlı", part_of=zangilan)
    hadrut = factories.EntityFactory(name="Hadrut")
    return {
        "azerbaijan": azerbaijan,
        "zangilan": zangilan,
        "aghband": aghband,
        "muradxanli": muradxanli,
        "hadrut": hadrut,
    }


@pytest.mark.parametrize("query", ["Agbend", "agbend", "AGHBAND", "Ağbənd", "aghband", "Agband"])
def test_entity_search_finds_aghband_by_any_spelling(places: dict[str, Entity], query: str) -> None:
    found = list(Entity.objects.search(query))

    assert found[0] == places["aghband"]
    assert places["hadrut"] not in found


@pytest.mark.parametrize("query", ["Muradkhanly", "Muradxanli", "muradxanlı", "MURADXANLI"])
def test_entity_search_finds_muradxanli_by_any_spelling(places: dict[str, Entity], query: str) -> None:
    found = list(Entity.objects.search(query))

    assert found[0] == places["muradxanli"]


def test_entity_search_finds_nothing_for_an_unrelated_name(places: dict[str, Entity]) -> None:
    assert list(Entity.objects.search("Stepanakert")) == []


def test_an_empty_entity_search_returns_everything(places: dict[str, Entity]) -> None:
    assert Entity.objects.search("  ").count() == len(places)


def test_entities_within_a_place_are_found_however_deep(places: dict[str, Entity]) -> None:
    within_azerbaijan = set(Entity.objects.within(places["azerbaijan"]))
    within_zangilan = set(Entity.objects.within(places["zangilan"].pk))

    assert within_azerbaijan == {places[name] for name in ("azerbaijan", "zangilan", "aghband", "muradxanli")}
    assert within_zangilan == {places["zangilan"], places["aghband"], places["muradxanli"]}
    assert set(Entity.objects.within(places["hadrut"])) == {places["hadrut"]}


@pytest.mark.django_db
def test_parties_within_a_side_are_found_however_deep() -> None:
    armenia = factories.PartyFactory(name="Armenia")
    ministry = factories.PartyFactory(name="Armenian Ministry of Defence", parent=armenia)
    spokesperson = factories.PartyFactory(name="Shushan Stepanyan", kind=Party.Kind.OFFICIAL, parent=ministry)
    azerbaijan = factories.PartyFactory(name="Azerbaijan")
    factories.PartyFactory(name="Ilham Aliyev", parent=azerbaijan)

    assert set(Party.objects.within(armenia)) == {armenia, ministry, spokesperson}
    assert set(Party.objects.within(ministry.pk)) == {ministry, spokesperson}
    assert spokesperson.side == armenia


@pytest.mark.django_db
def test_claims_about_a_region_include_claims_about_places_in_it(places: dict[str, Entity]) -> None:
    about_aghband = new_claim(subject=places["aghband"])
    new_claim(
        subject=places["hadrut"], object_entity=about_aghband.object_entity, asserted_by=about_aghband.asserted_by
    )

    assert list(Claim.objects.about(places["azerbaijan"])) == [about_aghband]


# --- URL normalisation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://southfront.org/lachin", "https://southfront.org/lachin"),
        ("HTTPS://SouthFront.ORG/lachin", "https://southfront.org/lachin"),
        ("https://southfront.org/lachin/", "https://southfront.org/lachin"),
        ("https://southfront.org/", "https://southfront.org"),
        ("https://southfront.org", "https://southfront.org"),
        ("https://southfront.org/lachin#comments", "https://southfront.org/lachin"),
        ("https://southfront.org/lachin?utm_source=tw&utm_medium=social", "https://southfront.org/lachin"),
        ("https://southfront.org/lachin?UTM_Campaign=x", "https://southfront.org/lachin"),
        ("https://southfront.org/lachin?fbclid=abc&gclid=def", "https://southfront.org/lachin"),
        ("https://southfront.org/lachin?b=2&a=1", "https://southfront.org/lachin?a=1&b=2"),
        ("https://southfront.org/lachin?id=7&utm_source=x", "https://southfront.org/lachin?id=7"),
        ("https://southfront.org:443/lachin", "https://southfront.org/lachin"),
        ("http://southfront.org:80/lachin", "http://southfront.org/lachin"),
        ("https://southfront.org:8443/lachin", "https://southfront.org:8443/lachin"),
        ("https://southfront.org/Lachin-Corridor", "https://southfront.org/Lachin-Corridor"),
        ("  https://southfront.org/lachin  ", "https://southfront.org/lachin"),
        ("http://southfront.org/lachin", "http://southfront.org/lachin"),
    ],
)
def test_normalize_url(given: str, normalised: str) -> None:
    assert normalize_url(given) == normalised


def test_normalising_twice_changes_nothing() -> None:
    once = normalize_url("HTTPS://Example.org/a/?z=1&utm_source=x&a=2#f")

    assert normalize_url(once) == once


def test_urls_that_differ_in_path_or_query_stay_different() -> None:
    assert normalize_url("https://example.org/a?id=1") != normalize_url("https://example.org/a?id=2")
    assert normalize_url("https://example.org/a") != normalize_url("https://example.org/b")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a url",
        "example.org/article",
        "//example.org/article",
        "ftp://example.org/article",
        "mailto:editor@example.org",
        "javascript:alert(1)",
        "https://",
        "https://example.org:99999/a",
        "https://example.org:port/a",
    ],
)
def test_a_bad_url_raises_invalid_url(bad: str) -> None:
    with pytest.raises(InvalidURL):
        normalize_url(bad)


def test_invalid_url_is_a_value_error_that_names_the_url() -> None:
    with pytest.raises(ValueError, match="ftp://example.org"):
        normalize_url("ftp://example.org")
