"""The post-generation hook: from answers to a tested, running API with tokens, in one command.

Every bake here but one uses `setup: current` (the interpreter running pytest has the project's
dependencies); `test_venv_setup_answers_with_a_tested_running_api` is the one end-to-end `venv`
bake. Failures are simulated for real: a package index on a closed (or silent) loopback port with
an empty cache, PostgreSQL on a closed port, a failing test in the bundled suite.
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .conftest import (
    LOCAL_CLUTTER,
    TEMPLATE,
    free_port,
    generate,
    isolated_config,
    project_env,
    run,
    running_server,
)
from .services import postgres

SUITE_STEPS = {"start_test_suite", "run_test_suite"}
STEPS = [
    "write_env_file",
    "set_up_environment",
    "start_test_suite",  # the everyday suite runs beside the next three steps
    "migrate",
    "create_api_users",
    "export_postman_collection",
    "run_test_suite",
    "print_next_steps",
]


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    """The hook's commands inherit this process's environment: none of our own variables."""
    for key in list(os.environ):
        if key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "PYTEST_XDIST")):
            monkeypatch.delenv(key)


def steps_run(output):
    return re.findall(r"^==> (\w+)$", output, re.MULTILINE)


def read_tokens(project):
    return json.loads((project / "tokens.local.json").read_text())


def read_env(project):
    lines = (project / ".env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def status_with_token(base_url, token, method="GET", body=None):
    request = urllib.request.Request(
        f"{base_url}/api/tasks/",
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def assert_tokens_work(project, python, tokens):
    with running_server(project, python) as base_url:
        for token in tokens.values():
            assert status_with_token(base_url, token) == 200
            assert status_with_token(base_url, token, "POST", {"title": "First task"}) == 201
        assert status_with_token(base_url, "0" * 64) == 401


def finish_command(stderr):
    """The command a failure message says finishes the setup (after `cd <project> && `)."""
    line = stderr.strip().splitlines()[-1]
    assert " && " in line, stderr
    return shlex.split(line.split(" && ", 1)[1])


def assert_one_line_failure(stderr, step, reason, finish="scripts/bootstrap.py"):
    failures = [line for line in stderr.splitlines() if line.startswith("FAILED")]
    assert len(failures) == 1, stderr
    assert failures[0].startswith(f"FAILED {step}: "), stderr
    assert reason in failures[0], stderr
    assert "Traceback" not in stderr
    assert finish in stderr.strip().splitlines()[-1], stderr


def assert_project_on_disk(project):
    for name in ["manage.py", "pyproject.toml", ".env", "scripts/bootstrap.py"]:
        assert (project / name).is_file(), name


# --- Each setup mode ----------------------------------------------------------------------------


def warm_uv_cache(folder):
    """Put the generated project's locked packages in uv's cache (from the index if need be)."""
    uv = shutil.which("uv")
    assert uv, "uv is not on PATH: pip install -r requirements-dev.txt"
    text = (TEMPLATE / "{{cookiecutter.project_slug}}" / "requirements" / "test.lock").read_text()
    lock = folder / "test.lock"
    folder.mkdir(parents=True)
    lock.write_text(re.sub(r"^\{%.*%\}\n", "", text, flags=re.MULTILINE))  # every option's
    subprocess.run([uv, "venv", "--quiet", folder / "venv"], check=True)
    python = folder / "venv" / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, "-r", lock], check=True)


def test_venv_setup_answers_with_a_tested_running_api(bake, capfd, tmp_path, monkeypatch):
    warm_uv_cache(tmp_path / "warm-up")
    monkeypatch.setenv("UV_OFFLINE", "1")  # no network: the warm package cache is enough

    project = bake(
        setup="venv", run_tests="yes", api_users="demo,alice", ngrok_host="abcd1234.ngrok-free.app"
    )

    out = capfd.readouterr().out
    assert steps_run(out) == STEPS
    assert len(re.findall(r"^    done in \d+\.\d\d s$", out, re.MULTILINE)) == len(STEPS)
    python = project / ".venv" / "bin" / "python"
    assert python.is_file()
    # pytest adds "(h:mm:ss)" to a run over a minute (a loaded machine).
    assert re.search(r"^    \d+ passed.* in [\d.]+s( \(\d+:\d\d:\d\d\))?$", out, re.MULTILINE), out
    assert "ngrok http --url=abcd1234.ngrok-free.app 8000" in out
    tokens = read_tokens(project)
    assert set(tokens) == {"demo", "alice"}
    assert (
        f'curl -H "Authorization: Token {tokens["demo"]}" http://127.0.0.1:8000/api/auth/me/' in out
    )
    assert_tokens_work(project, python, tokens)


def test_current_setup_uses_this_python(bake, capfd):
    project = bake(setup="current", run_tests="no")  # the suite's step: the venv test above

    out = capfd.readouterr().out
    assert steps_run(out) == [step for step in STEPS if step not in SUITE_STEPS]
    assert f"using {sys.executable}" in out
    assert not (project / ".venv").exists()
    assert set(read_tokens(project)) == {"demo"}


def test_final_message_gives_the_admins_random_address_from_env(bake, capfd):
    project = bake(setup="current", run_tests="no")

    out = capfd.readouterr().out
    path = read_env(project)["DJANGO_ADMIN_URL"]
    assert out.count(f"http://127.0.0.1:8000/{path}") == 1
    assert "manage.py createsuperuser" in out


def test_skip_setup_writes_files_only_and_says_how_to_finish(bake, capfd):
    project = bake(setup="skip", run_tests="yes")

    out = capfd.readouterr().out
    assert steps_run(out) == ["write_env_file", "print_next_steps"]
    assert "python3 scripts/bootstrap.py --setup venv --users demo --run-tests" in out
    assert (project / ".env").is_file()
    for state in [".venv", "db.sqlite3", "tokens.local.json"]:
        assert not (project / state).exists(), state


def test_no_api_users_means_no_tokens_file(bake, capfd):
    project = bake(api_users="")

    assert "no API users requested" in capfd.readouterr().out
    assert not (project / "tokens.local.json").exists()


# --- Secrets: modes, git-ignore, printed once -------------------------------------------------


def test_api_users_tokens_are_private_git_ignored_and_work(bake, capfd):
    project = bake(api_users="demo,alice")

    out = capfd.readouterr().out
    tokens = read_tokens(project)
    assert set(tokens) == {"demo", "alice"}
    for token in tokens.values():
        assert token in out  # shown once, at generation
    assert mode(project / ".env") == 0o600
    assert mode(project / "tokens.local.json") == 0o600
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    for path in [".env", "tokens.local.json", "db.sqlite3", ".venv/bin/python", "logs/api.log"]:
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=project, check=False)
        assert ignored.returncode == 0, f"{path} is not git-ignored"
    assert_tokens_work(project, sys.executable, tokens)


def test_postman_collection_is_written_private_with_the_local_url_and_first_token(bake):
    project = bake(api_users="demo,alice")

    collection_file = project / "postman_collection.json"
    collection = json.loads(collection_file.read_text())
    variables = {item["key"]: item["value"] for item in collection["variable"]}
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert variables["base_url"] == "http://127.0.0.1:8000"
    assert variables["token"] == read_tokens(project)["demo"]
    assert mode(collection_file) == 0o600
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", collection_file.name], cwd=project, check=False
    )
    assert ignored.returncode == 0


def test_api_users_passwords_are_random_hashed_and_never_shown(bake, capfd):
    project = bake(api_users="demo,alice")

    out = capfd.readouterr().out
    secrets_shown = set(re.findall(r"(?<![\w/.-])[\w-]{32,}(?![\w/.-])", out))
    assert secrets_shown == set(read_tokens(project).values())  # tokens, and nothing else
    check = (
        "from django.contrib.auth import get_user_model as m;"
        "print(sorted(u.password.split('$')[0] for u in m().objects.all()),"
        " len({u.password for u in m().objects.all()}))"
    )
    hashes = run(project, "manage.py", "shell", "-c", check).stdout.splitlines()[-1]
    assert hashes == "['pbkdf2_sha256', 'pbkdf2_sha256'] 2"


# --- Idempotence ------------------------------------------------------------------------------


def test_second_run_keeps_env_and_tokens_and_adds_only_new_users(bake, capfd):
    project = bake(api_users="demo,alice")
    env_before = (project / ".env").read_bytes()
    tokens_before = read_tokens(project)
    capfd.readouterr()

    again = run(
        project, "scripts/bootstrap.py", "--setup", "current", "--users", "demo,alice,carol"
    )

    assert (project / ".env").read_bytes() == env_before
    assert "database already up to date" in again.stdout
    tokens = read_tokens(project)
    assert {name: tokens[name] for name in tokens_before} == tokens_before
    assert set(tokens) == {"demo", "alice", "carol"}
    assert tokens_before["demo"] not in again.stdout
    assert_tokens_work(project, sys.executable, tokens)


def test_an_env_from_before_the_admin_path_gets_a_random_one(bake):
    project = bake(api_users="")
    env = project / ".env"
    lines = env.read_text().splitlines()
    env.write_text("\n".join(line for line in lines if not line.startswith("DJANGO_ADMIN_URL=")))

    again = run(project, "scripts/bootstrap.py", "--setup", "current")

    assert "added with its values: DJANGO_ADMIN_URL" in again.stdout
    path = read_env(project)["DJANGO_ADMIN_URL"]
    assert re.fullmatch(r"admin-[0-9a-f]{16}/", path)
    assert f"http://127.0.0.1:8000/{path}" in again.stdout


def test_second_run_replaces_an_expired_token_in_the_tokens_file(bake):
    project = bake(api_users="demo,alice")
    before = read_tokens(project)
    expire = (
        "from django.utils import timezone; from knox.models import AuthToken; "
        "AuthToken.objects.filter(user__username='demo').update(expiry=timezone.now())"
    )
    run(project, "manage.py", "shell", "-c", expire)

    again = run(project, "scripts/bootstrap.py", "--setup", "current", "--users", "demo,alice")

    tokens = read_tokens(project)
    assert tokens["alice"] == before["alice"] and tokens["demo"] != before["demo"]
    assert f"demo: {tokens['demo']}" in again.stdout
    assert_tokens_work(project, sys.executable, tokens)


def test_baking_again_over_the_project_keeps_its_secrets(template, tmp_path, capfd):
    project = generate(template, tmp_path)
    env_before = (project / ".env").read_bytes()
    tokens_before = read_tokens(project)

    cookiecutter(
        str(template),
        no_input=True,
        extra_context={"setup": "current", "run_tests": "no"},
        output_dir=str(tmp_path / "out"),
        config_file=isolated_config(tmp_path),
        overwrite_if_exists=True,
    )

    assert (project / ".env").read_bytes() == env_before
    assert read_tokens(project) == tokens_before
    assert "has a valid token for demo: kept" in capfd.readouterr().out


# --- Failures: one line, the project stays, the printed command finishes ----------------------


def offline_index_env(tmp_path, port):
    """Package indexes on a loopback port, empty caches: nothing can be installed."""
    return {
        "UV_INDEX_URL": f"http://127.0.0.1:{port}/simple",
        "UV_CACHE_DIR": str(tmp_path / "empty-uv-cache"),
        "UV_HTTP_RETRIES": "0",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": f"http://127.0.0.1:{port}/simple",
        "PIP_CACHE_DIR": str(tmp_path / "empty-pip-cache"),
        "PIP_RETRIES": "0",
    }


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_unreachable_package_index_is_reported_and_the_project_kept(
    bake, tmp_path, capfd, monkeypatch, installer
):
    for key, value in offline_index_env(tmp_path, free_port()).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    # The uv fetched for bakes without uv on PATH lives in the user's cache: an empty one here.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    if installer == "pip":  # no uv on PATH, and pip cannot fetch it: the hook falls back to pip
        monkeypatch.setenv("PATH", "/usr/bin:/bin")

    project = bake(setup="venv", run_tests="yes")  # returns: the hook exited 0

    captured = capfd.readouterr()
    assert_one_line_failure(captured.err, "set_up_environment", f"{installer} could not install")
    assert_project_on_disk(project)
    assert steps_run(captured.out)[-1] == "set_up_environment"
    if installer == "pip":
        assert "installing with pip: no uv on PATH and pip could not fetch uv" in captured.out
    # The tool's last lines are shown, its whole output is in the project's log.
    assert "last lines of its output (all of it: bootstrap.log):" in captured.err
    log = (project / "bootstrap.log").read_text()
    assert re.search(rf"^\$ .*{installer} .*install .*\(exit [1-9]\d*\)$", log, re.MULTILINE), log


def test_unreachable_postgresql_is_reported_with_what_to_run_later(bake, capfd, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgres://postgres@127.0.0.1:{free_port()}/absent")

    project = bake(database="postgresql")

    err = capfd.readouterr().err
    assert_one_line_failure(err, "migrate", "does not answer")
    assert_project_on_disk(project)
    assert finish_command(err)[1:] == [
        "scripts/bootstrap.py",
        "--setup",
        "current",
        "--users",
        "demo",
    ]
    assert not (project / "tokens.local.json").exists()


def test_failing_bundled_test_is_reported_and_the_project_kept(
    template, tmp_path, capfd, monkeypatch
):
    # Only the broken test runs.
    monkeypatch.setenv("PYTEST_ADDOPTS", "tasks/tests/test_zz_broken.py")
    broken = tmp_path / "broken-template"
    shutil.copytree(template, broken, ignore=LOCAL_CLUTTER)
    (broken / "{{cookiecutter.project_slug}}" / "tasks" / "tests" / "test_zz_broken.py").write_text(
        "def test_broken():\n    assert 1 + 1 == 3\n"
    )

    project = generate(broken, tmp_path, run_tests="yes")

    err = capfd.readouterr().err
    assert_one_line_failure(err, "run_test_suite", "1 failed", finish="-m pytest")
    assert_project_on_disk(project)
    assert (project / "tokens.local.json").is_file()


def processes_working_in(folder):
    """Ids of the running processes whose working directory is `folder` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cwd").resolve() == folder.resolve():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_step_failing_beside_the_suite_stops_it(template, tmp_path, capfd, monkeypatch):
    # The suite would run a minute (one test that sleeps); migrate fails at once (no such folder).
    monkeypatch.setenv("PYTEST_ADDOPTS", "tasks/tests/test_zz_sleeps.py")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}")
    sleepy = tmp_path / "sleepy-template"
    shutil.copytree(template, sleepy, ignore=LOCAL_CLUTTER)
    (sleepy / "{{cookiecutter.project_slug}}" / "tasks" / "tests" / "test_zz_sleeps.py").write_text(
        "import time\n\n\ndef test_sleeps():\n    time.sleep(60)\n"
    )
    started = time.monotonic()

    project = generate(sleepy, tmp_path, run_tests="yes")

    assert time.monotonic() - started < 45
    err = capfd.readouterr().err
    assert_one_line_failure(err, "migrate", "migrate failed")
    assert_project_on_disk(project)
    assert processes_working_in(project) == []


