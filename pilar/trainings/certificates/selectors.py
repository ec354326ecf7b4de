"""Reads of certificates shared by the pages, the exports and the API: the filtered list, the
state of one certificate on a day, an event's counts, and the rows of an export."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilar.regions.models import Area
from pilar.registry.models import Assignment
from pilar.trainings.certificates.numbering import grouped_code, normalise_code
from pilar.trainings.models import (
    Attendance,
    Certificate,
    CertificatePrint,
    Participant,
    TrainingEvent,
)

EXPIRING_DAYS = 60
STATES = {
    "valid": gettext_lazy("Valid"),
    "expired": gettext_lazy("Expired"),
    "revoked": gettext_lazy("Revoked"),
}


def find_by_code(typed: str) -> Certificate | None:
    code = normalise_code(typed)
    if code is None:
        return None
    return Certificate.objects.filter(code=code).select_related("office").first()


def replacement_of(certificate: Certificate) -> Certificate | None:
    """The certificate issued to the same participant next after a revoked one (after a name
    put right, say): what its public page points to. That one may itself have been revoked
    since, and point further on in turn. None for a certificate in force."""
    if not certificate.is_revoked:
        return None
    return (
        Certificate.objects.filter(participant_id=certificate.participant_id, pk__gt=certificate.pk)
        .order_by("pk")
        .first()
    )


def attended_q():
    return Exists(Attendance.objects.filter(participant_id=OuterRef("pk")))


def in_force(participant: Participant) -> Certificate | None:
    """The participant's certificate that is not revoked, if any."""
    return Certificate.objects.in_force().filter(participant=participant).first()


def print_outdated(job: CertificatePrint) -> bool:
    """Whether a certificate of the print's event was issued or revoked since it was queued:
    its file may then hold a revoked certificate or lack a new one, and is no longer handed
    out (print again)."""
    since = Q(created_at__gte=job.created_at) | Q(revoked_at__gte=job.created_at)
    return Certificate.objects.filter(since, participant__event_id=job.event_id).exists()


def printable(event: TrainingEvent):
    """The certificates of `event` that are printed together: all but the revoked ones."""
    return (
        Certificate.objects.in_force()
        .filter(participant__event=event)
        .select_related("participant__event")
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class CertificateFilter:
    course: int | None = None
    event: int | None = None
    kind: str = ""
    area: Area | None = None
    status: str = ""  # valid, expired, revoked
    q: str = ""
    expiring: bool = False  # valid now and ending within EXPIRING_DAYS


def state_of(certificate: Certificate, day: datetime.date | None = None) -> str:
    day = day or timezone.localdate()
    if certificate.is_revoked:
        return "revoked"
    return "valid" if certificate.is_valid_on(day) else "expired"


def matching_certificates(
    user, f: CertificateFilter, *, today: datetime.date | None = None
) -> QuerySet[Certificate]:
    """The certificates `user` may see that match `f`."""
    today = today or timezone.localdate()
    qs = Certificate.objects.visible_to(user)
    if f.course:
        qs = qs.filter(participant__event__course_id=f.course)
    if f.event:
        qs = qs.filter(participant__event_id=f.event)
    if f.kind or f.area is not None:
        duties = Assignment.objects.all()
        if f.kind:
            duties = duties.filter(kind__code=f.kind)
        if f.area is not None:
            duties = duties.within(f.area)
        qs = qs.filter(Exists(duties.filter(person_id=OuterRef("participant__person_id"))))
    if f.status == "revoked":
        qs = qs.revoked()
    elif f.status == "valid":
        qs = qs.valid_on(today)
    elif f.status == "expired":
        qs = qs.in_force().filter(valid_until__lt=today)
    if f.expiring:
        qs = qs.valid_on(today).filter(
            valid_until__lte=today + datetime.timedelta(days=EXPIRING_DAYS)
        )
    for word in f.q.split():
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(number__icontains=word)
            | Q(course_name__icontains=word)
            | Q(event_title__icontains=word)
            | Q(code=word.replace("-", "").upper())
        )
    qs = qs.select_related("participant__event__course")
    if f.expiring:
        return qs.order_by("valid_until", "name", "pk")
    return qs.order_by("-issued_on", "-pk")


@dataclass
class EventCounts:
    issued: int
    revoked: int
    eligible_without: int  # passed and attended, no certificate yet
    participants: int


def event_counts(event: TrainingEvent) -> EventCounts:
    certificates = Certificate.objects.filter(participant__event=event)
    eligible = (
        Participant.objects.filter(event=event, result=Participant.Result.PASSED)
        .filter(attended_q())
        .exclude(Exists(Certificate.objects.filter(participant_id=OuterRef("pk"))))
    )
    return EventCounts(
        issued=certificates.in_force().count(),
        revoked=certificates.revoked().count(),
        eligible_without=eligible.count(),
        participants=Participant.objects.filter(event=event).count(),
    )


def export_headers() -> list[str]:
    return [
        _("Number"),
        _("Name"),
        _("Course"),
        _("Event name"),
        _("First day"),
        _("Last day"),
        _("Hours"),
        _("Issued on"),
        _("Valid until"),
        _("Status"),
        _("Verification code"),
    ]


def export_rows(certificates: Iterable[Certificate], today: datetime.date) -> Iterator[list]:
    for c in certificates:
        yield [
            c.number,
            c.name,
            c.course_name,
            c.event_title,
            c.event_start,
            c.event_end,
            c.hours,
            c.issued_on,
            c.valid_until,
            str(STATES[state_of(c, today)]),
            grouped_code(c.code),
        ]


def person_certificates(user, person, *, today: datetime.date | None = None) -> list[Certificate]:
    """`person`'s certificates that `user` may see, newest first, each with its `state` and
    `state_label` (for the person's page: `trainings/_person_certificates.html`)."""
    today = today or timezone.localdate()
    found = list(
        Certificate.objects.visible_to(user)
        .filter(participant__person=person)
        .order_by("-issued_on", "-pk")
    )
    for c in found:
        c.state = state_of(c, today)
        c.state_label = STATES[c.state]
    return found
