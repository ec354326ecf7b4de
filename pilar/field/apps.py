from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "pilar.field"
    verbose_name = _("In the field (offline work and sync)")
