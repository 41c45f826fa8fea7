"""The project's routes plus test-only ones: the API layer's tests run against these.

- `ITEMS`: a small resource of the API layer's own, so its tests need no domain app (tasks/ may
  be deleted): 120 items every caller with a token may list (paginated by the default
  pagination) or read one by one; creating an item validates the body and answers it back.
  Nothing is stored: an app cannot add models without migrations.
- `/api/test/...`: views that fail the way real bugs do, for the error-envelope tests, and one
  that holds its request until the test lets it go (`HELD`, for the shutdown test). They are
  left out of the schema, which documents only what a client may call.
- `ADMIN`: the admin at a fixed path, whatever `DJANGO_ADMIN_URL` says (empty in CI: no admin);
  `accounts/tests/test_admin.py` tests that setting on the project's own URLconf.

Use it with `pytestmark = pytest.mark.urls("api_layer.tests.urls")`.
"""

import logging
import os
import socket

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from config import urls as project_urls

# Django reads the error handlers from the root URLconf: the project's own, imported here.
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401

ITEMS = "/api/test/items/"
ADMIN = "/admin/"
HELD = "/api/test/held/"
ITEM_COUNT = 120

# What a careless exception message carries: SQL and a file path. Never executed.
LEAKY_MESSAGE = f"SELECT secret FROM auth_user in {__file__}"  # noqa: S608


# "TestItem": its schema component must not clash with a project's own `Item`.
class TestItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)

    def create(self, validated_data):
        return {"id": ITEM_COUNT + 1, **validated_data}


class TestItemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Test-only items: list, create (answered back, not stored), read one."""

    serializer_class = TestItemSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        return [{"id": n, "name": f"Item {n}"} for n in range(1, ITEM_COUNT + 1)]

    def get_object(self):
        for item in self.get_queryset():
            if item["id"] == self.kwargs["pk"]:
                return item
        # What Django's get_object_or_404 says: the envelope must not pass the model name on.
        raise Http404("No Item matches the given query.")


router = SimpleRouter(use_regex_path=False)
router.register("test/items", TestItemViewSet, basename="test-item")


def logging_django_view(request):
    """Logs a line of its own while it works, as a view deep in an app would."""
    logging.getLogger("api_layer.tests").info("working on it")
    return HttpResponse("done")


def crashing_django_view(request):
    raise RuntimeError(LEAKY_MESSAGE)


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def crashing_api_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_table_for_sure")


@extend_schema(exclude=True)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def crashing_post_view(request):
    """Reads the body (a password in it), then fails: what an error reporter must not send."""
    raise RuntimeError(f"failed on a body of {len(request.data)} fields")


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def throttled_api_view(request):
    raise Throttled(wait=30)


class CrashingAuthentication(BaseAuthentication):
    """An authentication class with a bug: it raises whatever the request sends."""

    def authenticate(self, request):
        raise RuntimeError(LEAKY_MESSAGE)


@extend_schema(exclude=True)
@api_view(["GET"])
@authentication_classes([CrashingAuthentication])
def crashing_authentication_view(request):
    return HttpResponse("never reached")


@require_POST
def post_only_django_view(request):
    return HttpResponse("posted")


def forbidden_django_view(request):
    raise PermissionDenied(LEAKY_MESSAGE)


def held_view(request):
    """Connects to the test at port HELD_REQUEST_PORT, says it is in flight, and answers once
    the test sends a byte back: a request the test knows to be in progress."""
    port = int(os.environ["HELD_REQUEST_PORT"])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as test:
        test.sendall(b"in flight")
        test.recv(1)
    return JsonResponse({"held": "released"})


urlpatterns = [
    path(ADMIN.lstrip("/"), admin.site.urls),
    path("api/", include(router.urls)),
    path("api/test/held/", held_view),
    path("api/test/crash/", crashing_django_view),
    path("api/test/logs/", logging_django_view),
    path("api/test/crash-sql/", crashing_api_view),
    path("api/test/crash-authentication/", crashing_authentication_view),
    path("api/test/crash-post/", crashing_post_view),
    path("api/test/forbidden/", forbidden_django_view),
    path("api/test/throttled/", throttled_api_view),
    path("api/test/post-only/", post_only_django_view),
    *project_urls.urlpatterns,
]
