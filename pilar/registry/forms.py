from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person, PillarKind


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def area_choices(levels: list[int], scope_qs=None) -> list[tuple[str, str]]:
    areas = scope_qs if scope_qs is not None else Area.objects.all()
    choices = []
    for area in areas.filter(level__in=levels).order_by("code"):
        indent = "\u00a0\u00a0\u00a0" * max(0, area.level - min(levels))
        choices.append((area.code, f"{indent}{area.label}"))
    return choices


class PersonFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name, NIK or phone"), "type": "search"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = forms.ChoiceField(label=_("Area of duty"), required=False)
    active_on = forms.DateField(label=_("Active on"), required=False, widget=DateInput())
    exact = forms.BooleanField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + [
            (k.code, k.name) for k in PillarKind.objects.all()
        ]
        self.fields["area"].choices = [("", _("All areas"))] + area_choices(
            [Area.Level.CITY, Area.Level.KECAMATAN, Area.Level.KELURAHAN]
        )


class PersonForm(forms.ModelForm):
    residence = forms.ModelChoiceField(
        label=_("Kelurahan of residence"),
        queryset=Area.objects.filter(level=Area.Level.KELURAHAN),
        required=False,
    )

    class Meta:
        model = Person
        fields = [
            "nik",
            "name",
            "sex",
            "birth_place",
            "birth_date",
            "address",
            "residence",
            "phone",
            "education",
            "bank_name",
            "bank_account",
            "bank_holder",
            "photo",
        ]
        widgets = {
            "birth_date": DateInput(),
            "nik": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def _post_clean(self):
        # Validation of the whole record is the service's job (it names every bad field);
        # skip ModelForm's instance validation so the unique-NIK check is not doubled.
        pass


class AssignmentForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("Pillar kind"), queryset=PillarKind.objects.all())
    area = forms.ModelChoiceField(
        label=_("Area of duty"),
        queryset=Area.objects.filter(level__gte=Area.Level.CITY),
        help_text=_("PSM serve a kelurahan, TKSK a kecamatan, Tagana the city."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    sk_number = forms.CharField(label=_("SK number"), max_length=100, required=False)
    sk_date = forms.DateField(label=_("SK date"), required=False, widget=DateInput())
    sk_signer = forms.CharField(label=_("SK signed by"), max_length=150, required=False)
    override_reason = forms.CharField(
        label=_("Reason for exceeding the quota"),
        max_length=250,
        required=False,
        help_text=_("Only when the area already has the maximum of this kind."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].label_from_instance = lambda a: (
            "\u00a0\u00a0\u00a0" * (a.level - 2) + f"{a.label} ({a.code})"
        )


class AssignmentEndForm(forms.Form):
    end_date = forms.DateField(
        label=_("Last day of duty"), widget=DateInput(), initial=timezone.localdate
    )
    end_reason = forms.ChoiceField(label=_("Reason"), choices=Assignment.EndReason.choices)
    end_note = forms.CharField(label=_("Note"), max_length=250, required=False)


def parse_date(value: str | None, default: datetime.date) -> datetime.date:
    if not value:
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return default
