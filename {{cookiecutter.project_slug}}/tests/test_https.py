"""HTTPS: redirect, HSTS, secure cookies, framing and referrer headers, proxy header trust."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

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


def test_ssl_redirect_sends_plain_http_to_https_except_health(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    tasks = client.get("/api/tasks/")
    health = client.get("/api/health/")

    assert tasks.status_code == 301
    assert tasks["Location"] == "https://testserver/api/tasks/"
    assert health.status_code == 200


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


PROXY_PROBE = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
forwarded = client.get("/api/no-such-route/", HTTP_X_FORWARDED_PROTO="https")
plain = client.get("/api/no-such-route/")
print(forwarded.status_code, plain.status_code)
"""


def status_codes_with(trusted_proxy_count):
    """Statuses (with X-Forwarded-Proto: https, without) when SSL redirect is on."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", f"{settings.PROJECT_PACKAGE}.settings"
        ),
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "TRUSTED_PROXY_COUNT": str(trusted_proxy_count),
        "LOG_DESTINATION": "console",
    }
    result = subprocess.run(  # noqa: S603 - our interpreter, our fixed script
        [sys.executable, "-c", PROXY_PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.split()


def test_forwarded_proto_is_ignored_without_trusted_proxies():
    # Plain HTTP with a client-sent X-Forwarded-Proto is still plain HTTP: redirected.
    assert status_codes_with(trusted_proxy_count=0) == ["301", "301"]


def test_forwarded_proto_is_trusted_behind_a_declared_proxy():
    assert status_codes_with(trusted_proxy_count=1) == ["404", "301"]
