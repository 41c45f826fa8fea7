"""URL routes: the API under /api/, the admin under /admin/."""

from django.contrib import admin
from django.urls import include, path

from .health import HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("tasks.urls")),
    path("api/health/", HealthView.as_view(), name="health"),
]
