"""Every write to the registry: validated, in one transaction, and audited."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, area_in_scope, office_area
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.lib.dates import long_date
from pilar.lib.nik import validate_nik
from pilar.lib.params import ascii_digits
from pilar.lib.phone import normalize_phone
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person, PillarKind

PERSON_FIELDS = [
    "nik",
    "name",
    "sex",
    "birth_place",
    "birth_date",
    "address",
    "residence",
    "phone",
    "education",
    "bank_name",
    "bank_account",
    "bank_holder",
    "photo",
]
ASSIGNMENT_FIELDS = [
    "person",
    "kind",
    "area",
    "sk_number",
    "sk_date",
    "sk_signer",
    "start_date",
    "end_date",
    "end_reason",
    "end_note",
    "override_reason",
]
MIN_AGE = 15


def _today() -> datetime.date:
    return timezone.localdate()


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _name_for(by: Actor, person: Person) -> str:
    """A person's name in a message, or a neutral word when `by` may not see that person."""
    user = by.signed_in_user
    if user is None or Person.objects.visible_to(user).filter(pk=person.pk).exists():
        return person.name
    return _("someone outside your area")


def _duty_seen(by: Actor, duty: Assignment) -> bool:
    """Whether `by` may see `duty` (everyone may, for the system)."""
    user = by.signed_in_user
    return user is None or Assignment.objects.visible_to(user).filter(pk=duty.pk).exists()


