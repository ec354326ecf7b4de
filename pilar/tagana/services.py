"""Every write to Tagana records: validated, in one transaction, and audited.

Each function raises `ValidationError` (keyed by the field to fix) and changes nothing when the
input breaks a rule: a future date, an end before its start, a person who is not an active
Tagana member on the day, a person already deployed elsewhere, a write to a closed event.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.accounts.access import Capability, area_in_scope
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.corrections import Entry
from pilar.lib.dates import long_date
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.tagana.models import TAGANA, Deployment, DisasterEvent, EventLogEntry

EVENT_FIELDS = ["kind", "started_on", "area", "description", "status", "closed_on"]
DEPLOYMENT_FIELDS = ["event", "person", "role", "start", "end"]
CORRECTION_FIELDS = ["entry", "corrects", "reason"]


def _when(value: datetime.datetime) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _locked_event(event: DisasterEvent) -> DisasterEvent:
    return DisasterEvent.objects.select_for_update().select_related("area").get(pk=event.pk)


def _closed_error(event: DisasterEvent) -> str:
    return _(
        "This event was closed on %(date)s; nothing more can be added to it. Record a new "
        "event if the disaster started again."
    ) % {"date": long_date(event.closed_on)}


@transaction.atomic
def event_create(
    *,
    by: Actor,
    kind: str,
    started_on: datetime.date,
    area: Area,
    description: str,
) -> DisasterEvent:
    """Record a disaster event in a kelurahan; it starts open."""
    errors: dict[str, list] = {}
    description = (description or "").strip()
    if kind not in DisasterEvent.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of disaster from the list."))
    if started_on > timezone.localdate():
        errors.setdefault("started_on", []).append(
            _("The date %(date)s is in the future; record an event once it has started.")
            % {"date": long_date(started_on)}
        )
    if area.level != Area.Level.KELURAHAN:
        errors.setdefault("area", []).append(
            _("%(area)s is not a kelurahan; choose the kelurahan where it happened.")
            % {"area": area.label}
        )
    if not description:
        errors.setdefault("description", []).append(
            _("Describe where exactly it happened and who is affected.")
        )
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    if (
        user is not None
        and "area" not in errors
        and not area_in_scope(user, Capability.TAGANA_EDIT, area)
    ):
        errors.setdefault("area", []).append(
            _("%(area)s is outside your area; choose a kelurahan within it.") % {"area": area.name}
        )
    if errors:
        raise ValidationError(errors)
    event = DisasterEvent.objects.create(
        kind=kind, started_on=started_on, area=area, description=description
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=event,
        changes=diff({}, snapshot(event, EVENT_FIELDS)),
    )
    return event


@transaction.atomic
def event_close(*, by: Actor, event: DisasterEvent, closed_on: datetime.date) -> DisasterEvent:
    """Close an event on `closed_on`. Everyone deployed must have been stood down first."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    if not event.is_open:
        errors.setdefault("closed_on", []).append(
            _("This event was already closed on %(date)s.") % {"date": long_date(event.closed_on)}
        )
    elif closed_on < event.started_on:
        errors.setdefault("closed_on", []).append(
            _("The closing date %(end)s is before the event started (%(start)s).")
            % {"end": long_date(closed_on), "start": long_date(event.started_on)}
        )
    elif closed_on > timezone.localdate():
        errors.setdefault("closed_on", []).append(
            _("The closing date %(date)s is in the future; close the event on the day it ends.")
            % {"date": long_date(closed_on)}
        )
    if not errors:
        in_force = event.deployments.in_force().select_related("person").order_by("start", "pk")
        ongoing = [d for d in in_force if d.end is None]
        if ongoing:
            errors.setdefault("closed_on", []).append(
                ngettext(
                    "This deployment has not ended: %(names)s. End it first, then close the event.",
                    "These deployments have not ended: %(names)s. End them first, then close "
                    "the event.",
                    len(ongoing),
                )
                % {"names": "; ".join(_deployment_label(d) for d in ongoing)}
            )
        later = [d for d in in_force if d.end and timezone.localdate(d.end) > closed_on]
        if later:
            errors.setdefault("closed_on", []).append(
                ngettext(
                    "A deployment ended after %(date)s: %(names)s. Close the event on or "
                    "after its last day.",
                    "Deployments ended after %(date)s: %(names)s. Close the event on or after "
                    "the last of them.",
                    len(later),
                )
                % {
                    "date": long_date(closed_on),
                    "names": "; ".join(f"{_deployment_label(d)} – {_when(d.end)}" for d in later),
                }
            )
    if errors:
        raise ValidationError(errors)
    before = snapshot(event, EVENT_FIELDS)
    event.status = DisasterEvent.Status.CLOSED
    event.closed_on = closed_on
    event.save(update_fields=["status", "closed_on"])
    audit_record(
        by=by,
        action=AuditEntry.Action.END,
        obj=event,
        changes=diff(before, snapshot(event, EVENT_FIELDS)),
    )
    return event


