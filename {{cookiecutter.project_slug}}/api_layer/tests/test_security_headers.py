"""Headers every response carries: `Cache-Control: no-store` under /api/ (no_store.py), a
Content-Security-Policy per kind of page (content_security.py, docs.py) and a Permissions-Policy."""

import pytest
from django.test import Client

from api_layer.testing import content_security_policy
from api_layer.tests.test_errors import ERROR_REQUESTS
from api_layer.tests.urls import ADMIN, ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

API_POLICY = {
    "default-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
}
ACCOUNT = {"username": "carol", "password": "a-long-unusual-passphrase"}


@pytest.fixture
def browser():
    """A client that enforces CSRF like a browser session and returns 500s instead of raising."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def api_responses(api_client, alice_client, settings):
    """One of each kind: token-bearing, authenticated, public, the schema, a doc page, a refusal."""
    settings.SECURE_SSL_REDIRECT = True  # and one refused over plain HTTP
    yield api_client.post("/api/auth/register/", ACCOUNT, format="json", secure=True)
    yield api_client.post("/api/auth/token/", ACCOUNT, format="json", secure=True)
    yield alice_client.get(ITEMS, secure=True)
    yield alice_client.post(ITEMS, {"name": "x"}, format="json", secure=True)
    yield alice_client.get("/api/auth/me/", secure=True)
    yield api_client.get("/api/health/")
    yield api_client.get("/api/schema/", secure=True)
    yield api_client.get("/api/docs/", secure=True)
    yield api_client.get(ITEMS)  # 403: HTTPS required


def test_every_api_answer_is_no_store(api_client, alice_client, settings):
    statuses = []
    for response in api_responses(api_client, alice_client, settings):
        statuses.append(response.status_code)
        assert response["Cache-Control"] == "no-store", response.wsgi_request.path

    assert statuses == [201, 200, 200, 201, 200, 200, 200, 200, 403]


@pytest.mark.parametrize(("method", "path", "options", "status"), ERROR_REQUESTS)
def test_every_api_error_is_no_store(browser, method, path, options, status):
    response = getattr(browser, method)(path, **options)

    assert response.status_code == status
    if path.startswith("/api/"):
        assert response["Cache-Control"] == "no-store"


def test_api_responses_let_nothing_load_or_frame_them(browser, alice_client):
    for response in (
        alice_client.get(ITEMS),
        browser.get("/api/health/"),
        browser.get("/api/no-such-route/"),
        browser.get("/no-such-route/"),
        browser.get("/api/test/crash/"),
        browser.get("/api/test/throttled/"),
    ):
        assert content_security_policy(response) == API_POLICY, response.wsgi_request.path


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_doc_pages_have_a_policy_of_their_own(browser, page):
    policy = content_security_policy(browser.get(page))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_admin_pages_load_from_this_server_only(browser):
    for path in (f"{ADMIN}login/", f"{ADMIN}no-such-page/"):
        policy = content_security_policy(browser.get(path))

        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["form-action"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path


def test_admin_assets_are_allowed_by_the_admin_policy(browser):
    """The admin's login page names scripts and styles of this server only."""
    html = browser.get(f"{ADMIN}login/").content.decode()

    assert '<link rel="stylesheet" href="/static/admin/css/' in html
    assert "<script>" not in html.replace(" ", "")
    assert " style=" not in html


def test_every_response_has_a_restrictive_permissions_policy(browser):
    static = "/static/admin/css/base.css"
    for path in (ITEMS, "/api/health/", "/api/docs/", f"{ADMIN}login/", static):
        response = browser.get(path)

        features = dict(item.split("=") for item in response["Permissions-Policy"].split(", "))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert features[feature] == "()", (path, feature)
