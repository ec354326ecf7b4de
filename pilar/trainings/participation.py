"""Every write to an event's participants: invitations, removals, attendance and results;
validated, in one transaction, and audited. (Courses and events are written by
`pilar.trainings.services`, certificates by `pilar.trainings.certificates.services`.)

Each function raises `ValidationError` keyed by the field to fix and changes nothing when the
input breaks a rule: more invitations than places left, attendance on a day outside the event or
for someone not invited, a pass for someone who never attended, a score outside 0–100.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilar.accounts.access import is_top
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff
from pilar.lib.dates import long_date
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.trainings.models import (
    Attendance,
    Certificate,
    Course,
    Participant,
    TrainingEvent,
)
from pilar.trainings.services import _locked_event

# A name list in an error message stops after this many names ("… and 12 more").
NAMES_SHOWN = 5


def _names(people: list[str]) -> str:
    shown = ", ".join(people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        more = len(people) - NAMES_SHOWN
        shown += ngettext(" and %(n)s more", " and %(n)s more", more) % {"n": more}
    return shown


def _audit_many(by: Actor, action: str, rows: list[tuple[object, Person, dict]]) -> None:
    """One audit entry per (object, person, changes), written in one statement: invitations,
    attendance and results come hundreds at a time (360 pillars on 22 October 2024)."""
    user = by.signed_in_user
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                user=user,
                username=user.get_username() if user else "",
                source=by.source,
                ip=by.ip,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                person=person,
                changes=changes,
            )
            for obj, person, changes in rows
        ],
        batch_size=500,
    )


# Participants -----------------------------------------------------------------------------------


@dataclass
class Invitation:
    """What an invitation did: who was added, and how many were invited already."""

    added: list[Participant] = field(default_factory=list)
    already: int = 0


def course_kinds(course: Course) -> list[PillarKind]:
    """The kinds a course is for (every kind when it names none)."""
    kinds = list(course.kinds.all())
    return kinds or list(PillarKind.objects.all())


def _outside_office(event: TrainingEvent, people: list[Person]) -> list[Person]:
    """Of `people`, those with no duty (past or present) and no residence within the area of the
    event's office (docs/TRAININGS.md, "Many offices"): another office's pillars."""
    office = event.office
    if not people or is_top(office):
        return []
    ids = [p.pk for p in people]
    within = [office.area]
    inside = set(
        Assignment.objects.filter(within_areas_q(within, "area"), person_id__in=ids).values_list(
            "person_id", flat=True
        )
    )
    inside |= set(
        Person.objects.filter(within_areas_q(within, "residence"), pk__in=ids).values_list(
            "pk", flat=True
        )
    )
    return [p for p in people if p.pk not in inside]


def invitable_duties(event: TrainingEvent, *, kinds: Iterable[PillarKind], area: Area | None):
    """Duties active on the event's first day, of `kinds`, within `area` (None: anywhere the
    event's office serves, docs/TRAININGS.md "Many offices")."""
    duties = Assignment.objects.active_on(event.start_date).filter(kind__in=[k.pk for k in kinds])
    office = event.office
    if not is_top(office):
        duties = duties.filter(within_areas_q([office.area], "area"))
    if area is not None:
        duties = duties.filter(within_areas_q([area], "area"))
    return duties


