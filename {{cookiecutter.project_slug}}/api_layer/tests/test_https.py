"""HTTPS: redirect, HSTS, secure cookies, framing and referrer headers, proxy header trust."""

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.test import Client

from api_layer.testing import load_settings
from api_layer.tests.urls import ITEMS

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


@pytest.mark.parametrize("health", ["/api/health/", "/api/health/live/", "/api/health/ready/"])
def test_ssl_redirect_sends_plain_http_to_https_except_health(settings, health):
    """Load balancers and Kubernetes probes speak plain HTTP to the pod."""
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    items = client.get(ITEMS)
    checked = client.get(health)

    assert items.status_code == 301
    assert items["Location"] == f"https://testserver{ITEMS}"
    assert checked.status_code == 200
    assert client.get(f"{health}more/").status_code == 301  # the exemption is these paths only


def test_cookies_are_secure_and_http_only():
    get_user_model().objects.create_user("admin", password="pw-1234567", is_staff=True)
    browser = Client(enforce_csrf_checks=True)

    login_page = browser.get("/admin/login/")
    csrf = login_page.cookies["csrftoken"]
    browser.post(
        "/admin/login/",
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
    does not."""
    client = Client()
    forwarded = client.get("/api/no-such-route/", HTTP_X_FORWARDED_PROTO="https")
    plain = client.get("/api/no-such-route/")
    return [forwarded.status_code, plain.status_code]


def test_forwarded_proto_is_ignored_without_trusted_proxies(settings_from_environment):
    settings_from_environment(DJANGO_SECURE_SSL_REDIRECT="true", TRUSTED_PROXY_COUNT="0")

    # Plain HTTP with a client-sent X-Forwarded-Proto is still plain HTTP: redirected.
    assert statuses_with_and_without_forwarded_proto() == [301, 301]


def test_forwarded_proto_is_trusted_behind_a_declared_proxy(settings_from_environment):
    settings_from_environment(DJANGO_SECURE_SSL_REDIRECT="true", TRUSTED_PROXY_COUNT="1")

    assert statuses_with_and_without_forwarded_proto() == [404, 301]
