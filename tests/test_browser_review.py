"""An analyst reviews the worked example's flags in a real browser (headless Chromium, as
in tests/test_browser.py): dismissing one from its own page with a reason, and logging a
claim whose value fields follow the predicate.

With ``CW_SCREENSHOTS=<dir>`` set, the claim and contradiction pages are saved there as
PNGs (the README's screenshots: ``CW_SCREENSHOTS=docs pytest tests/test_browser_review.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from claims import detection
from claims.models import Claim, Contradiction
from tests import factories, test_browser
from tests.test_browser import PASSWORD, pick

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

browser_page = test_browser.browser_page  # headless Chromium, as the first browser test drives it


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("CW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def sign_in(page: Any, live_server: Any) -> None:
    factories.UserFactory(username="ana", role="Analyst", password=PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "ana")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_an_analyst_dismisses_a_flag_from_its_page_with_a_reason(live_server: Any, browser_page: Any) -> None:
    call_command("load_example", verbosity=0)
    detection.contradiction_scan(triggered_by="test")
    open_flags = set(Contradiction.objects.open().values_list("pk", flat=True))
    page = browser_page
    sign_in(page, live_server)

    # The list opens on the open flags.
    page.goto(f"{live_server.url}/admin/claims/contradiction/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == len(open_flags) > 0
    flag = Contradiction.objects.open().order_by("-detected_at", "-id").first()
    assert flag is not None

    page.goto(f"{live_server.url}/admin/claims/contradiction/{flag.pk}/change/")
    assert flag.claim_a.statement in page.inner_text("#content")
    screenshot(page, "admin-contradiction.png")

    page.click("#cw-dismiss")
    page.wait_for_selector("#dismiss-form")
    reason_page = page.inner_text("#content")
    for claim in (flag.claim_a, flag.claim_b):
        assert claim.statement in reason_page and str(claim.asserted_by) in reason_page
    page.fill("#id_reason", "Two different moments of the same advance, not one claim against another.")
    page.click("input[name=_dismiss]")

    page.wait_for_url(f"**/admin/claims/contradiction/{flag.pk}/change/")
    assert f"Dismissed: {flag}." in page.inner_text(".messagelist")
    flag.refresh_from_db()
    assert flag.state == Contradiction.State.DISMISSED
    assert flag.state_reason.startswith("Two different moments")
    assert flag.reviewed_by is not None and flag.reviewed_by.username == "ana"

    rated = Claim.objects.filter(current_verdict__isnull=False).order_by("pk").first()
    assert rated is not None
    page.goto(f"{live_server.url}/admin/claims/claim/{rated.pk}/change/")
    assert "Record a verdict" in page.inner_text("#content")
    screenshot(page, "admin-claim.png")


def test_the_claim_forms_value_fields_follow_the_predicate(live_server: Any, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    entity_row, quantity_row, text_row = (
        page.locator(f".form-row.field-{name}") for name in ("object_entity", "quantity_low", "text_value")
    )
    assert entity_row.is_visible() and quantity_row.is_visible() and text_row.is_visible()  # nothing chosen yet

    pick(page, "id_predicate", "casualt", "casualties")
    quantity_row.wait_for(state="visible")
    entity_row.wait_for(state="hidden")
    assert not text_row.is_visible()
    assert page.locator("#id_object_entity").is_disabled()  # not sent with the form

    pick(page, "id_predicate", "controlled", "controlled by")
    entity_row.wait_for(state="visible")
    quantity_row.wait_for(state="hidden")
    assert page.locator("#id_object_entity").is_enabled()