def person_field_errors(person: Person, today: datetime.date | None = None) -> dict[str, list]:
    """Check a person's own fields together, without the database; normalises name, phone and
    account number in place. Used by every write (forms, API, imports: which pass `today`
    once for 100,000 rows)."""
    errors: dict[str, list] = {}
    today = today or _today()
    person.name = " ".join((person.name or "").split())
    if not person.name:
        errors.setdefault("name", []).append(_("Write the full name as on the KTP."))
    if person.birth_date:
        if person.birth_date > today:
            errors.setdefault("birth_date", []).append(
                _("The date of birth %(date)s is in the future; check the day, month and year.")
                % {"date": long_date(person.birth_date)}
            )
        elif person.age_on(today) < MIN_AGE:
            errors.setdefault("birth_date", []).append(
                _("A pillar must be at least %(age)s years old; check the year of birth.")
                % {"age": MIN_AGE}
            )
        elif person.birth_date.year < 1900:
            errors.setdefault("birth_date", []).append(_("Check the year of birth."))
    if person.residence_id and person.residence.level != Area.Level.KELURAHAN:
        errors.setdefault("residence", []).append(_("Choose a kelurahan or desa."))
    try:
        person.phone = normalize_phone(person.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    person.bank_account = "".join((person.bank_account or "").split())
    # Only 0-9: str.isdigit() would also take look-alike digits (Arabic-Indic, full-width).
    if person.bank_account and not ascii_digits(person.bank_account.replace("-", "")):
        errors.setdefault("bank_account", []).append(
            _("An account number has only digits (dashes allowed).")
        )
    # Compare the NIK with the birth date only when that date is itself acceptable.
    trusted_birth_date = None if errors.get("birth_date") else person.birth_date
    try:
        person.nik = validate_nik(
            person.nik or "", birth_date=trusted_birth_date, sex=person.sex or None
        )
    except ValidationError as exc:
        errors.setdefault("nik", []).extend(exc.messages)
    return errors


def _clean_person(person: Person, by: Actor) -> None:
    """Check a person's fields together; raise one ValidationError naming every bad field."""
    errors = person_field_errors(person)
    if not errors.get("nik"):
        existing = Person.objects.filter(nik=person.nik).exclude(pk=person.pk).first()
        if existing is not None and _name_for(by, existing) == existing.name:
            errors.setdefault("nik", []).append(
                _(
                    "This NIK is already registered for %(name)s: open %(url)s instead of adding "
                    "the person again."
                )
                % {
                    "name": existing.name,
                    "url": reverse("registry:person-detail", args=[existing.pk]),
                }
            )
        elif existing is not None:
            # Perhaps registered by another office (docs/OFFICE.md, "Many offices"): the
            # person is given a duty here, not registered twice.
            errors.setdefault("nik", []).append(
                _(
                    "This NIK is already registered for a person outside your area: give them "
                    "a duty here on %(url)s (with the NIK and the name as on the KTP) instead of "
                    "adding them again."
                )
                % {"url": reverse("registry:duty-by-nik")}
            )
    if errors:
        raise ValidationError(errors)


def person_check(*, by: Actor, data: dict[str, Any], person: Person | None = None) -> None:
    """Validate a person's fields as create/update would, without saving: lets a form show
    every problem at once even when some fields did not parse."""
    candidate = Person(**{f: getattr(person, f) for f in PERSON_FIELDS}) if person else Person()
    candidate.pk = person.pk if person else None
    for key, value in data.items():
        if key in PERSON_FIELDS:
            setattr(candidate, key, value)
    _clean_person(candidate, by)


@transaction.atomic
def person_create(*, by: Actor, data: dict[str, Any]) -> Person:
    """Register a person. `data` holds Person field values (residence as an Area)."""
    person = Person(**{k: v for k, v in data.items() if k in PERSON_FIELDS})
    _clean_person(person, by)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a concurrent insert of the same NIK
        raise ValidationError({"nik": [_("This NIK is already registered.")]}) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=person,
        person=person,
        changes=diff({}, snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def home_duty_elsewhere(by: Actor, person: Person) -> Assignment | None:
    """The person's longest-serving duty in force (or yet to start) when it lies outside the
    office `by` acts for: that office keeps the person's record (docs/OFFICE.md, "A person
    moving between offices"). None when it lies within, or for the top office."""
    user = by.signed_in_user
    area = office_area(user) if user is not None else None
    if area is None:
        return None
    first = (
        Assignment.objects.filter(person=person)
        .not_ended_by(_today())
        .select_related("area", "kind")
        .order_by("start_date", "pk")
        .first()
    )
    return first if first is not None and not first.area.is_within(area) else None


def person_update(*, by: Actor, person: Person, data: dict[str, Any]) -> Person:
    """Change a person's fields; the audit entry keeps every changed field before and after.

    A person serving in two offices has one record (NIK, name, bank account): it is changed by
    the office of their longest-serving duty, never by the office they joined later (which
    could otherwise redirect the first office's tali kasih to another account)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    home = home_duty_elsewhere(by, person)
    if home is not None:
        raise ValidationError(
            _(
                "This person's record is kept by the office where they first serve (%(kind)s in "
                "%(area)s since %(start)s): ask that office to change their data."
            )
            % {"kind": home.kind.code, "area": home.area.name, "start": long_date(home.start_date)}
        )
    before = snapshot(person, PERSON_FIELDS)
    for key, value in data.items():
        if key in PERSON_FIELDS:
            setattr(person, key, value)
    _clean_person(person, by)
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if not changes:
        return person
    person.save()
    audit_record(by=by, action=AuditEntry.Action.UPDATE, obj=person, person=person, changes=changes)
    return person


def _overlapping(person: Person, kind: PillarKind, start, end, exclude_pk=None):
    far = datetime.date.max
    qs = Assignment.objects.filter(person=person, kind=kind, start_date__lte=end or far)
    qs = qs.exclude(end_date__lt=start)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def periods_overlap(start, end, other_start, other_end) -> bool:
    """The registry's overlap rule: two periods [start, end] share a day (an end of None: still
    open). `_overlapping` and `holders_during` ask the database the same question; imports ask
    it of the duties a roster's rows add, in memory."""
    far = datetime.date.max
    return start <= (other_end or far) and other_start <= (end or far)


def quota_full(kind: PillarKind, holders: int) -> bool:
    """The registry's quota rule: a kind with a maximum per area (TKSK: one per kecamatan) takes
    no more holders in a period once `holders` serve there in it."""
    return kind.max_per_area is not None and holders >= kind.max_per_area


def holders_during(kind: PillarKind, area: Area, start, end):
    """Duties of `kind` at `area` that overlap the period [start, end] (end None: open)."""
    qs = Assignment.objects.filter(kind=kind, area=area).exclude(end_date__lt=start)
    if end is not None:
        qs = qs.filter(start_date__lte=end)
    return qs.select_related("person")


def assignment_field_errors(
    *,
    person: Person,
    kind: PillarKind,
    area: Area,
    start_date: datetime.date,
    end_date: datetime.date | None,
    end_reason: str,
    sk_date: datetime.date | None,
    today: datetime.date | None = None,
) -> dict[str, list]:
    """A duty's own rules, without the database: the area's level, the dates, the holder's age.
    Used by `assignment_create` and by imports (which check overlaps and quotas in bulk)."""
    errors: dict[str, list] = {}
    if area.level != kind.level:
        errors.setdefault("area", []).append(
            _("%(kind)s serves at %(level)s level; choose a %(level)s, not %(area)s.")
            % {"kind": kind.code, "level": kind.get_level_display(), "area": area.label}
        )
    if end_date and end_date < start_date:
        errors.setdefault("end_date", []).append(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": long_date(end_date), "start": long_date(start_date)}
        )
    if end_date and not end_reason:
        errors.setdefault("end_reason", []).append(_("Say why the duty ended."))
    if person.birth_date and start_date < _add_years(person.birth_date, MIN_AGE):
        errors.setdefault("start_date", []).append(
            _(
                "%(name)s was born on %(born)s and cannot have started a duty on %(start)s; "
                "check the year of the start date."
            )
            % {
                "name": person.name,
                "born": long_date(person.birth_date),
                "start": long_date(start_date),
            }
        )
    if sk_date and sk_date > (today or _today()):
        errors.setdefault("sk_date", []).append(_("The SK date cannot be in the future."))
    return errors


@transaction.atomic
def assignment_create(
    *,
    by: Actor,
    person: Person,
    kind: PillarKind,
    area: Area | None,
    start_date: datetime.date,
    sk_number: str = "",
    sk_date: datetime.date | None = None,
    sk_signer: str = "",
    end_date: datetime.date | None = None,
    end_reason: str = "",
    override_reason: str = "",
) -> Assignment:
    """Give a person a duty. Refuses a wrong area level, an overlap with a duty of the same
    kind, and (without an override reason) more than the kind's maximum per area."""
    if area is None:
        raise ValidationError({"area": [_("Choose the area of duty.")]})
    # Lock the area row so two operators cannot both take the last place of a quota.
    area = Area.objects.select_for_update().get(pk=area.pk)
    errors: dict[str, list] = {}
    user = by.signed_in_user
    if user is not None and not area_in_scope(user, Capability.PEOPLE_EDIT, area):
        errors.setdefault("area", []).append(
            _("%(area)s is outside the area you manage; choose an area within it.")
            % {"area": area.label}
        )
    else:
        errors.update(
            assignment_field_errors(
                person=person,
                kind=kind,
                area=area,
                start_date=start_date,
                end_date=end_date,
                end_reason=end_reason,
                sk_date=sk_date,
            )
        )
    if not errors:
        clash = _overlapping(person, kind, start_date, end_date).select_related("area").first()
        if clash is not None and not _duty_seen(by, clash):
            # A duty outside the user's areas, perhaps another office's: named by what the
            # user needs to ask that office to end it, nothing else of the person.
            errors.setdefault("start_date", []).append(
                _(
                    "This person still serves as %(kind)s in %(area)s from %(start)s%(end)s, "
                    "outside your area: the office there must end that duty before one of the "
                    "same kind starts here."
                )
                % {
                    "kind": kind.code,
                    "area": clash.area.name,
                    "start": long_date(clash.start_date),
                    "end": _(" to %(d)s") % {"d": long_date(clash.end_date)}
                    if clash.end_date
                    else "",
                }
            )
        elif clash is not None:
            errors.setdefault("start_date", []).append(
                _(
                    "%(name)s already serves as %(kind)s from %(start)s%(end)s; end that duty "
                    "first or choose dates that do not overlap."
                )
                % {
                    "name": person.name,
                    "kind": kind.code,
                    "start": long_date(clash.start_date),
                    "end": _(" to %(d)s") % {"d": long_date(clash.end_date)}
                    if clash.end_date
                    else "",
                }
            )
    override_reason = (override_reason or "").strip()
    if not errors and kind.max_per_area is not None:
        holders = list(holders_during(kind, area, start_date, end_date))
        if quota_full(kind, len(holders)) and not override_reason:
            errors.setdefault("override_reason", []).append(
                _(
                    "%(area)s already has %(count)s %(kind)s serving in that period (%(names)s); "
                    "the maximum is %(max)s. End that duty first, or give a reason to exceed "
                    "the quota."
                )
                % {
                    "area": area.label,
                    "count": len(holders),
                    "kind": kind.code,
                    "names": ", ".join(_name_for(by, h.person) for h in holders),
                    "max": kind.max_per_area,
                }
            )
        elif len(holders) < kind.max_per_area:
            override_reason = ""  # nothing to override
    if errors:
        raise ValidationError(errors)
    assignment = Assignment(
        person=person,
        kind=kind,
        area=area,
        start_date=start_date,
        end_date=end_date,
        end_reason=end_reason,
        sk_number=sk_number.strip(),
        sk_date=sk_date,
        sk_signer=sk_signer.strip(),
        override_reason=override_reason,
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:  # the database's overlap rule caught a concurrent write
        raise ValidationError(
            {"start_date": [_("This duty overlaps another duty of the same kind.")]}
        ) from exc
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=assignment,
        person=person,
        changes=diff({}, snapshot(assignment, ASSIGNMENT_FIELDS)),
        note=_("Quota exceeded: %(reason)s") % {"reason": override_reason}
        if override_reason
        else "",
    )
    return assignment


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@transaction.atomic
def duty_for_registered_nik(
    *, by: Actor, nik: str, name: str, kind: PillarKind, area: Area | None, **duty
) -> Assignment:
    """Give a duty in the user's area to a person already registered, whom the user may not
    see (registered by another office, or serving elsewhere): a person moving between offices
    (docs/OFFICE.md, "Many offices"). The NIK finds them and the name as on the KTP confirms
    it; nothing else of theirs is shown. The duty's own rules are `assignment_create`'s: an
    area within the user's, and no overlap with a duty of the same kind — one still held in
    another office is named (kind, area, start) so that office can end it first. `duty`: the
    other arguments of `assignment_create` (start_date, sk_number, ...)."""
    try:
        nik = validate_nik(nik or "")
    except ValidationError as exc:
        raise ValidationError({"nik": exc.messages}) from exc
    person = Person.objects.filter(nik=nik).first()
    if person is None:
        raise ValidationError(
            {
                "nik": [
                    _(
                        "Nobody is registered with this NIK: register the person on %(url)s, "
                        "then give them the duty."
                    )
                    % {"url": reverse("registry:person-create")}
                ]
            }
        )
    if not _same_name(person.name, name or ""):
        raise ValidationError(
            {
                "name": [
                    _(
                        "This is not the name registered with this NIK; check the NIK and the "
                        "name against the KTP."
                    )
                ]
            }
        )
    return assignment_create(by=by, person=person, kind=kind, area=area, **duty)


@transaction.atomic
def assignment_end(
    *,
    by: Actor,
    assignment: Assignment,
    end_date: datetime.date,
    end_reason: str,
    end_note: str = "",
) -> Assignment:
    """End a duty on `end_date` (its last day). History is kept; the row is not deleted."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    errors: dict[str, list] = {}
    correcting = assignment.end_date is not None
    if correcting and not end_note.strip():
        errors.setdefault("end_note", []).append(
            _(
                "This duty already ended on %(date)s. To correct that date, write in the note "
                "why it was wrong."
            )
            % {"date": long_date(assignment.end_date)}
        )
    if end_date < assignment.start_date:
        errors.setdefault("end_date", []).append(
            _("The end date %(end)s is before the start date %(start)s.")
            % {"end": long_date(end_date), "start": long_date(assignment.start_date)}
        )
    if end_reason not in Assignment.EndReason.values:
        errors.setdefault("end_reason", []).append(_("Choose why the duty ended."))
    if not errors and correcting:
        clash = _overlapping(
            assignment.person, assignment.kind, assignment.start_date, end_date, assignment.pk
        ).first()
        if clash is not None:
            errors.setdefault("end_date", []).append(
                _("Ending on %(end)s would overlap the next duty of the same kind, from %(start)s.")
                % {"end": long_date(end_date), "start": long_date(clash.start_date)}
            )
        elif assignment.kind.max_per_area is not None and end_date > assignment.end_date:
            # A later end keeps the duty in a period where others may now hold the places.
            extra = assignment.end_date + datetime.timedelta(days=1)
            others = holders_during(assignment.kind, assignment.area, extra, end_date).exclude(
                pk=assignment.pk
            )
            if quota_full(assignment.kind, others.count()):
                errors.setdefault("end_date", []).append(
                    _(
                        "Ending on %(end)s would give %(area)s more %(kind)s than its maximum of "
                        "%(max)s; %(names)s served after %(old)s."
                    )
                    % {
                        "end": long_date(end_date),
                        "area": assignment.area.label,
                        "kind": assignment.kind.code,
                        "max": assignment.kind.max_per_area,
                        "names": ", ".join(_name_for(by, h.person) for h in others),
                        "old": long_date(assignment.end_date),
                    }
                )
    if errors:
        raise ValidationError(errors)
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.end_date = end_date
    assignment.end_reason = end_reason
    assignment.end_note = end_note.strip()
    assignment.save(update_fields=["end_date", "end_reason", "end_note"])
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE if correcting else AuditEntry.Action.END,
        obj=assignment,
        person=assignment.person,
        changes=diff(before, snapshot(assignment, ASSIGNMENT_FIELDS)),
    )
    return assignment


def record_personal_data_view(*, by: Actor, person: Person, what: str) -> None:
    """Log that `by` opened `person`'s full personal data (UU 27/2022: each view is traced)."""
    audit_record(
        by=by, action=AuditEntry.Action.VIEW_PERSONAL, obj=person, person=person, note=what
    )
