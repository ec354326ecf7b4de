from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.notices.kinds import kinds_for
from pilar.notices.models import Kind, NoticeSettings


class SettingsForm(forms.Form):
    """The user's switches: the kinds that can reach them by their roles, and the channels."""

    def __init__(self, *args, user, current: NoticeSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds_for(user)
        for kind in self.kinds:
            self.fields[kind] = forms.BooleanField(
                label=Kind(kind).label, required=False, initial=getattr(current, kind)
            )
        self.fields["email"] = forms.BooleanField(
            label=_("Send reminders by e-mail"),
            required=False,
            initial=current.email,
            help_text=_("To %(email)s.") % {"email": user.email}
            if user.email
            else _("No e-mail address on file: ask the office's administrator to add one."),
        )
        self.fields["push"] = forms.BooleanField(
            label=_("Send reminders as notifications to my phones"),
            required=False,
            initial=current.push,
            help_text=_("On each phone where notifications are turned on below."),
        )

    def kind_fields(self):
        return [self[kind] for kind in self.kinds]

    def channel_fields(self):
        return [self["email"], self["push"]]
