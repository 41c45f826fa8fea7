from django.conf import settings
from django.db import models


class Task(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="", max_length=2000)
    completed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        # Every list is one owner's: each index leads with the owner, then serves a filter or an
        # ordering of GET /api/tasks/ (the search's `icontains` cannot use a B-tree index).
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="task_owner_newest_idx"),
            models.Index(
                fields=["created_by", "completed", "-created_at"], name="task_owner_completed_idx"
            ),
            models.Index(fields=["created_by", "title"], name="task_owner_title_idx"),
        ]

    def __str__(self):
        return self.title
