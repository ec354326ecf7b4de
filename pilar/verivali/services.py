"""Verivali writes (docs/VERIVALI.md): opening and closing a round, assigning its visits,
recording what a pillar found, and the coordinator's accept (which applies the finding to the
household records) or return. Validated, in one transaction, audited with the round's number
as the batch; bad input raises ValidationError naming the field and the fix, changing nothing.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import (
    Capability,
    area_in_scope,
    area_scope,
    can,
    is_top,
    office_wide,
)
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.models import (
    Caseload,
    Household,
    HouseholdMember,
    Relation,
)
from pilar.lib import params
from pilar.lib.dates import long_date
from pilar.lib.kk import validate_kk
from pilar.lib.nik import validate_nik
from pilar.lib.params import ascii_digits
from pilar.lib.photos import process_photo
from pilar.lib.text import check_lengths
from pilar.offices.services import acting_office
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person
from pilar.verivali.activities import record_activity, redate_activity
from pilar.verivali.models import Finding, Round, Visit, visit_scope_q

CHANGE_FIELDS = {"address", "rt_rw", "decile", "kk_number", "dtsen_id", "members", "new_members"}
MEMBER_KEYS = ("nik", "name", "sex", "birth_date", "relation")
VISITS_BATCH = 2000
ROUND_MAX_DAYS = 366
RT_RW = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


def today() -> datetime.date:
    return timezone.localdate()


def _require(by: Actor, capability: Capability) -> None:
    user = by.signed_in_user
    if user is not None and not can(user, capability):
        raise PermissionDenied


def _require_area(by: Actor, capability: Capability, area: Area) -> None:
    _require(by, capability)
    user = by.signed_in_user
    if user is not None and not area_in_scope(user, capability, area):
        raise PermissionDenied


def _open(round: Round) -> None:
    if round.status != Round.Status.OPEN:
        raise ValidationError(
            {"__all__": [_("The round %(name)s is closed.") % {"name": round.name}]}
        )


def _audit(by: Actor, round: Round, action: str, obj, changes: dict, note: str = "") -> None:
    audit_record(by=by, action=action, obj=obj, changes=changes, note=note, batch=round.pk)


# --- the round -------------------------------------------------------------------------------


def _round_errors(by: Actor, data: dict) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_("Give the round a name (e.g. Verivali Semester I 2026).")]
    check_lengths(errors, data, {"name": 120})
    start, end = data.get("period_start"), data.get("period_end")
    if start is None:
        errors["period_start"] = [_("Give the first day of the round.")]
    if start is not None and not params.MIN_DATE <= start <= params.MAX_DATE:
        errors["period_start"] = [
            _("Give a day in the years %(years)s.") % {"years": params.year_range_text()}
        ]
    if end is None:
        errors["period_end"] = [_("Give the last day of the round.")]
    elif start is not None and end < start:
        errors["period_end"] = [_("The round must end on or after the day it starts.")]
    elif start is not None and (end - start).days > ROUND_MAX_DAYS:
        errors["period_end"] = [_("A round lasts at most a year; split a longer one into rounds.")]
    deciles = data.get("deciles") or []
    if any(not isinstance(d, int) or not 1 <= d <= 10 for d in deciles):
        errors["deciles"] = [_("Deciles are whole numbers from 1 to 10.")]
    user = by.signed_in_user
    office = acting_office(by)
    # Within the user's areas, and (whoever opens it) within the office's (docs/OFFICE.md).
    bound = office.area if office.area_id is not None and not is_top(office) else None
    outside = [
        a.name
        for a in data.get("areas") or []
        if (user is not None and not area_in_scope(user, Capability.VERIVALI_RUN, a))
        or (bound is not None and not a.is_within(bound))
    ]
    if outside:
        errors["areas"] = [
            _("%(areas)s are outside your area; choose areas within it.")
            % {"areas": ", ".join(outside)}
        ]
    source = data.get("source_import")
    if source is not None and source.office_id != office.pk:
        errors["source_import"] = [
            _("That extract import is another office's; choose one of your office's.")
        ]
    elif source is not None and source.status != "committed":
        errors["source_import"] = [
            _("That extract import is not saved (or was undone); choose a saved one.")
        ]
    return errors


def round_households(by: Actor, data: dict):
    """The active households a round opened with `data` visits: all the criteria given (areas,
    deciles, categories, an extract import) at once; an empty criterion is any."""
    households = Household.objects.filter(status=Household.Status.ACTIVE)
    user = by.signed_in_user
    if user is not None:
        scope = area_scope(user, Capability.VERIVALI_RUN)
    else:
        # The office itself acting (a command, a task): its own area (docs/OFFICE.md).
        office = acting_office(by)
        scope = None if office.area_id is None or is_top(office) else [office.area]
    if scope is not None:
        households = households.filter(
            area__in=Area.objects.filter(within_areas_q(scope, "")).values("pk")
        )
    areas = list(data.get("areas") or [])
    if areas:
        households = households.filter(
            area__in=Area.objects.filter(within_areas_q(areas, "")).values("pk")
        )
    if data.get("deciles"):
        households = households.filter(decile__in=data["deciles"])
    categories = list(data.get("categories") or [])
    if categories:
        through = Household.categories.through
        households = households.filter(
            Exists(
                through.objects.filter(
                    household_id=OuterRef("pk"), needcategory_id__in=[c.pk for c in categories]
                )
            )
        )
    source = data.get("source_import")
    if source is not None:
        from pilar.dtsen.models import ExtractHousehold

        households = households.filter(
            pk__in=ExtractHousehold.objects.filter(batch=source, household__isnull=False).values(
                "household_id"
            )
        )
    return households


def _duty_day(start: datetime.date, end: datetime.date) -> datetime.date:
    """The day a pillar's duty is checked on: today, within the round's period."""
    return min(max(today(), start), end)


@transaction.atomic
def round_open(*, by: Actor, data: dict) -> Round:
    """Open a round and list its visits: one per selected household, in the household's
    kelurahan, given to the household's accompanying pillar when that pillar is on duty, else to
    the kelurahan's PSM with the fewest visits, else left to assign on the round's page.

    Reads the households as one stream and writes the visits in batches: the number of queries
    does not grow with the number of households (docs/VERIVALI.md)."""
    _require(by, Capability.VERIVALI_RUN)
    errors = _round_errors(by, data)
    if errors:
        raise ValidationError(errors)
    households = round_households(by, data)
    day = _duty_day(data["period_start"], data["period_end"])
    on_duty = Assignment.objects.active_on(day).filter(person_id=OuterRef("person_id"))
    accompanying = Caseload.objects.filter(household_id=OuterRef("pk"), end_date__isnull=True)
    accompanying = accompanying.filter(Exists(on_duty)).values("person_id")[:1]
    rows = households.annotate(pillar=Subquery(accompanying)).values_list("pk", "area_id", "pillar")
    round = Round.objects.create(
        office=acting_office(by),
        name=data["name"].strip(),
        period_start=data["period_start"],
        period_end=data["period_end"],
        deciles=sorted(set(data.get("deciles") or [])),
        source_import=data.get("source_import"),
        created_by=by.signed_in_user,
    )
    round.areas.set(data.get("areas") or [])
    round.categories.set(data.get("categories") or [])
    # The kelurahan's PSM on duty, each with the visits given so far (fewest first).
    psm: dict[int, list[int]] = defaultdict(list)
    for area_id, person_id in (
        Assignment.objects.active_on(day)
        .filter(kind__code="PSM", area__level=Area.Level.KELURAHAN)
        .values_list("area_id", "person_id")
        .order_by("area_id", "person_id")
    ):
        psm[area_id].append(person_id)
    load: dict[int, int] = defaultdict(int)
    batch: list[Visit] = []
    total = assigned = 0
    for household_id, area_id, pillar in rows.order_by("pk").iterator(chunk_size=VISITS_BATCH):
        if pillar is None and psm.get(area_id):
            pillar = min(psm[area_id], key=lambda p: load[p])
        if pillar is not None:
            load[pillar] += 1
            assigned += 1
        batch.append(
            Visit(round=round, household_id=household_id, area_id=area_id, person_id=pillar)
        )
        total += 1
        if len(batch) >= VISITS_BATCH:
            Visit.objects.bulk_create(batch)
            batch = []
    if batch:
        Visit.objects.bulk_create(batch)
    if not total:
        raise ValidationError(
            {"__all__": [_("No active household matches this selection; widen it.")]}
        )
    _audit(
        by,
        round,
        AuditEntry.Action.CREATE,
        round,
        {"visits": [None, total], "assigned": [None, assigned]},
    )
    return round


def _covers(person: Person, area: Area, day: datetime.date) -> bool:
    parts = area.code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return Assignment.objects.active_on(day).filter(person=person, area__code__in=codes).exists()


@transaction.atomic
def visit_assign(*, by: Actor, visit: Visit, person: Person) -> Visit:
    """Give a visit to `person`, a pillar on duty in (or above) the visit's kelurahan."""
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("round", "area")
        .get(pk=visit.pk)
    )
    _require_area(by, Capability.VERIVALI_RUN, visit.area)
    _open(visit.round)
    if Finding.objects.filter(visit=visit).exists():
        raise ValidationError(
            {
                "person": [
                    _("This household was already visited; its finding stays with its pillar.")
                ]
            }
        )
    day = _duty_day(visit.round.period_start, visit.round.period_end)
    if person is None or not _covers(person, visit.area, day):
        raise ValidationError(
            {
                "person": [
                    _("Choose a pillar on duty in %(area)s on %(day)s.")
                    % {"area": visit.area.name, "day": long_date(day)}
                ]
            }
        )
    before = str(visit.person) if visit.person_id else None
    visit.person = person
    visit.save(update_fields=["person"])
    _audit(by, visit.round, AuditEntry.Action.UPDATE, visit, {"person": [before, str(person)]})
    return visit


