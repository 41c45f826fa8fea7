"""URL routes: the API under /api/, its documentation beside it, the admin under /admin/."""

from django.contrib import admin
from django.urls import include, path

from . import docs, errors
from .health import HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("tasks.urls")),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/", include(docs.urlpatterns)),
]

handler404 = errors.not_found
