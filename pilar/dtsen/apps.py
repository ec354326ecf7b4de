from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtsenConfig(AppConfig):
    name = "pilar.dtsen"
    label = "dtsen"
    verbose_name = _("DTSEN household extracts")
