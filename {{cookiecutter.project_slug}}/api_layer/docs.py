"""API documentation: the OpenAPI schema, Swagger UI and ReDoc, and who may read them.

Threat: the schema is a map of every endpoint, parameter and error message; some deployments do
not want it public. Decision: public by default (`API_DOCS_PUBLIC=true`), because the clients
and the bundled tests are built from it. With `API_DOCS_PUBLIC=false` the three pages need a
valid token (or an admin session, for a person in a browser) and answer 401 otherwise, like the
rest of the API: a 404 would hide nothing an attacker cannot probe and would puzzle developers.
The setting is read on every request, so it can be changed without touching the URLs.

The UI pages load their scripts and styles from drf-spectacular-sidecar through the static
files, never from a CDN, and Swagger UI's start-up script is a separate file (the "split" view),
so the pages work offline. They are sent with a Content-Security-Policy of their own (django-csp's
`csp` decorator; every other response gets the settings' policy, which lets nothing load) that
allows scripts, images and connections from this server only: it also stops ReDoc's one remote
request (the Redocly logo it always loads from a CDN).
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.conf import settings
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings


class DocsAccess(BasePermission):
    """Anyone while `API_DOCS_PUBLIC` is on; otherwise authenticated callers only."""

    def has_permission(self, request, view):
        if settings.API_DOCS_PUBLIC:
            return True
        return bool(request.user and request.user.is_authenticated)


# Inline styles are needed by both UIs (they style their own elements); inline scripts are not.
DOCS_POLICY = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "worker-src": [SELF, "blob:"],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [NONE],
}
with_docs_csp = csp(DOCS_POLICY)
# The pages people open in a browser: over plain HTTP they are redirected, not refused (https.py).
PAGE_NAMES = ("swagger-ui", "redoc")

ACCESS = {
    # A token for tools; an admin session for a person reading the docs in a browser.
    "authentication_classes": [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, SessionAuthentication],
    "permission_classes": [DocsAccess],
}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**ACCESS), name="schema"),
    path(
        "docs/",
        with_docs_csp(SpectacularSwaggerSplitView.as_view(url_name="schema", **ACCESS)),
        name="swagger-ui",
    ),
    path(
        "redoc/",
        # drf-spectacular's own ReDoc page loads web fonts from Google: ours loads nothing remote.
        with_docs_csp(
            SpectacularRedocView.as_view(
                url_name="schema", template_name="api_docs/redoc.html", **ACCESS
            )
        ),
        name="redoc",
    ),
]
