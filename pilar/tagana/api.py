"""The tagana part of the JSON API (mounted under /api/v1/tagana): the same services and
scoped querysets as the pages (see pilar.tagana.access for who sees what)."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from pilar.accounts.access import Capability
from pilar.api.common import Body, Id, Limit, Offset, Search, api_actor, choice, require
from pilar.regions.models import Area
from pilar.registry.models import Person
from pilar.tagana import services
from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry
from pilar.tagana.selectors import EventFilter, event_detail_parts, matching_events, roster

router = Router(tags=["tagana"])


class TaganaEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    started_on: datetime.date
    area_code: str
    area_name: str
    kecamatan_name: str | None
    description: str
    status: str
    closed_on: datetime.date | None
    deployment_count: int


class DeploymentOut(Schema):
    id: int
    event_id: int
    person_id: int
    person_name: str
    role: str
    start: datetime.datetime
    end: datetime.datetime | None
    hours: Decimal = Field(description="Until the end, or until now while still deployed.")
    entry: str = Field(description="original, amendment (corrects another) or reversal.")
    corrects_id: int | None
    reason: str
    in_force: bool = Field(description="Counts: neither superseded nor a reversal.")


class LogEntryOut(Schema):
    id: int
    at: datetime.datetime
    text: str
    written_by: str | None


class EventDetailOut(TaganaEventOut):
    deployments: list[DeploymentOut] = Field(
        description="Those the caller may see (a Tagana member sees only their own)."
    )
    other_deployments: int
    log: list[LogEntryOut]


class TaganaEventIn(Body):
    columns = (DisasterEvent,)
    kind: DisasterEvent.Kind
    started_on: datetime.date
    area_code: str = Field(
        min_length=1,
        max_length=32,
        description="Kemendagri code of the kelurahan, e.g. 13.75.01.1001",
    )
    description: str


class DeploymentIn(Body):
    person_id: int
    role: choice(Deployment.Role)
    start: datetime.datetime
    end: datetime.datetime | None = None


class DeploymentEndIn(Body):
    end: datetime.datetime


class DeploymentCorrectIn(Body):
    role: choice(Deployment.Role)
    start: datetime.datetime
    end: datetime.datetime | None = None
    reason: str = Field(max_length=250)


class DeploymentReverseIn(Body):
    reason: str = Field(max_length=250)


class LogEntryIn(Body):
    columns = (EventLogEntry,)
    at: datetime.datetime | None = Field(None, description="Defaults to now.")
    text: str


class EventCloseIn(Body):
    closed_on: datetime.date


class RosterRowOut(Schema):
    person_id: int
    name: str
    phone: str
    unit_code: str
    member_since: datetime.date
    available: bool
    current_event_id: int | None
    deployed_since: datetime.datetime | None
    deployments_this_year: int
    hours_this_year: Decimal


def _event_out(e: DisasterEvent, deployment_count: int | None = None) -> dict:
    return {
        "id": e.pk,
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "started_on": e.started_on,
        "area_code": e.area.code,
        "area_name": e.area.name,
        "kecamatan_name": e.area.parent.name if e.area.parent else None,
        "description": e.description,
        "status": e.status,
        "closed_on": e.closed_on,
        "deployment_count": deployment_count
        if deployment_count is not None
        else e.deployment_count,
    }


def _deployment_out(d: Deployment) -> DeploymentOut:
    return DeploymentOut(
        id=d.pk,
        event_id=d.event_id,
        person_id=d.person_id,
        person_name=d.person.name,
        role=d.role,
        start=d.start,
        end=d.end,
        hours=d.hours,
        entry=d.entry,
        corrects_id=d.corrects_id,
        reason=d.reason,
        in_force=d.in_force,
    )


def _log_out(entry: EventLogEntry) -> LogEntryOut:
    return LogEntryOut(
        id=entry.pk,
        at=entry.at,
        text=entry.text,
        written_by=entry.written_by.username if entry.written_by else None,
    )


def _detail(request, event: DisasterEvent) -> EventDetailOut:
    deployments, hidden, log = event_detail_parts(event, request.user)
    return EventDetailOut(
        **_event_out(event, sum(1 for d in deployments if d.in_force) + hidden),
        deployments=[_deployment_out(d) for d in deployments],
        other_deployments=hidden,
        log=[_log_out(entry) for entry in log],
    )


def _visible_event(request, event_id: int) -> DisasterEvent:
    return get_object_or_404(
        DisasterEvent.objects.visible_to(request.user).select_related("area__parent"),
        pk=event_id,
    )


def _editable_event(request, event_id: int) -> DisasterEvent:
    return get_object_or_404(
        DisasterEvent.objects.editable_by(request.user).select_related("area__parent"),
        pk=event_id,
    )


@router.get(
    "/events", response=list[TaganaEventOut], summary="Disaster events, scoped to the caller"
)
def list_events(
    request,
    kind: str | None = None,
    area: str | None = None,
    status: str | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.TAGANA_VIEW)
    events = matching_events(
        request.user,
        EventFilter(
            kind=kind or "", area=Area.objects.by_code(area, "area"), status=status or "", q=q or ""
        ),
    )
    return [TaganaEventOut(**_event_out(e)) for e in events[offset : offset + limit]]


def _aware(value: datetime.datetime | None, field: str) -> datetime.datetime | None:
    """A time from a script: without an offset it is the office's time (Asia/Jakarta); a year
    outside 2000–2100 is a typing slip, refused by name."""
    if value is None:
        return None
    if not 2000 <= value.year <= 2100:
        raise ValidationError({field: [_("Give a time between the years 2000 and 2100.")]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@router.get("/events/{event_id}", response=EventDetailOut, summary="One event")
def get_event(request, event_id: Id):
    require(request, Capability.TAGANA_VIEW)
    return _detail(request, _visible_event(request, event_id))


@router.post("/events", response={201: EventDetailOut}, summary="Record a disaster event")
def create_event(request, payload: TaganaEventIn):
    require(request, Capability.TAGANA_EDIT)
    area = Area.objects.by_code(payload.area_code, "area_code")
    if area is None:
        raise ValidationError({"area_code": [_("Give the kelurahan's code.")]})
    event = services.event_create(
        by=api_actor(request),
        kind=payload.kind,
        started_on=payload.started_on,
        area=area,
        description=payload.description,
    )
    return Status(201, _detail(request, _visible_event(request, event.pk)))


@router.post(
    "/events/{event_id}/deployments", response={201: DeploymentOut}, summary="Deploy a member"
)
def add_deployment(request, event_id: Id, payload: DeploymentIn):
    require(request, Capability.TAGANA_EDIT)
    event = _editable_event(request, event_id)
    person = Person.objects.visible_to(request.user).filter(pk=payload.person_id).first()
    if person is None:
        raise ValidationError({"person_id": [_("No person in your area has that id.")]})
    deployment = services.deployment_create(
        by=api_actor(request),
        event=event,
        person=person,
        role=payload.role,
        start=_aware(payload.start, "start"),
        end=_aware(payload.end, "end"),
    )
    return Status(201, _deployment_out(deployment))


@router.post("/deployments/{deployment_id}/end", response=DeploymentOut, summary="End a deployment")
def end_deployment(request, deployment_id: Id, payload: DeploymentEndIn):
    require(request, Capability.TAGANA_EDIT)
    deployment = get_object_or_404(
        Deployment.objects.filter(event__in=DisasterEvent.objects.editable_by(request.user)),
        pk=deployment_id,
    )
    deployment = services.deployment_end(
        by=api_actor(request), deployment=deployment, end=_aware(payload.end, "end")
    )
    return _deployment_out(deployment)


@router.post("/events/{event_id}/log", response={201: LogEntryOut}, summary="Add to the log")
def add_log_entry(request, event_id: Id, payload: LogEntryIn):
    require(request, Capability.TAGANA_EDIT)
    event = _editable_event(request, event_id)
    entry = services.log_entry_add(
        by=api_actor(request),
        event=event,
        at=_aware(payload.at, "at") or timezone.now(),
        text=payload.text,
    )
    return Status(201, _log_out(entry))


@router.post("/events/{event_id}/close", response=EventDetailOut, summary="Close an event")
def close_event(request, event_id: Id, payload: EventCloseIn):
    require(request, Capability.TAGANA_EDIT)
    event = _editable_event(request, event_id)
    services.event_close(by=api_actor(request), event=event, closed_on=payload.closed_on)
    return _detail(request, _visible_event(request, event_id))


@router.get("/roster", response=list[RosterRowOut], summary="Active members: available or not")
def get_roster(
    request,
    status: str | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.TAGANA_VIEW)
    duties, rows = roster(request.user, status=status or "", q=q or "")
    return [
        RosterRowOut(
            person_id=r.person.pk,
            name=r.person.name,
            phone=r.person.phone,
            unit_code=r.assignment.area.code,
            member_since=r.assignment.start_date,
            available=r.available,
            current_event_id=r.current.event_id if r.current else None,
            deployed_since=r.current.start if r.current else None,
            deployments_this_year=r.deployments_this_year,
            hours_this_year=r.hours_this_year,
        )
        for r in rows(duties[offset : offset + limit])
    ]


def _editable_deployment(request, deployment_id: int) -> Deployment:
    require(request, Capability.TAGANA_EDIT)
    return get_object_or_404(
        Deployment.objects.filter(event__in=DisasterEvent.objects.editable_by(request.user)),
        pk=deployment_id,
    )


@router.post(
    "/deployments/{deployment_id}/correct",
    response={201: DeploymentOut},
    summary="Correct a deployment (an amending entry with a reason)",
)
def correct_deployment(request, deployment_id: Id, payload: DeploymentCorrectIn):
    deployment = services.deployment_correct(
        by=api_actor(request),
        deployment=_editable_deployment(request, deployment_id),
        role=payload.role,
        start=_aware(payload.start, "start"),
        end=_aware(payload.end, "end"),
        reason=payload.reason,
    )
    return Status(201, _deployment_out(deployment))


@router.post(
    "/deployments/{deployment_id}/reverse",
    response={201: DeploymentOut},
    summary="Reverse a deployment recorded by mistake (a reversing entry with a reason)",
)
def reverse_deployment(request, deployment_id: Id, payload: DeploymentReverseIn):
    deployment = services.deployment_reverse(
        by=api_actor(request),
        deployment=_editable_deployment(request, deployment_id),
        reason=payload.reason,
    )
    return Status(201, _deployment_out(deployment))
