"""The example resource: the caller's own tasks, with the title rule and strict fields."""

import json

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"


def detail(task_id):
    return f"/api/tasks/{task_id}/"


@pytest.fixture
def alices_task(alice):
    return Task.objects.create(title="Buy milk", description="two litres", created_by=alice)


def test_create_returns_the_task_owned_by_the_caller(alice_client):
    response = alice_client.post(LIST, {"title": "Write report"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "title",
        "description",
        "completed",
        "created_at",
        "updated_at",
        "created_by",
    }
    assert body["title"] == "Write report"
    assert body["completed"] is False
    assert body["created_by"] == "alice"
    assert Task.objects.get(id=body["id"]).created_by.username == "alice"


def test_read_update_and_delete_own_task(alice_client, alices_task):
    url = detail(alices_task.id)

    assert alice_client.get(url).json()["title"] == "Buy milk"

    put = alice_client.put(url, {"title": "Buy oat milk", "completed": True}, format="json")
    assert put.status_code == 200
    assert put.json()["completed"] is True

    patch = alice_client.patch(url, {"description": "one carton"}, format="json")
    assert patch.status_code == 200
    alices_task.refresh_from_db()
    assert (alices_task.title, alices_task.description) == ("Buy oat milk", "one carton")

    assert alice_client.delete(url).status_code == 204
    assert not Task.objects.filter(id=alices_task.id).exists()


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get", None),
        ("put", {"title": "Stolen task", "completed": True}),
        ("patch", {"title": "Stolen task"}),
        ("delete", None),
    ],
)
def test_other_users_task_is_404_for_every_method(bob_client, alices_task, method, body):
    response = getattr(bob_client, method)(detail(alices_task.id), body, format="json")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}
    alices_task.refresh_from_db()
    assert (alices_task.title, alices_task.completed) == ("Buy milk", False)


def test_list_shows_only_own_tasks(alice_client, bob_client, alices_task, bob):
    Task.objects.create(title="Bobs task", created_by=bob)

    bobs_titles = [task["title"] for task in bob_client.get(LIST).json()["results"]]
    alices_titles = [task["title"] for task in alice_client.get(LIST).json()["results"]]

    assert bobs_titles == ["Bobs task"]
    assert alices_titles == ["Buy milk"]


def test_read_only_fields_are_ignored_on_create(alice_client, bob, alices_task):
    response = alice_client.post(
        LIST,
        {
            "title": "Mine",
            "id": alices_task.id,
            "created_by": bob.username,
            "created_at": "2000-01-01T00:00:00Z",
            "updated_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] != alices_task.id
    assert body["created_by"] == "alice"
    assert not body["created_at"].startswith("2000")
    assert not body["updated_at"].startswith("2000")
    assert Task.objects.filter(created_by=bob).count() == 0


def test_patch_cannot_hand_a_task_to_another_user(alice_client, bob, alices_task):
    response = alice_client.patch(
        detail(alices_task.id),
        {"created_by": bob.id, "id": alices_task.id + 100},
        format="json",
    )

    assert response.status_code == 200
    alices_task.refresh_from_db()
    assert alices_task.created_by.username == "alice"
    assert Task.objects.filter(id=alices_task.id + 100).count() == 0


def test_list_is_paginated_newest_first_with_bounded_page_size(alice_client, alice):
    Task.objects.bulk_create([Task(title=f"Task number {n}", created_by=alice) for n in range(120)])

    first = alice_client.get(LIST).json()
    assert first["count"] == 120
    assert len(first["results"]) == 20
    assert first["next"] and first["previous"] is None
    ids = [task["id"] for task in first["results"]]
    assert ids == sorted(ids, reverse=True)

    assert len(alice_client.get(LIST, {"page_size": 5}).json()["results"]) == 5
    assert len(alice_client.get(LIST, {"page_size": 10000}).json()["results"]) == 100


@pytest.mark.parametrize(
    "title",
    ["Buy milk", "Купить молоко", "牛乳を買う", "कार्य सूची", "Task 42", "abc", "x" * 200],
)
def test_titles_of_letters_digits_and_spaces_are_accepted(alice_client, title):
    response = alice_client.post(LIST, {"title": title}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["title"] == title


@pytest.mark.parametrize(
    "title",
    [
        "ab",
        "x" * 201,
        "   ",
        "",
        "<script>",
        "Buy milk!",
        "emoji 🎉",
        # Control characters: line breaks and separators of every kind, a NUL, a terminal escape.
        "line\nbreak",
        "tab\there",
        "Buy\rmilk",
        "Buy\r\nmilk",
        "Buy\u2028milk",
        "Buy\u0085milk",
        "Buy\x00milk",
        "\x1b[31mred",
    ],
)
def test_invalid_titles_are_rejected_with_the_field_error(alice_client, title):
    response = alice_client.post(LIST, {"title": title}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert list(response.json()["error"]) == ["title"]
    assert not Task.objects.exists()


def test_missing_title_is_a_field_error(alice_client):
    response = alice_client.post(LIST, {"description": "no title"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"error": {"title": ["This field is required."]}}


def test_description_is_bounded(alice_client):
    longest = alice_client.post(LIST, {"title": "Okay", "description": "x" * 2000}, format="json")
    too_long = alice_client.post(LIST, {"title": "Okay", "description": "x" * 2001}, format="json")

    assert longest.status_code == 201
    assert too_long.status_code == 400
    assert list(too_long.json()["error"]) == ["description"]
    assert Task.objects.count() == 1


@pytest.mark.parametrize(
    "value", ["true", "false", "yes", "on", "1", 1, 0, "", "maybe", None, [], {}]
)
def test_completed_accepts_only_json_booleans(alice_client, value):
    response = alice_client.post(LIST, {"title": "Valid", "completed": value}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["completed"]
    assert not Task.objects.exists()


@pytest.mark.parametrize("value", [True, False])
def test_completed_json_booleans_are_stored(alice_client, value):
    response = alice_client.post(LIST, {"title": "Valid", "completed": value}, format="json")

    assert response.status_code == 201
    assert Task.objects.get().completed is value


@pytest.mark.parametrize(
    "page", ["2", "0", "-1", "abc", "1.5", "1e9999", "999999999999", "9" * 5000, "inf"]
)
def test_absurd_page_numbers_are_404_with_the_envelope(alice_client, alices_task, page):
    response = alice_client.get(LIST, {"page": page})

    assert response.status_code == 404
    assert response.json() == {"error": "Invalid page."}


@pytest.mark.parametrize("task_id", ["9" * 30, "-1", "abc", "1e5", "0x10", "%D9%A1%D9%A2"])
def test_absurd_task_ids_are_404_with_the_envelope(alice_client, alices_task, task_id):
    response = alice_client.get(detail(task_id))

    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("title=Form+task", "application/x-www-form-urlencoded", 415),
        (json.dumps({"title": "Big", "description": "x" * 5_000_000}), "application/json", 413),
    ],
)
def test_refused_bodies_create_no_task(alice_client, body, content_type, status):
    response = alice_client.post(LIST, body, content_type=content_type)

    assert response.status_code == status
    assert not Task.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unauthenticated_requests_are_401(api_client, method):
    response = getattr(api_client, method)(LIST, {"title": "Sneaky"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"
