"""Health check: 200 when the app and its database answer, 503 otherwise.

Open to anyone and never throttled, so load balancers and uptime checks can poll it. It also
reports the throttle store: with Redis down the API keeps serving with per-process throttling
(throttle_store.py), so the answer stays 200, with `"status": "degraded"` and
`"throttle_store": "unavailable"`; a 503 there would take every instance out of a load balancer
at once, since they all share that Redis. The store's state is what the requests last learnt of
Redis, kept for its retry interval: a hung Redis never makes this answer wait (at most 20 ms).
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


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return False


@extend_schema(
    summary="Is the app up, and does its database answer?",
    responses={
        200: inline_serializer(
            "Health",
            {
                "status": serializers.ChoiceField(["ok", "degraded"]),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(["ok", "unavailable"]),
            },
        ),
        503: inline_serializer(
            "HealthDown",
            {
                "error": serializers.CharField(),
                "database": serializers.CharField(),
                "throttle_store": serializers.ChoiceField(["ok", "unavailable"]),
            },
        ),
    },
    tags=["health"],
)
class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        store = "ok" if throttle_store().available() else "unavailable"
        if not database_answers():
            body = {"error": "The database is unavailable.", "database": "down"}
            return Response({**body, "throttle_store": store}, status=503)
        status = "ok" if store == "ok" else "degraded"
        return Response({"status": status, "database": "ok", "throttle_store": store})
