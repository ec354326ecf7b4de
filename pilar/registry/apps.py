from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "pilar.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self):
        from pilar.audit.exports import register_export

        # Exports past the bound run as background jobs (pilar/audit/exports.py).
        register_export(
            "registry.people", "pilar.registry.views.person_export", capability="people.view"
        )
