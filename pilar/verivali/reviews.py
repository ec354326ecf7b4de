"""The coordinator's review of a finding, and applying an accepted one to the household's
records (docs/VERIVALI.md). Recording findings and running rounds is in services.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.history import status_record
from pilar.casework.models import (
    Caseload,
    DecileRecord,
    Household,
    HouseholdMember,
    KKChange,
    Relation,
    StatusRecord,
)
from pilar.lib.text import check_lengths
from pilar.verivali.models import Finding, Round, Visit, finding_review_q
from pilar.verivali.services import _as_date, _audit, _open, _plain, _require

# --- the coordinator's review ----------------------------------------------------------------


def _reviewed(by: Actor, finding: Finding, version: int | None) -> Finding:
    _require(by, Capability.VERIVALI_REVIEW)
    # The visit's row first, as finding_record takes it: a correction and a review of one
    # finding queue one after the other, never both on the same version.
    visit_id = Finding.objects.filter(pk=finding.pk).values_list("visit_id", flat=True).first()
    list(Visit.objects.select_for_update().filter(pk=visit_id).values_list("pk", flat=True))
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("visit__round", "visit__household", "visit__area")
        .get(pk=finding.pk)
    )
    user = by.signed_in_user
    if user is not None:
        if not Finding.objects.filter(finding_review_q(user), pk=finding.pk).exists():
            raise PermissionDenied
        if user.person_id and user.person_id == finding.recorded_by_id:
            raise ValidationError(
                {"__all__": [_("A finding you recorded is reviewed by someone else.")]}
            )
    _open(finding.visit.round)
    if finding.status != Finding.Status.SUBMITTED:
        raise ValidationError(
            {
                "__all__": [
                    _("This finding is %(status)s, not waiting for review.")
                    % {"status": finding.get_status_display()}
                ]
            }
        )
    if version != finding.version:
        # Without the version the reviewer saw, what they accept is not known: refused too.
        raise ValidationError(
            {"__all__": [_("The pillar changed this finding since you opened it; reload.")]}
        )
    return finding


@transaction.atomic
def finding_accept(*, by: Actor, finding: Finding, version: int | None) -> Finding:
    """Accept a finding waiting for review and apply it to the household's records in the same
    transaction (audited with source verivali and the round's number)."""
    finding = _reviewed(by, finding, version)
    try:
        apply_finding(by=by, finding=finding)
    except (Household.DoesNotExist, HouseholdMember.DoesNotExist):
        # A record the finding corrects is gone since the visit (an extract undone, a member
        # removed): nothing is applied; the reviewer returns it for the pillar to record again.
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "The household's records changed since the visit (a member or the "
                        "household it corrects is no longer there). Return the finding so the "
                        "pillar records it again."
                    )
                ]
            }
        ) from None
    now = timezone.now()
    finding.status = Finding.Status.ACCEPTED
    finding.reviewed_by = by.signed_in_user
    finding.reviewed_at = now
    finding.applied_at = now
    finding.version += 1
    finding.save()
    _audit(
        by,
        finding.visit.round,
        AuditEntry.Action.UPDATE,
        finding,
        {"status": ["submitted", "accepted"]},
    )
    return finding


@transaction.atomic
def finding_return(*, by: Actor, finding: Finding, note: str, version: int | None) -> Finding:
    """Return a finding to its pillar with what to correct."""
    finding = _reviewed(by, finding, version)
    note = " ".join((note or "").split())
    errors: dict[str, list] = {}
    if not note:
        errors["note"] = [_("Say what the pillar should check or correct.")]
    check_lengths(errors, {"note": note}, {"note": 250})
    if errors:
        raise ValidationError(errors)
    finding.status = Finding.Status.RETURNED
    finding.review_note = note
    finding.reviewed_by = by.signed_in_user
    finding.reviewed_at = timezone.now()
    finding.version += 1
    finding.save()
    _audit(
        by,
        finding.visit.round,
        AuditEntry.Action.UPDATE,
        finding,
        {"status": ["submitted", "returned"]},
        note=note,
    )
    return finding


# --- applying an accepted finding ------------------------------------------------------------


def apply_finding(*, by: Actor, finding: Finding) -> None:
    """Write an accepted finding into the household records: corrections field by field,
    moved, a member died or split off, better off (closed), a proposed household created.
    NOT_FOUND changes nothing (the household stays active; the results file lists it).

    Every write is audited with source verivali and the round's number as the batch. The
    writes are the casework services' own rules (pilar/casework/services.py) done here, not
    calls to them, because their audit entries could not carry the round (the log is
    append-only); the database constraints (one NIK in one household, one head, one KK) refuse
    what changed since the finding was recorded, and the whole acceptance is rolled back."""
    applying = Actor(user=by.user, source=AuditEntry.Source.VERIVALI, ip=by.ip)
    visit = finding.visit
    try:
        with transaction.atomic():
            if finding.kind == Finding.Kind.PROPOSED:
                _apply_proposal(applying, finding, visit)
            else:
                household = Household.objects.select_for_update().get(pk=visit.household_id)
                _apply_changes(applying, finding, household)
                _apply_kind(applying, finding, household)
    except IntegrityError:
        raise ValidationError(
            {
                "__all__": [
                    _(
                        "The records changed since this finding was recorded (a NIK or KK is "
                        "now another household's, or the household has a head already): "
                        "return it to the pillar to check."
                    )
                ]
            }
        ) from None


