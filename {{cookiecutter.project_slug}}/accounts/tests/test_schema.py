"""The account operations in the served schema document their bodies and answers."""

import pytest

pytestmark = pytest.mark.django_db


def test_auth_views_document_their_request_and_response_bodies(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def answer(path, method, status):
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    register = paths["/api/auth/register/"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RegisterRequest"
    )
    assert answer("/api/auth/register/", "post", "201")["$ref"].endswith("/Registered")
    assert set(components["Registered"]["required"]) == {"username", "token", "expiry"}
    assert answer("/api/auth/token/", "post", "200")["$ref"].endswith("/Token")
    assert answer("/api/auth/me/", "get", "200")["$ref"].endswith("/Me")
    assert set(components["Me"]["required"]) == {"username", "expiry"}
    for path in ["/api/auth/logout/", "/api/auth/logoutall/"]:
        assert "requestBody" not in paths[path]["post"]
        assert "content" not in paths[path]["post"]["responses"]["204"]
