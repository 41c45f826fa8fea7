"""Prometheus metrics: requests by route, latency, throttle decisions, the store's fallback.

These read this process's registry (prometheus-client's `REGISTRY.get_sample_value`); that
gunicorn serves them on a port of their own, added up over its workers, and never on the API's
port, is tested by the template (tests/test_serving.py, tests/test_many_instances.py), which runs
gunicorn.
"""

import socket

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from api_layer.metrics import set_throttle_store_fallback
from api_layer.tests.urls import ITEMS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("api_layer.tests.urls")]

ITEM_ROUTE = "api/test/items/<int:pk>/"


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def requests_counted(route, method="GET", status=200):
    return sample("api_requests_total", route=route, method=method, status=str(status))


def decisions(scope, decision, policy=None):
    return sample(
        "api_throttle_decisions_total", scope=scope, policy=policy or scope, decision=decision
    )


def test_requests_are_counted_by_route_pattern_method_and_status(alice_client, api_client):
    before = {
        "item": requests_counted(ITEM_ROUTE),
        "missing item": requests_counted(ITEM_ROUTE, status=404),
        "anon list": requests_counted("api/test/items/", status=401),
    }

    alice_client.get(f"{ITEMS}7/")
    alice_client.get(f"{ITEMS}8/")
    alice_client.get(f"{ITEMS}999/")
    api_client.get(ITEMS)

    assert requests_counted(ITEM_ROUTE) == before["item"] + 2
    assert requests_counted(ITEM_ROUTE, status=404) == before["missing item"] + 1
    assert requests_counted("api/test/items/", status=401) == before["anon list"] + 1
    assert sample("api_requests_total", route=f"{ITEMS}7/", method="GET", status="200") == 0


def test_paths_and_methods_a_client_makes_up_share_one_series_each(api_client):
    before = requests_counted("unmatched", status=404)
    before_other = sample("api_requests_total", route="api/health/", method="other", status="405")

    for n in range(3):
        api_client.get(f"/api/made-up-{n}/")
    Client().generic("BREW", "/api/health/")

    assert requests_counted("unmatched", status=404) == before + 3
    assert sample("api_requests_total", route="/api/made-up-0/", method="GET", status="404") == 0
    assert sample("api_requests_total", route="api/health/", method="BREW", status="405") == 0
    after_other = sample("api_requests_total", route="api/health/", method="other", status="405")
    assert after_other == before_other + 1


def test_latency_is_observed_per_route(api_client):
    before = sample("api_request_duration_seconds_count", route="api/health/", method="GET")

    api_client.get("/api/health/")
    api_client.get("/api/health/")

    after = sample("api_request_duration_seconds_count", route="api/health/", method="GET")
    assert after == before + 2
    assert sample("api_request_duration_seconds_sum", route="api/health/", method="GET") > 0


def test_throttle_decisions_are_counted_by_scope_admitted_and_refused(rates, api_client):
    rates(anon="2/minute")
    before = {decision: decisions("anon", decision) for decision in ("admitted", "refused")}

    statuses = [api_client.get(ITEMS).status_code for _ in range(5)]

    assert statuses == [401, 401, 429, 429, 429]
    assert decisions("anon", "admitted") == before["admitted"] + 2
    assert decisions("anon", "refused") == before["refused"] + 3


def test_login_decisions_are_counted_per_policy(rates, api_client):
    rates(login="1/minute")
    before = decisions("login", "refused", policy="login-username")
    body = {"username": "nobody", "password": "wrong-password-1"}

    api_client.post("/api/auth/token/", body, format="json", REMOTE_ADDR="10.0.0.1")
    refused = api_client.post("/api/auth/token/", body, format="json", REMOTE_ADDR="10.0.0.2")

    assert refused.status_code == 429  # a fresh IP, the same username
    assert decisions("login", "refused", policy="login-username") == before + 1


@pytest.fixture
def unreachable_redis(settings):
    """Budgets in a Redis nobody listens at; the gauge starts at 0 and is put back to 0 after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.THROTTLE_STORAGE_URI = f"redis://127.0.0.1:{port}/0"
    set_throttle_store_fallback(False)  # an earlier test's fallen-back store may have set it
    yield
    set_throttle_store_fallback(False)


def test_the_gauge_shows_a_store_fallen_back_to_process_memory(unreachable_redis, api_client):
    assert sample("api_throttle_store_fallback") == 0

    response = api_client.get(ITEMS)

    assert response.status_code == 401  # served, counted in process memory
    assert sample("api_throttle_store_fallback") == 1


def test_metrics_are_not_served_on_the_apis_port(alice_client, api_client):
    for path in ("/metrics", "/metrics/", "/api/metrics/", "/api/metrics"):
        for client in (api_client, alice_client):
            response = client.get(path)
            assert response.status_code == 404
            assert b"api_requests_total" not in response.content
