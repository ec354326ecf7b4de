from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "pilar.imports"
    label = "imports"
    verbose_name = _("Spreadsheet imports")

    def ready(self):
        from pilar.imports.services import imports_recover
        from pilar.lib.jobs import register_recovery

        register_recovery(imports_recover)
