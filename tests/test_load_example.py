"""``load_example`` loads the worked example (the Lachin corridor article), and a second run
changes nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from claims.models import Claim, ClaimSource, Entity, Status
from sources.models import Party, Source

pytestmark = pytest.mark.django_db

ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "lachin-corridor-article.md"


def load() -> str:
    out = io.StringIO()
    call_command("load_example", stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    """The number of rows in every table of the database, history tables included."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables = [name for (name,) in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def table_contents(*tables: str) -> dict[str, list[tuple[object, ...]]]:
    contents = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
            contents[table] = cursor.fetchall()
    return contents


def plain(text: str) -> str:
    """Markdown to comparable text: no escapes or emphasis, one space between words, straight quotes."""
    text = text.replace("\\", "").replace("*", "")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def loaded() -> str:
    return load()


def test_the_example_loads_at_least_twelve_claims_with_verbatim_quotes(loaded: str) -> None:
    claims = Claim.objects.all()
    from_the_article = claims.filter(appearances__source__publisher__name="South Front").distinct()

    assert claims.exclude(quote="").count() >= 12
    assert all(claim.quote.strip() for claim in from_the_article), "every claim from the article carries its quote"
    assert all(claim.appearances.exists() for claim in claims), "every example claim has a source"


def test_the_quotes_from_the_article_are_verbatim() -> None:
    if not ARTICLE.exists():
        pytest.skip(f"the seed article is not at {ARTICLE}")
    load()
    article = plain(ARTICLE.read_text())
    from_article = ClaimSource.objects.filter(
        source__title__startswith="Video: Azerbaijani Forces Rush to Capture Lachin Corridor"
    ).select_related("claim")

    assert from_article.exists()
    for link in from_article:
        assert plain(link.claim.quote) in article, f"claim #{link.claim_id}: quote is not verbatim"
        if link.excerpt:
            assert plain(link.excerpt) in article, f"claim #{link.claim_id}: excerpt is not verbatim"


def test_the_parties_of_the_article_are_loaded(loaded: str) -> None:
    for term in [
        "Ilham Aliyev",
        "Ministry of Defence of Azerbaijan",
        "Ministry of Defence of Armenia",
        "Armenian media",
        "South Front",
        "Global Research",
    ]:
        assert Party.objects.filter(name__icontains=term).exists(), term
    aliyev = Party.objects.get(name__icontains="Ilham Aliyev")
    assert aliyev.side.name == "Azerbaijan"
    assert Party.objects.get(name="Ministry of Defence of Armenia").side.name == "Armenia"


def test_the_republication_chain_is_recorded(loaded: str) -> None:
    republished = Source.objects.get(publisher__name="Global Research")
    original = republished.republished_from

    assert original is not None and original.publisher is not None
    assert original.publisher.name == "South Front"
    assert republished.origin() == original
    assert original.republished_from is None
    assert republished.published_at is not None and original.published_at is not None
    assert republished.published_at > original.published_at


def test_the_video_is_a_source_of_its_own(loaded: str) -> None:
    video = Source.objects.get(kind=Source.Kind.VIDEO)

    assert video.url == "https://southfront.org/wp-content/uploads/video/23.10.20_IMR_Armenia.mp4"
    assert ClaimSource.objects.filter(source=video, claim__predicate__slug="present-near").exists()


def test_the_places_are_loaded_with_aliases_and_part_of(loaded: str) -> None:
    aghband = Entity.objects.get(name="Aghband")

    assert aghband.part_of is not None and aghband.part_of.name == "Zangilan district"
    assert aghband.part_of.part_of is not None and aghband.part_of.part_of.name == "Azerbaijan"
    assert Entity.objects.search("Agbend").first() == aghband
    assert Entity.objects.search("Muradkhanly").first() == Entity.objects.get(name="Muradxanlı")
    assert aghband in Entity.objects.within(Entity.objects.get(name="Azerbaijan", part_of=None))


def _stances(subject: str, predicate: str) -> set[tuple[str, str]]:
    """(party's side, polarity) for the claims about ``subject`` with ``predicate``."""
    claims = Claim.objects.filter(subject__name=subject, predicate__slug=predicate).select_related("asserted_by")
    return {(claim.asserted_by.side.name, claim.polarity) for claim in claims}


