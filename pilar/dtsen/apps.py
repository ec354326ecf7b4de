from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DtsenConfig(AppConfig):
    name = "pilar.dtsen"
    label = "dtsen"
    verbose_name = _("DTSEN household extracts")

    def ready(self):
        from pilar.dtsen.engine.run import extract_recover
        from pilar.lib.jobs import register_recovery

        register_recovery(extract_recover)
