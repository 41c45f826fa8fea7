"""Request and security logging: one line per request, no secrets, no forged lines."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from api_layer.testing import PASSWORD
from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

FORGED = "2026-01-01 00:00:00,000 INFO api.requests GET /api/forged/ 200 user=1"


def request_lines(path):
    return [line for line in path.read_text().splitlines() if " api.requests " in line]


def test_one_line_per_request_with_who_what_and_outcome(log_to_file, alice, alice_client):
    log_file = log_to_file()

    alice_client.get(ITEMS)

    [line] = request_lines(log_file)
    assert f" INFO api.requests GET {ITEMS} 200 " in line
    assert f"user={alice.pk} ip=127.0.0.1 " in line
    assert line.endswith("ms")


@pytest.mark.parametrize(
    ("path", "status"),
    [(ITEMS, 401), ("/api/test/forbidden/", 403), ("/api/test/throttled/", 429)],
)
def test_security_events_are_warnings(log_to_file, path, status):
    log_file = log_to_file()

    Client(raise_request_exception=False).get(path)

    [line] = request_lines(log_file)
    assert f" WARNING api.requests GET {path} {status} user=anon ip=127.0.0.1 " in line


def test_json_format_gives_one_object_per_line(log_to_file, alice, alice_client):
    log_file = log_to_file("json")

    alice_client.get(ITEMS)
    alice_client.get(f"{ITEMS}%0A{{}}/")

    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    requests = [entry for entry in entries if entry["logger"] == "api.requests"]
    assert [(entry["path"], entry["status"]) for entry in requests] == [
        (ITEMS, 200),
        (f"{ITEMS}\n{{}}/", 404),
    ]
    assert requests[0]["method"] == "GET"
    assert requests[0]["user"] == str(alice.pk)
    assert requests[0]["ip"] == "127.0.0.1"
    assert requests[0]["level"] == "INFO"
    assert isinstance(requests[0]["duration_ms"], float)


def test_tokens_and_passwords_are_never_logged(log_to_file, api_client, alice):
    log_file = log_to_file()

    token = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api_client.get(f"{ITEMS}?token={token}&password={PASSWORD}")
    api_client.credentials(HTTP_AUTHORIZATION="Token guessed-token-value")
    api_client.get(ITEMS)

    logged = log_file.read_text()
    assert len(request_lines(log_file)) == 3
    for secret in (token, token[:8], PASSWORD, "guessed-token-value", "Authorization"):
        assert secret not in logged


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("separator", ["%0A", "%0D", "%0D%0A", "%E2%80%A8", "%1B[2K%0D"])
def test_user_text_cannot_forge_a_log_line(log_to_file, api_client, log_format, separator):
    log_file = log_to_file(log_format)

    api_client.get(f"{ITEMS}{separator}{FORGED}")

    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    assert not any(line.startswith("2026-01-01") for line in lines)
    if log_format == "json":
        assert json.loads(lines[0])["path"].endswith(FORGED)


def test_bad_host_is_one_line_without_traceback(log_to_file):
    log_file = log_to_file()

    Client().get("/api/health/", HTTP_HOST="evil.example\nforged")

    logged = log_file.read_text()
    lines = logged.splitlines()
    assert "Traceback" not in logged
    assert len([line for line in lines if "django.security.DisallowedHost" in line]) == 1
    assert len(request_lines(log_file)) == 1
    assert not any(line.startswith("forged") for line in lines)


def test_log_file_rotates_at_its_size_bound(log_to_file, api_client):
    log_file = log_to_file(max_bytes=1_000)

    for _ in range(100):  # about 10 KB of lines: more than the file and its 5 backups hold
        api_client.get("/api/health/")

    kept = sorted(path.name for path in log_file.parent.iterdir())
    assert kept == ["api.log", "api.log.1", "api.log.2", "api.log.3", "api.log.4", "api.log.5"]
    assert all((log_file.parent / name).stat().st_size <= 1_000 for name in kept)


def test_console_destination_writes_no_file(log_to_file, api_client, capsys):
    log_file = log_to_file(destination="console")

    api_client.get("/api/health/")

    assert not log_file.exists()
    assert "GET /api/health/ 200 user=anon" in capsys.readouterr().err


def test_console_and_file_destination_writes_both(log_to_file, api_client, capsys):
    log_file = log_to_file(destination="console+file")

    api_client.get("/api/health/")

    assert "GET /api/health/ 200 user=anon" in capsys.readouterr().err
    assert len(request_lines(log_file)) == 1


@pytest.mark.parametrize(("destination", "log_format"), [("syslog", "text"), ("file", "xml")])
def test_unknown_destination_or_format_is_refused(log_to_file, destination, log_format):
    with pytest.raises(ImproperlyConfigured, match="LOG_DESTINATION must be one of"):
        log_to_file(log_format, destination=destination)
