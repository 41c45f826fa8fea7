"""The README's two commands are the ones CI runs and the ones that work."""

import re
import subprocess
from pathlib import Path

from .conftest import TEMPLATE, project_env

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")


def fenced_commands():
    return re.findall(r"```bash\n(.+?)\n```", README, re.DOTALL)


def test_readme_opens_with_the_generate_and_test_commands():
    generate, test = fenced_commands()[:2]

    assert "cookiecutter --no-input" in generate
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_exactly():
    test_command = fenced_commands()[1]

    ci_lines = (TEMPLATE / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_generate_command_bakes_the_default_project(template, tmp_path):
    # As written, with the machine's own Python (Debian's here) and a fresh home: the venv, the
    # install and the bake. The user's cache and pip configuration stay (a warm, local index).
    result = subprocess.run(
        fenced_commands()[0],
        shell=True,  # the README's own command line, as a user types it
        cwd=template,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={
            **project_env(),  # this machine's proxy and certificate settings among them
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": str(Path.home() / ".cache"),
            "XDG_CONFIG_HOME": str(Path.home() / ".config"),
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "projects" / "task_manager"
    assert (project / "manage.py").is_file()
    assert re.search(r"^    \d+ passed", result.stdout, re.MULTILINE), result.stdout
