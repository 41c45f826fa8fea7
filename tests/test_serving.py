"""The baked project serves under gunicorn with DEBUG off: API, static files, database."""

import contextlib
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import free_port, project_env, run
from .services import postgres, scratch_databases, unique_name
from .test_throttle import require_redis

ONE_WORKER = {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1"}


@contextlib.contextmanager
def gunicorn(project, **env):
    """Serve `project` with its gunicorn.conf.py on a free loopback port; yield the base URL.

    One worker of one thread unless `env` says otherwise; `as_shipped=True` leaves workers and
    threads to gunicorn.conf.py, as `gunicorn config.wsgi` in the README does.
    The test binds the listening socket and hands it to gunicorn (`fd://`): requests queue in
    its backlog until a worker is up, so nothing polls or sleeps waiting for the server.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    env = {
        **project_env(),
        "DJANGO_DEBUG": "false",
        **(ONE_WORKER if env.pop("as_shipped", None) is None else {}),
        **env,
        "GUNICORN_BIND": f"fd://{listener.fileno()}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi"],
        cwd=project,
        env=env,
        pass_fds=[listener.fileno()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
        listener.close()
        assert server.returncode == 0, errors


def get(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.headers, response.read()


def test_gunicorn_serves_the_api_and_admin_static_files_with_debug_off(bake):
    project = bake()
    run(project, "manage.py", "migrate", "--noinput")
    run(project, "manage.py", "collectstatic", "--noinput")

    with gunicorn(project) as base:
        health = get(f"{base}/api/health/")
        css = get(f"{base}/static/admin/css/base.css")

    assert health[0] == 200 and b'"database":"ok"' in health[2]
    assert css[0] == 200
    assert css[1]["Content-Type"].startswith("text/css")
    assert b"body" in css[2]


def test_postgresql_connection_persists_across_requests_under_gunicorn(bake):
    slug = unique_name("pgserve")
    with scratch_databases(slug):
        project = bake(database="postgresql", project_slug=slug)
        run(project, "manage.py", "migrate", "--noinput")

        backends = []
        with gunicorn(project) as base, postgres() as admin:
            for _ in range(3):
                assert get(f"{base}/api/health/")[0] == 200
                rows = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [slug]
                ).fetchall()
                backends.append(rows)

    # One worker, one thread: one connection, opened once and kept (CONN_MAX_AGE > 0).
    assert len(backends[0]) == 1
    assert backends == [backends[0]] * 3


def statuses_of_concurrent_requests(url, count):
    """Send `count` requests at once, each on its own connection; return their statuses."""
    start = threading.Barrier(count)
    statuses = []

    def send():
        start.wait()
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    senders = [threading.Thread(target=send) for _ in range(count)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return statuses


@pytest.mark.parametrize("cache", ["locmem", "redis"])
def test_the_shipped_deployment_admits_exactly_the_rate_under_concurrent_requests(bake, cache):
    """`gunicorn config.wsgi` as the README says, workers and threads as gunicorn.conf.py derives
    them from the store: 60 requests at once at 5/minute, 5 admitted (401: no token) and 55
    refused (429). Two processes counting apart in memory would admit 10."""
    if cache == "redis":
        require_redis()
    project = bake(cache=cache)
    env = {"THROTTLE_ANON_RATE": "5/minute", "THROTTLE_KEY_PREFIX": f"serve-{uuid.uuid4().hex}"}

    with gunicorn(project, as_shipped=True, **env) as base:
        statuses = statuses_of_concurrent_requests(f"{base}/api/auth/me/", 60)

    assert sorted(statuses) == [401] * 5 + [429] * 55


def test_gunicorn_refuses_several_workers_that_would_count_apart(bake):
    project = bake()

    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "config.wsgi"],
        cwd=project,
        env={**project_env(), "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{free_port()}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "api_layer.E001" in result.stderr
    assert "WEB_CONCURRENCY=2 with throttle budgets counted in process memory" in result.stderr


def scrape(metrics_port):
    """The samples on a metrics port, as {(name, sorted labels): value}."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    text = get(url)[2].decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_port_serves_every_workers_counts_and_the_api_port_none(bake):
    """As the README says: `METRICS_PORT=9100 gunicorn config.wsgi` (a free port here), with
    gunicorn.conf.py's two workers over Redis: the master's port adds up both workers' counts."""
    require_redis()
    project = bake(cache="redis")
    metrics_port = free_port()
    env = {
        "METRICS_PORT": str(metrics_port),
        "THROTTLE_ANON_RATE": "2/minute",
        "THROTTLE_KEY_PREFIX": f"metrics-{uuid.uuid4().hex}",
    }

    with gunicorn(project, as_shipped=True, **env) as base:
        health = statuses_of_concurrent_requests(f"{base}/api/health/", 8)
        anon = statuses_of_concurrent_requests(f"{base}/api/auth/me/", 5)
        with pytest.raises(urllib.error.HTTPError) as on_the_api_port:
            get(f"{base}/metrics")
        samples = scrape(metrics_port)

    route = (("method", "GET"), ("route", "api/health/"), ("status", "200"))
    decision = (("decision", "refused"), ("policy", "anon"), ("scope", "anon"))
    assert health == [200] * 8 and sorted(anon) == [401] * 2 + [429] * 3
    assert samples[("api_requests_total", route)] == 8
    assert samples[("api_throttle_decisions_total", decision)] == 3
    assert samples[("api_throttle_store_fallback", ())] == 0
    assert on_the_api_port.value.code == 404


def test_a_metrics_port_in_use_stops_gunicorn_before_it_serves(bake):
    project = bake()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gunicorn", "config.wsgi"],
            cwd=project,
            env={
                **project_env(),
                "METRICS_PORT": str(port),
                "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    assert f"METRICS_PORT 127.0.0.1:{port}" in result.stderr
