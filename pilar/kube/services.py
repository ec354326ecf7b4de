"""Every write to KUBE groups: validated, in one transaction, and audited.

Refusals raise `ValidationError` naming the field and what to do, and change nothing. A group
outside 5–20 members is not refused (see `KubeGroup.size_problem`): it shows as a warning.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilar.accounts.access import Capability, area_in_scope
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.casework.models import Household
from pilar.kube.models import (
    KUBE_MAX_RUPIAH,
    KubeAid,
    KubeCompanion,
    KubeGroup,
    KubeMember,
    KubeMonthlyRecord,
    KubeProgressNote,
)
from pilar.lib.corrections import Entry
from pilar.lib.dates import long_date
from pilar.lib.money import rupiah
from pilar.lib.months import month_label, month_start
from pilar.lib.text import check_lengths
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person

GROUP_FIELDS = ["name", "area", "business_type", "founded_on", "stage", "status"]
MEMBER_FIELDS = ["group", "household", "role", "joined_on", "left_on", "left_reason"]
COMPANION_FIELDS = ["group", "person", "start_date", "end_date"]
AID_FIELDS = ["group", "date", "source", "form", "description", "value"]
RECORD_FIELDS = ["group", "month", "turnover", "savings"]
CORRECTION_FIELDS = ["entry", "corrects", "reason"]
FIELD_LABELS = {
    "value": gettext_lazy("Value"),
    "turnover": gettext_lazy("Turnover"),
    "savings": gettext_lazy("Savings"),
}
COMPANION_KIND = "PENDAMPING_KUBE"


def _today() -> datetime.date:
    return timezone.localdate()


def _group_name_for(by: Actor, group: KubeGroup) -> str:
    """A group's name in a message, or a neutral phrase when `by` may not see that group."""
    user = by.signed_in_user
    if user is None or KubeGroup.objects.visible_to(user).filter(pk=group.pk).exists():
        return f"“{group.name}” ({group.area.label})"
    return _("another KUBE group outside your area")


def _raise(errors: dict[str, list]) -> None:
    if errors:
        raise ValidationError(errors)


def _group_errors(data: dict[str, Any]) -> dict[str, list]:
    errors: dict[str, list] = {}
    for field in ("name", "business_type"):
        data[field] = " ".join((data.get(field) or "").split())
    if not data["name"]:
        errors.setdefault("name", []).append(_("Write the group's name."))
    if not data["business_type"]:
        errors.setdefault("business_type", []).append(
            _("Write what the group does, e.g. tailoring, food stall, livestock.")
        )
    area = data.get("area")
    if area is None or area.level != Area.Level.KELURAHAN:
        errors.setdefault("area", []).append(
            _("A KUBE belongs to one kelurahan or desa; choose a kelurahan, not a kecamatan.")
        )
    founded = data.get("founded_on")
    if founded is None:
        errors.setdefault("founded_on", []).append(_("Give the founding date."))
    elif founded > _today():
        errors.setdefault("founded_on", []).append(
            _("The founding date %(date)s is in the future; check the day, month and year.")
            % {"date": long_date(founded)}
        )
    check_lengths(errors, data, {"name": 120, "business_type": 120})
    if data.get("stage") not in KubeGroup.Stage.values:
        errors.setdefault("stage", []).append(_("Choose the group's stage."))
    if data.get("status") not in KubeGroup.Status.values:
        errors.setdefault("status", []).append(_("Choose whether the group is active."))
    return errors


@transaction.atomic
def kube_group_create(*, by: Actor, data: dict[str, Any]) -> KubeGroup:
    """Found a group in one kelurahan. `data` holds KubeGroup field values (area as an Area)."""
    data = {k: v for k, v in data.items() if k in GROUP_FIELDS}
    data.setdefault("stage", KubeGroup.Stage.GROWTH)
    data.setdefault("status", KubeGroup.Status.ACTIVE)
    errors = _group_errors(data)
    _scope_errors(by, errors, data.get("area"))
    _raise(errors)
    group = KubeGroup.objects.create(**data)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=group,
        changes=diff({}, snapshot(group, GROUP_FIELDS)),
    )
    return group


