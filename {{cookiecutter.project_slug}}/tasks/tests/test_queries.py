"""The task list costs the same few queries whatever the page and the number of tasks: no N+1."""

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tasks", [30, 150])
@pytest.mark.parametrize("page_size", [20, 100])
def test_task_list_costs_three_queries_whatever_the_page_and_task_count(
    alice_client, alice, django_assert_num_queries, tasks, page_size
):
    Task.objects.bulk_create([Task(title=f"Task {n}", created_by=alice) for n in range(tasks)])

    # The token (its user joined in), the count, the page: nothing per row.
    with django_assert_num_queries(3):
        response = alice_client.get("/api/tasks/", {"page_size": page_size})

    assert len(response.json()["results"]) == min(tasks, page_size)


@pytest.mark.parametrize(
    "query",
    [
        {"completed": "false"},
        {"search": "Task 1", "ordering": "title"},
        {"created_after": "2000-01-01T00:00:00Z", "ordering": "-completed,created_at"},
    ],
)
def test_filtered_task_list_costs_the_same_three_queries(
    alice_client, alice, django_assert_num_queries, query
):
    Task.objects.bulk_create([Task(title=f"Task {n}", created_by=alice) for n in range(150)])

    with django_assert_num_queries(3):
        response = alice_client.get("/api/tasks/", {**query, "page_size": 100})

    assert response.status_code == 200
    assert response.json()["results"]
