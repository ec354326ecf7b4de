from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "pilar.offices"
    label = "offices"
    verbose_name = _("Office")

    def ready(self):
        # Audit entries are written for the office the request or task acts for.
        from pilar.audit.acting import read_with
        from pilar.offices import current

        read_with(current)
