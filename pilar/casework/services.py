"""Casework writes for households, members, caseloads and activities: validated, in one
transaction, audited. Pages, API and `pilar demo` call these; bad input raises ValidationError
naming the field and the fix, changing nothing. The monthly reports' writes are in
report_services.py.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_in_scope, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.casework.history import categories_changed, status_record
from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    DecileRecord,
    Household,
    HouseholdMember,
    KKChange,
    MonthlyReport,
    Relation,
    StatusRecord,
)
from pilar.lib.dates import long_date
from pilar.lib.kk import validate_kk
from pilar.lib.months import month_label, month_start
from pilar.lib.nik import validate_nik
from pilar.lib.photos import process_photo
from pilar.lib.text import check_lengths
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person

HOUSEHOLD_FIELDS = ["kk_number", "area", "address", "rt_rw", "dtsen_id", "decile", "status"]
# "1/2", "RT 01 RW 02", "001/002": the RT and the RW numbers (stored as 001/002).
_RT_RW_RE = re.compile(r"^\D*?(\d{1,3})\D+?(\d{1,3})\D*$")
MEMBER_FIELDS = ["nik", "name", "sex", "birth_date", "relation"]
ACTIVITY_FIELDS = [
    "person",
    "kind",
    "area",
    "date",
    "sector",
    "activity_type",
    "need_category",
    "kube_group",
    "notes",
    "follow_up_on",
    "latitude",
    "longitude",
]


def today() -> datetime.date:
    return timezone.localdate()


def _visible(by: Actor, queryset, pk) -> bool:
    user = by.signed_in_user
    return user is None or queryset.visible_to(user).filter(pk=pk).exists()


def _require(by: Actor, capability: Capability) -> None:
    user = by.signed_in_user
    if user is not None and not can(user, capability):
        raise PermissionDenied


# --- households ------------------------------------------------------------------------------


def _household_errors(data: dict, household: Household | None) -> dict[str, list]:
    errors: dict[str, list] = {}
    try:
        data["kk_number"] = validate_kk(data.get("kk_number", ""))
    except ValidationError as exc:
        errors["kk_number"] = exc.messages
    else:
        kk = data["kk_number"]
        taken = Household.objects.filter(Q(kk_number=kk) | Q(kk_history__kk_number=kk))
        if household is not None:
            taken = taken.exclude(pk=household.pk)
        if taken.exists():
            errors["kk_number"] = [
                _(
                    "A household with this KK number (now or formerly) is already registered: "
                    "search for it, or ask the office if it is outside your area."
                )
            ]
    area = data.get("area")
    if area is None or area.level != Area.Level.KELURAHAN:
        errors["area"] = [_("Choose the kelurahan/desa where the family lives.")]
    if not (data.get("address") or "").strip():
        errors["address"] = [_("Write the address (street, RT/RW) so the family can be found.")]
    check_lengths(errors, data, {"address": 250, "dtsen_id": 40, "status_reason": 250})
    rt_rw = (data.get("rt_rw") or "").strip()
    if rt_rw:
        match = _RT_RW_RE.match(rt_rw)
        if match is None:
            errors["rt_rw"] = [_("Write the RT and the RW as 001/002 (RT first, then RW).")]
        else:
            data["rt_rw"] = f"{int(match.group(1)):03d}/{int(match.group(2)):03d}"
    else:
        data["rt_rw"] = ""
    decile = data.get("decile")
    if decile not in (None, "") and not (1 <= int(decile) <= 10):
        errors["decile"] = [_("The DTSEN decile is a whole number from 1 to 10.")]
    status = data.get("status", Household.Status.ACTIVE)
    if status != Household.Status.ACTIVE and not (data.get("status_reason") or "").strip():
        errors["status_reason"] = [
            _("Say why the household moved or was closed (e.g. moved to Padang, family split).")
        ]
    return errors


def _require_area(by: Actor, area: Area | None, *, field: str = "area") -> None:
    user = by.signed_in_user
    if user is None or area is None:
        return
    _require(by, Capability.HOUSEHOLDS_EDIT)
    if not area_in_scope(user, Capability.HOUSEHOLDS_EDIT, area):
        raise ValidationError(
            {
                field: _("%(area)s is outside your area; choose a kelurahan within it.")
                % {"area": area.name}
            }
        )


@transaction.atomic
def household_create(*, by: Actor, data: dict, head: dict | None = None) -> Household:
    """A new household; `head` (NIK, name, sex, birth date) adds its head of household."""
    data = dict(data)
    categories = data.pop("categories", None) or []
    errors = _household_errors(data, None)
    if errors:
        raise ValidationError(errors)
    _require_area(by, data["area"])
    household = Household(status=Household.Status.ACTIVE)
    for key in [*HOUSEHOLD_FIELDS, "status_reason", "status_date"]:
        if key in data:
            setattr(household, key, data[key] if data[key] != "" or key != "decile" else None)
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError:
        raise ValidationError(
            {"kk_number": _("A household with this KK number is already registered.")}
        ) from None
    household.categories.set(categories)
    categories_changed(household, old=set(), new={c.pk for c in categories}, day=today())
    status_record(
        household,
        as_of=household.status_date or today(),
        source=StatusRecord.Source.FORM,
    )
    if household.decile is not None:
        _decile_record(household)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=household,
        changes={
            k: [None, v]
            for k, v in snapshot(household, HOUSEHOLD_FIELDS).items()
            if v not in (None, "")
        },
    )
    if head:
        member_add(by=by, household=household, data={**head, "relation": Relation.HEAD})
    return household


def _decile_record(household: Household) -> None:
    """The decile history (`DecileRecord`): a decile set or changed on a form, as of today."""
    DecileRecord.objects.create(
        household=household,
        decile=household.decile,
        as_of=today(),
        source=DecileRecord.Source.FORM,
    )


@transaction.atomic
def household_update(*, by: Actor, household: Household, data: dict) -> Household:
    """Change a household. A new KK number keeps the old one in the history with the reason
    (`kk_change_reason`); moving or closing needs `status_reason`."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require_area(by, household.area)
    before = snapshot(household, HOUSEHOLD_FIELDS)
    categories = data.pop("categories", None)
    merged = {**{k: getattr(household, k) for k in HOUSEHOLD_FIELDS + ["status_reason"]}, **data}
    errors = _household_errors(merged, household)
    new_kk = merged["kk_number"] != household.kk_number
    reason = (data.get("kk_change_reason") or "").strip()
    if new_kk and not reason and "kk_number" not in errors:
        errors["kk_change_reason"] = [
            _("Say why the KK number changed (new card after moving, split, head died).")
        ]
    if errors:
        raise ValidationError(errors)
    _require_area(by, merged["area"])
    if new_kk:
        KKChange.objects.create(
            household=household,
            kk_number=household.kk_number,
            replaced_on=data.get("kk_changed_on") or today(),
            reason=reason,
        )
    if merged["status"] != household.status:
        household.status_date = data.get("status_date") or today()
    for key in HOUSEHOLD_FIELDS + ["status_reason"]:
        value = merged[key]
        setattr(household, key, None if key == "decile" and value == "" else value)
    if household.status == Household.Status.ACTIVE:
        household.status_reason = ""
    household.save()
    if household.status != Household.Status.ACTIVE:
        # A family that moved away or was closed is no longer accompanied here.
        for open_caseload in household.caseloads.filter(end_date__isnull=True):
            end = max(household.status_date or today(), open_caseload.start_date)
            Caseload.objects.filter(pk=open_caseload.pk).update(
                end_date=end, end_reason=household.get_status_display()
            )
    changes = diff(before, snapshot(household, HOUSEHOLD_FIELDS))
    if "decile" in changes:
        _decile_record(household)
    if "status" in changes:
        status_record(
            household, as_of=household.status_date or today(), source=StatusRecord.Source.FORM
        )
    if categories is not None:
        old = set(household.categories.values_list("pk", flat=True))
        new = {c.pk for c in categories}
        if old != new:
            household.categories.set(categories)
            categories_changed(household, old=old, new=new, day=today())
            changes["categories"] = [sorted(old), sorted(new)]
    if changes:
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=household,
            changes=changes,
            note=reason if new_kk else household.status_reason,
        )
    return household


def _member_errors(data: dict) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_("Write the member's name as on the KK.")]
    if data.get("sex") not in ("L", "P"):
        errors["sex"] = [_("Choose male or female.")]
    if data.get("relation") not in Relation.values:
        errors["relation"] = [_("Choose the member's relation to the head of household.")]
    birth = data.get("birth_date")
    if birth and birth > today():
        errors["birth_date"] = [_("The date of birth is in the future; check the year.")]
    check_lengths(errors, data, {"name": 150})
    nik = (data.get("nik") or "").strip()
    data["nik"] = nik
    if nik:
        try:
            sex = data.get("sex") if data.get("sex") in ("L", "P") else None
            data["nik"] = validate_nik(nik, birth_date=birth, sex=sex)
        except ValidationError as exc:
            errors["nik"] = exc.messages
    return errors


@transaction.atomic
def member_add(*, by: Actor, household: Household, data: dict) -> HouseholdMember:
    """Add someone on the KK. A NIK already in another household is refused with that
    household named: the person must leave it there first (nobody is moved silently)."""
    data = dict(data)
    _require_area(by, household.area, field="__all__")
    errors = _member_errors(data)
    nik = data.get("nik") or ""
    if nik and "nik" not in errors:
        other = (
            HouseholdMember.objects.filter(nik=nik, left_on__isnull=True)
            .select_related("household__area")
            .first()
        )
        if other is not None:
            if other.household_id == household.pk:
                errors["nik"] = [_("This NIK is already a member of this household.")]
            elif _visible(by, Household.objects, other.household_id):
                errors["nik"] = [
                    _(
                        "This NIK is a member of another household (KK %(kk)s, %(area)s). If "
                        "the person moved, record their leaving there first."
                    )
                    % {"kk": other.household.masked_kk, "area": other.household.area.name}
                ]
            else:
                errors["nik"] = [
                    _(
                        "This NIK is a member of a household outside your area. If the person "
                        "moved here, ask the office to record their leaving there first."
                    )
                ]
    if (
        data.get("relation") == Relation.HEAD
        and "relation" not in errors
        and household.members.filter(left_on__isnull=True, relation=Relation.HEAD).exists()
    ):
        errors["relation"] = [
            _(
                "The household already has a head. Record the former head's leaving first, "
                "or choose another relation."
            )
        ]
    if errors:
        raise ValidationError(errors)
    member = HouseholdMember(household=household, nik=nik)
    for key in ["name", "sex", "birth_date", "relation"]:
        setattr(member, key, data.get(key) or (None if key == "birth_date" else ""))
    member.name = " ".join(member.name.split())
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise ValidationError(
            {"nik": _("This NIK was just added to a household by someone else; reload.")}
        ) from None
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=member,
        changes={"household": [None, str(household)], "relation": [None, member.relation]},
    )
    return member