@transaction.atomic
def kube_group_update(*, by: Actor, group: KubeGroup, data: dict[str, Any]) -> KubeGroup:
    """Change a group's own fields. Its kelurahan cannot move away from its members'."""
    group = KubeGroup.objects.select_for_update().get(pk=group.pk)
    before = snapshot(group, GROUP_FIELDS)
    merged = {f: getattr(group, f) for f in GROUP_FIELDS}
    merged.update({k: v for k, v in data.items() if k in GROUP_FIELDS})
    errors = _group_errors(merged)
    if not errors.get("area") and merged["area"].pk != group.area_id:
        elsewhere = group.members.filter(left_on__isnull=True).exclude(
            household__area=merged["area"]
        )
        if elsewhere.exists():
            errors.setdefault("area", []).append(
                _(
                    "The group's members live in %(area)s; a KUBE's members live in its "
                    "kelurahan. Remove them first, or keep the kelurahan."
                )
                % {"area": group.area.label}
            )
    _scope_errors(by, errors, merged.get("area"))
    _raise(errors)
    dissolving = (
        merged["status"] == KubeGroup.Status.DISSOLVED
        and group.status != KubeGroup.Status.DISSOLVED
    )
    for key, value in merged.items():
        setattr(group, key, value)
    changes = diff(before, snapshot(group, GROUP_FIELDS))
    if dissolving:
        # A dissolved group lets its households go (they may join another group) and its
        # companion stop; the rows stay as history.
        day = _today()
        left = group.members.filter(left_on__isnull=True).update(
            left_on=day, left_reason=_("Group dissolved")
        )
        group.companions.filter(end_date__isnull=True).update(end_date=day)
        changes["members_left"] = [None, left]
    if changes:
        group.save()
        audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=group, changes=changes)
    return group


@transaction.atomic
def kube_member_add(
    *,
    by: Actor,
    group: KubeGroup,
    household: Household,
    role: str = KubeMember.Role.MEMBER,
    joined_on: datetime.date | None = None,
) -> KubeMember:
    """Add a household to a group. Refuses a household already in a group, one from another
    kelurahan (a KUBE's members are neighbours), and a second chair, secretary or
    treasurer."""
    # Lock the group so two operators cannot both appoint its chair.
    group = KubeGroup.objects.select_for_update().select_related("area").get(pk=group.pk)
    joined_on = joined_on or _today()
    errors: dict[str, list] = {}
    if group.status != KubeGroup.Status.ACTIVE:
        errors.setdefault("household", []).append(
            _("This group is dissolved; it takes no new members.")
        )
    if role not in KubeMember.Role.values:
        errors.setdefault("role", []).append(
            _("Choose a role: chair, secretary, treasurer or member.")
        )
    if joined_on > _today():
        errors.setdefault("joined_on", []).append(
            _("The joining date %(date)s is in the future.") % {"date": long_date(joined_on)}
        )
    elif joined_on < group.founded_on:
        errors.setdefault("joined_on", []).append(
            _("The group was founded on %(date)s; a member cannot have joined before that.")
            % {"date": long_date(group.founded_on)}
        )
    if household.status != Household.Status.ACTIVE:
        errors.setdefault("household", []).append(
            _("This household is marked “%(status)s”; only active households can join.")
            % {"status": household.get_status_display()}
        )
    if household.area_id != group.area_id:
        errors.setdefault("household", []).append(
            _(
                "This household lives in %(theirs)s, the group in %(ours)s. A KUBE's members "
                "live in its kelurahan; choose a household from %(ours)s."
            )
            % {"theirs": household.area.label, "ours": group.area.label}
        )
    last_left = (
        KubeMember.objects.filter(household=household, left_on__isnull=False)
        .order_by("-left_on")
        .values_list("left_on", flat=True)
        .first()
    )
    if last_left is not None and joined_on < last_left and "joined_on" not in errors:
        errors.setdefault("joined_on", []).append(
            _(
                "This household left a KUBE group on %(date)s; it can join another from that "
                "day on, not before."
            )
            % {"date": long_date(last_left)}
        )
    current = (
        KubeMember.objects.filter(household=household, left_on__isnull=True)
        .select_related("group__area")
        .first()
    )
    if current is not None and current.group_id == group.pk:
        errors.setdefault("household", []).append(_("This household is already in this group."))
    elif current is not None:
        errors.setdefault("household", []).append(
            _(
                "This household is already a member of %(group)s. A household is in one KUBE "
                "at a time; remove it from that group first."
            )
            % {"group": _group_name_for(by, current.group)}
        )
    if role in KubeMember.Role.values and role != KubeMember.Role.MEMBER:
        holder = group.members.filter(role=role, left_on__isnull=True).first()
        if holder is not None:
            errors.setdefault("role", []).append(
                _(
                    "The group already has a %(role)s (KK %(kk)s); remove that member or add "
                    "this household as an ordinary member."
                )
                % {"role": KubeMember.Role(role).label, "kk": holder.household.masked_kk}
            )
    _raise(errors)
    member = KubeMember(group=group, household=household, role=role, joined_on=joined_on)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent add of the same household
        raise ValidationError(
            {"household": [_("This household has just been added to a group; reload the page.")]}
        ) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=member,
        changes=diff({}, snapshot(member, MEMBER_FIELDS)),
    )
    return member


