"""List-endpoint throughput under gunicorn, up to seven servers side by side in one run.

    python3 bench/throughput.py [--seconds 5] [--rounds 3] [--workers 2] [--connections 8]
        [--baseline PATH] [--rows abcdefgh]

(a) a bare Django view returning a small JSON body: the ceiling;
(b) the tutorial-style DRF list (bench/tutorial/: ModelViewSet, DRF TokenAuthentication,
    page-number pagination, default settings, a new database connection per request);
(c) the generated hardened project (baked from this template) with its throttling on;
(d) the same project with its throttle classes emptied: (d) - (c) is the throttle's own cost;
(e) with Redis: the same project counting in process memory (`REDIS_URL` empty, so its cache
    is in-process too): (e) - (c) is what the Redis round trip costs. The project's own
    gunicorn.conf.py refuses several processes counting apart in memory; this row measures cost,
    not exactness, so it runs with an empty gunicorn config instead (sync workers: same flags);
(f) with Redis: throttles emptied, and one bare Redis PING per request (a bench-only middleware):
    the floor of one round trip. Target: the throttle (d) - (c) costs at most 1.1x what that PING
    costs (d) - (f), paired per round; in memory, (d) - (e) at most 3%.
(g) the hardened project as (c), its list filtered, searched and ordered (FILTERED_QUERY);
(h) with `--baseline PATH`: (c) baked from another checkout of this template (main, say), so a
    change is measured against what it changes in the same run: (c) / (h) is printed.
`--rows` runs some of them only (`--rows abch`: more rounds in the same time); (a) always runs.

Every server gets the same gunicorn workers; each list request is a page of 20 with a valid token.
The load comes from `wrk` on loopback when installed (`apt-get install wrk`), else from a pool of
Python keep-alive clients. Rounds interleave the servers; the table shows each one's median.
Queries per request are counted in-process (CaptureQueriesContext, DEBUG off) at two page sizes
and two task counts. PostgreSQL and Redis are used when they answer on 127.0.0.1 (the output
says which); databases made here are dropped at the end. Everything stops by itself.
Recorded figures: bench/README.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "bench" / "tutorial"
CLUTTER = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache", "bench"
)
SLUG = "bench_api"
TASKS_PER_USER = 100
# A rate no run reaches: the throttle does all its accounting but never refuses a request. The
# moving window then holds every request of the last minute (thousands of timestamps; at a real
# rate, at most the rate): the worst case for its lists (bench/README.md has what Redis spends).
UNREACHABLE_RATE = "100000000/minute"
# Every seeded task matches: the page is as full as the unfiltered one, only the work differs.
FILTERED_QUERY = "completed=false&search=task&ordering=-title"


# --- Services ---------------------------------------------------------------------------------
def postgres(dbname="postgres"):
    import psycopg

    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname=dbname, connect_timeout=3,
        autocommit=True,
    )  # fmt: skip


def postgres_answers():
    try:
        postgres().close()
        return True
    except Exception:  # noqa: BLE001 - any failure means: use SQLite
        return False


def redis_answers():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- Servers under test -------------------------------------------------------------------------
PING_SETTINGS = """\
# Bench only (bench/throughput.py): no throttle; one bare Redis PING per request instead.
import redis

from config.settings import *  # noqa: F403

CLIENT = redis.Redis.from_url(REDIS_URL)  # noqa: F405


class PingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        CLIENT.ping()
        return self.get_response(request)


