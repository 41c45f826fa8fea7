"""Instructions per list request, counted by valgrind: a figure the machine's load does not move.

    python3 bench/instructions.py [--requests 50] [--baseline PATH] [--no-layers]   # about 10 minutes

CPU time per request swings by half on this two-core machine from one minute to the next (other
tenants, CPU frequency); the instructions a request executes do not: two counts of the same code
agree within 0.3% at 50 or more requests (within 1% at 10). So a change to the request path is
judged here, against `--baseline` (another checkout of this template, main say, baked the same
way) in the same run, and throughput.py then says what it buys in requests per second.

Bakes the PostgreSQL + Redis variant (`setup=current`: the running Python must have the
project's packages) with a scratch database and calls the WSGI application in process, as
profile_list.py does (DEBUG off, HTTPS said by a trusted proxy, a knox token, throttles over
Redis at throughput.py's unreachable rate, the request log written to a file). Each case runs
twice under `valgrind --tool=callgrind`: 30 warm-up requests, then none or `--requests` more;
the difference of the two totals over `--requests` is the count per request (start-up, imports
and warm-up cancel out). Only this process is counted: PostgreSQL's and Redis's work is not.

Cases: the list and throughput.py's filtered one; the same for `--baseline`; unless
`--no-layers`, the list with the project's layers taken away one after another by a bench-only
settings module (every middleware; then the throttles; then the token query, a fixed user
instead), down to what Django, DRF and the ORM cost for this list alone; and throughput.py's
(b) tutorial-style list and (a) bare view (bench/tutorial/), the two it compares against.
Needs valgrind (`apt-get install valgrind`). Recorded figures: bench/README.md.
"""

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))  # bench/ is not a package
from profile_list import (
    ANSWERS,
    drop_database,
    get,
    production_env,
    wsgi_environ,
)
from throughput import (
    FILTERED_QUERY,
    SEED,
    SLUG,
    TASKS_PER_USER,
    TUTORIAL,
    bake_quietly,
    child_env,
    postgres,
    python,
)

WARM_UP = 30
# Bench only, written into the baked project: the project's settings with layers taken away,
# named in BENCH_WITHOUT (comma-separated).
LAYERS_SETTINGS = """\
import os

from rest_framework.authentication import BaseAuthentication

from config.settings import *  # noqa: F403

WITHOUT = os.environ.get("BENCH_WITHOUT", "").split(",")
if "middleware" in WITHOUT:
    MIDDLEWARE = []
if "throttles" in WITHOUT:
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
if "token query" in WITHOUT:
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,  # noqa: F405
        "DEFAULT_AUTHENTICATION_CLASSES": ["bench_layers.FixedUser"],
    }


class FixedUser(BaseAuthentication):
    \"\"\"The token's user, read once: authentication without its query.\"\"\"

    user = None

    def authenticate(self, request):
        if FixedUser.user is None:
            from knox.models import AuthToken

            FixedUser.user = AuthToken.objects.select_related("user").latest("created").user
        return FixedUser.user, None
"""
LAYERS = [
    ("without middleware", "middleware"),
    ("without middleware or throttles", "middleware,throttles"),
    ("without middleware, throttles or token query", "middleware,throttles,token query"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="counted requests per case")
    parser.add_argument("--baseline", type=Path, help="another checkout of this template")
    parser.add_argument("--no-layers", action="store_true", help="skip the layer-by-layer cases")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        return measure(*options.measure)
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed: apt-get install valgrind")
    if options.baseline and not (options.baseline / "cookiecutter.json").is_file():
        parser.error(f"--baseline {options.baseline}: no cookiecutter.json there")

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="instructions-")))
        cases = []  # (label, cwd, env, path, query)
        checkouts = [("this checkout", ROOT)]
        if options.baseline:
            checkouts.append((f"baseline {options.baseline.resolve().name}", options.baseline))
        for number, (name, template) in enumerate(checkouts):
            project, env = prepare(stack, folder / str(number), template)
            cases.append((f"{name}: list", project, env, "/api/tasks/", ""))
            cases.append(
                (f"{name}: filtered+searched", project, env, "/api/tasks/", FILTERED_QUERY)
            )
            if number == 0 and not options.no_layers:
                (project / "bench_layers.py").write_text(LAYERS_SETTINGS)
                for label, without in LAYERS:
                    layered = {**env, "DJANGO_SETTINGS_MODULE": "bench_layers",
                               "BENCH_WITHOUT": without}  # fmt: skip
                    cases.append((f"{name}: list {label}", project, layered, "/api/tasks/", ""))
        if not options.no_layers:
            tutorial_env = prepare_tutorial(stack)
            cases.append(("(b) tutorial-style DRF list", TUTORIAL, tutorial_env, "/api/tasks/", ""))
            cases.append(("(a) bare Django view", TUTORIAL, tutorial_env, "/bare/", ""))

        print(f"{TASKS_PER_USER} tasks per user (3 users), page of 20, PostgreSQL + Redis; "
              f"{options.requests} requests counted per case after {WARM_UP} warm-up requests; "
              f"this process's instructions only")  # fmt: skip
        counts = {}
        for label, cwd, env, path, query in cases:
            counts[label] = per_request(cwd, env, path, query, options.requests)
            print(f"  {label}: {counts[label] / 1e6:.3f} M", flush=True)
        report(counts, cases)


