"""Schemathesis, a client nobody on the team wrote, against every operation of the served schema.

It generates requests from `/api/schema/` (valid and edge-case bodies, parameters and headers),
sends them to the app over WSGI with a real knox token, and checks every response: no server
error, a status code the schema documents, a body, content type and headers as documented. A
failure is fixed in the API or in the schema (openapi.py), never silenced here.

The schema is served with the test routes (urls.py): every resource of the project plus the
test-only items, whose ids 1 to 120 exist for every caller, so some detail requests find one.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_layer.tests.urls import ITEMS
from api_layer.throttle_store import throttle_store

pytestmark = pytest.mark.urls("api_layer.tests.urls")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@pytest.fixture
def api_schema(transactional_db):
    # Over WSGI: the whole Django stack (middleware, authentication, throttling, error envelope).
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def caller(make_user):
    return make_user("schemathesis")


# Cases per operation: the Hypothesis profile of conftest.py (a few every day, more in CI).
@pytest.mark.slow  # every operation, several cases each
@schema.parametrize()
def test_every_operation_answers_as_documented(case, caller):
    # Fresh throttle budgets and a fresh token per case: a logout case revokes only its own token.
    # (Reset under this run's key prefix: a cache.clear() would flush a Redis others share.)
    throttle_store().reset()
    _, token = AuthToken.objects.create(user=caller)

    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"{ITEMS}0.5/", "/api/no-such-endpoint/"])
def test_url_no_route_matches_is_404_in_the_envelope(alice_client, path):
    # Found by schemathesis: Django answered an HTML page for a path the router does not match.
    response = alice_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}
