"""`manage.py export_postman`: a Postman collection that covers the API and runs as written.

The collection is parsed and each request sent, in order, to a live server, as Postman's
collection runner would: variables substituted, those that test scripts set taken from the
answers, each status checked against what its script accepts.
"""

import io
import json
import re
import stat

import pytest
from django.core.management import call_command
from knox.models import AuthToken

from api_layer.testing import send

pytestmark = pytest.mark.django_db(transaction=True)

VARIABLE = re.compile(r"\{\{(\w+)\}\}")
ACCEPTS = re.compile(r"to\.be\.oneOf\((\[[0-9, ]+\])\)")
SETS = re.compile(r'collectionVariables\.set\("(\w+)", pm\.response\.json\(\)\.(\w+)\)')


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


def run_collection(collection):
    """Send every request in order; yield (folder, name, status, accepted statuses, headers)."""
    variables = {variable["key"]: variable["value"] for variable in collection["variable"]}

    def fill(text):
        return VARIABLE.sub(lambda match: variables[match[1]], text)

    for folder in collection["item"]:
        for item in folder["item"]:
            request = item["request"]
            headers = {header["key"]: fill(header["value"]) for header in request["header"]}
            body = fill(request["body"]["raw"]).encode() if "body" in request else None
            status, payload, response_headers = send(
                request["method"], fill(request["url"]["raw"]), headers, body
            )
            script = "\n".join(item["event"][0]["script"]["exec"])
            for variable, field in SETS.findall(script):
                if status < 300:
                    variables[variable] = str(payload[field])
            accepted = json.loads(ACCEPTS.search(script)[1])
            yield folder["name"], item["name"], status, accepted, response_headers


@pytest.fixture
def alices_token(alice):
    return AuthToken.objects.create(user=alice)[1]


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


def test_collection_covers_every_operation_of_the_schema(tmp_path, api_client):
    collection = json.loads(export(tmp_path, "http://127.0.0.1:8000").read_text())
    schema = api_client.get("/api/schema/?format=json").json()

    documented = {
        (method.upper(), path) for path, methods in schema["paths"].items() for method in methods
    }
    in_collection = {
        (item["request"]["method"], "/" + "/".join(item["request"]["url"]["path"]))
        for folder in collection["item"]
        for item in folder["item"]
    }
    assert {(method, VARIABLE.sub("{id}", path)) for method, path in in_collection} == documented


def test_every_request_answers_as_its_test_script_expects(tmp_path, live_server, alices_token):
    path = export(tmp_path, live_server.url, {"alice": alices_token})

    results = list(run_collection(json.loads(path.read_text())))

    unexpected = [result[:4] for result in results if result[2] not in result[3]]
    assert unexpected == []
    throttled = [
        (status, headers) for folder, _, status, _, headers in results if folder == "Throttling"
    ]
    statuses = [status for status, _ in throttled]
    first_429 = statuses.index(429)
    assert set(statuses[:first_429]) == {200} and set(statuses[first_429:]) == {429}
    assert all(int(headers["Retry-After"]) > 0 for _, headers in throttled[first_429:])
    logouts = [status for folder, _, status, _, _ in results if folder == "Log out"]
    assert logouts == [204, 204]
