"""Forms parse; the rules are checked in services.py (the API calls the same services)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope
from pilar.casework.models import Household
from pilar.kube.models import KUBE_MAX_RUPIAH, KubeAid, KubeGroup, KubeMember
from pilar.lib.fields import DateField, SearchField
from pilar.lib.money import MoneyField
from pilar.regions.choices import by_code_when_many, for_filter
from pilar.regions.models import Area, within_areas_q
from pilar.registry.forms import DateInput
from pilar.registry.models import Person


def scoped_areas(user, *, levels: tuple[int, ...], capability=Capability.KUBE_VIEW):
    areas = Area.objects.filter(level__in=levels)
    scope = area_scope(user, capability)
    if scope is not None:
        areas = areas.filter(within_areas_q(scope, ""))
    return areas.order_by("code")


class GroupFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("name or business")}),
    )
    area = forms.ChoiceField(label=_("Kecamatan or kelurahan"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *KubeGroup.Stage.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *KubeGroup.Status.choices],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        areas = for_filter(scoped_areas(user, levels=(Area.Level.KECAMATAN, Area.Level.KELURAHAN)))
        self.fields["area"].choices = [("", _("All areas"))] + [
            (a.code, ("\u00a0\u00a0\u00a0" if a.level == Area.Level.KELURAHAN else "") + a.label)
            for a in areas
        ]

    def filter(self, groups):
        if not self.is_bound or not self.is_valid():
            return groups
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            groups = groups.filter(Q(name__icontains=q) | Q(business_type__icontains=q))
        if data["area"]:
            area = Area.objects.get(code=data["area"])
            groups = groups.filter(within_areas_q([area], "area"))
        if data["stage"]:
            groups = groups.filter(stage=data["stage"])
        if data["status"]:
            groups = groups.filter(status=data["status"])
        return groups


class GroupForm(forms.ModelForm):
    class Meta:
        model = KubeGroup
        fields = ["name", "area", "business_type", "founded_on", "stage", "status"]
        widgets = {"founded_on": DateInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = scoped_areas(
            user, levels=(Area.Level.KELURAHAN,), capability=Capability.KUBE_EDIT
        )
        self.fields["area"].label_from_instance = lambda a: f"{a.label} ({a.parent.name})"
        self.fields["area"].queryset = self.fields["area"].queryset.select_related("parent")
        by_code_when_many(self.fields["area"])

    def _post_clean(self):
        # The model's own checks are the services' job; the form only parses.
        pass


def household_label(household: Household) -> str:
    heads = getattr(household, "heads", None)
    name = heads[0].name if heads else _("(no head recorded)")
    return f"{name} · KK {household.masked_kk}"


class MemberForm(forms.Form):
    household = forms.ModelChoiceField(label=_("Household"), queryset=Household.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=KubeMember.Role.choices, initial="member")
    joined_on = DateField(label=_("Joined on"), widget=DateInput())

    def __init__(self, *args, group: KubeGroup, user, **kwargs):
        from django.db.models import Prefetch

        from pilar.casework.models import HouseholdMember

        kwargs.setdefault("initial", {}).setdefault("joined_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        # The group's kelurahan's households not in this group now; the service refuses those
        # in another group, naming it.
        households = (
            Household.objects.visible_to(user)
            .filter(area_id=group.area_id, status=Household.Status.ACTIVE)
            .exclude(kube_memberships__group=group, kube_memberships__left_on__isnull=True)
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=HouseholdMember.objects.filter(relation="head", left_on__isnull=True),
                    to_attr="heads",
                )
            )
        )
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = household_label


class MemberRemoveForm(forms.Form):
    left_on = DateField(label=_("Left on"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=250)


class CompanionForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Companion"), queryset=Person.objects.none())
    start_date = DateField(label=_("From"), widget=DateInput())

    def __init__(self, *args, group: KubeGroup, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("start_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        # Offered: the Pendamping KUBE serving today in an area that holds the group's kelurahan
        # (its kecamatan, the city, or the kelurahan itself); one duty decides, not any duty.
        from pilar.registry.models import Assignment

        parts = group.area.code.split(".")
        codes = [".".join(parts[: i + 1]) for i in range(len(parts))]
        covering = Area.objects.filter(code__in=codes).values("pk")
        duties = (
            Assignment.objects.active_on(timezone.localdate())
            .filter(kind__code="PENDAMPING_KUBE", area_id__in=covering)
            .values("person_id")
        )
        self.fields["person"].queryset = Person.objects.filter(pk__in=duties).order_by("name")


def kube_money(label) -> MoneyField:
    """An amount typed the Indonesian way (1.500.000), at most KUBE_MAX_RUPIAH."""
    return MoneyField(
        label=label,
        high=KUBE_MAX_RUPIAH,
        help_text=_("Whole rupiah, e.g. 1.500.000."),
    )


class AidForm(forms.ModelForm):
    value = kube_money(_("Value (Rp)"))

    class Meta:
        model = KubeAid
        fields = ["date", "source", "form", "value", "description"]
        widgets = {"date": DateInput()}
        field_classes = {"date": DateField}

    def _post_clean(self):
        pass


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason for the correction"))
        kwargs.setdefault("max_length", 250)
        kwargs.setdefault(
            "help_text", _("Kept with the entry and in the audit log, e.g. “typed 150.050”.")
        )
        super().__init__(**kwargs)


class AidCorrectForm(AidForm):
    reason = ReasonField()

    class Meta(AidForm.Meta):
        fields = ["date", "source", "form", "value", "description", "reason"]


class ReverseForm(forms.Form):
    reason = ReasonField(label=_("Reason for the reversal"), help_text=_("e.g. “recorded twice”."))


class NoteForm(forms.Form):
    date = DateField(label=_("Date"), widget=DateInput())
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class RecordForm(forms.Form):
    month = DateField(label=_("Month"), widget=MonthInput(), input_formats=["%Y-%m", "%Y-%m-%d"])
    turnover = kube_money(_("Turnover (Rp)"))
    savings = kube_money(_("Savings (Rp)"))


class RecordCorrectForm(forms.Form):
    turnover = kube_money(_("Turnover (Rp)"))
    savings = kube_money(_("Savings (Rp)"))
    reason = ReasonField()
