"""Certificates: issuing to those who passed and attended, revoking, printing a whole event.

A certificate copies in what it certifies when it is issued (the name, the course as printed,
hours, the event's dates, the signer), so it and its public verification page keep saying what
was printed even if the registry changes later. Its number and code come from `numbering`; two
people issuing at the same moment cannot get the same number, because the database refuses a
second (office, year, seq) and the loser takes the next one.

Every function raises `ValidationError` keyed by the field to fix and changes nothing on bad
input; every write is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.dates import long_date
from pilar.lib.jobs import recover_stale
from pilar.offices.copies import certificate_signer
from pilar.trainings.certificates.numbering import certificate_number, new_code
from pilar.trainings.certificates.selectors import attended_q, in_force, printable
from pilar.trainings.certificates.tasks import queue_print
from pilar.trainings.models import (
    Certificate,
    CertificatePrint,
    Participant,
    TrainingEvent,
)

CERTIFICATE_FIELDS = [
    "number",
    "name",
    "course_name",
    "event_title",
    "hours",
    "place",
    "organiser",
    "event_start",
    "event_end",
    "issued_on",
    "valid_until",
    "signer_name",
    "signer_title",
    "signer_nip",
    "revoked_at",
    "revoke_reason",
]
ATTEMPTS = 8


def eligibility_problem(participant: Participant, *, attended: bool | None = None) -> str | None:
    """Why `participant` cannot have a certificate, or None when they can."""
    if participant.result != Participant.Result.PASSED:
        return _(
            "%(name)s has not passed (result: %(result)s); record the result “passed” first."
        ) % {"name": participant.person.name, "result": participant.get_result_display()}
    if attended is None:
        attended = participant.attendance.exists()
    if not attended:
        return _(
            "%(name)s did not attend any day of the event; a certificate is only for someone "
            "who attended. Record their attendance first if they were there."
        ) % {"name": participant.person.name}
    return None


def _already_error(certificate: Certificate) -> str:
    return _("%(name)s already has certificate %(number)s for this event.") % {
        "name": certificate.name,
        "number": certificate.number,
    }


def _check_issued_on(event: TrainingEvent, issued_on: datetime.date) -> str | None:
    if issued_on < event.end_date:
        return _(
            "The date of issue %(date)s is before the event's last day (%(end)s); issue it on "
            "or after %(end)s."
        ) % {"date": long_date(issued_on), "end": long_date(event.end_date)}
    if issued_on > timezone.localdate():
        return _("The date of issue %(date)s is in the future; give today's date or earlier.") % {
            "date": long_date(issued_on)
        }
    return None


def may_issue(participant: Participant, *, attended: bool) -> bool:
    """Whether issuing `participant` (who has no certificate in force) a certificate today,
    dated the event's last day, would be accepted: what the "Issue" button offers."""
    event = participant.event
    return (
        eligibility_problem(participant, attended=attended) is None
        and _check_issued_on(event, event.end_date) is None
    )


def _signer(office) -> dict[str, str]:
    """The signer a certificate is issued with: the event's office's certificate signer (the
    head of office when none is named) as it is at this moment, each value whole as entered. The
    office record's fields are no longer than the certificate's, so nothing is ever cut short."""
    who = certificate_signer(office)
    return {
        "signer_name": " ".join(who.name.split()),
        "signer_title": " ".join(who.title.split()),
        "signer_nip": " ".join(who.nip.split()),
    }


def _create(participant: Participant, issued_on: datetime.date) -> Certificate:
    """Insert the certificate, taking the event's office's next number for the year and a fresh
    code; on a clash with a concurrent issue (same number, or — astronomically rarely — the
    same code) try again. The office (the event's, never the request's) numbers and signs it."""
    event, course = participant.event, participant.event.course
    office = event.office
    signer = _signer(office)
    year = issued_on.year
    for _attempt in range(ATTEMPTS):
        numbered = Certificate.objects.filter(office=office, year=year)
        seq = (numbered.aggregate(m=Max("seq"))["m"] or 0) + 1
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    participant=participant,
                    office=office,
                    code=new_code(),
                    number=certificate_number(office, year=year, seq=seq),
                    year=year,
                    seq=seq,
                    name=participant.person.name,
                    course_name=course.name,
                    event_title=event.title,
                    hours=course.hours,
                    place=event.place,
                    organiser=event.organiser,
                    event_start=event.start_date,
                    event_end=event.end_date,
                    issued_on=issued_on,
                    valid_until=course.valid_until(issued_on),
                    **signer,
                )
        except IntegrityError:
            existing = in_force(participant)
            if existing is not None:
                raise ValidationError({"participant": [_already_error(existing)]}) from None
    raise ValidationError(
        {"__all__": [_("Many certificates are being issued at once; try again in a moment.")]}
    )


def _issue(by: Actor, participant: Participant, issued_on: datetime.date | None) -> Certificate:
    existing = in_force(participant)
    if existing is not None:
        raise ValidationError({"participant": [_already_error(existing)]})
    problem = eligibility_problem(participant)
    if problem:
        raise ValidationError({"participant": [problem]})
    issued_on = issued_on or participant.event.end_date
    problem = _check_issued_on(participant.event, issued_on)
    if problem:
        raise ValidationError({"issued_on": [problem]})
    certificate = _create(participant, issued_on)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=certificate,
        person=participant.person,
        changes=diff({}, snapshot(certificate, CERTIFICATE_FIELDS)),
    )
    return certificate


