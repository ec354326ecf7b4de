from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Project-wide command-line verbs (serve, demo) and what every page shares (the
    middleware refusing bad input, forms saved once however often they are sent)."""

    name = "pilar.core"
    label = "core"
    verbose_name = _("Core")
