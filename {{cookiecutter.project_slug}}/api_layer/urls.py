"""The API layer's own routes, under /api/: health, the OpenAPI schema and its pages."""

from django.urls import path

from .docs import urlpatterns as docs_urlpatterns
from .health import HealthView

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    *docs_urlpatterns,
]
