"""Bootstrap this project: `.env`, environment, database, API users with tokens, tests.

The template's post-generation hook runs this script right after generation. Run it again with the
same options whenever a step did not finish (offline, PostgreSQL down, Ctrl-C): every step keeps
what is already there (`.env`, `.venv`, the database, the users in `tokens.local.json`) and
completes the rest.

    python3 scripts/bootstrap.py --setup venv --users demo --run-tests

Only the standard library is used: this runs before the project's dependencies are installed.
"""

import argparse
import importlib.metadata
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT / ".env"
ENV_EXAMPLE = PROJECT / ".env.example"
TOKENS_FILE = PROJECT / "tokens.local.json"
POSTMAN_FILE = PROJECT / "postman_collection.json"
VENV = PROJECT / ".venv"
# Every version installed, transitive ones included, hashed (the template's tools/lock.py).
LOCK = PROJECT / "requirements" / "test.lock"
# Written last by a complete install: a .venv without it (or with other requirements) is redone.
VENV_STAMP = VENV / "bootstrap-installed.txt"
# Every tool's whole output, appended run after run (git- and docker-ignored: *.log).
LOG_FILE = PROJECT / "bootstrap.log"
# The setup step's test run: what needs no browser and starts no server of its own (pyproject.toml
# markers); `python -m pytest` runs everything.
EVERYDAY = "not browser and not slow"
# Without uv on PATH, this uv is fetched from the package index into a folder of its own.
UV_PIN = "uv==0.13.9"
UV_HOME = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bootstrap-uv"
LOCAL_URL = "http://127.0.0.1:8000"
# Lines of .env.example that .env gets with a fresh value of its own: a secret key, and a random
# path for the admin (empty in the example: no admin).
FRESH_VALUES = {
    "DJANGO_SECRET_KEY=change-me": lambda: f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}",
    "DJANGO_ADMIN_URL=": lambda: f"DJANGO_ADMIN_URL=admin-{secrets.token_hex(8)}/",
}


class StepFailed(Exception):
    """A step could not finish: `reason` is one line; `retry` is the command that completes it;
    `tail` the last lines of the failing tool's output."""

    def __init__(self, reason, retry=None, tail=()):
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.tail = tail


# --- Steps, in the order main() runs them -------------------------------------------------------


def write_env_file(options):
    """`.env` from `.env.example` with a fresh secret key and a random admin path, mode 0600.
    An existing `.env` is kept; settings `.env.example` gained since (a template update) are
    appended with their example values (an admin path: a fresh one), and named."""
    if ENV_FILE.exists():
        add_new_settings()
        return
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    missing = [placeholder for placeholder in FRESH_VALUES if placeholder not in lines]
    if missing:
        raise StepFailed(f".env.example has no line {missing[0]!r} to fill in")
    write_private(ENV_FILE, "".join(f"{with_fresh_value(line)}\n" for line in lines))
    print("    .env written with a fresh DJANGO_SECRET_KEY and admin path (mode 0600, git-ignored)")


def with_fresh_value(line):
    """The line as .env gets it: a placeholder of FRESH_VALUES filled in, any other as it is."""
    fill = FRESH_VALUES.get(line)
    return fill() if fill else line


def add_new_settings():
    def settings(text):
        lines = [line for line in text.splitlines() if "=" in line and not line.startswith("#")]
        return {line.split("=", 1)[0].strip(): line for line in lines}

    env = ENV_FILE.read_text(encoding="utf-8")
    new = {
        key: line
        for key, line in settings(ENV_EXAMPLE.read_text(encoding="utf-8")).items()
        if key not in settings(env)
    }
    if not new:
        print("    .env exists: kept as it is")
        return
    lines = [with_fresh_value(line) for line in new.values()]
    added = "\n# Added from .env.example by scripts/bootstrap.py:\n" + "\n".join(lines)
    write_private(ENV_FILE, env.rstrip("\n") + "\n" + added + "\n")
    print(f"    .env kept; new in .env.example, added with its values: {', '.join(new)}")


