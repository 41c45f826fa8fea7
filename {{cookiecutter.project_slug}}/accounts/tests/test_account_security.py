"""Accounts as OWASP ASVS level 1 asks: a password change that revokes the other tokens, a cap on
live tokens per user, registration that can be closed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import TokenLimitReached
from api_layer.testing import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"
PASSWORD_CHANGE = "/api/auth/password/"
REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
NEW_PASSWORD = "another-long-unusual-passphrase"


def change(client, current=PASSWORD, new=NEW_PASSWORD, **extra):
    body = {"current_password": current, "new_password": new}
    return client.post(PASSWORD_CHANGE, body, format="json", **extra)


def log_in(username="alice", password=PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def client_with(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# --- Password change ----------------------------------------------------------------------------


def test_password_change_sets_the_new_password(alice_client, alice):
    response = change(alice_client)

    assert response.status_code == 204
    assert log_in(password=NEW_PASSWORD).status_code == 200
    assert log_in(password=PASSWORD).status_code == 400


def test_password_change_revokes_every_other_token_but_keeps_the_one_used(
    alice_client, client_for, alice, bob
):
    others = [client_for(alice), client_for(alice)]
    bobs = client_for(bob)

    assert change(alice_client).status_code == 204

    assert [client.get(ME).status_code for client in others] == [401, 401]
    assert alice_client.get(ME).status_code == 200
    assert bobs.get(ME).status_code == 200


def test_password_change_with_a_wrong_current_password_is_400_and_changes_nothing(
    alice_client, client_for, alice
):
    other = client_for(alice)

    response = change(alice_client, current="not-the-password")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["current_password"]
    assert log_in(password=PASSWORD).status_code == 200
    assert other.get(ME).status_code == 200


@pytest.mark.parametrize("new", ["short", "password123", "12345678901", "alice123"])
def test_password_change_applies_djangos_validators(alice_client, new):
    response = change(alice_client, new=new)

    assert response.status_code == 400
    errors = response.json()["error"]
    assert list(errors) == ["new_password"]
    assert all(isinstance(message, str) for message in errors["new_password"])
    assert log_in(password=PASSWORD).status_code == 200


def test_password_change_needs_a_token(api_client):
    assert change(api_client).status_code == 401


def test_password_guesses_spend_the_login_budget_from_any_ip(rates, alice_client):
    rates(login="3/minute")

    codes = [
        change(alice_client, current=f"guess-{n}", REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert codes == [400, 400, 400, 429, 429]


# --- Live tokens per user -----------------------------------------------------------------------


@pytest.fixture
def token_limit(settings):
    def set_limit(limit):
        settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": limit}

    return set_limit


def test_login_past_the_token_limit_is_403_in_the_envelope(rates, token_limit, alice):
    rates(login="100/minute")
    token_limit(2)

    codes = [log_in().status_code for _ in range(3)]
    refused = log_in()

    assert codes == [200, 200, 403]
    assert refused.json() == {"error": TokenLimitReached.default_detail}
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_a_revoked_or_expired_token_frees_its_place(rates, token_limit, alice):
    rates(login="100/minute")
    token_limit(2)
    first, second = (log_in().json()["token"] for _ in range(2))

    client_with(first).post("/api/auth/logout/")
    assert log_in().status_code == 200

    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))
    assert [log_in().status_code for _ in range(3)] == [200, 200, 403]


def test_registration_and_the_command_issue_through_the_same_cap(rates, token_limit):
    rates(login="100/minute")
    token_limit(1)
    body = {"username": "carol", "password": "a-long-unusual-passphrase"}

    assert APIClient().post(REGISTER, body, format="json").status_code == 201
    assert APIClient().post(TOKEN, body, format="json").status_code == 403
    with pytest.raises(CommandError, match="carol: Token limit reached"):
        call_command("issue_token", "carol", stdout=StringIO())


def test_no_limit_when_the_setting_is_empty(rates, token_limit, alice):
    rates(login="100/minute")
    token_limit(None)

    assert {log_in().status_code for _ in range(12)} == {200}


# --- Registration switch ------------------------------------------------------------------------


def test_closed_registration_is_403_and_creates_nobody(settings, api_client, alice):
    settings.REGISTRATION_OPEN = False
    body = {"username": "carol", "password": "a-long-unusual-passphrase"}

    response = api_client.post(REGISTER, body, format="json")

    assert response.status_code == 403
    assert response.json() == {"error": "Registration is closed."}
    assert not get_user_model().objects.filter(username="carol").exists()
    assert log_in().status_code == 200  # existing accounts still log in


def test_registration_is_open_by_default(api_client):
    body = {"username": "carol", "password": "a-long-unusual-passphrase"}

    assert api_client.post(REGISTER, body, format="json").status_code == 201
