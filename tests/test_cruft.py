"""Generated projects update with cruft: hooks are safe in cruft's temporary folders, and the
local state written at generation (`.env`, `tokens.local.json`) never shows up in an update."""

import json
import re
import shutil
import subprocess

import pytest

from .conftest import LOCAL_CLUTTER, run

pytest.importorskip("cruft", reason="cruft is in requirements-dev.txt")

README = "{{cookiecutter.project_slug}}/README.md"


def git(folder, *args):
    return subprocess.run(
        ["git", *args], cwd=folder, check=True, capture_output=True, text=True
    ).stdout


def cruft(folder, *args):
    return run(folder, "-m", "cruft", *args)


@pytest.fixture
def identity(monkeypatch):
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Template Tests")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tests@example.invalid")


def test_cruft_create_then_update_applies_changes_without_rejects_or_secrets(
    template, tmp_path, identity
):
    repo = tmp_path / "template-repo"
    shutil.copytree(template, repo, ignore=LOCAL_CLUTTER)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "template v1")
    answers = {"setup": "current", "run_tests": "no", "api_users": "demo"}

    created = cruft(
        tmp_path, "create", str(repo), "--no-input", "--extra-context", json.dumps(answers)
    )

    project = tmp_path / "task_manager"
    rendered = [line for line in created.stdout.splitlines() if "cruft" in line]
    setup = "python3 scripts/bootstrap.py --setup venv --users demo"
    assert rendered == [f"Rendered by cruft; to set the project up, in it: {setup}"]
    assert not (project / ".env").exists()  # nothing written or set up in cruft's folders
    assert not (project / "db.sqlite3").exists()
    run(project, "scripts/bootstrap.py", "--setup", "current", "--users", "demo")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "generated")
    assert git(project, "ls-files", ".env", "tokens.local.json") == ""
    env_before = (project / ".env").read_bytes()
    tokens_before = (project / "tokens.local.json").read_bytes()

    with (repo / README).open("a") as readme:
        readme.write("\nUpdated by the template.\n")
    with (repo / "{{cookiecutter.project_slug}}" / ".env.example").open("a") as example:
        example.write("# a new comment in the example\nNEW_SETTING=on\n")
    git(repo, "commit", "-qam", "template v2")
    updated = cruft(project, "update", "--skip-apply-ask")

    assert "Updated by the template." in (project / "README.md").read_text()
    assert "a new comment" in (project / ".env.example").read_text()
    # Each of cruft's temporary renderings says one quiet line, no setup steps.
    noise = [line for line in updated.stdout.splitlines() if "bootstrap" in line or "==>" in line]
    assert noise and all(line.startswith("Rendered by cruft; ") for line in noise), updated.stdout
    assert list(project.rglob("*.rej")) == []
    assert (project / ".env").read_bytes() == env_before
    assert (project / "tokens.local.json").read_bytes() == tokens_before
    changed = git(project, "status", "--porcelain", "--untracked-files=all").split()
    assert sorted(changed[1::2]) == [".cruft.json", ".env.example", "README.md"]
    own_secrets = [
        line.split("=", 1)[1]
        for line in env_before.decode().splitlines()
        if line.startswith("DJANGO_SECRET_KEY=")
    ]
    own_secrets += json.loads(tokens_before).values()
    for tracked in git(project, "ls-files").split():
        text = (project / tracked).read_text(encoding="utf-8")
        assert not re.search(r"DJANGO_SECRET_KEY=[\w-]{40,}", text), tracked  # no fresh secret
        assert not [secret for secret in own_secrets if secret in text], tracked

    # The setup command, run again as the README says, brings the new setting into .env.
    again = run(project, "scripts/bootstrap.py", "--setup", "current", "--users", "demo")
    assert "new in .env.example, added with its values: NEW_SETTING" in again.stdout
    env_after = (project / ".env").read_text()
    assert env_after.startswith(env_before.decode()) and env_after.endswith("NEW_SETTING=on\n")