def set_up_environment(options):
    """`venv`: make `.venv` hold the dependencies and the test extra; `current`: check this Python.

    The lock of the dependencies and the test extra is installed (requirements/test.lock: every
    version, hashed), not the project itself: it runs from this folder (manage.py, pytest), so
    no build step and no build backend are needed, and a warm package cache installs offline.
    A `.venv` left half-made (an interrupted run, anywhere) has no stamp of a complete install:
    it is made again from scratch.
    """
    if options.setup == "current":
        check_current_python()
        return
    wanted = LOCK.read_text(encoding="utf-8")
    count = len(re.findall(r"^[\w.-]+==", wanted, re.MULTILINE))
    if venv_python().exists() and read_text(VENV_STAMP) == wanted:
        print(f"    .venv already holds the {count} locked packages: kept")
        return
    uv = find_uv()
    if not venv_python().exists() or not VENV_STAMP.exists() or not (uv or venv_has_pip()):
        create_venv(uv)
    if uv:
        install_with_uv(uv)
    else:
        run(
            [venv_python(), "-m", "pip", "install", "--quiet", "-r", LOCK],
            "pip could not install the dependencies",
        )
    VENV_STAMP.write_text(wanted, encoding="utf-8")
    print(f"    {count} locked packages ({relative(LOCK)}) installed in .venv")


def find_uv():
    """uv on PATH; else uv fetched once by pip into a folder of its own (one wheel, a few
    seconds; then every install is uv's); else None: pip installs, slowly. Said in one line."""
    uv = shutil.which("uv")
    if uv:
        print("    installing with uv (on PATH)")
        return uv
    private = UV_HOME / UV_PIN.replace("==", "-") / "bin" / "uv"
    if not private.exists():
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--target"]
        command += [private.parent.parent, UV_PIN, "--disable-pip-version-check"]
        try:
            run(command, "pip could not fetch uv")
        except StepFailed as failure:
            print(f"    installing with pip: no uv on PATH and {failure.reason}")
            return None
    print(f"    installing with uv (not on PATH: {UV_PIN} in {private.parent.parent})")
    return str(private)


def venv_has_pip():
    return (
        subprocess.run([venv_python(), "-m", "pip", "--version"], capture_output=True).returncode
        == 0
    )


def migrate(options):
    """Create the PostgreSQL database when it is missing, then apply the migrations."""
    if database_url().startswith(("postgres://", "postgresql://", "pgsql://")):
        command = [project_python(options), "scripts/bootstrap.py", "--ensure-database"]
        print(run(command, "cannot prepare the database").stdout.rstrip())
    result = run([project_python(options), "manage.py", "migrate", "--no-input"], "migrate failed")
    applied = result.stdout.count(" OK")
    print(f"    {applied} migrations applied" if applied else "    database already up to date")


def create_api_users(options):
    """Each API user gets an account (random password, never shown) and a token, printed once.

    A user whose token in `tokens.local.json` still authenticates keeps it; a missing, expired or
    revoked one is replaced (`issue_token --keep-valid` writes the file).
    """
    if not options.users:
        print("    no API users requested")
        return
    read_tokens()  # refuse a broken file before anything is issued
    command = [project_python(options), "manage.py", "issue_token", "--create", "--json"]
    command += ["--keep-valid", "--tokens-file", TOKENS_FILE.name, *options.users]
    issued = json.loads(run(command, "could not issue the API tokens").stdout.splitlines()[-1])
    kept = [name for name in options.users if name not in issued]
    if kept:
        print(f"    {TOKENS_FILE.name} has a valid token for {', '.join(kept)}: kept")
    if not issued:
        return
    print(f"    tokens written to {TOKENS_FILE.name} (mode 0600, git-ignored); shown only now:")
    for name, token in issued.items():
        print(f"      {name}: {token}")
    first = next(iter(issued.values()))
    print("    try it once the server runs:")
    print(f'      curl -H "Authorization: Token {first}" {LOCAL_URL}/api/auth/me/')


