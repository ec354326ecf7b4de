"""Certificates in the JSON API (mounted under /api/v1/certificates): the same services and
scoped querysets as the pages, and the public check of a code (no sign-in)."""

import datetime

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from pilar.accounts.access import Capability
from pilar.api.common import (
    Body,
    Id,
    Limit,
    Offset,
    Search,
    api_actor,
    column_length,
    require,
)
from pilar.regions.models import Area
from pilar.trainings.certificates import services
from pilar.trainings.certificates.numbering import grouped_code, verify_url
from pilar.trainings.certificates.selectors import (
    CertificateFilter,
    find_by_code,
    matching_certificates,
    state_of,
)
from pilar.trainings.certificates.views import public_facts, public_headers
from pilar.trainings.models import Certificate, Participant, TrainingEvent

router = Router(tags=["certificates"])


class CertificateOut(Schema):
    id: int
    number: str
    code: str = Field(description="As printed, grouped: K7QX-M3RT-9A")
    verify_url: str
    participant_id: int
    person_id: int
    event_id: int
    name: str
    course_name: str = Field(description="What was taught: the course (Jenis pelatihan).")
    event_title: str = Field(description="The event's own title (Nama kegiatan); empty if none.")
    hours: int
    event_start: datetime.date
    event_end: datetime.date
    issued_on: datetime.date
    valid_until: datetime.date | None
    state: str = Field(description="valid, expired or revoked (today)")
    revoked_at: datetime.datetime | None
    revoke_reason: str


class IssueIn(Body):
    participant_id: Id
    issued_on: datetime.date | None = Field(None, description="Defaults to the event's last day.")


class IssueForEventIn(Body):
    event_id: Id


class NotEligibleOut(Schema):
    participant_id: int
    name: str
    reason: str


class IssueForEventOut(Schema):
    issued: list[CertificateOut]
    already: int
    not_eligible: list[NotEligibleOut]


class RevokeIn(Body):
    reason: str = Field(max_length=column_length(Certificate, "revoke_reason"))


class ReplacementOut(Schema):
    code: str = Field(description="Its code: check it at verify_url or /verify/{code}.")
    verify_url: str
    state: str = Field(description="valid, expired or revoked (today)")
    valid_until: datetime.date | None
    revoked_on: datetime.date | None


class VerifyOut(Schema):
    name: str
    course_name: str = Field(description="What was taught: the course (Jenis pelatihan).")
    event_title: str = Field(description="The event's own title (Nama kegiatan); empty if none.")
    event_start: datetime.date
    event_end: datetime.date
    issued_by: str
    valid_until: datetime.date | None
    state: str = Field(description="valid, expired or revoked")
    revoked_on: datetime.date | None
    replacement: ReplacementOut | None = Field(
        None, description="For a revoked certificate: the one issued in its place, if any."
    )


class NotFoundOut(Schema):
    message: str


def _out(c: Certificate) -> CertificateOut:
    return CertificateOut(
        id=c.pk,
        number=c.number,
        code=grouped_code(c.code),
        verify_url=verify_url(c.code, base=c.office.public_url),
        participant_id=c.participant_id,
        person_id=c.participant.person_id,
        event_id=c.participant.event_id,
        name=c.name,
        course_name=c.course_name,
        event_title=c.event_title,
        hours=c.hours,
        event_start=c.event_start,
        event_end=c.event_end,
        issued_on=c.issued_on,
        valid_until=c.valid_until,
        state=state_of(c),
        revoked_at=c.revoked_at,
        revoke_reason=c.revoke_reason,
    )


def _visible(request, certificate_id: int) -> Certificate:
    return get_object_or_404(
        Certificate.objects.visible_to(request.user).select_related("participant", "office"),
        pk=certificate_id,
    )