@transaction.atomic
def participants_invite(
    *,
    by: Actor,
    event: TrainingEvent,
    kinds: Iterable[PillarKind] | None = None,
    area: Area | None = None,
    people: Iterable[Person] | None = None,
) -> Invitation:
    """Invite the picked `people`, or else everyone with a duty of `kinds` (default: the kinds
    the course is for) within `area` (default: anywhere) active on the event's first day.

    People already invited are skipped and counted. Over capacity, nobody is invited and the
    message says how many places are left."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    if people is not None:
        candidates = {p.pk: p for p in people}
        if not candidates:
            errors.setdefault("people", []).append(_("Pick at least one person to invite."))
        outside = _outside_office(event, list(candidates.values()))
        if outside:
            errors.setdefault("people", []).append(
                _(
                    "%(names)s neither serve nor live within the area of %(office)s; invite "
                    "people of the office's own area."
                )
                % {"names": ", ".join(p.name for p in outside), "office": event.office.name}
            )
    elif area is not None and not is_top(event.office) and not area.is_within(event.office.area):
        errors.setdefault("area", []).append(
            _("%(area)s lies outside %(office)s; choose an area the office serves.")
            % {"area": area.label, "office": event.office.name}
        )
    else:
        allowed = course_kinds(event.course)
        chosen = list(kinds) if kinds else allowed
        wrong = [k for k in chosen if k.pk not in {a.pk for a in allowed}]
        if wrong:
            errors.setdefault("kinds", []).append(
                _("%(course)s is not for %(kinds)s; choose among %(allowed)s.")
                % {
                    "course": event.course.name,
                    "kinds": ", ".join(k.name for k in wrong),
                    "allowed": ", ".join(k.name for k in allowed),
                }
            )
            candidates = {}
        else:
            ids = invitable_duties(event, kinds=chosen, area=area).values("person_id")
            candidates = {p.pk: p for p in Person.objects.filter(pk__in=ids)}
            if not candidates:
                errors.setdefault("kinds", []).append(
                    _(
                        "Nobody has an active duty of %(kinds)s %(where)s on %(date)s; choose "
                        "other kinds or a wider area."
                    )
                    % {
                        "kinds": ", ".join(k.name for k in chosen),
                        "where": _("in %(area)s") % {"area": area.label}
                        if area is not None
                        else _("anywhere"),
                        "date": long_date(event.start_date),
                    }
                )
    if errors:
        raise ValidationError(errors)
    invited = set(event.participants.values_list("person_id", flat=True))
    new = [p for pk, p in candidates.items() if pk not in invited]
    result = Invitation(already=len(candidates) - len(new))
    if event.capacity is not None and len(invited) + len(new) > event.capacity:
        left = max(event.capacity - len(invited), 0)
        raise ValidationError(
            {
                "people" if people is not None else "kinds": [
                    ngettext(
                        "Only %(left)s place is left (capacity %(capacity)s, %(invited)s "
                        "invited); this would invite %(new)s more. Invite fewer people or raise "
                        "the capacity.",
                        "Only %(left)s places are left (capacity %(capacity)s, %(invited)s "
                        "invited); this would invite %(new)s more. Invite fewer people or raise "
                        "the capacity.",
                        left,
                    )
                    % {
                        "left": left,
                        "capacity": event.capacity,
                        "invited": len(invited),
                        "new": len(new),
                    }
                ]
            }
        )
    new.sort(key=lambda p: (p.name, p.pk))
    Participant.objects.bulk_create([Participant(event=event, person=p) for p in new])
    result.added = list(
        event.participants.filter(person__in=[p.pk for p in new]).select_related("person")
    )
    _audit_many(
        by,
        AuditEntry.Action.CREATE,
        [(p, p.person, {"event": [None, str(event)]}) for p in result.added],
    )
    return result


@transaction.atomic
def participant_remove(*, by: Actor, participant: Participant) -> None:
    """Withdraw an invitation: only for someone with no attendance and no certificate."""
    participant = (
        Participant.objects.select_for_update()
        .select_related("person", "event__course")
        .get(pk=participant.pk)
    )
    errors: dict[str, list] = {}
    if Certificate.objects.filter(participant=participant).exists():
        errors.setdefault("__all__", []).append(
            _("%(name)s has a certificate for this event; it cannot be withdrawn.")
            % {"name": participant.person.name}
        )
    elif participant.attendance.exists():
        errors.setdefault("__all__", []).append(
            _(
                "%(name)s attended this event; clear their attendance first if they were "
                "invited by mistake."
            )
            % {"name": participant.person.name}
        )
    if errors:
        raise ValidationError(errors)
    audit_record(
        by=by,
        action=AuditEntry.Action.DELETE,
        obj=participant,
        person=participant.person,
        changes={"event": [str(participant.event), None]},
    )
    participant.delete()


# Attendance and results -------------------------------------------------------------------------


def _participants_of(event: TrainingEvent, ids: Iterable[int], field_name: str):
    """The participants of `event` with these ids, and the error when some are not."""
    wanted = set(ids)
    found = {p.pk: p for p in event.participants.filter(pk__in=wanted).select_related("person")}
    missing = sorted(wanted - set(found))
    if missing:
        return found, {
            field_name: [
                ngettext(
                    "%(n)s of the people given (id %(ids)s) is not invited to this event; "
                    "invite them first.",
                    "%(n)s of the people given (ids %(ids)s) are not invited to this event; "
                    "invite them first.",
                    len(missing),
                )
                % {"n": len(missing), "ids": ", ".join(str(i) for i in missing[:10])}
            ]
        }
    return found, {}


@dataclass
class AttendanceChange:
    added: list[Participant] = field(default_factory=list)
    removed: list[Participant] = field(default_factory=list)


@transaction.atomic
def attendance_record(
    *, by: Actor, event: TrainingEvent, day: datetime.date, present_ids: Iterable[int]
) -> AttendanceChange:
    """Set who was present on `day`: the participants with `present_ids` (participant ids) are,
    every other participant is not. Rows are added and removed to match."""
    event = _locked_event(event)
    errors: dict[str, list] = {}
    if not event.start_date <= day <= event.end_date:
        errors.setdefault("day", []).append(
            _(
                "%(day)s is outside the event (%(start)s to %(end)s); record attendance for one "
                "of its days, or change the event's dates first."
            )
            % {
                "day": long_date(day),
                "start": long_date(event.start_date),
                "end": long_date(event.end_date),
            }
        )
    elif day > timezone.localdate():
        errors.setdefault("day", []).append(
            _("%(day)s has not come yet; record attendance on or after the day.")
            % {"day": long_date(day)}
        )
    present, missing = _participants_of(event, present_ids, "present_ids")
    errors.update(missing)
    if errors:
        raise ValidationError(errors)
    before = set(
        Attendance.objects.filter(participant__event=event, day=day).values_list(
            "participant_id", flat=True
        )
    )
    change = AttendanceChange(
        added=[present[pk] for pk in sorted(set(present) - before)],
    )
    gone = before - set(present)
    if gone:
        change.removed = list(event.participants.filter(pk__in=gone).select_related("person"))
        # A pass (or certificate) rests on attendance: keep at least one day for those.
        other_days = set(
            Attendance.objects.filter(participant_id__in=gone)
            .exclude(day=day)
            .values_list("participant_id", flat=True)
        )
        stranded = [
            p.person.name
            for p in change.removed
            if p.result == Participant.Result.PASSED and p.pk not in other_days
        ]
        if stranded:
            raise ValidationError(
                {
                    "present_ids": [
                        _(
                            "%(names)s passed and attended only on this day; set their result "
                            "back to not assessed before marking them absent."
                        )
                        % {"names": _names(stranded)}
                    ]
                }
            )
        Attendance.objects.filter(participant_id__in=gone, day=day).delete()
    Attendance.objects.bulk_create([Attendance(participant=p, day=day) for p in change.added])
    iso = day.isoformat()
    _audit_many(
        by,
        AuditEntry.Action.UPDATE,
        [(p, p.person, {"present": [iso, None]}) for p in change.removed]
        + [(p, p.person, {"present": [None, iso]}) for p in change.added],
    )
    return change


def _score(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise ValueError from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValueError
    if score != score.quantize(Decimal("0.01")):
        raise ValueError
    return score.quantize(Decimal("0.01"))


@transaction.atomic
def results_record(
    *,
    by: Actor,
    event: TrainingEvent,
    results: Mapping[int, tuple[str, object]],
) -> list[Participant]:
    """Record results: {participant_id: (result, score)}; score 0–100 or None. Only someone who
    attended at least one day can pass; a certified pass stays a pass until it is revoked.
    Returns the participants whose result or score changed."""
    event = _locked_event(event)
    found, errors = _participants_of(event, results.keys(), "results")
    attended = set(
        Attendance.objects.filter(participant__event=event).values_list("participant_id", flat=True)
    )
    certified = set(
        Certificate.objects.in_force()
        .filter(participant__event=event)
        .values_list("participant_id", flat=True)
    )
    bad_result, bad_score, absent, locked = [], [], [], []
    parsed: dict[int, tuple[str, Decimal | None]] = {}
    for pk, (result, score) in results.items():
        p = found.get(pk)
        if p is None:
            continue
        if result not in Participant.Result.values:
            bad_result.append(p.person.name)
            continue
        try:
            parsed[pk] = (result, _score(score))
        except ValueError:
            bad_score.append(f"{p.person.name} ({score})")
            continue
        if result == Participant.Result.PASSED and pk not in attended:
            absent.append(p.person.name)
        if pk in certified and result != Participant.Result.PASSED:
            locked.append(p.person.name)
    if bad_result:
        errors.setdefault("results", []).append(
            _("Choose passed, failed or not yet assessed for %(names)s.")
            % {"names": _names(bad_result)}
        )
    if bad_score:
        errors.setdefault("score", []).append(
            _(
                "A score is a number from 0 to 100 with at most two decimals, or empty: check "
                "%(names)s."
            )
            % {"names": _names(bad_score)}
        )
    if absent:
        errors.setdefault("results", []).append(
            ngettext(
                "%(names)s never attended a day of this event and cannot pass; record their "
                "attendance first, or mark them as not passed.",
                "%(names)s never attended a day of this event and cannot pass; record their "
                "attendance first, or mark them as not passed.",
                len(absent),
            )
            % {"names": _names(absent)}
        )
    if locked:
        errors.setdefault("results", []).append(
            _("%(names)s already hold a certificate for this event; revoke it first.")
            % {"names": _names(locked)}
        )
    if errors:
        raise ValidationError(errors)
    changed, audits = [], []
    for pk, (result, score) in parsed.items():
        p = found[pk]
        before = {"result": p.result, "score": None if p.score is None else str(p.score)}
        p.result, p.score = result, score
        after = {"result": p.result, "score": None if score is None else str(score)}
        if before != after:
            changed.append(p)
            audits.append((p, p.person, diff(before, after)))
    Participant.objects.bulk_update(changed, ["result", "score"], batch_size=500)
    _audit_many(by, AuditEntry.Action.UPDATE, audits)
    return changed
