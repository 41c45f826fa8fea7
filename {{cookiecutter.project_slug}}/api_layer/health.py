"""Health checks: `/api/health/` for uptime checks, `live/` and `ready/` for an orchestrator.

Open to anyone, never throttled, reachable over plain HTTP (probes do not speak TLS), so load
balancers, uptime checks and Kubernetes probes can poll them.

- `GET /api/health/`: 200 when the app and its database answer, 503 otherwise. It also reports
  the throttle store: with Redis down the API keeps serving with per-process throttling
  (throttle_store.py), so the answer stays 200, with `"status": "degraded"` and
  `"throttle_store": "unavailable"`.
- `GET /api/health/live/`: 200 whenever the process can answer a request; it touches no
  dependency. A liveness probe restarts the container when it fails, and a database or Redis
  outage is not cured by a restart: restarting every pod at once would only add a storm.
- `GET /api/health/ready/`: 200 when the database answers and budgets are counted in the
  configured store (Redis when `REDIS_URL` is set), 503 in the error envelope otherwise. A
  readiness probe takes a failing pod out of its Service until it answers again: a pod that
  would throttle per process (each one admitting the whole rate) takes no traffic. The cost:
  when the shared Redis is down, every pod leaves the Service at once; `/api/health/` is the one
  that keeps answering 200 then.

The store's state is what the requests last learnt of Redis, kept for its retry interval: a hung
Redis never makes a check wait (at most 20 ms).
"""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .throttle_store import throttle_store

logger = logging.getLogger(__name__)

# One choice set per field name across the health schemas: drf-spectacular names an enum by its
# field, and two sets under one name are a warning (`check --deploy` fails on it).
STORE_STATES = ["ok", "unavailable"]


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return False


def store_state():
    return "ok" if throttle_store().available() else "unavailable"


class OpenCheck(APIView):
    """No token, no throttle: a probe must always get through."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


@extend_schema(
    summary="Is the app up, and does its database answer?",
    responses={
        200: inline_serializer(
            "Health",
            {
                "status": serializers.ChoiceField(["ok", "degraded"]),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(STORE_STATES),
            },
        ),
        503: inline_serializer(
            "HealthDown",
            {
                "error": serializers.CharField(),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(STORE_STATES),
            },
        ),
    },
    tags=["health"],
)
class HealthView(OpenCheck):
    def get(self, request):
        store = store_state()
        if not database_answers():
            body = {"error": "The database is unavailable.", "database": "down"}
            return Response({**body, "throttle_store": store}, status=503)
        status = "ok" if store == "ok" else "degraded"
        return Response({"status": status, "database": "ok", "throttle_store": store})


@extend_schema(
    summary="Does the process answer? (liveness: no dependency is asked)",
    responses={200: inline_serializer("Live", {"status": serializers.CharField()})},
    tags=["health"],
)
class LiveView(OpenCheck):
    def get(self, request):
        return Response({"status": "ok"})


@extend_schema(
    summary="Can this instance serve? (readiness: the database and the throttle store)",
    responses={
        200: inline_serializer(
            "Ready",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(STORE_STATES),
            },
        ),
        503: inline_serializer(
            "NotReady",
            {
                "error": serializers.CharField(),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(STORE_STATES),
            },
        ),
    },
    tags=["health"],
)
class ReadyView(OpenCheck):
    def get(self, request):
        store = store_state()
        database = "ok" if database_answers() else "down"
        if database == "ok" and store == "ok":
            return Response({"status": "ok", "database": database, "throttle_store": store})
        checks = {"database": database, "throttle store": store}
        down = ", ".join(name for name, state in checks.items() if state != "ok")
        body = {"error": f"Not ready: {down} unavailable.", "database": database}
        return Response({**body, "throttle_store": store}, status=503)
