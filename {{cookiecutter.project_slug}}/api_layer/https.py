"""HTTPS for the API: plain HTTP is refused, not redirected.

Threat: a client that calls `http://` with its token has sent the token in clear before any
answer comes; a redirect then hides the mistake, since HTTP clients follow it silently and keep
working (and keep leaking). Decision: with `SECURE_SSL_REDIRECT` on, a plain-HTTP request under
`/api/` is answered `403 {"error": "HTTPS required"}`, so the client fails at its first call
and gets fixed. What `SECURE_REDIRECT_EXEMPT` exempts (the health checks, probed by load
balancers over HTTP) passes; the doc pages, which people open in a browser, keep Django's
redirect, as do the admin and every other page (SecurityMiddleware, after this one).

Whether a request is secure is Django's `request.is_secure()`: it trusts `X-Forwarded-Proto`
only when settings declare proxies (`TRUSTED_PROXY_COUNT`, `SECURE_PROXY_SSL_HEADER`).
"""

import re

from django.conf import settings
from django.urls import Resolver404, resolve

from .docs import PAGE_NAMES
from .errors import error_response


class HttpsOnlyApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SECURE_SSL_REDIRECT and not request.is_secure() and refused(request):
            return error_response(403, "HTTPS required")
        return self.get_response(request)


def refused(request):
    """Whether this plain-HTTP request is an API call (not exempt, not a doc page)."""
    path = request.path_info
    if not path.startswith("/api/"):
        return False
    if any(re.search(pattern, path.lstrip("/")) for pattern in settings.SECURE_REDIRECT_EXEMPT):
        return False
    try:
        match = resolve(path, getattr(request, "urlconf", None))
    except Resolver404:
        return True
    return match.url_name not in PAGE_NAMES
