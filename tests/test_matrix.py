"""Every combination of database x cache x log destination bakes clean."""

import itertools
import re

import pytest

from .conftest import run

DATABASES = ["sqlite", "postgresql"]
CACHES = ["locmem", "redis"]
LOG_DESTINATIONS = ["console+file", "console", "file"]

UNRENDERED = re.compile(r"\{\{\s*cookiecutter|\{%|\{#|cookiecutter\.")

# Traces of one answer, per file: absent from every bake that did not choose that answer.
OPTION_ONLY_TRACES = {
    ("database", "postgresql"): {
        "pyproject.toml": "psycopg",
        "compose.yaml": "postgres",
        ".env": "postgres://",
        ".github/workflows/ci.yml": "postgres",
    },
    ("cache", "redis"): {
        "compose.yaml": "redis",
        ".env": "REDIS_URL=redis",
        ".github/workflows/ci.yml": "redis",
    },
}


def text_files(project):
    for path in sorted(project.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


@pytest.mark.parametrize(
    ("database", "cache", "log_destination"),
    list(itertools.product(DATABASES, CACHES, LOG_DESTINATIONS)),
)
def test_combination_bakes_clean(bake, database, cache, log_destination):
    answers = {"database": database, "cache": cache, "log_destination": log_destination}
    # Rendering only: no database to migrate (PostgreSQL bakes would all share one), no tokens.
    project = bake(**answers, setup="skip")

    unrendered = [
        str(path.relative_to(project))
        for path in text_files(project)
        if UNRENDERED.search(path.read_text(encoding="utf-8"))
    ]
    assert unrendered == []
    for (key, value), traces in OPTION_ONLY_TRACES.items():
        for name, trace in traces.items():
            present = trace in (project / name).read_text(encoding="utf-8")
            assert present == (answers[key] == value), (
                f"{name}: {trace!r} with {key}={answers[key]}"
            )
    run(project, "-m", "ruff", "check", "--no-cache", ".")
    run(project, "-m", "ruff", "format", "--check", "--no-cache", ".")
    run(project, "manage.py", "check", "--fail-level", "WARNING")
    run(project, "manage.py", "makemigrations", "--check", "--dry-run")
