"""The OpenAPI schema and its pages: complete, true, served from local assets, public by choice."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import override_settings
from rest_framework.test import APIClient

from api_layer.testing import RUN_PREFIX

pytestmark = pytest.mark.django_db

SCHEMA = "/api/schema/?format=json"
DOC_PAGES = ["/api/schema/", "/api/docs/", "/api/redoc/"]
ERROR = "#/components/schemas/Error"
VALIDATION_ERROR = "#/components/schemas/ValidationError"


class AssetLinks(HTMLParser):
    """Every `src` and `href` of a page."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [value for name, value in attrs if name in ("src", "href") and value]


def links_of(html):
    parser = AssetLinks()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def schema():
    """The served schema, fetched once for this module: generating it is the slow part.

    Counted under this run's key prefix, as every test's requests are: a module fixture runs
    before `fresh_budgets` sets it, and the default prefix is a dev server's budget.
    """
    with override_settings(THROTTLE_KEY_PREFIX=RUN_PREFIX):
        response = APIClient().get(SCHEMA)
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def error_ref(operation, code):
    return operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]


def test_schema_is_openapi_3_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    assert set(dict(operations(schema))) == {
        "POST /api/auth/register/",
        "POST /api/auth/token/",
        "POST /api/auth/logout/",
        "POST /api/auth/logoutall/",
        "GET /api/health/",
        "GET /api/tasks/",
        "POST /api/tasks/",
        "GET /api/tasks/{id}/",
        "PUT /api/tasks/{id}/",
        "PATCH /api/tasks/{id}/",
        "DELETE /api/tasks/{id}/",
    }


def test_title_and_description_come_from_the_settings(schema):
    assert schema["info"]["title"] == django_settings.SPECTACULAR_SETTINGS["TITLE"]
    assert (
        schema["info"].get("description", "")
        == (django_settings.SPECTACULAR_SETTINGS["DESCRIPTION"])
    )


def test_token_auth_is_the_security_scheme_of_every_protected_operation(schema):
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert '"Token"' in scheme["description"]

    for name, operation in operations(schema):
        public = name.startswith(
            ("POST /api/auth/register/", "POST /api/auth/token/", "GET /api/h")
        )
        assert (operation["security"] == [{}]) == public, name
        assert ("401" in operation["responses"]) == (not public), name


def test_every_error_response_uses_the_envelope(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["error"]
    assert components["ValidationError"]["properties"]["error"]["oneOf"]

    for name, operation in operations(schema):
        codes = set(operation["responses"])
        has_body = "requestBody" in operation
        assert ("400" in codes) == has_body and ("415" in codes) == has_body, name
        if has_body:
            assert error_ref(operation, "400") == VALIDATION_ERROR
        for code in codes & {"401", "404", "415", "429"}:
            assert error_ref(operation, code) == ERROR, (name, code)
        assert ("404" in codes) == ("{id}" in name or name == "GET /api/tasks/"), name


def test_throttled_operations_document_retry_after_and_ratelimit_headers(schema):
    for name, operation in operations(schema):
        if name == "GET /api/health/":
            assert "429" not in operation["responses"]
            continue
        too_many = operation["responses"]["429"]
        assert too_many["headers"]["Retry-After"]["required"] is True, name
        for response in operation["responses"].values():
            assert {"RateLimit", "RateLimit-Policy"} <= set(response["headers"]), name


@pytest.mark.parametrize(
    "name", ["POST /api/tasks/", "PUT /api/tasks/{id}/", "PATCH /api/tasks/{id}/"]
)
def test_create_and_update_have_request_and_response_examples(schema, name):
    operation = dict(operations(schema))[name]

    request_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    success = operation["responses"]["201" if name.startswith("POST") else "200"]
    response_examples = success["content"]["application/json"]["examples"]
    assert request_examples and response_examples


def test_auth_views_document_their_request_and_response_bodies(schema):
    ops = dict(operations(schema))
    body = ops["POST /api/auth/register/"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/RegisterRequest")
    registered = ops["POST /api/auth/register/"]["responses"]["201"]["content"]
    assert set(schema["components"]["schemas"]["Registered"]["required"]) == {
        "username",
        "token",
        "expiry",
    }
    assert registered["application/json"]["schema"]["$ref"].endswith("/Registered")
    token = ops["POST /api/auth/token/"]["responses"]["200"]["content"]["application/json"]
    assert token["schema"]["$ref"].endswith("/Token")
    for name in ["POST /api/auth/logout/", "POST /api/auth/logoutall/"]:
        assert "requestBody" not in ops[name]
        assert "content" not in ops[name]["responses"]["204"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_doc_pages_load_every_asset_from_this_server(api_client, page):
    response = api_client.get(page)

    assert response.status_code == 200
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert "img-src 'self' data:;" in response["Content-Security-Policy"]
    html = response.content.decode()
    links = links_of(html)
    assert links
    assert not re.search(
        r"https?://|//[a-z0-9]", html.replace("http://www.w3.org", ""), re.IGNORECASE
    )
    for link in links:
        assert not urlsplit(link).netloc, link
        if link.startswith(django_settings.STATIC_URL) or link.startswith("/static/"):
            asset = link.split("/static/", 1)[1].split("?")[0]
            assert finders.find(asset), f"{link} is not a local static file"


def test_swagger_ui_start_script_is_a_separate_file_for_a_strict_csp(api_client):
    html = api_client.get("/api/docs/").content.decode()
    assert "<script>" not in html.replace(" ", "")

    script = api_client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_are_public_by_default(api_client, page):
    assert api_client.get(page).status_code == 200


@pytest.mark.parametrize("page", DOC_PAGES)
def test_private_docs_need_a_valid_token(api_client, alice_client, settings, page):
    settings.API_DOCS_PUBLIC = False

    assert api_client.get(page).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get(page).status_code == 401
    assert alice_client.get(page).status_code == 200


def test_private_docs_open_to_a_signed_in_session_in_a_browser(client, alice, settings):
    settings.API_DOCS_PUBLIC = False
    client.force_login(alice)

    assert client.get("/api/docs/").status_code == 200
    assert client.get(SCHEMA).status_code == 200


def test_private_schema_refusal_is_in_the_envelope(api_client, settings):
    settings.API_DOCS_PUBLIC = False

    response = api_client.get(SCHEMA)

    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"
