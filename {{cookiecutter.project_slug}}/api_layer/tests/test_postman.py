"""`manage.py export_postman`: a Postman collection derived from the served schema, which covers
every operation and runs as written.

The collection is parsed and each request sent, in order, to a live server, as Postman's
collection runner would: variables substituted (path variables too), those that test scripts
set taken from the answers, each status checked against what its script accepts. Each test
runs on the project's routes as they are, and with a resource of the tests' own added to the
router (postman_urls.py), which must appear and run with no edit to the exporter.
"""

import io
import json
import re
import stat
import uuid

import pytest
from django.core.management import call_command

from api_layer.rates import configured_rates, parse_rate
from api_layer.testing import send
from api_layer.throttle_store import throttle_store

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT, WITH_GROUPS = "config.urls", "api_layer.tests.postman_urls"
GROUP_OPERATIONS = {
    ("GET", "/api/groups/"),
    ("POST", "/api/groups/"),
    ("GET", "/api/groups/{id}/"),
    ("PUT", "/api/groups/{id}/"),
    ("PATCH", "/api/groups/{id}/"),
    ("DELETE", "/api/groups/{id}/"),
}
VARIABLE = re.compile(r"\{\{(\w+)\}\}")
PATH_VARIABLE = re.compile(r"/:(\w+)")
# The two line shapes of every test script the exporter writes.
ACCEPTS = re.compile(r"pm\.expect\(pm\.response\.code\)\.to\.be\.oneOf\((\[[0-9, ]+\])\)\);")
SETS = re.compile(
    r"^if \(pm\.response\.code < 300\) "
    r'pm\.collectionVariables\.set\("(\w+)", pm\.response\.json\(\)\["(\w+)"\]\);$'
)


@pytest.fixture(params=[PROJECT, WITH_GROUPS])
def urlconf(request, settings):
    settings.ROOT_URLCONF = request.param
    return request.param


def export(tmp_path, base_url, tokens=None):
    tokens_file = tmp_path / "tokens.local.json"
    if tokens is not None:
        tokens_file.write_text(json.dumps(tokens))
    output = tmp_path / "postman_collection.json"
    call_command(
        "export_postman",
        output=str(output),
        base_url=base_url,
        tokens_file=str(tokens_file),
        stdout=io.StringIO(),
    )
    return output


def schema_path(segments):
    return "/" + "/".join(re.sub(r"^:(\w+)$", r"{\1}", part) for part in segments)


def url(request):
    """The raw URL with its path variables (`:id`) replaced by their values."""
    values = {variable["key"]: variable["value"] for variable in request["url"]["variable"]}
    return PATH_VARIABLE.sub(lambda match: "/" + values[match[1]], request["url"]["raw"])


# The one line shape of a pre-request script: a variable set to a prefix and the time, base 36.
FRESH = re.compile(
    r'^pm\.collectionVariables\.set\("(\w+)", "([\w-]+)" \+ Date\.now\(\)\.toString\(36\)\);$'
)


def run_collection(collection):
    """Send every request in order; yield (folder, name, status, accepted statuses, headers)."""
    variables = {variable["key"]: variable["value"] for variable in collection["variable"]}

    def fill(text):
        return VARIABLE.sub(lambda match: str(variables[match[1]]), text)

    for folder in collection["item"]:
        for item in folder["item"]:
            request = item["request"]
            scripts = {event["listen"]: event["script"]["exec"] for event in item["event"]}
            for line in scripts.get("prerequest", []):
                variable, prefix = FRESH.fullmatch(line).groups()
                variables[variable] = f"{prefix}{uuid.uuid4().hex[:8]}"
            headers = {header["key"]: fill(header["value"]) for header in request["header"]}
            body = fill(request["body"]["raw"]).encode() if "body" in request else None
            status, payload, response_headers = send(
                request["method"], fill(url(request)), headers, body
            )
            accepts, *sets = scripts["test"]
            for line in sets:
                variable, field = SETS.fullmatch(line).groups()
                if status < 300:
                    variables[variable] = payload[field]
            accepted = json.loads(ACCEPTS.search(accepts)[1])
            yield folder["name"], item["name"], status, accepted, response_headers


