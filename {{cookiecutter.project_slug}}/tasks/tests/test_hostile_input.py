"""No request to the tasks endpoints answers 5xx, whatever it sends (api_layer/tests/hostile.py):
hostile text and bytes in the filters, the ordering, the search, the `{id}`, the conditional
headers (`If-Match`, `If-None-Match`) and every field of the body."""

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
from tasks.models import Task

pytestmark = pytest.mark.django_db

FIELDS = ["title", "description", "completed", "id", "created_by", "created_at"]
FILTERS = ["completed", "created_after", "created_before", "search", "ordering"]
OPERATIONS = [
    ("GET", "/api/tasks/", [], FILTERS),
    ("POST", "/api/tasks/", FIELDS, []),
    ("GET", "/api/tasks/{id}/", [], []),
    ("PUT", "/api/tasks/{id}/", FIELDS, []),
    ("PATCH", "/api/tasks/{id}/", FIELDS, []),
    ("DELETE", "/api/tasks/{id}/", [], []),
]


@pytest.fixture
def owner(make_user, rates):
    rates(anon="100000/minute", user="100000/minute")
    return make_user("owner")


@pytest.mark.slow  # hostile requests of every kind to every operation
@HOSTILE_SETTINGS
@given(hostile=hostile_requests(OPERATIONS))
def test_no_request_to_the_tasks_answers_a_server_error(owner, hostile):
    _, token = AuthToken.objects.create(user=owner)
    task = Task.objects.create(title="Buy milk", created_by=owner)

    response = send(Client(), token, known_path(hostile, task.id))

    assert_no_server_error(response, hostile)
