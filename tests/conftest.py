"""Bake the template with cookiecutter's own API into pytest's temporary folders."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
# Tool caches in the working tree (ruff, pytest, bytecode) are not part of the template.
LOCAL_CLUTTER = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache"
)

# Bakes in these tests use the interpreter running pytest: it has the generated project's
# dependencies (requirements-dev.txt), so no bake needs to create a virtualenv of its own.
FAST_ANSWERS = {"setup": "current", "run_tests": "no"}


def isolated_config(folder):
    """A cookiecutter config whose replay and clone folders live under `folder`."""
    config = folder / "cookiecutter-config.yaml"
    config.write_text(
        f'cookiecutters_dir: "{folder / "cookiecutters"}"\nreplay_dir: "{folder / "replay"}"\n'
    )
    return str(config)


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """A copy of the template as git would check it out: what users bake."""
    copy = tmp_path_factory.mktemp("template") / "template"
    shutil.copytree(TEMPLATE, copy, ignore=LOCAL_CLUTTER)
    return copy


def generate(template, folder, **answers):
    """Bake `template` into `folder`/out with `answers` over the defaults; return the project."""
    output = folder / "out"
    output.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context={**FAST_ANSWERS, **answers},
        output_dir=str(output),
        config_file=isolated_config(folder),
    )
    return Path(project)


@pytest.fixture
def bake(template, tmp_path):
    """Bake with `answers` over the defaults; return the generated project's folder."""
    return lambda **answers: generate(template, tmp_path, **answers)


def project_env():
    """The environment a baked project's commands run in: none of our own Django variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST_"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(project, *args, check=True, env=None):
    """Run `python *args` in the baked project with the test interpreter; return the result.

    `env` adds variables to the clean environment (they win over the project's `.env`).
    """
    result = subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env={**project_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(project, python, env=None):
    """`manage.py runserver` on a free loopback port; yields the base URL once it accepts.

    `env` adds variables to the clean environment, as in `run`.
    """
    port = free_port()
    server = subprocess.Popen(
        [str(python), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env={**project_env(), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_listening(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_listening(port, server, name="runserver", seconds=30):
    """Return once `server` accepts on `port`; fail with its stderr if it exits first."""
    for _ in range(seconds * 20):  # connection attempts of 50 ms
        if server.poll() is not None:
            error = server.stderr.read()
            error = error.decode() if isinstance(error, bytes) else error
            pytest.fail(f"{name} exited: {error}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.05):
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=0.05)
    pytest.fail(f"{name} did not listen within {seconds} s")


# The one skip a baked suite may report: its browser tests, where there is no chromium (outside
# CI: with REQUIRE_SERVICES=1 they fail instead).
BROWSER_SKIP = re.compile(r"^SKIPPED .*(no browser at|Playwright is not installed)")


def assert_suite_passed(result):
    """A baked suite's run (with `-rs`) passed tests, failed none and skipped only the browser's."""
    lines = result.stdout.strip().splitlines() or [result.stderr]
    summary = lines[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b[1-9]\d* passed", summary), result.stdout
    assert not re.search("failed|error", summary), result.stdout
    skips = [line for line in lines if line.startswith("SKIPPED")]
    assert all(BROWSER_SKIP.match(line) for line in skips), "\n".join(skips)
