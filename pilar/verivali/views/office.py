"""The office's verivali pages (docs/VERIVALI.md): the rounds, opening one, a round's progress
per kelurahan and per pillar (every figure opens its visits), the visit list (filtered,
exportable), assigning a visit, closing, and the results file for the ministry. The office's
roles and the coordinators follow a round within their areas; opening, assigning, closing and
the results are the office's (VERIVALI_RUN)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, area_scope, can
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.services import Actor, audit_export, audited_file_response
from pilar.casework.models import HouseholdMember
from pilar.lib import fields, params
from pilar.lib.exports import XLSX_TYPE
from pilar.lib.views import (
    after,
    attempt,
    form_errors_as_messages,
    form_page,
    list_page,
    refused,
)
from pilar.regions.models import Area
from pilar.registry.models import Assignment, Person
from pilar.verivali import exports, selectors, services
from pilar.verivali.forms import STATE_LABELS, AssignForm, CloseForm, RoundForm, VisitFilterForm
from pilar.verivali.models import Finding, Round, Visit


def follows_rounds(view):
    """The office's roles and the coordinators (a VERIVALI_VIEW grant over an area); a pillar
    has their own pages (views/field.py). Anonymous: to the login page; others: 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if area_scope(request.user, Capability.VERIVALI_VIEW) == []:
            raise PermissionDenied("no verivali.view over an area")
        return view(request, *args, **kwargs)

    return wrapped


@follows_rounds
def round_list(request):
    rounds = (
        Round.objects.visible_to(request.user)
        .annotate(total=Count("visits"))
        .order_by("-period_start", "-pk")
    )
    return render(
        request,
        "verivali/round_list.html",
        {"rounds": rounds, "can_run": can(request.user, Capability.VERIVALI_RUN)},
    )


@capability_required(Capability.VERIVALI_RUN)
@submit_once
def round_create(request):
    form = RoundForm(request.POST or None, user=request.user)
    return form_page(
        request,
        form,
        lambda data: services.round_open(by=Actor.from_request(request), data=data),
        success=lambda r: (
            _("Round %(name)s opened with %(n)s households to visit.")
            % {"name": r.name, "n": r.visits.count()}
        ),
        then=lambda r: reverse("verivali:round-detail", args=[r.pk]),
        template="verivali/round_form.html",
    )


def _figures():
    return [
        ("total", _("households")),
        ("visited", _("visited")),
        ("accepted", _("accepted")),
        ("returned", _("returned")),
        ("waiting", _("waiting")),
        ("outstanding", _("not visited")),
    ]


PILLARS_PER_PAGE = 50


def _linked(
    round: Round, progress: selectors.Progress, drill: str | None = None, within=None
) -> dict:
    """The progress table with every figure a link to the visits behind it (within the area
    opened, when one is); rows that group kelurahan (a kecamatan, a kab/kota…) also open the
    round's page one level down (`drill`)."""
    inside = {"area": within.pk} if within is not None else {}
    base = reverse("verivali:round-visits", args=[round.pk])

    def cells(row, filters: dict) -> list:
        out = []
        for key, _label in _figures():
            query = {**filters, **({"state": key} if key != "total" else {})}
            out.append((getattr(row, key), f"{base}?{urlencode(query)}" if query else base))
        return out

    name = "person" if progress.by == "person" else "area"
    grouped = progress.by == "area" and progress.level_depth < selectors.KELURAHAN_DEPTH
    rows = [
        (
            row.label,
            f"{drill}?area={row.key}" if grouped and drill and row.key else None,
            cells(row, {**inside, name: row.key if row.key is not None else 0}),
        )
        for row in progress.rows
    ]
    return {
        "by": progress.by,
        "rows": rows,
        "totals": cells(progress.totals, inside),
        "grouped": grouped,
    }


class WithinForm(forms.Form):
    area = fields.IntegerField(required=False, min_value=1, max_value=params.MAX_ID)
    page = fields.IntegerField(required=False, min_value=1, max_value=params.MAX_ID)


@follows_rounds
def round_detail(request, pk: int):
    """A round's progress: per area (kelurahan, or grouped a level up when there are many;
    ?area= opens one group) and per pillar (paged), every figure opening its visits."""
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=pk)
    user = request.user
    form = WithinForm(request.GET)
    if not form.is_valid():
        form_errors_as_messages(request, form)
        return refused(request, "verivali:round-detail", pk)
    within = None
    if form.cleaned_data["area"]:
        within = get_object_or_404(Area, pk=form.cleaned_data["area"])
    here = reverse("verivali:round-detail", args=[round.pk])
    by_area = selectors.grouped(
        selectors.progress(round, user, by="area", within=within), within=within
    )
    # At a country's scale a round has tens of thousands of pillars: the page shows 50, those
    # with the most households left to visit first, and names only those.
    by_person = selectors.progress(round, user, by="person", within=within, named=False)
    pages = Paginator(by_person.rows, PILLARS_PER_PAGE)
    page = pages.get_page(form.cleaned_data["page"] or 1)
    by_person.rows = selectors.name_pillars(list(page.object_list))
    query = urlencode({"area": within.pk}) if within else ""
    return render(
        request,
        "verivali/round_detail.html",
        {
            "round": round,
            "within": within,
            "above": _above(within),
            "by_area": _linked(round, by_area, here, within),
            "by_person": _linked(round, by_person, within=within),
            "page": page,
            "query": query,
            "unassigned": services.unassigned_count(round)
            if can(user, Capability.VERIVALI_RUN)
            else 0,
            "can_run": can(user, Capability.VERIVALI_RUN),
            "close_form": CloseForm(),
            "figures": _figures(),
        },
    )


