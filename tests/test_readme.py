"""The README's two commands are the ones CI runs and the ones that work."""

import re
import subprocess
import sys

from .conftest import TEMPLATE

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
    command = fenced_commands()[0].replace("~/projects", str(tmp_path / "projects"))
    # The install half is what a fresh machine needs; here cookiecutter is installed already.
    bake_command = command.split("&&", 1)[1].strip()

    result = subprocess.run(
        bake_command,
        shell=True,  # the README's own command line, as a user types it
        cwd=template,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "projects" / "task_manager" / "manage.py").is_file()
