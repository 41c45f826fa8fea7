"""Helpers for the project's tests: shared names, services that may be missing, plain HTTP.

The fixtures are in the project's root `conftest.py`; this module holds what tests import.
"""

import contextlib
import importlib.util
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from functools import cache
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import redis
from django.conf import settings
from django.db import connection

PASSWORD = "correct-horse-battery-staple"
PROJECT = Path(__file__).resolve().parents[1]
# Throttle keys of this test run, in a Redis that other runs or a dev server may share.
RUN_PREFIX = f"test-{uuid.uuid4().hex}"
TEST_REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
PROJECT = Path(__file__).resolve().parent.parent


@cache
def redis_answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def closed_port():
    """A loopback port where nothing listens (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def send(method, url, headers=None, body=None):
    """Send one request; return (status, parsed JSON body or None, headers)."""
    request = Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urlopen(request, timeout=10) as response:  # noqa: S310 - a loopback test server
            status, raw, response_headers = response.status, response.read(), response.headers
    except HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
    return status, json.loads(raw) if raw else None, response_headers


def load_settings():
    """The settings module evaluated afresh under the current environment, as at startup."""
    spec = importlib.util.find_spec(os.environ["DJANGO_SETTINGS_MODULE"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def manage(env, *args):
    """Run `manage.py` with `args` under `env`; return its standard output."""
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip


@contextlib.contextmanager
def serve_on_sqlite(tmp_path, **variables):
    """The project served by `runserver` (a thread per request) on a fresh, migrated SQLite file
    of its own, with `variables` in its environment; yields (base URL, manage).

    Django's live server cannot show concurrency on SQLite: its threads share the in-memory test
    database's one connection, so two requests never run side by side.
    """
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "LOG_DESTINATION": "console",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **variables,
    }
    manage(env, "migrate", "--no-input")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base_url}/api/health/")
        yield base_url, lambda *args: manage(env, *args)
    finally:
        server.terminate()
        server.wait(timeout=10)


def content_security_policy(response):
    """A response's Content-Security-Policy as {directive: [source, ...]}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {words[0]: words[1:] for words in directives if words}


class Served:
    """A gunicorn server started by `serve`: its base URL, process and the lines it logged."""

    def __init__(self, url, process):
        self.url, self.process = url, process
        self.lines = queue.Queue()
        threading.Thread(target=self.read_log, daemon=True).start()

    def read_log(self):
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put(None)  # the process closed its log: it has exited

    def wait_for_log(self, text, timeout=30):
        """Block until gunicorn logs a line containing `text` (at most `timeout` seconds)."""
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise AssertionError(f"gunicorn exited before logging {text!r}: {seen}")
            seen.append(line)
            if text in line:
                return line


@contextlib.contextmanager
def serve(**env):
    """Serve the project under gunicorn, as the README runs it (`gunicorn config.wsgi`, its
    gunicorn.conf.py), on a free loopback port, with `env` over the environment; yield a Served.

    The test binds the listening socket and hands it over (`fd://`): requests wait in its
    backlog until a worker is up, so nothing polls or sleeps for the server to start.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    env = {**os.environ, "LOG_DESTINATION": "console", **env}
    env["GUNICORN_BIND"] = f"fd://{listener.fileno()}"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi"],
        cwd=PROJECT, env=env, pass_fds=[listener.fileno()],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield Served(f"http://127.0.0.1:{listener.getsockname()[1]}", process)
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=60)
        listener.close()


def wait_until_waiting_on_locks(count, timeout=10):
    """Return once `count` sessions of this (PostgreSQL) database wait on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"{count} requests never waited on the lock")