def _deployment_label(d: Deployment) -> str:
    """Budi Santoso (Evacuation, from 3 October 2024 08.00): a deployment in a message."""
    return _("%(name)s (%(role)s, from %(start)s)") % {
        "name": d.person.name,
        "role": d.get_role_display(),
        "start": _when(d.start),
    }


def _overlapping(person: Person, start: datetime.datetime, end: datetime.datetime | None):
    """Deployments in force of `person` that share some moment with [start, end) (end None:
    open)."""
    from django.db.models import Q

    qs = (
        Deployment.objects.in_force()
        .filter(person=person)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
    )
    if end is not None:
        qs = qs.filter(start__lt=end)
    return qs


@transaction.atomic
def deployment_create(
    *,
    by: Actor,
    event: DisasterEvent,
    person: Person,
    role: str,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
) -> Deployment:
    """Deploy a Tagana member to an open event from `start` (until `end`, or until ended)."""
    event = _locked_event(event)
    # Lock the person so two operators cannot deploy them to two events at the same moment.
    person = Person.objects.select_for_update().get(pk=person.pk)
    errors: dict[str, list] = {}
    now = timezone.now()
    if not event.is_open:
        errors.setdefault("__all__", []).append(_closed_error(event))
    if role not in Deployment.Role.values:
        errors.setdefault("role", []).append(_("Choose the member's role at the event."))
    first_day = timezone.localdate(start)
    if start > now:
        errors.setdefault("start", []).append(
            _("The start %(when)s is in the future; deploy the member once they are on the way.")
            % {"when": _when(start)}
        )
    elif first_day < event.started_on:
        errors.setdefault("start", []).append(
            _("The start %(when)s is before the event started (%(date)s); check the date.")
            % {"when": _when(start), "date": long_date(event.started_on)}
        )
    if end is not None and end < start:
        errors.setdefault("end", []).append(
            _("The end %(end)s is before the start %(start)s; check both times.")
            % {"end": _when(end), "start": _when(start)}
        )
    elif end is not None and end > now:
        errors.setdefault("end", []).append(
            _("The end %(end)s is in the future; leave it empty while the member is deployed.")
            % {"end": _when(end)}
        )
    active = (
        Assignment.objects.active_on(first_day).filter(person=person, kind__code=TAGANA).exists()
    )
    if not active:
        errors.setdefault("person", []).append(
            _(
                "%(name)s is not an active Tagana member on %(date)s; choose a member whose "
                "Tagana duty covers that day, or record their duty in the registry first."
            )
            % {"name": person.name, "date": long_date(first_day)}
        )
    if not errors:
        clash = _overlapping(person, start, end).select_related("event__area").first()
        if clash is not None:
            errors.setdefault("start", []).append(
                _(
                    "%(name)s is already deployed to %(event)s from %(start)s%(end)s; end that "
                    "deployment first or choose times that do not overlap."
                )
                % {
                    "name": person.name,
                    "event": clash.event,
                    "start": _when(clash.start),
                    "end": _(" to %(when)s") % {"when": _when(clash.end)} if clash.end else "",
                }
            )
    if errors:
        raise ValidationError(errors)
    deployment = Deployment.objects.create(
        event=event, person=person, role=role, start=start, end=end
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=deployment,
        person=person,
        changes=diff({}, snapshot(deployment, DEPLOYMENT_FIELDS)),
    )
    return deployment


