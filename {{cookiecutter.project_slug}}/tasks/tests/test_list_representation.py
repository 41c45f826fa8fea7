"""The list builds its JSON from rows (serializers.listed_tasks), not through TaskSerializer: it
must say exactly what the serializer says, byte for byte, for every kind of value a task holds."""

from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from tasks.models import Task
from tasks.serializers import TaskSerializer

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"


def make(owner, created_at, updated_at, **fields):
    task = Task.objects.create(created_by=owner, **fields)
    # Both timestamps are set on save: move them to the values the test needs.
    Task.objects.filter(id=task.id).update(created_at=created_at, updated_at=updated_at)
    return task


@pytest.fixture
def tasks_of_every_shape(alice, bob):
    make(
        alice,
        datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 2, 18, 0, 0, 1, tzinfo=UTC),
        title="Café ☕ 牛乳 कार्य",
        description='Quotes " and \\ backslash, a tab\t, a newline\n, a \u2028 separator, 🙂',
        completed=True,
    )
    make(
        alice,
        # No microseconds: Python's isoformat leaves the fraction out.
        datetime(2026, 3, 3, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 3, 0, 0, 0, 0, tzinfo=UTC),
        title="Empty description",
        description="",
        completed=False,
    )
    make(
        alice,
        datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
        title="x" * 200,
        description="y" * 2000,
    )
    # Bob's task is not Alice's: it must show up in neither answer.
    make(bob, datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC), title="Bob's")


def serializer_body(tasks):
    return JSONRenderer().render(
        {
            "count": len(tasks),
            "next": None,
            "previous": None,
            "results": TaskSerializer(tasks, many=True).data,
        }
    )


@pytest.mark.parametrize(
    ("time_zone", "use_tz"), [("UTC", True), ("America/St_Johns", True), ("UTC", False)]
)
def test_list_body_is_the_serializers_byte_for_byte(
    settings, alice_client, alice, tasks_of_every_shape, time_zone, use_tz
):
    # A time zone with a half-hour offset, and none at all (USE_TZ off: naive timestamps, no
    # "Z"): both must convert timestamps the same way.
    settings.TIME_ZONE = time_zone
    settings.USE_TZ = use_tz
    tasks = list(Task.objects.filter(created_by=alice).order_by("-created_at", "-id"))

    response = alice_client.get(LIST, {"page_size": 100})

    assert response.status_code == 200
    assert response.content == serializer_body(tasks)
    assert len(response.json()["results"]) == 3


def test_a_filtered_page_holds_what_the_serializer_says_of_those_tasks(
    alice_client, alice, tasks_of_every_shape
):
    response = alice_client.get(LIST, {"ordering": "title", "page_size": 1, "page": 2})

    assert response.status_code == 200
    second_by_title = Task.objects.filter(created_by=alice).order_by("title", "-id")[1:2]
    assert response.json()["results"] == TaskSerializer(second_by_title, many=True).data
    assert response.json()["count"] == 3
