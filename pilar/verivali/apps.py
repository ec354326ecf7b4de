from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerivaliConfig(AppConfig):
    name = "pilar.verivali"
    label = "verivali"
    verbose_name = _("Verification rounds (verivali)")