def _decile_record(household: Household, decile: int | None, finding: Finding) -> None:
    """The decile the round sets, as of the visit — or as of the latest record when one is
    dated later (an extract imported after the visit): the newest record stays the
    household's own decile."""
    latest = (
        DecileRecord.objects.filter(household=household)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    DecileRecord.objects.create(
        household=household,
        decile=decile,
        as_of=max(finding.visited_on, latest) if latest else finding.visited_on,
        source=DecileRecord.Source.VERIVALI,
        reference=finding.visit.round_id,
    )


def _member_create(by: Actor, round: Round, household: Household, values: dict):
    member = HouseholdMember.objects.create(
        household=household,
        nik=values.get("nik") or "",
        name=values["name"],
        sex=values["sex"],
        birth_date=_as_date(values.get("birth_date")),
        relation=values["relation"],
    )
    _audit(
        by,
        round,
        AuditEntry.Action.CREATE,
        member,
        {"household": [None, str(household)], "relation": [None, member.relation]},
    )
    return member


def _member_leave(by: Actor, round: Round, member: HouseholdMember, day, reason: str) -> None:
    updated = HouseholdMember.objects.filter(pk=member.pk, left_on__isnull=True).update(
        left_on=day, left_reason=reason[:250]
    )
    if updated:
        _audit(
            by, round, AuditEntry.Action.END, member, {"left_on": [None, day.isoformat()]}, reason
        )


def _household_set(by: Actor, round: Round, household: Household, values: dict, note="") -> None:
    before = {k: _plain(getattr(household, k)) for k in values}
    for key, value in values.items():
        setattr(household, key, value)
    household.save()
    changes = {k: [before[k], _plain(v)] for k, v in values.items() if before[k] != _plain(v)}
    if changes:
        _audit(by, round, AuditEntry.Action.UPDATE, household, changes, note)


def _apply_changes(by: Actor, finding: Finding, household: Household) -> None:
    changes = finding.changes or {}
    round = finding.visit.round
    for member_id, values in (changes.get("members") or {}).items():
        member = HouseholdMember.objects.select_for_update().get(
            pk=int(member_id), household=household
        )
        before = {}
        for key, value in values.items():
            new = _as_date(value) if key == "birth_date" else value
            before[key] = [_plain(getattr(member, key)), _plain(new)]
            setattr(member, key, new)
        member.save()
        _audit(by, round, AuditEntry.Action.UPDATE, member, before)
    for values in changes.get("new_members") or []:
        _member_create(by, round, household, values)
    # Only what still differs: the household may have changed since the visit (an extract).
    update = {
        k: changes[k]
        for k in ("address", "rt_rw", "decile", "dtsen_id")
        if k in changes and changes[k] != getattr(household, k)
    }
    note = ""
    if changes.get("kk_number") and changes["kk_number"] != household.kk_number:
        note = _("KK corrected in verification round %(name)s") % {"name": round.name}
        KKChange.objects.create(
            household=household,
            kk_number=household.kk_number,
            replaced_on=finding.visited_on,
            reason=note[:250],
        )
        update["kk_number"] = changes["kk_number"]
    if update:
        _household_set(by, round, household, update, note)
    if "decile" in update:
        _decile_record(household, changes["decile"], finding)


def _household_leaves(by: Actor, finding: Finding, household: Household, status, reason) -> None:
    """The household moved away or was closed: no longer accompanied here (as
    casework.services.household_update does)."""
    round = finding.visit.round
    _household_set(
        by,
        round,
        household,
        {"status": status, "status_reason": reason[:250], "status_date": finding.visited_on},
        reason,
    )
    status_record(
        household,
        as_of=finding.visited_on,
        source=StatusRecord.Source.VERIVALI,
        reference=round.pk,
    )
    for caseload in household.caseloads.filter(end_date__isnull=True):
        end = max(finding.visited_on, caseload.start_date)
        Caseload.objects.filter(pk=caseload.pk).update(
            end_date=end, end_reason=household.get_status_display()
        )
        _audit(by, round, AuditEntry.Action.END, caseload, {"end_date": [None, end.isoformat()]})


def _apply_kind(by: Actor, finding: Finding, household: Household) -> None:
    round = finding.visit.round
    Kind = Finding.Kind
    if finding.kind == Kind.MOVED:
        _household_leaves(by, finding, household, Household.Status.MOVED, finding.moved_to)
    elif finding.kind == Kind.BETTER_OFF:
        _household_leaves(by, finding, household, Household.Status.CLOSED, finding.note)
    elif finding.kind == Kind.DECEASED:
        reason = _("Died (verification round %(name)s)") % {"name": round.name}
        _member_leave(by, round, finding.deceased_member, finding.deceased_on, reason)
    elif finding.kind == Kind.SPLIT:
        reason = _("Split off to form a new KK, to be proposed (verification round %(name)s)") % {
            "name": round.name
        }
        for member in HouseholdMember.objects.filter(
            pk__in=finding.split_members, household=household, left_on__isnull=True
        ):
            _member_leave(by, round, member, finding.visited_on, reason)


def _apply_proposal(by: Actor, finding: Finding, visit: Visit) -> None:
    data = visit.proposed
    round = visit.round
    household = Household.objects.create(
        kk_number=data["kk_number"],
        area_id=data["area"],
        address=data["address"],
        rt_rw=data.get("rt_rw") or "",
        dtsen_id=data.get("dtsen_id") or "",
        decile=data.get("decile"),
        status=Household.Status.ACTIVE,
    )
    _audit(
        by,
        round,
        AuditEntry.Action.CREATE,
        household,
        {"kk_number": [None, household.masked_kk], "area": [None, str(household.area)]},
    )
    status_record(
        household,
        as_of=finding.visited_on,
        source=StatusRecord.Source.VERIVALI,
        reference=round.pk,
    )
    for member in sorted(data["members"], key=lambda m: m["relation"] != Relation.HEAD):
        _member_create(by, round, household, member)
    if data.get("decile"):
        _decile_record(household, data["decile"], finding)
    visit.household = household
    visit.save(update_fields=["household"])