@pytest.mark.parametrize(
    ("subject", "predicate"),
    [
        ("Azerbaijan–Iran border", "controlled-by"),
        ("Hadrut", "controlled-by"),
        ("Fuzuli", "controlled-by"),
        ("Armenian defence lines in southern Nagorno-Karabakh", "collapsing"),
    ],
)
def test_each_disagreement_in_the_article_is_loaded_as_a_pair_of_claims(
    loaded: str, subject: str, predicate: str
) -> None:
    stances = _stances(subject, predicate)

    assert any(polarity == "affirms" for _, polarity in stances), f"nobody affirms {subject} {predicate}"
    assert any(polarity == "denies" for _, polarity in stances), f"nobody denies {subject} {predicate}"


def test_the_armenian_denials_are_answered_by_azerbaijans_own_claims(loaded: str) -> None:
    for subject, day in (("Hadrut", 9), ("Fuzuli", 17)):
        claim = Claim.objects.get(subject__name=subject, predicate__slug="controlled-by", polarity="affirms")
        assert claim.asserted_by.side.name == "Azerbaijan"
        assert (claim.valid_from.year, claim.valid_from.month, claim.valid_from.day) == (2020, 10, day)
        assert claim.appearances.exists(), f"the {subject} claim notes its source"
        denial = Claim.objects.get(subject__name=subject, predicate__slug="controlled-by", polarity="denies")
        assert denial.asserted_by.side.name == "Armenia"


def test_the_video_and_the_sabotage_parties_are_loaded(loaded: str) -> None:
    assert Claim.objects.filter(subject__name="Azerbaijani Armed Forces", predicate__slug="present-near").exists()
    assert Claim.objects.filter(quote__icontains="sabotage parties").exists()


def test_later_events_settle_some_claims(loaded: str) -> None:
    hadrut_denial = Claim.objects.get(subject__name="Hadrut", predicate__slug="controlled-by", polarity="denies")

    assert hadrut_denial.status == Status.FALSE
    assert hadrut_denial.verdicts.count() >= 1


def test_loading_the_example_twice_changes_nothing_the_second_time() -> None:
    first = load()
    assert "nothing changed" not in first.lower()
    counts = table_counts()
    history_tables = [name for name in counts if name.endswith("event")]
    assert {"claims_claimevent", "claims_verdictevent", "sources_sourceevent"} <= set(history_tables)
    contents = table_contents("claims_claim", "claims_claimsource", "sources_source", "sources_party", "claims_entity")

    second = load()

    assert table_counts() == counts
    assert table_contents(*contents) == contents
    assert "nothing changed" in second.lower()


def test_the_example_is_recorded_in_history_as_loaded_by_the_command(loaded: str) -> None:
    from django.apps import apps

    events = apps.get_model("claims", "ClaimEvent").objects.filter(pgh_label="insert")

    assert events.count() == Claim.objects.count()
    assert all(event.pgh_context is not None for event in events)
    assert {event.pgh_context.metadata.get("actor") for event in events} == {"load_example"}


def test_reloading_after_an_analyst_corrected_an_example_claim_does_not_bring_the_old_one_back(loaded: str) -> None:
    """``bin/run`` loads the example on every start, so an analyst's edit must survive it."""
    from claims.services import claim_update

    claim = Claim.objects.get(subject__name="Hadrut", predicate__slug="controlled-by", polarity="denies")
    claim_update(claim=claim, data={"statement": "Armenia says Hadrut is not in Azerbaijani hands"})
    count = Claim.objects.count()

    load()

    assert Claim.objects.count() == count
    assert not Claim.objects.filter(statement="Hadrut is not held by Azerbaijan").exists()


def test_reloading_after_an_analyst_retitled_an_example_source_still_works(loaded: str) -> None:
    """Renaming the video must not make the next start fail on its (unique) URL."""
    Source.objects.filter(kind=Source.Kind.VIDEO).update(title="IMR video near Muradxanlı (South Front)")
    count = Source.objects.count()

    load()

    assert Source.objects.count() == count