@transaction.atomic
def kube_member_remove(
    *, by: Actor, member: KubeMember, left_on: datetime.date | None = None, reason: str = ""
) -> KubeMember:
    """A household leaves its group on `left_on`. The membership row stays as history."""
    member = KubeMember.objects.select_for_update().get(pk=member.pk)
    left_on = left_on or _today()
    reason = " ".join((reason or "").split())
    errors: dict[str, list] = {}
    if member.left_on is not None:
        errors.setdefault("left_on", []).append(
            _("This household already left the group on %(date)s.")
            % {"date": long_date(member.left_on)}
        )
    elif left_on < member.joined_on:
        errors.setdefault("left_on", []).append(
            _("The household joined on %(date)s; it cannot have left before that.")
            % {"date": long_date(member.joined_on)}
        )
    elif left_on > _today():
        errors.setdefault("left_on", []).append(_("The leaving date cannot be in the future."))
    _raise(errors)
    before = snapshot(member, MEMBER_FIELDS)
    member.left_on, member.left_reason = left_on, reason[:250]
    member.save(update_fields=["left_on", "left_reason"])
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=member,
        changes=diff(before, snapshot(member, MEMBER_FIELDS)),
    )
    return member


def companion_duty(person: Person, group: KubeGroup, day: datetime.date) -> Assignment | None:
    """The person's Pendamping KUBE duty in force on `day` covering the group's kelurahan."""
    duties = Assignment.objects.active_on(day).filter(person=person, kind__code=COMPANION_KIND)
    for duty in duties.select_related("area"):
        if group.area.is_within(duty.area):
            return duty
    return None


@transaction.atomic
def kube_companion_set(
    *, by: Actor, group: KubeGroup, person: Person, start_date: datetime.date | None = None
) -> KubeCompanion:
    """Make `person` the group's companion from `start_date`; the current companion (if any)
    ends the day before. Refuses a person with no Pendamping KUBE duty covering the group."""
    group = KubeGroup.objects.select_for_update().select_related("area").get(pk=group.pk)
    start_date = start_date or _today()
    errors: dict[str, list] = {}
    current = group.companions.filter(end_date__isnull=True).first()
    if start_date > _today():
        errors.setdefault("start_date", []).append(_("The start date cannot be in the future."))
    elif current is not None and current.person_id == person.pk:
        errors.setdefault("person", []).append(
            _("%(name)s already accompanies this group.") % {"name": person.name}
        )
    elif current is not None and start_date <= current.start_date:
        errors.setdefault("start_date", []).append(
            _(
                "The current companion started on %(date)s; the new one must start after that "
                "(the current one ends the day before)."
            )
            % {"date": long_date(current.start_date)}
        )
    if not errors and companion_duty(person, group, start_date) is None:
        any_duty = (
            Assignment.objects.active_on(start_date)
            .filter(person=person, kind__code=COMPANION_KIND)
            .select_related("area")
            .first()
        )
        if any_duty is None:
            message = _(
                "%(name)s has no active Pendamping KUBE duty on %(date)s. Give them that duty "
                "in the registry first, or choose another companion."
            )
        else:
            message = _(
                "%(name)s serves as Pendamping KUBE in %(area)s, not where this group is; "
                "choose a companion of %(group_area)s."
            )
        errors.setdefault("person", []).append(
            message
            % {
                "name": person.name,
                "date": long_date(start_date),
                "area": any_duty.area.label if any_duty else "",
                "group_area": group.area.parent.label if group.area.parent else group.area.label,
            }
        )
    _raise(errors)
    if current is not None:
        before = snapshot(current, COMPANION_FIELDS)
        current.end_date = start_date - datetime.timedelta(days=1)
        current.save(update_fields=["end_date"])
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=current,
            person=current.person,
            changes=diff(before, snapshot(current, COMPANION_FIELDS)),
        )
    companion = KubeCompanion.objects.create(group=group, person=person, start_date=start_date)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=companion,
        person=person,
        changes=diff({}, snapshot(companion, COMPANION_FIELDS)),
    )
    return companion


