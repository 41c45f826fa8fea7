"""The first run: the server started as the final message says shows the docs and the admin.

A real browser (Debian's chromium through Playwright) opens `/api/docs/` and the admin's login
(at the random path the final message prints) under `runserver` exactly as the bootstrap prints it, and under gunicorn, each with the generated
`.env` and nothing else (`DJANGO_DEBUG=false`, no `collectstatic`): every operation is listed and
every asset answers 200. The generated suite cannot see this: its live server serves static files
by itself. Without a browser these tests skip, saying why; with REQUIRE_SERVICES=1 (CI) they fail.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from .conftest import FAST_ANSWERS, free_port, isolated_config, project_env, wait_until_listening

BROWSER = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def skip_or_fail(reason):
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (requirements-dev.txt)")
    if not shutil.which(BROWSER):
        skip_or_fail(f"no browser at {BROWSER} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=BROWSER, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def first_run(template, tmp_path_factory):
    """A default bake from the command line (users, Postman) and what it printed."""
    folder = tmp_path_factory.mktemp("first-run")
    output = folder / "out"
    output.mkdir()
    printed = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(output)]
        + ["--config-file", isolated_config(folder), str(template)]
        + [f"{key}={value}" for key, value in FAST_ANSWERS.items()],
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    return output / "task_manager", printed


def printed_admin_path(printed):
    """The admin's path after `admin:` in the final message (`/admin-<random>/`)."""
    line = next(line for line in printed.splitlines() if line.strip().startswith("admin:"))
    return re.search(r"http://127\.0\.0\.1:8000(/admin-[0-9a-f]{16}/)", line).group(1)


def printed_start_command(printed):
    """The command after `start the API:` in the final message."""
    line = next(line for line in printed.splitlines() if "start the API:" in line)
    return re.search(r"start the API:\s+(.+?)\s+->", line).group(1)


@contextlib.contextmanager
def serving(command, project, port):
    """Run `command` (a shell line) in the project with a clean environment until it listens."""
    server = subprocess.Popen(
        command,
        shell=True,  # the printed line, as a user pastes it
        cwd=project,
        env=project_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # runserver's autoreloader runs the server in a child process
    )
    try:
        wait_until_listening(port, server, command, seconds=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def visit(browser, url, ready):
    """Open `url`, wait for the `ready` selector; return every response's (status, URL)."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append((response.status, response.url)))
    page.goto(url)
    page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_load_state("networkidle")
    found = page.locator(ready).count()
    context.close()
    return found, responses


def assert_docs_and_admin_render(browser, base, admin_path):
    operations, docs = visit(browser, f"{base}/api/docs/", ".opblock-summary-path")
    assert operations >= 10, docs  # every endpoint of the API table
    assert docs and all(status == 200 for status, _ in docs), docs
    assert any(url.endswith(".js") for _, url in docs), docs

    _, admin = visit(browser, f"{base}{admin_path}login/", "#login-form")
    assert all(status == 200 for status, _ in admin), admin
    assert any(url.endswith(".css") for _, url in admin), admin


def test_runserver_as_printed_shows_the_docs_and_the_admin_with_their_assets(browser, first_run):
    project, printed = first_run
    assert "DJANGO_DEBUG=false" in (project / ".env").read_text()
    assert not (project / "staticfiles").exists()
    port = free_port()
    # The printed command on a free port instead of 8000, which another server may hold.
    command = f"{printed_start_command(printed)} 127.0.0.1:{port}"

    with serving(command, project, port) as base:
        assert_docs_and_admin_render(browser, base, printed_admin_path(printed))


def test_gunicorn_with_the_generated_env_shows_the_docs_and_the_admin(browser, first_run):
    project, printed = first_run
    port = free_port()
    command = f"{sys.executable} -m gunicorn config.wsgi --bind 127.0.0.1:{port}"

    with serving(command, project, port) as base:
        assert_docs_and_admin_render(browser, base, printed_admin_path(printed))
