"""A journalist uses the reader in a real browser (headless Chromium from Debian's package,
driven by Playwright against the live test server), answering the four questions of issue
11 in a few clicks; and axe-core finds no serious or critical violation on any page type,
at desktop and at phone width.

axe-core comes from the PyPI wheel axe-selenium-python (requirements-dev.txt), which ships
axe.min.js; only that file is used (injected into the page), not the Selenium wrapper.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests import factories
from tests.test_browser import PASSWORD, browser_page  # noqa: F401 - the fixture
from tests.test_reader_fixtures import ReaderWorld, reader_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

# Set to a folder (e.g. docs) to save the screenshots the README shows.
SCREENSHOTS = os.environ.get("READER_SCREENSHOTS", "")


def axe_script() -> Path:
    axe_selenium_python = pytest.importorskip("axe_selenium_python")
    path = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
    assert path.exists(), f"{path} is missing: pip install -r requirements-dev.txt"
    return path


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    page.add_script_tag(path=str(axe_script()))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def world(db: Any) -> ReaderWorld:
    analyst = factories.UserFactory(username="ana", role="Analyst", password=PASSWORD)
    return reader_world(analyst)


@pytest.fixture
def journalist_user(db: Any) -> User:
    return factories.UserFactory(username="jo", role="Journalist", password=PASSWORD, is_staff=False)


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/")
    page.wait_for_url("**/sign-in/**")
    page.fill("#id_username", "jo")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"reader-{name}.png"), full_page=True)


def test_a_journalist_answers_the_four_questions_in_the_browser(
    live_server: Any,
    browser_page: Any,  # noqa: F811 - the fixture imported above
    world: ReaderWorld,
    journalist_user: User,
) -> None:
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1200, "height": 900})
    sign_in(page, base)

    # 1. Which claims about a place contradict each other, who said what, in which sources:
    # found by an alias, opened, and a source followed.
    page.fill("input[name=q]", "Shushi")
    page.click("form[role=search] .search-box button")
    page.wait_for_selector("#results")
    shot(page, "search")
    page.click(f"a[href='/contradictions/{world.town_flag.pk}/']")
    page.wait_for_url(f"**/contradictions/{world.town_flag.pk}/")
    text = page.inner_text("main")
    for said in ("Ilham Aliyev", "Armenian Ministry of Defence", "Our forces hold Shusha.", "they hold Shusha"):
        assert said in text, said
    shot(page, "contradiction")
    page.route(
        "https://news.example.org/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Shusha is ours</title>"),
    )
    page.click(".source-link")
    page.wait_for_url("https://news.example.org/shusha")
    assert page.title() == "Shusha is ours"
    page.go_back()
    page.wait_for_url(f"**/contradictions/{world.town_flag.pk}/")

    # 2. What a party claimed in a month that was later rated false, and its status then.
    page.goto(f"{base}/?show=claims")
    page.select_option("#id_side", label="Armenia")
    page.fill("#id_period_from", "2020-11-01")
    page.fill("#id_period_to", "2020-11-30")
    page.select_option("#id_status", "false")
    page.click("fieldset.facets button")
    page.wait_for_selector("#results")
    results = page.inner_text("#results")
    assert world.town_no.statement in results and world.village_no.statement not in results
    page.click(f"#results a[href='/claims/{world.town_no.pk}/']")
    page.wait_for_url(f"**/claims/{world.town_no.pk}/")
    assert "False" in page.inner_text("#as-of")
    day_before = (dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    page.fill("#id_as_of", day_before)
    page.click("form[aria-label='Status as of a day'] button")
    page.wait_for_url(f"**/claims/{world.town_no.pk}/?as_of={day_before}")
    assert "Unrated" in page.inner_text("#as-of")
    shot(page, "claim")

    # 3. All open disputes about places within a district, exported as CSV.
    page.goto(f"{base}/")
    page.fill("input[name=q]", "Zəngilan")
    page.click("form[role=search] .search-box button")
    page.click(f"a[aria-label='Contradictions about {world.district.name} and places within']")
    page.wait_for_selector("text=Place: Zangilan district and places within")
    page.select_option("#id_review", "open")
    page.click("fieldset.facets button")
    page.wait_for_selector("#results")
    assert world.village_yes.statement in page.inner_text("#results")
    assert world.town_yes.statement not in page.inner_text("#results")
    with page.expect_download() as download:
        page.click("#export-csv")
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    assert [int(row["id"]) for row in rows] == [world.village_flag.pk]
    assert rows[0]["state"] == "open" and rows[0]["party_a"] == "Ilham Aliyev"

    # 4. The timeline of control claims for a place.
    page.goto(f"{base}/places/{world.district.pk}/")
    page.select_option("#id_predicate", "controlled-by")
    page.click("main form button")
    page.wait_for_url("**?predicate=controlled-by")
    assert page.locator("#timeline rect").count() == 2
    lanes = page.text_content("#timeline") or ""
    assert "Armenia" in lanes and "Azerbaijan" in lanes
    page.click("#timeline-table >> xpath=ancestor::details/summary")
    assert world.village_no.statement in page.inner_text("#timeline-table")
    shot(page, "place")

    # Sign out.
    page.click("header form button")
    page.wait_for_url("**/sign-in/")
    page.goto(f"{base}/")
    page.wait_for_url("**/sign-in/**")


@pytest.mark.parametrize("width", [1200, 375])
def test_every_page_type_passes_axe_core_and_fits_the_width(
    live_server: Any,
    browser_page: Any,  # noqa: F811 - the fixture imported above
    world: ReaderWorld,
    journalist_user: User,
    width: int,
) -> None:
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/sign-in/")
    assert serious_violations(page) == [], "sign-in"
    sign_in(page, base)
    pages = {
        "search": "/?q=shusha",
        "search claims": f"/?show=claims&side={world.armenia.pk}",
        "bad input": "/?status=bogus",
        "contradiction": f"/contradictions/{world.town_flag.pk}/",
        "claim": f"/claims/{world.town_no.pk}/",
        "claim as of": f"/claims/{world.town_no.pk}/?as_of=2020-11-09",
        "place": f"/places/{world.district.pk}/",
        "party": f"/parties/{world.armenia.pk}/",
        "card": f"/contradictions/{world.town_flag.pk}/card/",
    }
    for name, url in pages.items():
        page.goto(base + url)
        assert serious_violations(page) == [], name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if width == 1200 and name == "party":
            shot(page, "party")
