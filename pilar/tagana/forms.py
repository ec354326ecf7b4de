from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope, office_wide
from pilar.lib.fields import DateField, SearchField
from pilar.regions.choices import area_choices, by_code_when_many
from pilar.regions.models import Area, within_areas_q
from pilar.registry.forms import DateInput
from pilar.registry.models import Assignment, Person
from pilar.tagana.models import TAGANA, Deployment, DisasterEvent, own_units
from pilar.tagana.selectors import EventFilter


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class EventFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("description or place"), "type": "search"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind of disaster"),
        required=False,
        choices=[("", _("All kinds")), *DisasterEvent.Kind.choices],
    )
    area = forms.ChoiceField(label=_("Kecamatan or kelurahan"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and closed")), *DisasterEvent.Status.choices],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [
            ("", _("All areas")),
            *area_choices(
                user,
                Capability.TAGANA_VIEW,
                highest=Area.Level.KECAMATAN,
                # a pillar sees the events of the units they serve in, too (an office-wide
                # scope holds them already: no query for it)
                also=own_units(user)
                if getattr(user, "person_id", None)
                and not office_wide(user, Capability.TAGANA_VIEW)
                else (),
            ),
        ]

    def event_filter(self) -> EventFilter:
        data = self.cleaned_data if self.is_bound else {}
        code = data.get("area") or ""
        return EventFilter(
            kind=data.get("kind") or "",
            area=Area.objects.filter(code=code).first() if code else None,
            status=data.get("status") or "",
            q=data.get("q") or "",
        )


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of disaster"), choices=DisasterEvent.Kind.choices)
    started_on = DateField(label=_("Date started"), widget=DateInput(), initial=timezone.localdate)
    area = forms.ModelChoiceField(
        label=_("Kelurahan"),
        queryset=Area.objects.filter(level=Area.Level.KELURAHAN).select_related("parent"),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Where exactly, what happened, who is affected."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = area_scope(user, Capability.TAGANA_EDIT) if user is not None else None
        if scope is not None:
            self.fields["area"].queryset = self.fields["area"].queryset.filter(
                within_areas_q(scope, "")
            )
        self.fields["area"].label_from_instance = lambda a: f"{a.label} ({a.parent.name})"
        by_code_when_many(self.fields["area"])


class DeploymentForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Tagana member"), queryset=Person.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Deployment.Role.choices)
    start = forms.DateTimeField(label=_("Start"), widget=DateTimeInput(), initial=_now_minute)
    end = forms.DateTimeField(
        label=_("End"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Leave empty while the member is still deployed."),
    )

    def __init__(self, *args, event: DisasterEvent, **kwargs):
        super().__init__(*args, **kwargs)
        # Those whose Tagana duty had not ended when the event started; the service checks
        # the exact day of the deployment.
        duties = (
            Assignment.objects.filter(kind__code=TAGANA)
            .exclude(end_date__lt=event.started_on)
            .values("person_id")
        )
        self.fields["person"].queryset = Person.objects.filter(pk__in=duties).order_by("name")


class DeploymentEndForm(forms.Form):
    end = forms.DateTimeField(label=_("End"), widget=DateTimeInput(), initial=_now_minute)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason for the correction"))
        kwargs.setdefault("max_length", 250)
        super().__init__(**kwargs)


class DeploymentCorrectForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Deployment.Role.choices)
    start = forms.DateTimeField(label=_("Start"), widget=DateTimeInput())
    end = forms.DateTimeField(
        label=_("End"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Leave empty while the member is still deployed."),
    )
    reason = ReasonField()


class DeploymentReverseForm(forms.Form):
    reason = ReasonField(
        label=_("Reason for the reversal"),
        help_text=_("Recorded by mistake (the member never went)? The entry stays visible."),
    )


class LogEntryForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), widget=DateTimeInput(), initial=_now_minute)
    text = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. 40 families evacuated to the mosque; dapur umum serving 120 meals."),
    )


class EventCloseForm(forms.Form):
    closed_on = DateField(label=_("Date closed"), widget=DateInput(), initial=timezone.localdate)


class RosterFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name or phone"), "type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Everyone")), ("available", _("Available")), ("deployed", _("Deployed"))],
    )
