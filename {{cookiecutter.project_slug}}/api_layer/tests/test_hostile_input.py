"""No request to the API layer's and the accounts' endpoints answers 5xx, whatever it sends.

Property-based (hostile.py): Hypothesis draws requests with hostile text and bytes in every header
the API reads, the path parameter, the query string and every body field, and sends each through
the whole stack. The resources' own endpoints have theirs in their app (tasks/tests).
"""

import pytest
from django.test import Client
from hypothesis import given
from knox.models import AuthToken

from api_layer.tests.hostile import (
    HOSTILE_SETTINGS,
    assert_no_server_error,
    hostile_requests,
    known_path,
    send,
)
from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

CREDENTIALS = ["username", "password"]
OPERATIONS = [
    ("POST", "/api/auth/register/", CREDENTIALS, []),
    ("POST", "/api/auth/token/", CREDENTIALS, []),
    ("GET", "/api/auth/me/", [], []),
    ("POST", "/api/auth/logout/", [], []),
    ("POST", "/api/auth/logoutall/", [], []),
    ("GET", ITEMS, [], []),
    ("POST", ITEMS, ["name", "id"], []),
    ("GET", ITEMS + "{id}/", [], []),
    ("DELETE", ITEMS + "{id}/", [], []),
    ("OPTIONS", ITEMS, [], []),
    ("GET", "/api/health/", [], []),
    ("GET", "/api/schema/", [], ["format", "lang"]),
    ("GET", "/api/{id}/", [], []),
]


@pytest.fixture
def caller(make_user, rates):
    rates(anon="100000/minute", user="100000/minute", login="100000/minute")
    return make_user("caller")


@HOSTILE_SETTINGS
@given(hostile=hostile_requests(OPERATIONS))
def test_no_request_to_the_api_layer_or_accounts_answers_a_server_error(caller, hostile):
    _, token = AuthToken.objects.create(user=caller)  # a fresh one: a logout revokes its own

    response = send(Client(), token, known_path(hostile, 7))

    assert_no_server_error(response, hostile)