def _scope_errors(by: Actor, errors: dict, area) -> None:
    """The group's kelurahan must lie within the editor's own areas."""
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    if user is None or area is None or "area" in errors:
        return
    if not area_in_scope(user, Capability.KUBE_EDIT, area):
        errors.setdefault("area", []).append(
            _("%(area)s is outside your area; choose a kelurahan within it.") % {"area": area.name}
        )


def _amount_errors(errors: dict, field: str, value, *, allow_zero: bool) -> None:
    """Whole rupiah between 0 (or 1) and KUBE_MAX_RUPIAH, the message naming the field."""
    label = FIELD_LABELS[field]
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(
            _("%(field)s: write the amount in whole rupiah, e.g. 1.500.000.") % {"field": label}
        )
    elif value > KUBE_MAX_RUPIAH:
        errors.setdefault(field, []).append(
            _(
                "%(field)s: Rp%(value)s is more than the Rp%(high)s a KUBE entry may hold; "
                "check the digits (whole rupiah, no cents)."
            )
            % {"field": label, "value": rupiah(value), "high": rupiah(KUBE_MAX_RUPIAH)}
        )
    elif value < 0:
        errors.setdefault(field, []).append(
            _("%(field)s cannot be negative; write 0 if there was none.") % {"field": label}
        )
    elif value == 0 and not allow_zero:
        errors.setdefault(field, []).append(
            _("%(field)s must be more than zero, in whole rupiah.") % {"field": label}
        )


def _record_errors(errors: dict, turnover, savings) -> None:
    _amount_errors(errors, "turnover", turnover, allow_zero=True)
    _amount_errors(errors, "savings", savings, allow_zero=True)
    if not errors.get("turnover") and not errors.get("savings") and savings > turnover:
        errors.setdefault("savings", []).append(
            _(
                "Savings (Rp%(savings)s) are more than the month's turnover (Rp%(turnover)s); "
                "savings are put aside out of turnover. Check both amounts."
            )
            % {"savings": rupiah(savings), "turnover": rupiah(turnover)}
        )


def _aid_errors(errors: dict, date: datetime.date, source: str, form: str, value) -> None:
    """What an aid entry must be, new or amending one."""
    if date > _today():
        errors.setdefault("date", []).append(
            _("The date %(date)s is in the future; record aid once it has been received.")
            % {"date": long_date(date)}
        )
    if source not in KubeAid.Source.values:
        errors.setdefault("source", []).append(_("Choose where the aid came from."))
    if form not in KubeAid.Form.values:
        errors.setdefault("form", []).append(_("Choose money or goods."))
    _amount_errors(errors, "value", value, allow_zero=False)


@transaction.atomic
def kube_aid_add(
    *,
    by: Actor,
    group: KubeGroup,
    date: datetime.date,
    source: str,
    form: str,
    value: int,
    description: str = "",
) -> KubeAid:
    """Record aid the group received (money or goods, with its value in whole rupiah)."""
    errors: dict[str, list] = {}
    _aid_errors(errors, date, source, form, value)
    _raise(errors)
    aid = KubeAid.objects.create(
        group=group,
        date=date,
        source=source,
        form=form,
        value=value,
        description=" ".join((description or "").split())[:250],
        created_by=by.signed_in_user,
    )
    audit_record(
        by=by, action=AuditEntry.Action.CREATE, obj=aid, changes=diff({}, snapshot(aid, AID_FIELDS))
    )
    return aid


