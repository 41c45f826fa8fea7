from django.http import JsonResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from todo.views import TaskViewSet

router = DefaultRouter()
router.register("tasks", TaskViewSet, basename="task")


def bare(request):
    """The ceiling: Django alone, a small JSON body, no DRF, no database."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bare/", bare),
    path("api/", include(router.urls)),
]
