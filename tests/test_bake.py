"""A baked project is complete, clean and working, whatever the (valid) answers."""

import json
import re
import stat
import tempfile
import tomllib

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from .conftest import assert_suite_passed, generate, isolated_config, run

TEMPLATE_TAG = re.compile(r"\{\{\s*cookiecutter|\{%|\{#")


# Local state the post-generation hook creates: binary or not rendered from the template.
LOCAL_STATE = ("__pycache__", ".venv", "db.sqlite3")


def text_files(project):
    for path in sorted(project.rglob("*")):
        if path.is_file() and not set(LOCAL_STATE) & set(path.parts):
            yield path, path.read_text(encoding="utf-8")


def env_values(project):
    lines = (project / ".env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_default_bake_has_the_expected_layout(bake):
    project = bake()

    assert project.name == "task_manager"
    for name in ["manage.py", "pyproject.toml", ".gitignore", ".env", ".env.example", "README.md"]:
        assert (project / name).is_file(), name
    for package in ["config", "api_layer", "accounts", "tasks"]:
        assert (project / package / "__init__.py").is_file(), package
    assert sorted(path.name for path in (project / "config").glob("*.py")) == [
        "__init__.py", "asgi.py", "settings.py", "urls.py", "wsgi.py"
    ]  # fmt: skip
    for app in ["api_layer", "accounts", "tasks"]:
        assert list((project / app / "tests").glob("test_*.py")), f"{app} has no tests of its own"
    assert (project / "tasks" / "migrations" / "0001_initial.py").is_file()


def test_no_file_keeps_an_unrendered_template_tag(bake):
    project = bake(ngrok_host="abcd1234.ngrok-free.app")

    leftovers = [str(path) for path, text in text_files(project) if TEMPLATE_TAG.search(text)]
    assert leftovers == []


def test_generated_code_is_ruff_clean(bake):
    project = bake()
    lint = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]

    assert "SLF" in lint["lint"]["select"]  # no private member of a library, nor of ours
    run(project, "-m", "ruff", "check", "--no-cache", ".")
    run(project, "-m", "ruff", "format", "--check", "--no-cache", ".")


def test_django_checks_and_migrations_are_clean(bake):
    project = bake()

    run(project, "manage.py", "check", "--fail-level", "WARNING")
    run(project, "manage.py", "makemigrations", "--check", "--dry-run")


def test_generated_suite_passes(bake):
    """The README's test runs pass and leave the project's log file alone (the default
    destination, console+file, writes one): the suite logs to a file of its own, so LOG_FILE keeps
    what the app served, not test traffic nor the tracebacks of its deliberately crashing views."""
    project = bake()
    log_file = project / "logs" / "api.log"
    before = log_file.read_bytes() if log_file.exists() else None

    # The README's two runs: the everyday suite, then what it leaves out (together: everything).
    everyday = run(project, "-m", "pytest", "-q", "-p", "no:randomly", "-rs", "-m", "not slow")
    slow = run(project, "-m", "pytest", "-q", "-p", "no:randomly", "-rs", "-m", "slow")

    assert_suite_passed(everyday)
    assert_suite_passed(slow)
    assert re.search(r"\b\d+ deselected", everyday.stdout.splitlines()[-1]), everyday.stdout
    assert (log_file.read_bytes() if log_file.exists() else None) == before


def test_env_file_is_private_with_a_fresh_secret_and_admin_path_per_project(template, tmp_path):
    first = generate(template, tmp_path / "a")
    second = generate(template, tmp_path / "b")

    for project in (first, second):
        assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
        assert len(env_values(project)["DJANGO_SECRET_KEY"]) >= 50
        assert re.fullmatch(r"admin-[0-9a-f]{16}/", env_values(project)["DJANGO_ADMIN_URL"])
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ADMIN_URL"):
        assert env_values(first)[name] != env_values(second)[name]
        assert env_values(first)[name] not in (first / ".env.example").read_text()
    assert "change-me" in (first / ".env.example").read_text()
    assert "\nDJANGO_ADMIN_URL=\n" in (first / ".env.example").read_text()  # empty: no admin


