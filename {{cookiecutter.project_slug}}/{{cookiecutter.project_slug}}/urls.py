"""URL routes: the API under /api/, its documentation beside it, the admin under /admin/."""

from django.contrib import admin
from django.urls import include, path

from . import docs, errors
from .health import HealthView

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("tasks.urls")),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/", include(docs.urlpatterns)),
]