def _locked(participant: Participant) -> Participant:
    # The lock makes two issues for one participant wait for each other; the second then finds
    # the first's certificate and says so.
    return (
        Participant.objects.select_for_update()
        .select_related("event__course", "person")
        .get(pk=participant.pk)
    )


@transaction.atomic
def certificate_issue(
    *, by: Actor, participant: Participant, issued_on: datetime.date | None = None
) -> Certificate:
    """Issue the certificate of a participant who passed and attended at least one day.

    `issued_on` defaults to the event's last day; the certificate is valid until the course's
    validity from then (or without limit)."""
    return _issue(by, _locked(participant), issued_on)


@dataclass
class IssueSummary:
    """What issuing for a whole event did."""

    issued: list[Certificate] = field(default_factory=list)
    already: int = 0
    not_eligible: list[tuple[Participant, str]] = field(default_factory=list)


@transaction.atomic
def certificates_issue_for_event(*, by: Actor, event: TrainingEvent) -> IssueSummary:
    """Issue a certificate to every participant of `event` who passed and attended and has
    none yet, all in one transaction; the others are counted, with the reason. Someone whose
    certificate was revoked is not issued a new one here: that is a decision taken person by
    person (`certificate_issue`)."""
    event = TrainingEvent.objects.select_for_update().select_related("course").get(pk=event.pk)
    problem = _check_issued_on(event, event.end_date)
    if problem:
        raise ValidationError({"event": [problem]})
    participants = (
        Participant.objects.select_for_update()
        .filter(event=event)
        .annotate(
            attended=attended_q(),
            has_certificate=Exists(Certificate.objects.filter(participant_id=OuterRef("pk"))),
        )
        .select_related("person")
        .order_by("person__name", "pk")
    )
    summary = IssueSummary()
    for participant in participants:
        participant.event = event  # one office read for all of them
        if participant.has_certificate:
            summary.already += 1
            continue
        problem = eligibility_problem(participant, attended=participant.attended)
        if problem:
            summary.not_eligible.append((participant, problem))
            continue
        summary.issued.append(_issue(by, participant, None))
    return summary


@transaction.atomic
def certificate_revoke(*, by: Actor, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a certificate: it stays on record, and its verification page says REVOKED."""
    certificate = (
        Certificate.objects.select_for_update()
        .select_related("participant__person")
        .get(pk=certificate.pk)
    )
    reason = " ".join((reason or "").split())
    errors: dict[str, list] = {}
    if certificate.is_revoked:
        errors.setdefault("reason", []).append(
            _("This certificate was already revoked on %(date)s.")
            % {"date": long_date(timezone.localdate(certificate.revoked_at))}
        )
    elif not reason:
        errors.setdefault("reason", []).append(
            _("Give the reason for revoking it (e.g. issued to the wrong person).")
        )
    elif len(reason) > 250:
        errors.setdefault("reason", []).append(_("Keep the reason within 250 characters."))
    if errors:
        raise ValidationError(errors)
    before = snapshot(certificate, CERTIFICATE_FIELDS)
    certificate.revoked_at = timezone.now()
    certificate.revoke_reason = reason
    certificate.save(update_fields=["revoked_at", "revoke_reason"])
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=certificate,
        person=certificate.participant.person,
        changes=diff(before, snapshot(certificate, CERTIFICATE_FIELDS)),
        note=reason,
    )
    return certificate


def _print_recovered(job: CertificatePrint) -> dict:
    return {
        "status": CertificatePrint.Status.FAILED,
        "error": _(
            "The printing stopped before the file was ready: its worker stopped (it was "
            "killed or the server restarted). Print again."
        ),
        "finished_at": timezone.now(),
        "heartbeat_at": None,
    }


def prints_recover(*, event_id: int | None = None) -> int:
    """Mark the prints (of one event, else all) whose worker vanished as failed, with the
    reason: a print waiting or running whose heartbeat is older than PILAR_JOB_STALE_SECONDS
    (pilar/lib/jobs.py). Run when the event page or the print's progress is read, when a print
    is started, and when `pilar serve` starts its worker (docs/TRAININGS.md)."""
    prints = CertificatePrint.objects.all()
    if event_id is not None:
        prints = prints.filter(event_id=event_id)
    return recover_stale(prints, CertificatePrint.WORKING, _print_recovered)


@transaction.atomic
def certificate_print_start(*, by: Actor, event: TrainingEvent) -> CertificatePrint:
    """Queue the printing of all of `event`'s certificates into one PDF (a background task).
    A print still waiting or running for the event is returned instead of starting another."""
    event = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    # A print whose worker vanished is failed first; a new one starts in its place.
    prints_recover(event_id=event.pk)
    waiting = event.certificate_prints.filter(status__in=CertificatePrint.WORKING)
    running = waiting.first()
    if running is not None:
        return running
    total = printable(event).count()
    if not total:
        raise ValidationError(
            {"event": [_("No certificate has been issued for this event yet; issue them first.")]}
        )
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    job = CertificatePrint.objects.create(
        event=event, total=total, created_by=user, heartbeat_at=timezone.now()
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=job,
        object_repr=str(event)[:200],
        note=_("printing %(n)s certificates") % {"n": total},
    )
    queue_print(job)
    return job