@transaction.atomic
def kube_note_add(
    *, by: Actor, group: KubeGroup, date: datetime.date, text: str
) -> KubeProgressNote:
    """Write a progress note on a group."""
    text = (text or "").strip()
    errors: dict[str, list] = {}
    if not text:
        errors.setdefault("text", []).append(_("Write what you saw of the group's progress."))
    if date > _today():
        errors.setdefault("date", []).append(_("The date cannot be in the future."))
    _raise(errors)
    note = KubeProgressNote.objects.create(
        group=group, date=date, text=text[:2000], created_by=by.signed_in_user
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=note,
        changes={"date": [None, date.isoformat()], "text": [None, note.text]},
    )
    return note


@transaction.atomic
def kube_record_add(
    *, by: Actor, group: KubeGroup, month: datetime.date, turnover: int, savings: int
) -> KubeMonthlyRecord:
    """Record a group's turnover and savings for a month (once per month)."""
    month = month_start(month)
    errors: dict[str, list] = {}
    if month > _today():
        errors.setdefault("month", []).append(
            _("%(month)s has not begun; record a month once it has.")
            % {"month": month_label(month)}
        )
    elif month < month_start(group.founded_on):
        errors.setdefault("month", []).append(
            _("The group was founded on %(date)s; choose a month after that.")
            % {"date": long_date(group.founded_on)}
        )
    elif group.records.in_force().filter(month=month).exists():
        errors.setdefault("month", []).append(
            _(
                "%(month)s is already recorded for this group; each month is recorded once. "
                "To change it, correct that month's entry."
            )
            % {"month": month_label(month)}
        )
    _record_errors(errors, turnover, savings)
    _raise(errors)
    record = KubeMonthlyRecord(
        group=group, month=month, turnover=turnover, savings=savings, created_by=by.signed_in_user
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:  # the same month sent twice at once
        raise ValidationError(
            {"month": [_("This month has just been recorded for this group.")]}
        ) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=record,
        changes=diff({}, snapshot(record, RECORD_FIELDS)),
    )
    return record


# Corrections (docs/CASEWORK.md, "Correcting KUBE aid and monthly records"): a saved entry is
# never edited; an amending or reversing entry with a reason is added and the old one marked
# superseded, in one transaction, audited.

MAX_REASON = 250


def _correction_target(model, entry, group: KubeGroup, field: str = "reason"):
    """The entry, locked, checked to be correctable: in this group, in force, not a reversal."""
    entry = model.objects.select_for_update().get(pk=entry.pk)
    if entry.group_id != group.pk:
        raise ValidationError({field: [_("This entry belongs to another group.")]})
    if entry.entry == Entry.REVERSAL:
        raise ValidationError(
            {
                field: [
                    _(
                        "This is a reversal; a reversal cannot itself be corrected or reversed. "
                        "Record the entry again as a new one if it was right after all."
                    )
                ]
            }
        )
    if entry.superseded:
        raise ValidationError(
            {
                field: [
                    _("This entry has already been corrected; correct the entry that replaced it.")
                ]
            }
        )
    return entry


def _reason(reason: str | None, errors: dict) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        errors.setdefault("reason", []).append(
            _("Write why this entry is corrected (at least 5 characters).")
        )
    elif len(reason) > MAX_REASON:
        errors.setdefault("reason", []).append(
            _("The reason has %(length)s characters; at most %(count)s.")
            % {"length": len(reason), "count": MAX_REASON}
        )
    return reason


def _save_correction(*, by: Actor, old, new, fields: list[str]):
    """Mark `old` superseded and save `new` (which corrects it); audit both rows."""
    before = snapshot(old, ["superseded"])
    old.superseded = True
    try:
        with transaction.atomic():
            old.save(update_fields=["superseded"])  # first: one month in force at a time
            new.save()
    except IntegrityError as exc:  # the same entry corrected twice at once
        raise ValidationError(
            {"reason": [_("This entry has just been corrected by someone else; reload the page.")]}
        ) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=new,
        changes=diff({}, snapshot(new, fields + CORRECTION_FIELDS)),
    )
    changes = diff(before, snapshot(old, ["superseded"]))
    changes["corrected_by"] = [None, new.pk]
    changes["reason"] = [None, new.reason]
    audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=old, changes=changes)
    return new


