from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KubeConfig(AppConfig):
    name = "pilar.kube"
    verbose_name = _("KUBE groups")

    def ready(self):
        from pilar.casework.signals import activity_groups
        from pilar.kube import receivers

        # The KUBE groups a Pendamping KUBE may name on an activity (pilar/casework/signals.py).
        activity_groups.connect(receivers.activity_groups, dispatch_uid="kube.activity_groups")
