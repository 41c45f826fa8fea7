"""Issuing tokens: `manage.py issue_token` for existing or new users, and every way a token is
issued (register, the token endpoint, the command, the setup step) doing the same: expired
tokens swept, the configured TTL, `user_logged_in` sent."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken

from api_layer.testing import PASSWORD


def issue(*args):
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def me_status(api_client, token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client.get("/api/auth/me/").status_code


def test_issued_token_authenticates_its_user(db, alice, api_client):
    token = issue("alice")

    assert me_status(api_client, token) == 200


def test_unknown_user_is_refused_without_create(db):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        issue("nobody")

    assert not get_user_model().objects.filter(username="nobody").exists()


def test_create_makes_users_with_a_random_password_and_prints_json(db, api_client):
    tokens = json.loads(issue("--create", "--json", "carol", "dave"))

    assert set(tokens) == {"carol", "dave"}
    for name, token in tokens.items():
        user = get_user_model().objects.get(username=name)
        assert user.has_usable_password()
        assert token not in user.password
        assert me_status(api_client, token) == 200
    assert tokens["carol"] != tokens["dave"]


def test_create_keeps_an_existing_users_password(db, alice):
    issue("--create", "alice")

    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- Every way a token is issued -----------------------------------------------------------------


@pytest.fixture
def logins():
    """The usernames `user_logged_in` is sent for during the test, in order."""
    sent = []

    def record(sender, user, **kwargs):
        sent.append(user.get_username())

    user_logged_in.connect(record)
    yield sent
    user_logged_in.disconnect(record)


def from_token_endpoint(api_client, username):
    body = {"username": username, "password": PASSWORD}
    response = api_client.post("/api/auth/token/", body, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def from_command(api_client, username):
    return issue(username)


def from_setup_step(api_client, username):
    """The command as scripts/bootstrap.py's `create_api_users` runs it."""
    return json.loads(issue("--create", "--json", username))[username]


ISSUERS = [from_token_endpoint, from_command, from_setup_step]


def test_tokens_file_receives_the_new_tokens_privately_and_keeps_other_entries(
    db, alice, tmp_path, api_client
):
    path = tmp_path / "tokens.local.json"
    path.write_text(json.dumps({"someone": "kept-as-it-is"}))

    issue("alice", "--tokens-file", str(path))

    stored = json.loads(path.read_text())
    assert stored["someone"] == "kept-as-it-is"
    assert me_status(api_client, stored["alice"]) == 200
    assert path.stat().st_mode & 0o777 == 0o600


def test_keep_valid_reissues_only_tokens_that_no_longer_authenticate(db, alice, bob, tmp_path):
    path = tmp_path / "tokens.local.json"
    live = AuthToken.objects.create(user=alice)[1]
    expired = AuthToken.objects.create(user=bob, expiry=timedelta(seconds=-1))[1]
    path.write_text(json.dumps({"alice": live, "bob": expired}))

    printed = json.loads(
        issue(
            "alice",
            "bob",
            "carol",
            "--create",
            "--json",
            "--keep-valid",
            "--tokens-file",
            str(path),
        )
    )

    stored = json.loads(path.read_text())
    assert set(printed) == {"bob", "carol"}
    assert stored == {"alice": live, **printed}


@pytest.mark.parametrize("issue_for", ISSUERS)
def test_issuing_sweeps_the_users_expired_tokens_only(db, alice, bob, api_client, issue_for):
    expired = timedelta(seconds=-1)
    AuthToken.objects.create(user=alice, expiry=expired)
    AuthToken.objects.create(user=bob, expiry=expired)
    AuthToken.objects.create(user=alice)

    issue_for(api_client, "alice")

    now = timezone.now()
    assert AuthToken.objects.filter(user=alice, expiry__lt=now).count() == 0
    assert AuthToken.objects.filter(user=alice).count() == 2  # the live one and the new one
    assert AuthToken.objects.filter(user=bob, expiry__lt=now).count() == 1


@pytest.mark.parametrize("issue_for", ISSUERS)
def test_issuing_is_a_login_with_the_configured_ttl(
    db, alice, api_client, settings, logins, issue_for
):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=3)}
    assert alice.last_login is None

    issue_for(api_client, "alice")

    alice.refresh_from_db()
    expiry = AuthToken.objects.get(user=alice).expiry
    assert logins == ["alice"]
    assert timezone.now() - alice.last_login < timedelta(minutes=1)
    assert abs(expiry - (timezone.now() + timedelta(hours=3))) < timedelta(minutes=1)


def test_registering_is_a_login_with_the_configured_ttl(db, api_client, settings, logins):
    """A new account has no expired token to sweep; the rest is as for every other issue."""
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=3)}
    body = {"username": "carol", "password": "a-long-unusual-passphrase"}

    assert api_client.post("/api/auth/register/", body, format="json").status_code == 201

    carol = get_user_model().objects.get(username="carol")
    expiry = AuthToken.objects.get(user=carol).expiry
    assert logins == ["carol"]
    assert timezone.now() - carol.last_login < timedelta(minutes=1)
    assert abs(expiry - (timezone.now() + timedelta(hours=3))) < timedelta(minutes=1)
