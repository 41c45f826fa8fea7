import logging.config
import os
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session", autouse=True)
def database_server_answers():
    """With PostgreSQL, the suite runs against the real server: skip, saying why, when it does
    not answer; fail instead when REQUIRE_SERVICES=1 (CI), where a skip would hide a gap."""
    database = settings.DATABASES["default"]
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
        reason = f"PostgreSQL at {database['HOST']}:{database['PORT']} is not answering: {error}"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters live in the cache: each test starts with full budgets."""
    cache.clear()
    yield
    cache.clear()


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
    log_format = import_module(f"{settings.PROJECT_PACKAGE}.log_format")
    path = tmp_path / "logs" / "nested" / "api.log"

    def configure(log_format_name="text", destination="file", max_bytes=log_format.MAX_BYTES):
        logging.config.dictConfig(
            log_format.logging_config(destination, path, log_format_name, max_bytes=max_bytes)
        )
        return path

    yield configure
    logging.config.dictConfig(settings.LOGGING)
