from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, grants_key
from pilar.audit.cache import cached_figures
from pilar.casework import cohorts
from pilar.casework.models import (
    ActivityType,
    Household,
    NeedCategory,
    Relation,
    Sector,
)
from pilar.casework.selectors import activity_group
from pilar.lib.fields import (
    BirthDateField,
    DateField,
    ModelMultipleChoiceField,
    MonthField,
    SearchField,
)
from pilar.lib.months import month_start, previous_month
from pilar.lib.widgets import QuickSelect
from pilar.regions.choices import AreaCodeField, area_choices, by_code_when_many
from pilar.regions.models import Area, within_areas_q
from pilar.registry.forms import DateInput
from pilar.registry.models import PillarKind

SEX_CHOICES = [("", "—"), ("L", _("Male")), ("P", _("Female"))]


def kelurahan_in_scope(user, capability: Capability):
    areas = Area.objects.filter(level=Area.Level.KELURAHAN)
    scope = area_scope(user, capability)
    if scope is not None:
        areas = areas.filter(within_areas_q(scope, ""))
    return areas


def kelurahan_choices(user, capability: Capability) -> list[tuple[str, str]]:
    return [(a.code, a.name) for a in kelurahan_in_scope(user, capability).order_by("name")]


def area_filter_choices(user) -> list[tuple[str, str]]:
    """The areas a household filter offers `user`, built once per data version and scope (the
    area tree changes only through audited writes: pilar.audit.cache; docs/PERFORMANCE.md,
    "Load")."""
    return [
        ("", _("All areas")),
        *cached_figures(
            "household-areas",
            (grants_key(user),),
            lambda: area_choices(user, Capability.CASEWORK_VIEW, highest=Area.Level.KECAMATAN),
        ),
    ]


def month_field(**kwargs):
    return MonthField(**kwargs)


class HouseholdFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("KK, name, DTSEN")}),
    )
    area = AreaCodeField(label=_("Area"), required=False, widget=QuickSelect)
    decile = forms.TypedChoiceField(
        label=_("Decile up to"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(i), str(i)) for i in range(1, 11)],
        widget=QuickSelect,
    )
    category = forms.ModelChoiceField(
        label=_("PMKS category"),
        queryset=NeedCategory.objects.all(),
        required=False,
        empty_label=_("All categories"),
        widget=QuickSelect,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + list(Household.Status.choices),
        widget=QuickSelect,
    )
    unassigned = forms.BooleanField(label=_("Only households nobody accompanies"), required=False)
    # The outcome figures' filters (pilar/casework/cohorts.py, docs/OUTCOMES.md): the
    # households behind each figure of /outcomes/, over the twelve months ending `as_of`.
    accompanied = forms.ChoiceField(
        label=_("Accompaniment in the 12 months"),
        required=False,
        choices=[("", "—"), *cohorts.Group.LABELS.items()],
        widget=QuickSelect,
    )
    decile_change = forms.ChoiceField(
        label=_("Decile over the 12 months"),
        required=False,
        choices=[("", "—"), *cohorts.Change.LABELS.items()],
        widget=QuickSelect,
    )
    poorest = forms.ChoiceField(
        label=_("In deciles 1–2 twelve months before"),
        required=False,
        choices=[("", "—"), *cohorts.Poorest.LABELS.items()],
        widget=QuickSelect,
    )
    closed = forms.ChoiceField(
        label=_("Closed or moved in the 12 months"),
        required=False,
        choices=[
            ("", "—"),
            (cohorts.Closure.ANY, _("Any reason")),
            *cohorts.Closure.LABELS.items(),
        ],
        widget=QuickSelect,
    )
    as_of = DateField(
        label=_("Twelve months ending"),
        required=False,
        help_text=_("For the four filters above; empty: today."),
        widget=DateInput,
    )

    OUTCOME_FILTERS = ("accompanied", "decile_change", "poorest", "closed")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_filter_choices(user)


