from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "pilar.casework"
    verbose_name = _("Casework")

    def ready(self):
        from pilar.audit.exports import register_export
        from pilar.casework.reference import ensure_casework_reference
        from pilar.registry.signals import reference_data_needed

        reference_data_needed.connect(ensure_casework_reference, dispatch_uid="casework.reference")

        # Exports past the bound run as background jobs (pilar/audit/exports.py).
        register_export(
            "casework.households",
            "pilar.casework.views.households.household_export",
            capability="casework.view",
        )
        register_export(
            "casework.activities",
            "pilar.casework.views.activities.activity_export",
            capability="casework.view",
        )
