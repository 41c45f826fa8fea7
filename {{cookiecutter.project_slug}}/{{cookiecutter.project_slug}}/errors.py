"""One error envelope for every API error: `{"error": ...}`.

Threat: error bodies that leak internals (model names, reprs, stack traces) or that clients must
parse in several shapes. Decision: validation errors keep DRF's field map under "error"; every
other error becomes one message string. DRF's own handler builds the response (status, headers
such as `WWW-Authenticate` and `Retry-After`); only the body is reshaped here.
"""

from django.http import Http404, JsonResponse
from rest_framework.views import exception_handler


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
    if isinstance(exc, Http404):
        # Django's Http404 carries a message naming the model: "No Task matches the given query."
        exc = Http404("Not found.")
    response = exception_handler(exc, context)
    if response is not None:
        response.data = error_body(response.data)
    return response


def not_found(request, exception=None):
    """Django's own 404, for a URL that no route matches (`/api/tasks/0.5/`): the envelope too."""
    return JsonResponse({"error": "Not found."}, status=404)
