"""On SQLite, concurrent creates at the quota neither pass it nor fail (a real server, a file).

The in-memory test database cannot show this (the live server's threads share one connection),
so this test serves the project with `runserver` (a thread per request) on a SQLite file of its
own and sends creates at once. With IMMEDIATE transactions (settings.py) each create takes the
write lock before it counts; with SQLite's default (DEFERRED) two transactions that both read
deadlock on the write and one fails with "database is locked": a 500.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from api_layer.testing import send

PROJECT = Path(__file__).resolve().parents[2]
QUOTA = 5
CLIENTS = 12


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(url, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if send("GET", url)[0] == 200:
                return
        except OSError:  # not listening yet
            pass
        assert time.monotonic() < deadline, f"{url} never answered"
        time.sleep(0.1)


@pytest.fixture
def sqlite_server(tmp_path):
    """A project server on a fresh SQLite file; yields (base URL, token, manage)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "MAX_TASKS_PER_USER": str(QUOTA),
        "THROTTLE_USER_RATE": "100000/minute",
        "LOG_DESTINATION": "console",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    def manage(*args):
        return subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=PROJECT, env=env, capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip

    manage("migrate", "--no-input")
    token = json.loads(manage("issue_token", "--create", "--json", "racer"))["racer"]
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base_url}/api/health/")
        yield base_url, token, manage
    finally:
        server.terminate()
        server.wait(timeout=10)


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
