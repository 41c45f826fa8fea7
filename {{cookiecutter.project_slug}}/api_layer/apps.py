from django.apps import AppConfig


class ApiLayerConfig(AppConfig):
    """The API layer: what every resource gets without asking (see this package's modules)."""

    name = "api_layer"
    verbose_name = "API layer"
