"""On SQLite, concurrent creates at the quota neither pass it nor fail (a real server, a file).

The in-memory test database cannot show this (the live server's threads share one connection),
so this test serves the project with `runserver` (a thread per request) on a SQLite file of its
own and sends creates at once. With IMMEDIATE transactions (settings.py) each create takes the
write lock before it counts; with SQLite's default (DEFERRED) two transactions that both read
deadlock on the write and one fails with "database is locked": a 500.
"""

import json
import threading

import pytest

from api_layer.testing import send, serve_on_sqlite

pytestmark = pytest.mark.slow  # a runserver of its own and twelve clients at once

QUOTA = 5
CLIENTS = 12


@pytest.fixture
def sqlite_server(tmp_path):
    """A project server on a fresh SQLite file; yields (base URL, token, manage)."""
    with serve_on_sqlite(
        tmp_path, MAX_TASKS_PER_USER=str(QUOTA), THROTTLE_USER_RATE="100000/minute"
    ) as (base_url, manage):
        token = json.loads(manage("issue_token", "--create", "--json", "racer"))["racer"]
        yield base_url, token, manage


def test_concurrent_creates_stop_at_the_quota_without_a_server_error(sqlite_server):
    base_url, token, manage = sqlite_server
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    start = threading.Barrier(CLIENTS)
    statuses = []

    def create(number):
        body = json.dumps({"title": f"Task {number}"}).encode()
        start.wait()
        statuses.append(send("POST", f"{base_url}/api/tasks/", headers, body)[0])

    clients = [threading.Thread(target=create, args=(number,)) for number in range(CLIENTS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=60)

    assert sorted(statuses) == [201] * QUOTA + [409] * (CLIENTS - QUOTA)
    stored = manage(
        "shell", "--no-imports", "-c", "from tasks.models import Task; print(Task.objects.count())"
    )
    assert stored.split()[-1] == str(QUOTA)
