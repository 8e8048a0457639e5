"""The account area: anyone with an account (staff or not) signs in and manages their own
API keys, without the admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import UserAPIKey
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
CLAIMS = "/api/v1/claims/"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def signed_in(username: str) -> Client:
    """A browser that signs in on the account login page, with CSRF checks on."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/account/login/")
    assert page.status_code == 200
    response = client.post(
        "/account/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": page.context["csrf_token"]},
    )
    assert response.status_code == 302 and response["Location"] == "/account/", response
    return client


def csrf(client: Client) -> str:
    return str(client.cookies["csrftoken"].value)


def shown_key(response: Any) -> str:
    keys = re.findall(r"\b([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})\b", response.content.decode())
    assert len(set(keys)) == 1, keys
    return str(keys[0])


@pytest.fixture
def reader(db: Any) -> User:
    """An API consumer who is not staff: no admin access at all."""
    return factories.UserFactory(username="reader", role="API consumer", is_staff=False)


def test_a_non_staff_consumer_signs_in_creates_a_key_uses_it_and_revokes_it(reader: User) -> None:
    browser = signed_in("reader")
    assert browser.get("/admin/").status_code == 302  # the admin is still not theirs

    created = browser.post("/account/keys/", {"name": "newsroom-dashboard", "csrfmiddlewaretoken": csrf(browser)})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    key = shown_key(created)
    stored = UserAPIKey.objects.get(prefix=key.split(".")[0])
    assert stored.user == reader and stored.name == "newsroom-dashboard"
    assert with_key(key).get(CLAIMS).status_code == 200

    listing = browser.get("/account/")
    assert "newsroom-dashboard" in listing.content.decode() and stored.prefix in listing.content.decode()
    assert key.split(".")[1] not in listing.content.decode()  # shown once, never again

    revoked = browser.post(f"/account/keys/{stored.prefix}/revoke/", {"csrfmiddlewaretoken": csrf(browser)})
    assert revoked.status_code == 302 and revoked["Location"] == "/account/"
    assert with_key(key).get(CLAIMS).status_code == 401
    assert UserAPIKey.objects.get(pk=stored.pk).revoked  # kept, not deleted


def test_a_user_sees_only_their_own_keys_and_cannot_revoke_anothers(reader: User, journalist: User) -> None:
    theirs, their_key = UserAPIKey.objects.create_key(user=journalist, name="journalists-laptop")
    browser = signed_in("reader")

    assert "journalists-laptop" not in browser.get("/account/").content.decode()
    refused = browser.post(f"/account/keys/{theirs.prefix}/revoke/", {"csrfmiddlewaretoken": csrf(browser)})
    assert refused.status_code == 404
    assert not UserAPIKey.objects.get(pk=theirs.pk).revoked
    assert with_key(their_key).get(CLAIMS).status_code == 200


def test_anonymous_visitors_are_sent_to_the_account_login(db: Any) -> None:
    response = Client().get("/account/")
    assert response.status_code == 302 and response["Location"] == "/account/login/?next=/account/"
    assert Client().post("/account/keys/", {"name": "x"}).status_code == 302
    assert not UserAPIKey.objects.exists()


def test_the_account_forms_need_a_csrf_token(reader: User) -> None:
    browser = signed_in("reader")
    assert browser.post("/account/keys/", {"name": "forged"}).status_code == 403
    assert not UserAPIKey.objects.exists()


def test_bad_key_input_is_a_form_error_not_a_500(reader: User) -> None:
    browser = signed_in("reader")
    token = csrf(browser)
    for data, field in [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "x", "expiry_date": "2000-01-01T00:00"}, "expiry_date"),
        ({"name": "x", "expiry_date": "not a date"}, "expiry_date"),
    ]:
        response = browser.post("/account/keys/", {**data, "csrfmiddlewaretoken": token})
        assert response.status_code == 200, data
        assert field in response.context["form"].errors, data
    assert not UserAPIKey.objects.exists()
    stored, _ = UserAPIKey.objects.create_key(user=reader, name="k")
    assert browser.post("/account/keys/nonsense/revoke/", {"csrfmiddlewaretoken": token}).status_code == 404


def test_a_wrong_password_is_a_form_error(reader: User) -> None:
    client = Client()
    response = client.post("/account/login/", {"username": "reader", "password": "wrong"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/account/").status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(reader: User) -> None:
    browser = signed_in("reader")
    assert browser.post("/account/logout/", {"csrfmiddlewaretoken": csrf(browser)}).status_code == 302
    assert browser.get("/account/").status_code == 302


def test_staff_may_use_the_account_page_too(journalist: User) -> None:
    browser = signed_in("journalist")
    created = browser.post("/account/keys/", {"name": "staff-key", "csrfmiddlewaretoken": csrf(browser)})
    assert with_key(shown_key(created)).get(CLAIMS).status_code == 200


def test_a_session_from_the_account_login_works_in_the_api_and_swagger_ui(reader: User) -> None:
    browser = signed_in("reader")
    assert browser.get("/api/docs/").status_code == 200
    assert browser.get("/api/v1/keys/").status_code == 200
    assert Client().get("/api/v1/keys/").status_code == 401  # the API answers 401, it never redirects
