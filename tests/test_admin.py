"""The analysts' admin, driven through the test client as a person would use it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from claims.models import Claim, ClaimSource, Contradiction, Entity, Predicate, Status, Verdict
from claims.models.vocabulary import PART_OF_TOO_DEEP
from claims.services import verdict_record
from project.db import TREE_MAX_DEPTH
from sources.models import Party, Source
from tests import factories
from tests.factories import predicate

pytestmark = pytest.mark.django_db


# --- Helpers --------------------------------------------------------------------------


def url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """The places, parties and sources an analyst logs a claim against."""
    azerbaijan = factories.EntityFactory(name="Azerbaijan", kind=Entity.Kind.ORGANISATION)
    zangilan = factories.EntityFactory(name="Zangilan district")
    return {
        "azerbaijan": azerbaijan,
        "aghband": factories.EntityFactory(name="Aghband", aliases=["Ağbənd"], part_of=zangilan),
        "aliyev": factories.PartyFactory(name="Ilham Aliyev", kind=Party.Kind.OFFICIAL),
        "southfront": factories.SourceFactory(
            title="Lachin corridor under threat", url="https://southfront.org/lachin"
        ),
        "globalresearch": factories.SourceFactory(
            title="Lachin corridor under threat (republished)", url="https://www.globalresearch.ca/lachin"
        ),
    }


def claim_form(world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The claim add form as an analyst fills it in, with no inline rows."""
    data: dict[str, Any] = {
        "subject": world["aghband"].pk,
        "predicate": predicate("captured-by").pk,
        "polarity": "affirms",
        "object_entity": world["azerbaijan"].pk,
        "quantity_low": "",
        "quantity_best": "",
        "quantity_high": "",
        "text_value": "",
        "valid_from": "2020-10-22",
        "valid_from_precision": "day",
        "valid_until": "2020-10-22",
        "valid_until_precision": "day",
        "asserted_by": world["aliyev"].pk,
        "asserted_at_0": "2020-10-22",
        "asserted_at_1": "18:00:00",
        "statement": "Azerbaijan captured Aghband",
        "quote": "The Azerbaijani Army liberated the village of Aghband of Zangilan district.",
        "hedge": "stated",
        "credibility": "6",
        "review_state": "new",
    }
    data.update(overrides)
    return data


def with_appearances(data: dict[str, Any], rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    """Add the ClaimSource inline formset (management form and rows) to a POST."""
    prefix = "appearances"
    data = {
        **data,
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def two_sources(world: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "source": world["southfront"].pk,
            "role": "report",
            "excerpt": "the Azerbaijani Army liberated the village of Aghband",
            "locator": "¶3",
        },
        {
            "source": world["globalresearch"].pk,
            "role": "republication",
            "excerpt": "liberated the village of Aghband",
            "locator": "¶3",
        },
    ]


def page_text(response: Any) -> str:
    return str(response.content.decode())


def error_text(response: Any) -> str:
    """Every error the re-rendered admin form shows, form and inline."""
    if response.status_code != 200 or not response.context or "adminform" not in response.context:
        return f"HTTP {response.status_code}, no form shown"
    form = response.context["adminform"].form
    errors = [str(e) for errs in form.errors.values() for e in errs]
    for formset in response.context.get("inline_admin_formsets", []):
        errors += [str(e) for form_errors in formset.formset.errors for errs in form_errors.values() for e in errs]
        errors += [str(e) for e in formset.formset.non_form_errors()]
    return " ".join(errors)


def new_claim(world: dict[str, Any], **extra: Any) -> Claim:
    return factories.ClaimFactory(subject=world["aghband"], object_entity=world["azerbaijan"], **extra)


# --- Every page renders ---------------------------------------------------------------


REGISTERED = [pytest.param(model, id=model._meta.label) for model in admin.site._registry]


@pytest.fixture
def one_of_each(world: dict[str, Any], superuser: User) -> dict[type[models.Model], models.Model]:
    """A row of each of our models, for their change pages."""
    claim = new_claim(world, asserted_by=world["aliyev"])
    other = new_claim(world, polarity=Claim.Polarity.DENIES)
    ClaimSource.objects.create(claim=claim, source=world["southfront"], excerpt="liberated")
    verdict = verdict_record(claim=claim, rating=Status.TRUE, rationale="Confirmed.", reviewer=superuser)
    contradiction = Contradiction.objects.create(
        claim_a=claim, claim_b=other, kind="negation", relation="dispute", explanation="x", rule="negation"
    )
    appearance = claim.appearances.first()
    assert appearance is not None
    rows: dict[type[models.Model], models.Model] = {
        Party: world["aliyev"],
        Source: world["southfront"],
        Entity: world["aghband"],
        Predicate: predicate("controlled-by"),
        Claim: claim,
        ClaimSource: appearance,
        Verdict: verdict,
        Contradiction: contradiction,
        Group: Group.objects.get(name="Analyst"),
        type(superuser): superuser,
    }
    scan_run = apps.get_model("claims", "ScanRun")
    rows[scan_run] = scan_run.objects.create()
    api_key = apps.get_model("accounts", "UserAPIKey")
    rows[api_key] = api_key.objects.create_key(user=superuser, name="admin-laptop")[0]
    return rows


@pytest.mark.parametrize("model", REGISTERED)
def test_every_changelist_renders_for_a_superuser(
    model: type[models.Model], superuser: User, one_of_each: dict[type[models.Model], models.Model]
) -> None:
    response = logged_in(superuser).get(url(model, "changelist"))

    assert response.status_code == 200


SEARCHABLE = [pytest.param(m, id=m._meta.label) for m, ma in admin.site._registry.items() if ma.search_fields]
OURS = [
    pytest.param(m, id=m._meta.label)
    for m in admin.site._registry
    if m._meta.app_label in {"claims", "sources", "auth"}
]


@pytest.mark.parametrize("model", SEARCHABLE)
def test_every_changelist_search_renders_for_a_superuser(
    model: type[models.Model], superuser: User, one_of_each: dict[type[models.Model], models.Model]
) -> None:
    response = logged_in(superuser).get(url(model, "changelist"), {"q": "Aghband"})

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED)
def test_every_add_form_renders_for_a_superuser_or_is_refused_on_purpose(
    model: type[models.Model], superuser: User, rf: RequestFactory
) -> None:
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = superuser

    response = logged_in(superuser).get(url(model, "add"))

    assert response.status_code == (200 if model_admin.has_add_permission(request) else 403)


