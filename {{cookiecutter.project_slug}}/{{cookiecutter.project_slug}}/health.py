"""Health check: 200 when the app and its database answer, 503 otherwise.

Open to anyone and never throttled, so load balancers and uptime checks can poll it.
"""

import logging

from django.db import DatabaseError, connection
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return False


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        if not database_answers():
            return Response(
                {"error": "The database is unavailable.", "database": "down"}, status=503
            )
        return Response({"status": "ok", "database": "ok"})
