from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability
from pilar.lib.fields import DateField, IntegerField, ModelMultipleChoiceField, SearchField
from pilar.lib.money import MoneyField
from pilar.offices import current
from pilar.regions.choices import AreaCodeField, area_choices
from pilar.registry.forms import DateInput
from pilar.registry.models import Person, PillarKind
from pilar.trainings.choices import course_choices
from pilar.trainings.models import Course, FundingSource, Participant, TrainingEvent
from pilar.trainings.participation import course_kinds
from pilar.trainings.selectors import EventFilter, RequirementFilter
from pilar.trainings.services import (
    MAX_CAPACITY,
    MAX_HOURS,
    MAX_VALIDITY_MONTHS,
)


def _kind_choices() -> list[tuple[str, str]]:
    return [("", _("All kinds"))] + [(k.code, k.name) for k in PillarKind.objects.all()]


class CourseForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    level = forms.ChoiceField(label=_("Level"), choices=Course.Level.choices)
    hours = IntegerField(label=_("Hours of lessons"), min_value=1, max_value=MAX_HOURS)
    kinds = ModelMultipleChoiceField(
        label=_("For pillar kinds"),
        queryset=PillarKind.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none when the course is for every kind of pillar."),
    )
    required_for_appointment = forms.BooleanField(
        label=_("Required before appointment"),
        required=False,
        help_text=_("A pillar of these kinds should have passed it before their SK is issued."),
    )
    validity_months = IntegerField(
        label=_("Valid for (months)"),
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_MONTHS,
        help_text=_("Leave empty when the certificate never expires."),
    )
    active = forms.BooleanField(
        label=_("Offered"),
        required=False,
        initial=True,
        help_text=_("Only offered courses can be chosen for a new event."),
    )

    @classmethod
    def for_course(cls, course: Course, data=None) -> CourseForm:
        initial = {
            "name": course.name,
            "level": course.level,
            "hours": course.hours,
            "kinds": list(course.kinds.all()),
            "required_for_appointment": course.required_for_appointment,
            "validity_months": course.validity_months,
            "active": course.active,
        }
        return cls(data, initial=initial)


class EventForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Printed on certificates; the course name when empty."),
    )
    start_date = DateField(label=_("First day"), widget=DateInput())
    end_date = DateField(label=_("Last day"), widget=DateInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    organiser = forms.CharField(label=_("Organiser"), max_length=150)
    funding = forms.ChoiceField(
        label=_("Funding"), required=False, choices=[("", "—"), *FundingSource.choices]
    )
    budget = MoneyField(
        label=_("Budget (rupiah)"),
        required=False,
        help_text=_("Whole rupiah, as you write it: 25.000.000."),
    )
    capacity = IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("How many people can take part; empty when there is no limit."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, event: TrainingEvent | None = None, **kwargs):
        if event is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(event, name) for name in self.base_fields if name != "course"}
                | {"course": event.course_id},
            )
        super().__init__(*args, **kwargs)
        offered = Q(active=True)
        if event is not None:
            offered |= Q(pk=event.course_id)
        # The event's office's own courses (a new event's: the office acted for).
        office = event.office_id if event is not None else current().pk
        self.fields["course"].queryset = Course.objects.filter(offered, office=office)


class EventFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("title, place or organiser"), "type": "search"}
        ),
    )
    course = forms.ModelChoiceField(
        label=_("Course"),
        required=False,
        queryset=Course.objects.none(),
        empty_label=_("All courses"),
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Course.Level.choices]
    )
    year = IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2100)
    kind = forms.ChoiceField(label=_("For pillar kind"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices()
        if user is not None:
            course_choices(self.fields["course"], user)

    def event_filter(self) -> EventFilter:
        data = self.cleaned_data if self.is_bound else {}
        return EventFilter(
            course=data.get("course"),
            level=data.get("level") or "",
            year=data.get("year"),
            kind=data.get("kind") or "",
            q=data.get("q") or "",
        )


class InviteForm(forms.Form):
    """Invite everyone with an active duty of the ticked kinds within an area."""

    kinds = ModelMultipleChoiceField(
        label=_("Pillar kinds"),
        queryset=PillarKind.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind the course is for."),
    )
    area = AreaCodeField(
        label=_("Area of duty"),
        required=False,
        help_text=_("Those whose duty lies within it; empty for the whole city."),
    )

    def __init__(self, *args, event: TrainingEvent, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].queryset = PillarKind.objects.filter(
            pk__in=[k.pk for k in course_kinds(event.course)]
        )
        self.fields["area"].widget.choices = [
            ("", _("Anywhere")),
            *area_choices(user, Capability.PEOPLE_VIEW),
        ]


class PickForm(forms.Form):
    """Invite the people ticked in a search of the registry."""

    people = ModelMultipleChoiceField(
        label=_("People"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people if people is not None else Person.objects.none()
        self.fields["people"].label_from_instance = lambda p: f"{p.name} · {p.masked_nik}"


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("Present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, participants: list[Participant], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(p.pk, p.person.name) for p in participants]


class ResultsForm(forms.Form):
    """A result and an optional score for each participant (fields result_<id>, score_<id>)."""

    def __init__(self, *args, participants: list[Participant], **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = participants
        for p in participants:
            self.fields[f"result_{p.pk}"] = forms.ChoiceField(
                label=p.person.name, choices=Participant.Result.choices, initial=p.result
            )
            self.fields[f"score_{p.pk}"] = forms.DecimalField(
                label=_("Score"),
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                initial=p.score,
            )

    def rows(self):
        for p in self.participants:
            yield p, self[f"result_{p.pk}"], self[f"score_{p.pk}"]

    def results(self) -> dict[int, tuple[str, object]]:
        return {
            p.pk: (self.cleaned_data[f"result_{p.pk}"], self.cleaned_data[f"score_{p.pk}"])
            for p in self.participants
        }


class RequirementFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name"), "type": "search"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = AreaCodeField(label=_("Area of duty"), required=False)
    on = DateField(label=_("Serving on"), required=False, widget=DateInput())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _kind_choices()
        self.fields["area"].widget.choices = [
            ("", _("All areas")),
            *area_choices(user, Capability.PEOPLE_VIEW),
        ]

    def requirement_filter(self) -> RequirementFilter:
        data = self.cleaned_data if self.is_bound else {}
        return RequirementFilter(
            kind=data.get("kind") or "",
            area=data.get("area"),
            q=data.get("q") or "",
            on=data.get("on"),
        )
