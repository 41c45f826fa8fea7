"""CORS: the configured origins only, no credentials, the token and precondition headers allowed,
limits and ETags exposed."""

import pytest
from django.conf import settings

from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

ALLOWED = settings.CORS_ALLOWED_ORIGINS[0]
OTHER = "https://evil.example"


def preflight(client, origin, path=ITEMS):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_allowed_origin_gets_its_origin_back_without_credentials(api_client):
    response = api_client.get("/api/health/", HTTP_ORIGIN=ALLOWED)

    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "Access-Control-Allow-Credentials" not in response


def test_other_origin_gets_no_cors_header(api_client):
    response = api_client.get("/api/health/", HTTP_ORIGIN=OTHER)

    assert "Access-Control-Allow-Origin" not in response


def test_preflight_allows_the_authorization_header(api_client):
    response = preflight(api_client, ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    allowed_headers = response["Access-Control-Allow-Headers"].split(", ")
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_allows_the_conditional_request_headers(api_client):
    response = api_client.options(
        ITEMS,
        HTTP_ORIGIN=ALLOWED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-match, if-none-match",
    )

    allowed_headers = response["Access-Control-Allow-Headers"].split(", ")
    assert {"if-match", "if-none-match"} <= set(allowed_headers)


def test_preflight_from_another_origin_is_not_allowed(api_client):
    response = preflight(api_client, OTHER)

    assert "Access-Control-Allow-Origin" not in response


def test_rate_limit_headers_etags_and_request_ids_are_exposed_to_browsers(alice_client):
    response = alice_client.get(ITEMS, HTTP_ORIGIN=ALLOWED)

    exposed = response["Access-Control-Expose-Headers"].split(", ")
    assert sorted(exposed) == [
        "ETag",
        "RateLimit",
        "RateLimit-Policy",
        "Retry-After",
        "X-Request-ID",
    ]


def test_error_responses_carry_cors_headers_so_browsers_can_read_them(api_client):
    response = api_client.get(ITEMS, HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_admin_is_outside_cors(api_client):
    response = api_client.get("/admin/login/", HTTP_ORIGIN=ALLOWED)

    assert "Access-Control-Allow-Origin" not in response