@transaction.atomic
def round_close(*, by: Actor, round: Round, force: bool = False) -> Round:
    """Close a round: no more findings or reviews. Refused while findings wait for review,
    unless `force` (they then stay unreviewed and out of the results)."""
    round = Round.objects.select_for_update().get(pk=round.pk)
    _require(by, Capability.VERIVALI_RUN)
    _open(round)
    user = by.signed_in_user
    limited = user is not None and not office_wide(user, Capability.VERIVALI_RUN)
    if limited and round.visits.exclude(visit_scope_q(user)).exists():
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "This round visits households outside your area; the office that "
                        "covers all of them closes it."
                    )
                ]
            }
        )
    waiting = Finding.objects.filter(visit__round=round, status=Finding.Status.SUBMITTED).count()
    if waiting and not force:
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "%(n)s findings still wait for review. Have them reviewed first, or "
                        "close anyway (they stay out of the results)."
                    )
                    % {"n": waiting}
                ]
            }
        )
    round.status = Round.Status.CLOSED
    round.closed_at = timezone.now()
    round.save(update_fields=["status", "closed_at"])
    _audit(
        by, round, AuditEntry.Action.END, round, {"status": ["open", "closed"], "waiting": waiting}
    )
    return round


# --- what a pillar found ---------------------------------------------------------------------


