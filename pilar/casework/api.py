"""Casework in the JSON API (mounted under /api/v1/): the same services and scoped querysets as
the pages. KK numbers and NIKs are masked; a record outside the caller's scope is a 404."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from pilar.accounts.access import Capability
from pilar.api.common import (
    Body,
    Id,
    Limit,
    Month,
    Offset,
    api_actor,
    column_length,
    require,
)
from pilar.casework import report_services, selectors, services
from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    Household,
    HouseholdMember,
    MonthlyReport,
    NeedCategory,
    Relation,
    Sector,
)
from pilar.lib.months import month_start
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Person, PillarKind, Sex

router = Router(tags=["casework"])


def _month(value: datetime.date | None, field: str = "month") -> datetime.date | None:
    if value is not None and not (2000 <= value.year <= 2100):
        raise ValidationError({field: _("Choose a month between 2000 and 2100.")})
    return month_start(value) if value else None


class HouseholdMemberOut(Schema):
    id: int
    nik: str = Field(description="Masked.")
    name: str
    sex: str
    birth_year: int | None
    relation: str
    left_on: datetime.date | None


class HouseholdOut(Schema):
    id: int
    kk_number: str = Field(description="Masked.")
    area_code: str
    area_name: str
    address: str
    rt_rw: str = Field(description="Neighbourhood units, 001/002.")
    dtsen_id: str
    decile: int | None
    status: str
    pillar_id: int | None


class HouseholdDetailOut(HouseholdOut):
    categories: list[int] = Field(description="PMKS category numbers (1–26).")
    members: list[HouseholdMemberOut]


class HeadIn(Body):
    columns = (HouseholdMember,)
    nik: str = ""
    name: str
    sex: Sex
    birth_date: datetime.date | None = None


class HouseholdIn(Body):
    columns = (Household,)
    kk_number: str
    area_code: str = Field(
        min_length=1, max_length=32, description="Kelurahan code, e.g. 13.75.01.1001"
    )
    address: str
    rt_rw: str = Field("", max_length=12, description="RT/RW, e.g. 001/002 (1/2 is read too).")
    dtsen_id: str = ""
    decile: int | None = None
    categories: list[int] = Field(default_factory=list, description="PMKS numbers 1–26")
    head: HeadIn | None = None


class HouseholdMemberIn(Body):
    columns = (HouseholdMember,)
    nik: str = ""
    name: str
    sex: Sex
    birth_date: datetime.date | None = None
    relation: Relation


class CaseloadIn(Body):
    person_id: int
    start_date: datetime.date
    confirm: bool = Field(False, description="Assign even when the pillar is not a local PSM.")


class ActivityOut(Schema):
    id: int
    person_id: int
    person_name: str
    kind: str
    area_code: str
    date: datetime.date
    sector: str
    activity_type: str
    need_category: int | None
    household_count: int
    kube_group_id: int | None
    notes: str
    follow_up_on: datetime.date | None
    follow_up_done_on: datetime.date | None
    cancelled: bool


class ActivityIn(Body):
    columns = (Activity,)
    date: datetime.date
    activity_type: str = Field(description="Activity type code, e.g. HOME_VISIT")
    kind: str | None = Field(None, description="Pillar kind code, when serving in two kinds")
    household_ids: list[int] = Field(default_factory=list)
    kube_group_id: int | None = None
    need_category: int | None = Field(None, description="PMKS number 1–26")
    notes: str = ""
    follow_up_on: datetime.date | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class ReportOut(Schema):
    id: int
    person_id: int
    person_name: str
    kind: str
    area_code: str
    month: datetime.date
    status: str
    summary: dict
    notes: str
    submitted_at: datetime.datetime | None
    submit_count: int
    decided_at: datetime.datetime | None
    return_reason: str


class ReportIn(Body):
    columns = (MonthlyReport,)
    kind: str = Field(description="Pillar kind code, e.g. PSM")
    month: datetime.date = Field(description="Any day of the month")
    notes: str = ""


class ReportReasonIn(Body):
    reason: str = Field("", max_length=column_length(MonthlyReport, "return_reason"))


class CellOut(Schema):
    month: datetime.date
    status: str = Field(
        description="submitted, verified, returned, reopened, missing, late, not_due or not_serving"
    )
    report_id: int | None
    activities: int
    late: bool


class StatusRowOut(Schema):
    person_id: int
    name: str
    kind: str
    area_name: str
    cells: list[CellOut]


def _household_out(h: Household, pillar_id=None) -> dict:
    return {
        "id": h.pk,
        "kk_number": h.masked_kk,
        "area_code": h.area.code,
        "area_name": h.area.name,
        "address": h.address,
        "rt_rw": h.rt_rw,
        "dtsen_id": h.dtsen_id,
        "decile": h.decile,
        "status": h.status,
        "pillar_id": pillar_id,
    }


def _household_detail(h: Household) -> dict:
    current = h.caseloads.filter(end_date__isnull=True).first()
    return {
        **_household_out(h, current.person_id if current else None),
        "categories": [c.number for c in h.categories.all()],
        "members": [
            {
                "id": m.pk,
                "nik": m.masked_nik,
                "name": m.name,
                "sex": m.sex,
                "birth_year": m.birth_date.year if m.birth_date else None,
                "relation": m.relation,
                "left_on": m.left_on,
            }
            for m in h.members.all()
        ],
    }


@router.get("/households", response=list[HouseholdOut], summary="Households, scoped")
def list_households(
    request,
    area: str | None = None,
    status: str | None = None,
    decile_max: Annotated[int, Field(ge=1, le=10)] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.CASEWORK_VIEW)
    qs = Household.objects.visible_to(request.user).select_related("area")
    if area:
        qs = qs.filter(within_areas_q([Area.objects.by_code(area, "area")], "area"))
    if status:
        qs = qs.filter(status=status)
    if decile_max:
        qs = qs.filter(decile__lte=decile_max)
    rows = list(qs.order_by("pk")[offset : offset + limit])
    pillars = dict(
        Caseload.objects.filter(household__in=rows, end_date__isnull=True).values_list(
            "household_id", "person_id"
        )
    )
    return [_household_out(h, pillars.get(h.pk)) for h in rows]


@router.get("/households/{household_id}", response=HouseholdDetailOut, summary="One household")
def get_household(request, household_id: Id):
    require(request, Capability.CASEWORK_VIEW)
    h = get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    return _household_detail(h)


@router.post("/households", response={201: HouseholdDetailOut}, summary="Register a household")
def create_household(request, payload: HouseholdIn):
    require(request, Capability.HOUSEHOLDS_EDIT)
    data = payload.dict(exclude={"head", "area_code", "categories"})
    data["area"] = Area.objects.by_code(payload.area_code, "area", Area.Level.KELURAHAN)
    data["categories"] = list(NeedCategory.objects.filter(number__in=payload.categories))
    if len(data["categories"]) != len(set(payload.categories)):
        raise ValidationError({"categories": _("PMKS categories are numbered 1 to 26.")})
    head = payload.head.dict() if payload.head else None
    h = services.household_create(by=api_actor(request), data=data, head=head)
    return 201, _household_detail(h)


@router.post(
    "/households/{household_id}/members",
    response={201: HouseholdDetailOut},
    summary="Add a member to a household",
)
def add_member(request, household_id: Id, payload: HouseholdMemberIn):
    require(request, Capability.HOUSEHOLDS_EDIT)
    h = get_object_or_404(Household.objects.editable_by(request.user), pk=household_id)
    services.member_add(by=api_actor(request), household=h, data=payload.dict())
    return 201, _household_detail(h)


@router.post(
    "/households/{household_id}/caseload",
    response={201: HouseholdDetailOut},
    summary="Assign (or reassign) the household's pillar",
)
def assign_caseload(request, household_id: Id, payload: CaseloadIn):
    require(request, Capability.HOUSEHOLDS_EDIT)
    h = get_object_or_404(Household.objects.editable_by(request.user), pk=household_id)
    person = Person.objects.visible_to(request.user).filter(pk=payload.person_id).first()
    if person is None:
        raise ValidationError({"person_id": _("Choose a pillar from your area.")})
    services.caseload_assign(
        by=api_actor(request),
        household=h,
        person=person,
        start_date=payload.start_date,
        confirm=payload.confirm,
    )
    return 201, _household_detail(h)


def _activity_out(a: Activity) -> dict:
    return {
        "id": a.pk,
        "person_id": a.person_id,
        "person_name": a.person.name,
        "kind": a.kind.code,
        "area_code": a.area.code,
        "date": a.date,
        "sector": a.sector,
        "activity_type": a.activity_type.code,
        "need_category": a.need_category.number if a.need_category_id else None,
        "household_count": a.household_count,
        "kube_group_id": a.kube_group_id,
        "notes": a.notes,
        "follow_up_on": a.follow_up_on,
        "follow_up_done_on": a.follow_up_done_on,
        "cancelled": a.cancelled_at is not None,
    }


def _activities(request):
    return (
        Activity.objects.visible_to(request.user)
        .select_related("person", "kind", "area", "activity_type", "need_category")
        .annotate(household_count=Count("households"))
    )


@router.get("/activities", response=list[ActivityOut], summary="Activities, scoped")
def list_activities(
    request,
    month: Month | None = None,
    person_id: Id | None = None,
    sector: Sector | None = None,
    area: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.CASEWORK_VIEW)
    qs = _activities(request)
    if month:
        qs = qs.filter(month=_month(month))
    if person_id:
        qs = qs.filter(person_id=person_id)
    if sector:
        qs = qs.filter(sector=sector)
    if area:
        qs = qs.filter(within_areas_q([Area.objects.by_code(area, "area")], "area"))
    return [_activity_out(a) for a in qs.order_by("-date", "-pk")[offset : offset + limit]]


@router.post("/activities", response={201: ActivityOut}, summary="Record my activity")
def create_activity(request, payload: ActivityIn):
    require(request, Capability.ACTIVITY_RECORD)
    person = request.user.person
    if person is None:
        raise PermissionDenied
    data = payload.dict(exclude={"household_ids", "kube_group_id"})
    unknown: dict[str, list] = {}
    data["activity_type"] = ActivityType.objects.filter(code=payload.activity_type).first()
    if data["activity_type"] is None:
        unknown["activity_type"] = [
            _("%(code)s is not an activity type code.") % {"code": payload.activity_type}
        ]
    data["kind"] = PillarKind.objects.filter(code=payload.kind).first() if payload.kind else None
    if payload.kind and data["kind"] is None:
        unknown["kind"] = [_("%(code)s is not a pillar kind.") % {"code": payload.kind}]
    data["need_category"] = (
        NeedCategory.objects.filter(number=payload.need_category).first()
        if payload.need_category
        else None
    )
    if payload.need_category and data["need_category"] is None:
        unknown["need_category"] = [_("PMKS categories are numbered 1 to 26.")]
    if unknown:
        raise ValidationError(unknown)
    for key in ("latitude", "longitude"):
        if data[key] is not None:
            if not math.isfinite(data[key]):
                raise ValidationError({key: _("Give the GPS position as a number.")})
            data[key] = Decimal(str(round(data[key], 6)))
    households = list(Household.objects.filter(pk__in=payload.household_ids))
    if len(households) != len(set(payload.household_ids)):
        raise ValidationError({"household_ids": _("Choose households from your caseload.")})
    data["households"] = households
    if payload.kube_group_id:
        data["kube_group"] = selectors.activity_group(payload.kube_group_id)
        if data["kube_group"] is None:
            raise ValidationError({"kube_group_id": _("There is no such KUBE group.")})
    activity = services.activity_record(by=api_actor(request), person=person, data=data)
    return 201, _activity_out(_activities(request).get(pk=activity.pk))


@router.get("/follow-ups", response=list[ActivityOut], summary="My open follow-ups")
def list_follow_ups(request):
    require(request, Capability.CASEWORK_VIEW)
    qs = _activities(request).filter(person_id=request.user.person_id)
    return [_activity_out(a) for a in selectors.due_follow_ups(qs)[:500]]


def _report_out(r: MonthlyReport) -> dict:
    return {
        "id": r.pk,
        "person_id": r.person_id,
        "person_name": r.person.name,
        "kind": r.kind.code,
        "area_code": r.area.code,
        "month": r.month,
        "status": r.status,
        "summary": r.summary,
        "notes": r.notes,
        "submitted_at": r.submitted_at,
        "submit_count": r.submit_count,
        "decided_at": r.decided_at,
        "return_reason": r.return_reason,
    }


def _report(request, report_id: int) -> MonthlyReport:
    return get_object_or_404(
        MonthlyReport.objects.visible_to(request.user).select_related("person", "kind", "area"),
        pk=report_id,
    )


@router.get(
    "/reports/status",
    response=list[StatusRowOut],
    summary="Who has reported: pillars × the six months ending with `month`",
)
def report_status(
    request,
    month: Month | None = None,
    area: str | None = None,
    kind: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    require(request, Capability.CASEWORK_VIEW)
    from pilar.casework.forms import default_month

    month = _month(month) or default_month()
    kind_obj = PillarKind.objects.filter(code=kind).first() if kind else None
    if kind and kind_obj is None:
        raise ValidationError({"kind": _("%(code)s is not a pillar kind.") % {"code": kind}})
    area_obj = Area.objects.by_code(area, "area")
    pairs = selectors.status_pairs(request.user, month, area=area_obj, kind=kind_obj)
    rows = selectors.monthly_status(
        request.user,
        month,
        area=area_obj,
        kind=kind_obj,
        pairs=list(pairs[offset : offset + limit]),
    )
    return [
        {
            "person_id": r.person_id,
            "name": r.name,
            "kind": r.kind_code,
            "area_name": r.area_name,
            "cells": [c.__dict__ for c in r.cells],
        }
        for r in rows
    ]


@router.get("/reports/{report_id}", response=ReportOut, summary="One monthly report")
def get_report(request, report_id: Id):
    require(request, Capability.CASEWORK_VIEW)
    return _report_out(_report(request, report_id))


@router.post("/reports", response={201: ReportOut}, summary="Submit my monthly report")
def submit_report(request, payload: ReportIn):
    require(request, Capability.ACTIVITY_RECORD)
    if request.user.person is None:
        raise PermissionDenied
    kind = PillarKind.objects.filter(code=payload.kind).first()
    if kind is None:
        raise ValidationError(
            {"kind": _("%(code)s is not a pillar kind.") % {"code": payload.kind}}
        )
    report = report_services.report_submit(
        by=api_actor(request),
        person=request.user.person,
        kind=kind,
        month=payload.month,
        notes=payload.notes,
    )
    return 201, _report_out(_report(request, report.pk))


@router.post("/reports/{report_id}/verify", response=ReportOut, summary="Verify a report")
def verify_report(request, report_id: Id):
    require(request, Capability.REPORTS_VERIFY)
    report = report_services.report_verify(
        by=api_actor(request), report=_report(request, report_id)
    )
    return _report_out(report)


@router.post("/reports/{report_id}/return", response=ReportOut, summary="Return a report")
def return_report(request, report_id: Id, payload: ReportReasonIn):
    require(request, Capability.REPORTS_VERIFY)
    report = report_services.report_return(
        by=api_actor(request), report=_report(request, report_id), reason=payload.reason
    )
    return _report_out(report)


@router.post("/reports/{report_id}/reopen", response=ReportOut, summary="Reopen a verified month")
def reopen_report(request, report_id: Id, payload: ReportReasonIn):
    require(request, Capability.REPORTS_REOPEN)
    report = report_services.report_reopen(
        by=api_actor(request), report=_report(request, report_id), reason=payload.reason
    )
    return _report_out(report)
