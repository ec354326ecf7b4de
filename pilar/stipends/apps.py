from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StipendsConfig(AppConfig):
    name = "pilar.stipends"
    verbose_name = _("Tali kasih")