MIDDLEWARE = [*MIDDLEWARE, "bench_ping.PingMiddleware"]  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
"""


def child_env(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "THROTTLE_", "GUNICORN"))
    }
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def python(cwd, env, *args):
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Server:
    """A gunicorn serving `wsgi` from `cwd` on a loopback socket this process binds."""

    def __init__(self, label, cwd, env, wsgi, path, token, workers, config=None):
        self.label, self.cwd, self.env, self.wsgi, self.path, self.token = (
            label, cwd, env, wsgi, path, token,
        )  # fmt: skip
        self.workers, self.config = workers, config
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self):
        fd = self.listener.fileno()
        args = ["-m", "gunicorn", "--bind", f"fd://{fd}", "--workers", str(self.workers)]
        args += ["--config", self.config] if self.config else []
        args += ["--threads", "1", "--no-control-socket", self.wsgi]
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=self.cwd,
            env=self.env,
            pass_fds=[fd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The socket listens already: this blocks until a worker answers, no polling.
        for _ in range(self.workers * 4):
            status, _ = fetch(self.url, self.token)
            assert status == 200, f"{self.label}: warm-up got {status}"

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.listener.close()


def fetch(url, token):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- Load ---------------------------------------------------------------------------------------
def wrk_load(server, seconds, connections):
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s"]
    if server.token:
        args += ["-H", f"Authorization: Token {server.token}"]
    output = subprocess.run(
        [*args, server.url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    requests = int(re.search(r"(\d+) requests in", output)[1])
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, requests, int(bad[1]) if bad else 0


def python_load(server, seconds, connections):
    """`connections` threads, each its own keep-alive connection, for `seconds`."""
    deadline = time.monotonic() + seconds
    counts = [[0, 0] for _ in range(connections)]
    headers = {"Authorization": f"Token {server.token}"} if server.token else {}

    def client(count):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", server.path, headers=headers)
                response = conn.getresponse()
                response.read()
                count[0 if response.status == 200 else 1] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in counts]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    requests = sum(c[0] + c[1] for c in counts)
    return requests / elapsed, requests, sum(c[1] for c in counts)


def cpu_seconds(pid):
    """User + system CPU of gunicorn's master and workers: wall-clock rates swing with whatever
    else the machine runs; CPU per request does much less (the database's own CPU not counted)."""
    pids = [pid] + [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and process_stat(entry.name)[1:2] == (str(pid),)
    ]
    return sum(int(stat[11]) + int(stat[12]) for stat in map(process_stat, pids) if stat) / (
        os.sysconf("SC_CLK_TCK")
    )


def process_stat(pid):
    """Fields of /proc/<pid>/stat after the command name (state first), or () when gone."""
    try:
        return tuple(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split())
    except (OSError, IndexError):
        return ()


# --- Queries per request (in-process, DEBUG off) --------------------------------------------------
QUERY_PROBE = """
import json, sys, uuid
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
import rest_framework.pagination

kind, path = sys.argv[1], sys.argv[2]
User = get_user_model()

def token_for(user):
    if kind == "generated":
        from knox.models import AuthToken
        return AuthToken.objects.create(user=user)[1]
    from rest_framework.authtoken.models import Token
    return Token.objects.create(user=user).key

def task_model():
    from django.apps import apps
    return apps.get_model("tasks" if kind == "generated" else "todo", "Task")

client = Client(HTTP_HOST="127.0.0.1")
results = {}
for tasks in (50, 500):
    user = User.objects.create_user(username=f"probe{tasks}_{uuid.uuid4().hex[:8]}")
    Task = task_model()
    Task.objects.bulk_create([Task(title=f"Task {n}", created_by=user) for n in range(tasks)])
    headers = {"HTTP_AUTHORIZATION": f"Token {token_for(user)}"}
    for size in (20, 100):
        # The tutorial reads PAGE_SIZE once; the generated list takes ?page_size= (max 100).
        rest_framework.pagination.PageNumberPagination.page_size = size
        separator = "&" if "?" in path else "?"
        url = path if kind != "generated" else f"{path}{separator}page_size={size}"
        client.get(url, **headers)  # warm: first-request setup is not per-request cost
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        assert response.status_code == 200, (response.status_code, response.content[:200])
        if path != "/bare/":
            assert len(response.json()["results"]) == min(size, tasks)
        results[f"{size}@{tasks}"] = len(queries)
print(json.dumps(results))
"""


def count_queries(cwd, env, kind, path):
    return json.loads(python(cwd, env, "-c", QUERY_PROBE, kind, path).strip().splitlines()[-1])


# --- Setup ----------------------------------------------------------------------------------------
SEED = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.apps import apps

kind, per_user = sys.argv[1], int(sys.argv[2])
Task = apps.get_model("tasks" if kind == "generated" else "todo", "Task")
User = get_user_model()
users = [User.objects.create_user(username=f"bench{n}") for n in range(3)]
for user in users:  # the list filters the caller's tasks out of everyone's
    Task.objects.bulk_create(
        [Task(title=f"Task {n}", description="x" * 80, created_by=user) for n in range(per_user)]
    )
if kind == "generated":
    from knox.models import AuthToken
    print(AuthToken.objects.create(user=users[0])[1])
else:
    from rest_framework.authtoken.models import Token
    print(Token.objects.create(user=users[0]).key)
"""


def bake_quietly(template, folder, slug, answers, env=None):
    """Bake a copy of `template` into `folder`/out with `answers` (key=value), through
    cookiecutter's command line with a config of its own; its output shown only if it fails."""
    copy = folder / "template"
    shutil.copytree(template, copy, ignore=CLUTTER)
    config = folder / "cookiecutter.yaml"
    config.write_text(f'cookiecutters_dir: "{folder}/cc"\nreplay_dir: "{folder}/replay"\n')
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config),
         "--output-dir", str(folder / "out"), str(copy), f"project_slug={slug}", *answers],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        sys.exit(f"bake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return folder / "out" / slug


def bake(folder, database, cache, source=ROOT):
    from cookiecutter.main import cookiecutter

    template = folder / "template"
    shutil.copytree(source, template, ignore=CLUTTER)
    config = folder / "cookiecutter.yaml"
    config.write_text(f'cookiecutters_dir: "{folder}/cc"\nreplay_dir: "{folder}/replay"\n')
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            output_dir=str(folder / "out"),
            config_file=str(config),
            extra_context={
                "project_slug": SLUG,
                "database": database,
                "cache": cache,
                "setup": "skip",
                "run_tests": "no",
            },
        )
    )


