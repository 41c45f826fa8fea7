"""The generated project's locks: every transitive version, hashed, in step with pyproject.toml.

`python3 tools/lock.py` writes them; after any change to the dependencies (a merge included) run
it again. These tests say when that is due, offline: the fingerprint of the dependency lists in
each lock's header, and every direct pin of each bake equal to its lock's version.
"""

import importlib.util
import re
import tomllib

import pytest

from .conftest import TEMPLATE

spec = importlib.util.spec_from_file_location("lock", TEMPLATE / "tools" / "lock.py")
lock_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_tool)

STALE = "the locks are stale: run `python3 tools/lock.py` and commit requirements/"
PIN = re.compile(r"^([\w.-]+)(?:\[[\w,]+\])?==([^\s;]+)", re.MULTILINE)


def locked(text):
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(text)}


def test_every_lock_was_made_from_the_current_dependency_lists():
    for kind in lock_tool.LOCKS:
        header = TEMPLATE / "{{cookiecutter.project_slug}}" / "requirements" / f"{kind}.lock"
        assert f"(dependencies {lock_tool.fingerprint()})" in header.read_text(), STALE


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_each_bake_locks_its_direct_pins_and_nothing_of_the_other_database(bake, database):
    project = bake(database=database, setup="skip")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    extras = pyproject["optional-dependencies"]

    for kind, wanted in lock_tool.LOCKS.items():
        text = (project / "requirements" / f"{kind}.lock").read_text()
        versions = locked(text)
        direct = locked(
            "\n".join(pyproject["dependencies"] + [p for e in wanted for p in extras[e]])
        )
        assert {name: versions.get(name) for name in direct} == direct, STALE
        assert ("psycopg" in versions) == (database == "postgresql")
        assert "{%" not in text
        blocks = re.split(r"\n(?=\S)", text.split("\n", 2)[2].strip())
        assert all("--hash=sha256:" in block for block in blocks)
