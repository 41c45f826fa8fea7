"""At most MAX_TASKS_PER_USER tasks per user: the next create is a 409 (quota.py)."""

import json

import pytest
from django.contrib.auth import get_user_model

from api_layer.testing import send
from tasks.models import Task
from tasks.tests.concurrency import at_once, token_headers

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"
QUOTA = 3


@pytest.fixture(autouse=True)
def small_quota(settings):
    settings.MAX_TASKS_PER_USER = QUOTA


def create(client, title="Some task"):
    return client.post(LIST, {"title": title}, format="json")


def test_the_create_past_the_quota_is_409_and_stores_nothing(alice_client, alice):
    assert [create(alice_client).status_code for _ in range(QUOTA)] == [201] * QUOTA

    refused = create(alice_client, "One too many")

    assert refused.status_code == 409
    assert refused.json() == {"error": "Task limit reached: delete a task to create another."}
    assert Task.objects.filter(created_by=alice).count() == QUOTA
    assert not Task.objects.filter(title="One too many").exists()


def test_the_quota_is_per_user(alice_client, bob_client, alice):
    Task.objects.bulk_create([Task(title="Hers", created_by=alice) for _ in range(QUOTA)])

    assert create(alice_client).status_code == 409
    assert create(bob_client).status_code == 201


def test_deleting_a_task_makes_room_again(alice_client, alice):
    tasks = Task.objects.bulk_create([Task(title="Hers", created_by=alice) for _ in range(QUOTA)])
    assert create(alice_client).status_code == 409

    assert alice_client.delete(f"{LIST}{tasks[0].id}/").status_code == 204
    assert create(alice_client).status_code == 201


@pytest.mark.postgresql
def test_two_creates_at_once_for_the_last_place_do_not_both_pass(live_server, alice):
    """Both requests wait on the user's row; the first creates the last task, the second then
    counts it (without the row lock, both count QUOTA - 1 and both create)."""
    Task.objects.bulk_create([Task(title="Hers", created_by=alice) for _ in range(QUOTA - 1)])
    phone, laptop = (token_headers(alice) for _ in range(2))

    def create_over_http(headers):
        headers = {**headers, "Content-Type": "application/json"}
        body = json.dumps({"title": "The last one"}).encode()
        return send("POST", live_server.url + LIST, headers, body)[0]

    statuses = at_once(
        get_user_model(),
        alice.pk,
        lambda: create_over_http(phone),
        lambda: create_over_http(laptop),
    )

    assert sorted(statuses) == [201, 409]
    assert Task.objects.filter(created_by=alice).count() == QUOTA


def test_the_schema_documents_the_409(api_client):
    operation = api_client.get("/api/schema/?format=json").json()["paths"][LIST]["post"]

    assert operation["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