def database_urls(stack, folder, use_postgres, apps):
    """A fresh database per app; PostgreSQL ones are dropped when the run ends."""
    if not use_postgres:
        return {name: f"sqlite:///{folder}/{name}.sqlite3" for name in apps}
    suffix = uuid.uuid4().hex[:8]
    names = {name: f"bench_{name}_{suffix}" for name in apps}
    with postgres() as admin:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with postgres() as admin:
            for name in names.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return {key: f"postgres://postgres@127.0.0.1:5432/{name}" for key, name in names.items()}


def describe_generated(project, env):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CACHES['default']['BACKEND'], "
        "settings.REST_FRAMEWORK.get('DEFAULT_THROTTLE_CLASSES', []), "
        "settings.DATABASES['default']['ENGINE'], "
        "settings.DATABASES['default'].get('CONN_MAX_AGE')]))"
    )
    return json.loads(python(project, env, "-c", code).strip().splitlines()[-1])


# --- Main -----------------------------------------------------------------------------------------
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="load per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers each")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--baseline", type=Path, help="another checkout of this template: (h)")
    parser.add_argument("--rows", default="abcdefgh", help="which servers to run (a always)")
    options = parser.parse_args()
    if options.baseline and not (options.baseline / "cookiecutter.json").is_file():
        parser.error(f"--baseline {options.baseline}: no cookiecutter.json there")
    if options.baseline and "h" not in options.rows:
        parser.error("--baseline is row (h): add h to --rows")

    use_postgres, use_redis = postgres_answers(), redis_answers()
    load = wrk_load if shutil.which("wrk") else python_load
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="throughput-")))
        apps = ["generated", "tutorial"] + (["baseline"] if options.baseline else [])
        urls = database_urls(stack, folder, use_postgres, apps)
        answers = ("postgresql" if use_postgres else "sqlite", "redis" if use_redis else "locmem")
        project = bake(folder, *answers)
        # Throttles emptied, nothing else changed: a bench-only settings module.
        (project / "bench_no_throttle.py").write_text(
            "from config.settings import *  # noqa: F403\n\n"
            "REST_FRAMEWORK = {**REST_FRAMEWORK, 'DEFAULT_THROTTLE_CLASSES': []}  # noqa: F405\n"
        )
        generated_env = child_env(
            DATABASE_URL=urls["generated"],
            REDIS_URL="redis://127.0.0.1:6379/0",
            DJANGO_DEBUG="false",
            THROTTLE_USER_RATE=UNREACHABLE_RATE,
            THROTTLE_ANON_RATE=UNREACHABLE_RATE,
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        # Throttles emptied, one Redis PING per request instead: the floor of one round trip.
        (project / "bench_ping.py").write_text(PING_SETTINGS)
        (project / "bench_empty.conf.py").write_text("# bench only: gunicorn's defaults\n")
        unthrottled_env = {**generated_env, "DJANGO_SETTINGS_MODULE": "bench_no_throttle"}
        ping_env = {**generated_env, "DJANGO_SETTINGS_MODULE": "bench_ping"}
        memory_env = {**generated_env, "REDIS_URL": ""}
        tutorial_env = child_env(
            BENCH_DATABASE_URL=urls["tutorial"],
            DJANGO_SETTINGS_MODULE="tutorial_project.settings",
        )
        python(project, generated_env, "manage.py", "migrate", "--noinput")
        if options.baseline:
            baseline = bake(folder / "baseline", *answers, source=options.baseline)
            baseline_env = {**generated_env, "DATABASE_URL": urls["baseline"]}
            python(baseline, baseline_env, "manage.py", "migrate", "--noinput")
            baseline_token = python(
                baseline, baseline_env, "-c", SEED, "generated", str(TASKS_PER_USER)
            ).split()[-1]
        python(TUTORIAL, tutorial_env, "-m", "django", "migrate", "--noinput")
        generated_token = python(
            project, generated_env, "-c", SEED, "generated", str(TASKS_PER_USER)
        ).split()[-1]
        tutorial_token = python(
            TUTORIAL, tutorial_env, "-c", SEED, "tutorial", str(TASKS_PER_USER)
        ).split()[-1]

        workers = options.workers
        servers = [
            Server("a bare Django view", TUTORIAL, tutorial_env,
                   "tutorial_project.wsgi", "/bare/", None, workers),
            Server("b tutorial-style DRF list", TUTORIAL, tutorial_env,
                   "tutorial_project.wsgi", "/api/tasks/", tutorial_token, workers),
            Server("c hardened, throttle on", project, generated_env,
                   "config.wsgi", "/api/tasks/", generated_token, workers),
            Server("d hardened, throttles emptied", project, unthrottled_env,
                   "config.wsgi", "/api/tasks/", generated_token, workers),
        ]  # fmt: skip
        if use_redis:
            servers.append(Server("e hardened, throttle in memory", project, memory_env,
                                  "config.wsgi", "/api/tasks/", generated_token, workers,
                                  config="bench_empty.conf.py"))  # fmt: skip
            servers.append(Server("f no throttle, one Redis PING", project, ping_env,
                                  "config.wsgi", "/api/tasks/", generated_token, workers))  # fmt: skip
        servers.append(Server("g hardened, filtered+searched", project, generated_env,
                              "config.wsgi", f"/api/tasks/?{FILTERED_QUERY}", generated_token,
                              workers))  # fmt: skip
        if options.baseline:
            servers.append(Server(f"h baseline {options.baseline.name}, throttle on", baseline,
                                  baseline_env, "config.wsgi", "/api/tasks/", baseline_token,
                                  workers))  # fmt: skip
        servers = [server for server in servers if server.label[0] in "a" + options.rows]
        for server in servers:
            stack.callback(server.stop)
            server.start()

        cache, throttles, engine, conn_max_age = describe_generated(project, generated_env)
        print(f"database: {engine.rsplit('.', 1)[-1]} for (b), (c), (d)")
        print(f"generated project: cache {cache}, CONN_MAX_AGE {conn_max_age}")
        print(f"generated throttles (c): {', '.join(throttles) or 'none'}; (d): none")
        print(f"throttle rates (c), (e): {UNREACHABLE_RATE}, sliding log")
        print(f"redis answering: {use_redis}; tasks per user: {TASKS_PER_USER} (3 users)")
        print(
            f"gunicorn: {workers} sync workers each; load: "
            f"{'wrk -t2' if load is wrk_load else 'python keep-alive clients'}, "
            f"{options.connections} connections, {options.seconds}s x {options.rounds} rounds"
        )

        rates = {server.label: [] for server in servers}
        cpu = {server.label: [] for server in servers}
        refused = {server.label: 0 for server in servers}
        for round_number in range(options.rounds):
            order = servers if round_number % 2 == 0 else servers[::-1]
            for server in order:
                before = cpu_seconds(server.process.pid)
                rate, requests, bad = load(server, options.seconds, options.connections)
                used = cpu_seconds(server.process.pid) - before
                rates[server.label].append(rate)
                cpu[server.label].append(1000 * used / max(requests, 1))
                refused[server.label] += bad

        queries = {}
        for server in servers:
            kind = "tutorial" if server.cwd == TUTORIAL else "generated"
            queries[server.label] = count_queries(server.cwd, server.env, kind, server.path)
        report(servers, rates, cpu, refused, queries)


def report(servers, rates, cpu, refused, queries):
    median = {label: statistics.median(values) for label, values in rates.items()}
    cpu_ms = {label: statistics.median(values) for label, values in cpu.items()}
    ceiling = median[servers[0].label]
    columns = list(next(iter(queries.values())))
    print()
    print(
        f"{'server':30} {'req/s':>6} {'x bare':>6} {'cpu ms/req':>10} {'non-200':>7}  "
        f"{'queries at ' + '/'.join(columns) + ' (page@tasks)':44}  req/s per round"
    )
    for server in servers:
        label = server.label
        runs = " ".join(f"{value:.0f}" for value in rates[label])
        counts = "/".join(str(queries[label][column]) for column in columns)
        print(
            f"{label:30} {median[label]:6.0f} {median[label] / ceiling:6.3f} "
            f"{cpu_ms[label]:10.2f} {refused[label]:7d}  {counts:44}  {runs}"
        )
    row = {server.label[0]: server.label for server in servers}
    constant = all(len(set(counts.values())) == 1 for counts in queries.values())
    print()
    hardened = median[row["c"]] if "c" in row else None
    if hardened and "b" in row:
        speedup = hardened / median[row["b"]]
        print(f"hardened / tutorial list: {speedup:.2f}x req/s (target >= 3x): "
              f"{'met' if speedup >= 3 else 'NOT met'}; app CPU per request "
              f"{cpu_ms[row['b']] / cpu_ms[row['c']]:.2f}x less")  # fmt: skip
    if hardened:
        print(f"hardened / bare view: {hardened / ceiling:.3f}x req/s (target >= 0.25x): "
              f"{'met' if hardened / ceiling >= 0.25 else 'NOT met'}")  # fmt: skip
    if hardened and "h" in row:
        # Paired per round, as (c) and (d) below: the two run next to each other every round.
        paired = statistics.median(c / h for c, h in zip(rates[row["c"]], rates[row["h"]]))
        print(f"this checkout / baseline (c) / (h): {hardened / median[row['h']]:.3f}x req/s, "
              f"paired per round {paired:.3f}x; CPU per request "
              f"{cpu_ms[row['c']] / cpu_ms[row['h']]:.3f}x")  # fmt: skip
    if hardened and "d" in row:
        unthrottled = median[row["d"]]
        overhead = (unthrottled - hardened) / unthrottled
        # (c) and (d) run next to each other in every round: the median of their ratios per
        # round is less swayed by load that comes and goes on the machine than the ratio of
        # the medians.
        paired = statistics.median(1 - c / d for c, d in zip(rates[row["c"]], rates[row["d"]]))
        cpu_overhead = cpu_ms[row["c"]] / cpu_ms[row["d"]] - 1
        print(f"throttle overhead: {overhead:.1%} req/s, {cpu_overhead:+.1%} CPU per request; "
              f"paired per round: {paired:.1%} (judged against one PING below)")  # fmt: skip
    if hardened and "d" in row and "e" in row:
        in_memory = median[row["e"]]
        memory_cost = (unthrottled - in_memory) / unthrottled
        print(f"throttle overhead in process memory (e): {memory_cost:.1%} req/s (target <= 3%): "
              f"{'met' if memory_cost <= 0.03 else 'NOT met'}; Redis over memory (c) vs (e): "
              f"{(in_memory - hardened) / in_memory:.1%}")  # fmt: skip
    if hardened and "d" in row and "f" in row:
        on, off, ping = (rates[row[letter]] for letter in "cdf")
        ratios = [(1 - c / d) / (1 - f / d) for c, d, f in zip(on, off, ping) if f < d]
        ratio = statistics.median(ratios) if ratios else float("nan")
        ping_cost = statistics.median(1 - f / d for d, f in zip(off, ping))
        print(f"one Redis PING (f) costs {ping_cost:.1%} req/s paired per round; the Redis throttle "
              f"costs {ratio:.2f}x that (target <= 1.1x): {'met' if ratio <= 1.1 else 'NOT met'}"
              f" ({len(ratios)} of {len(on)} rounds comparable)")  # fmt: skip
    print(f"queries per request constant in page size and task count: "
          f"{'yes' if constant else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