@pytest.mark.parametrize("model", OURS)
def test_every_change_page_of_our_models_renders_for_a_superuser(
    model: type[models.Model], superuser: User, one_of_each: dict[type[models.Model], models.Model]
) -> None:
    assert model in one_of_each, f"add a row of {model._meta.label} to the one_of_each fixture"

    response = logged_in(superuser).get(url(model, "change", one_of_each[model].pk))

    assert response.status_code == 200


def test_every_model_of_ours_is_in_the_admin() -> None:
    ours = [m for m in apps.get_app_config("claims").get_models() if not m.__name__.endswith("Event")]
    ours += [m for m in apps.get_app_config("sources").get_models() if not m.__name__.endswith("Event")]
    shown = {Party, Source, Entity, Predicate, Claim, Verdict, Contradiction}

    assert shown <= set(admin.site._registry), "analysts need these in the admin"
    assert shown <= set(ours)


# --- Logging a claim ------------------------------------------------------------------


def test_an_analyst_logs_a_claim_with_two_sources_and_sees_it_in_the_list(world: dict[str, Any], analyst: User) -> None:
    client = logged_in(analyst)
    assert client.get(url(Claim, "add")).status_code == 200

    response = client.post(url(Claim, "add"), with_appearances(claim_form(world), two_sources(world)))

    assert response.status_code == 302, error_text(response)
    claim = Claim.objects.get()
    assert claim.statement == "Azerbaijan captured Aghband"
    assert claim.created_by == analyst
    assert claim.asserted_at == dt.datetime(2020, 10, 22, 18, tzinfo=dt.UTC)
    links = list(claim.appearances.order_by("id").values_list("source", "role", "excerpt", "locator"))
    assert links == [
        (world["southfront"].pk, "report", "the Azerbaijani Army liberated the village of Aghband", "¶3"),
        (world["globalresearch"].pk, "republication", "liberated the village of Aghband", "¶3"),
    ]
    listing = client.get(url(Claim, "changelist"))
    assert "Azerbaijan captured Aghband" in page_text(listing)
    assert listing.context["cl"].result_count == 1


def test_a_claim_logged_without_a_period_is_about_the_day_it_was_asserted(world: dict[str, Any], analyst: User) -> None:
    data = claim_form(world, valid_from="", valid_until="")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)[:1]))

    assert response.status_code == 302, error_text(response)
    claim = Claim.objects.get()
    assert (claim.valid_from, claim.valid_until) == (dt.date(2020, 10, 22), dt.date(2020, 10, 22))


def test_a_single_figure_logged_in_the_admin_becomes_its_own_range(world: dict[str, Any], analyst: User) -> None:
    data = claim_form(
        world, predicate=predicate("casualties").pk, object_entity="", quantity_best="12", statement="12 killed"
    )

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert response.status_code == 302, error_text(response)
    claim = Claim.objects.get()
    assert (claim.quantity_low, claim.quantity_best, claim.quantity_high) == (Decimal(12), Decimal(12), Decimal(12))


