"""`database: postgresql` bakes a project that runs its whole suite against the real server."""

import tomllib

from .conftest import assert_suite_passed, run
from .services import scratch_databases, unique_name


def env_line(project, key):
    lines = (project / ".env").read_text(encoding="utf-8").splitlines()
    return next(line for line in lines if line.startswith(f"{key}="))


def dependencies(project):
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]


def test_postgresql_and_redis_bake_passes_its_suite_against_the_real_servers(bake):
    """The scale-out variant: PostgreSQL for data, Redis for the cache and throttle budgets."""
    # The slug names the database in .env: unique, so parallel tests never share one.
    slug = unique_name("pg")
    with scratch_databases(slug):
        project = bake(database="postgresql", cache="redis", project_slug=slug)

        assert env_line(project, "DATABASE_URL") == (
            f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/{slug}"
        )
        assert env_line(project, "REDIS_URL") == "REDIS_URL=redis://127.0.0.1:6379/0"
        run(project, "manage.py", "check", "--fail-level", "WARNING")
        run(project, "manage.py", "makemigrations", "--check", "--dry-run")
        result = run(project, "-m", "pytest", "-q", "-p", "no:randomly", "-rs")

    assert_suite_passed(result)


def test_postgresql_bake_depends_on_psycopg_and_sqlite_bake_does_not(bake):
    with_pg = bake(database="postgresql", project_slug="with_pg", setup="skip")
    without_pg = bake(database="sqlite", project_slug="without_pg", setup="skip")

    assert "psycopg[binary]==3.3.9" in dependencies(with_pg)
    assert not [pin for pin in dependencies(without_pg) if pin.lower().startswith("psycopg")]
    assert env_line(without_pg, "DATABASE_URL") == "DATABASE_URL=sqlite:///db.sqlite3"
