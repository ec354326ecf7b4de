from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Project-wide command-line verbs (serve, demo); no models."""

    name = "pilar.core"
    label = "core"
    verbose_name = _("Core")
