from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "pilar.equipment"
    verbose_name = _("Equipment")

    def ready(self):
        from pilar.equipment import receivers
        from pilar.registry.signals import person_panels
        from pilar.trainings.signals import event_panels

        # What equipment shows on the pages of the apps below it (pilar/lib/hooks.py).
        person_panels.connect(receivers.person_panel, dispatch_uid="equipment.person_panel")
        event_panels.connect(receivers.event_panel, dispatch_uid="equipment.event_panel")
