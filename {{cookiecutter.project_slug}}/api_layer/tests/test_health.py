import pytest

pytestmark = pytest.mark.django_db


def test_health_answers_without_a_token(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "throttle_store": "ok"}