def test_a_quantity_for_an_entity_predicate_is_a_form_error_and_nothing_is_written(
    world: dict[str, Any], analyst: User
) -> None:
    data = claim_form(world, object_entity="", quantity_best="5")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)))

    assert response.status_code == 200
    assert "quantity_best" in response.context["adminform"].form.errors
    assert "captured by" in error_text(response) and "entity" in error_text(response)
    assert "Please correct the error" in page_text(response)
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_an_object_for_a_quantity_predicate_is_a_form_error_and_nothing_is_written(
    world: dict[str, Any], analyst: User
) -> None:
    data = claim_form(world, predicate=predicate("casualties").pk, quantity_best="")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)))

    assert response.status_code == 200
    assert "object_entity" in response.context["adminform"].form.errors
    assert "casualties" in error_text(response)
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_an_object_and_a_quantity_for_a_quantity_predicate_is_a_form_error(
    world: dict[str, Any], analyst: User
) -> None:
    data = claim_form(world, predicate=predicate("casualties").pk, quantity_best="5")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert response.status_code == 200
    assert "object_entity" in response.context["adminform"].form.errors
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"valid_until": "2020-10-01"}, "end is before its start"),
        (
            {"predicate": "casualties", "object_entity": "", "quantity_low": "50", "quantity_best": "10"},
            "low ≤ best ≤ high",
        ),
        ({"predicate": "losses", "object_entity": ""}, "losses suffered"),
        ({"asserted_at_0": "", "asserted_at_1": ""}, "required"),
    ],
    ids=["period reversed", "quantity out of order", "text predicate without text", "no assertion time"],
)
def test_other_bad_claims_are_form_errors_not_server_errors(
    world: dict[str, Any], analyst: User, overrides: dict[str, Any], expected: str
) -> None:
    if "predicate" in overrides:
        overrides = {**overrides, "predicate": predicate(overrides["predicate"]).pk}
    data = claim_form(world, **overrides)

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)))

    assert response.status_code == 200
    assert expected in error_text(response) or expected in page_text(response)
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_the_same_source_twice_in_the_same_role_is_an_inline_error(world: dict[str, Any], analyst: User) -> None:
    row = two_sources(world)[0]

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(claim_form(world), [row, dict(row)]))

    assert response.status_code == 200
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_an_analyst_edits_a_claim_and_the_history_shows_who_changed_what(world: dict[str, Any], analyst: User) -> None:
    client = logged_in(analyst)
    client.post(url(Claim, "add"), with_appearances(claim_form(world), two_sources(world)))
    claim = Claim.objects.get()
    links = list(claim.appearances.order_by("id"))
    rows = [{"id": link.pk, "claim": claim.pk, **two_sources(world)[i]} for i, link in enumerate(links)]
    edited = with_appearances(claim_form(world, statement="Azerbaijan took Aghband"), rows, initial=2)

    response = client.post(url(Claim, "change", claim.pk), edited)

    assert response.status_code == 302, error_text(response)
    claim.refresh_from_db()
    assert claim.statement == "Azerbaijan took Aghband"
    events = apps.get_model("claims", "ClaimEvent").objects.filter(pgh_obj_id=claim.pk).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert all(e.pgh_context.metadata["user"] == analyst.pk for e in events), "the acting user is recorded"
    page = page_text(client.get(url(Claim, "change", claim.pk)))
    assert "Azerbaijan took Aghband" in page
    assert "Azerbaijan captured Aghband" in page, "the history shows the old statement"
    assert str(analyst) in page


def test_a_retracted_claim_cannot_be_edited_in_the_admin(world: dict[str, Any], analyst: User) -> None:
    from claims.services import claim_retract

    claim = new_claim(world)
    claim_retract(claim=claim, reason="Duplicate")

    response = logged_in(analyst).post(
        url(Claim, "change", claim.pk), with_appearances(claim_form(world, statement="Changed"), [])
    )

    assert response.status_code in {200, 302, 403}, "a refusal, not a server error"
    claim.refresh_from_db()
    assert claim.statement != "Changed"


def test_an_analyst_retracts_a_claim_with_a_reason(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)
    client = logged_in(analyst)
    selected = {"action": "retract_claims", "_selected_action": [claim.pk]}

    asked = client.post(url(Claim, "changelist"), selected)
    assert asked.status_code == 200 and "reason" in page_text(asked)
    refused = client.post(url(Claim, "changelist"), {**selected, "post": "yes", "reason": ""})
    assert refused.status_code == 200
    claim.refresh_from_db()
    assert claim.retracted_at is None

    client.post(url(Claim, "changelist"), {**selected, "post": "yes", "reason": "Logged twice."})
    claim.refresh_from_db()
    assert claim.retraction_reason == "Logged twice."


# --- Entity search --------------------------------------------------------------------


@pytest.mark.parametrize("term", ["Agbend", "ağbənd", "AGHBAND"])
def test_the_entity_admin_search_finds_aghband(world: dict[str, Any], analyst: User, term: str) -> None:
    factories.EntityFactory(name="Hadrut")

    response = logged_in(analyst).get(url(Entity, "changelist"), {"q": term})

    assert response.status_code == 200
    found = list(response.context["cl"].result_list)
    assert world["aghband"] in found
    assert all(entity.name != "Hadrut" for entity in found)


def test_the_subject_autocomplete_finds_aghband_by_another_spelling(world: dict[str, Any], analyst: User) -> None:
    response = logged_in(analyst).get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "claim", "field_name": "subject", "term": "Agbend"},
    )

    assert response.status_code == 200
    assert {"id": str(world["aghband"].pk), "text": "Aghband"} in response.json()["results"]