def _as_date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _member_clean(raw: dict, base: dict | None, errors: dict, key: str) -> dict:
    """A member's after-values (`raw` over the current `base`), validated; JSON-safe."""
    base = base or {}
    clean: dict = {}
    for name in MEMBER_KEYS:
        if name in raw:
            clean[name] = raw[name]
    merged = {**base, **clean}
    problems: list[str] = []
    if "name" in clean:
        clean["name"] = " ".join(str(clean["name"] or "").split())
        if not clean["name"] or len(clean["name"]) > 150:
            problems.append(_("the name as on the KK (at most 150 characters)"))
    if "sex" in clean and clean["sex"] not in ("L", "P"):
        problems.append(_("sex L or P"))
    if "relation" in clean and clean["relation"] not in Relation.values:
        problems.append(_("a relation to the head from the list"))
    birth = _as_date(merged.get("birth_date"))
    if "birth_date" in clean:
        if clean["birth_date"] not in (None, "") and (
            birth is None or birth > today() or birth.year < params.MIN_BIRTH_YEAR
        ):
            problems.append(
                _("a date of birth from %(year)s up to today") % {"year": params.MIN_BIRTH_YEAR}
            )
        clean["birth_date"] = birth.isoformat() if birth else None
    if clean.get("nik"):
        sex = merged.get("sex") if merged.get("sex") in ("L", "P") else None
        try:
            clean["nik"] = validate_nik(str(clean["nik"]), birth_date=birth, sex=sex)
        except ValidationError as exc:
            errors[f"{key}.nik"] = exc.messages
    elif "nik" in clean:
        clean["nik"] = ""
    if problems:
        errors[key] = [_("Give %(what)s.") % {"what": "; ".join(problems)}]
    return clean


