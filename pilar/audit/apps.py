from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pilar.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from pilar.audit.exports import recover_exports
        from pilar.lib.jobs import register_recovery

        register_recovery(recover_exports)
