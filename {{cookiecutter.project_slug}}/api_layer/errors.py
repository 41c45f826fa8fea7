"""One error envelope for every error: `{"error": ...}`.

Threat: error bodies that leak internals (model names, reprs, stack traces, SQL, file paths) or
that clients must parse in several shapes; HTML error pages from the parts DRF never sees.
Decision: validation errors keep DRF's field map under "error"; every other error becomes one
message string. DRF's own handler builds API error responses (status, headers such as
`WWW-Authenticate` and `Retry-After`); only the body is reshaped here. What DRF never sees (unknown
routes, bad `Host`, CSRF failures, Django's `PermissionDenied`, unhandled exceptions) goes through
Django's error handlers below, which answer with a fixed message and never the exception's text.
`ErrorEnvelopeMiddleware` catches whatever is left (a plain `HttpResponseNotAllowed`, Django's
debug pages), so no HTML error page is served anywhere, the admin included: the admin's own pages
stay HTML, its errors are JSON like the API's.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse
from rest_framework.views import exception_handler

from .throttling import count_uncounted

# Fixed messages by status: nothing from the exception or the request reaches the body.
MESSAGES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    500: "A server error occurred.",
}


def error_body(detail):
    """Reshape DRF's error data into the envelope: a field map stays a map, the rest a string."""
    if isinstance(detail, dict) and set(detail) == {"detail"}:
        detail = detail["detail"]
    if isinstance(detail, list) and len(detail) == 1:
        detail = detail[0]
    if isinstance(detail, (dict, list)):
        return {"error": detail}
    return {"error": str(detail)}


def api_exception_handler(exc, context):
    exc = count_uncounted(exc, context)  # DRF authenticates (and may fail) before it throttles
    if isinstance(exc, Http404):
        # Django's Http404 carries a message naming the model: "No Note matches the given query."
        exc = Http404("Not found.")
    response = exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.data)
    return response


def error_response(status, message=None):
    body = {"error": message or MESSAGES.get(status, "Request failed.")}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


# Django's error handlers (`handler400` ... in urls.py, `CSRF_FAILURE_VIEW` in settings).
def bad_request(request, exception=None):
    # Django reports an oversized body as a 400; it is a 413 (DRF's parser reads through it too).
    status = 413 if isinstance(exception, RequestDataTooBig) else 400
    return error_response(status)


def permission_denied(request, exception=None):
    return error_response(403)


def not_found(request, exception=None):
    return error_response(404)


def server_error(request):
    # The exception and its traceback are logged by Django's `django.request` logger.
    return error_response(500)


def csrf_failure(request, reason=""):
    return error_response(403, "CSRF verification failed.")


class ErrorEnvelopeMiddleware:
    """Turn any remaining non-JSON error response into the envelope, keeping status and headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.status_code >= 400
            and not response.streaming
            and not content_type.startswith("application/json")
        ):
            data = getattr(response, "data", None)  # a DRF error rendered as YAML (the schema)
            if isinstance(data, dict) and set(data) == {"error"}:
                response.content = json.dumps(data).encode()
            else:
                response.content = error_response(response.status_code).content
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