@transaction.atomic
def kube_aid_correct(
    *,
    by: Actor,
    group: KubeGroup,
    aid: KubeAid,
    reason: str,
    date: datetime.date,
    source: str,
    form: str,
    value: int,
    description: str = "",
) -> KubeAid:
    """Correct an aid entry: a new amending entry with the right values and a reason; the old
    entry stays, superseded."""
    old = _correction_target(KubeAid, aid, group)
    errors: dict[str, list] = {}
    reason = _reason(reason, errors)
    _aid_errors(errors, date, source, form, value)
    values = {
        "date": date,
        "source": source,
        "form": form,
        "value": value,
        "description": " ".join((description or "").split())[:250],
    }
    return _amend(by=by, old=old, reason=reason, values=values, errors=errors, first="value")


@transaction.atomic
def kube_aid_reverse(*, by: Actor, group: KubeGroup, aid: KubeAid, reason: str) -> KubeAid:
    """Reverse an aid entry recorded by mistake: a reversing entry with a reason; the aid no
    longer counts in the group's total."""
    return _reverse(by=by, model=KubeAid, entry=aid, group=group, reason=reason, fields=AID_FIELDS)


@transaction.atomic
def kube_record_correct(
    *,
    by: Actor,
    group: KubeGroup,
    record: KubeMonthlyRecord,
    reason: str,
    turnover: int,
    savings: int,
) -> KubeMonthlyRecord:
    """Correct a month's turnover and savings: an amending entry with a reason. The month
    itself is not amended: reverse the entry and record the right month instead."""
    old = _correction_target(KubeMonthlyRecord, record, group)
    errors: dict[str, list] = {}
    reason = _reason(reason, errors)
    _record_errors(errors, turnover, savings)
    values = {"turnover": turnover, "savings": savings}
    return _amend(by=by, old=old, reason=reason, values=values, errors=errors, first="turnover")


@transaction.atomic
def kube_record_reverse(
    *, by: Actor, group: KubeGroup, record: KubeMonthlyRecord, reason: str
) -> KubeMonthlyRecord:
    """Reverse a month recorded by mistake; the month may then be recorded again."""
    return _reverse(
        by=by,
        model=KubeMonthlyRecord,
        entry=record,
        group=group,
        reason=reason,
        fields=RECORD_FIELDS,
    )


def _amend(*, by: Actor, old, reason: str, values: dict, errors: dict, first: str):
    """An amending entry: `old`'s fields with `values` in place, and the reason. Refused, on
    `first`, when nothing differs; with the other `errors` found by the caller."""
    if not errors and all(getattr(old, f) == v for f, v in values.items()):
        errors.setdefault(first, []).append(
            _("Nothing differs from the entry being corrected; change what was wrong.")
        )
    _raise(errors)
    fields = AID_FIELDS if isinstance(old, KubeAid) else RECORD_FIELDS
    new = type(old)(
        **{f: getattr(old, f) for f in fields},
        created_by=by.signed_in_user,
        entry=Entry.AMENDMENT,
        corrects=old,
        reason=reason,
    )
    for field, value in values.items():
        setattr(new, field, value)
    return _save_correction(by=by, old=old, new=new, fields=fields)


def _reverse(*, by: Actor, model, entry, group: KubeGroup, reason: str, fields: list[str]):
    """A reversing entry: the values of the one it reverses, with a reason; neither counts."""
    old = _correction_target(model, entry, group)
    errors: dict[str, list] = {}
    reason = _reason(reason, errors)
    _raise(errors)
    new = model(
        **{f: getattr(old, f) for f in fields},
        created_by=by.signed_in_user,
        entry=Entry.REVERSAL,
        corrects=old,
        reason=reason,
    )
    return _save_correction(by=by, old=old, new=new, fields=fields)
