"""API documentation and outside clients in a baked project: a valid schema, the answers as its
title, the browser tests really running, and the Postman collection kept out of git."""

import json
import shutil

from .conftest import TEMPLATE, run
from .services import skip_or_fail

TRICKY_NAME = 'Bob\'s "API" $HOME #1'
TRICKY_DESCRIPTION = "Ünïcødé 任务 'quoted' \\ $PATH 🚀"


def test_schema_validates_without_warnings(bake):
    project = bake()

    run(project, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "s.yml")


def test_schema_title_and_description_are_the_answers_as_given(bake):
    project = bake(project_name=TRICKY_NAME, description=TRICKY_DESCRIPTION)

    run(project, "manage.py", "spectacular", "--format", "openapi-json", "--file", "s.json")

    info = json.loads((project / "s.json").read_text(encoding="utf-8"))["info"]
    assert (info["title"], info["description"]) == (TRICKY_NAME, TRICKY_DESCRIPTION)


def test_postman_collection_is_git_ignored(bake):
    ignored = (bake() / ".gitignore").read_text().splitlines()

    assert "postman_collection.json" in ignored


def test_browser_tests_of_the_generated_suite_run_rather_than_skip(bake):
    if not shutil.which("chromium"):
        skip_or_fail("no chromium on this machine (.ci/run installs it)")
    project = bake()

    result = run(project, "-m", "pytest", "-q", "-rs", "api_layer/tests/test_browser.py")

    summary = result.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary, result.stdout


def test_ci_installs_debians_chromium():
    assert "apt-get install -y --no-install-recommends chromium" in (
        (TEMPLATE / ".ci" / "run").read_text()
    )
