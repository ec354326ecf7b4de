"""The verivali part of the JSON API (mounted under /api/v1/verivali): the same services and
scoped querysets as the pages (docs/VERIVALI.md). A pillar's app records findings; the office
and the coordinators read progress and review."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from pilar.accounts.access import Capability, area_scope
from pilar.api.common import Body, Id, api_actor, choice, require
from pilar.verivali import reviews, selectors, services
from pilar.verivali.models import Finding, Round, Visit

router = Router(tags=["verivali"])


class RoundOut(Schema):
    id: int
    name: str
    period_start: datetime.date
    period_end: datetime.date
    status: choice(Round.Status)


class ProgressRowOut(Schema):
    id: int | None = Field(description="The kelurahan's or pillar's id; null: not assigned.")
    label: str
    total: int
    visited: int
    accepted: int
    returned: int
    waiting: int
    outstanding: int


class ProgressOut(Schema):
    by: str
    rows: list[ProgressRowOut]
    totals: ProgressRowOut


class FindingOut(Schema):
    id: int
    visit_id: int
    kind: choice(Finding.Kind)
    status: choice(Finding.Status)
    visited_on: datetime.date
    changes: dict[str, Any]
    note: str
    review_note: str
    version: int


class FindingIn(Body):
    columns = (Finding,)
    kind: choice(Finding.Kind)
    visited_on: datetime.date
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="Corrections as after-values: address, rt_rw, decile, kk_number, dtsen_id, "
        "members {member id: {nik, name, sex, birth_date, relation}}, new_members [...].",
    )
    moved_to: str = ""
    deceased_member_id: int | None = None
    deceased_on: datetime.date | None = None
    split_member_ids: list[int] = Field(default_factory=list)
    note: str = ""
    version: int | None = Field(
        None, description="The finding's version when correcting it (omit when recording)."
    )


class ReviewIn(Body):
    columns = (Finding,)
    version: int
    note: str = ""


def _follows(request) -> None:
    if area_scope(request.user, Capability.VERIVALI_VIEW) == []:
        raise PermissionDenied


def _finding_out(finding: Finding) -> FindingOut:
    return FindingOut(
        id=finding.pk,
        visit_id=finding.visit_id,
        kind=finding.kind,
        status=finding.status,
        visited_on=finding.visited_on,
        changes=finding.changes,
        note=finding.note,
        review_note=finding.review_note,
        version=finding.version,
    )


@router.get("/rounds", response=list[RoundOut], summary="Verification rounds")
def list_rounds(request):
    require(request, Capability.VERIVALI_VIEW)
    return [
        RoundOut(
            id=r.pk,
            name=r.name,
            period_start=r.period_start,
            period_end=r.period_end,
            status=r.status,
        )
        for r in Round.objects.visible_to(request.user)[:200]
    ]


@router.get("/rounds/{round_id}/progress", response=ProgressOut, summary="A round's progress")
def round_progress(request, round_id: Id, by: str = "area"):
    require(request, Capability.VERIVALI_VIEW)
    _follows(request)
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)
    progress = selectors.progress(round, request.user, by="person" if by == "person" else "area")

    def out(row):
        return ProgressRowOut(
            id=row.key,
            **{k: getattr(row, k) for k in ("label", *selectors.FIGURES)},
        )

    return ProgressOut(
        by=progress.by, rows=[out(r) for r in progress.rows], totals=out(progress.totals)
    )


@router.post("/visits/{visit_id}/finding", response=FindingOut, summary="Record a finding")
def record_finding(request, visit_id: Id, payload: FindingIn):
    require(request, Capability.VERIVALI_RECORD)
    visit = get_object_or_404(Visit.objects.visible_to(request.user), pk=visit_id)
    data = payload.dict()
    version = data.pop("version")
    data["deceased_member"] = data.pop("deceased_member_id")
    data["split_members"] = data.pop("split_member_ids")
    finding = services.finding_record(
        by=api_actor(request), visit=visit, data=data, version=version
    )
    return _finding_out(finding)


@router.post("/findings/{finding_id}/accept", response=FindingOut, summary="Accept a finding")
def accept_finding(request, finding_id: Id, payload: ReviewIn):
    require(request, Capability.VERIVALI_REVIEW)
    finding = get_object_or_404(Finding.objects.reviewable_by(request.user), pk=finding_id)
    finding = reviews.finding_accept(
        by=api_actor(request), finding=finding, version=payload.version
    )
    return _finding_out(finding)


@router.post("/findings/{finding_id}/return", response=FindingOut, summary="Return a finding")
def return_finding(request, finding_id: Id, payload: ReviewIn):
    require(request, Capability.VERIVALI_REVIEW)
    finding = get_object_or_404(Finding.objects.reviewable_by(request.user), pk=finding_id)
    finding = reviews.finding_return(
        by=api_actor(request), finding=finding, note=payload.note, version=payload.version
    )
    return _finding_out(finding)
