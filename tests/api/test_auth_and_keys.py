"""Authentication: per-user API keys stored hashed, and sessions for the browser."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api.auth import verified_keys
from accounts.models import UserAPIKey
from tests import factories
from tests.api.conftest import World, api_key, claim_payload, client_with_key, error_fields

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def test_without_credentials_every_request_is_a_401_with_a_challenge(world: World, anonymous_client: APIClient) -> None:
    response = anonymous_client.get(CLAIMS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {
        "status": 401, "code": "not_authenticated", "detail": "Authentication credentials were not provided.",
        "errors": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key abc.def", "Api-Key ", "Api-Key toolongprefix.secret", "Api-Key a\x00b.c"],
)
def test_a_wrong_or_malformed_key_is_a_401(world: World, header: str) -> None:
    response = APIClient().get(CLAIMS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_refused(world: World, consumer: User) -> None:
    key = api_key(consumer)
    prefix = key.split(".")[0]
    assert client_with_key(f"{prefix}.{'x' * 32}").get(CLAIMS).status_code == 401
    assert client_with_key(key).get(CLAIMS).status_code == 200


def test_keys_are_stored_hashed(world: World, consumer: User) -> None:
    key = api_key(consumer)
    stored = UserAPIKey.objects.get(prefix=key.split(".")[0])

    assert key.split(".")[1] not in stored.hashed_key
    assert stored.hashed_key.startswith("sha512$$")


def test_a_revoked_key_stops_working(world: World, consumer: User) -> None:
    key = api_key(consumer)
    client = client_with_key(key)
    assert client.get(CLAIMS).status_code == 200

    UserAPIKey.objects.filter(prefix=key.split(".")[0]).update(revoked=True)
    verified_keys.clear()  # as other processes do within API_KEY_CACHE_SECONDS

    assert client.get(CLAIMS).status_code == 401


def test_with_the_cache_off_a_revocation_takes_effect_at_once(world: World, consumer: User, settings: Any) -> None:
    settings.API_KEY_CACHE_SECONDS = 0
    key = api_key(consumer)
    client = client_with_key(key)
    assert client.get(CLAIMS).status_code == 200
    UserAPIKey.objects.filter(prefix=key.split(".")[0]).update(revoked=True)
    assert client.get(CLAIMS).status_code == 401


def test_an_expired_key_is_refused(world: World, consumer: User) -> None:
    _, key = UserAPIKey.objects.create_key(user=consumer, name="old", expiry_date=timezone.now() - dt.timedelta(1))
    response = client_with_key(key).get(CLAIMS)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_an_inactive_users_key_is_refused(world: World, consumer: User) -> None:
    key = api_key(consumer)
    consumer.is_active = False
    consumer.save()
    assert client_with_key(key).get(CLAIMS).status_code == 401


def test_a_user_creates_lists_and_revokes_their_own_keys(world: World, consumer: User) -> None:
    client = client_with_key(api_key(consumer, "first"))

    created = client.post("/api/v1/keys/", {"name": "dashboard"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith(body["prefix"] + ".")
    listed = client.get("/api/v1/keys/").json()
    assert {k["name"] for k in listed} == {"first", "dashboard"} and all("key" not in k for k in listed)
    assert client_with_key(body["key"]).get(CLAIMS).status_code == 200

    assert client.delete(f"/api/v1/keys/{body['prefix']}/").status_code == 204
    assert client.get(f"/api/v1/keys/{body['prefix']}/").status_code == 404
    assert client_with_key(body["key"]).get(CLAIMS).status_code == 401


def test_a_key_cannot_revoke_itself_or_anyone_elses(world: World, consumer: User, journalist: User) -> None:
    key = api_key(consumer)
    client = client_with_key(key)
    itself = client.delete(f"/api/v1/keys/{key.split('.')[0]}/")
    assert itself.status_code == 400 and "prefix" in error_fields(itself)
    other = api_key(journalist)
    assert client.delete(f"/api/v1/keys/{other.split('.')[0]}/").status_code == 404
    assert client_with_key(other).get(CLAIMS).status_code == 200


def test_a_key_carries_its_users_role(world: World, journalist: User) -> None:
    client = client_with_key(api_key(journalist))
    assert client.get(CLAIMS).status_code == 200
    assert client.post(CLAIMS, claim_payload(world), format="json").status_code == 403


def test_a_browser_session_authenticates_and_needs_csrf_to_write(world: World, analyst: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(analyst)

    assert client.get(CLAIMS).status_code == 200
    refused = client.post(CLAIMS, claim_payload(world), format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_a_user_without_a_role_may_only_manage_keys(world: World) -> None:
    nobody = factories.UserFactory(username="nobody", is_staff=False)
    client = client_with_key(api_key(nobody))
    assert client.get(CLAIMS).status_code == 403
    assert client.get("/api/v1/keys/").status_code == 200


def test_bad_key_requests_are_400s(world: World, consumer: User) -> None:
    client = client_with_key(api_key(consumer))
    assert "name" in error_fields(client.post("/api/v1/keys/", {}, format="json"))
    assert "name" in error_fields(client.post("/api/v1/keys/", {"name": "x" * 51}, format="json"))
    past = client.post("/api/v1/keys/", {"name": "x", "expiry_date": "2000-01-01T00:00:00Z"}, format="json")
    assert "expiry_date" in error_fields(past)


# --- Keys in the admin ----------------------------------------------------------------

ADMIN_KEYS = "/admin/accounts/userapikey/"


def _admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _key_from_messages(response: Any) -> str:
    """The key the admin showed once, in a message after the add."""
    shown = [str(m) for m in response.context["messages"]]
    keys = re.findall(r"\b([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})\b", " ".join(shown))
    assert len(keys) == 1, shown
    return str(keys[0])


def test_a_key_created_in_the_admin_authenticates_until_it_is_revoked_there(
    world: World, superuser: User, consumer: User
) -> None:
    admin_client = _admin_client(superuser)

    added = admin_client.post(f"{ADMIN_KEYS}add/", {"user": consumer.pk, "name": "newsroom"}, follow=True)
    assert added.status_code == 200
    key = _key_from_messages(added)
    stored = UserAPIKey.objects.get(prefix=key.split(".")[0])
    assert stored.user == consumer and stored.name == "newsroom"
    assert stored.hashed_key not in added.content.decode() and stored.pk not in added.content.decode()
    assert client_with_key(key).get(CLAIMS).status_code == 200

    recent_actions = admin_client.get("/admin/").content.decode()
    assert f"{ADMIN_KEYS}{stored.prefix}/change/" in recent_actions and stored.hashed_key not in recent_actions
    assert admin_client.get(f"{ADMIN_KEYS}{stored.prefix}/history/").status_code == 200
    listed = admin_client.get(ADMIN_KEYS, {"q": "consumer"})
    assert stored.prefix in listed.content.decode() and stored.hashed_key not in listed.content.decode()
    revoked = admin_client.post(ADMIN_KEYS, {"action": "revoke_keys", "_selected_action": [stored.prefix]})
    assert revoked.status_code == 302

    assert client_with_key(key).get(CLAIMS).status_code == 401
    assert UserAPIKey.objects.filter(pk=stored.pk, revoked=True).exists()  # kept, not deleted


def test_a_key_is_revoked_on_its_admin_change_page_and_is_kept(world: World, superuser: User, consumer: User) -> None:
    admin_client = _admin_client(superuser)
    stored, key = UserAPIKey.objects.create_key(user=consumer, name="laptop")
    assert client_with_key(key).get(CLAIMS).status_code == 200
    change_url = f"{ADMIN_KEYS}{stored.prefix}/change/"

    page = admin_client.get(change_url)
    assert page.status_code == 200 and stored.hashed_key not in page.content.decode()
    assert "hashed_key" not in page.context["adminform"].form.fields
    saved = admin_client.post(change_url, {"name": "laptop", "revoked": "on"})
    assert saved.status_code == 302

    assert client_with_key(key).get(CLAIMS).status_code == 401
    assert UserAPIKey.objects.get(pk=stored.pk).revoked
    assert admin_client.post(f"{ADMIN_KEYS}{stored.prefix}/delete/", {"post": "yes"}).status_code == 403
    assert UserAPIKey.objects.filter(pk=stored.pk).exists()


def test_bad_input_in_the_admin_key_form_is_a_form_error(world: World, superuser: User, consumer: User) -> None:
    admin_client = _admin_client(superuser)
    response = admin_client.post(
        f"{ADMIN_KEYS}add/",
        {"user": consumer.pk, "name": "", "expiry_date_0": "2000-01-01", "expiry_date_1": "00:00:00"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "name" in errors and "expiry_date" in errors
    assert not UserAPIKey.objects.filter(user=consumer).exists()


def test_only_users_with_the_key_permissions_manage_others_keys_in_the_admin(
    world: World, analyst: User, consumer: User
) -> None:
    UserAPIKey.objects.create_key(user=consumer, name="theirs")
    assert _admin_client(analyst).get(ADMIN_KEYS).status_code == 403
    assert _admin_client(analyst).post(f"{ADMIN_KEYS}add/", {"user": analyst.pk, "name": "x"}).status_code == 403


def test_the_key_librarys_own_admin_page_is_gone(superuser: User) -> None:
    assert _admin_client(superuser).get("/admin/rest_framework_api_key/apikey/").status_code == 404