@pytest.mark.parametrize(
    ("field_name", "term", "expected"),
    [("asserted_by", "Aliyev", "Ilham Aliyev"), ("predicate", "captured", "captured by")],
)
def test_the_claim_forms_other_autocompletes_work_for_an_analyst(
    world: dict[str, Any], analyst: User, field_name: str, term: str, expected: str
) -> None:
    response = logged_in(analyst).get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "claim", "field_name": field_name, "term": term},
    )

    assert response.status_code == 200
    assert expected in [result["text"] for result in response.json()["results"]]


def test_the_source_autocomplete_of_the_inline_works_for_an_analyst(world: dict[str, Any], analyst: User) -> None:
    response = logged_in(analyst).get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "claimsource", "field_name": "source", "term": "Lachin"},
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


# --- Verdicts -------------------------------------------------------------------------


def test_a_second_verdict_is_appended_and_both_are_shown(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)
    client = logged_in(analyst)

    first = client.post(
        url(Verdict, "add"), {"claim": claim.pk, "rating": "unproven", "rationale": "No independent footage yet."}
    )
    second = client.post(
        url(Verdict, "add"), {"claim": claim.pk, "rating": "true", "rationale": "Geolocated video from the village."}
    )

    assert (first.status_code, second.status_code) == (302, 302)
    assert list(claim.verdicts.order_by("id").values_list("rating", flat=True)) == ["unproven", "true"]
    assert all(v.reviewer == analyst for v in claim.verdicts.all())
    claim.refresh_from_db()
    assert claim.status == Status.TRUE
    page = page_text(client.get(url(Claim, "change", claim.pk)))
    assert "No independent footage yet." in page
    assert "Geolocated video from the village." in page


def test_the_claims_history_shows_its_status_changing_with_verdicts(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)
    client = logged_in(analyst)
    client.post(url(Verdict, "add"), {"claim": claim.pk, "rating": "false", "rationale": "Contested."})

    page = page_text(client.get(url(Claim, "change", claim.pk)))

    assert "cw-history" in page
    # By the field's label and the choices' labels, not the column and its stored values.
    assert "<b>Status</b>: <del>Unrated</del> → <ins>False</ins>" in page


def test_a_verdict_cannot_be_edited_in_the_admin(world: dict[str, Any], analyst: User, superuser: User) -> None:
    claim = new_claim(world)
    verdict = verdict_record(claim=claim, rating=Status.FALSE, rationale="Contested.", reviewer=analyst)

    for user in (analyst, superuser):
        response = logged_in(user).post(
            url(Verdict, "change", verdict.pk), {"claim": claim.pk, "rating": "true", "rationale": "Changed"}
        )
        assert response.status_code == 403
    verdict.refresh_from_db()
    assert (verdict.rating, verdict.rationale) == ("false", "Contested.")


def test_a_verdict_without_a_rationale_is_a_form_error(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)

    response = logged_in(analyst).post(url(Verdict, "add"), {"claim": claim.pk, "rating": "true", "rationale": ""})

    assert response.status_code == 200
    assert Verdict.objects.count() == 0


def test_the_record_a_verdict_link_prefills_the_claim(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)

    response = logged_in(analyst).get(url(Verdict, "add"), {"claim": claim.pk})

    assert response.status_code == 200
    assert str(response.context["adminform"].form.initial.get("claim")) == str(claim.pk)


# --- Contradictions -------------------------------------------------------------------


@pytest.fixture
def flagged(world: dict[str, Any]) -> Contradiction:
    armenia_mod = factories.PartyFactory(name="Armenian Ministry of Defence", kind=Party.Kind.MILITARY)
    affirms = new_claim(world, asserted_by=world["aliyev"], statement="Azerbaijan controls Aghband")
    denies = new_claim(
        world, asserted_by=armenia_mod, polarity=Claim.Polarity.DENIES, statement="Azerbaijan does not control Aghband"
    )
    first, second = sorted([affirms, denies], key=lambda c: c.pk)
    return Contradiction.objects.create(
        claim_a=first,
        claim_b=second,
        kind=Contradiction.Kind.NEGATION,
        relation=Contradiction.Relation.DISPUTE,
        explanation="Ilham Aliyev affirms what the Armenian Ministry of Defence denies.",
        rule="negation",
    )


def test_the_contradiction_list_shows_both_claims_side_by_side(flagged: Contradiction, analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Contradiction, "changelist")))

    assert "Azerbaijan controls Aghband" in page
    assert "Azerbaijan does not control Aghband" in page
    assert "Ilham Aliyev" in page and "Armenian Ministry of Defence" in page
    assert 'value="confirm"' in page and 'value="dismiss"' in page


def test_the_contradiction_page_shows_both_claims(flagged: Contradiction, analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Contradiction, "change", flagged.pk)))

    assert "Azerbaijan controls Aghband" in page and "Azerbaijan does not control Aghband" in page


