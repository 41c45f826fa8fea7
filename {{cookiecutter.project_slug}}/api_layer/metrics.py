"""Prometheus metrics: requests, latency, throttle decisions and the throttle store's state.

Threat: a throttle that refuses too much or too little, a store fallen back to process memory, a
slow route, all unseen until users complain; and, the other way round, metrics that tell the
world the API's traffic and routes, or whose label values a client chooses (one time series per
raw path or made-up method fills the scraper's memory). Decisions:
- Labels are bounded: the route is the URL pattern that matched (`api/tasks/<pk>/`, not
  `/api/tasks/42/`; `unmatched` for a 404 no pattern matched), the method one of the standard
  ones or `other`, the status a number; throttle decisions by scope and policy (the budget's name
  in the RateLimit headers) and `admitted` or `refused`.
- Metrics are never served by the app: gunicorn.conf.py serves them on a port of their own
  (`METRICS_PORT`, bound to `METRICS_ADDRESS`, loopback unless set), from the master process,
  which adds up every worker's counts through prometheus-client's multiprocess mode. Unset, no
  port is opened and the counters only live in each process. Nothing on the API's own port
  answers a scrape, so no token has to be kept secret and no proxy rule can expose them.
"""

import time
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "api_requests",
    "Requests answered, by route (the URL pattern that matched), method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "api_request_duration_seconds",
    "Time from the request reaching Django to its response, by route and method.",
    ["route", "method"],
)
THROTTLE_DECISIONS = Counter(
    "api_throttle_decisions",
    "Requests counted against a throttle budget, by scope, policy and decision.",
    ["scope", "policy", "decision"],
)
THROTTLE_STORE_FALLBACK = Gauge(
    "api_throttle_store_fallback",
    "1 while a process counts budgets in its own memory because Redis did not answer, else 0.",
    multiprocess_mode="livemax",  # 1 when any live worker has fallen back
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
UNMATCHED = "unmatched"


def route_of(request):
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


def method_of(request):
    return request.method if request.method in METHODS else "other"


class MetricsMiddleware:
    """Count every response and time it, labelled with bounded values only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route, method = route_of(request), method_of(request)
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response


def count_throttle_decision(scope, policy, admitted):
    throttle_decisions(scope, policy, admitted).inc()


@cache  # a few children, kept: `labels()` would look one up under a lock on every request
def throttle_decisions(scope, policy, admitted):
    return THROTTLE_DECISIONS.labels(scope, policy, "admitted" if admitted else "refused")


def set_throttle_store_fallback(fallen_back):
    THROTTLE_STORE_FALLBACK.set(1 if fallen_back else 0)
