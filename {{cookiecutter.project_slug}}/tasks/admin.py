from django.contrib import admin

from .models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "created_by", "completed", "created_at"]
    list_filter = ["completed"]
    search_fields = ["title"]
    raw_id_fields = ["created_by"]
