"""What `GET /api/tasks/` can be asked: filters, a bounded search and an allow-listed ordering.

Threat: query parameters are attacker-controlled SQL shapes. An unknown or mistyped value that is
silently ignored answers with every task as if it had matched (`?completed=maybe`, `?ordering=pwd`);
an unbounded search is a cheap way to make the database scan with a long pattern.
Decision: every parameter is strict and a bad value is a 400 in the error envelope, raised as DRF's
`ValidationError` (django-filter's own validation does the same for its filters). Everything runs on
the owner-scoped queryset of the view, so no parameter can reach another user's tasks.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError as FieldValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from .models import Task

SEARCH_MAX_LENGTH = 100
FORM_CLASSES = {}  # by filterset class: TaskFilter.get_form_class


@extend_schema_field({"type": "boolean", "description": "`true` or `false`."})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true` or `false` only: django-filter's BooleanFilter ignores any other value."""

    def __init__(self, **kwargs):
        choices = [("true", "true"), ("false", "false")]
        super().__init__(choices=choices, coerce=lambda value: value == "true", **kwargs)


def representable_in_utc(value):
    """A time whose UTC equivalent has no year Python can hold (`9999-12-31T23:00-02:00`) is a
    bad value, not an OverflowError and a 500."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise FieldValidationError("Out of range.") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset Python parses, compared in UTC: PostgreSQL refuses offsets
    beyond 15:59 (`-18:48` was a 500 found by schemathesis)."""

    def __init__(self, **kwargs):
        super().__init__(validators=[representable_in_utc], **kwargs)

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value else value)


class TaskFilter(django_filters.FilterSet):
    completed = StrictBooleanFilter()
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = Task
        fields = ["completed", "created_after", "created_before"]

    def get_form_class(self):
        """django-filter builds a new form class on every filtered request (about a tenth of its
        CPU, profiled); its fields depend on nothing in the request (no filter here takes a
        queryset), so it is built once per filterset class. Each request still gets its own
        form, with its own copy of the fields, as Django's forms do."""
        if type(self) not in FORM_CLASSES:
            FORM_CLASSES[type(self)] = super().get_form_class()
        return FORM_CLASSES[type(self)]


class FilterSetBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request has none of the filterset's parameters:
    it builds a form per request (about a tenth of a list request's CPU, profiled), and without
    parameters its answer is the queryset unchanged."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class and not set(filterset_class.base_filters) & set(request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


class BoundedSearchFilter(filters.SearchFilter):
    """DRF's search (case-insensitive, every word must match one of the fields), bounded: a longer
    value or one with a NUL character (which PostgreSQL refuses in a string) is a 400."""

    max_length = SEARCH_MAX_LENGTH

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if len(value) > self.max_length or "\x00" in value:
            message = f"At most {self.max_length} characters, no NUL character."
            raise ValidationError({self.search_param: [message]})
        return super().get_search_terms(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = self.max_length
        return parameters


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ordering over the view's `ordering_fields`, where a field outside them is a 400 (DRF
    drops it silently), and ties are broken by the primary key so pages never overlap."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            allowed = ", ".join(f"{name}, -{name}" for name in view.ordering_fields)
            raise ValidationError({self.ordering_param: [f"Order by one of: {allowed}."]})
        return valid

    def get_ordering(self, request, queryset, view):
        return [*super().get_ordering(request, queryset, view), "-pk"]

    def get_schema_operation_parameters(self, view):
        names = "|".join(view.ordering_fields)
        allowed = ", ".join(f"`{name}`" for name in view.ordering_fields)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Order by {allowed}, each descending with a leading `-`, several separated by "
                    "commas. Default: newest first."
                ),
                "schema": {"type": "string", "pattern": f"^-?({names})(,-?({names}))*$"},
            }
        ]