def test_secrets_and_local_state_are_git_ignored(bake):
    ignored = (bake() / ".gitignore").read_text().splitlines()

    for entry in [".env", "tokens.local.json", "db.sqlite3", ".venv/", "logs/"]:
        assert entry in ignored


def test_answers_arrive_in_env_file(bake):
    project = bake(
        user_throttle_rate="7/hour",
        anon_throttle_rate="3/m",
        cors_allowed_origins="https://app.example.com, http://localhost:8080",
        ngrok_host="abcd1234.ngrok-free.app",
        log_destination="file",
        log_file="var/log/my.log",
    )

    values = env_values(project)
    assert values["THROTTLE_USER_RATE"] == "7/hour"
    assert values["THROTTLE_ANON_RATE"] == "3/m"
    assert values["CORS_ALLOWED_ORIGINS"] == "https://app.example.com,http://localhost:8080"
    assert values["DJANGO_ALLOWED_HOSTS"] == "localhost,127.0.0.1,abcd1234.ngrok-free.app"
    assert values["LOG_DESTINATION"] == "file"
    assert values["LOG_FILE"] == "var/log/my.log"


TRICKY_TEXT = [
    "He said \"hi\" \\ and 'bye'",
    "';print('INJECTED')#",
    '"""; import os; os.system("echo INJECTED") #',
    "Ünïcødé 任务 API 🚀",
    "back\\slash\\n not a newline",
]


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_free_text_answers_arrive_intact_and_run_no_code(bake, capfd, text):
    project = bake(project_name="Tricky", description=text, author_name=text)

    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == text
    assert metadata["authors"] == [{"name": text}]
    assert text in (project / "README.md").read_text(encoding="utf-8")
    assert "INJECTED" not in capfd.readouterr().out


def test_hooks_leave_no_rendered_copy_with_the_answers(template, tmp_path, monkeypatch):
    hook_temp = tmp_path / "hook-temp"
    hook_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(hook_temp))

    generate(template, tmp_path / "bake", description="marker-4f1c9a answer")

    leftovers = [
        p for p in hook_temp.rglob("*") if p.is_file() and "marker-4f1c9a" in p.read_text()
    ]
    assert leftovers == []


def python_files(project):
    """{relative path: text} of every Python file in a baked project."""
    return {
        str(path.relative_to(project)): path.read_text(encoding="utf-8")
        for path in sorted(project.rglob("*.py"))
        if not set(LOCAL_STATE) & set(path.parts)
    }


def test_the_slug_names_no_python_file_or_import(bake):
    """The slug names the folder, distribution, database and image: no Python code uses it."""
    default = bake()
    other = bake(project_name="Acme Planner", project_slug="acme_api")

    assert other.name == "acme_api"
    assert python_files(default) == python_files(other)
    for project, slug in [(default, "task_manager"), (other, "acme_api")]:
        naming = [name for name, text in python_files(project).items() if slug in text]
        assert naming == [], f"{slug} named in {naming}"
    pyproject = (other / "pyproject.toml").read_text()
    assert 'name = "acme_api"' in pyproject
    assert 'DJANGO_SETTINGS_MODULE = "config.settings"' in pyproject
    assert "THROTTLE_KEY_PREFIX=acme_api-throttle" in (other / ".env").read_text()
    run(other, "manage.py", "check")


@pytest.mark.parametrize("slug", ["config", "tasks", "api_layer", "json", "test"])
def test_a_slug_equal_to_a_module_name_shadows_nothing(bake, slug):
    project = bake(project_slug=slug)

    assert project.name == slug
    run(project, "manage.py", "check")


def test_replayed_answers_are_validated_too(template, tmp_path, capfd):
    """A replay file bypasses cookiecutter's choice check; the hook still refuses the value."""
    context = json.loads((template / "cookiecutter.json").read_text())
    answers = {
        key: (value[0] if isinstance(value, list) else value) for key, value in context.items()
    }
    answers.update(project_slug="replayed", database="mysql", setup="current", run_tests="no")
    answers.pop("__prompts__")
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"cookiecutter": answers}))
    (tmp_path / "out").mkdir()

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(template),
            replay=str(replay),
            output_dir=str(tmp_path / "out"),
            config_file=isolated_config(tmp_path),
        )

    assert "ERROR: database: 'mysql' is not valid" in capfd.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []
