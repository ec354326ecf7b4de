import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Django's loggers that write a request's path: certificate codes are cut out of their records
# before any handler sees them (pilar/lib/accesslog.py). Added here rather than in
# settings.LOGGING: a logger named there loses the handlers Django's own configuration gave it
# (django.server's request lines under runserver).
PATH_LOGGERS = ("django.request", "django.security.csrf", "django.server")


class TrainingsConfig(AppConfig):
    name = "pilar.trainings"
    verbose_name = _("Trainings")

    def ready(self):
        from pilar.lib.accesslog import RedactCodes
        from pilar.lib.jobs import register_recovery
        from pilar.trainings.certificates.services import prints_recover

        register_recovery(prints_recover)

        for name in PATH_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactCodes) for f in logger.filters):
                logger.addFilter(RedactCodes())
