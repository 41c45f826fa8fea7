"""GET /api/tasks/ filters, searches and orders the caller's own tasks; a bad value is a 400."""

from datetime import UTC, datetime

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"


def titles(client, **query):
    response = client.get(LIST, query)
    assert response.status_code == 200, response.json()
    return [task["title"] for task in response.json()["results"]]


def make(owner, title, day, completed=False, description=""):
    task = Task.objects.create(
        title=title, description=description, completed=completed, created_by=owner
    )
    # created_at is set on insert (auto_now_add): move it to the day the test needs.
    Task.objects.filter(id=task.id).update(created_at=datetime(2026, 3, day, 12, tzinfo=UTC))
    return task


@pytest.fixture
def tasks(alice, bob):
    make(alice, "Buy milk", 1, description="Two litres")
    make(alice, "Call the bank", 2, completed=True)
    make(alice, "Water plants", 3, description="Also the MILK thistle")
    # Bob's tasks match every filter below: none may show up in Alice's answers.
    make(bob, "Buy milk", 1, description="Two litres")
    make(bob, "Call the bank", 2, completed=True)


def test_default_order_is_newest_first(alice_client, tasks):
    assert titles(alice_client) == ["Water plants", "Call the bank", "Buy milk"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", ["Call the bank"]), ("false", ["Water plants", "Buy milk"])],
)
def test_completed_filter(alice_client, tasks, value, expected):
    assert titles(alice_client, completed=value) == expected


def test_created_after_and_before_bound_the_creation_time(alice_client, tasks):
    assert titles(alice_client, created_after="2026-03-02T12:00:00Z") == [
        "Water plants",
        "Call the bank",
    ]
    assert titles(alice_client, created_before="2026-03-02T12:00:00Z") == ["Buy milk"]
    # Any offset: 13:00+01:00 is 12:00 UTC.
    assert titles(
        alice_client,
        created_after="2026-03-02T13:00:00+01:00",
        created_before="2026-03-03T00:00:00Z",
    ) == ["Call the bank"]


def test_search_matches_title_or_description_case_insensitively(alice_client, tasks):
    assert titles(alice_client, search="milk") == ["Water plants", "Buy milk"]
    assert titles(alice_client, search="LITRES") == ["Buy milk"]
    assert titles(alice_client, search="bank call") == ["Call the bank"]  # every word matches
    assert titles(alice_client, search="nothing like it") == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", ["Buy milk", "Call the bank", "Water plants"]),
        ("-title", ["Water plants", "Call the bank", "Buy milk"]),
        ("created_at", ["Buy milk", "Call the bank", "Water plants"]),
        ("-created_at", ["Water plants", "Call the bank", "Buy milk"]),
        ("-completed,title", ["Call the bank", "Buy milk", "Water plants"]),
        ("completed", ["Water plants", "Buy milk", "Call the bank"]),  # ties: newest id first
    ],
)
def test_ordering_over_the_allow_list(alice_client, tasks, ordering, expected):
    assert titles(alice_client, ordering=ordering) == expected


def test_filters_combine_and_stay_within_the_callers_tasks(alice_client, bob_client, tasks):
    assert titles(alice_client, search="milk", completed="false", ordering="title") == [
        "Buy milk",
        "Water plants",
    ]
    assert titles(bob_client, search="milk") == ["Buy milk"]
    assert titles(bob_client, search="plants") == []


def test_ties_are_ordered_by_newest_id_so_pages_neither_overlap_nor_skip(alice_client, alice):
    Task.objects.bulk_create([Task(title="Same title", created_by=alice) for _ in range(25)])

    pages = [
        alice_client.get(LIST, {"ordering": "title", "page_size": 10, "page": page}).json()
        for page in (1, 2, 3)
    ]

    ids = [task["id"] for page in pages for task in page["results"]]
    assert ids == sorted(Task.objects.values_list("id", flat=True), reverse=True)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("completed", "maybe"),
        ("completed", "1"),  # django-filter's own BooleanFilter would take it (and ignore "maybe")
        ("completed", "True"),
        ("created_after", "yesterday"),
        ("created_after", "2026-13-01T00:00:00Z"),
        ("created_before", "9999-12-31T23:59:59-01:00"),  # after year 9999 in UTC
        ("created_after", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("search", "x" * 101),
        ("search", "milk\x00"),
        ("ordering", "description"),
        ("ordering", "created_by__password"),
        ("ordering", "title,id"),
        ("ordering", ","),
    ],
)
def test_bad_values_are_400_with_the_parameter_named(alice_client, tasks, parameter, value):
    response = alice_client.get(LIST, {parameter: value})

    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert list(response.json()["error"]) == [parameter]


def test_offsets_postgresql_refuses_are_compared_in_utc(alice_client, tasks):
    # 2026-03-02T23:48-18:48 is 2026-03-03T18:36 UTC; PostgreSQL takes offsets up to 15:59 only.
    assert titles(alice_client, created_before="2026-03-02T23:48:00-18:48") == [
        "Water plants",
        "Call the bank",
        "Buy milk",
    ]
    assert titles(alice_client, created_after="2026-03-02T23:48:00-18:48") == []


def test_longest_search_is_accepted(alice_client, tasks):
    assert titles(alice_client, search="m" * 100) == []


def test_schema_documents_every_parameter_and_the_400(api_client):
    operation = api_client.get("/api/schema/?format=json").json()["paths"][LIST]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    assert {"completed", "created_after", "created_before", "search", "ordering"} <= set(parameters)
    assert parameters["completed"]["schema"]["type"] == "boolean"
    assert parameters["created_after"]["schema"]["format"] == "date-time"
    assert parameters["search"]["schema"]["maxLength"] == 100
    assert "-?(created_at|title|completed)" in parameters["ordering"]["schema"]["pattern"]
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
