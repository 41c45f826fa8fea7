"""The task operations in the served schema carry request and response examples."""

import pytest

pytestmark = pytest.mark.django_db


def test_create_and_update_have_request_and_response_examples(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]

    for path, method, success in [
        ("/api/tasks/", "post", "201"),
        ("/api/tasks/{id}/", "put", "200"),
        ("/api/tasks/{id}/", "patch", "200"),
    ]:
        operation = paths[path][method]
        request = operation["requestBody"]["content"]["application/json"]
        response = operation["responses"][success]["content"]["application/json"]
        assert request["examples"] and response["examples"], (method, path)
