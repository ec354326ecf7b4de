from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "pilar.dashboard"
    verbose_name = _("Dashboard")

    def ready(self):
        from pilar.backups.signals import worker_round
        from pilar.dashboard.monthly_services import recover_monthly_reports
        from pilar.dashboard.receivers import on_worker_round
        from pilar.lib.jobs import register_recovery

        worker_round.connect(on_worker_round, dispatch_uid="dashboard-monthly-reports")
        register_recovery(recover_monthly_reports)
