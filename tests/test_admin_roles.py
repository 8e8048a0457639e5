"""Every control the admin shows a person works for that person.

For each role (the groups migration 0004 creates, and a superuser), the claim,
contradiction, verdict, entity, party and source lists and change pages are rendered on the
worked example; every link and link-button on them is collected from the HTML and followed.
Each must answer 200 (after redirects): a control that would answer 403 must not be shown.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse

from claims import detection
from claims.models import Claim, Contradiction, Entity, Verdict
from sources.models import Party, Source
from tests import factories

pytestmark = pytest.mark.django_db

PAGES: list[type[models.Model]] = [Claim, Contradiction, Verdict, Entity, Party, Source]
ROLES = ["Analyst", "Journalist", "API consumer", "superuser"]


class Links(HTMLParser):
    """The targets of a page's links (``<a href>``) and link-buttons (``formaction``)."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.post_buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(str(attributes["href"]))
        if attributes.get("formaction"):
            self.post_buttons.append(str(attributes["formaction"]))


def links_of(page_url: str, html: str) -> tuple[set[str], set[str]]:
    parser = Links()
    parser.feed(html)

    def ours(href: str) -> str | None:
        if href.startswith(("#", "javascript:", "mailto:")):
            return None
        target = urljoin(f"http://testserver{page_url}", href)
        parts = urlsplit(target)
        if parts.netloc != "testserver":
            return None  # a source's own URL, Wikidata: not ours to test
        return parts.path + (f"?{parts.query}" if parts.query else "")

    return (
        {t for t in map(ours, parser.hrefs) if t},
        {t for t in map(ours, parser.post_buttons) if t},
    )


def admin_url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def example(db: Any) -> None:
    """The worked example with its flags, and one flag a reviewer has confirmed."""
    call_command("load_example", verbosity=0)
    detection.contradiction_scan(triggered_by="test")
    assert Contradiction.objects.open().exists() and Verdict.objects.exists()


def person(role: str) -> User:
    if role == "superuser":
        return factories.UserFactory(username="root", is_superuser=True)
    # Staff, so the admin opens for them: the role decides what they may do there.
    return factories.UserFactory(username=role.lower().replace(" ", "-"), role=role)


def pages_of_the_example() -> list[str]:
    urls = []
    for model in PAGES:
        urls.append(admin_url(model, "changelist"))
        first = model._default_manager.order_by("pk").first()
        assert first is not None, model
        urls.append(admin_url(model, "change", first.pk))
    # A claim with verdicts (its verdict history links to them and their evidence).
    rated = Claim.objects.filter(current_verdict__isnull=False).order_by("pk").first()
    assert rated is not None
    urls.append(admin_url(Claim, "change", rated.pk))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_link_and_button_on_the_main_pages_answers_200_for_the_role(example: None, role: str) -> None:
    client = Client()
    client.force_login(person(role))
    followed: dict[str, int] = {}
    for page in pages_of_the_example():
        response = client.get(page)
        assert response.status_code == 200, (role, page, response.status_code)
        hrefs, _ = links_of(page, response.content.decode())
        for href in sorted(hrefs - followed.keys()):
            followed[href] = client.get(href, follow=True).status_code

    failing = {href: status for href, status in followed.items() if status != 200}
    assert not failing, f"{role}: controls shown that do not work: {failing}"
    assert len(followed) > 50  # the pages' links were found and followed


@pytest.mark.parametrize("role", ROLES)
def test_every_post_button_on_the_contradiction_page_works_for_the_role(example: None, role: str) -> None:
    flag = Contradiction.objects.open().order_by("pk").first()
    assert flag is not None
    client = Client()
    client.force_login(person(role))
    page = admin_url(Contradiction, "change", flag.pk)

    _, buttons = links_of(page, client.get(page).content.decode())

    may_review = role != "API consumer"
    assert bool(buttons) == may_review
    for target in buttons:
        response = client.post(target, follow=True)
        assert response.status_code == 200, (role, target)
        assert response.redirect_chain[-1][0] == page


@pytest.mark.parametrize(
    ("role", "may_record"), [("Analyst", True), ("Journalist", False), ("API consumer", False), ("superuser", True)]
)
def test_record_a_verdict_is_shown_only_to_those_who_may_record_one(example: None, role: str, may_record: bool) -> None:
    claim = Claim.objects.order_by("pk").first()
    assert claim is not None
    client = Client()
    client.force_login(person(role))

    page = client.get(admin_url(Claim, "change", claim.pk)).content.decode()

    assert ("Record a verdict" in page) == may_record
    assert client.get(admin_url(Verdict, "add") + f"?claim={claim.pk}").status_code == (200 if may_record else 403)


@pytest.mark.parametrize("model", [Entity, Party, Source])
def test_only_those_who_may_add_and_change_rows_see_import_or_may_import(
    example: None, model: type[models.Model]
) -> None:
    for role, may_import in [("Analyst", True), ("Journalist", False), ("API consumer", False)]:
        client = Client()
        client.force_login(person(role))

        listing = client.get(admin_url(model, "changelist")).content.decode()

        assert (admin_url(model, "import") in listing) == may_import, role
        assert client.get(admin_url(model, "import")).status_code == (200 if may_import else 403), role
        # Export is reading: everyone who may read the list may export it.
        assert admin_url(model, "export") in listing, role