@transaction.atomic
def member_leave(
    *, by: Actor, member: HouseholdMember, left_on: datetime.date, reason: str
) -> HouseholdMember:
    _require_area(by, member.household.area, field="__all__")
    errors = {}
    if member.left_on:
        errors["left_on"] = [
            _("This member already left on %(day)s.") % {"day": long_date(member.left_on)}
        ]
    elif left_on is None or left_on > today():
        errors["left_on"] = [_("Give the day the member left; it cannot be in the future.")]
    if not (reason or "").strip():
        errors["left_reason"] = [_("Say why (moved, married, died, new KK).")]
    check_lengths(errors, {"left_reason": reason}, {"left_reason": 250})
    if errors:
        raise ValidationError(errors)
    updated = HouseholdMember.objects.filter(pk=member.pk, left_on__isnull=True).update(
        left_on=left_on, left_reason=reason.strip()
    )
    if not updated:
        raise ValidationError({"left_on": _("This member has already left.")})
    member.refresh_from_db()
    audit_record(
        by=by,
        action=AuditEntry.Action.END,
        obj=member,
        changes={"left_on": [None, left_on.isoformat()]},
        note=reason,
    )
    return member


# --- caseload --------------------------------------------------------------------------------


def active_duties(person: Person, day: datetime.date):
    return (
        Assignment.objects.active_on(day)
        .filter(person=person)
        .select_related("kind", "area")
        .order_by("kind__order")
    )


def caseload_warnings(household: Household, person: Person, day: datetime.date) -> list[str]:
    """Why this choice of pillar is unusual (shown; the user confirms)."""
    duties = list(active_duties(person, day))
    if any(d.kind.code == "PSM" and d.area_id == household.area_id for d in duties):
        return []
    return [
        _(
            "%(name)s is not a PSM of %(area)s. Households are usually accompanied by a PSM of "
            "their own kelurahan; confirm to assign anyway."
        )
        % {"name": person.name, "area": household.area.name}
    ]


@transaction.atomic
def caseload_assign(
    *,
    by: Actor,
    household: Household,
    person: Person,
    start_date: datetime.date,
    confirm: bool = False,
) -> Caseload:
    """`person` accompanies `household` from `start_date`; the household's current pillar (if
    any) stops the day before. Unusual choices need `confirm`."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require_area(by, household.area, field="person")
    user = by.signed_in_user
    if user is not None and not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose a pillar from your area.")})
    errors: dict[str, list] = {}
    if household.status != Household.Status.ACTIVE:
        errors["__all__"] = [_("This household is no longer active; reactivate it first.")]
    if start_date is None or start_date > today():
        errors["start_date"] = [_("Give the first day of accompaniment; not in the future.")]
    elif not active_duties(person, start_date).exists():
        errors["person"] = [
            _("%(name)s has no active duty on %(day)s; choose a serving pillar.")
            % {"name": person.name, "day": long_date(start_date)}
        ]
    current = household.caseloads.filter(end_date__isnull=True).select_related("person").first()
    if current is not None and not errors:
        if current.person_id == person.pk:
            errors["person"] = [
                _("%(name)s already accompanies this household.") % {"name": person.name}
            ]
        elif start_date <= current.start_date:
            errors["start_date"] = [
                _("The current pillar started on %(day)s; the new one must start later.")
                % {"day": long_date(current.start_date)}
            ]
    if not errors and not confirm:
        warnings = caseload_warnings(household, person, start_date)
        if warnings:
            errors["confirm"] = warnings
    if errors:
        raise ValidationError(errors)
    if current is not None:
        current.end_date = start_date - datetime.timedelta(days=1)
        current.end_reason = _("Reassigned to %(name)s") % {"name": person.name}
        current.save(update_fields=["end_date", "end_reason"])
    caseload = Caseload.objects.create(household=household, person=person, start_date=start_date)
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=caseload,
        person=person,
        changes={
            "pillar": [current.person.name if current else None, person.name],
            "start_date": [None, start_date.isoformat()],
        },
    )
    return caseload


@transaction.atomic
def caseload_end(
    *, by: Actor, caseload: Caseload, end_date: datetime.date, reason: str
) -> Caseload:
    """Stop accompanying a household (it no longer needs it, or the family refuses), without
    handing it to another pillar. The row stays as history."""
    _require_area(by, caseload.household.area, field="__all__")
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if end_date is None or end_date < caseload.start_date or end_date > today():
        errors["end_date"] = [
            _("The last day of accompaniment must be between %(start)s and today.")
            % {"start": long_date(caseload.start_date)}
        ]
    if not reason:
        errors["end_reason"] = [_("Say why the accompaniment ends.")]
    check_lengths(errors, {"end_reason": reason}, {"end_reason": 250})
    if errors:
        raise ValidationError(errors)
    updated = Caseload.objects.filter(pk=caseload.pk, end_date__isnull=True).update(
        end_date=end_date, end_reason=reason
    )
    if not updated:
        raise ValidationError({"__all__": [_("This accompaniment has already ended.")]})
    caseload.refresh_from_db()
    audit_record(
        by=by,
        action=AuditEntry.Action.END,
        obj=caseload,
        person=caseload.person,
        changes={"end_date": [None, end_date.isoformat()]},
        note=reason,
    )
    return caseload


def orphaned_caseloads(user):
    """Open caseloads, within the user's editing area, whose pillar no longer serves."""
    # NOT EXISTS (an anti-join on the person's duties) rather than NOT IN a list of every
    # serving pillar: a national registry has close to a million (docs/PERFORMANCE.md).
    serving = Assignment.objects.active_on(today()).filter(person_id=OuterRef("person_id"))
    return (
        Caseload.objects.filter(
            end_date__isnull=True, household__in=Household.objects.editable_by(user)
        )
        .exclude(Exists(serving))
        .select_related("person", "household__area")
        .order_by("household__area__code", "person__name")
    )


