"""Input is bounded and typed: JSON only, UTF-8, one meaning per body, bounded bodies and nesting,
sane pages."""

import json

import pytest
from django.test import Client

from api_layer.parsers import DUPLICATE_KEY, NOT_UTF8
from api_layer.tests.urls import ITEM_COUNT, ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

TOKEN = "/api/auth/token/"


def nested(depth):
    return "[" * depth + "]" * depth


def error_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    return body["error"]


@pytest.mark.parametrize("format_", ["multipart", None])
def test_form_and_multipart_bodies_are_415(alice_client, format_):
    if format_ is None:
        response = alice_client.post(
            ITEMS, "name=Form+item", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = alice_client.post(ITEMS, {"name": "Form item"}, format=format_)

    assert error_of(response, 415).startswith("Unsupported media type")


def test_the_same_body_as_json_is_accepted(alice_client):
    response = alice_client.post(ITEMS, {"name": "Form item"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "Form item"


def test_login_refuses_form_bodies_too(api_client, alice):
    response = api_client.post(TOKEN, {"username": "alice", "password": "x"}, format="multipart")

    error_of(response, 415)


@pytest.mark.parametrize("path", [ITEMS, TOKEN])
def test_five_megabyte_body_is_413(alice_client, path):
    body = json.dumps({"name": "Big", "username": "x" * 5_000_000})

    response = alice_client.post(path, body, content_type="application/json")

    assert error_of(response, 413) == "Request body too large."


def test_oversized_admin_form_is_413_too():
    response = Client().post(
        "/admin/login/", "a=" + "x" * 2_000_000, content_type="application/x-www-form-urlencoded"
    )

    assert error_of(response, 413) == "Request body too large."


@pytest.mark.parametrize("path", [ITEMS, TOKEN])
@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_deeply_nested_json_is_400_not_500(alice_client, path, depth):
    response = alice_client.post(path, nested(depth), content_type="application/json")

    assert "nested deeper than 32" in error_of(response, 400)


def test_nesting_within_the_bound_reaches_the_serializer(alice_client):
    body = {"name": json.loads(nested(31))}

    response = alice_client.post(ITEMS, body, format="json")

    assert list(error_of(response, 400)) == ["name"]


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "<script>alert(1)</script>", "name": "Harmless"}',
        '{"name": "Harmless", "extra": {"a": 1, "a": 2}}',
        '[{"name": "x"}, {"name": "y", "name": "z"}]',
    ],
)
def test_a_body_that_repeats_a_key_is_400(alice_client, body):
    response = alice_client.post(ITEMS, body, content_type="application/json")

    assert error_of(response, 400) == DUPLICATE_KEY


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", "no-such-charset", ""])
def test_json_in_another_charset_than_utf8_is_415(alice_client, charset):
    body = '{"name": "Caf\u00e9"}'.encode("latin-1")

    response = alice_client.post(ITEMS, body, content_type=f"application/json; charset={charset}")

    assert error_of(response, 415).startswith("Unsupported media type")


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
def test_json_declared_as_utf8_is_accepted(alice_client, charset):
    body = '{"name": "Caf\u00e9"}'.encode()

    response = alice_client.post(ITEMS, body, content_type=f"application/json; charset={charset}")

    assert response.status_code == 201
    assert response.json()["name"] == "Caf\u00e9"


def test_body_that_is_not_utf8_is_400(alice_client):
    response = alice_client.post(ITEMS, b'{"name": "Caf\xe9"}', content_type="application/json")

    assert error_of(response, 400).startswith("JSON parse error")


@pytest.mark.parametrize(
    "body", ['{"name": "\\ud800"}', '{"\\udfff": 1, "name": "Item"}', '{"name": ["x", "\\udc00"]}']
)
def test_a_string_with_a_lone_surrogate_is_400(alice_client, body):
    response = alice_client.post(ITEMS, body, content_type="application/json")

    assert error_of(response, 400) == NOT_UTF8


def test_a_surrogate_pair_is_a_character_like_any_other(alice_client):
    response = alice_client.post(
        ITEMS, '{"name": "\\ud83d\\ude00 smile"}', content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["name"] == "\U0001f600 smile"


def test_malformed_json_is_400(alice_client):
    response = alice_client.post(ITEMS, '{"name": ', content_type="application/json")

    assert error_of(response, 400).startswith("JSON parse error")


@pytest.mark.parametrize(
    "page", ["0", "-1", "abc", "1.5", "1e9999", "999999999999", "9" * 5000, "inf", "7"]
)
def test_absurd_page_numbers_are_404_with_the_envelope(alice_client, page):
    response = alice_client.get(ITEMS, {"page": page})

    assert error_of(response, 404) == "Invalid page."


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("5", 5), ("100", 100), ("101", 100), (str(10**30), 100), ("0", 20), ("-3", 20), ("x", 20)],
)
def test_page_size_is_clamped(alice_client, page_size, expected):
    response = alice_client.get(ITEMS, {"page_size": page_size})

    assert response.json()["count"] == ITEM_COUNT
    assert len(response.json()["results"]) == expected
