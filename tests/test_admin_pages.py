"""The admin's pages read as a person reads them: history, dates, lists, forms, export."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils.text import Truncator

from claims import services
from claims.admin.claim import ClaimAdmin, ClaimResource
from claims.admin.common import LIST_STATEMENT_CHARS
from claims.models import Claim, Contradiction, Verdict
from project.admin_history import format_day, format_moment
from tests import factories, test_admin
from tests.test_admin import logged_in, new_claim, page_text, url

pytestmark = pytest.mark.django_db

# The claim-logging fixtures of the main admin tests.
world = test_admin.world
flagged = test_admin.flagged


# --- History --------------------------------------------------------------------------


def test_the_history_button_shows_the_tracked_history_of_a_claim_written_by_a_service(
    world: dict[str, Any], analyst: User
) -> None:
    claim = new_claim(world)  # not through the admin: no admin log entry
    services.claim_update(claim=claim, data={"statement": "Azerbaijan holds Aghband"})

    response = logged_in(analyst).get(url(Claim, "history", claim.pk))

    page = page_text(response)
    assert response.status_code == 200
    assert "cw-history" in page and "created" in page
    assert "<b>Statement</b>:" in page and "Azerbaijan holds Aghband" in page
    assert "change history" not in page  # Django's "This object doesn't have a change history."


def test_the_change_page_has_history_but_no_events_button(world: dict[str, Any], analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Claim, "change", new_claim(world).pk)))

    assert url(Claim, "history", Claim.objects.get().pk) in page
    assert "events-admin" not in page and "pghistory" not in page


def test_history_names_the_reviewer_and_words_states_by_their_labels(flagged: Contradiction, analyst: User) -> None:
    client = logged_in(analyst)
    client.post(url(Contradiction, "confirm", flagged.pk))

    page = page_text(client.get(url(Contradiction, "change", flagged.pk)))

    assert "<b>Reviewed by</b>: <del>∅</del> → <ins>analyst</ins>" in page
    assert "<b>State</b>: <del>Open</del> → <ins>Confirmed</ins>" in page
    assert "reviewed_by_id" not in page


def test_a_claims_verdict_history_lists_the_evidence_and_words_dates_one_way(
    world: dict[str, Any], analyst: User
) -> None:
    claim = new_claim(world)
    verdict = services.verdict_record(
        claim=claim, rating="false", rationale="Contested.", reviewer=analyst,
        evidence=[world["southfront"]], holds_from=dt.date(2020, 11, 10),
    )  # fmt: skip

    page = page_text(logged_in(analyst).get(url(Claim, "change", claim.pk)))

    assert "<th>Evidence</th>" in page and world["southfront"].title in page
    assert format_moment(verdict.recorded_at) in page
    assert "10 Nov 2020" in page
    assert f"{verdict.recorded_at:%Y-%m-%d}" not in page  # no ISO dates beside the worded ones


def test_dates_are_worded_one_way() -> None:
    moment = dt.datetime(2020, 10, 9, 14, 5, tzinfo=dt.UTC)

    assert format_day(moment.date()) == "9 Oct 2020"
    assert format_moment(moment) == "9 Oct 2020 14:05 UTC"
    assert format_day(None) == format_moment(None) == "—"


# --- Lists ----------------------------------------------------------------------------


def test_the_claim_list_words_retraction_and_shortens_long_statements(world: dict[str, Any], analyst: User) -> None:
    long = "Azerbaijan controls Aghband " + "and every village around it " * 12
    new_claim(world, statement=long)
    retracted = new_claim(world, statement="Retracted one")
    services.claim_retract(claim=retracted, reason="Misquoted.")

    page = page_text(logged_in(analyst).get(url(Claim, "changelist")))

    retracted.refresh_from_db()
    assert f"retracted {format_day(retracted.retracted_at)}" in page
    assert "icon-yes.svg" not in page and "icon-no.svg" not in page
    shortened = Truncator(long).chars(LIST_STATEMENT_CHARS)
    assert shortened.endswith("…") and f">{shortened}</span></a>" in page  # the whole text in its title


def test_the_contradiction_list_has_no_column_of_red_crosses(flagged: Contradiction, analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Contradiction, "changelist")))

    assert "icon-no.svg" not in page and "icon-yes.svg" not in page


# --- Forms ----------------------------------------------------------------------------


def test_the_party_autocomplete_finds_a_party_by_a_near_spelling(world: dict[str, Any], analyst: User) -> None:
    response = logged_in(analyst).get(
        "/admin/autocomplete/",
        {"app_label": "claims", "model_name": "claim", "field_name": "asserted_by", "term": "Aliev"},
    )

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Ilham Aliyev"]


def test_the_party_search_ignores_accents_and_finds_aliases(analyst: User) -> None:
    factories.PartyFactory(name="Azərbaycan Respublikası", aliases=["Republic of Azerbaijan"])

    for term in ("azerbaycan", "Republic of Azerbaijan"):
        response = logged_in(analyst).get(url(factories.PartyFactory._meta.model, "changelist"), {"q": term})
        assert [str(p) for p in response.context["cl"].result_list] == ["Azərbaycan Respublikası"], term


def test_saving_a_verdict_returns_to_its_claim(world: dict[str, Any], analyst: User) -> None:
    claim = new_claim(world)

    response = logged_in(analyst).post(url(Verdict, "add"), {"claim": claim.pk, "rating": "true", "rationale": "Seen."})

    assert response.status_code == 302 and response["Location"] == url(Claim, "change", claim.pk)


def test_the_inline_offers_to_add_another_source(world: dict[str, Any], analyst: User) -> None:
    response = logged_in(analyst).get(url(Claim, "add"))

    formset = response.context["inline_admin_formsets"][0]
    assert json.loads(formset.inline_formset_data())["options"]["addText"] == "Add another Source"


def test_the_claim_form_carries_each_predicates_value_type_and_the_script(world: dict[str, Any], analyst: User) -> None:
    page = page_text(logged_in(analyst).get(url(Claim, "add")))

    assert 'id="cw-predicate-value-types"' in page
    assert "claims/claim_form.js" in page


# --- Export ---------------------------------------------------------------------------


def test_the_claim_export_leaves_out_internal_columns(world: dict[str, Any], superuser: User) -> None:
    new_claim(world)

    dataset = ClaimResource().export()

    assert "search_vector" not in dataset.headers
    assert not {"period", "value_type", "current_verdict", "created_by", "updated_at"} & set(dataset.headers)
    assert {"id", "subject", "predicate", "statement", "status"} <= set(dataset.headers)
    assert ClaimAdmin.resource_classes == [ClaimResource]
    assert logged_in(superuser).get(url(Claim, "export")).status_code == 200
