"""The API layer's own routes, under /api/: health, the OpenAPI schema and its pages."""

from django.urls import path

from .docs import urlpatterns as docs_urlpatterns
from .health import HealthView, LiveView, ReadyView

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("health/live/", LiveView.as_view(), name="health-live"),
    path("health/ready/", ReadyView.as_view(), name="health-ready"),
    *docs_urlpatterns,
]
