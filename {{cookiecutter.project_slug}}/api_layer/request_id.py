"""Request ids: one id per request, on its response and on every log line it causes.

Threat: an incident that cannot be followed from a client's report to the server's log lines (a
traceback among thousands of lines; one request seen by a proxy, the app and the error reporter).
Decision: every response carries `X-Request-ID`, and every log record made while the request is
served (the request log, security events, Django's own `django.request` tracebacks, a view's own
lines) carries the same id, in the text and the JSON format alike.

The id is taken from the incoming `X-Request-ID` only when a trusted proxy stands in front
(`TRUSTED_PROXY_COUNT` > 0, as for `X-Forwarded-For`: the proxy must set or overwrite it) and
only when it is well-formed: 1 to 64 characters of letters, digits, `-`, `_` and `.`. Anything
else (no proxy, a long value, a newline, a quote) is replaced by a fresh uuid4 hex, so a hostile
value never reaches a log line or a response header. Without a proxy a client could choose the
id of its own requests and make them look like another's.

The id lives in a context variable for the duration of the request (threads and asyncio tasks
each see their own); `RequestIdFilter`, attached to every handler in settings' LOGGING, copies
it onto each record as `request_id` (`-` outside a request).
"""

import contextvars
import logging
import re
import uuid

from django.conf import settings

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"

current = contextvars.ContextVar("request_id", default=NO_REQUEST)


def current_request_id():
    """The id of the request being served in this thread or task, `-` outside a request."""
    return current.get()


def incoming_or_new(request):
    """The trusted proxy's well-formed id, else a fresh one."""
    incoming = request.META.get(META_KEY, "")
    if settings.TRUSTED_PROXY_COUNT > 0 and WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost: the id is set before anything logs and is on every response, errors included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new(request)
        token = current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record a handler writes."""

    def filter(self, record):
        record.request_id = current.get()
        return True
