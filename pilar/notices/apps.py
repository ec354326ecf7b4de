from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "pilar.notices"
    verbose_name = _("Reminders and notices")

    def ready(self):
        from pilar.backups.signals import worker_round
        from pilar.notices.receivers import on_worker_round

        worker_round.connect(on_worker_round, dispatch_uid="notices-reminders")
