"""The generated README's commands work: each fenced command is run here or by a named test."""

import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from .conftest import project_env, run, running_server
from .test_foundation import recipe_commands

# Commands the README shows that other tests run as they stand (so they are not run twice here).
RUN_ELSEWHERE = {
    "python3 scripts/bootstrap.py --setup venv --users demo --run-tests": "test_post_gen.py",
    'python -m pytest -m "not slow"   # the everyday suite: seconds\n'
    "python -m pytest                 # everything, as CI runs it: half a minute more": (
        "test_bake.py::test_generated_suite_passes (not slow, then slow: everything)"
    ),
    "python manage.py collectstatic --noinput\ngunicorn config.wsgi": "test_serving.py",
    "METRICS_PORT=9100 gunicorn config.wsgi": (
        "test_serving.py::test_metrics_port_serves_every_workers_counts_and_the_api_port_none"
    ),
    "docker compose up --build   # then http://127.0.0.1:8000/api/health/": (
        "test_containers.py (no Docker engine here: the files are checked)"
    ),
    "cp deploy/kubernetes/secret.env.example deploy/kubernetes/secret.env   # then fill it in\n"
    "kubectl kustomize deploy/kubernetes   # what will be applied\n"
    "kubectl apply -k deploy/kubernetes": (
        "test_kubernetes.py (the same copy and render, validated; no cluster here)"
    ),
}
DEPLOY_CHECK = (
    "DJANGO_DEBUG=false DJANGO_SECURE_SSL_REDIRECT=true "
    "python manage.py check --deploy --fail-level WARNING"
)
ACTIVATE = "source .venv/bin/activate"
RUN_HERE = {"python manage.py migrate\npython manage.py runserver", DEPLOY_CHECK, ACTIVATE}


def bash_blocks(project):
    readme = (project / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", readme, re.DOTALL)


@pytest.fixture
def project(bake):
    return bake(project_slug="readme_api")


def test_every_readme_command_is_run_by_a_test(project):
    walkthrough, *others = sorted(bash_blocks(project), key=lambda block: "BASE=" not in block)

    assert "BASE=http://127.0.0.1:8000" in walkthrough
    # The "Add a resource" and "Delete the example" recipes are followed by test_foundation.py.
    known = set(RUN_ELSEWHERE) | RUN_HERE | set(recipe_commands(project))
    assert set(others) <= known, set(others) - known


def test_readme_curl_walkthrough_runs_against_the_server(project):
    walkthrough = next(block for block in bash_blocks(project) if "BASE=" in block)
    run(project, "manage.py", "migrate", "--no-input")

    with running_server(project, sys.executable) as base_url:
        script = walkthrough.replace("BASE=http://127.0.0.1:8000", f"BASE={base_url}")
        # Twice: a reader runs it again (a fresh account each time).
        for _ in range(2):
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script + '\necho "TOKEN=$TOKEN"'],
                cwd=project,
                env=project_env(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        token = result.stdout.rsplit("TOKEN=", 1)[-1].strip()  # curl prints no final newline

        # The README's claim about the revoked token.
        request = urllib.request.Request(
            f"{base_url}/api/tasks/", headers={"Authorization": f"Token {token}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        body = refused.value.read()  # while the server still runs: the body may not be read yet
    assert refused.value.code == 401
    assert body == b'{"error":"Invalid token."}'
    assert '"title":"Buy milk"' in result.stdout
    assert '"completed":true' in result.stdout


def test_readme_commands_run_as_written_once_the_environment_is_activated(project):
    # The bake used this interpreter (`setup: current`): a .venv that sees its packages.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", ".venv"],
        cwd=project,
        check=True,
    )
    script = f"{ACTIVATE}\npython manage.py migrate\n{DEPLOY_CHECK}"  # runserver: the test above

    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        env={**project_env(), "PATH": "/usr/bin:/bin"},  # no python of ours but the activated one
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
