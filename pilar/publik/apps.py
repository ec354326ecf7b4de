from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublikConfig(AppConfig):
    name = "pilar.publik"
    verbose_name = _("Public figures")

    def ready(self) -> None:
        from pilar.api.routers import register_router
        from pilar.publik.api import router

        register_router("/public", router)
