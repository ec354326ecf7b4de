from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KubeConfig(AppConfig):
    name = "pilar.kube"
    verbose_name = _("KUBE groups")