def _nik_elsewhere(nik: str, household_id: int | None) -> bool:
    others = HouseholdMember.objects.filter(nik=nik, left_on__isnull=True)
    if household_id is not None:
        others = others.exclude(household_id=household_id)
    return others.exists()


def _household_changes(raw: dict, household: Household, errors: dict) -> dict:
    """The corrections (after-values) of a listed household, validated."""
    unknown = set(raw) - CHANGE_FIELDS
    if unknown:
        errors["changes"] = [
            _("Unknown corrections: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        ]
    clean: dict = {}
    if "address" in raw:
        clean["address"] = " ".join(str(raw["address"] or "").split())
        if not clean["address"]:
            errors["changes.address"] = [_("Write the address so the family can be found.")]
        check_lengths(errors, {"changes.address": clean["address"]}, {"changes.address": 250})
    if "rt_rw" in raw:
        match = RT_RW.match(str(raw["rt_rw"] or ""))
        if match is None:
            errors["changes.rt_rw"] = [_("Write the RT/RW as two numbers, e.g. 001/002.")]
        else:
            clean["rt_rw"] = f"{int(match[1]):03d}/{int(match[2]):03d}"
    if "decile" in raw:
        try:
            clean["decile"] = int(raw["decile"])
        except (TypeError, ValueError, OverflowError):
            clean["decile"] = 0
        if not 1 <= clean["decile"] <= 10:
            errors["changes.decile"] = [_("The DTSEN decile is a whole number from 1 to 10.")]
    if "kk_number" in raw:
        try:
            clean["kk_number"] = validate_kk(str(raw["kk_number"] or ""))
        except ValidationError as exc:
            errors["changes.kk_number"] = exc.messages
        else:
            taken = Household.objects.filter(
                Q(kk_number=clean["kk_number"]) | Q(kk_history__kk_number=clean["kk_number"])
            ).exclude(pk=household.pk)
            if taken.exists():
                errors["changes.kk_number"] = [
                    _("Another household is registered with this KK number; check the card.")
                ]
    if "dtsen_id" in raw:
        clean["dtsen_id"] = str(raw["dtsen_id"] or "").strip()
        check_lengths(errors, {"changes.dtsen_id": clean["dtsen_id"]}, {"changes.dtsen_id": 40})
    members = {m.pk: m for m in household.members.filter(left_on__isnull=True)}
    if raw.get("members"):
        if not isinstance(raw["members"], dict):
            errors["changes.members"] = [
                _("Give each corrected member by their id with the corrected fields.")
            ]
        elif corrected := _member_changes(raw["members"], members, household, errors):
            clean["members"] = corrected
    if raw.get("new_members"):
        if not isinstance(raw["new_members"], list):
            errors["changes.new_members"] = [_("Give the new members as a list.")]
        else:
            clean["new_members"] = _new_members(raw["new_members"], household.pk, errors, members)
    return clean


def _member_changes(raw, members: dict, household: Household, errors: dict) -> dict:
    """Corrections of current members ({member id: after-values}), only what differs."""
    clean: dict = {}
    for member_id, values in dict(raw).items():
        member = members.get(int(member_id)) if ascii_digits(str(member_id)) else None
        if member is None or not isinstance(values, dict):
            errors[f"changes.members.{member_id}"] = [
                _("This is not a current member of the household; reload the page.")
            ]
            continue
        base = {k: getattr(member, k) for k in MEMBER_KEYS}
        values = _member_clean(values, base, errors, f"changes.members.{member_id}")
        values = {k: v for k, v in values.items() if v != _plain(getattr(member, k))}
        if values.get("nik") and _nik_elsewhere(values["nik"], household.pk):
            errors[f"changes.members.{member_id}.nik"] = [
                _("This NIK is a member of another household; check the KTP.")
            ]
        if values:
            clean[str(member.pk)] = values
    return clean


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _new_members(rows, household_id, errors: dict, members: dict | None = None) -> list[dict]:
    clean = []
    niks = {m.nik for m in (members or {}).values() if m.nik}
    for i, raw in enumerate(rows or [], start=1):
        key = f"new_members.{i}"
        if not isinstance(raw, dict):
            errors[key] = [_("Give the member's name, sex and relation.")]
            continue
        values = _member_clean({"name": "", "sex": "", "relation": "", **raw}, None, errors, key)
        nik = values.get("nik") or ""
        if nik and (nik in niks or _nik_elsewhere(nik, household_id)):
            errors[f"{key}.nik"] = [
                _("Member %(i)s: this NIK is already a member of a household; check the KTP.")
                % {"i": i}
            ]
        niks.add(nik)
        clean.append({k: values.get(k) or ("" if k != "birth_date" else None) for k in MEMBER_KEYS})
    return clean


def proposal_clean(*, round: Round, person: Person | None, data: dict, visit=None) -> dict:
    """A proposed household's data, validated (raises ValidationError): a KK not registered
    and not proposed in the round yet, a kelurahan of the pillar's duty, members with one
    head."""
    errors: dict[str, list] = {}
    clean: dict = {}
    try:
        clean["kk_number"] = validate_kk(str(data.get("kk_number") or ""))
    except ValidationError as exc:
        errors["kk_number"] = exc.messages
    else:
        kk = clean["kk_number"]
        known = (
            Household.objects.filter(Q(kk_number=kk) | Q(kk_history__kk_number=kk))
            .select_related("area")
            .first()
        )
        proposed = Visit.objects.filter(round=round, proposed__kk_number=kk)
        if visit is not None:
            proposed = proposed.exclude(pk=visit.pk)
        if known is not None:
            errors["kk_number"] = [
                _(
                    "This KK is already registered (%(kk)s, %(area)s): record a finding on it "
                    "instead, or ask the office to add it to the round."
                )
                % {"kk": known.masked_kk, "area": known.area.name}
            ]
        elif proposed.exists():
            errors["kk_number"] = [_("This KK was already proposed in this round.")]
    area = data.get("area")
    day = _duty_day(round.period_start, round.period_end)
    if (
        not isinstance(area, Area)
        or area.level != Area.Level.KELURAHAN
        or (person is not None and not _covers(person, area, day))
    ):
        errors["area"] = [_("Choose a kelurahan of your duty.")]
    else:
        clean["area"] = area.pk
    clean["address"] = " ".join(str(data.get("address") or "").split())
    if not clean["address"]:
        errors["address"] = [_("Write the address so the family can be found.")]
    check_lengths(errors, clean, {"address": 250})
    rt_rw = str(data.get("rt_rw") or "").strip()
    clean["rt_rw"] = ""
    if rt_rw:
        match = RT_RW.match(rt_rw)
        if match is None:
            errors["rt_rw"] = [_("Write the RT/RW as two numbers, e.g. 001/002.")]
        else:
            clean["rt_rw"] = f"{int(match[1]):03d}/{int(match[2]):03d}"
    clean["dtsen_id"] = str(data.get("dtsen_id") or "").strip()
    check_lengths(errors, clean, {"dtsen_id": 40})
    decile = data.get("decile")
    clean["decile"] = None
    if decile not in (None, ""):
        try:
            clean["decile"] = int(decile)
        except (TypeError, ValueError):
            clean["decile"] = 0
        if not 1 <= clean["decile"] <= 10:
            errors["decile"] = [_("The DTSEN decile is a whole number from 1 to 10.")]
    clean["members"] = _new_members(data.get("members"), None, errors)
    heads = sum(1 for m in clean["members"] if m["relation"] == Relation.HEAD)
    if heads != 1:
        errors["members"] = [_("List the family's members with exactly one head of household.")]
    if errors:
        raise ValidationError(errors)
    return clean


def _kind_errors(kind: str, data: dict, visit: Visit, errors: dict) -> dict:
    """The fields of a finding that its kind needs, validated; JSON/model-ready values."""
    extra: dict = {"moved_to": "", "deceased_member": None, "deceased_on": None}
    extra["split_members"] = []
    if kind not in Finding.Kind.values:
        errors["kind"] = [_("Choose what you found.")]
        return extra
    if (visit.household_id is None) != (kind == Finding.Kind.PROPOSED):
        errors["kind"] = [
            _("A proposed household is recorded as proposed; a listed one by what you found.")
        ]
        return extra
    current = (
        {m.pk: m for m in visit.household.members.filter(left_on__isnull=True)}
        if visit.household_id
        else {}
    )
    if kind == Finding.Kind.MOVED:
        extra["moved_to"] = " ".join(str(data.get("moved_to") or "").split())
        if not extra["moved_to"]:
            errors["moved_to"] = [_("Say where the family moved to (city or address).")]
        check_lengths(errors, extra, {"moved_to": 250})
    elif kind == Finding.Kind.DECEASED:
        member = data.get("deceased_member")
        member_id = getattr(member, "pk", member)
        member_id = int(member_id) if ascii_digits(str(member_id or "")) else None
        if member_id not in current:
            errors["deceased_member"] = [_("Choose the member who died from the household.")]
        else:
            extra["deceased_member"] = current[member_id]
        died = _as_date(data.get("deceased_on"))
        if died is None or died > today():
            errors["deceased_on"] = [_("Give the day the member died; not in the future.")]
        extra["deceased_on"] = died
    elif kind == Finding.Kind.SPLIT:
        ids = []
        chosen = data.get("split_members") or []
        for value in chosen if isinstance(chosen, list | tuple) else [chosen]:
            value = getattr(value, "pk", value)
            if not ascii_digits(str(value)) or int(value) not in current:
                errors["split_members"] = [_("Choose members of this household.")]
                break
            ids.append(int(value))
        if not ids and "split_members" not in errors:
            errors["split_members"] = [_("Choose the members who left to form their own KK.")]
        elif len(set(ids)) >= len(current) and current:
            errors["split_members"] = [
                _("Everyone cannot split off; if the whole family left, record it as moved.")
            ]
        extra["split_members"] = sorted(set(ids))
    elif (
        kind in (Finding.Kind.NOT_FOUND, Finding.Kind.BETTER_OFF)
        and not (data.get("note") or "").strip()
    ):
        errors["note"] = [_("Write what you saw and who told you (neighbours, the RT head).")]
    return extra


def _finding_errors(visit: Visit, data: dict) -> tuple[dict, dict]:
    """All the finding's fields validated: (errors, the values to save)."""
    errors: dict[str, list] = {}
    round = visit.round
    kind = data.get("kind") or ""
    visited = _as_date(data.get("visited_on"))
    if visited is None or visited > today():
        errors["visited_on"] = [_("Give the day of the visit; not in the future.")]
    elif not round.period_start <= visited <= round.period_end:
        errors["visited_on"] = [
            _("The round runs from %(start)s to %(end)s; give a day within it.")
            % {"start": long_date(round.period_start), "end": long_date(round.period_end)}
        ]
    values = _kind_errors(kind, data, visit, errors)
    values.update(kind=kind, visited_on=visited, changes={})
    values["note"] = (data.get("note") or "").strip()
    check_lengths(errors, values, {"note": 1000})
    raw = data.get("changes") or {}
    if visit.household_id is not None and raw:
        if kind in (Finding.Kind.CONFIRMED, Finding.Kind.NOT_FOUND):
            errors["changes"] = [
                _("You changed some data: choose 'data corrected' instead of this finding.")
            ]
        elif not isinstance(raw, dict):
            errors["changes"] = [_("Give the corrections field by field.")]
        else:
            values["changes"] = _household_changes(raw, visit.household, errors)
    if kind == Finding.Kind.CORRECTED and not values["changes"] and "changes" not in errors:
        errors["changes"] = [_("Nothing was corrected: change a field, or choose 'confirmed'.")]
    return errors, values


def _check_writer(by: Actor, visit: Visit) -> None:
    _require(by, Capability.VERIVALI_RECORD)
    user = by.signed_in_user
    if visit.person_id is None or (user is not None and user.person_id != visit.person_id):
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "This household is not assigned to you; only its pillar records the "
                        "visit. Ask the office to assign it to you."
                    )
                ]
            }
        )


