"""The project's routes plus a resource of the tests' own, registered on a router the way a
team adds one: the Postman collection must pick it up with no edit to the exporter."""

from django.contrib.auth.models import Group
from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter

from config import urls as project_urls

# Django reads the error handlers from the root URLconf: the project's own, imported here.
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class GroupViewSet(viewsets.ModelViewSet):
    serializer_class = GroupSerializer
    queryset = Group.objects.order_by("id")


router = SimpleRouter()
router.register("groups", GroupViewSet, basename="test-group")

urlpatterns = [path("api/", include(router.urls)), *project_urls.urlpatterns]