def test_an_analyst_confirms_a_contradiction(flagged: Contradiction, analyst: User) -> None:
    response = logged_in(analyst).post(
        url(Contradiction, "changelist"), {"action": "confirm", "_selected_action": [flagged.pk]}
    )

    assert response.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.state, flagged.reviewed_by) == (Contradiction.State.CONFIRMED, analyst)


def test_dismissing_a_contradiction_asks_for_a_reason_and_records_it(flagged: Contradiction, analyst: User) -> None:
    client = logged_in(analyst)
    selected = {"action": "dismiss", "_selected_action": [flagged.pk]}

    asked = client.post(url(Contradiction, "changelist"), selected)
    assert asked.status_code == 200
    assert "Why is this not a contradiction?" in page_text(asked)

    no_reason = client.post(url(Contradiction, "changelist"), {**selected, "post": "yes", "reason": "   "})
    assert no_reason.status_code == 200
    flagged.refresh_from_db()
    assert flagged.state == Contradiction.State.OPEN

    done = client.post(
        url(Contradiction, "changelist"), {**selected, "post": "yes", "reason": "Two different villages."}
    )
    assert done.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.state, flagged.state_reason, flagged.reviewed_by) == (
        Contradiction.State.DISMISSED,
        "Two different villages.",
        analyst,
    )
    events = apps.get_model("claims", "ContradictionEvent").objects.filter(pgh_obj_id=flagged.pk, pgh_label="update")
    assert [e.pgh_context.metadata["user"] for e in events] == [analyst.pk]


def test_an_api_consumer_cannot_review_contradictions(flagged: Contradiction, db: Any) -> None:
    reader = factories.UserFactory(username="reader", role="API consumer", is_staff=True)

    logged_in(reader).post(url(Contradiction, "changelist"), {"action": "confirm", "_selected_action": [flagged.pk]})

    flagged.refresh_from_db()
    assert flagged.state == Contradiction.State.OPEN


# --- Who may do what ------------------------------------------------------------------


WRITABLE = [Claim, Source, Party, Entity, Verdict]
Writable = type[Claim] | type[Source] | type[Party] | type[Entity] | type[Verdict]


def change_form_data(model: type[models.Model], obj: models.Model, world: dict[str, Any]) -> dict[str, Any]:
    if model is Claim:
        return with_appearances(claim_form(world, statement="Journalist was here"), [])
    if model is Verdict:
        return {"claim": obj.claim_id, "rating": "true", "rationale": "Journalist was here"}  # type: ignore[attr-defined]
    if model is Source:
        return {"kind": "article", "title": "Journalist was here", "published_precision": "day"}
    if model is Party:
        return {"name": "Journalist was here", "kind": "state", "reliability": "F"}
    return {"name": "Journalist was here", "kind": "place"}


@pytest.fixture
def rows(world: dict[str, Any], analyst: User) -> dict[type[models.Model], models.Model]:
    claim = new_claim(world)
    return {
        Claim: claim,
        Source: world["southfront"],
        Party: world["aliyev"],
        Entity: world["aghband"],
        Verdict: verdict_record(claim=claim, rating=Status.FALSE, rationale="Contested.", reviewer=analyst),
    }


@pytest.mark.parametrize("model", WRITABLE, ids=lambda m: m.__name__)
def test_a_journalist_cannot_add(
    model: Writable, journalist: User, world: dict[str, Any], rows: dict[type[models.Model], models.Model]
) -> None:
    client = logged_in(journalist)
    before = model.objects.count()

    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), change_form_data(model, rows[model], world)).status_code == 403
    assert model.objects.count() == before


@pytest.mark.parametrize("model", WRITABLE, ids=lambda m: m.__name__)
def test_a_journalist_can_read_but_not_change(
    model: Writable, journalist: User, world: dict[str, Any], rows: dict[type[models.Model], models.Model]
) -> None:
    obj = rows[model]
    client = logged_in(journalist)
    before = model.objects.filter(pk=obj.pk).values().get()

    page = client.get(url(model, "change", obj.pk))
    posted = client.post(url(model, "change", obj.pk), change_form_data(model, obj, world))

    assert page.status_code == 200
    assert 'name="_save"' not in page_text(page), "a journalist sees the record read-only"
    assert posted.status_code == 403
    assert model.objects.filter(pk=obj.pk).values().get() == before


