"""Two requests at once, made to overlap for sure: hold a row lock, start both, wait until both
wait on a lock, release. PostgreSQL only: the SQLite test database is in memory and shared by the
live server's threads, so two requests cannot run side by side there (test_sqlite_writers.py
covers SQLite). Mark the tests `@pytest.mark.postgresql`: a SQLite project leaves them out."""

import contextlib
import threading

from django.db import DEFAULT_DB_ALIAS, connection, connections
from knox.models import AuthToken

from api_layer.testing import wait_until_waiting_on_locks


def token_headers(user):
    """Headers with a fresh token of `user`: a device of its own."""
    _, token = AuthToken.objects.create(user=user)
    return {"Authorization": f"Token {token}"}


@contextlib.contextmanager
def row_locked(model, pk):
    """Hold `SELECT ... FOR UPDATE` on one row, from a connection of its own, during the block."""
    blocker = connections.create_connection(DEFAULT_DB_ALIAS)
    blocker.set_autocommit(False)
    try:
        with blocker.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608
            yield
    finally:
        blocker.rollback()
        blocker.close()


def at_once(model, pk, *requests):
    """Run the `requests` (callables) side by side while `model` row `pk` is locked; release the
    lock once every one of them waits on it; return their results in order."""
    results = [None] * len(requests)

    def run(index):
        results[index] = requests[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    with row_locked(model, pk):
        for thread in threads:
            thread.start()
        wait_until_waiting_on_locks(len(requests))
    for thread in threads:
        thread.join(timeout=10)
    return results
