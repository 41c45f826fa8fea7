"""CPU per list request, in process, and where it goes: the WSGI application called directly.

    python3 bench/profile_list.py [--requests 200] [--batches 7] [--top 25]

Bakes the PostgreSQL + Redis variant (`setup=current`: the running Python, which must have the
project's packages) into a temporary folder with a scratch database of its own, seeds 3 users of
100 tasks each and a knox token for the first, then calls `config.wsgi.application` with
`GET /api/tasks/` (a page of 20) as production sees it: DEBUG off, HTTPS required
(`DJANGO_SECURE_SSL_REDIRECT`), one trusted proxy saying `X-Forwarded-Proto: https`, the token in
`Authorization`, the throttles on over Redis at an unreachable rate (as bench/throughput.py), the
request log written to a file. For the plain list and the filtered+searched one (throughput.py's
`FILTERED_QUERY`) it prints the queries per request, CPU ms per request (`time.process_time` of
this process only: PostgreSQL's and Redis's own CPU are not in it), the median of `--batches`
batches of `--requests`, and of one more batch under cProfile: the steps of the request, own time
by package (Django's by subpackage) and the top entries by cumulative and by own time. The
profile runs on cProfile's own clock: wall time, so the waits for PostgreSQL and Redis are in
it, as psycopg's and redis-py's socket calls (a CPU clock costs a system call per entry and
exit, which would swamp the figures). No server and no load generator: it runs beside other
work, unlike throughput.py, though that work moves its CPU figures (instructions.py's do not).
"""

import argparse
import contextlib
import cProfile
import functools
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from throughput import (  # bench/ is not a package
    FILTERED_QUERY,
    SLUG,
    TASKS_PER_USER,
    UNREACHABLE_RATE,
    bake_quietly,
    child_env,
    postgres,
)

PATHS = {"list": ("/api/tasks/", ""), "filtered+searched": ("/api/tasks/", FILTERED_QUERY)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per batch")
    parser.add_argument("--batches", type=int, default=7)
    parser.add_argument("--top", type=int, default=25, help="profile entries shown")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        return measure(options)
    name = f"bench_profile_{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="profile-list-")))
        stack.callback(drop_database, name)
        env = production_env(name, folder)
        project = bake_quietly(ROOT, folder, SLUG, ANSWERS, env)
        subprocess.run(
            [sys.executable, __file__, "--measure", *sys.argv[1:]], cwd=project, env=env,
            check=True,
        )  # fmt: skip


ANSWERS = ["database=postgresql", "cache=redis", "setup=current", "run_tests=no"]


def production_env(name, folder):
    """The baked project's environment as production runs it, with database `name` (dropped
    at the end by the caller) and the request log in `folder`."""
    return child_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DJANGO_DEBUG="false",
        DJANGO_SECURE_SSL_REDIRECT="true",
        TRUSTED_PROXY_COUNT="1",
        THROTTLE_USER_RATE=UNREACHABLE_RATE,
        THROTTLE_ANON_RATE=UNREACHABLE_RATE,
        THROTTLE_KEY_PREFIX=name,
        LOG_DESTINATION="file",
        LOG_FILE=str(folder / "api.log"),
    )


def drop_database(name):
    with postgres() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- In the baked project -------------------------------------------------------------------------
def measure(options):
    sys.path.insert(0, os.getcwd())
    from config.wsgi import application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = seed()
    print(f"{TASKS_PER_USER} tasks per user (3 users), page of 20, PostgreSQL + Redis, HTTPS via "
          f"a trusted proxy, throttles at {UNREACHABLE_RATE}; "
          f"{options.batches} batches of {options.requests}")  # fmt: skip
    for label, (path, query) in PATHS.items():
        call = functools.partial(get, application, wsgi_environ(path, query, token))
        for _ in range(50):  # warm: first-request setup is not per-request cost
            call()
        with CaptureQueriesContext(connection) as queries:
            call()
        query_count = len(queries)  # read now: the next request clears the connection's log
        batches = []
        for _ in range(options.batches):
            started = time.process_time()
            for _ in range(options.requests):
                call()
            batches.append(1000 * (time.process_time() - started) / options.requests)
        print(f"\n=== {label}: GET {path}{'?' + query if query else ''}")
        print(f"queries per request: {query_count}")
        print(f"CPU ms per request: median {statistics.median(batches):.3f} "
              f"(batches: {' '.join(f'{value:.3f}' for value in batches)})")  # fmt: skip
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(options.requests):
            call()
        profiler.disable()
        print_steps(profiler, options.requests)
        print_packages(profiler, options.requests)
        for order in ("cumulative", "tottime") if options.top else ():
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
            stats.print_stats(options.top)
            lines = out.getvalue().splitlines()
            start = next(n for n, line in enumerate(lines) if "ncalls" in line)
            print(f"--- top {options.top} by {order} ({options.requests} requests)")
            print("\n".join(line for line in lines[start:] if line.strip()))