def test_collection_fills_base_url_and_the_first_local_token(tmp_path, alices_token):
    path = export(tmp_path, "https://abcd.ngrok-free.app/", {"alice": alices_token, "b": "x"})

    collection = json.loads(path.read_text())
    variables = {variable["key"]: variable["value"] for variable in collection["variable"]}
    assert collection["info"]["schema"].endswith("/collection/v2.1.0/collection.json")
    assert variables["base_url"] == "https://abcd.ngrok-free.app"
    assert variables["token"] == alices_token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_collection_without_a_tokens_file_leaves_the_token_empty(tmp_path):
    collection = json.loads(export(tmp_path, "http://127.0.0.1:8000").read_text())

    assert {"key": "token", "value": ""} in collection["variable"]


def test_collection_covers_every_operation_of_the_served_schema(tmp_path, api_client, urlconf):
    collection = json.loads(export(tmp_path, "http://127.0.0.1:8000").read_text())
    schema = api_client.get("/api/schema/?format=json").json()

    served = {
        (method.upper(), path) for path, methods in schema["paths"].items() for method in methods
    }
    in_collection = {
        (item["request"]["method"], schema_path(item["request"]["url"]["path"]))
        for folder in collection["item"]
        for item in folder["item"]
    }
    assert in_collection == served
    assert (GROUP_OPERATIONS <= served) == (urlconf == WITH_GROUPS)


@pytest.mark.slow  # the whole collection against a live server
def test_every_request_answers_as_its_test_script_expects(
    tmp_path, live_server, alices_token, urlconf, settings
):
    path = export(tmp_path, live_server.url, {"alice": alices_token})

    results = list(run_collection(json.loads(path.read_text())))

    unexpected = [result[:4] for result in results if result[2] not in result[3]]
    assert unexpected == []
    folders = list(dict.fromkeys(folder for folder, *_ in results))
    assert folders[0] == "Health" and folders[-1] == "Log out"
    assert [status for folder, _, status, _, _ in results if folder == "Log out"] == [204, 204]
    if urlconf == WITH_GROUPS:
        assert "Groups" in folders
    throttled = [
        (status, headers) for folder, _, status, _, headers in results if folder == "Throttling"
    ]
    # The user rate plus one: the folder alone reaches 429, whatever ran before it.
    assert len(throttled) == parse_rate(configured_rates()[0])[0] + 1
    statuses = [status for status, _ in throttled]
    assert 429 in statuses
    first_429 = statuses.index(429)
    assert set(statuses[:first_429]) == {200} and set(statuses[first_429:]) == {429}
    assert all(int(headers["Retry-After"]) > 0 for _, headers in throttled[first_429:])


@pytest.mark.slow  # the whole collection, twice, against a live server
def test_the_collection_runs_again_with_a_fresh_demo_account(tmp_path, live_server, alices_token):
    collection = json.loads(export(tmp_path, live_server.url, {"alice": alices_token}).read_text())

    first = list(run_collection(collection))
    throttle_store().reset()  # as a minute later: the Throttling folder spent the user budget
    runs = [first, list(run_collection(collection))]

    for results in runs:
        assert [result[:4] for result in results if result[2] not in result[3]] == []
    register = {
        item["name"]
        for folder in collection["item"]
        for item in folder["item"]
        if item["request"]["url"]["raw"].endswith("/api/auth/register/")
    }
    registered = [status for results in runs for _, name, status, *_ in results if name in register]
    assert registered == [201, 201]


def test_without_a_get_that_takes_a_token_there_is_no_throttling_folder(tmp_path, settings):
    settings.ROOT_URLCONF = "api_layer.urls"  # health and docs only: nothing needs a token

    collection = json.loads(export(tmp_path, "http://127.0.0.1:8000").read_text())

    assert [folder["name"] for folder in collection["item"]] == ["Health"]
