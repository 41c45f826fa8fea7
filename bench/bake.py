"""Time a default bake: answers to a tested, running API, with uv on PATH and without it.

A fresh machine has only Python: its bake fetches uv (one wheel) from the package index into a
folder of its own and installs with it. A machine with uv on PATH skips that fetch. Each way is
baked `--runs` times into a fresh folder after one untimed warm-up bake that fills the package
caches (pip's and uv's, as on any machine that has installed packages before); before each
"without uv" bake the fetched uv is removed, so every such run pays the fetch as a fresh machine does.
Then the everyday suite alone (the bundled suite without its browser and slow tests, serial: the
project's default, what the setup step runs) in the last baked project. Prints every run and the
median side by side against the targets: without uv <= 20 s, with uv <= 12 s, the everyday suite
alone <= 8 s.

    python3 bench/bake.py [--runs 3]

Step times come from scripts/bootstrap.py's own `==> step` / `done in X s` lines; `render` is the rest
of the wall time: cookiecutter's start, prompts, rendering and the hooks' own start. The bundled
suite starts beside migrate, tokens and the Postman export: `tests` is what is left to wait for it
once they are done.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
CLUTTER = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache", "bench"
)
STEP_LABELS = {
    "set_up_environment": "environment",
    "migrate": "migrate",
    "create_api_users": "tokens",
    "run_test_suite": "tests",
}
ROWS = ["render", "environment", "migrate", "tokens", "tests", "other steps", "total"]
TARGETS = {"without uv": 20.0, "with uv": 12.0, "everyday suite": 8.0}


def bake(template, folder, env):
    """Bake the default project into `folder`; return (project, {row: seconds}) or (None, None)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(template), "-o", str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    total = time.perf_counter() - started
    if result.returncode != 0 or "==> run_test_suite" not in result.stdout:
        sys.exit(f"bake failed:\n{result.stdout}\n{result.stderr}")
    failures = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    if failures:  # the bundled suite failed (a flaky test): no complete timing for this run
        print(f"note: {folder.name} not counted: {failures[0]}", flush=True)
        return None, None
    times = dict.fromkeys(ROWS, 0.0)
    step = None
    for line in result.stdout.splitlines():
        if started_step := re.fullmatch(r"==> (\w+)", line):
            step = started_step[1]
        elif done := re.fullmatch(r" +done in ([\d.]+) s", line):
            times[STEP_LABELS.get(step, "other steps")] += float(done[1])
    times["total"] = total
    times["render"] = total - sum(times[row] for row in ROWS if row not in ("render", "total"))
    return folder / "task_manager", times


def everyday(project):
    """The marker expression of the setup step's own test run (its scripts/bootstrap.py)."""
    bootstrap = (project / "scripts" / "bootstrap.py").read_text(encoding="utf-8")
    return re.search(r'^EVERYDAY = "(.+)"$', bootstrap, re.MULTILINE)[1]


def time_suite(project):
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-rf",
            "-m",
            everyday(project),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
        print(f"note: suite alone: {result.stdout.strip().splitlines()[-1]}", *failed, flush=True)
    return seconds


def bake_runs(template, scratch, label, env, runs, before_each=lambda: None):
    results, project = [], None
    for attempt in range(2 * runs):  # a run whose bundled suite failed is not counted
        before_each()
        folder = scratch / f"{label}-{attempt}"
        folder.mkdir()
        baked, times = bake(template, folder, env)
        if times:
            project = baked
            results.append(times)
        if len(results) == runs:
            break
    return project, results


def print_table(title, results, target):
    print(f"\n{title}")
    header = "".join(f"{f'run {i + 1}':>9}" for i in range(len(results)))
    print(f"{'step':<14}{header}{'median':>9}")
    for row in ROWS:
        values = [times[row] for times in results]
        cells = "".join(f"{value:>8.2f}s" for value in values)
        verdict = ""
        if row == "total":
            ok = statistics.median(values) <= target
            verdict = f"  target <= {target:.0f} s " + ("ok" if ok else "OVER")
        print(f"{row:<14}{cells}{statistics.median(values):>8.2f}s{verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    with tempfile.TemporaryDirectory(prefix="bench-bake-") as scratch:
        scratch = Path(scratch)
        template = scratch / "template"
        shutil.copytree(TEMPLATE, template, ignore=CLUTTER)
        home = scratch / "home"  # shared caches; no cookiecutter config of the user's
        home.mkdir()
        fresh_path = os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "uv").exists()
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
        env.update(HOME=str(home), PATH=fresh_path)
        env.pop("XDG_CACHE_HOME", None)
        (scratch / "warm-up").mkdir()
        bake(template, scratch / "warm-up", env)  # fills pip's and uv's caches; not timed

        fetched = home / ".cache" / "bootstrap-uv"
        uv_bin = scratch / "uv-bin"
        uv_bin.mkdir()
        shutil.copy2(next(fetched.glob("*/bin/uv")), uv_bin / "uv")
        with_uv = {**env, "PATH": os.pathsep.join([str(uv_bin), fresh_path])}

        def forget_fetched_uv():
            shutil.rmtree(fetched, ignore_errors=True)

        _, without = bake_runs(template, scratch, "without", env, runs, forget_fetched_uv)
        project, with_ = bake_runs(template, scratch, "with", with_uv, runs)
        suite = [time_suite(project) for _ in range(runs)]

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"default bake (setup=venv, run_tests=yes), {runs} runs each, warm package caches")
    print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)")
    print_table(
        "without uv on PATH (a fresh machine: uv fetched, then installs)",
        without,
        TARGETS["without uv"],
    )
    print_table("with uv on PATH", with_, TARGETS["with uv"])
    median = statistics.median(suite)
    cells = "".join(f"{value:>8.2f}s" for value in suite)
    verdict = "ok" if median <= TARGETS["everyday suite"] else "OVER"
    print(f"\n{'everyday suite':<14}{cells}{median:>8.2f}s  target <= 8 s {verdict}")
    print(f"(the everyday suite alone, -m '{everyday(project)}', serial, in the last project)")


if __name__ == "__main__":
    main()
