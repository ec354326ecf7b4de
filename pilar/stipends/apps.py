from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StipendsConfig(AppConfig):
    name = "pilar.stipends"
    verbose_name = _("Tali kasih")

    def ready(self):
        from pilar.casework.signals import report_reopened
        from pilar.stipends import receivers

        # The warning when a paid or batched month is reopened (pilar/casework/signals.py).
        report_reopened.connect(receivers.report_reopened, dispatch_uid="stipends.report_reopened")
