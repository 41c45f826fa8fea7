"""Input is bounded and typed: JSON only, bounded bodies and nesting, strict fields, sane pages."""

import json

import pytest
from django.test import Client

from tasks.models import Task

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"
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
            LIST, "title=Form+task", content_type="application/x-www-form-urlencoded"
        )
    else:
        response = alice_client.post(LIST, {"title": "Form task"}, format=format_)

    assert error_of(response, 415).startswith("Unsupported media type")
    assert not Task.objects.exists()


def test_login_refuses_form_bodies_too(api_client, alice):
    response = api_client.post(TOKEN, {"username": "alice", "password": "x"}, format="multipart")

    error_of(response, 415)


@pytest.mark.parametrize("path", [LIST, TOKEN])
def test_five_megabyte_body_is_413(alice_client, path):
    body = json.dumps({"title": "Big", "description": "x" * 5_000_000})

    response = alice_client.post(path, body, content_type="application/json")

    assert error_of(response, 413) == "Request body too large."
    assert not Task.objects.exists()


def test_oversized_admin_form_is_413_too():
    response = Client().post(
        "/admin/login/", "a=" + "x" * 2_000_000, content_type="application/x-www-form-urlencoded"
    )

    assert error_of(response, 413) == "Request body too large."


@pytest.mark.parametrize("path", [LIST, TOKEN])
@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_deeply_nested_json_is_400_not_500(alice_client, path, depth):
    response = alice_client.post(path, nested(depth), content_type="application/json")

    assert "nested deeper than 32" in error_of(response, 400)


def test_nesting_within_the_bound_reaches_the_serializer(alice_client):
    body = {"title": "Valid", "description": json.loads(nested(30))}

    response = alice_client.post(LIST, body, format="json")

    assert list(error_of(response, 400)) == ["description"]


def test_malformed_json_is_400(alice_client):
    response = alice_client.post(LIST, '{"title": ', content_type="application/json")

    assert error_of(response, 400).startswith("JSON parse error")


@pytest.mark.parametrize(
    "title",
    ["Buy\x00milk", "Buy\rmilk", "Buy\r\nmilk", "Buy\u2028milk", "\x1b[31mred", "Buy\u0085milk"],
)
def test_titles_with_control_characters_are_rejected(alice_client, title):
    response = alice_client.post(LIST, {"title": title}, format="json")

    assert list(error_of(response, 400)) == ["title"]
    assert not Task.objects.exists()


def test_description_is_bounded(alice_client):
    longest = alice_client.post(LIST, {"title": "Okay", "description": "x" * 2000}, format="json")
    too_long = alice_client.post(LIST, {"title": "Okay", "description": "x" * 2001}, format="json")

    assert longest.status_code == 201
    assert list(error_of(too_long, 400)) == ["description"]
    assert Task.objects.count() == 1


@pytest.mark.parametrize("value", ["true", "false", "yes", "on", "1", 1, 0, "", None, [], {}])
def test_completed_accepts_only_json_booleans(alice_client, value):
    response = alice_client.post(LIST, {"title": "Valid", "completed": value}, format="json")

    assert list(error_of(response, 400)) == ["completed"]
    assert not Task.objects.exists()


@pytest.mark.parametrize("value", [True, False])
def test_completed_json_booleans_are_stored(alice_client, value):
    response = alice_client.post(LIST, {"title": "Valid", "completed": value}, format="json")

    assert response.status_code == 201
    assert Task.objects.get().completed is value


@pytest.mark.parametrize(
    "page", ["2", "0", "-1", "abc", "1.5", "1e9999", "999999999999", "9" * 5000, "inf"]
)
def test_absurd_page_numbers_are_404_with_the_envelope(alice_client, alice, page):
    Task.objects.create(title="Only task", created_by=alice)

    response = alice_client.get(LIST, {"page": page})

    assert error_of(response, 404) == "Invalid page."


@pytest.mark.parametrize("task_id", ["9" * 30, "-1", "abc", "1e5", "0x10", "%D9%A1%D9%A2"])
def test_absurd_task_ids_are_404_with_the_envelope(alice_client, task_id):
    response = alice_client.get(f"{LIST}{task_id}/")

    assert error_of(response, 404) == "Not found."


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("5", 5), ("100", 100), ("101", 100), (str(10**30), 100), ("0", 20), ("-3", 20), ("x", 20)],
)
def test_page_size_is_clamped(alice_client, alice, page_size, expected):
    Task.objects.bulk_create([Task(title=f"Task {n}", created_by=alice) for n in range(120)])

    response = alice_client.get(LIST, {"page_size": page_size})

    assert len(response.json()["results"]) == expected