@pytest.mark.parametrize("model", WRITABLE, ids=lambda m: m.__name__)
def test_a_journalist_cannot_delete(
    model: Writable, journalist: User, rows: dict[type[models.Model], models.Model]
) -> None:
    obj = rows[model]
    client = logged_in(journalist)

    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_journalist_cannot_change_anything_registered_in_the_admin(journalist: User, rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = journalist
    allowed = []
    for model, model_admin in admin.site._registry.items():
        for permission in ("add", "change", "delete"):
            if getattr(model_admin, f"has_{permission}_permission")(request):
                allowed.append(f"{permission} {model._meta.label}")

    assert allowed == []


@pytest.mark.parametrize("model", [Claim, Verdict], ids=lambda m: m.__name__)
def test_an_analyst_cannot_delete_claims_or_verdicts(
    model: type[Claim] | type[Verdict], analyst: User, rows: dict[type[models.Model], models.Model]
) -> None:
    obj = rows[model]
    client = logged_in(analyst)

    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()
    listing = client.get(url(model, "changelist"))
    assert "delete_selected" not in page_text(listing)


def test_an_analyst_can_add_and_change_the_records_they_curate(analyst: User, rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = analyst
    for model in (Claim, Source, Party, Entity):
        model_admin = admin.site._registry[model]
        assert model_admin.has_add_permission(request), model
        assert model_admin.has_change_permission(request), model
    assert admin.site._registry[Verdict].has_add_permission(request)


def test_an_analyst_adds_a_source_and_its_url_is_normalised(analyst: User, world: dict[str, Any]) -> None:
    response = logged_in(analyst).post(
        url(Source, "add"),
        {
            "kind": "video",
            "title": "Azerbaijani troops near Muradxanlı",
            "url": "HTTPS://Twitter.com/MOD_AZ/status/1?utm_source=share",
            "published_precision": "day",
            "language": "az",
        },
    )

    assert response.status_code == 302, error_text(response)
    assert Source.objects.get(title__startswith="Azerbaijani troops").url == "https://twitter.com/MOD_AZ/status/1"


def test_a_source_whose_url_is_already_recorded_is_a_form_error(analyst: User, world: dict[str, Any]) -> None:
    response = logged_in(analyst).post(
        url(Source, "add"),
        {
            "kind": "article",
            "title": "Same article",
            "url": "https://SouthFront.org/lachin/",
            "published_precision": "day",
        },
    )

    assert response.status_code == 200
    assert "A source with this URL (after normalisation) already exists." in error_text(response)
    assert Source.objects.filter(title="Same article").count() == 0


def test_a_party_edit_in_the_admin_records_the_acting_user(analyst: User, world: dict[str, Any]) -> None:
    party = world["aliyev"]

    response = logged_in(analyst).post(
        url(Party, "change", party.pk),
        {"name": "Ilham Aliyev", "kind": "official", "reliability": "C", "aliases": "President of Azerbaijan"},
    )

    assert response.status_code == 302, error_text(response)
    (event,) = apps.get_model("sources", "PartyEvent").objects.filter(pgh_obj_id=party.pk, pgh_label="update")
    assert event.reliability == "C"
    assert event.pgh_context.metadata["user"] == analyst.pk
    assert event.pgh_context.metadata["url"] == url(Party, "change", party.pk)


def test_quantities_in_the_admin_are_not_rounded_away(world: dict[str, Any], analyst: User) -> None:
    data = claim_form(
        world,
        predicate=predicate("casualties").pk,
        object_entity="",
        quantity_low="10",
        quantity_best="12.5",
        quantity_high="15",
        statement="12.5 on average",
    )

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert response.status_code == 302, error_text(response)
    assert Claim.objects.get().quantity_best == Decimal("12.5")


# --- Finding claims -------------------------------------------------------------------


def test_the_claim_list_filters_by_status_party_predicate_and_subject(world: dict[str, Any], analyst: User) -> None:
    rated = new_claim(world, asserted_by=world["aliyev"], statement="Rated claim")
    verdict_record(claim=rated, rating=Status.FALSE, rationale="Contested.", reviewer=analyst)
    hadrut = factories.EntityFactory(name="Hadrut")
    other = factories.ClaimFactory(subject=hadrut, predicate=predicate("captured-by"), statement="Other claim")
    client = logged_in(analyst)

    def listed(**query: Any) -> set[int]:
        response = client.get(url(Claim, "changelist"), query)
        assert response.status_code == 200
        return {claim.pk for claim in response.context["cl"].result_list}

    assert listed(status__exact="false") == {rated.pk}
    assert listed(asserted_by__id__exact=world["aliyev"].pk) == {rated.pk}
    assert listed(predicate__id__exact=predicate("captured-by").pk) == {other.pk}
    assert listed(subject__id__exact=hadrut.pk) == {other.pk}
    assert listed(asserted_at__year="2020") == {rated.pk, other.pk}


def test_the_claim_search_covers_the_statement_and_the_quote(world: dict[str, Any], analyst: User) -> None:
    by_quote = new_claim(world, statement="Azerbaijan took Aghband", quote="liberated the village of Aghband")
    by_statement = new_claim(world, statement="Armenian lines are collapsing", quote="")
    client = logged_in(analyst)

    def found(term: str) -> set[int]:
        return {claim.pk for claim in client.get(url(Claim, "changelist"), {"q": term}).context["cl"].result_list}

    assert found("liberated") == {by_quote.pk}
    assert found("collapsing") == {by_statement.pk}


@pytest.mark.parametrize("model", [Party, Source, Entity], ids=lambda m: m.__name__)
def test_the_history_of_parties_sources_and_entities_is_shown(
    model: type[Party] | type[Source] | type[Entity], world: dict[str, Any], analyst: User
) -> None:
    obj = {Party: world["aliyev"], Source: world["southfront"], Entity: world["aghband"]}[model]

    page = page_text(logged_in(analyst).get(url(model, "change", obj.pk)))

    assert "cw-history" in page and "created" in page


# --- Limits: oversized text and dates the period cannot represent ---------------------


def varied_words(size: int) -> str:
    """About ``size`` characters of distinct words (the worst case for a full-text index)."""
    return " ".join(format(n * 2654435761 % 2**32, "x") for n in range(size // 8 + 1))[:size]


def field_errors(response: Any, name: str) -> list[str]:
    assert response.status_code == 200, f"HTTP {response.status_code}, no form shown"
    return [str(e) for e in response.context["adminform"].form.errors.get(name, [])]


def test_a_one_megabyte_statement_is_a_form_error_on_the_statement_and_nothing_is_written(
    world: dict[str, Any], analyst: User
) -> None:
    data = claim_form(world, statement=varied_words(1_000_000))

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)))

    assert "at most 2000 characters" in " ".join(field_errors(response, "statement"))
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_an_oversized_quote_or_text_value_is_a_form_error_on_its_field(world: dict[str, Any], analyst: User) -> None:
    client = logged_in(analyst)
    quote = client.post(url(Claim, "add"), with_appearances(claim_form(world, quote="q" * 20_001), []))
    text = client.post(
        url(Claim, "add"),
        with_appearances(
            claim_form(world, predicate=predicate("losses").pk, object_entity="", text_value="t" * 2001), []
        ),
    )

    assert field_errors(quote, "quote") and field_errors(text, "text_value")
    assert Claim.objects.count() == 0


def test_an_oversized_excerpt_is_an_inline_error(world: dict[str, Any], analyst: User) -> None:
    rows = [{**two_sources(world)[0], "excerpt": "e" * 20_001}]

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(claim_form(world), rows))

    assert response.status_code == 200
    assert "at most 20000 characters" in error_text(response)
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (0, 0)


