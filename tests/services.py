"""The real services some template tests need: skip without them, fail in CI.

A test that needs PostgreSQL skips with the reason when the server does not answer, unless
REQUIRE_SERVICES=1 (CI sets it): then it fails, so a missing service never passes as a skip.
"""

import contextlib
import os
import uuid

import pytest

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def skip_or_fail(reason):
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def postgres(dbname="postgres"):
    """An autocommit connection to the local PostgreSQL, or a skip (a failure in CI)."""
    try:
        import psycopg

        return psycopg.connect(**POSTGRES, dbname=dbname, connect_timeout=3, autocommit=True)
    except Exception as error:  # noqa: BLE001 - any reason the server is unusable is a skip
        skip_or_fail(f"PostgreSQL on 127.0.0.1:5432 (user postgres) is not answering: {error}")


def unique_name(prefix):
    """A database name (and project slug) no parallel test uses: `<prefix>_<12 hex>`."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def scratch_databases(name):
    """Create database `name` if missing; on exit drop it and pytest-django's `test_<name>`."""
    with postgres() as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with postgres() as admin:
            for database in (name, f"test_{name}"):
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
