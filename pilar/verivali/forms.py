"""The office's forms for verivali rounds: opening a round, the visit list's filter, assigning
a visit, closing a round. (The pillar's and the coordinator's forms are field_forms.py.)"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, office_scope_q
from pilar.casework.models import NeedCategory
from pilar.lib import fields, params
from pilar.regions.models import Area, within_areas_q
from pilar.registry.forms import DateInput
from pilar.verivali.selectors import STATES

STATE_LABELS = {
    "visited": _("visited"),
    "accepted": _("accepted"),
    "returned": _("returned"),
    "waiting": _("waiting for review"),
    "outstanding": _("not visited yet"),
}


def areas_in_scope(user, capability: Capability):
    """The kecamatan and kelurahan within the user's areas for `capability`."""
    areas = Area.objects.filter(level__in=[Area.Level.KECAMATAN, Area.Level.KELURAHAN])
    scope = area_scope(user, capability)
    if scope is not None:
        areas = areas.filter(within_areas_q(scope, ""))
    return areas.order_by("code")


class AreaChoice(fields.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return obj.label if obj.level == Area.Level.KECAMATAN else f"— {obj.label}"


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    period_start = fields.DateField(label=_("From"), widget=DateInput())
    period_end = fields.DateField(label=_("Until"), widget=DateInput())
    areas = AreaChoice(
        label=_("Kecamatan / kelurahan"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the whole area."),
    )
    deciles = forms.TypedMultipleChoiceField(
        label=_("Welfare deciles"),
        coerce=int,
        required=False,
        choices=[(i, str(i)) for i in range(1, 11)],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every decile."),
    )
    categories = fields.ModelMultipleChoiceField(
        label=_("PMKS categories"),
        queryset=NeedCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every household, whatever its categories."),
    )
    source_import = forms.ModelChoiceField(
        label=_("Only the households of the extract import"),
        queryset=None,
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from pilar.dtsen.models import HouseholdImport

        self.fields["areas"].queryset = areas_in_scope(user, Capability.VERIVALI_RUN)
        self.fields["source_import"].queryset = (
            HouseholdImport.objects.filter(status="committed")
            .filter(office_scope_q(user))
            .order_by("-pk")
        )


class VisitFilterForm(forms.Form):
    area = fields.IntegerField(
        required=False, min_value=1, max_value=params.MAX_ID, widget=forms.HiddenInput
    )
    person = fields.IntegerField(
        required=False, min_value=0, max_value=params.MAX_ID, widget=forms.HiddenInput
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("all"))] + [(s, STATE_LABELS[s]) for s in STATES],
    )


class AssignForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Pillar"), queryset=None)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class CloseForm(forms.Form):
    force = forms.BooleanField(
        label=_("Close even though findings wait for review (they stay out of the results)"),
        required=False,
    )