@transaction.atomic
def caseload_reassign(
    *, by: Actor, caseloads: list[Caseload], person: Person, start_date: datetime.date
) -> int:
    """Hand several households to `person` at once (a pillar left); all or nothing."""
    for caseload in caseloads:
        caseload_assign(
            by=by, household=caseload.household, person=person, start_date=start_date, confirm=True
        )
    return len(caseloads)


# --- activities ------------------------------------------------------------------------------


def duty_for(person: Person, day: datetime.date, kind=None) -> Assignment | None:
    duties = list(active_duties(person, day))
    if kind is not None:
        duties = [d for d in duties if d.kind_id == kind.pk]
    return duties[0] if duties else None


def _accompanies(person: Person, group, day: datetime.date) -> bool:
    """Whether `group` is active and within the area of one of `person`'s Pendamping KUBE
    duties on `day`."""
    if getattr(group, "status", "active") != "active":
        return False
    return any(
        d.kind.code == "PENDAMPING_KUBE" and group.area.is_within(d.area)
        for d in active_duties(person, day)
    )


def locked_report(person_id: int, kind_id: int, month: datetime.date) -> MonthlyReport | None:
    return (
        MonthlyReport.objects.filter(
            person_id=person_id,
            kind_id=kind_id,
            month=month,
            status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.VERIFIED],
        )
        .only("status", "month")
        .first()
    )


def _locked_message(report: MonthlyReport) -> str:
    if report.status == MonthlyReport.Status.VERIFIED:
        return _(
            "The report for %(month)s is verified and the month is locked. Ask the office "
            "(operator) to reopen it to add this activity."
        ) % {"month": month_label(report.month)}
    return _(
        "The report for %(month)s was submitted and waits for verification; the month is "
        "locked until it is verified or returned."
    ) % {"month": month_label(report.month)}


@transaction.atomic
def activity_record(
    *,
    by: Actor,
    person: Person,
    data: dict,
    photo=None,
    keep_location: bool = False,
) -> Activity:
    """Record what `person` did. `data`: date, activity_type, optional kind (needed when the
    person serves in two kinds), need_category, households, kube_group, notes, follow_up_on,
    latitude, longitude."""
    _require(by, Capability.ACTIVITY_RECORD)
    user = by.signed_in_user
    if user is not None and user.person_id != person.pk:
        raise PermissionDenied
    # One writer per pillar at a time: a report being submitted now sees this activity or
    # locks the month before it is checked (see report_services.report_submit).
    Person.objects.select_for_update().filter(pk=person.pk).first()
    errors: dict[str, list] = {}
    day = data.get("date")
    duty = None
    if day is None:
        errors["date"] = [_("Give the day of the activity.")]
    elif day > today():
        errors["date"] = [
            _("%(day)s is in the future; record an activity on or after the day it happens.")
            % {"day": long_date(day)}
        ]
    else:
        duty = duty_for(person, day, data.get("kind"))
        if duty is None:
            errors["date"] = [
                _("You had no active duty on %(day)s; check the date.") % {"day": long_date(day)}
            ]
        else:
            report = locked_report(person.pk, duty.kind_id, month_start(day))
            if report is not None:
                errors["date"] = [_locked_message(report)]
    activity_type = data.get("activity_type")
    if not isinstance(activity_type, ActivityType) or not activity_type.active:
        errors["activity_type"] = [_("Choose what was done.")]
    households = list(data.get("households") or [])
    if households and user is not None:
        visible = set(
            Household.objects.visible_to(user)
            .filter(pk__in=[h.pk for h in households])
            .values_list("pk", flat=True)
        )
        if len(visible) != len({h.pk for h in households}):
            errors["households"] = [_("Choose households from your caseload.")]
    group = data.get("kube_group")
    if group is not None and day and not _accompanies(person, group, day):
        errors["kube_group"] = [
            _("Choose an active KUBE group in the area of your Pendamping KUBE duty.")
        ]
    check_lengths(errors, data, {"notes": 1000})
    follow = data.get("follow_up_on")
    if follow and day and follow < day:
        errors["follow_up_on"] = [_("The follow-up date must be after the activity's date.")]
    lat, lon = data.get("latitude"), data.get("longitude")
    if (lat is None) != (lon is None) or (
        lat is not None
        and not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        errors["latitude"] = [_("The GPS position is incomplete or impossible; take it again.")]
    processed = None
    if photo:
        try:
            processed = process_photo(photo, keep_location=keep_location)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    activity = Activity(
        person=person,
        kind=duty.kind,
        area=duty.area,
        date=day,
        sector=activity_type.sector,
        activity_type=activity_type,
        need_category=data.get("need_category"),
        kube_group=data.get("kube_group"),
        notes=(data.get("notes") or "").strip(),
        follow_up_on=follow,
        latitude=lat,
        longitude=lon,
        created_by=user,
    )
    if processed is not None:
        content, position = processed
        if position and lat is None:
            activity.latitude, activity.longitude = position
        activity.photo.save(content.name, content, save=False)
        # The file is stored before the row: if the row is not saved, the file goes too.
    try:
        activity.save()
        if households:
            activity.households.set(households)
    except Exception:
        if activity.photo:
            activity.photo.delete(save=False)
        raise
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=activity,
        person=person,
        changes={
            k: [None, v]
            for k, v in snapshot(activity, ACTIVITY_FIELDS).items()
            if v not in (None, "")
        }
        | ({"households": [None, len(households)]} if households else {}),
    )
    return activity


