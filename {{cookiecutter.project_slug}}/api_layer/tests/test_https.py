"""HTTPS: the API refuses plain HTTP, pages redirect; HSTS, secure cookies, framing and referrer
headers, proxy header trust."""

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.test import Client

from api_layer.testing import load_settings
from api_layer.tests.urls import ADMIN, ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

ONE_YEAR = 365 * 24 * 60 * 60


def test_security_headers_on_every_response(api_client):
    for response in (api_client.get("/api/health/"), api_client.get("/api/no-such-route/")):
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_hsts_one_year_with_subdomains_on_https_only(api_client):
    secure = api_client.get("/api/health/", secure=True)
    plain = api_client.get("/api/health/")

    assert secure["Strict-Transport-Security"] == f"max-age={ONE_YEAR}; includeSubDomains"
    assert "Strict-Transport-Security" not in plain


def test_plain_http_to_the_api_is_refused_not_redirected(settings, alices_token):
    settings.SECURE_SSL_REDIRECT = True
    client = Client(headers={"Authorization": f"Token {alices_token}"})

    for response in (
        client.get(ITEMS),
        client.post(ITEMS, {"name": "x"}, content_type="application/json"),
        client.post("/api/auth/token/", {}, content_type="application/json"),
        client.get("/api/schema/"),
        client.get("/api/no-such-route/"),
    ):
        assert response.status_code == 403
        assert response.json() == {"error": "HTTPS required"}
        assert "Location" not in response
    assert client.get(ITEMS, secure=True).status_code == 200


@pytest.mark.parametrize("health", ["/api/health/", "/api/health/live/", "/api/health/ready/"])
def test_health_checks_answer_over_plain_http(settings, health):
    """Load balancers and Kubernetes probes speak plain HTTP to the pod."""
    settings.SECURE_SSL_REDIRECT = True

    assert Client().get(health).status_code == 200


def test_admin_and_doc_pages_keep_the_redirect_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    for path in (f"{ADMIN}login/", "/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response["Location"] == f"https://testserver{path}"


def test_cookies_are_secure_and_http_only():
    get_user_model().objects.create_user("admin", password="pw-1234567", is_staff=True)
    browser = Client(enforce_csrf_checks=True)

    login_page = browser.get(f"{ADMIN}login/")
    csrf = login_page.cookies["csrftoken"]
    browser.post(
        f"{ADMIN}login/",
        {"username": "admin", "password": "pw-1234567", "csrfmiddlewaretoken": csrf.value},
    )
    session = browser.cookies["sessionid"]

    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True


@pytest.fixture
def settings_from_environment(monkeypatch, settings):
    """`settings_from_environment(TRUSTED_PROXY_COUNT="1")`: settings.py evaluated again with
    these environment variables; the HTTPS settings it derives replace this test's."""

    def evaluate(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        fresh = load_settings()
        for name in ("SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER"):
            setattr(settings, name, getattr(fresh, name, getattr(global_settings, name)))

    return evaluate


def statuses_with_and_without_forwarded_proto():
    """Statuses of a plain HTTP request that says `X-Forwarded-Proto: https`, and of one that
    does not (403: HTTPS required)."""
    client = Client()
    forwarded = client.get("/api/no-such-route/", HTTP_X_FORWARDED_PROTO="https")
    plain = client.get("/api/no-such-route/")
    return [forwarded.status_code, plain.status_code]


def test_forwarded_proto_is_ignored_without_trusted_proxies(settings_from_environment):
    settings_from_environment(DJANGO_SECURE_SSL_REDIRECT="true", TRUSTED_PROXY_COUNT="0")

    # Plain HTTP with a client-sent X-Forwarded-Proto is still plain HTTP: refused.
    assert statuses_with_and_without_forwarded_proto() == [403, 403]


def test_forwarded_proto_is_trusted_behind_a_declared_proxy(settings_from_environment):
    settings_from_environment(DJANGO_SECURE_SSL_REDIRECT="true", TRUSTED_PROXY_COUNT="1")

    assert statuses_with_and_without_forwarded_proto() == [404, 403]
