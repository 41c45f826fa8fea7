"""The Dockerfile and compose.yaml: slim, non-root, no secrets, the services each answer needs.

Most bakes use `setup: skip`: these tests read files. No Docker engine runs here: the build context
is computed from `.dockerignore`'s rules, and `docker compose config` validates without one where the compose
plugin exists; the files are parsed and checked either way.
"""

import os
import re
import shutil
import subprocess

import pytest
import yaml

from .conftest import project_env

SECRET_WORDS = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY", re.IGNORECASE)


def dockerfile_instructions(project):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (project / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_a_slim_non_root_image_with_collected_static_files(bake):
    project = bake()
    steps = dockerfile_instructions(project)
    kinds = [kind for kind, _ in steps]

    assert steps[0] == ("FROM", "python:3.11-slim")
    user = [args for kind, args in steps if kind == "USER"][-1]
    assert user not in ("root", "0") and kinds.index("USER") < kinds.index("CMD")
    assert [args for kind, args in steps if kind == "RUN" and "collectstatic --noinput" in args]
    cmd = [args for kind, args in steps if kind == "CMD"][-1]
    assert '"gunicorn"' in cmd and '"config.wsgi"' in cmd


def test_no_secret_is_baked_into_the_image(bake):
    project = bake()
    steps = dockerfile_instructions(project)

    baked = [args for kind, args in steps if kind in ("ENV", "ARG") and SECRET_WORDS.search(args)]
    assert baked == []


def dockerignore_rules(project):
    """(excludes, regex) per .dockerignore line, as Docker reads them: `*` and `?` within one
    path segment, `**` across segments, a leading `!` re-includes, the last matching rule wins."""
    rules = []
    for line in (project / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").lstrip("/"))
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = regex.replace(r"\[", "[").replace(r"\]", "]")
        rules.append((excludes, re.compile(regex)))
    return rules


def build_context(project):
    """The files `COPY . .` takes: a path is left out when a rule matches it or a parent folder."""
    rules = dockerignore_rules(project)
    context = set()
    for path in project.rglob("*"):
        if path.is_dir():
            continue
        relative = path.relative_to(project).as_posix()
        parts = relative.split("/")
        candidates = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
        excluded = False
        for excludes, regex in rules:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                excluded = excludes
        if not excluded:
            context.add(relative)
    return context


def test_the_build_context_holds_what_git_tracks_and_no_local_file(bake):
    # Generated with its setup (.env, tokens, Postman collection, database, logs), then used.
    project = bake()
    local = [".venv/bin/python", "tasks/__pycache__/models.cpython-311.pyc", "staticfiles/a.css"]
    local += [".env.local", "db.sqlite3-journal", "logs/api.log", "bootstrap.log", ".hypothesis/x"]
    for name in local:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("local")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    tracked = subprocess.run(
        [*git, "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()

    context = build_context(project)

    assert {".env", "tokens.local.json", "postman_collection.json", "db.sqlite3"} <= {
        path.name for path in project.iterdir()
    }
    assert context == set(tracked)
    assert {"manage.py", "config/settings.py", ".env.example"} <= context


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize("cache", ["locmem", "redis"])
def test_compose_runs_the_app_with_the_chosen_services(bake, database, cache):
    project = bake(database=database, cache=cache, setup="skip")
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    services = compose["services"]

    expected = {"migrate", "app", "db", "redis"}
    expected -= set() if database == "postgresql" else {"db"}
    expected -= set() if cache == "redis" else {"redis"}
    assert set(services) == expected
    app = services["app"]
    assert app["env_file"] == ".env"
    assert app["ports"] == ["127.0.0.1:8000:8000"]  # loopback only, behind a TLS proxy
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name, service in services.items():
        assert "ports" not in service or name == "app", f"{name} is published"
        assert name == "migrate" or service["healthcheck"]["test"], name
    if database == "postgresql":
        assert services["db"]["image"].startswith("postgres:")
        assert app["environment"]["DATABASE_URL"].startswith("postgres://postgres:")
        assert "@db:5432/task_manager" in app["environment"]["DATABASE_URL"]
        assert app["depends_on"]["db"] == {"condition": "service_healthy"}
    else:
        assert app["environment"]["DATABASE_URL"] == "sqlite:////app/data/db.sqlite3"
    if cache == "redis":
        assert services["redis"]["image"].startswith("redis:")
        assert app["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert app["depends_on"]["redis"] == {"condition": "service_healthy"}
    else:
        assert "REDIS_URL" not in app["environment"]


def compose_plugin():
    docker = shutil.which("docker")
    if not docker:
        return None
    found = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    return docker if found.returncode == 0 else None


@pytest.mark.skipif(not compose_plugin(), reason="docker compose plugin not installed")
def test_docker_compose_accepts_the_file(bake):
    project = bake(database="postgresql", cache="redis", setup="skip")

    env = {**project_env(), "POSTGRES_PASSWORD": "compose-config-check"}
    result = subprocess.run(
        [compose_plugin(), "compose", "config", "--quiet"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
