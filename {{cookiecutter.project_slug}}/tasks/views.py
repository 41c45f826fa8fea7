from rest_framework import viewsets

from .models import Task
from .serializers import TaskSerializer


class TaskViewSet(viewsets.ModelViewSet):
    """CRUD on the caller's own tasks.

    The queryset is scoped to the caller, so another user's task is 404 (it does not exist for
    you), never 403 (which would confirm that it exists).
    """

    serializer_class = TaskSerializer

    def get_queryset(self):
        return Task.objects.filter(created_by=self.request.user).select_related("created_by")

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)
