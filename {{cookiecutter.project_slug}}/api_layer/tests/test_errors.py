"""One error envelope, `{"error": ...}`, for DRF's errors and for everything DRF never sees."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from api_layer.errors import MESSAGES
from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

# What must never reach a client: tracebacks, SQL, file paths, exception class names.
LEAKS = [
    "Traceback",
    "SELECT",
    ".py",
    str(settings.BASE_DIR),
    "RuntimeError",
    "OperationalError",
    "ProgrammingError",
    "PermissionDenied",
    "DisallowedHost",
    "RequestDataTooBig",
    "RecursionError",
    "Http404",
    "matches the given query",
]

BIG_JSON = {"data": json.dumps({"username": "x" * 5_000_000}), "content_type": "application/json"}
DEEP_JSON = "[" * 100_000 + "]" * 100_000

# (method, path, request options, expected status): every way this API can answer an error.
ERROR_REQUESTS = [
    ("get", "/api/no-such-route/", {}, 404),
    ("get", "/no-such-route/", {}, 404),
    ("get", ITEMS, {}, 401),
    ("get", ITEMS, {"HTTP_AUTHORIZATION": "Token forged"}, 401),
    ("delete", ITEMS, {}, 401),
    ("get", "/api/test/post-only/", {}, 405),
    ("get", "/api/health/", {"HTTP_HOST": "evil.example"}, 400),
    ("post", "/admin/login/", {"data": {"username": "x", "password": "y"}}, 403),
    ("get", "/api/test/forbidden/", {}, 403),
    ("get", "/api/test/crash/", {}, 500),
    ("get", "/api/test/crash-sql/", {}, 500),
    ("get", "/api/test/throttled/", {}, 429),
    ("post", "/api/auth/token/", {"data": {"username": "x"}}, 415),
    ("post", "/api/auth/token/", {"data": "{", "content_type": "application/json"}, 400),
    ("post", "/api/auth/token/", {"data": DEEP_JSON, "content_type": "application/json"}, 400),
    ("post", "/api/auth/token/", BIG_JSON, 413),
]


@pytest.fixture
def browser():
    """A client that enforces CSRF like a browser session and returns 500s instead of raising."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def assert_envelope(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    return body["error"]


def assert_no_leak(response):
    exposed = response.content.decode() + json.dumps(dict(response.headers))
    assert [leak for leak in LEAKS if leak in exposed] == []


@pytest.mark.parametrize(("method", "path", "options", "status"), ERROR_REQUESTS)
def test_every_error_is_a_json_envelope_without_internals(browser, method, path, options, status):
    response = getattr(browser, method)(path, **options)

    assert_envelope(response, status)
    assert_no_leak(response)


@pytest.mark.parametrize(
    ("method", "path", "options", "status", "message"),
    [
        ("get", "/api/no-such-route/", {}, 404, "Not found."),
        ("get", "/api/health/", {"HTTP_HOST": "evil.example"}, 400, "Bad request."),
        ("get", "/api/test/forbidden/", {}, 403, MESSAGES[403]),
        ("post", "/admin/login/", {}, 403, "CSRF verification failed."),
        ("get", "/api/test/crash/", {}, 500, "A server error occurred."),
        ("post", "/api/auth/token/", BIG_JSON, 413, "Request body too large."),
    ],
)
def test_django_error_handlers_answer_json_without_the_safety_net_middleware(
    browser, settings, method, path, options, status, message
):
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if "ErrorEnvelope" not in name]

    response = getattr(browser, method)(path, **options)

    assert assert_envelope(response, status) == message


def test_unknown_route_is_404_not_found(browser):
    response = browser.get("/api/no-such-route/")

    assert assert_envelope(response, 404) == "Not found."


def test_unknown_object_is_404_without_the_model_named(alice_client):
    response = alice_client.get(f"{ITEMS}{10**6}/")

    assert assert_envelope(response, 404) == "Not found."
    assert_no_leak(response)


def test_unknown_route_is_json_even_in_debug_mode(browser, settings):
    settings.DEBUG = True

    response = browser.get("/api/no-such-route/")

    assert assert_envelope(response, 404) == "Not found."


def test_crash_in_debug_mode_is_json_too(browser, settings):
    settings.DEBUG = True

    response = browser.get("/api/test/crash/")

    assert assert_envelope(response, 500) == "A server error occurred."


def test_wrong_method_is_405_from_drf_and_from_django(alice_client, browser):
    staff = get_user_model().objects.create_user("staff", password="pw-1234567", is_staff=True)
    browser.force_login(staff)

    drf = alice_client.delete(ITEMS)
    django = browser.get("/admin/logout/")

    assert assert_envelope(drf, 405) == 'Method "DELETE" not allowed.'
    assert assert_envelope(django, 405) == "Method not allowed."
    assert django["Allow"] == "POST, OPTIONS"
    assert int(django["Content-Length"]) == len(django.content)


def test_bad_host_is_400(browser):
    response = browser.get("/api/health/", HTTP_HOST="evil.example")

    assert assert_envelope(response, 400) == "Bad request."


def test_csrf_failure_is_403(browser):
    response = browser.post("/admin/login/", {"username": "x", "password": "y"})

    assert assert_envelope(response, 403) == "CSRF verification failed."


def test_admin_permission_denied_is_403(browser):
    staff = get_user_model().objects.create_user("staff", password="pw-1234567", is_staff=True)
    browser.force_login(staff)

    response = browser.get("/admin/auth/user/")

    assert assert_envelope(response, 403) == "You do not have permission to perform this action."


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("/api/test/crash/", "SELECT secret FROM auth_user"),
        ("/api/test/crash-sql/", "no_such_table"),
    ],
)
def test_unhandled_exception_is_a_generic_500_logged_with_traceback(
    browser, log_to_file, path, cause
):
    log_file = log_to_file()

    response = browser.get(path)

    assert assert_envelope(response, 500) == "A server error occurred."
    assert cause not in response.content.decode()
    [logged] = [line for line in log_file.read_text().splitlines() if "django.request" in line]
    assert " ERROR django.request Internal Server Error: " in logged
    assert "Traceback (most recent call last):" in logged
    assert cause in logged
