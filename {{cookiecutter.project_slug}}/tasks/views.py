from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets

from .models import Task
from .serializers import TaskSerializer

NEW_TASK = {"title": "Buy milk", "description": "Two litres, semi-skimmed", "completed": False}
TASK = {
    "id": 42,
    **NEW_TASK,
    "created_at": "2026-01-15T09:30:00Z",
    "created_by": "alice",
}


def examples(request, response):
    return [
        OpenApiExample("Request", value=request, request_only=True),
        OpenApiExample("Response", value=response, response_only=True),
    ]


@extend_schema_view(
    create=extend_schema(examples=examples(NEW_TASK, TASK)),
    update=extend_schema(
        examples=examples({**NEW_TASK, "completed": True}, {**TASK, "completed": True})
    ),
    partial_update=extend_schema(
        examples=examples({"completed": True}, {**TASK, "completed": True})
    ),
)
class TaskViewSet(viewsets.ModelViewSet):
    """CRUD on the caller's own tasks.

    The queryset is scoped to the caller, so another user's task is 404 (it does not exist for
    you), never 403 (which would confirm that it exists).
    """

    serializer_class = TaskSerializer
    queryset = Task.objects.none()  # names the model for the schema; get_queryset scopes it

    def get_queryset(self):
        return Task.objects.filter(created_by=self.request.user).select_related("created_by")

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)
