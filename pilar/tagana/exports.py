"""The event list and the roster as rows, for XLSX and CSV (the same rows the pages show)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.tagana.models import DisasterEvent
from pilar.tagana.selectors import RosterRow


def event_headers() -> list[str]:
    return [
        _("No."),
        _("Kind of disaster"),
        _("Date started"),
        _("Kecamatan"),
        _("Kelurahan"),
        _("Kelurahan code"),
        _("Status"),
        _("Date closed"),
        _("Deployments"),
        _("Description"),
    ]


def event_rows(events: Iterable[DisasterEvent]) -> Iterator[list]:
    for e in events:
        yield [
            e.pk,
            e.get_kind_display(),
            e.started_on,
            e.area.parent.name if e.area.parent else "",
            e.area.name,
            e.area.code,
            e.get_status_display(),
            e.closed_on,
            e.deployment_count,
            e.description,
        ]


def roster_headers() -> list[str]:
    return [
        _("Name"),
        _("Phone"),
        _("Unit"),
        _("Member since"),
        _("Status"),
        _("Deployed to"),
        _("Deployed since"),
        _("Deployments this year"),
        _("Hours this year"),
    ]


def roster_rows(rows: Iterable[RosterRow]) -> Iterator[list]:
    for r in rows:
        current = r.current
        yield [
            r.person.name,
            r.person.phone,
            r.assignment.area.label,
            r.assignment.start_date,
            _("Available") if current is None else _("Deployed"),
            str(current.event) if current else "",
            timezone.localtime(current.start).strftime("%Y-%m-%d %H:%M") if current else "",
            r.deployments_this_year,
            float(r.hours_this_year),
        ]