@pytest.fixture
def ctrl_c_reaches_children():
    """As in a terminal. Where pytest runs as a shell's background job (a script, some CI),
    SIGINT is ignored and every child inherits that; a handled SIGINT is reset in a child."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_mid_install_leaves_a_project_the_printed_command_completes(
    bake, tmp_path, ctrl_c_reaches_children
):
    project = bake(setup="skip")
    with socket.socket() as silent_index:  # accepts connections, never answers
        silent_index.bind(("127.0.0.1", 0))
        silent_index.listen()
        silent_index.settimeout(60)
        env = {**project_env(), **offline_index_env(tmp_path, silent_index.getsockname()[1])}
        setup = subprocess.Popen(
            [sys.executable, "scripts/bootstrap.py", "--setup", "venv", "--users", "demo"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        connection, _ = silent_index.accept()  # uv is fetching: the install is under way
        os.killpg(setup.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's whole process group
        _, err = setup.communicate(timeout=60)
        connection.close()

    assert setup.returncode == 130
    assert_one_line_failure(err, "set_up_environment", "interrupted (Ctrl-C)")
    finish = subprocess.run(
        finish_command(err),
        cwd=project,
        env=project_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert finish.returncode == 0, finish.stderr
    assert steps_run(finish.stdout) == [s for s in STEPS if s not in SUITE_STEPS]
    assert set(read_tokens(project)) == {"demo"}


# --- PostgreSQL: the database is created when the server answers ------------------------------


def test_missing_postgresql_database_is_created_then_migrated(bake, capfd, tmp_path):
    name = f"hook_{tmp_path.name.lower().replace('-', '_')}"[:60]
    with postgres() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        try:
            project = bake(database="postgresql", project_slug=name)

            out = capfd.readouterr().out
            assert f"database {name} created at 127.0.0.1:5432" in out
            assert re.search(r"^    \d+ migrations applied$", out, re.MULTILINE), out
            tokens = read_tokens(project)
            assert_tokens_work(project, sys.executable, tokens)
            again = run(project, "scripts/bootstrap.py", "--setup", "current", "--users", "demo")
            assert f"database {name} exists" in again.stdout
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
