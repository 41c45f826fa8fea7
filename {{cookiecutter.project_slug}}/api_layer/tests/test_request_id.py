"""Request ids: on every response, taken from a trusted proxy only, on every log line."""

import json
import logging
import re

import pytest
from django.test import Client

from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

GENERATED = re.compile(r"[0-9a-f]{32}")


LINE = re.compile(r"\S+ \S+ \[(?P<id>[^\]]*)\] (?P<level>\S+) (?P<logger>\S+) (?P<message>.*)")


def parsed(log_file):
    """Each text line of the log as (request id, logger, message), in order."""
    lines = [LINE.fullmatch(line) for line in log_file.read_text().splitlines()]
    return [(line["id"], line["logger"], line["message"]) for line in lines]


def line_ids(log_file):
    return [request_id for request_id, _, _ in parsed(log_file)]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/health/", 200),
        (ITEMS, 401),
        ("/api/test/forbidden/", 403),
        ("/api/no-such-route/", 404),
        ("/api/test/throttled/", 429),
        ("/api/test/crash/", 500),
        ("/not-the-api/", 404),
    ],
)
def test_every_response_carries_a_fresh_request_id(path, status):
    client = Client(raise_request_exception=False)

    first, second = client.get(path), client.get(path)

    assert first.status_code == second.status_code == status
    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert GENERATED.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_trusted_proxys_request_id_is_kept(settings, api_client):
    settings.TRUSTED_PROXY_COUNT = 1

    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID="lb-7f3a.2_b")

    assert response["X-Request-ID"] == "lb-7f3a.2_b"


def test_without_a_trusted_proxy_a_clients_request_id_is_replaced(api_client):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID="chosen-by-the-client")

    assert GENERATED.fullmatch(response["X-Request-ID"])


@pytest.mark.parametrize(
    "hostile",
    ["", "a" * 65, "id\nforged", "id\r\nSet-Cookie: x=1", "<script>", "id with spaces", "é"],
)
def test_a_malformed_request_id_is_replaced_even_from_a_trusted_proxy(
    settings, log_to_file, api_client, hostile
):
    settings.TRUSTED_PROXY_COUNT = 1
    log_file = log_to_file()

    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID=hostile)

    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert line_ids(log_file) == [response["X-Request-ID"]]


def test_every_line_of_a_request_carries_its_id_also_from_deep_in_a_view(log_to_file, api_client):
    log_file = log_to_file()

    response = api_client.get("/api/test/logs/")

    request_id = response["X-Request-ID"]
    [view_line, request_line] = parsed(log_file)
    assert view_line == (request_id, "api_layer.tests", "working on it")
    assert request_line[:2] == (request_id, "api.requests")


def test_a_500s_traceback_from_djangos_logger_carries_the_request_id(log_to_file):
    log_file = log_to_file()

    response = Client(raise_request_exception=False).get("/api/test/crash/")

    request_id = response["X-Request-ID"]
    [traceback_line, request_line] = parsed(log_file)
    assert response.status_code == 500
    assert traceback_line[:2] == (request_id, "django.request")
    assert "Traceback" in traceback_line[2]
    assert request_line[:2] == (request_id, "api.requests")


@pytest.mark.parametrize(
    ("path", "status"),
    [(ITEMS, 401), ("/api/test/forbidden/", 403), ("/api/test/throttled/", 429)],
)
def test_security_events_carry_the_request_id(log_to_file, path, status):
    log_file = log_to_file()

    response = Client(raise_request_exception=False).get(path)

    [line] = log_file.read_text().splitlines()
    assert f" WARNING api.requests GET {path} {status} " in line
    assert line_ids(log_file) == [response["X-Request-ID"]]


def test_json_lines_carry_the_request_id(settings, log_to_file, api_client):
    settings.TRUSTED_PROXY_COUNT = 1
    log_file = log_to_file("json")

    api_client.get("/api/test/logs/", HTTP_X_REQUEST_ID="from-the-proxy")
    crashed = Client(raise_request_exception=False).get("/api/test/crash/")

    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(entry["logger"], entry["request_id"]) for entry in entries] == [
        ("api_layer.tests", "from-the-proxy"),
        ("api.requests", "from-the-proxy"),
        ("django.request", crashed["X-Request-ID"]),
        ("api.requests", crashed["X-Request-ID"]),
    ]


def test_lines_outside_a_request_carry_a_dash(log_to_file):
    log_file = log_to_file()

    logging.getLogger("api_layer.tests").warning("not serving a request")

    assert line_ids(log_file) == ["-"]