@router.get(
    "/verify/{code}",
    response={200: VerifyOut, 404: NotFoundOut},
    auth=None,
    summary="Check a certificate's code (public, no sign-in): only what the public page shows",
)
def verify(request, code: str, response: HttpResponse):
    # The same headers as the public page: never cached, never indexed, and the code (in the
    # path) kept out of the request log.
    public_headers(response)
    certificate = find_by_code(code)
    if certificate is None:
        return Status(404, NotFoundOut(message=_("No certificate has this code.")))
    facts = public_facts(certificate)
    replacement = facts["replacement"]
    return VerifyOut(
        name=certificate.name,
        course_name=certificate.course_name,
        event_title=certificate.event_title,
        event_start=certificate.event_start,
        event_end=certificate.event_end,
        issued_by=facts["office_name"],
        valid_until=certificate.valid_until,
        state=facts["state"],
        revoked_on=facts["revoked_on"],
        replacement=ReplacementOut(
            code=replacement.code,
            verify_url=verify_url(replacement.code, base=certificate.office.public_url),
            state=facts["replacement_state"],
            valid_until=replacement.valid_until,
            revoked_on=facts["replacement_revoked_on"],
        )
        if replacement
        else None,
    )


@router.get("", response=list[CertificateOut], summary="Certificates, scoped to the caller")
def list_certificates(
    request,
    course: int | None = None,
    event: int | None = None,
    kind: str | None = None,
    area: str | None = None,
    status: str | None = Query(None, description="valid, expired or revoked"),
    expiring: bool = Query(False, description="valid today and ending within 60 days"),
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.TRAININGS_VIEW)
    area_row = Area.objects.by_code(area, "area")
    found = matching_certificates(
        request.user,
        CertificateFilter(
            course=course,
            event=event,
            kind=kind or "",
            area=area_row,
            status=status or "",
            q=q or "",
            expiring=expiring,
        ),
    )
    return [_out(c) for c in found.select_related("participant", "office")[offset : offset + limit]]


# Before /{certificate_id}: ninja matches paths in the order they are declared.
@router.post(
    "/issue-for-event",
    response=IssueForEventOut,
    summary="Issue certificates to everyone of an event who passed and attended",
)
def issue_for_event(request, payload: IssueForEventIn):
    require(request, Capability.TRAININGS_EDIT)
    event = TrainingEvent.objects.visible_to(request.user).filter(pk=payload.event_id).first()
    if event is None:
        raise ValidationError({"event_id": [_("No training event has that id.")]})
    summary = services.certificates_issue_for_event(by=api_actor(request), event=event)
    return IssueForEventOut(
        issued=[_out(c) for c in summary.issued],
        already=summary.already,
        not_eligible=[
            NotEligibleOut(participant_id=p.pk, name=p.person.name, reason=why)
            for p, why in summary.not_eligible
        ],
    )


@router.get("/{certificate_id}", response=CertificateOut, summary="One certificate")
def get_certificate(request, certificate_id: Id):
    require(request, Capability.TRAININGS_VIEW)
    return _out(_visible(request, certificate_id))


@router.post("", response={201: CertificateOut}, summary="Issue a participant's certificate")
def issue(request, payload: IssueIn):
    require(request, Capability.TRAININGS_EDIT)
    participant = Participant.objects.visible_to(request.user).filter(pk=payload.participant_id)
    participant = participant.first()
    if participant is None:
        raise ValidationError({"participant_id": [_("No participant has that id.")]})
    certificate = services.certificate_issue(
        by=api_actor(request), participant=participant, issued_on=payload.issued_on
    )
    return Status(201, _out(certificate))


@router.post("/{certificate_id}/revoke", response=CertificateOut, summary="Revoke a certificate")
def revoke(request, certificate_id: Id, payload: RevokeIn):
    require(request, Capability.TRAININGS_EDIT)
    certificate = services.certificate_revoke(
        by=api_actor(request), certificate=_visible(request, certificate_id), reason=payload.reason
    )
    return _out(certificate)
