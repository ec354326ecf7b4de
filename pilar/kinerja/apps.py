from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KinerjaConfig(AppConfig):
    name = "pilar.kinerja"
    verbose_name = _("Performance")
