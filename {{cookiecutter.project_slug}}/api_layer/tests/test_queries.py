"""Database cost per request stays constant: no N+1, no query that grows with logins."""

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from api_layer.testing import PASSWORD
from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tasks", [30, 150])
@pytest.mark.parametrize("page_size", [20, 100])
def test_task_list_costs_three_queries_whatever_the_page_and_task_count(
    alice_client, alice, django_assert_num_queries, tasks, page_size
):
    Task.objects.bulk_create([Task(title=f"Task {n}", created_by=alice) for n in range(tasks)])

    # The token, the count, the page (owner joined in): nothing per row.
    with django_assert_num_queries(3):
        response = alice_client.get("/api/tasks/", {"page_size": page_size})

    assert len(response.json()["results"]) == min(tasks, page_size)


def test_authenticating_costs_one_query_however_many_tokens_the_user_has(
    client_for, alice, django_assert_num_queries
):
    client = client_for(alice)
    for _ in range(20):
        AuthToken.objects.create(user=alice)
    Task.objects.create(title="One task", created_by=alice)

    with django_assert_num_queries(3):  # the token, the count, the page
        assert client.get("/api/tasks/").status_code == 200


def test_issuing_a_token_deletes_only_the_users_expired_tokens(api_client, alice, bob):
    expired = timedelta(seconds=-1)
    AuthToken.objects.create(user=alice, expiry=expired)
    AuthToken.objects.create(user=bob, expiry=expired)
    AuthToken.objects.create(user=alice)

    response = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    now = timezone.now()
    assert AuthToken.objects.filter(user=alice, expiry__lt=now).count() == 0
    assert AuthToken.objects.filter(user=alice).count() == 2
    assert AuthToken.objects.filter(user=bob, expiry__lt=now).count() == 1
