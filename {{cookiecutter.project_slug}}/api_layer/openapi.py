"""The OpenAPI schema tells the whole truth: errors, authentication and throttling included.

Threat: clients (and generated SDKs) built from a schema that lists only the happy path break on
the first 401 or 429, and tools that check responses against the schema cannot check errors.
Decision: drf-spectacular generates the schema; this AutoSchema adds to every operation the
error responses our API really sends, all in the `{"error": ...}` envelope of errors.py, as
two reusable components:

- 400 `ValidationError` for every operation: a body or query parameter that is not valid (the
  field map), or a body that could not be parsed or a Host header that is not allowed (one
  message: any request can carry a bad Host); 415 `Error` for operations with a body (not JSON);
- 401 `Error` for operations that need a token;
- 404 `Error` for operations on one object and for paginated lists (a page that does not exist);
- 429 `Error` with `Retry-After` for throttled operations, which also document the `RateLimit`
  and `RateLimit-Policy` headers (IETF httpapi draft) on every response, in the syntax sent.

Only drf-spectacular's public extension points: the operation its `get_operation` generated is
completed here, after the fact, rather than by overriding the private methods that build it.

The token scheme (`knoxApiToken`) is documented beside the authentication (accounts).
"""

from drf_spectacular import openapi
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


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


# The headers exactly as RateLimitHeadersMiddleware (throttling.py) sends them: one item per
# budget the request was counted against, draft-ietf-httpapi-ratelimit-headers' syntax.
POLICY_ITEM = r'"[^"]+";q=[0-9]+;w=[0-9]+'
LIMIT_ITEM = r'"[^"]+";r=[0-9]+;t=[0-9]+'
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "schema": {"type": "string", "pattern": f"^{POLICY_ITEM}(, {POLICY_ITEM})*$"},
        "description": (
            "Each budget the request counts against: its name, quota `q` and window `w` in "
            'seconds, such as `"user";q=100;w=60` (IETF httpapi draft).'
        ),
    },
    "RateLimit": {
        "schema": {"type": "string", "pattern": f"^{LIMIT_ITEM}(, {LIMIT_ITEM})*$"},
        "description": (
            "What is left of each budget, in the order of `RateLimit-Policy`: requests remaining "
            "`r` and seconds `t` until the oldest counted request leaves the window, such as "
            '`"user";r=99;t=60`.'
        ),
    },
}
RETRY_AFTER = {
    "schema": {"type": "integer"},
    "required": True,
    "description": "Seconds to wait before the next request can be admitted.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema; its public `get_operation` adds our errors and headers to
    each operation it generated (components through its public `resolve_serializer`)."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:  # excluded from the schema
            return None
        responses = operation["responses"]
        for code, serializer, description in self.error_responses(operation):
            if code not in responses:
                schema = self.resolve_serializer(serializer, "response").ref
                media_types = self.map_renderers("media_type")
                content = {media_type: {"schema": schema} for media_type in media_types}
                responses[code] = {"content": content, "description": description}
        if self.is_throttled():
            for response in responses.values():
                response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
            responses["429"]["headers"]["Retry-After"] = RETRY_AFTER
        return operation

    def is_throttled(self):
        return bool(getattr(self.view, "throttle_classes", None))

    def is_paginated_list(self, operation):
        """A GET that takes every query parameter of the view's paginator."""
        paginator = getattr(self.view, "paginator", None)
        if self.method != "GET" or paginator is None:
            return False
        wanted = {p["name"] for p in paginator.get_schema_operation_parameters(self.view)}
        return bool(wanted) and wanted <= {p["name"] for p in operation.get("parameters", [])}

    def error_responses(self, operation):
        """(status code, component, description) of every error this operation can answer."""
        has_body = "requestBody" in operation
        yield "400", ValidationErrorSerializer, "The body, a parameter or a header is not valid."
        if {} not in operation.get("security", [{}]):
            yield "401", ErrorSerializer, "No token, or one that is invalid or expired."
        if "{" in self.path or self.is_paginated_list(operation):
            yield "404", ErrorSerializer, "No such object for this caller, or no such page."
        if has_body:
            yield "415", ErrorSerializer, "The request body is not JSON."
        if self.is_throttled():
            yield "429", ErrorSerializer, "Too many requests: wait `Retry-After` seconds."