class HouseholdForm(forms.Form):
    kk_number = forms.CharField(
        label=_("KK number"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    area = forms.ChoiceField(label=_("Kelurahan"))
    address = forms.CharField(label=_("Address"), max_length=250)
    rt_rw = forms.CharField(
        label=_("RT/RW"),
        max_length=12,
        required=False,
        help_text=_("Neighbourhood units, as 001/002."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "001/002"}),
    )
    dtsen_id = forms.CharField(label=_("DTSEN/DTKS reference"), max_length=40, required=False)
    decile = forms.TypedChoiceField(
        label=_("Welfare decile"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(i), str(i)) for i in range(1, 11)],
    )
    categories = ModelMultipleChoiceField(
        label=_("PMKS categories"),
        queryset=NeedCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Household.Status.choices)
    status_reason = forms.CharField(label=_("Reason (moved or closed)"), required=False)
    kk_change_reason = forms.CharField(
        label=_("Why the KK number changed"),
        required=False,
        help_text=_("Only when the KK number changes: the old number is kept in the history."),
    )

    def __init__(self, *args, user=None, household=None, **kwargs):
        if household is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kk_number": household.kk_number,
                    "area": household.area.code,
                    "address": household.address,
                    "rt_rw": household.rt_rw,
                    "dtsen_id": household.dtsen_id,
                    "decile": household.decile,
                    "categories": list(household.categories.all()),
                    "status": household.status,
                    "status_reason": household.status_reason,
                },
            )
        super().__init__(*args, **kwargs)
        areas = kelurahan_in_scope(user, Capability.HOUSEHOLDS_EDIT)
        by_code = forms.ModelChoiceField(label=self.fields["area"].label, queryset=areas)
        by_code_when_many(by_code)
        if by_code.to_field_name == "code":  # too many kelurahan for a list
            self.fields["area"] = by_code
        else:
            self.fields["area"].choices = [
                ("", "—"),
                *kelurahan_choices(user, Capability.HOUSEHOLDS_EDIT),
            ]
        if household is None:
            for name in ["status", "status_reason", "kk_change_reason"]:
                del self.fields[name]

    def clean_area(self):
        value = self.cleaned_data["area"]
        return value if isinstance(value, Area) else Area.objects.filter(code=value).first()


class HeadForm(forms.Form):
    """The head of household, entered with a new household."""

    head_nik = forms.CharField(
        label=_("NIK of the head"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    head_name = forms.CharField(label=_("Name of the head"), max_length=150)
    head_sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES)
    head_birth_date = BirthDateField(label=_("Date of birth"), required=False, widget=DateInput())

    def member_data(self) -> dict:
        d = self.cleaned_data
        return {
            "nik": d["head_nik"],
            "name": d["head_name"],
            "sex": d["head_sex"],
            "birth_date": d["head_birth_date"],
        }


class MemberForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Name"), max_length=150)
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES)
    birth_date = BirthDateField(label=_("Date of birth"), required=False, widget=DateInput())
    relation = forms.ChoiceField(label=_("Relation to head"), choices=Relation.choices)


class MemberLeaveForm(forms.Form):
    left_on = DateField(label=_("Left on"), widget=DateInput())
    left_reason = forms.CharField(label=_("Reason"), max_length=250)


