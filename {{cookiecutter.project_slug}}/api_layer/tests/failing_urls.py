"""The project's routes plus views that fail the way real bugs do, for the error-envelope tests."""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny

from config import urls as project_urls

# The project's error handlers, whichever it sets: Django reads them from the root URLconf.
globals().update(
    {name: view for name, view in vars(project_urls).items() if name.startswith("handler")}
)

# What a careless exception message carries: SQL and a file path. Never executed.
LEAKY_MESSAGE = f"SELECT secret FROM auth_user in {__file__}"  # noqa: S608


def crashing_django_view(request):
    raise RuntimeError(LEAKY_MESSAGE)


@api_view(["GET"])
@permission_classes([AllowAny])
def crashing_api_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_table_for_sure")


@api_view(["GET"])
@permission_classes([AllowAny])
def throttled_api_view(request):
    raise Throttled(wait=30)


@require_POST
def post_only_django_view(request):
    return HttpResponse("posted")


def forbidden_django_view(request):
    raise PermissionDenied(LEAKY_MESSAGE)


urlpatterns = [
    path("api/test/crash/", crashing_django_view),
    path("api/test/crash-sql/", crashing_api_view),
    path("api/test/forbidden/", forbidden_django_view),
    path("api/test/throttled/", throttled_api_view),
    path("api/test/post-only/", post_only_django_view),
    *project_urls.urlpatterns,
]