def _check_version(existing: Finding | None, version: int | None) -> None:
    if existing is None:
        return
    if existing.status == Finding.Status.ACCEPTED:
        raise ValidationError(
            {"__all__": [_("This finding was accepted by the TKSK and can no longer be edited.")]}
        )
    if version is None:
        raise ValidationError(
            {"__all__": [_("A finding for this household was already recorded; reload to see it.")]}
        )
    if existing.version != version:
        raise ValidationError(
            {"__all__": [_("Someone else changed this finding; reload and record it again.")]}
        )


@transaction.atomic
def finding_record(
    *, by: Actor, visit: Visit, data: dict, photo=None, version: int | None = None
) -> Finding:
    """The assigned pillar records what they found on a visit, or corrects a finding that is
    waiting for review or was returned (`version`: the finding's version the form showed).
    The first recording also counts as the pillar's activity (one, whatever the corrections).
    """
    # The visit's row is the lock: two phones recording the same household queue here.
    # Only the visit's row: PostgreSQL locks no row of a nullable join (household, person).
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("round", "household", "person")
        .get(pk=visit.pk)
    )
    _check_writer(by, visit)
    _open(visit.round)
    existing = Finding.objects.select_for_update().filter(visit=visit).first()
    _check_version(existing, version)
    errors, values = _finding_errors(visit, data)
    if visit.household_id is None and data.get("proposed") is not None:
        try:
            visit.proposed = proposal_clean(
                round=visit.round, person=visit.person, data=data["proposed"], visit=visit
            )
        except ValidationError as exc:
            errors.update({f"proposed.{k}": v for k, v in exc.message_dict.items()})
    processed = None
    if photo:
        try:
            processed, _position = process_photo(photo, keep_location=False)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    finding = existing or Finding(visit=visit, recorded_by=visit.person)
    before = {"kind": existing.kind, "status": existing.status} if existing else {}
    for key, value in values.items():
        setattr(finding, key, value)
    finding.status = Finding.Status.SUBMITTED
    if existing is not None:
        finding.version = existing.version + 1
        redate_activity(by, visit, finding, values)
    else:
        finding.activity = record_activity(by, visit, values["visited_on"], values["note"])
    if data.get("proposed") is not None:
        visit.save(update_fields=["proposed"])
    if processed is not None:
        if finding.photo:
            finding.photo.delete(save=False)
        finding.photo.save(processed.name, processed, save=False)
    try:
        with transaction.atomic():
            finding.save()
    except IntegrityError:
        raise ValidationError(
            {"__all__": [_("Someone else recorded this household at the same moment; reload.")]}
        ) from None
    _audit(
        by,
        visit.round,
        AuditEntry.Action.UPDATE if existing else AuditEntry.Action.CREATE,
        finding,
        {
            "kind": [before.get("kind"), finding.kind],
            "status": [before.get("status"), finding.status],
            "changes": [None, sorted(finding.changes)] if finding.changes else None,
        },
    )
    return finding


@transaction.atomic
def visit_propose(*, by: Actor, round: Round, data: dict, photo=None) -> Visit:
    """A pillar proposes a household not on the round's list (kk_number, dtsen_id, address,
    rt_rw, decile, area: a kelurahan of their duty, members with one head; visited_on, note):
    a visit of their own with a PROPOSED finding, which the coordinator reviews like any."""
    _require(by, Capability.VERIVALI_RECORD)
    user = by.signed_in_user
    person = user.person if user is not None else data.get("person")
    if person is None:
        raise ValidationError({"__all__": [_("Only a pillar proposes a household.")]})
    round = Round.objects.select_for_update().get(pk=round.pk)
    _open(round)
    clean = proposal_clean(round=round, person=person, data=data)
    visit = Visit.objects.create(round=round, area_id=clean["area"], person=person, proposed=clean)
    finding_record(
        by=by,
        visit=visit,
        data={
            "kind": Finding.Kind.PROPOSED,
            "visited_on": data.get("visited_on"),
            "note": data.get("note") or "",
        },
        photo=photo,
    )
    return visit


def unassigned_count(round: Round) -> int:
    return Visit.objects.filter(round=round, person__isnull=True).aggregate(n=Count("pk"))["n"]
