"""An analyst logs a claim in a real browser: headless Chromium from Debian's package,
driven by Playwright against the live test server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from claims.models import Claim, Entity
from sources.models import Party
from tests import factories

# Playwright's sync API runs an event loop; Django refuses ORM calls from a thread that has
# one unless told it is safe (the test does not share connections across threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; ``migration_data`` restores the starter
    # vocabulary and the roles, which an earlier transactional test's flush removes.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), (
        f"{CHROMIUM} is missing: apt-get install chromium (bin/test does this)"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            # Generous: CI shares two cores with the rest of the suite (a wait, not an assertion).
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
            # ORM calls made while Playwright's context is active open their own connection
            # (Django's connections are context-local); close it, or the test database
            # cannot be dropped at the end of the session.
            connections.close_all()


def pick(page: Any, field_id: str, term: str, choice: str) -> None:
    """Choose ``choice`` in a select2 autocomplete by typing ``term``, as a person would."""
    page.click(f"#{field_id} + .select2 .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(term)
    page.locator(".select2-results__option", has_text=choice).first.click()
    assert choice in page.inner_text(f"#select2-{field_id}-container")


def test_an_analyst_logs_a_claim_with_a_source_and_an_excerpt_and_sees_it_listed(
    live_server: Any, browser_page: Any
) -> None:
    factories.UserFactory(username="ana", role="Analyst", password=PASSWORD)
    azerbaijan = factories.EntityFactory(name="Azerbaijan", kind=Entity.Kind.ORGANISATION)
    factories.EntityFactory(name="Aghband", aliases=["Ağbənd"])
    factories.PartyFactory(name="Ilham Aliyev", kind=Party.Kind.OFFICIAL)
    source = factories.SourceFactory(title="Lachin corridor under threat", url="https://southfront.org/lachin")
    page = browser_page

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    pick(page, "id_subject", "Agbend", "Aghband")
    pick(page, "id_predicate", "captured", "captured by")
    pick(page, "id_object_entity", "Azerb", "Azerbaijan")
    pick(page, "id_asserted_by", "Aliyev", "Ilham Aliyev")
    page.fill("#id_asserted_at_0", "2020-10-22")
    page.fill("#id_asserted_at_1", "18:00:00")
    page.fill("#id_statement", "Azerbaijan captured Aghband")
    page.fill("#id_quote", "The Azerbaijani Army liberated the village of Aghband.")
    pick(page, "id_appearances-0-source", "Lachin", "Lachin corridor under threat")
    page.fill("#id_appearances-0-excerpt", "liberated the village of Aghband")
    page.fill("#id_appearances-0-locator", "¶3")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    # If the form came back with errors, say which, rather than time out on the redirect.
    assert not page.locator(".errornote, .errorlist").all_inner_texts(), page.inner_text("#content")

    page.wait_for_url("**/admin/claims/claim/")
    assert "Azerbaijan captured Aghband" in page.inner_text("#result_list")
    claim = Claim.objects.get()
    assert (claim.subject.name, claim.object_entity, claim.asserted_by.name) == ("Aghband", azerbaijan, "Ilham Aliyev")
    assert list(claim.appearances.values_list("source", "excerpt", "locator")) == [
        (source.pk, "liberated the village of Aghband", "¶3")
    ]
    assert claim.created_by is not None and claim.created_by.username == "ana"