def export_postman_collection(options):
    """A Postman collection of every endpoint, with the local URL and the first token filled in."""
    command = [project_python(options), "manage.py", "export_postman"]
    run([*command, "--output", POSTMAN_FILE.name], "could not write the Postman collection")
    print(f"    {POSTMAN_FILE.name} written (holds a token: mode 0600, git-ignored)")


def start_test_suite(options):
    """Start the everyday suite now, beside the steps that follow (on another CPU): it uses a test
    database and a log file of its own, so nothing they do touches it. `run_test_suite` waits."""
    command = [project_python(options), "-m", "pytest", "-q", "-rs", "-m", EVERYDAY]
    output = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen(
        command, cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT, text=True
    )
    options.suite = (command, process, output)
    print("    the everyday suite runs beside the next steps (no browser, no slow tests)")


def run_test_suite(options):
    """Wait for the everyday suite and show its summary line.

    Left out: the browser tests (this setup installs the test extra, not the browser one; the
    generated CI runs them in a job of their own) and the slow ones (servers of their own, racing
    clients, every operation explored: half a minute more), which `python -m pytest` and CI run.
    """
    command, process, output = options.suite
    returncode = process.wait()
    output.seek(0)
    text = output.read()
    output.close()
    log(command, subprocess.CompletedProcess(command, returncode, text, ""))
    lines = text.strip().splitlines() or ["?"]
    if returncode != 0:
        for line in lines:
            if line.startswith(("FAILED ", "ERROR ")):
                print(f"    {line}")
        raise StepFailed(f"the test suite did not pass: {lines[-1]}", retry=shell_line(command))
    if not re.search(r"\b[1-9]\d* passed", lines[-1]):
        # Every test skipped (or none collected) tested nothing: that is no pass.
        raise StepFailed(f"the test suite passed no test: {lines[-1]}", retry=shell_line(command))
    print(f"    {lines[-1]}")


def print_next_steps(options):
    """How to start the server, where the tokens are, how to run the tests, ngrok for HTTPS."""
    if options.setup == "skip":
        print_manual_steps(options)
        return
    python = shell_word(relative(project_python(options)))
    print(f"    in {PROJECT}:")
    print(f"    start the API:  {python} manage.py runserver  ->  {LOCAL_URL}/api/docs/")
    if options.users:
        print(f"    API tokens:     {TOKENS_FILE.name}; expire after TOKEN_TTL_HOURS (.env)")
        print(f"    new token:      {python} manage.py issue_token {options.users[0]}")
    print(f"    Postman:        import {POSTMAN_FILE.name} (base_url and token filled in)")
    admin_url = env_value("DJANGO_ADMIN_URL")
    if admin_url:
        print(f"    admin:          {LOCAL_URL}/{admin_url.strip('/')}/  (DJANGO_ADMIN_URL)")
        print(f"    admin account:  {python} manage.py createsuperuser")
    else:
        print("    admin:          off (DJANGO_ADMIN_URL is empty in .env)")
    print(f"    run the tests:  {python} -m pytest -m 'not slow'  (everyday, seconds)")
    print(f"                    {python} -m pytest  (everything CI runs: half a minute more)")
    if options.ngrok_host:
        print(f"    over HTTPS:     ngrok http --url={options.ngrok_host} 8000")
        print(f"                    ->  https://{options.ngrok_host}/api/docs/")
        print("                    (set TRUSTED_PROXY_COUNT=1 in .env: ngrok is one proxy)")


def print_manual_steps(options):
    users = ",".join(options.users) or "demo"
    print("    setup skipped: the files and .env are written. To finish, in one command:")
    print(f"      cd {shell_word(str(PROJECT))}")
    run_tests = " --run-tests" if options.run_tests else ""
    print(f"      python3 scripts/bootstrap.py --setup venv --users {users}{run_tests}")
    print("    or by hand:")
    print(
        "      python3 -m venv .venv && .venv/bin/python -m pip install -r requirements/test.lock"
    )
    print("      .venv/bin/python manage.py migrate")
    print(f"      .venv/bin/python manage.py issue_token --create {users.replace(',', ' ')}")
    print("      .venv/bin/python manage.py export_postman")
    print("      .venv/bin/python -m pytest")


