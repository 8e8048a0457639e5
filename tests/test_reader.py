"""The journalists' reader (issue 11): who may read, what each page shows, exports, cards
and ClaimReview, and bad input shown as a message with a 400, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from django.utils.html import escape

from claims.models import Claim
from reader.cursors import cursor_issue
from reader.links import page_url
from sources.models import Party
from tests.test_reader_fixtures import ReaderWorld, reader_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(analyst: User) -> ReaderWorld:
    return reader_world(analyst)


@pytest.fixture
def reader(journalist: User) -> Client:
    client = Client()
    client.force_login(journalist)
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:2000]
    return response.content.decode()


def body(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response
    return b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]


# --- Who may read ------------------------------------------------------------------------


def test_the_home_page_sends_a_visitor_to_the_readers_sign_in() -> None:
    response = Client().get("/?q=shusha")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")


def test_a_user_without_staff_status_signs_in_and_reads(consumer: User, world: ReaderWorld) -> None:
    client = Client()
    sign_in = page(client, "/sign-in/")
    assert 'name="username"' in sign_in
    response = client.post("/sign-in/", {"username": "consumer", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Shusha" in page(client, "/?q=shushi")


def test_signing_out_ends_the_session(reader: Client) -> None:
    response = reader.post("/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    assert reader.get("/").status_code == 302


def test_only_analysts_see_edit_in_admin_links(reader: Client, analyst: User, world: ReaderWorld) -> None:
    url = f"/contradictions/{world.town_flag.pk}/"
    assert "edit in admin" not in page(reader, url)
    client = Client()
    client.force_login(analyst)
    assert f"/admin/claims/contradiction/{world.town_flag.pk}/change/" in page(client, url)


def test_a_staff_user_without_the_edit_permission_sees_no_edit_links(reader: Client, world: ReaderWorld) -> None:
    """can_edit reads permissions for staff only; staff status alone is not enough."""
    staff = User.objects.create_user("staff-reader", password="x", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert "edit in admin" not in page(client, f"/contradictions/{world.town_flag.pk}/")


@pytest.mark.parametrize("name", ["reader:claim", "reader:contradiction", "reader:place", "reader:party"])
def test_row_links_are_the_urls_reverse_gives_under_any_script_prefix(name: str) -> None:
    try:
        for prefix in ("/", "/claimwatch/"):
            set_script_prefix(prefix)
            assert page_url(name, 42) == reverse(name, args=[42])
            assert page_url(name, 42).startswith(prefix)
    finally:
        set_script_prefix("/")


# --- Search ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Shushi", "Şuşa", "shusha", "SHUSHA"])
def test_every_spelling_of_a_place_finds_it_and_its_contradiction(
    reader: Client, world: ReaderWorld, spelling: str
) -> None:
    found = page(reader, f"/?q={spelling}")
    assert f'href="/places/{world.town.pk}/"' in found
    assert f'href="/contradictions/{world.town_flag.pk}/"' in found
    assert f'href="/contradictions/{world.village_flag.pk}/"' not in found


def test_the_place_facet_includes_the_places_within(reader: Client, world: ReaderWorld) -> None:
    found = page(reader, f"/?show=contradictions&place={world.district.pk}")
    assert f'href="/contradictions/{world.village_flag.pk}/"' in found
    assert f'href="/contradictions/{world.town_flag.pk}/"' not in found
    assert "Place: Zangilan district and places within" in found


def test_facets_narrow_claims_by_side_period_and_status(reader: Client, world: ReaderWorld) -> None:
    armenia = f"/?show=claims&side={world.armenia.pk}"
    found = page(reader, armenia)
    assert f'href="/claims/{world.town_no.pk}/"' in found and f'href="/claims/{world.village_no.pk}/"' in found
    assert f'href="/claims/{world.town_yes.pk}/"' not in found
    false_in_november = page(reader, f"{armenia}&status=false&period_from=2020-11-01&period_to=2020-11-30")
    assert f'href="/claims/{world.town_no.pk}/"' in false_in_november
    assert f'href="/claims/{world.village_no.pk}/"' not in false_in_november


def test_the_review_state_facet_lists_open_disputes(reader: Client, world: ReaderWorld) -> None:
    found = page(reader, "/?show=contradictions&review=open")
    assert f'href="/contradictions/{world.village_flag.pk}/"' in found
    assert f'href="/contradictions/{world.town_flag.pk}/"' not in found  # resolved by the false verdict


def test_pages_follow_by_cursor_without_repeating_a_row(reader: Client, world: ReaderWorld) -> None:
    from reader import selectors
    from reader.forms import Filters

    seen: list[int] = []
    cursor = ""
    while True:
        result = selectors.keyset_page(
            selectors.claims_matching(Filters(show="claims")), listing="claims", cursor=cursor, size=1
        )
        seen += [row.pk for row in result.rows]
        if result.next_cursor is None:
            break
        cursor = result.next_cursor
    assert len(seen) == len(set(seen)) == 4
    first = page(reader, "/?show=claims")
    assert "Next page" not in first  # 4 rows fit on a page of 25


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bogus", "Verification status"),
        ("kind=nonsense", "Kind"),
        ("show=everything", "Show"),
        ("party=999999", "Party"),
        ("side=abc", "Side"),
        ("place=999999", "There is no place #999999"),
        ("place=x", "Place"),
        ("show=claims&review=open", "is not a review state of claims"),
        ("period_from=garbage", "Period from"),
        ("period_from=2020-13-45", "Period from"),
        ("period_from=2020-11-02&period_to=2020-11-01", "end is before its start"),
        ("cursor=forged", "not one the reader made"),
    ],
)
def test_bad_search_input_is_a_message_on_the_page(
    reader: Client, world: ReaderWorld, query: str, message: str
) -> None:
    found = page(reader, f"/?{query}", status=400)
    assert 'class="errors"' in found and message in found
    assert 'id="results"' not in found  # nothing listed as if the filter held


def test_a_cursor_issued_for_another_list_is_refused(reader: Client, world: ReaderWorld) -> None:
    cursor = cursor_issue(listing="claims", moment=timezone.now(), pk=world.town_yes.pk)
    found = page(reader, f"/?show=contradictions&cursor={cursor}", status=400)
    assert "made for another list" in found


def test_a_tampered_cursor_is_refused(reader: Client, world: ReaderWorld) -> None:
    cursor = cursor_issue(listing="claims", moment=timezone.now(), pk=world.town_yes.pk)
    assert "not one the reader made" in page(reader, f"/?show=claims&cursor={cursor[:-2]}xx", status=400)


@pytest.mark.parametrize("as_of", ["garbage", "2020-02-30", "9999-12-31"])
def test_a_bad_as_of_date_is_a_message_on_the_claim_page(reader: Client, world: ReaderWorld, as_of: str) -> None:
    found = page(reader, f"/claims/{world.town_no.pk}/?as_of={as_of}", status=400)
    assert 'class="errors"' in found and "As of" in found


def test_an_unknown_claim_type_on_the_place_page_is_a_message(reader: Client, world: ReaderWorld) -> None:
    assert "is not one of the listed types" in page(reader, f"/places/{world.town.pk}/?predicate=zzz", status=400)


def test_an_unknown_export_format_or_object_is_a_404(reader: Client, world: ReaderWorld) -> None:
    assert reader.get("/export.xml").status_code == 404
    assert reader.get("/claims/999999/").status_code == 404
    assert reader.get("/contradictions/999999/").status_code == 404


# --- Detail pages ------------------------------------------------------------------------


def test_the_contradiction_page_shows_both_claims_their_sources_and_the_review(
    reader: Client, world: ReaderWorld
) -> None:
    found = page(reader, f"/contradictions/{world.town_flag.pk}/")
    for text in (
        "Ilham Aliyev", "Armenian Ministry of Defence", "Side</dt><dd>Azerbaijan", "Side</dt><dd>Armenia",
        "Claimed", "Our forces hold Shusha.", "they hold Shusha", "¶2", 'href="https://news.example.org/shusha"',
        'href="https://archive.example.org/shusha"', "Video of the town square", escape(world.town_flag.explanation),
        "Resolved by a verdict", "from 8 Nov 2020", "6 – Truth cannot be judged",
    ):  # fmt: skip
        assert text in found, text


def test_the_claim_page_shows_its_status_as_of_a_past_day(reader: Client, world: ReaderWorld) -> None:
    now = page(reader, f"/claims/{world.town_no.pk}/")
    assert "Status now:" in now and "status-false" in now
    yesterday = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    then = page(reader, f"/claims/{world.town_no.pk}/?as_of={yesterday}")
    assert 'status <span class="status status-unrated">Unrated</span>' in then
    assert "Video of the town square" not in then  # the verdict came later
    assert f"?as_of={yesterday}" in then  # the permalink keeps the day


def test_the_place_page_draws_each_claim_about_it_and_within_it(reader: Client, world: ReaderWorld) -> None:
    found = page(reader, f"/places/{world.district.pk}/")
    assert found.count(f'href="/claims/{world.village_yes.pk}/"') >= 2  # the bar and the table row
    assert "<svg" in found and 'role="img"' in found
    assert f'href="/places/{world.village.pk}/"' in found  # the places it contains
    assert f'href="/contradictions/{world.village_flag.pk}/"' in found
    town = page(reader, f"/places/{world.town.pk}/?predicate=controlled-by")
    assert "✕" in town  # the denial rated false is marked


def test_the_timeline_escapes_what_a_claim_and_its_party_say(reader: Client, world: ReaderWorld) -> None:
    Claim.objects.filter(pk=world.village_yes.pk).update(statement='<script>alert("x")</script> & "held"')
    Party.objects.filter(pk=world.aliyev.pk).update(name="Aliyev <b>office</b>")

    found = page(reader, f"/places/{world.village.pk}/")

    assert "<script>alert" not in found and "<b>office" not in found
    assert escape('<script>alert("x")</script> & "held"') in found  # the table row
    assert escape("Aliyev <b>office</b>") in found  # the bar's title and the row


def test_the_party_page_counts_claims_later_rated_false(reader: Client, world: ReaderWorld) -> None:
    found = page(reader, f"/parties/{world.armenia.pk}/")
    assert "2 claims; <strong>1</strong> later rated false" in found
    assert f'href="/contradictions/{world.town_flag.pk}/"' in found
    alone = page(reader, f"/parties/{world.armenia.pk}/?scope=party")
    assert "0 claims" in alone


# --- Export, cards, ClaimReview ----------------------------------------------------------


def test_the_csv_export_has_the_rows_of_the_filtered_list(reader: Client, world: ReaderWorld) -> None:
    text = body(reader, f"/export.csv?show=claims&side={world.armenia.pk}&cursor=ignored").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(int(row["id"]) for row in rows) == sorted([world.town_no.pk, world.village_no.pk])
    assert {row["side"] for row in rows} == {"Armenia"}


def test_the_json_export_has_the_rows_of_the_filtered_list(reader: Client, world: ReaderWorld) -> None:
    rows: list[dict[str, Any]] = json.loads(body(reader, f"/export.json?place={world.district.pk}"))
    assert [row["id"] for row in rows] == [world.village_flag.pk]
    assert rows[0]["url"].endswith(f"/contradictions/{world.village_flag.pk}/")


def test_a_bad_filter_on_an_export_is_a_message_not_a_file(reader: Client, world: ReaderWorld) -> None:
    assert "Verification status" in page(reader, "/export.csv?status=bogus", status=400)


def test_cards_are_self_contained_html_to_paste(reader: Client, world: ReaderWorld) -> None:
    card = page(reader, f"/contradictions/{world.town_flag.pk}/card/")
    assert "&lt;figure class=&quot;claimwatch-card&quot;" in card  # the code to paste, escaped
    assert "<script" not in card.split("<textarea", 1)[1]
    claim_card = page(reader, f"/claims/{world.town_no.pk}/card/")
    assert "Claimwatch status: <strong>False</strong>" in claim_card


def test_claimreview_json_ld_for_a_published_verdict(reader: Client, world: ReaderWorld) -> None:
    review = json.loads(body(reader, f"/claims/{world.town_no.pk}/claimreview.json"))
    assert review["@type"] == "ClaimReview" and review["reviewRating"]["alternateName"] == "False"
    assert review["url"].endswith(f"/claims/{world.town_no.pk}/")
    assert reader.get(f"/claims/{world.town_yes.pk}/claimreview.json").status_code == 404
    pair = json.loads(body(reader, f"/contradictions/{world.town_flag.pk}/claimreview.json"))
    assert [r["claimReviewed"] for r in pair] == [world.town_no.statement]
    assert '<script type="application/ld+json">' in page(reader, f"/claims/{world.town_no.pk}/")


@pytest.mark.parametrize("claims_read_first", [True, False], ids=["few claims", "many claims"])
def test_the_flags_of_a_party_a_place_or_words_are_the_same_however_many_claims_match(
    world: ReaderWorld, monkeypatch: pytest.MonkeyPatch, claims_read_first: bool
) -> None:
    # A flag filter reads the matching claims' ids first when they are few, and walks the
    # flags testing each one's two claims when they are many; both must find the same flags.
    from reader import selectors
    from reader.forms import Filters

    if not claims_read_first:
        monkeypatch.setattr(selectors, "CLAIM_IDS_CAP", 0)
    both = {world.town_flag.pk, world.village_flag.pk}

    def found(filters: Filters) -> set[int]:
        return set(selectors.contradictions_matching(filters).values_list("pk", flat=True))

    assert found(Filters(party=world.aliyev)) == both
    assert found(Filters(party=world.armenia)) == set()  # its ministry speaks, not it
    assert found(Filters(place=world.district)) == {world.village_flag.pk}
    assert found(Filters(q="Shushi", q_places=(world.town.pk,))) == {world.town_flag.pk}
    assert found(Filters(party=world.armenian_mod, place=world.town)) == {world.town_flag.pk}
