"""At most `MAX_TASKS_PER_USER` tasks per user.

Threat: unrestricted resource consumption (OWASP API4:2023): the throttle bounds how fast one
account writes, not how much it keeps; at 100 requests a minute an account stores 144,000 tasks a
day, and every list, count and backup of the database pays for them.
Decision: the create past the quota is refused with 409 Conflict in the error envelope. Not 429:
waiting does not help and clients retry a 429 after `Retry-After`; not 403: the caller may create
tasks, the refusal is about the current state, which the caller can change (delete a task) and
then retry, which is what 409 says. Counting and creating run in one transaction that first locks
the owner's row, so creates of one user run one at a time and two creates at the limit cannot
both pass (PostgreSQL: the row lock; SQLite: IMMEDIATE transactions, settings.py, admit one
writer at a time).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.exceptions import APIException

from .models import Task


class TaskQuotaExceeded(APIException):
    status_code = 409
    default_detail = "Task limit reached: delete a task to create another."
    default_code = "task_quota_exceeded"


def check_task_quota(user):
    """Lock the user's row and refuse when the user has the quota's tasks already.

    Call inside `transaction.atomic()`, with the create that follows it.
    """
    get_user_model().objects.select_for_update().get(pk=user.pk)
    if Task.objects.filter(created_by=user).count() >= settings.MAX_TASKS_PER_USER:
        raise TaskQuotaExceeded()
