"""Security answers arrive in a baked project and take effect there; production settings pass
Django's deployment checks."""

import json

from .conftest import run

# Runs inside a baked project: requests through Django's whole stack, results printed as JSON.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client

client = Client(HTTP_HOST="localhost")
preflight = {
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization",
}
answers = {
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
    "cors": {
        origin: client.options("/api/tasks/", HTTP_ORIGIN=origin, **preflight).get(
            "Access-Control-Allow-Origin"
        )
        for origin in ("https://app.example.com", "http://localhost:8080", "http://localhost:3000")
    },
    "ngrok_status": Client(HTTP_HOST="abcd1234.ngrok-free.app").get("/api/no-such-route/").status_code,
    "anonymous_status": client.get("/api/tasks/").status_code,
}
print(json.dumps(answers))
"""


def probe(project):
    settings_module = "config.settings"
    result = run(project, "-c", PROBE, env={"DJANGO_SETTINGS_MODULE": settings_module})
    return json.loads(result.stdout.strip().splitlines()[-1]), result


def test_prompted_origins_get_cors_headers_and_others_do_not(bake):
    project = bake(cors_allowed_origins="https://app.example.com, http://localhost:8080")

    answers, _ = probe(project)

    assert answers["cors"] == {
        "https://app.example.com": "https://app.example.com",
        "http://localhost:8080": "http://localhost:8080",
        "http://localhost:3000": None,
    }


def test_ngrok_host_is_allowed_and_trusted_for_csrf_over_https(bake):
    project = bake(ngrok_host="abcd1234.ngrok-free.app")

    answers, _ = probe(project)

    assert answers["allowed_hosts"] == ["localhost", "127.0.0.1", "abcd1234.ngrok-free.app"]
    assert answers["csrf_trusted_origins"] == ["https://abcd1234.ngrok-free.app"]
    assert answers["ngrok_status"] == 404  # served, not refused as a bad Host (400)


def test_without_ngrok_host_nothing_extra_is_trusted(bake):
    answers, _ = probe(bake())

    assert answers["allowed_hosts"] == ["localhost", "127.0.0.1"]
    assert answers["csrf_trusted_origins"] == []
    assert answers["ngrok_status"] == 400


def test_prompted_log_file_receives_the_request_lines(bake):
    project = bake(log_destination="file", log_file="var/log/my api.log")

    answers, result = probe(project)

    lines = (project / "var" / "log" / "my api.log").read_text().splitlines()
    assert answers["anonymous_status"] == 401
    assert any("WARNING api.requests GET /api/tasks/ 401 user=anon" in line for line in lines)
    assert "api.requests" not in result.stderr  # file only: nothing on the console
    assert not (project / "logs").exists()


def test_console_destination_logs_to_the_console_only(bake):
    project = bake(log_destination="console")

    _, result = probe(project)

    assert "WARNING api.requests GET /api/tasks/ 401 user=anon" in result.stderr
    assert not (project / "logs").exists()


def test_deploy_checks_pass_with_the_production_environment(bake):
    project = bake(ngrok_host="abcd1234.ngrok-free.app")

    result = run(
        project,
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"DJANGO_DEBUG": "false", "DJANGO_SECURE_SSL_REDIRECT": "true"},
    )

    assert "System check identified no issues" in result.stdout