# The project's own database, users and Postman collection: the test suite needs none of them.
LOCAL_STATE = [migrate, create_api_users, export_postman_collection]


def steps(options):
    if options.setup == "skip":
        return [write_env_file, print_next_steps]
    if not options.run_tests:
        return [write_env_file, set_up_environment, *LOCAL_STATE, print_next_steps]
    return [
        write_env_file,
        set_up_environment,
        start_test_suite,
        *LOCAL_STATE,
        run_test_suite,
        print_next_steps,
    ]


# --- Helpers ------------------------------------------------------------------------------------


def write_private(path, text):
    """Write `text` to `path`, readable by the owner only from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def read_tokens():
    try:
        return json.loads(TOKENS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        raise StepFailed(f"{TOKENS_FILE.name} is not valid JSON; move it away first") from None


def venv_python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def project_python(options):
    return venv_python() if options.setup == "venv" else Path(sys.executable)


def requirements():
    """The pinned dependencies and test extra from pyproject.toml."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def check_current_python():
    missing = []
    for requirement in requirements():
        name, pinned = re.match(r"([\w.-]+)(?:\[.*\])?(?:==([^;\s]+))?", requirement).groups()
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if pinned and found != pinned:
            print(f"    note: {name} {found} here, {pinned} pinned")
    if missing:
        raise StepFailed(
            f"{sys.executable} lacks {', '.join(missing)}",
            retry=f"{shell_word(sys.executable)} scripts/bootstrap.py --setup venv",
        )
    print(f"    using {sys.executable}")


def create_venv(uv):
    clear = ["--clear"] if VENV.exists() else []  # a half-made .venv from an interrupted run
    if uv:
        command = [uv, "venv", "--quiet", *clear, "--python", sys.executable, VENV]
    else:
        command = [sys.executable, "-m", "venv", *clear, VENV]
    run(command, "could not create .venv")


