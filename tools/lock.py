"""Write the generated project's locks from its pyproject.toml: every transitive version, hashed.

    python3 tools/lock.py          # after any change to the dependencies (a merge included)

For each database answer, `uv pip compile` resolves the pinned dependencies (`--universal`: one
lock for every platform and Python 3.11+, markers kept) into three locks, each the one before
plus an extra, with the same versions throughout:

    requirements/app.lock      the dependencies (the Dockerfile)
    requirements/test.lock     + the `test` extra (the bootstrap, CI's test job)
    requirements/browser.lock  + the `browser` extra (CI's browser job)

Lines only a PostgreSQL project needs are wrapped in the template's `{% if %}`. Each lock's
header records a fingerprint of the dependency lists it was made from: tests/test_lock.py fails,
naming this command, when pyproject.toml has changed since. Needs uv (requirements-dev.txt) and
the package index (or uv's cache: `--offline` is tried first).
"""

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

TEMPLATE_PROJECT = Path(__file__).resolve().parent.parent / "{{cookiecutter.project_slug}}"
PYPROJECT = TEMPLATE_PROJECT / "pyproject.toml"
LOCKS = {"app": [], "test": ["test"], "browser": ["test", "browser"]}
POSTGRESQL = "cookiecutter.database == 'postgresql'"
JINJA_IF = re.compile(r"\{%\s*if (.+?)\s*%\}(.*?)\{%\s*endif\s*%\}", re.DOTALL)
JINJA = re.compile(r"\{\{.*?\}\}")


def pyproject_for(database):
    """The template's pyproject.toml as a bake with this `database` answer renders it."""
    text = PYPROJECT.read_text(encoding="utf-8")
    text = JINJA_IF.sub(
        lambda m: m[2] if database == "postgresql" and m[1] == POSTGRESQL else "", text
    )
    return JINJA.sub("x", text)


def fingerprint():
    """What the locks are made from: the dependency lists of every variant."""
    lists = {}
    for database in ("sqlite", "postgresql"):
        project = tomllib.loads(pyproject_for(database))["project"]
        lists[database] = [project["dependencies"], project["optional-dependencies"]]
    return hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()[:16]


def compile_lock(folder, extras, constraint=None):
    uv = shutil.which("uv") or sys.exit("uv is not on PATH: pip install -r requirements-dev.txt")
    command = [uv, "pip", "compile", "pyproject.toml", "--universal", "--generate-hashes"]
    command += ["--python-version", "3.11", "--no-header", "--no-annotate", "--quiet"]
    command += [f"--extra={extra}" for extra in extras]
    command += ["--constraint", constraint] if constraint else []
    for mode in (["--offline"], []):
        result = subprocess.run(
            [*command, *mode], cwd=folder, capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return result.stdout
    sys.exit(f"uv pip compile failed:\n{result.stderr}")


def blocks(lock):
    """{requirement line: that line and its hash lines}: a package can appear twice, one version
    per Python range (`deprecated==1.3.1 ; python_full_version < '3.12'`, then `==3.0.1 ; ...`)."""
    return {block.split("\n", 1)[0]: block for block in re.split(r"\n(?=\S)", lock.strip())}


def merged(sqlite, postgresql):
    """One lock for both answers: lines only PostgreSQL needs inside the template's `if`."""
    common, only_pg = blocks(sqlite), blocks(postgresql)
    out = []
    for line in sorted(common | only_pg, key=str.lower):
        if line in common:
            if only_pg.get(line, common[line]) != common[line]:
                sys.exit(f"{line} has other hashes with PostgreSQL: not supported here")
            if line not in only_pg:
                sys.exit(f"{line} is not in the PostgreSQL resolution: not supported here")
            out.append(common[line])
        else:
            out.append(f"{{% if {POSTGRESQL} -%}}\n{only_pg[line]}\n{{% endif -%}}")
    return "\n".join(out) + "\n"


def main():
    resolved = {}
    for database in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "pyproject.toml").write_text(pyproject_for(database), encoding="utf-8")
            widest = compile_lock(folder, LOCKS["browser"])
            Path(folder, "widest.txt").write_text(widest, encoding="utf-8")
            resolved[database] = {
                kind: compile_lock(folder, extras, constraint="widest.txt")
                for kind, extras in LOCKS.items()
            }
    (TEMPLATE_PROJECT / "requirements").mkdir(exist_ok=True)
    for kind, extras in LOCKS.items():
        header = (
            f"# Every version the project installs{' with ' + ' and '.join(extras) if extras else ''}"
            f", hashed. Do not edit:\n# the template's `python3 tools/lock.py` writes it from "
            f"pyproject.toml (dependencies {fingerprint()}).\n"
        )
        lock = merged(resolved["sqlite"][kind], resolved["postgresql"][kind])
        (TEMPLATE_PROJECT / "requirements" / f"{kind}.lock").write_text(header + lock)
        count = len(re.findall(r"^[\w.-]+==", lock, re.MULTILINE))
        print(f"requirements/{kind}.lock: {count} packages")


if __name__ == "__main__":
    main()
