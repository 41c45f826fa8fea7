"""How many of 1000 requests each throttle admits at 100/minute, side by side.

Bakes the PostgreSQL + Redis variant (a scratch database, dropped at the end). For our throttle
(the project's own settings) and DRF's own `AnonRateThrottle` and `UserRateThrottle` (swapped in
by a bench-only settings module written into the baked project, counting in the same Redis through
Django's cache), starts gunicorn on loopback as 1 worker, 4 sync workers and 4 workers x 8
threads over Redis, and as shipped without Redis (`gunicorn config.wsgi`, the project's
gunicorn.conf.py deriving workers and threads from the store; DRF's throttle then counts in
Django's in-process cache), and sends 1000 GETs to /api/tasks/ from 32 client threads with one user's token, three
runs each (a fresh user per run, so each run starts with a full budget). Prints the admitted
counts (200s; any answer other than 200 or 429 is reported as an error beneath the table).

    python3 bench/throttle.py [--requests 1000] [--runs 3] [--server NAME ...]   # a few minutes

Target: ours admits exactly 100 in every run of every server. Recorded figures: bench/README.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import redis
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
DATABASE = f"throttle_bench_{uuid.uuid4().hex[:8]}"
REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own: DRF's keys carry no prefix
RATE, CLIENTS = "100/minute", 32
# Server name: (gunicorn flags, environment). The shipped default is `gunicorn config.wsgi` with
# the project's own gunicorn.conf.py and no Redis: workers and threads as it derives them.
SERVERS = {
    "1 worker": (["--workers", "1"], {}),
    "4 sync workers": (["--workers", "4"], {}),
    "4 workers x 8 threads": (["--workers", "4", "--threads", "8"], {}),
    "shipped default, no Redis": ([], {"REDIS_URL": ""}),
}
# Each engine is a settings module of the baked project: its own, or the one written below.
ENGINES = {"ours": "config.settings", "drf": "bench_drf_throttle"}
TITLES = {"ours": "ours (sliding log)", "drf": "DRF UserRateThrottle"}
DRF_THROTTLE_SETTINGS = """\
# Bench only (bench/throttle.py): DRF's own cache-based throttles instead of the project's.
from config.settings import *  # noqa: F403

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
}
"""

SHOW_THROTTLES = (
    "from django.conf import settings; print(*settings.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'])"
)
USERS = """
import json
from django.contrib.auth import get_user_model
from knox.models import AuthToken
tokens = []
for n in range({count}):
    user = get_user_model().objects.create_user(f"bench{{n}}", password="a-long-bench-passphrase")
    tokens.append(AuthToken.objects.create(user=user)[1])
print(json.dumps(tokens))
"""


def bake(folder):
    config = folder / "config.yaml"
    config.write_text(f'cookiecutters_dir: "{folder}/cc"\nreplay_dir: "{folder}/replay"\n')
    answers = {
        "project_name": "Throttle Bench",
        "project_slug": DATABASE,  # names the PostgreSQL database in .env
        "database": "postgresql",
        "cache": "redis",
        "setup": "current",
    }
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context={**answers, "run_tests": "no"},
        output_dir=str(folder),
        config_file=str(config),
    )
    return Path(project)


def drop_database():
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def project_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(REDIS_URL=REDIS_URL, THROTTLE_USER_RATE=RATE, PYTHONDONTWRITEBYTECODE="1")
    return {**env, **extra}


def manage(project, *args, **extra_env):
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command,
        cwd=project,
        env=project_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{result.stderr}")
    return result.stdout


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path, token=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Host": "localhost", **({"Authorization": f"Token {token}"} if token else {})}
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


class Server:
    """gunicorn serving the baked project on a loopback port, stopped on exit."""

    def __init__(self, project, engine, options, env, log):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
        command += ["--bind", f"127.0.0.1:{self.port}", *options]
        self.process = subprocess.Popen(
            command,
            cwd=project,
            env=project_env(DJANGO_SETTINGS_MODULE=ENGINES[engine], **env),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def __enter__(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/api/health/", timeout=2) == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit("gunicorn did not answer within 30 s")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def flood(port, token, requests):
    """`requests` GETs from CLIENTS threads; return (admitted: 200, errors: not 200 nor 429,
    seconds)."""
    statuses, lock = [], threading.Lock()
    remaining = iter(range(requests))

    def client():
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            try:
                status = get(port, "/api/tasks/", token)
            except OSError:
                status = 0
            with lock:
                statuses.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = sum(1 for status in statuses if status not in (200, 429))
    return statuses.count(200), errors, time.monotonic() - started


def forget_bench_keys():
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match="*throttle*"):
        store.delete(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per run")
    parser.add_argument("--runs", type=int, default=3, help="per server and throttle")
    parser.add_argument(
        "--server", action="append", choices=SERVERS, help="only these (default: every one)"
    )
    options = parser.parse_args()
    options.servers = options.server or list(SERVERS)
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    forget_bench_keys()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as cleanup:
        cleanup.callback(drop_database)
        project = bake(Path(folder))
        (project / f"{ENGINES['drf']}.py").write_text(DRF_THROTTLE_SETTINGS)
        manage(project, "migrate", "--verbosity", "0")
        for engine, module in ENGINES.items():
            classes = manage(project, "shell", "-c", SHOW_THROTTLES, DJANGO_SETTINGS_MODULE=module)
            print(f"{engine} ({module}): {classes.strip().splitlines()[-1]}", flush=True)
        count = len(ENGINES) * len(options.servers) * options.runs
        output = manage(project, "shell", "-c", USERS.format(count=count))
        tokens = iter(json.loads(output.strip().splitlines()[-1]))
        results, notes = {}, []
        with open(Path(folder) / "gunicorn.log", "w") as log:
            for engine in ENGINES:
                for server in options.servers:
                    with Server(project, engine, *SERVERS[server], log) as running:
                        for run in range(options.runs):
                            admitted, errors, seconds = flood(
                                running.port, next(tokens), options.requests
                            )
                            results.setdefault((server, engine), []).append(admitted)
                            print(
                                f"  {engine:6} {server:22} run {run + 1}: {admitted:4} "
                                f"admitted, {errors} errors, {seconds:.1f} s",
                                flush=True,
                            )
                            if errors or seconds > 55:
                                notes.append(
                                    f"{engine} {server} run {run + 1}: {errors} "
                                    f"errors, {seconds:.1f} s (window is 60 s)"
                                )
    forget_bench_keys()
    print_table(results, notes, options)


def print_table(results, notes, options):
    print()
    print(
        f"{options.requests} GETs /api/tasks/ from {CLIENTS} client threads, one token, {RATE}, "
        f"{options.runs} runs; gunicorn on loopback; database PostgreSQL; throttle store Redis "
        "(the shipped default: process memory)"
    )
    print(f"admitted (200), target {RATE.split('/')[0]} in every run")
    print()
    header = f"| server | {' | '.join(TITLES.values())} |"
    print(header)
    print("|---|" + "---|" * len(ENGINES))
    for server in options.servers:
        cells = [", ".join(map(str, results[(server, engine)])) for engine in ENGINES]
        print(f"| {server} | {' | '.join(cells)} |")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
