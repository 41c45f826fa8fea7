"""Conditional requests: ETags, 304 Not Modified and 412 Precondition Failed (RFC 9110, 13).

Threat: lost updates. Two clients (two devices of one user) read a task, both change it, and the
second overwrites the first without knowing it was changed.
Decision: every successful answer carries an `ETag`, a hash of what it says: strong for one object
(its serialized state), weak for a list page (its body). The client sends the tag back:

- `If-None-Match` on GET or HEAD: 304 without a body when nothing changed;
- `If-Match` on PUT, PATCH or DELETE: the change applies only if the object still has that tag
  (or the tag is `*`), else 412 in the error envelope and nothing is changed.

The check and the write run in one transaction with the row locked (`select_for_update` on
PostgreSQL; on SQLite, transactions take the write lock when they begin: settings.py), so two
clients holding the same tag cannot both pass it. Without `If-Match` a write is unconditional, as
before. Nothing here names a model: any `ModelViewSet` can inherit it, before the view class.
"""

import hashlib

from django.db import transaction
from django.http import HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer

from api_layer.openapi import ErrorSerializer

WRITES = {"PUT", "PATCH", "DELETE"}
# What a 304 repeats of the answer it replaces (as Django's ConditionalGetMiddleware does).
KEPT_ON_NOT_MODIFIED = ["Cache-Control", "Content-Location", "ETag", "Expires", "Vary"]


class PreconditionFailed(APIException):
    status_code = 412
    default_detail = "Changed since you read it: read it again and retry with its new ETag."
    default_code = "precondition_failed"


def digest(content):
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def listed_tags(header):
    return {tag.strip() for tag in header.split(",")}


def not_modified(response):
    answer = HttpResponseNotModified()
    for header in KEPT_ON_NOT_MODIFIED:
        if header in response:
            answer[header] = response[header]
    return answer


class ConditionalMixin:
    def etag_of(self, data):
        """The strong tag of one object's serialized state."""
        return digest(JSONRenderer().render(data))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code in (200, 201) and response.data is not None:
            response.add_post_render_callback(self.tag)
        return response

    def tag(self, response):
        """Set the ETag once the body is rendered; answer 304 if the client has it already."""
        if self.action == "list":
            etag = f"W/{digest(response.content)}"
        else:
            etag = self.etag_of(response.data)
        response["ETag"] = etag
        known = self.request.headers.get("If-None-Match")
        if self.request.method in ("GET", "HEAD") and known is not None:
            # Weak comparison (RFC 9110, 8.8.3.2): W/"x" and "x" are the same tag here.
            weak = {tag.removeprefix("W/") for tag in listed_tags(known)}
            if weak & {"*", etag.removeprefix("W/")}:
                return not_modified(response)
        return None

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.request.method in WRITES and "If-Match" in self.request.headers:
            queryset = queryset.select_for_update(of=("self",))  # held until the write commits
        return queryset

    def get_object(self):
        instance = super().get_object()
        expected = self.request.headers.get("If-Match")
        if self.request.method in WRITES and expected is not None:
            # Strong comparison: a weak tag never matches.
            current = self.etag_of(self.get_serializer(instance).data)
            if not listed_tags(expected) & {"*", current}:
                raise PreconditionFailed()
        return instance

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)


# The schema of the above, for `extend_schema(parameters=..., responses=...)` on the view.
def etag_header(*statuses):
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=list(statuses),
        required=True,
        description="The tag of this state: send it back in `If-None-Match` or `If-Match`.",
    )


IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETags you hold: 304 without a body if one is still current.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you read: the change applies only if it is still current, else 412.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: the `If-None-Match` tag is current.")
PRECONDITION_FAILED = OpenApiResponse(
    ErrorSerializer, description="Changed since the `If-Match` tag was read: nothing was changed."
)
