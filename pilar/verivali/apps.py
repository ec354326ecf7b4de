from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerivaliConfig(AppConfig):
    name = "pilar.verivali"
    label = "verivali"
    verbose_name = _("Verification rounds (verivali)")

    def ready(self):
        from pilar.registry.signals import reference_data_needed
        from pilar.verivali.services import ensure_verivali_reference

        reference_data_needed.connect(ensure_verivali_reference, dispatch_uid="verivali.reference")
