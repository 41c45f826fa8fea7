"""Health checks through HTTP: `/api/health/`, liveness and readiness, with their dependencies
up, down or hung."""

import time

import pytest

from api_layer import throttle_store as store_module

HEALTH, LIVE, READY = "/api/health/", "/api/health/live/", "/api/health/ready/"


@pytest.mark.django_db
def test_health_answers_without_a_token(api_client):
    response = api_client.get(HEALTH)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "throttle_store": "ok"}


@pytest.mark.django_db
def test_ready_answers_without_a_token_when_the_database_and_the_store_answer(api_client):
    response = api_client.get(READY)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "throttle_store": "ok"}


def test_live_answers_while_the_database_is_down_and_redis_hangs(
    database_down, redis_hung, api_client
):
    started = time.perf_counter()
    response = api_client.get(LIVE)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert time.perf_counter() - started < 0.5


def test_ready_is_503_in_the_envelope_when_the_database_is_down(database_down, api_client):
    response = api_client.get(READY)

    assert response.status_code == 503
    assert response.json() == {
        "error": "The database is unavailable.",
        "database": "down",
        "throttle_store": "ok",
    }


def test_health_is_503_when_the_database_is_down(database_down, api_client):
    response = api_client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.django_db
def test_ready_is_503_when_redis_refuses_while_health_stays_200(redis_down, api_client):
    ready = answers_until_unavailable(api_client, READY)[-1]

    assert ready.status_code == 503
    assert ready.json() == {
        "error": "The throttle store is unavailable.",
        "database": "ok",
        "throttle_store": "unavailable",
    }
    health = api_client.get(HEALTH)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"


@pytest.mark.django_db
def test_ready_turns_503_while_redis_hangs_and_never_waits_for_it(
    redis_hung, api_client, monkeypatch
):
    monkeypatch.setattr(store_module, "REDIS_TIMEOUT_SECONDS", 0.3)  # the store is built next
    durations = []

    answers = answers_until_unavailable(api_client, READY, durations)

    assert answers[-1].status_code == 503
    assert {a.status_code for a in answers[:-1]} <= {200}
    assert max(durations) < 0.1


def test_ready_names_both_when_the_database_and_redis_are_down(
    database_down, redis_down, api_client
):
    response = answers_until_unavailable(api_client, READY)[-1]

    assert response.status_code == 503
    assert response.json()["error"] == "The database and the throttle store are unavailable."


def answers_until_unavailable(client, path, durations=None, within=10):
    """GET `path` until it reports the throttle store unavailable (a ping on a thread of its own
    learns it), for at most `within` seconds; every response, in order."""
    answers = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        started = time.perf_counter()
        answers.append(client.get(path))
        if durations is not None:
            durations.append(time.perf_counter() - started)
        if answers[-1].json().get("throttle_store") == "unavailable":
            break
    return answers
