"""The baked project serves under gunicorn with DEBUG off: API, static files, database."""

import contextlib
import socket
import subprocess
import sys
import urllib.request

from .conftest import project_env, run
from .services import postgres, scratch_databases, unique_name


@contextlib.contextmanager
def gunicorn(project, **env):
    """Serve `project` with its gunicorn.conf.py on a free loopback port; yield the base URL.

    The test binds the listening socket and hands it to gunicorn (`fd://`): requests queue in
    its backlog until a worker is up, so nothing polls or sleeps waiting for the server.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    env = {
        **project_env(),
        "DJANGO_DEBUG": "false",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
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
