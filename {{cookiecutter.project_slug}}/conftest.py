"""Fixtures for every app's tests: users, clients with tokens, full throttle budgets, logs."""

import gc
import logging.config
import socket
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from api_layer.testing import (
    PASSWORD,
    RUN_PREFIX,
    TEST_REDIS_URL,
    closed_port,
    redis_answers,
    require_redis,
)
from api_layer.throttle_store import throttle_store


def pytest_collection_finish(session):
    """Everything imported by now lives until the end: the garbage collector need not scan it
    again on every pass (pytest collects several times at exit: half a second saved)."""
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` test what only PostgreSQL does (two requests overlapping on a row
    lock); a SQLite project leaves them out, as deselected, not skipped: nothing is missing."""
    if django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """The services the settings name (the database, REDIS_URL) must answer: without one the run
    stops, failed, naming it. Skipping instead would report a run that tested nothing as green."""
    down = [reason for reason in (postgresql_down(), configured_redis_down()) if reason]
    if down:
        pytest.exit("; ".join(down), returncode=pytest.ExitCode.TESTS_FAILED)


def postgresql_down():
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return None
    import psycopg

    where = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    try:
        psycopg.connect(
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as error:
        return f"PostgreSQL at {where} (DATABASE_URL) does not answer: {str(error).strip()}"
    return None


def configured_redis_down():
    url = django_settings.REDIS_URL
    if url and not redis_answers(url):
        return f"Redis at {url} (REDIS_URL) does not answer"
    return None


@pytest.fixture(autouse=True)
def fresh_budgets(settings):
    """Each test starts with full budgets: an empty cache namespace and an empty throttle store.

    Namespaces, not flushes: with REDIS_URL set, both live in a Redis others may share.
    """
    if django_settings.THROTTLE_STORAGE_URI != "memory://":
        require_redis(django_settings.THROTTLE_STORAGE_URI)
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    settings.THROTTLE_KEY_PREFIX = RUN_PREFIX
    throttle_store().reset()
    yield
    throttle_store().reset()


@pytest.fixture
def redis_store(settings):
    """Count in the real Redis (REDIS_URL, else 127.0.0.1:6379) under this run's key prefix."""
    require_redis(TEST_REDIS_URL)
    settings.THROTTLE_STORAGE_URI = TEST_REDIS_URL
    throttle_store().reset()
    yield throttle_store()
    throttle_store().reset()


@pytest.fixture
def redis_down(settings):
    """The throttle store points at a port where nothing listens."""
    settings.THROTTLE_STORAGE_URI = f"redis://127.0.0.1:{closed_port()}/0"


@pytest.fixture
def redis_hung(settings):
    """The throttle store points at a server that accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        settings.THROTTLE_STORAGE_URI = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
        yield


@pytest.fixture
def rates(settings):
    """Set throttle rates for one test: `rates(user="3/minute")`."""

    def set_rates(**scoped):
        drf = settings.REST_FRAMEWORK
        all_rates = {**drf["DEFAULT_THROTTLE_RATES"], **scoped}
        settings.REST_FRAMEWORK = {**drf, "DEFAULT_THROTTLE_RATES": all_rates}

    return set_rates


@pytest.fixture
def clock(monkeypatch):
    """A stopped wall clock that tests move on by hand: `clock.advance(seconds)`."""

    class Clock:
        now = time.time()

        def advance(self, seconds):
            self.now += seconds

    stopped = Clock()
    monkeypatch.setattr(time, "time", lambda: stopped.now)
    return stopped


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashing is slow on purpose; tests only need passwords to round-trip."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(username):
        return get_user_model().objects.create_user(username=username, password=PASSWORD)

    return make


@pytest.fixture
def client_for():
    """An APIClient that sends `Authorization: Token <key>` for a fresh token of `user`."""

    def make(user):
        client = APIClient()
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def alice_client(client_for, alice):
    return client_for(alice)


@pytest.fixture
def alices_token(alice):
    """A fresh plain token of alice's, for clients outside Django's test client."""
    return AuthToken.objects.create(user=alice)[1]


@pytest.fixture
def bob_client(client_for, bob):
    return client_for(bob)


@pytest.fixture
def log_to_file(tmp_path):
    """`configure(...)` sets up logging as settings do, into a fresh file, and returns its path."""
    from api_layer import log_format

    path = tmp_path / "logs" / "nested" / "api.log"

    def configure(log_format_name="text", destination="file", max_bytes=log_format.MAX_BYTES):
        logging.config.dictConfig(
            log_format.logging_config(destination, path, log_format_name, max_bytes=max_bytes)
        )
        return path

    yield configure
    logging.config.dictConfig(django_settings.LOGGING)
