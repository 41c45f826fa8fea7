"""ETags, 304 and 412: a client can skip unchanged answers, and never overwrite a change it has
not seen (conditional.py)."""

import json

import pytest

from api_layer.testing import send
from tasks.models import Task
from tasks.tests.concurrency import at_once, token_headers

pytestmark = pytest.mark.django_db

LIST = "/api/tasks/"


def detail(task_id):
    return f"/api/tasks/{task_id}/"


@pytest.fixture
def task(alice):
    return Task.objects.create(title="Buy milk", description="two litres", created_by=alice)


def test_one_task_has_a_strong_etag_and_a_list_a_weak_one(alice_client, task):
    one = alice_client.get(detail(task.id))["ETag"]
    page = alice_client.get(LIST)["ETag"]

    assert one.startswith('"') and one.endswith('"')
    assert page.startswith('W/"')


@pytest.mark.parametrize("path", ["list", "detail"])
def test_if_none_match_with_the_current_tag_is_304_without_a_body(alice_client, task, path):
    url = LIST if path == "list" else detail(task.id)
    etag = alice_client.get(url)["ETag"]

    again = alice_client.get(url, HTTP_IF_NONE_MATCH=etag)
    weakly = alice_client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag.removeprefix("W/")}')

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert weakly.status_code == 304


def test_a_304_carries_a_request_id(alice_client, task):
    etag = alice_client.get(LIST)["ETag"]

    again = alice_client.get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert len(again["X-Request-ID"]) == 32


@pytest.mark.parametrize("path", ["list", "detail"])
def test_a_change_changes_the_tag_so_the_old_one_gets_the_new_body(alice_client, task, path):
    url = LIST if path == "list" else detail(task.id)
    etag = alice_client.get(url)["ETag"]

    alice_client.patch(detail(task.id), {"completed": True}, format="json")
    response = alice_client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_tag_of_a_write_is_the_tag_of_the_next_read(alice_client, task):
    created = alice_client.post(LIST, {"title": "Call the bank"}, format="json")
    patched = alice_client.patch(detail(task.id), {"completed": True}, format="json")

    assert created["ETag"] == alice_client.get(detail(created.json()["id"]))["ETag"]
    assert patched["ETag"] == alice_client.get(detail(task.id))["ETag"]


def test_updated_at_moves_on_each_change_and_ignores_sent_values(alice_client, task):
    before = alice_client.get(detail(task.id)).json()["updated_at"]

    response = alice_client.patch(
        detail(task.id), {"completed": True, "updated_at": "2000-01-01T00:00:00Z"}, format="json"
    )

    after = response.json()["updated_at"]
    assert after > before
    assert not after.startswith("2000")


@pytest.mark.parametrize(
    ("method", "body", "status"),
    [("put", {"title": "Buy oat milk"}, 200), ("patch", {"completed": True}, 200)],
)
def test_writes_with_the_current_tag_apply(alice_client, task, method, body, status):
    etag = alice_client.get(detail(task.id))["ETag"]

    response = getattr(alice_client, method)(
        detail(task.id), body, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == status
    assert response["ETag"] != etag


def test_delete_with_the_current_tag_or_a_star_applies(alice_client, alice, task):
    other = Task.objects.create(title="Call the bank", created_by=alice)
    etag = alice_client.get(detail(task.id))["ETag"]

    assert alice_client.delete(detail(task.id), HTTP_IF_MATCH=etag).status_code == 204
    assert alice_client.delete(detail(other.id), HTTP_IF_MATCH="*").status_code == 204
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("method", "body"),
    [("put", {"title": "Buy oat milk"}), ("patch", {"title": "Buy oat milk"}), ("delete", None)],
)
def test_writes_with_a_stale_tag_are_412_and_change_nothing(alice_client, task, method, body):
    stale = alice_client.get(detail(task.id))["ETag"]
    Task.objects.filter(id=task.id).update(description="changed elsewhere")
    # A weak tag never matches If-Match, even the current one (strong comparison).
    current = alice_client.get(detail(task.id))["ETag"]

    for tag in (stale, f"W/{current}", '"not-a-tag"'):
        response = getattr(alice_client, method)(
            detail(task.id), body, format="json", HTTP_IF_MATCH=tag
        )
        assert response.status_code == 412
        assert list(response.json()) == ["error"]
        assert isinstance(response.json()["error"], str)

    task.refresh_from_db()
    assert (task.title, task.description) == ("Buy milk", "changed elsewhere")


def test_another_users_task_is_404_not_412(bob_client, task):
    response = bob_client.patch(detail(task.id), {"completed": True}, HTTP_IF_MATCH="*")

    assert response.status_code == 404


def test_two_clients_cannot_overwrite_each_other_silently(live_server, alice, task):
    """Alice's phone and laptop read the task; the phone writes first; the laptop's write,
    made on what it read before, is refused until it reads again."""
    phone, laptop = (token_headers(alice) for _ in range(2))
    url = live_server.url + detail(task.id)

    _, _, read_by_phone = send("GET", url, phone)
    _, _, read_by_laptop = send("GET", url, laptop)

    status, _, _ = patch(url, phone, read_by_phone["ETag"], {"title": "Buy oat milk"})
    assert status == 200
    status, body, _ = patch(url, laptop, read_by_laptop["ETag"], {"completed": True})
    assert status == 412
    assert list(body) == ["error"]
    _, body, read_again = send("GET", url, laptop)
    assert (body["title"], body["completed"]) == ("Buy oat milk", False)

    status, body, _ = patch(url, laptop, read_again["ETag"], {"completed": True})
    assert status == 200
    assert (body["title"], body["completed"]) == ("Buy oat milk", True)


@pytest.mark.postgresql
def test_two_writes_with_the_same_tag_at_once_apply_once(live_server, alice, task):
    """The check and the write are one step: both requests wait on the task's row, then one
    applies and the other, seeing the new state, is 412 (without the row lock, both read the old
    state, pass the check, and both apply)."""
    url = live_server.url + detail(task.id)
    phone, laptop = (token_headers(alice) for _ in range(2))
    etag = send("GET", url, phone)[2]["ETag"]

    statuses = at_once(
        Task,
        task.id,
        lambda: patch(url, phone, etag, {"title": "From the phone"})[0],
        lambda: patch(url, laptop, etag, {"title": "From the laptop"})[0],
    )

    assert sorted(statuses) == [200, 412]
    assert Task.objects.get(id=task.id).title in {"From the phone", "From the laptop"}


def patch(url, headers, etag, body):
    headers = {**headers, "If-Match": etag, "Content-Type": "application/json"}
    return send("PATCH", url, headers, json.dumps(body).encode())


def test_not_modified_is_no_store_too(alice_client, task):
    etag = alice_client.get(detail(task.id))["ETag"]

    again = alice_client.get(detail(task.id), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again["Cache-Control"] == "no-store"
