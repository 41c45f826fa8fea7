"""Health checks through HTTP: `/api/health/`, liveness and readiness, with their dependencies
up, down or hung. A database that is down is a server of its own (gunicorn, as served) started
with a DATABASE_URL where no database answers."""

import time

import pytest
from django.conf import settings

from api_layer import throttle_store as store_module
from api_layer.testing import closed_port, send, serve

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


def test_live_asks_no_dependency(redis_hung, api_client):
    """Without the django_db mark any query raises (a 500 here); a hung Redis is not waited on."""
    started = time.perf_counter()
    response = api_client.get(LIVE)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert time.perf_counter() - started < 0.1


@pytest.mark.django_db
def test_ready_is_503_when_redis_refuses_while_health_stays_200(redis_down, api_client):
    ready = until_store_unavailable(lambda: api_client.get(READY))[-1]

    assert ready.status_code == 503
    assert ready.json() == {
        "error": "Not ready: throttle store unavailable.",
        "database": "ok",
        "throttle_store": "unavailable",
    }
    health = api_client.get(HEALTH)
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"


@pytest.mark.slow  # waits out a Redis that never answers
@pytest.mark.django_db
@pytest.mark.parametrize(("path", "status_once_unavailable"), [(HEALTH, 200), (READY, 503)])
def test_checks_answer_at_once_while_redis_hangs(
    redis_hung, api_client, monkeypatch, path, status_once_unavailable
):
    """Redis accepts connections and never answers: every check answers well within the Redis
    timeout, and reports the store unavailable once the ping sent on its own thread timed out."""
    monkeypatch.setattr(store_module, "REDIS_TIMEOUT_SECONDS", 0.5)  # the store is built next
    durations = []

    def timed_get():
        started = time.perf_counter()
        response = api_client.get(path)
        durations.append(time.perf_counter() - started)
        return response

    answers = until_store_unavailable(timed_get)

    assert answers[-1].status_code == status_once_unavailable
    assert {answer.status_code for answer in answers[:-1]} <= {200}
    assert max(durations) < 0.25  # waiting on Redis would take its whole 0.5 s timeout


def until_store_unavailable(get, within=10):
    """Call `get` until its answer reports the throttle store unavailable (the ping that learns
    it runs on a thread of its own), for at most `within` seconds; every answer, in order."""
    answers = [get()]
    deadline = time.monotonic() + within
    while answers[-1].json().get("throttle_store") != "unavailable":
        assert time.monotonic() < deadline, "the store was never reported unavailable"
        answers.append(get())
    return answers


def unreachable_database_url(tmp_path):
    """A DATABASE_URL of the project's engine where no database answers."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return f"postgres://postgres@127.0.0.1:{closed_port()}/missing"
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"


@pytest.mark.slow  # a gunicorn of its own
def test_with_the_database_down_live_answers_and_ready_is_503_in_the_envelope(tmp_path):
    with serve(DATABASE_URL=unreachable_database_url(tmp_path), REDIS_URL="") as server:
        live = send("GET", f"{server.url}{LIVE}")
        ready = send("GET", f"{server.url}{READY}")
        health = send("GET", f"{server.url}{HEALTH}")

    assert live[:2] == (200, {"status": "ok"})
    assert ready[:2] == (
        503,
        {"error": "Not ready: database unavailable.", "database": "down", "throttle_store": "ok"},
    )
    assert health[0] == 503
