"""Fixtures for the API tests: a client per role (authenticated with a real API key),
and a small world of parties, places, sources, claims, verdicts and contradictions."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from accounts.models import UserAPIKey
from claims.models import Claim, ClaimSource, Contradiction, Entity, Predicate
from claims.services import verdict_record
from sources.models import Party, Source
from tests import factories

ROLES = ("analyst", "journalist", "consumer")


@pytest.fixture(autouse=True)
def _generous_throttles(settings: Any) -> None:
    """Tests make many requests in a second; throttling has tests of its own."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {scope: "100000/min" for scope in ("status", "feed", "read", "write")},
    }


@pytest.fixture(autouse=True)
def _forget_verified_keys() -> Iterator[None]:
    from accounts.api.auth import verified_keys

    verified_keys.clear()
    yield
    verified_keys.clear()


def error_fields(response: Any) -> dict[str | None, list[str]]:
    """The error body's problems, by field: {"status": ["invalid_choice"], ...}. Also checks
    that the body has the API's one error shape."""
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}, body
    assert body["status"] == response.status_code
    fields: dict[str | None, list[str]] = {}
    for error in body["errors"]:
        assert set(error) == {"field", "code", "message"} and error["message"], error
        fields.setdefault(error["field"], []).append(error["code"])
    return fields


def api_key(user: User, name: str = "test") -> str:
    _, key = UserAPIKey.objects.create_key(user=user, name=name)
    return str(key)


