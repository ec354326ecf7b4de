import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Django's loggers that write a request's path: certificate codes are cut out of their records
# before any handler sees them (pilar/lib/accesslog.py). Added here rather than in
# settings.LOGGING: a logger named there loses the handlers Django's own configuration gave it
# (django.server's request lines under runserver).
PATH_LOGGERS = ("django.request", "django.security.csrf", "django.server")
# The public addresses whose path carries a certificate's code (the page, whose form at /c/
# takes the code in the query, and the API's check): the logs cut the code
# (pilar/lib/accesslog.py; pilar/trainings/tests/test_accesslog.py checks they are the routes).
CERTIFICATE_PAGE = "/c/"
CERTIFICATE_API = "/api/v1/certificates/verify/"


class TrainingsConfig(AppConfig):
    name = "pilar.trainings"
    verbose_name = _("Trainings")

    def ready(self):
        from pilar.lib.accesslog import RedactCodes, hide_secrets_under
        from pilar.lib.jobs import register_recovery
        from pilar.registry.signals import duty_warnings, person_panels
        from pilar.trainings import receivers
        from pilar.trainings.certificates.services import prints_recover

        register_recovery(prints_recover)
        # What trainings shows on the registry's pages (pilar/registry/signals.py).
        person_panels.connect(receivers.person_panel, dispatch_uid="trainings.person_panel")
        duty_warnings.connect(receivers.duty_warning, dispatch_uid="trainings.duty_warning")

        hide_secrets_under(CERTIFICATE_PAGE, form=True)
        hide_secrets_under(CERTIFICATE_API, form=False)
        for name in PATH_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactCodes) for f in logger.filters):
                logger.addFilter(RedactCodes())
