import hashlib
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken
from knox.signals import token_expired

from api_layer.testing import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/auth/me/"


def test_register_creates_the_user_and_returns_a_working_token(api_client):
    response = api_client.post(
        "/api/auth/register/",
        {"username": "carol", "password": "a-long-unusual-passphrase"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "carol"
    assert (
        get_user_model().objects.get(username="carol").check_password("a-long-unusual-passphrase")
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api_client.get(ME).status_code == 200


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "carol-xyz"])
def test_register_applies_djangos_password_validators(api_client, password):
    response = api_client.post(
        "/api/auth/register/", {"username": "carol", "password": password}, format="json"
    )

    assert response.status_code == 400
    assert "error" in response.json()
    assert not get_user_model().objects.filter(username="carol").exists()


# Fullwidth: Django stores usernames NFKC-normalised, so "ａｌｉｃｅ" would be stored as "alice".
@pytest.mark.parametrize("spelling", ["alice", "ａｌｉｃｅ"])
def test_register_refuses_a_taken_username_in_any_spelling_it_is_stored_as(
    api_client, alice, spelling
):
    response = api_client.post(
        "/api/auth/register/",
        {"username": spelling, "password": "a-long-unusual-passphrase"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"error": {"username": ["A user with that username already exists."]}}


def test_register_stores_the_username_as_django_normalises_it(api_client):
    response = api_client.post(
        "/api/auth/register/",
        {"username": "\u00a0ｃａｒｏｌ\t", "password": "a-long-unusual-passphrase"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["username"] == "carol"
    assert get_user_model().objects.filter(username="carol").exists()


@pytest.mark.parametrize("spelling", [" alice", "alice\u00a0", "ａｌｉｃｅ", "\u3000alice\t"])
def test_login_reads_the_username_as_registration_stored_it(api_client, alice, spelling):
    response = api_client.post(
        "/api/auth/token/", {"username": spelling, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/auth/token/"])
def test_a_lone_surrogate_as_username_is_400_in_the_envelope(api_client, path):
    body = '{"username": "\\ud800", "password": "a-long-unusual-passphrase"}'

    response = api_client.post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["error"]


def test_token_endpoint_issues_a_working_token(api_client, alice):
    response = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(ME).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong-password"), ("nobody", PASSWORD)]
)
def test_wrong_credentials_get_one_message(api_client, alice, username, password):
    response = api_client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"non_field_errors": ["Unable to log in with the credentials provided."]}
    }


def test_tokens_are_stored_hashed_never_in_plain_text(api_client, alice):
    token = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    ).json()["token"]

    stored = AuthToken.objects.get(user=alice)
    assert token not in stored.digest
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()


def test_logout_revokes_only_the_token_used(client_for, alice):
    first, second = client_for(alice), client_for(alice)

    assert first.post("/api/auth/logout/").status_code == 204

    assert first.get(ME).status_code == 401
    assert second.get(ME).status_code == 200


def test_logoutall_revokes_every_token_of_the_caller(client_for, alice, bob):
    first, second, bobs = client_for(alice), client_for(alice), client_for(bob)

    assert first.post("/api/auth/logoutall/").status_code == 204

    assert first.get(ME).status_code == 401
    assert second.get(ME).status_code == 401
    assert bobs.get(ME).status_code == 200


def test_expired_token_is_401(client_for, alice):
    client = client_for(alice)
    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))

    response = client.get(ME)

    assert response.status_code == 401
    assert list(response.json()) == ["error"]


def test_an_expired_token_is_deleted_and_reported_by_knoxs_signal(client_for, alice):
    client = client_for(alice)
    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))
    received = []

    def receive(sender, username, source, **kwargs):
        received.append((username, source))

    token_expired.connect(receive)
    try:
        client.get(ME)
    finally:
        token_expired.disconnect(receive)

    assert not AuthToken.objects.filter(user=alice).exists()
    assert received == [("alice", "auth_token")]


def test_issued_tokens_expire_after_the_configured_ttl(api_client, alice, settings):
    response = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    expiry = AuthToken.objects.get(user=alice).expiry
    expected = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    assert response.status_code == 200
    assert abs((expiry - expected).total_seconds()) < 60


@pytest.mark.parametrize(
    "header",
    [
        "Token not-a-real-token",
        "Token ",
        "Bearer abc",
        "Token a b",
        "Basic YTpi",
        "Token \xe9t\xe9",  # not UTF-8 once encoded as HTTP headers are
    ],
)
def test_invalid_credentials_are_401(api_client, alice, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get(ME)

    assert response.status_code == 401
    assert list(response.json()) == ["error"]


@pytest.mark.parametrize("path", ["/api/auth/logout/", "/api/auth/logoutall/"])
def test_logout_without_a_token_is_401(api_client, path):
    assert api_client.post(path).status_code == 401


def test_me_names_the_caller_and_the_expiry_of_the_token_used(client_for, alice, bob):
    client = client_for(alice)
    client_for(bob)  # another user's token changes nothing
    token = AuthToken.objects.get(user=alice)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    expiry = response.json()["expiry"].replace("Z", "+00:00")
    assert abs(datetime.fromisoformat(expiry) - token.expiry) < timedelta(seconds=1)


def test_me_without_a_token_is_401_in_the_envelope(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert set(response.json()) == {"error"}
