from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "pilar.offices"
    label = "offices"
    verbose_name = _("Office")

    def ready(self):
        # An audit entry no user writes is the office's the request or task acts for
        # (pilar/audit/acting.py).
        from pilar.audit.acting import read_with
        from pilar.offices import current
        from pilar.offices.services import current_office_id

        read_with(current, current_office_id)
