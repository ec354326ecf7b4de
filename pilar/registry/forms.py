from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, grants_key
from pilar.audit.cache import cached_figures
from pilar.lib.fields import BirthDateField, DateField, SearchField
from pilar.lib.photos import PhotoField
from pilar.lib.widgets import QuickSelect
from pilar.regions.choices import AreaCodeField, area_choices, by_code_when_many
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.registry.selectors import PeopleFilter
from pilar.registry.services import PERSON_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def filter_choices(user) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The kinds and the areas (pilar.regions.choices.area_choices) a filter offers `user`,
    built once per data version, scope and language: the area tree and the kinds change only
    through audited writes (`load-regions`, the admin), so the newest audit entry's id versions
    them (pilar.audit.cache; docs/PERFORMANCE.md, "Load")."""
    return cached_figures(
        "filter-choices",
        (grants_key(user) if user is not None else None, get_language()),
        lambda: (
            [(k.code, str(k.name)) for k in PillarKind.objects.all()],
            area_choices(user, Capability.PEOPLE_VIEW),
        ),
    )


class PersonFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name, NIK or phone"), "type": "search"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=QuickSelect)
    area = AreaCodeField(label=_("Area of duty"), required=False, widget=QuickSelect)
    exact = forms.BooleanField(
        label=_("Only duties held at this area itself, not below it"), required=False
    )
    active_on = DateField(label=_("Active on"), required=False, widget=DateInput())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        kinds, areas = filter_choices(user)
        self.fields["kind"].choices = [("", _("All kinds")), *kinds]
        choices = [("", _("All areas")), *areas]
        code = (self.data.get("area") or "") if self.is_bound else ""
        if code and code not in dict(choices):
            choices.append((code, code))  # keep a valid code given in the address selectable
        self.fields["area"].widget.choices = choices

    def people_filter(self) -> PeopleFilter:
        data = self.cleaned_data if self.is_bound else {}
        return PeopleFilter(
            kind=data.get("kind") or "",
            area=data.get("area"),
            exact=bool(data.get("exact")),
            active_on=data.get("active_on"),
            q=data.get("q") or "",
        )


class PersonForm(forms.ModelForm):
    # Longer than 16 so that a NIK typed with spaces or dots reaches the registry's own check,
    # which strips them and says exactly what is wrong.
    nik = forms.CharField(
        label=_("NIK"),
        max_length=40,
        help_text=_("16-digit national identity number from the KTP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    residence = forms.ModelChoiceField(
        label=_("Kelurahan of residence"),
        queryset=Area.objects.filter(level=Area.Level.KELURAHAN),
        required=False,
    )

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {
            "birth_date": DateInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        field_classes = {"photo": PhotoField, "birth_date": BirthDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        by_code_when_many(self.fields["residence"])

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
    start_date = DateField(label=_("Start date"), widget=DateInput())
    sk_number = forms.CharField(label=_("SK number"), max_length=100, required=False)
    sk_date = DateField(label=_("SK date"), required=False, widget=DateInput())
    sk_signer = forms.CharField(label=_("SK signed by"), max_length=150, required=False)
    override_reason = forms.CharField(
        label=_("Reason for exceeding the quota"),
        max_length=250,
        required=False,
        help_text=_("Only when the area already has the maximum of this kind."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            # Only the areas the user may give duties in: their office's, not another's.
            scope = area_scope(user, Capability.PEOPLE_EDIT)
            if scope is not None:
                self.fields["area"].queryset = self.fields["area"].queryset.filter(
                    within_areas_q(scope, "")
                )
        self.fields["area"].label_from_instance = lambda a: (
            "\u00a0\u00a0\u00a0" * (a.level - 2) + f"{a.label} ({a.code})"
        )
        by_code_when_many(self.fields["area"])


class DutyByNikForm(AssignmentForm):
    """A duty for a person already registered, perhaps by another office (docs/OFFICE.md,
    "Many offices"): found by NIK, confirmed by the name as on the KTP."""

    nik = forms.CharField(
        label=_("NIK"),
        max_length=40,
        help_text=_("16-digit national identity number from the KTP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As on the KTP: it confirms the NIK is the person's."),
    )

    field_order = ["nik", "name"]


class AssignmentEndForm(forms.Form):
    end_date = DateField(
        label=_("Last day of duty"), widget=DateInput(), initial=timezone.localdate
    )
    end_reason = forms.ChoiceField(label=_("Reason"), choices=Assignment.EndReason.choices)
    end_note = forms.CharField(
        label=_("Note"),
        max_length=250,
        required=False,
        help_text=_("Needed when correcting the end date of a duty that already ended."),
    )