def _above(within: Area | None) -> list[Area]:
    """The areas above `within` (for the way back up), top first."""
    if within is None:
        return []
    parts = within.code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts))]
    return list(Area.objects.filter(code__in=codes).order_by("code"))


def _head_name():
    return Subquery(
        HouseholdMember.objects.filter(
            household=OuterRef("household"), relation="head", left_on__isnull=True
        ).values("name")[:1]
    )


def _state(visit: Visit) -> str:
    finding = getattr(visit, "finding", None)
    if finding is None:
        return str(STATE_LABELS["outstanding"])
    if finding.status == Finding.Status.SUBMITTED:
        return str(STATE_LABELS["waiting"])
    return finding.get_status_display()


VISIT_HEADERS = [
    gettext_lazy("Kelurahan"),
    gettext_lazy("KK number"),
    gettext_lazy("Head of household"),
    gettext_lazy("Address"),
    gettext_lazy("Pillar"),
    gettext_lazy("State"),
    gettext_lazy("Finding"),
    gettext_lazy("Visited on"),
]


def _visit_row(v: Visit) -> list:
    finding = getattr(v, "finding", None)
    kk = v.household.masked_kk if v.household_id else v.proposed.get("kk_number", "")[:6] + "…"
    return [
        v.area.name,
        kk,
        v.head_name or (v.proposed.get("members") or [{}])[0].get("name", ""),
        v.household.address if v.household_id else v.proposed.get("address", ""),
        v.person.name if v.person_id else _("not assigned yet"),
        _state(v),
        finding.get_kind_display() if finding else "",
        finding.visited_on if finding else None,
    ]


@follows_rounds
def round_visits(request, pk: int):
    """The visits behind a figure of the round's page: ?area=&person=(0: not assigned)&state=."""
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=pk)
    form = VisitFilterForm(request.GET)

    def select():
        data = form.cleaned_data
        return selectors.visits(
            round, request.user, area=data["area"], person=data["person"], state=data["state"]
        ).annotate(head_name=_head_name())

    area = person = None
    if form.is_valid():
        if form.cleaned_data["area"]:
            area = Area.objects.filter(pk=form.cleaned_data["area"]).first()
        if form.cleaned_data["person"]:
            person = Person.objects.filter(pk=form.cleaned_data["person"]).first()

    def download(fmt, filename, headers, rows):
        return audited_file_response(
            request, fmt, filename, headers, rows, object_type="verivali.visit"
        )

    return list_page(
        request,
        form,
        select,
        name=f"verivali-{round.pk}-visits",
        headers=[str(h) for h in VISIT_HEADERS],
        export=lambda rows: (row for _visit, row in rows),
        template="verivali/round_visits.html",
        context={
            "round": round,
            "area": area,
            "person": person,
            "unassigned": form.is_valid() and form.cleaned_data["person"] == 0,
            "can_run": can(request.user, Capability.VERIVALI_RUN),
        },
        shown=lambda rows: ((v, _visit_row(v)) for v in rows),
        download=download,
    )


def _pillars_for(visit: Visit):
    """The pillars on duty in (or above) the visit's kelurahan during the round."""
    day = services._duty_day(visit.round.period_start, visit.round.period_end)
    parts = visit.area.code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    on_duty = Assignment.objects.active_on(day).filter(area__code__in=codes)
    return Person.objects.filter(pk__in=on_duty.values("person_id")).order_by("name")


@capability_required(Capability.VERIVALI_RUN)
@submit_once
def visit_assign(request, pk: int):
    visit = get_object_or_404(
        Visit.objects.visible_to(request.user).select_related("round", "area", "household"),
        pk=pk,
    )
    form = AssignForm(request.POST or None, people=_pillars_for(visit))
    back = reverse("verivali:round-visits", args=[visit.round_id]) + "?person=0"
    return form_page(
        request,
        form,
        lambda data: services.visit_assign(
            by=Actor.from_request(request), visit=visit, person=data["person"]
        ),
        success=lambda v: _("The visit is given to %(name)s.") % {"name": v.person.name},
        then=lambda v: back,
        template="verivali/round_assign.html",
        context={"visit": visit, "back": back},
    )


@require_POST
@capability_required(Capability.VERIVALI_RUN)
@submit_once
def round_close(request, pk: int):
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return after(request, form_errors_as_messages(request, form), "verivali:round-detail", pk)
    outcome = attempt(
        request,
        lambda: services.round_close(
            by=Actor.from_request(request), round=round, force=form.cleaned_data["force"]
        ),
        success=_("The round is closed."),
    )
    return after(request, outcome, "verivali:round-detail", pk)


@capability_required(Capability.VERIVALI_RUN)
def round_results(request, pk: int):
    """The results file for the ministry (full NIKs): the download is audited."""
    round = get_object_or_404(Round.objects.visible_to(request.user), pk=pk)
    content, count = exports.results_workbook(round, request.user)
    audit_export(request, object_type="verivali.results", count=count, note=f"round {round.pk}")
    response = HttpResponse(content, content_type=XLSX_TYPE)
    name = f"verivali-{round.pk}-hasil-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
