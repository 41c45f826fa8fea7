from rest_framework import serializers

from .models import Task
from .validators import validate_title


class StrictBooleanField(serializers.BooleanField):
    """JSON `true` or `false` only; DRF's BooleanField also takes "yes", "on", "1", 1 and more."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class TaskSerializer(serializers.ModelSerializer):
    """Explicit fields: `created_by` is read-only, so a task can never be handed to another user."""

    title = serializers.CharField(min_length=3, max_length=200, validators=[validate_title])
    description = serializers.CharField(
        max_length=2000, allow_blank=True, required=False, trim_whitespace=False
    )
    completed = StrictBooleanField(required=False)
    created_by = serializers.ReadOnlyField(source="created_by.username")

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "completed",
            "created_at",
            "updated_at",
            "created_by",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "created_by"]
