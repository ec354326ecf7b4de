from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaganaConfig(AppConfig):
    name = "pilar.tagana"
    verbose_name = _("Tagana")
