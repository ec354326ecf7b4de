from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide command-line verbs (serve, demo); no models."""

    name = "pilar.core"
    label = "core"