def prepare(stack, folder, template):
    """Bake `template`'s PostgreSQL + Redis variant with a scratch database: (project, env).
    The bake (`setup=current`) creates the database and migrates it, as for profile_list.py."""
    name = f"bench_instructions_{uuid.uuid4().hex[:8]}"
    stack.callback(drop_database, name)
    folder.mkdir(parents=True)
    env = {**production_env(name, folder), "DJANGO_SETTINGS_MODULE": "config.settings"}
    project = bake_quietly(template, folder, SLUG, ANSWERS, env)
    token = python(project, env, "-c", SEED, "generated", str(TASKS_PER_USER)).split()[-1]
    return project, {**env, "BENCH_TOKEN": token}


def prepare_tutorial(stack):
    name = f"bench_instructions_{uuid.uuid4().hex[:8]}"
    with postgres() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    stack.callback(drop_database, name)
    env = child_env(
        BENCH_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        DJANGO_SETTINGS_MODULE="tutorial_project.settings",
    )
    python(TUTORIAL, env, "-m", "django", "migrate", "--noinput")
    token = python(TUTORIAL, env, "-c", SEED, "tutorial", str(TASKS_PER_USER)).split()[-1]
    return {**env, "BENCH_TOKEN": token}


def per_request(cwd, env, path, query, requests):
    """Instructions per request: two counted runs, with and without `requests` more."""
    with ThreadPoolExecutor(2) as pool:  # two cores; counts do not depend on load
        without, with_requests = pool.map(
            lambda extra: instructions(cwd, env, path, query, extra), [0, requests]
        )
    return (with_requests - without) / requests


def instructions(cwd, env, path, query, extra):
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, str(Path(__file__).resolve()), "--measure", path, query, str(extra)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    collected = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not collected:
        log = Path(env.get("LOG_FILE", os.devnull)).read_text()[-3000:]
        sys.exit(f"counting {path}?{query} in {cwd} failed:\n{result.stderr[-3000:]}\n{log}")
    return int(collected.group(1))


def report(counts, cases):
    listed = counts[cases[0][0]]
    bare = counts.get("(a) bare Django view")
    print()
    print(f"{'case':64} {'M instr/req':>11} {'x this list':>11} {'x bare':>7}")
    for label, *_ in cases:
        count = counts[label]
        print(f"{label:64} {count / 1e6:11.3f} {count / listed:11.3f} "
              f"{count / bare if bare else float('nan'):7.2f}")  # fmt: skip
    baseline = [label for label, *_ in cases if label.startswith("baseline")]
    if baseline:
        print(f"\nthis checkout / baseline: list {listed / counts[baseline[0]]:.3f}x, "
              f"filtered+searched {counts[cases[1][0]] / counts[baseline[1]]:.3f}x")  # fmt: skip


# --- In the baked project (or the tutorial), under valgrind -------------------------------------
def measure(path, query, extra):
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    environ = wsgi_environ(path, query, os.environ["BENCH_TOKEN"])
    for _ in range(WARM_UP + int(extra)):
        get(application, environ)


if __name__ == "__main__":
    main()
