"""The OpenAPI schema tells the whole truth: errors, authentication and throttling included.

Threat: clients (and generated SDKs) built from a schema that lists only the happy path break on
the first 401 or 429, and tools that check responses against the schema cannot check errors.
Decision: drf-spectacular generates the schema; this AutoSchema adds to every operation the
error responses our API really sends, all in the `{"error": ...}` envelope of errors.py, as
two reusable components:

- 400 `ValidationError` for operations with a request body (the field map, or one message when
  the body could not be parsed), 415 `Error` for them too (a body that is not JSON);
- 401 `Error` for operations that need a token;
- 404 `Error` for operations on one object and for paginated lists (a page that does not exist);
- 429 `Error` with `Retry-After` for throttled operations, which also document the `RateLimit`
  and `RateLimit-Policy` headers (IETF httpapi draft) on every response.

The token scheme (`knoxApiToken`) is documented beside the authentication (accounts).
"""

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
)
from rest_framework import serializers

BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="What went wrong, in one message.")


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            {"type": "string"},
        ]
    }
)
class ErrorDetailField(serializers.JSONField):
    """A field map (`{"title": ["..."]}`; `non_field_errors` for the whole body) or a message."""


class ValidationErrorSerializer(serializers.Serializer):
    error = ErrorDetailField(
        help_text=(
            "Messages per field (`non_field_errors` for the body as a whole), or one message "
            "when the body could not be parsed."
        )
    )


THROTTLE_HEADERS = [
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        required=True,
        description="Seconds to wait before the next request can be admitted.",
    ),
    OpenApiParameter(
        "RateLimit-Policy",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="The quota that applies, such as `100;w=60` (IETF httpapi draft).",
    ),
    OpenApiParameter(
        "RateLimit",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="What is left of the quota, such as `limit=100, remaining=99, reset=60`.",
    ),
]


class AutoSchema(openapi.AutoSchema):
    def is_throttled(self):
        return bool(getattr(self.view, "throttle_classes", None))

    def requires_token(self):
        security = self.get_auth()
        return bool(security) and {} not in security

    def has_request_body(self):
        return self.method in BODY_METHODS and self.get_request_serializer() is not None

    def error_responses(self):
        """(status code, component, description) of every error this operation can answer."""
        if self.has_request_body():
            yield "400", ValidationErrorSerializer, "The request body is not valid."
        if self.requires_token():
            yield "401", ErrorSerializer, "No token, or one that is invalid or expired."
        if "{" in self.path or self._is_paginated_list():
            yield "404", ErrorSerializer, "No such object for this caller, or no such page."
        if self.has_request_body():
            yield "415", ErrorSerializer, "The request body is not JSON."
        if self.is_throttled():
            yield "429", ErrorSerializer, "Too many requests: wait `Retry-After` seconds."

    def _is_paginated_list(self):
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.is_throttled():
            parameters = [*parameters, *THROTTLE_HEADERS]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            # drf-spectacular skips the headers of a body-less answer (DELETE's 204).
            if "headers" not in response:
                headers = self._get_response_headers_for_code(code, direction)
                if headers:
                    response["headers"] = headers
        for code, serializer, description in self.error_responses():
            if code not in responses:
                response = OpenApiResponse(serializer, description=description)
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
