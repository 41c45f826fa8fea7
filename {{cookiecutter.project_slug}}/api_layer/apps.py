from django.apps import AppConfig
from django.core import checks


class ApiLayerConfig(AppConfig):
    """The API layer: what every resource gets without asking (see this package's modules)."""

    name = "api_layer"
    verbose_name = "API layer"

    def ready(self):
        from .checks import one_process_without_a_shared_store

        checks.register(one_process_without_a_shared_store)
