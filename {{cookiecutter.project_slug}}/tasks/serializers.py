from django.conf import settings
from django.utils import timezone
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


# The list's columns: every field of TaskSerializer but the owner, whose name the caller has.
LISTED_COLUMNS = ["id", "title", "description", "completed", "created_at", "updated_at"]


def listed_tasks(rows, owner):
    """What `TaskSerializer(tasks, many=True).data` says of one owner's tasks, built from
    `.values(*LISTED_COLUMNS)` rows: the same JSON, byte for byte (test_list_representation.py
    holds the two side by side for every kind of value, so a field added to the serializer and
    not here fails there).

    Why not the serializer: the list is the API's hottest request, and DRF's field-by-field
    path (an attribute lookup and a `to_representation` per field and task) plus a model
    instance per row and a join for the owner's name were about a quarter of its CPU
    (bench/profile_list.py).
    Timestamps still go through DRF's own DateTimeField, as the serializer's (the current time
    zone, or none with USE_TZ off), given that zone once per page: left to find it, the field
    reads it from a context-local for each value, a tenth of the whole list request's
    instructions (bench/instructions.py). The owner's name is the caller's, as the list holds
    only their tasks.
    """
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    timestamp = serializers.DateTimeField(default_timezone=zone).to_representation
    username = owner.username  # the serializer's `created_by.username`
    return [
        {
            "id": row["id"],
            "title": row["title"],
            "description": row["description"],
            "completed": row["completed"],
            "created_at": timestamp(row["created_at"]),
            "updated_at": timestamp(row["updated_at"]),
            "created_by": username,
        }
        for row in rows
    ]