@transaction.atomic
def deployment_end(*, by: Actor, deployment: Deployment, end: datetime.datetime) -> Deployment:
    """Stand a member down at `end`. The hours on duty follow from the start and end."""
    deployment = (
        Deployment.objects.select_for_update()
        .select_related("person", "event")
        .get(pk=deployment.pk)
    )
    errors: dict[str, list] = {}
    if not deployment.in_force:
        errors.setdefault("end", []).append(
            _("This deployment was corrected or reversed; end the entry in force instead.")
        )
    elif deployment.end is not None:
        errors.setdefault("end", []).append(
            _("This deployment already ended at %(when)s.") % {"when": _when(deployment.end)}
        )
    elif end < deployment.start:
        errors.setdefault("end", []).append(
            _("The end %(end)s is before the deployment started (%(start)s); check the time.")
            % {"end": _when(end), "start": _when(deployment.start)}
        )
    elif end > timezone.now():
        errors.setdefault("end", []).append(
            _("The end %(end)s is in the future; end the deployment when the member leaves.")
            % {"end": _when(end)}
        )
    elif _overlapping(deployment.person, deployment.start, end).exclude(pk=deployment.pk).exists():
        # Cannot happen through these services (an open deployment blocks any later one), but
        # a row written otherwise must not make the person be in two places at once.
        errors.setdefault("end", []).append(
            _("Ending at %(end)s would overlap another deployment of %(name)s.")
            % {"end": _when(end), "name": deployment.person.name}
        )
    if errors:
        raise ValidationError(errors)
    before = snapshot(deployment, DEPLOYMENT_FIELDS)
    deployment.end = end
    deployment.save(update_fields=["end"])
    audit_record(
        by=by,
        action=AuditEntry.Action.END,
        obj=deployment,
        person=deployment.person,
        changes=diff(before, snapshot(deployment, DEPLOYMENT_FIELDS)),
    )
    return deployment


