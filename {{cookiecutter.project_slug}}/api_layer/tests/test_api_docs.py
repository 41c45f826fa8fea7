"""The OpenAPI schema and its pages: complete, true, served from local assets, public by choice.

The schema checks hold for every operation the server documents, whatever resources the project
has: they read the schema served with the test routes (urls.py), so a paginated list, one object
and a request body are there to check even with no domain app, and compare it with what the
server answers.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import resolve
from rest_framework.test import APIClient

from accounts import urls as accounts_urls
from api_layer.testing import PASSWORD, RUN_PREFIX, content_security_policy
from api_layer.tests import urls as test_urls
from config import urls as project_urls

TEST_URLS = "api_layer.tests.urls"
pytestmark = [pytest.mark.django_db, pytest.mark.urls(TEST_URLS)]

SCHEMA = "/api/schema/?format=json"
TOKEN = "/api/auth/token/"
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
    with override_settings(THROTTLE_KEY_PREFIX=RUN_PREFIX, ROOT_URLCONF=TEST_URLS):
        response = APIClient().get(SCHEMA)
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def url_of(path):
    """A URL the path template routes: `/api/things/{id}/` -> `/api/things/1/`."""
    return re.sub(r"\{[^}]+\}", "1", path)


def error_ref(operation, code):
    return operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]


@pytest.fixture
def anonymous_answers(schema, api_client, rates):
    """What the server answers each operation of the schema sent once without a token (and with
    an empty JSON body): the truth the schema must tell."""
    rates(anon="1000/minute", login="1000/minute")
    answers = {}
    for name, _ in operations(schema):
        method, path = name.split()
        answers[name] = api_client.generic(method, url_of(path), "{}", "application/json")
    return answers


def test_schema_is_openapi_3_and_documents_every_api_route(schema):
    assert schema["openapi"].startswith("3.")

    documented = {resolve(url_of(path)).url_name for path in schema["paths"]}
    routes = [*project_urls.router.urls, *accounts_urls.urlpatterns, *test_urls.router.urls]
    assert {route.name for route in routes} | {"health"} <= documented


def test_each_path_documents_exactly_the_methods_it_answers(schema, anonymous_answers):
    for name, _ in operations(schema):
        path = name.split()[1]
        documented = {method.upper() for method in schema["paths"][path]}
        allowed = set(anonymous_answers[name]["Allow"].split(", ")) - {"HEAD", "OPTIONS"}
        assert documented == allowed, name


def test_title_and_description_come_from_the_settings(schema):
    assert schema["info"]["title"] == django_settings.SPECTACULAR_SETTINGS["TITLE"]
    assert (
        schema["info"].get("description", "")
        == (django_settings.SPECTACULAR_SETTINGS["DESCRIPTION"])
    )


def test_token_auth_is_the_security_scheme_of_every_operation_that_needs_a_token(
    schema, anonymous_answers
):
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert '"Token"' in scheme["description"]

    for name, operation in operations(schema):
        needs_token = anonymous_answers[name].status_code == 401
        expected = [{"knoxApiToken": []}] if needs_token else [{}]
        assert operation["security"] == expected, name
        assert ("401" in operation["responses"]) == needs_token, name


def test_every_error_response_uses_the_envelope(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["error"]
    assert components["ValidationError"]["properties"]["error"]["oneOf"]

    for name, operation in operations(schema):
        codes = set(operation["responses"])
        has_body = "requestBody" in operation
        assert ("415" in codes) == has_body, name
        # A body can be invalid, so can query parameters (filters), and any request's Host header.
        assert error_ref(operation, "400") == VALIDATION_ERROR, name
        for code in codes & {"401", "404", "415", "429"}:
            assert error_ref(operation, code) == ERROR, (name, code)
        one_object = "{" in name
        paginated = "page" in {parameter["name"] for parameter in operation.get("parameters", [])}
        assert ("404" in codes) == (one_object or paginated), name


def test_throttled_operations_document_429_retry_after_and_ratelimit_headers(
    schema, anonymous_answers
):
    for name, operation in operations(schema):
        responses = operation["responses"]
        throttled = anonymous_answers[name].has_header("RateLimit")
        assert ("429" in responses) == throttled, name
        if throttled:
            assert responses["429"]["headers"]["Retry-After"]["required"] is True, name
            for response in responses.values():
                assert {"RateLimit", "RateLimit-Policy"} <= set(response["headers"]), name


def test_ratelimit_headers_are_sent_in_the_syntax_the_schema_documents(
    schema, anonymous_answers, api_client, alice
):
    login = api_client.post(TOKEN, {"username": "alice", "password": PASSWORD}, format="json")
    answers = {**anonymous_answers, "POST /api/auth/token/": login}  # three budgets at once
    ops = dict(operations(schema))
    checked = 0
    for name, answer in answers.items():
        documented = ops[name]["responses"].get(str(answer.status_code), {}).get("headers", {})
        for header in ("RateLimit-Policy", "RateLimit"):
            if answer.has_header(header):
                assert re.fullmatch(documented[header]["schema"]["pattern"], answer[header]), (
                    name,
                    answer[header],
                )
                checked += 1
    assert login["RateLimit"].count(";r=") == 3
    assert checked >= 4


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_doc_pages_load_every_asset_from_this_server(api_client, page):
    response = api_client.get(page)

    assert response.status_code == 200
    policy = content_security_policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
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
