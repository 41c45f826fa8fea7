"""URL routes: your resources on the API router, the API layer's own routes, the admin.

A new resource is one `router.register(...)` line here (see the README's "Add a resource").
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tasks.views import TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")

# The admin at the path DJANGO_ADMIN_URL names (random per project: no scanner finds it by
# guessing `/admin/`), or nowhere when it is empty.
admin_urlpatterns = [path(f"{settings.ADMIN_URL}/", admin.site.urls)] if settings.ADMIN_URL else []

urlpatterns = [
    *admin_urlpatterns,
    path("api/auth/", include("accounts.urls")),
    path("api/", include(router.urls)),
    # Health, OpenAPI schema, Swagger UI and ReDoc.
    path("api/", include("api_layer.urls")),
]

# Every error Django answers itself is JSON in the error envelope (api_layer/errors.py).
handler400 = "api_layer.errors.bad_request"
handler403 = "api_layer.errors.permission_denied"
handler404 = "api_layer.errors.not_found"
handler500 = "api_layer.errors.server_error"