def client_with_key(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def analyst_client(analyst: User) -> APIClient:
    return client_with_key(api_key(analyst))


@pytest.fixture
def journalist_client(journalist: User) -> APIClient:
    return client_with_key(api_key(journalist))


@pytest.fixture
def consumer_client(consumer: User) -> APIClient:
    return client_with_key(api_key(consumer))


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def role_clients(analyst_client: APIClient, journalist_client: APIClient, consumer_client: APIClient,
                 anonymous_client: APIClient) -> dict[str, APIClient]:  # fmt: skip
    return {
        "analyst": analyst_client, "journalist": journalist_client, "consumer": consumer_client,
        "anonymous": anonymous_client,
    }  # fmt: skip


@dataclass
class World:
    """The Lachin-corridor example in miniature."""

    azerbaijan: Party
    aliyev: Party
    armenia: Party
    armenian_mod: Party
    south_front: Party
    country: Entity
    district: Entity
    aghband: Entity
    hadrut: Entity
    article: Source
    republication: Source
    claims: dict[str, Claim] = field(default_factory=dict)
    contradictions: dict[str, Contradiction] = field(default_factory=dict)


def predicate(slug: str) -> Predicate:
    return Predicate.objects.get(slug=slug)


def make_claim(**kwargs: Any) -> Claim:
    """A claim written straight to the table (as the factories do), with its appearances."""
    appearances = kwargs.pop("appearances", [])
    claim = factories.ClaimFactory(**kwargs)
    for source, excerpt in appearances:
        ClaimSource.objects.create(claim=claim, source=source, role=ClaimSource.Role.REPORT, excerpt=excerpt)
    return claim


def make_contradiction(a: Claim, b: Claim, **kwargs: Any) -> Contradiction:
    first, second = sorted([a, b], key=lambda c: c.pk)
    defaults = {
        "kind": Contradiction.Kind.NEGATION,
        "relation": Contradiction.Relation.DISPUTE
        if first.asserted_by_id != second.asserted_by_id
        else Contradiction.Relation.SELF,
        "explanation": f"{first.statement} / {second.statement}",
        "rule": "negation",
    }
    return Contradiction.objects.create(claim_a=first, claim_b=second, **{**defaults, **kwargs})


@pytest.fixture
def world(db: Any, analyst: User) -> World:
    PF, EF, SF = factories.PartyFactory, factories.EntityFactory, factories.SourceFactory
    azerbaijan = PF(name="Azerbaijan", kind="state")
    armenia = PF(name="Armenia", kind="state")
    w = World(
        azerbaijan=azerbaijan,
        aliyev=PF(name="Ilham Aliyev", kind="person", parent=azerbaijan, same_as="https://www.wikidata.org/wiki/Q33960"),
        armenia=armenia,
        armenian_mod=PF(name="Armenian Ministry of Defence", kind="military", parent=armenia),
        south_front=PF(name="South Front", kind="media"),
        country=EF(name="Azerbaijan (country)", kind="place"),
        district=None,  # type: ignore[arg-type]
        aghband=None,  # type: ignore[arg-type]
        hadrut=EF(name="Hadrut", kind="place", aliases=["Hadrud"]),
        article=None,  # type: ignore[arg-type]
        republication=None,  # type: ignore[arg-type]
    )  # fmt: skip
    w.district = EF(name="Zangilan district", kind="place", part_of=w.country)
    w.aghband = EF(name="Aghband", kind="place", aliases=["Ağbənd", "Agbend"], part_of=w.district)
    w.article = SF(title="Azerbaijan claims full control of the Iran border", url="https://southfront.org/lachin",
                   publisher=w.south_front)  # fmt: skip
    w.republication = SF(title="Republished", url="https://www.globalresearch.ca/lachin", republished_from=w.article)
    az_forces = EF(name="Azerbaijani armed forces", kind="organisation")
    controlled = predicate("controlled-by")
    day = dt.datetime(2020, 10, 22, 12, tzinfo=dt.UTC)
    w.claims["aghband"] = make_claim(
        subject=w.aghband, predicate=controlled, object_entity=az_forces, asserted_by=w.aliyev, asserted_at=day,
        statement="Azerbaijani forces captured Aghband", quote="The village of Aghband was liberated",
        appearances=[(w.article, "Aliyev said the village of Aghband was liberated"), (w.republication, "")],
    )  # fmt: skip
    w.claims["border_denied"] = make_claim(
        subject=w.district, predicate=controlled, object_entity=az_forces, asserted_by=w.armenian_mod,
        asserted_at=day, polarity="denies", statement="Azerbaijan has not taken full control of the border",
        appearances=[(w.article, "the Armenian side denied")],
    )  # fmt: skip
    w.claims["hadrut"] = make_claim(
        subject=w.hadrut, predicate=controlled, object_entity=az_forces, asserted_by=w.aliyev,
        asserted_at=dt.datetime(2020, 10, 9, tzinfo=dt.UTC), valid_from=dt.date(2020, 10, 9),
        valid_until=dt.date(2020, 10, 9), statement="Hadrut was taken by Azerbaijani forces",
    )  # fmt: skip
    w.claims["hadrut_denied"] = make_claim(
        subject=w.hadrut, predicate=controlled, object_entity=az_forces, asserted_by=w.armenian_mod,
        asserted_at=dt.datetime(2020, 10, 10, tzinfo=dt.UTC), valid_from=dt.date(2020, 10, 9),
        valid_until=dt.date(2020, 10, 10), polarity="denies", statement="Hadrut is not in Azerbaijani hands",
    )  # fmt: skip
    w.contradictions["border"] = make_contradiction(w.claims["aghband"], w.claims["border_denied"])
    w.contradictions["hadrut"] = make_contradiction(w.claims["hadrut"], w.claims["hadrut_denied"])
    verdict_record(claim=w.claims["hadrut_denied"], rating="false", rationale="Hadrut had been taken.",
                   reviewer=analyst, evidence=[w.article], publish=True)  # fmt: skip
    verdict_record(claim=w.claims["hadrut"], rating="true", rationale="Confirmed by later reporting.",
                   reviewer=analyst)  # fmt: skip
    return w


class LiveAPI:
    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log


@pytest.fixture
def gunicorn_server(transactional_db: Any, tmp_path: Path) -> Iterator[LiveAPI]:
    """The app served by gunicorn (2 workers) on a free port, on the test database, as in
    production (DEBUG off, persistent connections). Django's threaded test server opens a
    database connection per request, which makes a long fuzz run several times slower."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from django.db import connection

    from project.database_url import database_url

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",  # served over plain HTTP, as behind a TLS-terminating proxy
        "DATABASE_URL": database_url(connection.settings_dict),
        **{f"API_THROTTLE_{scope}": "1000000/min" for scope in ("STATUS", "FEED", "READ", "WRITE")},
    }
    log_path = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "project.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--limit-request-line", "0", "--access-logfile", "-", "--error-logfile", "-"],
        env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/schema/", timeout=5).read()  # noqa: S310 - our own server
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(f"gunicorn did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)
    yield LiveAPI(url, process, log_path)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    connection.close()


def claim_payload(w: World, **overrides: Any) -> dict[str, Any]:
    """A valid create body: Aliyev says Azerbaijani forces control Aghband, in the article."""
    body = {
        "subject": w.aghband.pk,
        "predicate": "controlled-by",
        "object_entity": w.claims["aghband"].object_entity_id,
        "asserted_by": w.aliyev.pk,
        "asserted_at": "2020-10-22T12:00:00Z",
        "statement": "Azerbaijani forces control Aghband",
        "quote": "Aghband is ours",
        "hedge": "claimed",
        "appearances": [{"source": w.article.pk, "role": "report", "excerpt": "Aghband is ours", "locator": "¶3"}],
    }
    body.update(overrides)
    return body