@transaction.atomic
def log_entry_add(
    *, by: Actor, event: DisasterEvent, at: datetime.datetime, text: str
) -> EventLogEntry:
    """Add a line to an open event's activity log."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    text = (text or "").strip()
    if not event.is_open:
        errors.setdefault("__all__", []).append(_closed_error(event))
    if not text:
        errors.setdefault("text", []).append(_("Write what happened."))
    if at > timezone.now():
        errors.setdefault("at", []).append(
            _("The time %(when)s is in the future; log what has already happened.")
            % {"when": _when(at)}
        )
    elif timezone.localdate(at) < event.started_on:
        errors.setdefault("at", []).append(
            _("The time %(when)s is before the event started (%(date)s).")
            % {"when": _when(at), "date": long_date(event.started_on)}
        )
    if errors:
        raise ValidationError(errors)
    entry = EventLogEntry.objects.create(
        event=event, at=at, text=text, written_by=by.signed_in_user
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=entry,
        object_repr=f"{event}: {entry.text}",
        changes={"at": [None, at.isoformat()], "text": [None, text]},
    )
    return entry


# Corrections (docs/CASEWORK.md, "Corrections"): a deployment recorded wrongly is never
# edited; an amending entry (the right role and times) or a reversing entry, each with a reason,
# supersedes it, in one transaction, audited. The event may be open or closed.

MAX_REASON = 250


def _correctable(deployment: Deployment) -> Deployment:
    deployment = (
        Deployment.objects.select_for_update()
        .select_related("person", "event__area")
        .get(pk=deployment.pk)
    )
    if deployment.entry == Entry.REVERSAL:
        raise ValidationError(
            {
                "reason": [
                    _(
                        "This is a reversal; a reversal cannot itself be corrected or reversed. "
                        "Record the deployment again if it did happen."
                    )
                ]
            }
        )
    if deployment.superseded:
        raise ValidationError(
            {
                "reason": [
                    _(
                        "This deployment has already been corrected; correct the entry that "
                        "replaced it."
                    )
                ]
            }
        )
    return deployment


def _reason(reason: str | None, errors: dict) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        errors.setdefault("reason", []).append(
            _("Write why this deployment is corrected (at least 5 characters).")
        )
    elif len(reason) > MAX_REASON:
        errors.setdefault("reason", []).append(
            _("The reason has %(length)s characters; at most %(count)s.")
            % {"length": len(reason), "count": MAX_REASON}
        )
    return reason


def _save_correction(*, by: Actor, old: Deployment, new: Deployment) -> Deployment:
    before = snapshot(old, ["superseded"])
    old.superseded = True
    try:
        with transaction.atomic():
            old.save(update_fields=["superseded"])
            new.save()
    except IntegrityError as exc:  # the same deployment corrected twice at once
        raise ValidationError(
            {"reason": [_("This deployment has just been corrected by someone else.")]}
        ) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=new,
        person=new.person,
        changes=diff({}, snapshot(new, DEPLOYMENT_FIELDS + CORRECTION_FIELDS)),
    )
    changes = diff(before, snapshot(old, ["superseded"]))
    changes["corrected_by"] = [None, new.pk]
    changes["reason"] = [None, new.reason]
    audit_record(
        by=by, action=AuditEntry.Action.UPDATE, obj=old, person=old.person, changes=changes
    )
    return new


@transaction.atomic
def deployment_correct(
    *,
    by: Actor,
    deployment: Deployment,
    reason: str,
    role: str,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
) -> Deployment:
    """Correct a deployment's role or times: an amending entry with a reason. The end lies
    after the start, not in the future, and — once the event is closed — on or before the
    day it closed (a deployment of a closed event must have an end)."""
    old = _correctable(deployment)
    event = _locked_event(old.event)
    errors: dict[str, list] = {}
    reason = _reason(reason, errors)
    now = timezone.now()
    if role not in Deployment.Role.values:
        errors.setdefault("role", []).append(_("Choose the member's role at the event."))
    if start > now:
        errors.setdefault("start", []).append(
            _("The start %(when)s is in the future.") % {"when": _when(start)}
        )
    elif timezone.localdate(start) < event.started_on:
        errors.setdefault("start", []).append(
            _("The start %(when)s is before the event started (%(date)s); check the date.")
            % {"when": _when(start), "date": long_date(event.started_on)}
        )
    if end is None and not event.is_open:
        errors.setdefault("end", []).append(
            _("The event was closed on %(date)s; give the time the member was stood down.")
            % {"date": long_date(event.closed_on)}
        )
    elif end is not None and end < start:
        errors.setdefault("end", []).append(
            _("The end %(end)s is before the start %(start)s; check both times.")
            % {"end": _when(end), "start": _when(start)}
        )
    elif end is not None and end > now:
        errors.setdefault("end", []).append(
            _("The end %(end)s is in the future; leave it empty while the member is deployed.")
            % {"end": _when(end)}
        )
    elif end is not None and not event.is_open and timezone.localdate(end) > event.closed_on:
        errors.setdefault("end", []).append(
            _(
                "The end %(end)s is after the event was closed (%(date)s); a deployment ends "
                "by the day its event closes."
            )
            % {"end": _when(end), "date": long_date(event.closed_on)}
        )
    if not errors and (role, start, end) == (old.role, old.start, old.end):
        errors.setdefault("start", []).append(
            _("Nothing differs from the deployment being corrected; change what was wrong.")
        )
    if not errors:
        clash = (
            _overlapping(old.person, start, end)
            .exclude(pk=old.pk)
            .select_related("event__area")
            .first()
        )
        if clash is not None:
            errors.setdefault("start", []).append(
                _("%(name)s was deployed to %(event)s from %(start)s; the times would overlap.")
                % {"name": old.person.name, "event": clash.event, "start": _when(clash.start)}
            )
    if errors:
        raise ValidationError(errors)
    new = Deployment(
        event=event,
        person=old.person,
        role=role,
        start=start,
        end=end,
        entry=Entry.AMENDMENT,
        corrects=old,
        reason=reason,
    )
    return _save_correction(by=by, old=old, new=new)


@transaction.atomic
def deployment_reverse(*, by: Actor, deployment: Deployment, reason: str) -> Deployment:
    """Reverse a deployment recorded by mistake (the member never went): a reversing entry
    with a reason; it no longer counts anywhere."""
    old = _correctable(deployment)
    errors: dict[str, list] = {}
    reason = _reason(reason, errors)
    if errors:
        raise ValidationError(errors)
    new = Deployment(
        event=old.event,
        person=old.person,
        role=old.role,
        start=old.start,
        end=old.end,
        entry=Entry.REVERSAL,
        corrects=old,
        reason=reason,
    )
    return _save_correction(by=by, old=old, new=new)
