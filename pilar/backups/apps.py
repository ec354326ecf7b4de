from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    name = "pilar.backups"
    label = "backups"
    verbose_name = _("Backups")

    def ready(self):
        from pilar.backups.services import recover_runs
        from pilar.lib.jobs import register_recovery

        register_recovery(recover_runs)
