from django.db import transaction
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets

from api_layer.openapi import ErrorSerializer, ValidationErrorSerializer

from .conditional import (
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    ConditionalMixin,
    etag_header,
)
from .filters import BoundedSearchFilter, FilterSetBackend, StrictOrderingFilter, TaskFilter
from .models import Task
from .quota import check_task_quota
from .serializers import LISTED_COLUMNS, TaskSerializer, listed_tasks

NEW_TASK = {"title": "Buy milk", "description": "Two litres, semi-skimmed", "completed": False}
TASK = {
    "id": 42,
    **NEW_TASK,
    "created_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-01-15T09:30:00Z",
    "created_by": "alice",
}


def examples(request, response):
    return [
        OpenApiExample("Request", value=request, request_only=True),
        OpenApiExample("Response", value=response, response_only=True),
    ]


@extend_schema_view(
    list=extend_schema(
        parameters=[IF_NONE_MATCH, etag_header(200, 304)],
        responses={
            200: TaskSerializer(many=True),
            304: NOT_MODIFIED,
            400: OpenApiResponse(
                ValidationErrorSerializer, description="A query parameter is not valid."
            ),
        },
    ),
    retrieve=extend_schema(
        parameters=[IF_NONE_MATCH, etag_header(200, 304)],
        responses={200: TaskSerializer, 304: NOT_MODIFIED},
    ),
    create=extend_schema(
        parameters=[etag_header(201)],
        responses={
            201: TaskSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="The caller has `MAX_TASKS_PER_USER` tasks already."
            ),
        },
        examples=examples(NEW_TASK, TASK),
    ),
    update=extend_schema(
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: TaskSerializer, 412: PRECONDITION_FAILED},
        examples=examples({**NEW_TASK, "completed": True}, {**TASK, "completed": True}),
    ),
    partial_update=extend_schema(
        parameters=[IF_MATCH, etag_header(200)],
        responses={200: TaskSerializer, 412: PRECONDITION_FAILED},
        examples=examples({"completed": True}, {**TASK, "completed": True}),
    ),
    destroy=extend_schema(parameters=[IF_MATCH], responses={204: None, 412: PRECONDITION_FAILED}),
)
class TaskViewSet(ConditionalMixin, viewsets.ModelViewSet):
    """CRUD on the caller's own tasks, with ETags and preconditions (conditional.py).

    The queryset is scoped to the caller, so another user's task is 404 (it does not exist for
    you), never 403 (which would confirm that it exists).
    """

    serializer_class = TaskSerializer
    queryset = Task.objects.none()  # names the model for the schema; get_queryset scopes it
    # ?completed=, ?created_after=, ?created_before=, ?search=, ?ordering= (filters.py).
    filter_backends = [FilterSetBackend, BoundedSearchFilter, StrictOrderingFilter]
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "title", "completed"]
    ordering = ["-created_at"]  # newest first; ties by id (StrictOrderingFilter)

    def get_queryset(self):
        return Task.objects.filter(created_by=self.request.user).select_related("created_by")

    def list(self, request, *args, **kwargs):
        """Rows, not model instances, for the page (serializers.listed_tasks says why): the
        same filters, pagination, ETag and JSON as DRF's list."""
        rows = self.filter_queryset(self.get_queryset()).values(*LISTED_COLUMNS)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(listed_tasks(page, request.user))

    def perform_create(self, serializer):
        with transaction.atomic():
            check_task_quota(self.request.user)  # 409 past MAX_TASKS_PER_USER (quota.py)
            serializer.save(created_by=self.request.user)
