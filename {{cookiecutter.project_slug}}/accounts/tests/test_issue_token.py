"""`manage.py issue_token`: tokens from the command line, for existing or new users."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from api_layer.testing import PASSWORD


def issue(*args):
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def tasks_status(api_client, token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client.get("/api/tasks/").status_code


def test_issued_token_authenticates_its_user(db, alice, api_client):
    token = issue("alice")

    assert tasks_status(api_client, token) == 200


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
        assert tasks_status(api_client, token) == 200
    assert tokens["carol"] != tokens["dave"]


def test_create_keeps_an_existing_users_password(db, alice):
    issue("--create", "alice")

    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
