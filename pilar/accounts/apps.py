from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pilar.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from pilar.accounts.middleware import mark_seen

        user_logged_in.connect(mark_seen, dispatch_uid="pilar-session-seen")
