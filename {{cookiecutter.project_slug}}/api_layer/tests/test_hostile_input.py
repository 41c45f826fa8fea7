"""No request to the API layer's and the accounts' endpoints answers 5xx, whatever it sends.

Property-based (hostile.py): Hypothesis draws requests with hostile text and bytes in every header
the API reads, the path parameter, the query string and every body field, and sends each through
the whole stack. Two narrower properties aim at what an attacker tries first: the credentials
sent to register and log in, and the `Authorization` header. The resources' own endpoints have
theirs in their app (tasks/tests).
"""

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from knox.models import AuthToken

from api_layer.tests.hostile import (
    HOSTILE_SETTINGS,
    NARROW_CASES,
    assert_no_server_error,
    hostile_authorization,
    hostile_json_value,
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
def caller(alice, rates, settings):
    """alice, with budgets no example spends (each reaches the view it aims at), behind one
    declared proxy: `X-Forwarded-For` is read, so its hostile values reach client_ip.py."""
    rates(anon="100000/minute", user="100000/minute", login="100000/minute")
    settings.TRUSTED_PROXY_COUNT = 1
    return alice


@pytest.mark.slow  # hostile requests of every kind to every operation
@HOSTILE_SETTINGS
@given(hostile=hostile_requests(OPERATIONS))
def test_no_request_to_the_api_layer_or_accounts_answers_a_server_error(caller, hostile):
    _, token = AuthToken.objects.create(user=caller)  # a fresh one: a logout revokes its own

    response = send(Client(), token, known_path(hostile, 7))

    assert_no_server_error(response, hostile)


@settings(HOSTILE_SETTINGS, max_examples=NARROW_CASES)
@given(
    path=st.sampled_from(["/api/auth/register/", "/api/auth/token/"]),
    username=hostile_json_value,
    password=hostile_json_value,
)
def test_any_credentials_sent_to_register_or_log_in_answer_without_a_server_error(
    caller, path, username, password
):
    body = {"username": username, "password": password}

    response = Client().post(path, body, content_type="application/json")

    assert_no_server_error(response, body)


@settings(HOSTILE_SETTINGS, max_examples=NARROW_CASES)
@given(
    path=st.sampled_from(["/api/auth/me/", ITEMS, "/api/auth/logout/"]),
    authorization=hostile_authorization,
)
def test_any_authorization_header_answers_without_a_server_error(caller, path, authorization):
    response = Client().post(path, HTTP_AUTHORIZATION=authorization)

    assert_no_server_error(response, authorization)