@transaction.atomic
def activity_cancel(*, by: Actor, activity: Activity, reason: str) -> Activity:
    """Withdraw an activity recorded by mistake (kept, marked cancelled) while its month is
    open."""
    user = by.signed_in_user
    if user is not None and user.person_id != activity.person_id:
        raise PermissionDenied
    Person.objects.select_for_update().filter(pk=activity.person_id).first()
    activity.refresh_from_db()
    errors = {}
    if activity.cancelled_at:
        errors["__all__"] = [_("This activity was already cancelled.")]
    else:
        report = locked_report(activity.person_id, activity.kind_id, activity.month)
        if report is not None:
            errors["__all__"] = [_locked_message(report)]
    if not (reason or "").strip():
        errors["cancel_reason"] = [_("Say why the activity is cancelled.")]
    check_lengths(errors, {"cancel_reason": reason}, {"cancel_reason": 250})
    if errors:
        raise ValidationError(errors)
    Activity.objects.filter(pk=activity.pk).update(
        cancelled_at=timezone.now(), cancel_reason=reason.strip()
    )
    activity.refresh_from_db()
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=activity,
        person=activity.person,
        changes={"cancelled": [False, True]},
        note=reason,
    )
    return activity


@transaction.atomic
def follow_up_done(*, by: Actor, activity: Activity, day: datetime.date | None = None) -> Activity:
    user = by.signed_in_user
    if user is not None and user.person_id != activity.person_id:
        raise PermissionDenied
    day = day or today()
    if (
        activity.follow_up_on is None
        or activity.follow_up_done_on is not None
        or activity.cancelled_at is not None
    ):
        raise ValidationError({"__all__": [_("This activity has no open follow-up.")]})
    if day > today():
        raise ValidationError({"follow_up_done_on": [_("Give the day it was followed up.")]})
    if day < activity.date:
        raise ValidationError(
            {
                "follow_up_done_on": [
                    _("The follow-up cannot be done before the activity itself (%(day)s).")
                    % {"day": long_date(activity.date)}
                ]
            }
        )
    # Marked done once: of two at the same moment (a double tap, two phones), the second finds
    # it done and changes nothing (found by an outside tester on PostgreSQL).
    done = Activity.objects.filter(
        pk=activity.pk, follow_up_done_on__isnull=True, cancelled_at__isnull=True
    ).update(follow_up_done_on=day)
    if not done:
        raise ValidationError({"__all__": [_("This activity has no open follow-up.")]})
    activity.refresh_from_db()
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=activity,
        person=activity.person,
        changes={"follow_up_done_on": [None, day.isoformat()]},
    )
    return activity


# --- household notes -------------------------------------------------------------------------
