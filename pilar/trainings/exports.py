"""Training lists as rows, for XLSX and CSV (the same rows the pages show)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from pilar.trainings.models import TrainingEvent
from pilar.trainings.selectors import ParticipantRow, RequirementRow


def event_headers() -> list[str]:
    return [
        _("No."),
        _("Event name"),
        _("Course"),
        _("Level"),
        _("First day"),
        _("Last day"),
        _("Place"),
        _("Organiser"),
        _("Funding"),
        _("Budget (rupiah)"),
        _("Capacity"),
        _("Invited"),
        _("Attended"),
        _("Passed"),
    ]


def event_rows(events: Iterable[TrainingEvent]) -> Iterator[list]:
    for e in events:
        yield [
            e.pk,
            e.display_title,
            e.course.name,
            e.course.get_level_display(),
            e.start_date,
            e.end_date,
            e.place,
            e.organiser,
            e.get_funding_display() if e.funding else "",
            e.budget,
            e.capacity,
            e.invited,
            e.attended,
            e.passed,
        ]


def participant_headers(event: TrainingEvent) -> list[str]:
    return [
        _("Name"),
        _("NIK"),
        _("Kind"),
        _("Area of duty"),
        *[_("Present %(day)s") % {"day": d.isoformat()} for d in event.days()],
        _("Days present"),
        _("Result"),
        _("Score"),
    ]


def participant_rows(rows: Iterable[ParticipantRow]) -> Iterator[list]:
    yes, no = _("yes"), _("no")
    for r in rows:
        p = r.participant
        yield [
            r.person.name,
            r.person.masked_nik,
            r.duty.kind.name if r.duty else "",
            r.duty.area.label if r.duty else "",
            *[yes if present else no for present in r.days],
            r.days_present,
            p.get_result_display(),
            float(p.score) if p.score is not None else None,
        ]


def requirement_headers() -> list[str]:
    return [
        _("Name"),
        _("NIK"),
        _("Kind"),
        _("Area of duty"),
        _("Serving since"),
        _("Missing training"),
    ]


def requirement_rows(rows: Iterable[RequirementRow]) -> Iterator[list]:
    for r in rows:
        yield [
            r.person.name,
            r.person.masked_nik,
            r.duty.kind.name,
            r.duty.area.label,
            r.duty.start_date,
            "; ".join(c.name for c in r.missing),
        ]
