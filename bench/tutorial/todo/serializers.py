from rest_framework import serializers

from .models import Task


class TaskSerializer(serializers.ModelSerializer):
    # The tutorial's `ReadOnlyField(source="owner.username")` would add a query per row (no
    # select_related); the primary key keeps this reference at 3 queries per request.
    class Meta:
        model = Task
        fields = ["id", "title", "description", "completed", "created_at", "created_by"]
        read_only_fields = ["created_by"]
