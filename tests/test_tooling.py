"""The generated project comes with its own tooling: CI workflow, pre-commit, editor settings."""

import pytest
import yaml

from .conftest import TEMPLATE

TEMPLATE_PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"


def workflow(project):
    return yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())


def step_commands(job):
    return [step.get("run", "") for step in job["steps"]]


@pytest.mark.parametrize(
    ("database", "cache", "services"),
    [
        ("sqlite", "locmem", set()),
        ("postgresql", "locmem", {"postgres"}),
        ("sqlite", "redis", {"redis"}),
        ("postgresql", "redis", {"postgres", "redis"}),
    ],
)
def test_ci_workflow_tests_checks_and_starts_only_the_chosen_services(
    bake, database, cache, services
):
    job = workflow(bake(database=database, cache=cache))["jobs"]["test"]

    commands = "\n".join(step_commands(job))
    assert "python -m pytest" in commands
    assert "manage.py check --deploy --fail-level WARNING" in commands
    assert "manage.py makemigrations --check" in commands
    assert "ruff check" in commands
    assert set(job.get("services", {})) == services
    assert ("DATABASE_URL" in job["env"]) == (database == "postgresql")
    assert ("REDIS_URL" in job["env"]) == (cache == "redis")


def test_ci_runs_every_test_with_missing_services_as_failures_and_a_real_browser(bake):
    jobs = workflow(bake(database="postgresql", cache="redis"))["jobs"]

    assert jobs["test"]["env"]["REQUIRE_SERVICES"] == "1"
    assert jobs["browser"]["env"]["REQUIRE_SERVICES"] == "1"
    browser_steps = "\n".join(step_commands(jobs["browser"]))
    assert "apt-get install -y --no-install-recommends chromium" in browser_steps
    assert jobs["browser"]["container"].startswith("python:3.11-")  # Debian: its chromium
    assert "pytest -m browser" in browser_steps
    assert 'pytest -m "not browser"' in "\n".join(step_commands(jobs["test"]))


def test_deploy_check_step_runs_with_production_settings(bake):
    job = workflow(bake())["jobs"]["test"]

    deploy = next(step for step in job["steps"] if "--deploy" in step.get("run", ""))
    assert deploy["env"]["DJANGO_DEBUG"] == "false"
    assert deploy["env"]["DJANGO_SECURE_SSL_REDIRECT"] == "true"


def test_pre_commit_config_has_no_jinja_so_autoupdate_can_rewrite_it():
    text = (TEMPLATE_PROJECT / ".pre-commit-config.yaml").read_text()

    assert "{" + "{" not in text and "{" + "%" not in text
    hooks = {hook["id"] for repo in yaml.safe_load(text)["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "trailing-whitespace", "end-of-file-fixer"} <= hooks


def test_editorconfig_is_generated(bake):
    assert "root = true" in (bake() / ".editorconfig").read_text()