def test_an_oversized_rationale_is_a_form_error_on_the_rationale(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)

    response = logged_in(analyst).post(
        url(Verdict, "add"), {"claim": claim.pk, "rating": "false", "rationale": varied_words(1_000_000)}
    )

    assert field_errors(response, "rationale")
    assert Verdict.objects.count() == 0


@pytest.mark.parametrize("model", [Entity, Party], ids=["entity", "party"])
def test_more_than_fifty_aliases_is_a_form_error_on_the_aliases(
    world: dict[str, Any], analyst: User, model: type[Entity] | type[Party]
) -> None:
    aliases = ",".join(f"Alias {n}" for n in range(51))
    data = {"name": "Somewhere", "kind": model.Kind.choices[0][0], "reliability": "F", "aliases": aliases}

    response = logged_in(analyst).post(url(model, "add"), data)

    assert "at most 50" in " ".join(field_errors(response, "aliases"))
    assert not model.objects.filter(name="Somewhere").exists()


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_ending_in_the_year_9999_is_a_form_error_on_valid_until(
    world: dict[str, Any], analyst: User, precision: str
) -> None:
    data = claim_form(world, valid_until="9999-12-31", valid_until_precision=precision)

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert field_errors(response, "valid_until")
    assert Claim.objects.count() == 0


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_period_starting_in_the_year_9999_is_a_form_error_on_valid_from(
    world: dict[str, Any], analyst: User, precision: str
) -> None:
    data = claim_form(world, valid_from="9999-06-15", valid_from_precision=precision, valid_until="")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert field_errors(response, "valid_from")
    assert Claim.objects.count() == 0


def test_an_assertion_in_the_year_9999_without_a_period_is_a_form_error_on_asserted_at(
    world: dict[str, Any], analyst: User
) -> None:
    data = claim_form(world, asserted_at_0="9999-12-31", valid_from="", valid_until="")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert field_errors(response, "asserted_at")
    assert Claim.objects.count() == 0


@pytest.mark.parametrize("precision", ["day", "month", "year"])
def test_a_claim_about_the_year_1_is_saved_and_its_pages_render(
    world: dict[str, Any], analyst: User, precision: str
) -> None:
    data = claim_form(
        world, asserted_at_0="0001-01-01", valid_from="0001-01-01", valid_from_precision=precision,
        valid_until="0001-06-01", valid_until_precision=precision,
    )  # fmt: skip
    client = logged_in(analyst)

    response = client.post(url(Claim, "add"), with_appearances(data, []))

    assert response.status_code == 302, error_text(response)
    claim = Claim.objects.get()
    assert client.get(url(Claim, "change", claim.pk)).status_code == 200
    assert client.get(url(Claim, "changelist")).status_code == 200


def test_a_source_published_in_the_year_9999_is_a_form_error_on_published_at(
    analyst: User, world: dict[str, Any]
) -> None:
    response = logged_in(analyst).post(
        url(Source, "add"),
        {"kind": "article", "title": "From the future", "published_at_0": "9999-12-31", "published_at_1": "23:00",
         "published_precision": "year"},
    )  # fmt: skip

    assert field_errors(response, "published_at")
    assert not Source.objects.filter(title="From the future").exists()


# --- Each error once, against its field ----------------------------------------------


def test_a_reversed_period_is_one_error_on_valid_until(world: dict[str, Any], analyst: User) -> None:
    data = claim_form(world, valid_from="2020-10-22", valid_until="2020-10-01")

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, two_sources(world)))

    assert field_errors(response, "valid_until") == ["The period's end is before its start."]
    assert not response.context["adminform"].form.non_field_errors()
    assert page_text(response).count("The period&#x27;s end is before its start.") == 1
    assert Claim.objects.count() == 0


def test_a_reversed_period_in_an_edit_is_one_error_on_valid_until(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)
    data = claim_form(world, valid_from="2020-10-22", valid_until="2020-10-01")

    response = logged_in(analyst).post(url(Claim, "change", claim.pk), with_appearances(data, []))

    assert field_errors(response, "valid_until") == ["The period's end is before its start."]
    assert page_text(response).count("The period&#x27;s end is before its start.") == 1


def test_a_quantity_out_of_order_is_one_error_on_the_best_estimate(world: dict[str, Any], analyst: User) -> None:
    data = claim_form(
        world, predicate=predicate("casualties").pk, object_entity="", quantity_low="50", quantity_best="10"
    )

    response = logged_in(analyst).post(url(Claim, "add"), with_appearances(data, []))

    assert field_errors(response, "quantity_best") == ["A quantity must satisfy low ≤ best ≤ high."]
    assert page_text(response).count("A quantity must satisfy low ≤ best ≤ high.") == 1


def test_a_party_made_its_own_parent_is_one_error_on_the_parent(world: dict[str, Any], analyst: User) -> None:
    party = world["aliyev"]

    response = logged_in(analyst).post(
        url(Party, "change", party.pk),
        {"name": party.name, "kind": party.kind, "reliability": "F", "parent": party.pk, "aliases": ""},
    )

    assert field_errors(response, "parent") == ["A party cannot be its own parent."]
    assert page_text(response).count("A party cannot be its own parent.") == 1


def test_an_entity_made_part_of_itself_is_one_error_on_part_of(world: dict[str, Any], analyst: User) -> None:
    entity = world["aghband"]

    response = logged_in(analyst).post(
        url(Entity, "change", entity.pk), {"name": entity.name, "kind": entity.kind, "part_of": entity.pk}
    )

    assert field_errors(response, "part_of") == ["An entity cannot be part of itself."]
    assert page_text(response).count("An entity cannot be part of itself.") == 1


def test_a_place_put_within_a_place_inside_it_is_an_error_on_part_of(world: dict[str, Any], analyst: User) -> None:
    district = world["aghband"].part_of  # Aghband lies within Zangilan district

    response = logged_in(analyst).post(
        url(Entity, "change", district.pk),
        {"name": district.name, "kind": district.kind, "part_of": world["aghband"].pk},
    )

    message = "This place lies within the entity itself: an entity cannot be part of a place within it."
    assert field_errors(response, "part_of") == [message]
    district.refresh_from_db()
    assert district.part_of_id is None


def test_a_place_nested_deeper_than_the_walks_go_is_an_error_on_part_of(analyst: User) -> None:
    places = [Entity.objects.create(name="Level 0", kind="place")]
    for level in range(1, TREE_MAX_DEPTH + 1):
        places.append(Entity.objects.create(name=f"Level {level}", kind="place", part_of=places[-1]))
    count = Entity.objects.count()

    response = logged_in(analyst).post(
        url(Entity, "add"), {"name": "Below the deepest", "kind": "place", "part_of": places[-1].pk}
    )

    assert field_errors(response, "part_of") == [PART_OF_TOO_DEEP]
    assert Entity.objects.count() == count
    response = logged_in(analyst).post(
        url(Entity, "add"), {"name": "Beside the deepest", "kind": "place", "part_of": places[-2].pk}
    )
    assert response.status_code == 302, field_errors(response, "part_of")


def test_a_party_put_under_a_party_of_its_own_is_an_error_on_the_parent(world: dict[str, Any], analyst: User) -> None:
    azerbaijan = factories.PartyFactory(name="Azerbaijan", kind=Party.Kind.STATE)
    Party.objects.filter(pk=world["aliyev"].pk).update(parent=azerbaijan)

    response = logged_in(analyst).post(
        url(Party, "change", azerbaijan.pk),
        {
            "name": azerbaijan.name,
            "kind": azerbaijan.kind,
            "reliability": "F",
            "parent": world["aliyev"].pk,
            "aliases": "",
        },
    )

    message = "This party is under the party itself: a party cannot belong to a party under it."
    assert field_errors(response, "parent") == [message]
    azerbaijan.refresh_from_db()
    assert azerbaijan.parent_id is None
