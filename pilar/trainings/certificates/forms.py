from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability
from pilar.lib.fields import SearchField
from pilar.regions.choices import area_choices
from pilar.regions.models import Area
from pilar.registry.models import PillarKind
from pilar.trainings.certificates.selectors import STATES, CertificateFilter
from pilar.trainings.choices import course_choices
from pilar.trainings.models import Course, TrainingEvent


class CertificateFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("name, number, course or code"), "type": "search"}
        ),
    )
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), required=False, empty_label=_("All")
    )
    event = forms.ModelChoiceField(
        label=_("Training event"),
        queryset=TrainingEvent.objects.select_related("course"),
        required=False,
        empty_label=_("All"),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = forms.ChoiceField(label=_("Area of duty"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *STATES.items()]
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + [
            (k.code, k.name) for k in PillarKind.objects.all()
        ]
        self.fields["area"].choices = [
            ("", _("All areas")),
            *area_choices(user, Capability.PEOPLE_VIEW),
        ]
        if user is not None:
            course_choices(self.fields["course"], user)
            self.fields["event"].queryset = TrainingEvent.objects.visible_to(user).select_related(
                "course"
            )

    def certificate_filter(self, *, expiring: bool = False) -> CertificateFilter:
        data = self.cleaned_data if self.is_bound else {}
        code = data.get("area") or ""
        return CertificateFilter(
            course=data["course"].pk if data.get("course") else None,
            event=data["event"].pk if data.get("event") else None,
            kind=data.get("kind") or "",
            area=Area.objects.filter(code=code).first() if code else None,
            status=data.get("status") or "",
            q=data.get("q") or "",
            expiring=expiring,
        )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=250,
        widget=forms.TextInput(),
        help_text=_("Kept in the record; the public page only says the certificate is revoked."),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("The code printed under the QR code, e.g. K7QX-M3RT-9A."),
    )
