"""Claims: list with filters and ordering, detail, create, update with lost-update
protection, retraction."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from claims.models import Claim, ClaimSource
from claims.services import claim_retract
from tests.api.conftest import World, api_key, claim_payload, client_with_key, error_fields, predicate
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/"


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def detail(pk: int) -> str:
    return f"/api/v1/claims/{pk}/"


# --- List and filters -----------------------------------------------------------------


def test_the_list_is_newest_first_with_party_side_and_status(world: World, consumer_client: APIClient) -> None:
    rows = consumer_client.get(LIST).json()["results"]

    assert [r["asserted_at"] for r in rows] == sorted((r["asserted_at"] for r in rows), reverse=True)
    hadrut = next(r for r in rows if r["id"] == world.claims["hadrut"].pk)
    assert hadrut["asserted_by"] == {
        "id": world.aliyev.pk, "name": "Ilham Aliyev", "side": {"id": world.azerbaijan.pk, "name": "Azerbaijan"}
    }  # fmt: skip
    assert hadrut["status"] == "true"
    assert hadrut["predicate"] == {"slug": "controlled-by", "label": "controlled by"}
    assert (hadrut["valid_from"], hadrut["valid_until"]) == ("2020-10-09", "2020-10-09")


def test_it_filters_by_status(world: World, consumer_client: APIClient) -> None:
    assert ids(consumer_client.get(LIST, {"status": "false"})) == [world.claims["hadrut_denied"].pk]
    both = ids(consumer_client.get(LIST + "?status=false&status=true"))
    assert sorted(both) == sorted([world.claims["hadrut_denied"].pk, world.claims["hadrut"].pk])


def test_it_filters_by_party_and_by_side(world: World, consumer_client: APIClient) -> None:
    by_party = ids(consumer_client.get(LIST, {"party": world.aliyev.pk}))
    assert sorted(by_party) == sorted([world.claims["aghband"].pk, world.claims["hadrut"].pk])
    assert ids(consumer_client.get(LIST, {"party": world.azerbaijan.pk})) == []
    assert sorted(ids(consumer_client.get(LIST, {"side": world.azerbaijan.pk}))) == sorted(by_party)


def test_it_filters_by_subject_id_name_alias_and_place_within(world: World, consumer_client: APIClient) -> None:
    aghband = world.claims["aghband"].pk
    assert ids(consumer_client.get(LIST, {"subject": world.aghband.pk})) == [aghband]
    # Accent- and case-insensitive, by alias, and fuzzy: Ağbənd, AGBEND, Agband all find Aghband.
    for name in ("Ağbənd", "AGBEND", "aghband"):
        assert aghband in ids(consumer_client.get(LIST, {"subject_name": name})), name
    assert set(ids(consumer_client.get(LIST, {"subject_name": "Hadrud"}))) == {
        world.claims["hadrut"].pk, world.claims["hadrut_denied"].pk
    }  # fmt: skip
    # The country contains the district, which contains Aghband.
    within = set(ids(consumer_client.get(LIST, {"about": world.country.pk})))
    assert within == {aghband, world.claims["border_denied"].pk}


def test_it_filters_by_predicate_and_by_source_url_normalised_like_storage(
    world: World, consumer_client: APIClient
) -> None:
    assert len(ids(consumer_client.get(LIST, {"predicate": "controlled-by"}))) == 4
    assert ids(consumer_client.get(LIST, {"predicate": "casualties"})) == []
    # Stored as https://southfront.org/lachin: case, trailing slash and tracking parameters do not matter.
    found = ids(consumer_client.get(LIST, {"source_url": "HTTPS://SouthFront.org/lachin/?utm_source=tw"}))
    assert sorted(found) == sorted([world.claims["aghband"].pk, world.claims["border_denied"].pk])


def test_it_filters_by_assertion_time_period_overlap_and_update_time(world: World, consumer_client: APIClient) -> None:
    october_9_10 = ids(
        consumer_client.get(LIST, {"asserted_after": "2020-10-09T00:00:00Z", "asserted_before": "2020-10-11T00:00:00Z"})
    )
    assert set(october_9_10) == {world.claims["hadrut"].pk, world.claims["hadrut_denied"].pk}
    # hadrut is about 9 Oct, hadrut_denied about 9–10 Oct: only the second overlaps 10 Oct.
    assert ids(consumer_client.get(LIST, {"period_start": "2020-10-10", "period_end": "2020-10-10"})) == [
        world.claims["hadrut_denied"].pk
    ]
    assert len(ids(consumer_client.get(LIST, {"period_start": "2020-10-09"}))) == 4
    assert ids(consumer_client.get(LIST, {"period_end": "2020-10-08"})) == []
    Claim.objects.filter(pk=world.claims["aghband"].pk).update(updated_at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    assert ids(consumer_client.get(LIST, {"updated_since": "2030-12-31T00:00:00Z"})) == [world.claims["aghband"].pk]


def test_full_text_search_covers_statement_and_quote_with_stemming(world: World, consumer_client: APIClient) -> None:
    assert ids(consumer_client.get(LIST, {"q": "liberated"})) == [world.claims["aghband"].pk]  # in the quote
    assert set(ids(consumer_client.get(LIST, {"q": "Hadrut"}))) == {
        world.claims["hadrut"].pk, world.claims["hadrut_denied"].pk
    }  # fmt: skip
    assert ids(consumer_client.get(LIST, {"q": '"taken by Azerbaijani" or liberated -Aghband'})) == [
        world.claims["hadrut"].pk
    ]


def test_full_text_search_is_served_by_the_gin_index(world: World) -> None:
    from django.contrib.postgres.search import SearchQuery

    Claim.objects.bulk_create(
        Claim(subject=world.hadrut, predicate=predicate("controlled-by"), value_type="entity",
              object_entity=world.claims["hadrut"].object_entity, asserted_by=world.aliyev,
              asserted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), statement=f"filler claim {i}",
              valid_from=dt.date(2020, 1, 1))
        for i in range(3000)
    )  # fmt: skip
    with connection.cursor() as cursor:
        # The rows just written sit in the GIN index's pending list until autovacuum merges
        # it (whenever that runs), and the planner prices the list's pages in: merge it now,
        # so that the plan is the index's steady state, not a race with autovacuum.
        cursor.execute("SELECT gin_clean_pending_list('claim_search_gin'::regclass)")
        cursor.execute("ANALYZE claims_claim")
    plan = Claim.objects.filter(search_vector=SearchQuery("liberated", search_type="websearch", config="english"))
    assert "claim_search_gin" in plan.explain()


def test_it_filters_retracted_claims(world: World, consumer_client: APIClient) -> None:
    claim_retract(claim=world.claims["hadrut"], reason="Misattributed.")
    assert ids(consumer_client.get(LIST, {"retracted": "true"})) == [world.claims["hadrut"].pk]
    assert world.claims["hadrut"].pk not in ids(consumer_client.get(LIST, {"retracted": "false"}))


def test_it_orders_by_period_update_time_or_id_either_way(world: World, consumer_client: APIClient) -> None:
    by_period = consumer_client.get(LIST, {"ordering": "valid_from"}).json()["results"]
    assert [r["valid_from"] for r in by_period] == sorted(r["valid_from"] for r in by_period)
    assert ids(consumer_client.get(LIST, {"ordering": "-id"})) == sorted(ids(consumer_client.get(LIST)), reverse=True)
    assert ids(consumer_client.get(LIST, {"ordering": "id"})) == sorted(ids(consumer_client.get(LIST)))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "nonsense"}, "status"),
        ({"party": "abc"}, "party"),
        ({"party": "99999999999999999999"}, "party"),
        ({"asserted_after": "yesterday"}, "asserted_after"),
        ({"period_start": "2020-10-10", "period_end": "2020-10-01"}, "period_end"),
        ({"period_end": "2020-02-30"}, "period_end"),
        ({"source_url": "ftp://example.org/x"}, "source_url"),
        ({"ordering": "statement"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x" * 501}, "q"),
        ({"subject_name": "a\x00b"}, "subject_name"),
        ({"retracted": "maybe"}, "retracted"),
        ({"updated_since": ""}, "updated_since"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(
    world: World, consumer_client: APIClient, params: dict[str, str], field: str
) -> None:
    response = consumer_client.get(LIST, params)

    assert response.status_code == 400, response.content
    assert field in error_fields(response)


def test_a_date_at_the_end_of_the_calendar_is_not_a_server_error(world: World, consumer_client: APIClient) -> None:
    response = consumer_client.get(LIST, {"period_start": "0001-01-01", "period_end": "9999-12-31"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 4


# --- Detail ---------------------------------------------------------------------------


def test_the_detail_has_party_sources_with_excerpts_verdict_history_and_open_contradictions(
    world: World, consumer_client: APIClient
) -> None:
    denied = world.claims["hadrut_denied"]
    response = consumer_client.get(detail(denied.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["asserted_by"]["side"] == {"id": world.armenia.pk, "name": "Armenia"}
    assert [v["rating"] for v in body["verdicts"]] == ["false"]
    assert body["verdicts"][0]["evidence"] == [world.article.pk]
    assert body["contradictions"] == [
        {
            "id": world.contradictions["hadrut"].pk, "kind": "negation", "relation": "dispute", "state": "open",
            "confidence": world.contradictions["hadrut"].confidence,
            "explanation": world.contradictions["hadrut"].explanation,
            "detected_at": body["contradictions"][0]["detected_at"],
            "other_claim": {"id": world.claims["hadrut"].pk, "statement": "Hadrut was taken by Azerbaijani forces",
                            "status": "true", "asserted_by": {"id": world.aliyev.pk, "name": "Ilham Aliyev"}},
        }
    ]  # fmt: skip
    aghband = consumer_client.get(detail(world.claims["aghband"].pk)).json()
    assert [a["excerpt"] for a in aghband["appearances"]] == ["Aliyev said the village of Aghband was liberated", ""]
    assert aghband["appearances"][0]["source"]["url"] == "https://southfront.org/lachin"
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')


def test_an_unknown_claim_is_a_json_404(world: World, consumer_client: APIClient) -> None:
    response = consumer_client.get(detail(10**12))
    assert response.status_code == 404
    assert error_fields(response) == {}
    assert consumer_client.get("/api/v1/claims/abc/").status_code == 404


# --- Create ---------------------------------------------------------------------------


def test_an_analyst_logs_a_claim_with_its_sources_in_one_request(
    world: World, analyst_client: APIClient, analyst: User
) -> None:
    response = analyst_client.post(LIST, claim_payload(world), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    claim = Claim.objects.get(pk=body["id"])
    assert claim.created_by == analyst
    assert claim.valid_from == dt.date(2020, 10, 22)  # the period defaults to the day it was said
    assert [(a.source_id, a.excerpt, a.locator) for a in claim.appearances.all()] == [
        (world.article.pk, "Aghband is ours", "¶3")
    ]
    assert response["Location"].endswith(detail(claim.pk))
    assert body["status"] == "unrated" and body["appearances"][0]["excerpt"] == "Aghband is ours"


def test_the_history_of_an_api_write_names_the_key_holder(
    world: World, analyst_client: APIClient, analyst: User
) -> None:
    from claims.models import ClaimEvent  # type: ignore[attr-defined]  # made by pghistory at runtime

    response = analyst_client.post(LIST, claim_payload(world), format="json")

    event = ClaimEvent.objects.filter(pgh_obj_id=response.json()["id"]).select_related("pgh_context").get()
    assert event.pgh_context.metadata["user"] == analyst.pk
    assert event.pgh_context.metadata["url"] == LIST


def test_a_value_that_does_not_fit_the_predicate_is_a_400_naming_the_field(
    world: World, analyst_client: APIClient
) -> None:
    body = claim_payload(world, predicate="casualties")  # takes a quantity, not an entity
    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 400
    assert "object_entity" in error_fields(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": 10**12}, "subject"),
        ({"subject": "1"}, "subject"),
        ({"predicate": "no-such-predicate"}, "predicate"),
        ({"asserted_at": "not a date"}, "asserted_at"),
        ({"statement": ""}, "statement"),
        ({"statement": 5}, "statement"),
        ({"credibility": "3"}, "credibility"),
        ({"credibility": 9}, "credibility"),
        ({"hedge": "rumoured"}, "hedge"),
        ({"valid_from": "2020-10-10", "valid_until": "2020-10-01"}, "valid_until"),
        ({"predicate": "casualties", "object_entity": None, "quantity_best": 10, "quantity_low": 20}, "quantity_low"),
        ({"predicate": "casualties", "object_entity": None, "quantity_best": "1e400"}, "quantity_best"),
        ({"appearances": [{"source": 10**12}]}, "appearances.0.source"),
        ({"appearances": [{"source": 1, "role": "gossip"}]}, "appearances.0.role"),
        ({"asserted_by": None}, "asserted_by"),
    ],
)
def test_bad_claim_input_is_a_400_naming_the_field(
    world: World, analyst_client: APIClient, overrides: dict[str, Any], field: str
) -> None:
    response = analyst_client.post(LIST, claim_payload(world, **overrides), format="json")

    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)


def test_a_failed_create_leaves_nothing_half_written(world: World, analyst_client: APIClient) -> None:
    claims, links = Claim.objects.count(), ClaimSource.objects.count()
    body = claim_payload(world)
    # The second appearance repeats the first (same source, same role): refused by the service.
    body["appearances"] = body["appearances"] * 2

    response = analyst_client.post(LIST, body, format="json")

    assert response.status_code == 400
    assert (Claim.objects.count(), ClaimSource.objects.count()) == (claims, links)


def test_malformed_json_and_other_media_types_are_4xx_in_the_error_shape(
    world: World, analyst_client: APIClient
) -> None:
    response = analyst_client.post(LIST, b'{"subject": ', content_type="application/json")
    assert response.status_code == 400
    assert error_fields(response) == {}
    response = analyst_client.post(LIST, b"subject=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    response = analyst_client.post(LIST, b'{"statement": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400


# --- Update: ETag and If-Match ---------------------------------------------------------


def test_patch_needs_if_match_and_refuses_a_stale_tag(world: World, analyst_client: APIClient) -> None:
    url = detail(world.claims["aghband"].pk)
    etag = analyst_client.get(url)["ETag"]

    missing = analyst_client.patch(url, {"statement": "Changed"}, format="json")
    assert missing.status_code == 428
    assert error_fields(missing) == {"If-Match": ["precondition_required"]}

    malformed = analyst_client.patch(url, {"statement": "Changed"}, format="json", HTTP_IF_MATCH="abc")
    assert malformed.status_code == 400 and "If-Match" in error_fields(malformed)

    ok = analyst_client.patch(url, {"statement": "Changed"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.content
    assert ok.json()["statement"] == "Changed"
    assert ok["ETag"] != etag and ok["ETag"] == analyst_client.get(url)["ETag"]

    stale = analyst_client.patch(url, {"statement": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert error_fields(stale) == {"If-Match": ["precondition_failed"]}
    assert Claim.objects.get(pk=world.claims["aghband"].pk).statement == "Changed"


def test_a_weak_tag_never_matches_and_a_star_always_does(world: World, analyst_client: APIClient) -> None:
    url = detail(world.claims["aghband"].pk)
    etag = analyst_client.get(url)["ETag"]

    weak = analyst_client.patch(url, {"quote": "x"}, format="json", HTTP_IF_MATCH=f"W/{etag}")
    assert weak.status_code == 412
    listed = analyst_client.patch(url, {"quote": "y"}, format="json", HTTP_IF_MATCH=f'"other", {etag}')
    assert listed.status_code == 200
    star = analyst_client.patch(url, {"quote": "z"}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200


def test_put_replaces_the_editable_fields(world: World, analyst_client: APIClient) -> None:
    url = detail(world.claims["hadrut"].pk)
    etag = analyst_client.get(url)["ETag"]
    body = {
        "subject": world.hadrut.pk, "predicate": "casualties", "object_entity": None, "quantity_best": "12",
        "asserted_by": world.aliyev.pk, "asserted_at": "2020-10-09T08:00:00Z", "statement": "12 killed in Hadrut",
        "review_state": "in_review",
    }  # fmt: skip
    response = analyst_client.put(url, body, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == {"low": "12.00", "best": "12.00", "high": "12.00"}
    assert response.json()["object_entity"] is None
    assert analyst_client.put(url, {"statement": "only this"}, format="json", HTTP_IF_MATCH="*").status_code == 400


def test_a_bad_update_changes_nothing(world: World, analyst_client: APIClient) -> None:
    url = detail(world.claims["aghband"].pk)
    etag = analyst_client.get(url)["ETag"]
    response = analyst_client.patch(url, {"predicate": "casualties"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert analyst_client.get(url)["ETag"] == etag


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_writers_holding_the_same_etag_exactly_one_wins(world: World, analyst: User) -> None:
    """Both read the claim, then both PATCH at the same moment with the same ETag. The row
    lock makes compare-and-write one step: one gets 200, the other 412, and no change is lost."""
    url = detail(world.claims["aghband"].pk)
    key = api_key(analyst)
    etag = client_with_key(key).get(url)["ETag"]
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def write(statement: str) -> None:
        try:
            client = client_with_key(key)
            barrier.wait(timeout=10)
            statuses[statement] = client.patch(
                url, {"statement": statement}, format="json", HTTP_IF_MATCH=etag
            ).status_code
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(f"Writer {n}",)) for n in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=30)

    assert sorted(statuses.values()) == [200, 412], statuses
    winner = next(statement for statement, status in statuses.items() if status == 200)
    assert Claim.objects.get(pk=world.claims["aghband"].pk).statement == winner


# --- Retraction -----------------------------------------------------------------------


def test_an_analyst_retracts_a_claim_with_a_reason(world: World, analyst_client: APIClient) -> None:
    url = detail(world.claims["hadrut"].pk) + "retract/"
    assert error_fields(analyst_client.post(url, {}, format="json")) == {"reason": ["required"]}

    response = analyst_client.post(url, {"reason": "Misattributed quote."}, format="json")

    assert response.status_code == 200
    assert response.json()["retraction_reason"] == "Misattributed quote."
    again = analyst_client.post(url, {"reason": "Twice."}, format="json")
    assert again.status_code == 400 and None in error_fields(again)


def test_a_retracted_claim_cannot_be_edited(world: World, analyst_client: APIClient) -> None:
    claim_retract(claim=world.claims["hadrut"], reason="Withdrawn.")
    url = detail(world.claims["hadrut"].pk)
    response = analyst_client.patch(url, {"statement": "x"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 400


def test_claims_about_a_new_place_need_no_value_for_a_valueless_predicate(
    world: World, analyst_client: APIClient
) -> None:
    front = EntityFactory(name="Southern front", kind="other")
    body = claim_payload(world, subject=front.pk, predicate="collapsing", object_entity=None, appearances=[])
    response = analyst_client.post(LIST, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["object_entity"] is None and response.json()["quantity"] is None
