"""The kube part of the JSON API (mounted under /api/v1/kube): the same services and scoped
querysets as the pages. Amounts are whole rupiah (integers)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import WithJsonSchema

from pilar.accounts.access import Capability
from pilar.api.common import Body, Id, Limit, Offset, Search, api_actor, choice, require
from pilar.casework.models import Household
from pilar.kube import services
from pilar.kube.access import may_record
from pilar.kube.models import KUBE_MAX_RUPIAH, KubeAid, KubeGroup, KubeMember
from pilar.kube.selectors import group_sections, listed_groups
from pilar.lib.corrections import Entry
from pilar.lib.money import parse_money
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Person

router = Router(tags=["kube"])


# An amount in a body: whole rupiah, an integer up to KUBE_MAX_RUPIAH. Typed loosely here and
# read by `parse_money` (the forms' rules, docs/INPUT.md) in the view, after the permission
# check: "1500,50" or 1500.5 is a 400 naming the field, never a different number.
# (Any, not int | str: the Body base would bound a str by length, and an int must reach
# parse_money unchanged.)
Money = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": KUBE_MAX_RUPIAH,
            "description": "Whole rupiah.",
        }
    ),
]


def _amounts(data: dict, *fields: str) -> dict:
    for field in fields:
        data[field] = parse_money(data[field], field, low=0, high=KUBE_MAX_RUPIAH)
        if data[field] is None:
            raise ValidationError({field: [_("Write the amount in whole rupiah.")]})
    return data


class CorrectionOut(Schema):
    entry: Entry = Field(description="original, amendment (corrects another) or reversal.")
    corrects_id: int | None
    reason: str
    in_force: bool = Field(description="Counts in totals: neither superseded nor a reversal.")


class GroupOut(Schema):
    id: int
    name: str
    area_code: str
    area_name: str
    kecamatan_code: str | None
    business_type: str
    founded_on: datetime.date
    stage: KubeGroup.Stage
    status: choice(KubeGroup.Status)
    member_count: int
    companion: str | None
    size_warning: str = Field(description='"small" (under 5), "large" (over 20) or "".')


class KubeMemberOut(Schema):
    id: int
    household_id: int
    kk_number: str = Field(description="Masked.")
    head_name: str
    role: choice(KubeMember.Role)
    joined_on: datetime.date


class CompanionOut(Schema):
    id: int
    person_id: int
    name: str
    start_date: datetime.date
    end_date: datetime.date | None


class AidOut(CorrectionOut):
    id: int
    date: datetime.date
    source: KubeAid.Source
    form: KubeAid.Form
    description: str
    value: int


class RecordOut(CorrectionOut):
    id: int
    month: datetime.date
    turnover: int
    savings: int


class GroupDetailOut(GroupOut):
    members: list[KubeMemberOut]
    companions: list[CompanionOut]
    aid: list[AidOut]
    aid_total: int = Field(description="Entries in force only.")
    records: list[RecordOut] = Field(description="Every entry; corrections beside the original.")


class GroupIn(Body):
    columns = (KubeGroup,)
    name: str
    area_code: str = Field(
        min_length=1,
        max_length=32,
        description="Kemendagri code of the kelurahan, e.g. 13.75.01.1001",
    )
    business_type: str
    founded_on: datetime.date
    stage: KubeGroup.Stage = KubeGroup.Stage.GROWTH
    status: choice(KubeGroup.Status) = KubeGroup.Status.ACTIVE


class KubeMemberIn(Body):
    columns = (KubeMember,)
    household_id: int | None = None
    kk_number: str | None = Field(None, description="Instead of household_id.")
    role: choice(KubeMember.Role) = KubeMember.Role.MEMBER
    joined_on: datetime.date | None = None


class CompanionIn(Body):
    person_id: int
    start_date: datetime.date | None = None


class AidIn(Body):
    columns = (KubeAid,)
    date: datetime.date
    source: KubeAid.Source
    form: KubeAid.Form
    value: Money
    description: str = ""


class RecordIn(Body):
    month: datetime.date = Field(description="Any day of the month; stored as its first day.")
    turnover: Money
    savings: Money


class AidCorrectIn(AidIn):
    reason: str = Field(min_length=1, max_length=250)


class RecordCorrectIn(Body):
    turnover: Money
    savings: Money
    reason: str = Field(min_length=1, max_length=250)


class ReverseIn(Body):
    reason: str = Field(min_length=1, max_length=250)


def _group_out(g: KubeGroup) -> dict:
    return {
        "id": g.pk,
        "name": g.name,
        "area_code": g.area.code,
        "area_name": g.area.name,
        "kecamatan_code": g.area.parent.code if g.area.parent else None,
        "business_type": g.business_type,
        "founded_on": g.founded_on,
        "stage": g.stage,
        "status": g.status,
        "member_count": g.member_count,
        "companion": g.companion_name,
        "size_warning": KubeGroup.size_problem(g.member_count),
    }


def _visible(request, group_id: int) -> KubeGroup:
    return get_object_or_404(listed_groups(request.user), pk=group_id)


def _correction(entry) -> dict:
    return {
        "entry": entry.entry,
        "corrects_id": entry.corrects_id,
        "reason": entry.reason,
        "in_force": entry.in_force,
    }


def _detail(request, group_id: int) -> GroupDetailOut:
    group = _visible(request, group_id)
    ctx = group_sections(group)
    return GroupDetailOut(
        **_group_out(group),
        members=[
            KubeMemberOut(
                id=m.pk,
                household_id=m.household_id,
                kk_number=m.household.masked_kk,
                head_name=m.household.heads[0].name if m.household.heads else "",
                role=m.role,
                joined_on=m.joined_on,
            )
            for m in ctx["members"]
        ],
        companions=[
            CompanionOut(
                id=c.pk,
                person_id=c.person_id,
                name=c.person.name,
                start_date=c.start_date,
                end_date=c.end_date,
            )
            for c in ctx["companions"]
        ],
        aid=[
            AidOut(
                id=a.pk,
                date=a.date,
                source=a.source,
                form=a.form,
                description=a.description,
                value=a.value,
                **_correction(a),
            )
            for a in ctx["aid"]
        ],
        aid_total=ctx["aid_total"],
        records=[
            RecordOut(
                id=r.pk, month=r.month, turnover=r.turnover, savings=r.savings, **_correction(r)
            )
            for r in ctx["records"]
        ],
    )


@router.get("/groups", response=list[GroupOut], summary="KUBE groups, scoped to the caller")
def list_groups(
    request,
    area: str | None = None,
    stage: KubeGroup.Stage | None = None,
    status: choice(KubeGroup.Status) | None = None,
    q: Search | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.KUBE_VIEW)
    groups = listed_groups(request.user)
    if area:
        groups = groups.filter(within_areas_q([Area.objects.by_code(area, "area")], "area"))
    if stage:
        groups = groups.filter(stage=stage)
    if status:
        groups = groups.filter(status=status)
    if q:
        groups = groups.filter(name__icontains=q.strip())
    return [GroupOut(**_group_out(g)) for g in groups[offset : offset + limit]]


@router.get("/groups/{group_id}", response=GroupDetailOut, summary="One group")
def get_group(request, group_id: Id):
    require(request, Capability.KUBE_VIEW)
    return _detail(request, group_id)


@router.post("/groups", response={201: GroupDetailOut}, summary="Found a group")
def create_group(request, payload: GroupIn):
    require(request, Capability.KUBE_EDIT)
    data = payload.dict()
    data["area"] = Area.objects.by_code(data.pop("area_code"), "area_code")
    group = services.kube_group_create(by=api_actor(request), data=data)
    return Status(201, _detail(request, group.pk))


def _editable(request, group_id: int) -> KubeGroup:
    require(request, Capability.KUBE_EDIT)
    group = _visible(request, group_id)
    if not KubeGroup.objects.editable_by(request.user).filter(pk=group.pk).exists():
        raise PermissionDenied
    return group


@router.post(
    "/groups/{group_id}/members", response={201: GroupDetailOut}, summary="Add a household"
)
def add_member(request, group_id: Id, payload: KubeMemberIn):
    group = _editable(request, group_id)
    households = Household.objects.visible_to(request.user)
    if payload.household_id is not None:
        household = households.filter(pk=payload.household_id).first()
    elif payload.kk_number:
        household = households.filter(kk_number=payload.kk_number.strip()).first()
    else:
        raise ValidationError({"household_id": [_("Give household_id or kk_number.")]})
    if household is None:
        raise ValidationError(
            {"household_id": [_("No household in your area has that id or KK number.")]}
        )
    services.kube_member_add(
        by=api_actor(request),
        group=group,
        household=household,
        role=payload.role,
        joined_on=payload.joined_on,
    )
    return Status(201, _detail(request, group.pk))


@router.post("/groups/{group_id}/companion", response=GroupDetailOut, summary="Set the companion")
def set_companion(request, group_id: Id, payload: CompanionIn):
    group = _editable(request, group_id)
    person = Person.objects.visible_to(request.user).filter(pk=payload.person_id).first()
    if person is None:
        raise ValidationError({"person_id": [_("No person in your area has that id.")]})
    services.kube_companion_set(
        by=api_actor(request), group=group, person=person, start_date=payload.start_date
    )
    return _detail(request, group.pk)


@router.post("/groups/{group_id}/aid", response={201: GroupDetailOut}, summary="Record aid")
def add_aid(request, group_id: Id, payload: AidIn):
    group = _editable(request, group_id)
    services.kube_aid_add(by=api_actor(request), group=group, **_amounts(payload.dict(), "value"))
    return Status(201, _detail(request, group.pk))


@router.post(
    "/groups/{group_id}/records",
    response={201: GroupDetailOut},
    summary="Record a month's turnover and savings",
    description="For admin and operator, and for the group's current companion.",
)
def add_record(request, group_id: Id, payload: RecordIn):
    require(request, Capability.KUBE_VIEW)
    group = _visible(request, group_id)
    if not may_record(request.user, group):
        raise PermissionDenied
    data = _amounts(payload.dict(), "turnover", "savings")
    services.kube_record_add(by=api_actor(request), group=group, **data)
    return Status(201, _detail(request, group.pk))


def _entry(model, group: KubeGroup, entry_id: int):
    return get_object_or_404(model, pk=entry_id, group=group)


@router.post(
    "/groups/{group_id}/aid/{aid_id}/correct",
    response={201: GroupDetailOut},
    summary="Correct an aid entry (an amending entry with a reason)",
)
def correct_aid(request, group_id: Id, aid_id: Id, payload: AidCorrectIn):
    group = _editable(request, group_id)
    aid = _entry(KubeAid, group, aid_id)
    data = _amounts(payload.dict(), "value")
    services.kube_aid_correct(by=api_actor(request), group=group, aid=aid, **data)
    return Status(201, _detail(request, group.pk))


@router.post(
    "/groups/{group_id}/aid/{aid_id}/reverse",
    response={201: GroupDetailOut},
    summary="Reverse an aid entry (a reversing entry with a reason)",
)
def reverse_aid(request, group_id: Id, aid_id: Id, payload: ReverseIn):
    group = _editable(request, group_id)
    aid = _entry(KubeAid, group, aid_id)
    services.kube_aid_reverse(by=api_actor(request), group=group, aid=aid, reason=payload.reason)
    return Status(201, _detail(request, group.pk))


def _recordable(request, group_id: int) -> KubeGroup:
    require(request, Capability.KUBE_VIEW)
    group = _visible(request, group_id)
    if not may_record(request.user, group):
        raise PermissionDenied
    return group


@router.post(
    "/groups/{group_id}/records/{record_id}/correct",
    response={201: GroupDetailOut},
    summary="Correct a month's turnover and savings (an amending entry with a reason)",
)
def correct_record(request, group_id: Id, record_id: Id, payload: RecordCorrectIn):
    from pilar.kube.models import KubeMonthlyRecord

    group = _recordable(request, group_id)
    record = _entry(KubeMonthlyRecord, group, record_id)
    data = _amounts(payload.dict(), "turnover", "savings")
    services.kube_record_correct(by=api_actor(request), group=group, record=record, **data)
    return Status(201, _detail(request, group.pk))


@router.post(
    "/groups/{group_id}/records/{record_id}/reverse",
    response={201: GroupDetailOut},
    summary="Reverse a month recorded by mistake",
)
def reverse_record(request, group_id: Id, record_id: Id, payload: ReverseIn):
    from pilar.kube.models import KubeMonthlyRecord

    group = _recordable(request, group_id)
    record = _entry(KubeMonthlyRecord, group, record_id)
    services.kube_record_reverse(
        by=api_actor(request), group=group, record=record, reason=payload.reason
    )
    return Status(201, _detail(request, group.pk))
