import gc
import logging.config
import os
import time
import uuid
from functools import cache
from importlib import import_module

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient


def project_module(name):
    """A module of the project package, whose name is the project's slug."""
    return import_module(f"{django_settings.PROJECT_PACKAGE}.{name}")


throttle_store = project_module("throttle_store").throttle_store

PASSWORD = "correct-horse-battery-staple"
# Throttle keys of this test run, in a Redis that other runs or a dev server may share.
RUN_PREFIX = f"test-{uuid.uuid4().hex}"
TEST_REDIS_URL = django_settings.REDIS_URL or "redis://127.0.0.1:6379/0"


@cache
def redis_answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def pytest_collection_finish(session):
    """Everything imported by now lives until the end: the garbage collector need not scan it
    again on every pass (pytest collects several times at exit: half a second saved)."""
    gc.freeze()


def skip_or_fail(reason):
    """Skip a test whose service is missing, saying why; fail instead when REQUIRE_SERVICES=1
    (CI), where every service is there and a skip would hide a gap."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def require_redis(url):
    """Skip a test that needs the Redis at `url` when it does not answer (fail in CI)."""
    if not redis_answers(url):
        skip_or_fail(f"Redis does not answer at {url}")


@pytest.fixture(scope="session", autouse=True)
def database_server_answers():
    """With PostgreSQL, the suite runs against the real server, or skips saying why."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    import psycopg

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
        skip_or_fail(f"PostgreSQL at {database['HOST']}:{database['PORT']} is down: {error}")


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
def bob_client(client_for, bob):
    return client_for(bob)


@pytest.fixture
def log_to_file(tmp_path):
    """`configure(...)` sets up logging as settings do, into a fresh file, and returns its path."""
    log_format = project_module("log_format")
    path = tmp_path / "logs" / "nested" / "api.log"

    def configure(log_format_name="text", destination="file", max_bytes=log_format.MAX_BYTES):
        logging.config.dictConfig(
            log_format.logging_config(destination, path, log_format_name, max_bytes=max_bytes)
        )
        return path

    yield configure
    logging.config.dictConfig(django_settings.LOGGING)
