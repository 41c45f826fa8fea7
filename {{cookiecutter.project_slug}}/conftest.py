"""Fixtures for every app's tests: users, clients with tokens, full throttle budgets, logs."""

import gc
import logging.config
import os
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from api_layer.log_format import logging_config
from api_layer.testing import (
    PASSWORD,
    RUN_PREFIX,
    TEST_REDIS_URL,
    closed_port,
    redis_answers,
    require_redis,
)
from api_layer.throttle_store import throttle_store

# Property-based tests (schemathesis's and ours) send a few cases per operation in the everyday
# run and more in CI: `HYPOTHESIS_PROFILE=ci` (the generated CI sets it). Derandomized: every run
# sends the same cases, so a red run is reproducible; explore further with `--hypothesis-seed=N`
# and derandomize off. Health checks judge the speed of data generation, not the API: on a loaded
# CI machine they would fail a run whose every response was right.
hypothesis_settings.register_profile(
    "everyday",
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
everyday = hypothesis_settings.get_profile("everyday")
hypothesis_settings.register_profile("ci", parent=everyday, max_examples=15)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "everyday"))
TEST_LOG_FOLDER = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Tests log to a file of their own, never to the project's LOG_FILE: that file holds what the
    app served, not test traffic nor the tracebacks of the tests' crashing views. Processes the
    tests start (runserver, manage.py) inherit it through the environment. Removed at the end."""
    folder = config.stash[TEST_LOG_FOLDER] = tempfile.mkdtemp(prefix="test-logs-")
    log_file = Path(folder) / "api.log"
    os.environ["LOG_FILE"] = str(log_file)
    django_settings.LOG_FILE = log_file
    django_settings.LOGGING = logging_config(
        django_settings.LOG_DESTINATION, log_file, django_settings.LOG_FORMAT
    )
    logging.config.dictConfig(django_settings.LOGGING)
    # WhiteNoise indexes every static file when its middleware starts (autorefresh off, as in
    # production), and each test client starts the middleware again: about 30 ms per test, half
    # the everyday suite. In tests it looks a file up when asked instead (its documented
    # development mode): the same files, served the same way, with no index built per client.
    django_settings.WHITENOISE_AUTOREFRESH = True
    # Production hashing is slow on purpose; tests only need passwords to round-trip. Budgets
    # are counted under this run's key prefix (others may share the Redis). Once for the run.
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_settings.THROTTLE_KEY_PREFIX = RUN_PREFIX


def pytest_unconfigure(config):
    if TEST_LOG_FOLDER in config.stash:
        shutil.rmtree(config.stash[TEST_LOG_FOLDER], ignore_errors=True)


def pytest_collection_finish(session):
    """Everything imported by now lives until the end: the garbage collector need not scan it
    again on every pass (pytest collects several times at exit: half a second saved)."""
    gc.freeze()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` test what only PostgreSQL does (two requests overlapping on a row
    lock); a SQLite project leaves them out, as deselected, not skipped: nothing is missing.

    Tests that start Sentry (the `reported` fixture) run last: the SDK patches Django's handler
    and wraps every middleware for the rest of the process, slowing every later request.
    """
    items.sort(key=lambda item: "reported" in getattr(item, "fixturenames", ()))
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
