"""The claim admin's import: a sheet previewed (nothing written), then confirmed, through
the same pipeline as the bulk API (claims.ingest); errors by row and field, all or none."""

from __future__ import annotations

import html
import re
from typing import Any

import pghistory.models
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from claims.models import Claim, ClaimImport, ClaimSource
from tests import factories

IMPORT_URL = "/admin/claims/claim/import/"
PROCESS_URL = "/admin/claims/claim/process_import/"
HEADER = "subject,predicate,object_entity,asserted_by,asserted_at,statement,source_url,excerpt\n"


@pytest.fixture
def vocabulary(db: Any) -> None:
    factories.PartyFactory(name="Ilham Aliyev", kind="person", aliases=["Aliev"])
    factories.EntityFactory(name="Aghband", kind="place", aliases=["Ağbənd"])
    factories.EntityFactory(name="Azerbaijani armed forces", kind="organisation")


def sheet(*statements: str, subject: str = "agbend") -> bytes:
    lines = [
        f"{subject},controlled-by,Azerbaijani armed forces,Aliev,2020-10-22T12:00:00Z,{text},"
        f"https://admin.example.org/{n},as said\n"
        for n, text in enumerate(statements)
    ]
    return (HEADER + "".join(lines)).encode()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_format(client: Client) -> str:
    page = client.get(IMPORT_URL).content.decode()
    found = re.search(r'<option value="(\d+)"[^>]*>\s*csv\s*</option>', page, re.I)
    assert found, page
    return found.group(1)


def upload(client: Client, content: bytes) -> Any:
    return client.post(
        IMPORT_URL, {"format": csv_format(client), "import_file": SimpleUploadedFile("claims.csv", content)}
    )


def test_an_analyst_previews_a_sheet_then_confirms_it(vocabulary: None, analyst: User) -> None:
    client = client_for(analyst)
    preview = upload(client, sheet("Aghband was liberated", "Aghband is ours"))
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Aghband was liberated" in page and "Aghband is ours" in page
    assert not Claim.objects.exists() and not ClaimImport.objects.exists()  # the preview wrote nothing
    confirm = {name: value for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)}
    assert "import_file_name" in confirm, page
    done = client.post(PROCESS_URL, confirm)
    assert done.status_code == 302
    claims = Claim.objects.order_by("pk")
    assert [c.statement for c in claims] == ["Aghband was liberated", "Aghband is ours"]
    assert all(c.created_by == analyst for c in claims)
    assert ClaimSource.objects.filter(claim__in=claims).count() == 2
    assert ClaimImport.objects.get().created_by == analyst
    events = pghistory.models.Events.objects.filter(pgh_model="claims.ClaimEvent")
    assert events.count() == 2 and all(e.pgh_context["user"] == analyst.pk for e in events)  # type: ignore[index]


def test_a_sheet_with_errors_shows_them_by_row_and_field_and_offers_no_confirmation(
    vocabulary: None, analyst: User
) -> None:
    client = client_for(analyst)
    content = sheet("Fine claim", "Another fine claim") + b"Atlantis,controlled-by,x,Aliev,2020-10-22,Bad,,\n"
    page = html.unescape(upload(client, content).content.decode())
    assert 'No entity is named "Atlantis"' in page
    assert "Give the time zone too" in page
    assert "import_file_name" not in page  # nothing to confirm
    assert not Claim.objects.exists()


def test_journalists_cannot_import(vocabulary: None, journalist: User) -> None:
    client = client_for(journalist)
    assert client.get(IMPORT_URL).status_code == 403
    changelist = client.get("/admin/claims/claim/").content.decode()
    assert IMPORT_URL not in changelist
