"""The project's settings with the API layer's test routes (api_layer/tests/urls.py), for tests
that serve the project under gunicorn: `serve(DJANGO_SETTINGS_MODULE=...)`."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "api_layer.tests.urls"