class HouseholdNoteForm(forms.Form):
    date = DateField(label=_("Date"), widget=DateInput())
    text = forms.CharField(
        label=_("Note"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("date", timezone.localdate())


class CaseloadForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Pillar"), coerce=int, widget=QuickSelect)
    start_date = DateField(label=_("From"), widget=DateInput())
    confirm = forms.BooleanField(label=_("Assign anyway"), required=False)

    def __init__(self, *args, pillars=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—")] + [(p.pk, p.label) for p in pillars]
        self.initial.setdefault("start_date", timezone.localdate())


class CaseloadEndForm(forms.Form):
    end_date = DateField(label=_("Last day"), widget=DateInput())
    end_reason = forms.CharField(label=_("Reason"), max_length=250)


class ReassignForm(forms.Form):
    person = forms.TypedChoiceField(label=_("New pillar"), coerce=int, widget=QuickSelect)
    start_date = DateField(label=_("From"), widget=DateInput())

    def __init__(self, *args, pillars=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—")] + [(p.pk, p.label) for p in pillars]
        self.initial.setdefault("start_date", timezone.localdate())


def grouped_types():
    groups: dict[str, list] = {}
    labels = dict(Sector.choices)
    for t in ActivityType.objects.filter(active=True):
        groups.setdefault(str(labels[t.sector]), []).append((t.pk, t.name))
    return [("", "—")] + list(groups.items())


class ActivityForm(forms.Form):
    """One phone screen: what, when, with whom; the rest is optional."""

    activity_type = forms.TypedChoiceField(label=_("What did you do?"), coerce=int)
    date = DateField(label=_("Date"), widget=DateInput())
    households = forms.TypedMultipleChoiceField(
        label=_("Households"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for community work."),
    )
    kind = forms.TypedChoiceField(label=_("As"), coerce=int, required=False)
    kube_group = forms.TypedChoiceField(
        label=_("KUBE group"), coerce=int, required=False, empty_value=None
    )
    need_category = forms.ModelChoiceField(
        label=_("PMKS category"), queryset=NeedCategory.objects.all(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_on = DateField(label=_("Follow up on"), required=False, widget=DateInput())
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    keep_location = forms.BooleanField(
        label=_("Keep the photo's location"),
        required=False,
        help_text=_("Off: the place where the photo was taken is removed from it."),
    )
    latitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6
    )

    def __init__(self, *args, person=None, households=(), duties=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].choices = grouped_types()
        self.fields["households"].choices = [(h.pk, h.label) for h in households]
        kinds = {d.kind_id: d.kind for d in duties}
        if len(kinds) > 1:
            self.fields["kind"].choices = [(k.pk, k.name) for k in kinds.values()]
            self.fields["kind"].required = True
        else:
            del self.fields["kind"]
        if groups:
            self.fields["kube_group"].choices = [("", "—")] + [(g.pk, g.name) for g in groups]
        else:
            del self.fields["kube_group"]
        self.initial.setdefault("date", timezone.localdate())

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["activity_type"] = ActivityType.objects.filter(pk=d["activity_type"]).first()
        if d.get("kind"):
            d["kind"] = PillarKind.objects.get(pk=d["kind"])
        if d.get("kube_group"):
            d["kube_group"] = activity_group(d["kube_group"])
        return d


class AreaKindFilterForm(forms.Form):
    """The area (within the user's scope) and kind filters the casework lists share."""

    area = AreaCodeField(label=_("Area"), required=False)
    kind = forms.ModelChoiceField(
        label=_("Kind"),
        queryset=PillarKind.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("All kinds"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_filter_choices(user)


class ActivityFilterForm(AreaKindFilterForm):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("pillar or notes")}),
    )
    month = month_field(label=_("Month"), required=False)
    sector = forms.ChoiceField(
        label=_("Sector"), required=False, choices=[("", _("All"))] + list(Sector.choices)
    )
    activity_type = forms.ModelChoiceField(
        label=_("Activity"),
        queryset=ActivityType.objects.all(),
        required=False,
        empty_label=_("All activities"),
    )
    field_order = ["q", "month", "sector", "activity_type", "area", "kind"]


class StatusFilterForm(AreaKindFilterForm):
    month = month_field(label=_("Up to month"), required=False)
    field_order = ["month", "area", "kind"]


class SubmitForm(forms.Form):
    kind = forms.ModelChoiceField(queryset=PillarKind.objects.all(), widget=forms.HiddenInput)
    month = DateField(widget=forms.HiddenInput)
    notes = forms.CharField(
        label=_("Notes for the coordinator"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


def default_month() -> datetime.date:
    """The month a report page opens on: last month until its reports are due, then this."""
    from pilar.casework.report_services import report_due

    today = timezone.localdate()
    last = previous_month(today)
    return last if today <= report_due(last) else month_start(today)
