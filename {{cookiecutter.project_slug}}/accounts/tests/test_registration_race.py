"""Registrations of one new username at once: one 201, the others 400, never a 500.

The uniqueness check (a read) and the insert are two statements: registrations that overlap all
pass the check, and the database refuses every insert but the first. That refusal must be the
check's 400 (serializers.py), on both databases:
- PostgreSQL: Django's live server (a connection per request thread), with the table locked
  against inserts until every request has passed its check and waits to insert.
- SQLite: `runserver` on a file (api_layer.testing.serve_on_sqlite), with the production
  password hasher: each request hashes for a while between its check and its insert.
"""

import contextlib
import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections

from accounts.serializers import USERNAME_TAKEN
from api_layer.testing import send, serve_on_sqlite, wait_until_waiting_on_locks

CLIENTS = 8
BODY = json.dumps({"username": "racer", "password": "a-long-unusual-passphrase"}).encode()
TAKEN = {"error": {"username": [str(USERNAME_TAKEN)]}}


def register_at_once(base_url, clients=CLIENTS):
    """Start `clients` threads that each register `racer`, released together; return them and
    the list their (status, body) pairs land in."""
    start = threading.Barrier(clients)
    answers = []

    def register():
        start.wait()
        status, body, _ = send(
            "POST", f"{base_url}/api/auth/register/", {"Content-Type": "application/json"}, BODY
        )
        answers.append((status, body))

    threads = [threading.Thread(target=register) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads, answers


def assert_one_created_and_the_others_refused(answers):
    assert sorted(status for status, _ in answers) == [201] + [400] * (CLIENTS - 1)
    assert [body for status, body in answers if status == 400] == [TAKEN] * (CLIENTS - 1)


@contextlib.contextmanager
def inserts_held(model):
    """Hold a lock on `model`'s table that lets reads through and makes inserts wait."""
    blocker = connections.create_connection(DEFAULT_DB_ALIAS)
    blocker.set_autocommit(False)
    try:
        with blocker.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            yield
    finally:
        blocker.rollback()
        blocker.close()


@pytest.mark.postgresql
def test_on_postgresql_registrations_racing_for_one_name_are_one_201_and_400s(live_server, rates):
    rates(login="1000/minute")
    with inserts_held(get_user_model()):
        threads, answers = register_at_once(live_server.url)
        wait_until_waiting_on_locks(CLIENTS)  # every check has passed: each insert waits
    for thread in threads:
        thread.join(timeout=30)

    assert_one_created_and_the_others_refused(answers)
    assert get_user_model().objects.filter(username="racer").count() == 1


@pytest.mark.slow  # a runserver of its own
def test_on_sqlite_registrations_racing_for_one_name_are_one_201_and_400s(tmp_path):
    with serve_on_sqlite(tmp_path, THROTTLE_LOGIN_RATE="1000/minute") as (base_url, manage):
        threads, answers = register_at_once(base_url)
        for thread in threads:
            thread.join(timeout=60)
        stored = manage(
            "shell", "--no-imports", "-c",
            "from django.contrib.auth.models import User; "
            "print(User.objects.filter(username='racer').count())",
        )  # fmt: skip

    assert_one_created_and_the_others_refused(answers)
    assert stored.split()[-1] == "1"
