from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pilar.accounts import throttle
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, client_ip


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refusing further tries after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is wrong. Check both and try again."),
        "locked": _(
            "Too many failed attempts. Wait %(minutes)s minutes and try again, or ask the "
            "administrator to reset your password."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else None
        if throttle.is_locked(username, ip):
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.PILAR_LOGIN_WINDOW_MINUTES},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, ip)
            audit_record(
                by=Actor(user=None, source=AuditEntry.Source.WEB, ip=ip),
                action=AuditEntry.Action.LOGIN_FAILED,
                object_type="accounts.user",
                object_repr=username[:200],
            )
            raise
        throttle.clear_failures(username)
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