def install_with_uv(uv):
    """From the package cache alone first (fast, offline), then from the package index.

    No bytecode is compiled here (uv's default): the steps that follow write it for what they
    import (main() says why), a fraction of what compiling every installed module costs.
    """
    python = ["--python", venv_python()]
    command = [uv, "pip", "install", "--quiet", *python, "-r", LOCK]
    offline = subprocess.run(
        [*command, "--offline"], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    log([*command, "--offline"], offline)
    if offline.returncode != 0:
        run(command, "uv could not install the dependencies")


def database_url():
    """DATABASE_URL as settings read it: the process environment wins over `.env`."""
    return env_value("DATABASE_URL", "sqlite:///db.sqlite3")


def env_value(name, default=""):
    """A variable as settings read it: the process environment wins over `.env`."""
    if name in os.environ:
        return os.environ[name]
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip().strip("'\"")
    return default


def ensure_database():
    """Create the configured PostgreSQL database when it is missing.

    Runs in the project's interpreter (`--ensure-database`): it needs django-environ and psycopg.
    """
    import environ
    import psycopg
    from psycopg import sql

    environ.Env.read_env(ENV_FILE, overwrite=False)
    config = environ.Env().db("DATABASE_URL")
    where = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
    try:
        connection = psycopg.connect(
            dbname="postgres",
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            connect_timeout=5,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL at {where} does not answer ({first_line(str(error))})")
    with connection:
        name = config["NAME"]
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if connection.execute(query, [name]).fetchone():
            print(f"    database {name} exists at {where}")
        else:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"    database {name} created at {where}")


def run(command, failure):
    """Run `command` in the project, its whole output logged; on a non-zero exit raise StepFailed
    with one line of why and the output's last lines."""
    try:
        result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    except OSError as error:
        raise StepFailed(f"{failure}: {error.strerror}: {command[0]}") from None
    log(command, result)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        raise StepFailed(f"{failure}: {reason(result.stderr or result.stdout)}", tail=output[-12:])
    return result


def log(command, result):
    """Append the command, its exit status and its whole output to bootstrap.log."""
    with LOG_FILE.open("a", encoding="utf-8") as handle:
        handle.write(f"\n$ {shell_line(command)}  (exit {result.returncode})\n")
        handle.write(result.stdout + result.stderr)


def read_text(path):
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def reason(output):
    """The line of a tool's output that says why: the last error line (and its root cause)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()] or ["?"]
    errors = [line for line in lines if re.match(r"(error|\w+Error\b|fatal)", line, re.IGNORECASE)]
    causes = [line for line in lines if re.match(r"(caused by|cause):", line, re.IGNORECASE)]
    why = (errors or lines)[-1]
    if causes:
        why += f" ({causes[-1].partition(':')[2].strip()})"
    return first_line(why)


def first_line(text):
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def relative(path):
    path = Path(path)
    return str(path.relative_to(PROJECT)) if path.is_relative_to(PROJECT) else str(path)


def shell_word(text):
    return shlex.quote(str(text))


def shell_line(command):
    return " ".join(shell_word(relative(part)) for part in command)


def rerun_command(options):
    """The command that completes this setup: every step keeps what is done already."""
    command = [sys.executable, "scripts/bootstrap.py", "--setup", options.setup]
    if options.users:
        command += ["--users", ",".join(options.users)]
    if options.run_tests:
        command.append("--run-tests")
    if options.ngrok_host:
        command += ["--ngrok-host", options.ngrok_host]
    return shell_line(command)


# --- Running the steps --------------------------------------------------------------------------


def run_step(step, options):
    """Print the step as it starts and its time when done; a failure ends the run in one line."""
    print(f"==> {step.__name__}", flush=True)
    started = time.perf_counter()
    try:
        try:
            step(options)
        except BaseException:
            stop_test_suite(options)
            raise
    except StepFailed as failure:
        if failure.tail:
            print(
                f"    last lines of its output (all of it: {relative(LOG_FILE)}):", file=sys.stderr
            )
            for line in failure.tail:
                print(f"      {line}", file=sys.stderr)
        stop(step, failure.reason, failure.retry or rerun_command(options))
    except KeyboardInterrupt:
        stop(step, "interrupted (Ctrl-C)", rerun_command(options), status=130)
    except Exception as error:  # noqa: BLE001 - one line for the user, not a traceback
        stop(step, f"{type(error).__name__}: {first_line(str(error))}", rerun_command(options))
    print(f"    done in {time.perf_counter() - started:.2f} s", flush=True)


def stop_test_suite(options):
    """A failed or interrupted setup leaves no test run behind it."""
    command, process, output = getattr(options, "suite", (None, None, None))
    if process and process.poll() is None:
        process.terminate()
        process.wait()
    if output:
        output.close()


def stop(step, why, retry, status=1):
    print(f"FAILED {step.__name__}: {why}", file=sys.stderr, flush=True)
    print(f"    The project is on disk in {PROJECT}; to finish, run:", file=sys.stderr)
    print(f"    cd {shell_word(str(PROJECT))} && {retry}", file=sys.stderr, flush=True)
    sys.exit(status)


def comma_separated(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=["venv", "current", "skip"], default="venv")
    parser.add_argument("--users", type=comma_separated, default=[], help="e.g. demo,alice")
    parser.add_argument("--run-tests", action="store_true")
    parser.add_argument("--ngrok-host", default="")
    parser.add_argument("--ensure-database", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    # The steps' Python processes cache the bytecode of what they import (in .venv, or the
    # current Python's packages with `--setup current`, and in the project's __pycache__ folders,
    # git- and docker-ignored), even where PYTHONDONTWRITEBYTECODE is set: each of them, and
    # every later test run, would otherwise compile Django, the test tools and pytest's
    # rewritten plugin modules afresh (seconds per run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if options.ensure_database:
        ensure_database()
        return
    for step in steps(options):
        run_step(step, options)


if __name__ == "__main__":
    main()