# Steps of a list request: (label, a file's path ending, function); cumulative time each.
STEPS = [
    ("request (Django's WSGI handler)", "django/core/handlers/wsgi.py", "__call__"),
    ("  DRF view (dispatch)", "rest_framework/views.py", "dispatch"),
    ("    authentication (token query)", "rest_framework/views.py", "perform_authentication"),
    ("    throttles (Redis)", "rest_framework/views.py", "check_throttles"),
    ("    content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    ("    filter backends", "rest_framework/generics.py", "filter_queryset"),
    ("    pagination (count + page query)", "rest_framework/pagination.py", "paginate_queryset"),
    ("    serializer's .data", "rest_framework/serializers.py", "data"),
    ("    listed_tasks (rows to JSON)", "tasks/serializers.py", "listed_tasks"),
    ("    paginated response (links)", "rest_framework/pagination.py", "get_paginated_response"),
    ("  rendering (JSON, then ETag)", "django/template/response.py", "render"),
    ("  request log line", "logging/__init__.py", "log"),
    ("every query: compile, run, fetch", "django/db/models/sql/compiler.py", "execute_sql"),
    ("  of which compiling SQL", "django/db/models/sql/compiler.py", "as_sql"),
]


def print_steps(profiler, requests):
    """Profiled ms per request in each step (cProfile's clock and overhead: compare the shares)."""
    stats = pstats.Stats(profiler).stats
    total = None
    print("--- steps, profiled ms per request (share of the request)")
    for label, path, function in STEPS:
        seconds = sum(
            entry[3]
            for (filename, _, name), entry in stats.items()
            if name == function and filename.endswith(path)
        )
        if seconds:
            total = total or seconds
            print(f"{label:40} {1000 * seconds / requests:7.3f} {seconds / total:6.1%}")


def print_packages(profiler, requests):
    """Own time per package (the project's apps as one), largest first: which layer to look at.
    psycopg's and redis-py's include the waits for their servers."""
    stats = pstats.Stats(profiler).stats
    owners = {}
    for (filename, _, name), entry in stats.items():
        if "site-packages/" in filename:
            owner = filename.split("site-packages/", 1)[1].split("/")[0]
            if owner == "django":
                owner = "django/" + filename.split("django/", 1)[1].split("/")[0]
        elif filename.startswith(os.getcwd()):
            owner = "the project"
        elif filename == "~":
            owner = "builtins: " + name.split(" of ")[0].strip("<>{}").replace("method ", "")
        else:
            owner = "stdlib: " + Path(filename).stem
        owners[owner] = owners.get(owner, 0) + entry[2]
    total = sum(owners.values())
    print("--- own time by package, profiled ms per request (share)")
    for owner, seconds in sorted(owners.items(), key=lambda item: -item[1])[:20]:
        print(f"{owner:40} {1000 * seconds / requests:7.3f} {seconds / total:6.1%}")


def get(application, environ):
    status = []
    result = application(
        dict(environ, **{"wsgi.input": io.BytesIO()}), lambda *line: status.append(line[0])
    )
    body = b"".join(result)
    result.close()  # request_finished: what a server does after each response
    assert status[0].startswith("200"), (status, body[:200])


def seed():
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    task = apps.get_model("tasks", "Task")
    run = uuid.uuid4().hex[:8]  # several runs may share one database
    users = [get_user_model().objects.create_user(username=f"bench{n}-{run}") for n in range(3)]
    for user in users:
        task.objects.bulk_create(
            [task(title=f"Task {n}", description="x" * 80, created_by=user)
             for n in range(TASKS_PER_USER)]
        )  # fmt: skip
    return AuthToken.objects.create(user=users[0])[1]


def wsgi_environ(path, query, token):
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


if __name__ == "__main__":
    main()
