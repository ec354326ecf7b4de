"""Casework pages: households, caseloads, activities (the phone form), monthly reports and
follow-ups. Scope comes from the querysets (`visible_to`, `editable_by`); out of scope is 404."""

from __future__ import annotations

import html
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, area_scope, can
from pilar.accounts.decorators import capability_required
from pilar.audit.exports import ExportSpec, export_response
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework import selectors, services
from pilar.casework.forms import (
    ActivityFilterForm,
    ActivityForm,
    ReassignForm,
    StatusFilterForm,
    default_month,
)
from pilar.casework.models import (
    Activity,
    Household,
    HouseholdMember,
    Sector,
)
from pilar.casework.signals import groups_offered
from pilar.core.once import submit_once
from pilar.lib import params
from pilar.lib.paging import LargePaginator
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person

PAGE_SIZE = 50
# Above this many kelurahan, area tables show kecamatan and open one at a time.
FOLD_ROWS = 300


def _apply(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _attempt(request, call, success, *, level=messages.error) -> bool:
    """Run a service call from a POST: its refusals become messages (at `level`), its result
    the success message `success(result)`. Whether it went through."""
    try:
        result = call()
    except ValidationError as exc:
        for error in exc.messages:
            level(request, error)
        return False
    messages.success(request, success(result))
    return True


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


def _head_name():
    return Subquery(
        HouseholdMember.objects.filter(
            household=OuterRef("pk"), relation="head", left_on__isnull=True
        ).values("name")[:1]
    )


def _pillars_for(user, places):
    """Serving pillars the user may choose for households in `places` (kelurahan): those with a
    duty in the places' kecamatan or in an area above them (a city's Tagana), PSM of the
    kelurahan itself first. Never the whole registry: a province has tens of thousands."""
    places = list(places)
    if not places:
        return []
    kecamatan_codes = {a.code.rsplit(".", 1)[0] for a in places}
    above = {".".join(c.split(".")[: i + 1]) for c in kecamatan_codes for i in range(2)}
    duties = (
        Assignment.objects.active_on(services.today())
        .filter(person__in=Person.objects.visible_to(user))
        .filter(
            within_areas_q(Area.objects.filter(code__in=kecamatan_codes), "area")
            | Q(area__code__in=above)
        )
        .order_by("person__name")
        # Plain values, not model instances: a kecamatan has thousands of pillars.
        .values_list("person_id", "person__name", "kind__code", "area__name", "area_id")
    )
    home = places[0].pk if len(places) == 1 else None
    seen, first, rest = set(), [], []
    for person_id, name, kind, area_name, area_id in duties:
        if person_id in seen:
            continue
        seen.add(person_id)
        item = SimpleNamespace(pk=person_id, label=f"{name} · {kind} {area_name}")
        (first if kind == "PSM" and area_id == home else rest).append(item)
    return first + rest


# --- caseload --------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK_VIEW)
def caseload(request):
    """A pillar's own households; for those who assign, the households whose pillar left."""
    rows = None
    if request.user.person_id:
        rows = list(selectors.caseload_of(request.user.person_id))
    orphans = reassign = None
    if can(request.user, Capability.HOUSEHOLDS_EDIT):
        orphans = list(services.orphaned_caseloads(request.user)[:200])
        reassign = ReassignForm(
            pillars=_pillars_for(request.user, {c.household.area for c in orphans})
        )
    return render(
        request,
        "casework/caseload.html",
        {"rows": rows, "orphans": orphans, "reassign": reassign, "today": services.today()},
    )


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def caseload_reassign(request):
    chosen = request.POST.getlist("caseload")
    caseloads = list(
        services.orphaned_caseloads(request.user).filter(
            pk__in=params.parse_ids(chosen, "caseload")
        )
    )
    form = ReassignForm(
        request.POST, pillars=_pillars_for(request.user, {c.household.area for c in caseloads})
    )
    if not form.is_valid() or not caseloads:
        messages.error(request, _("Tick the households and choose the new pillar and the day."))
        return redirect("casework:caseload")
    person = get_object_or_404(
        Person.objects.visible_to(request.user), pk=form.cleaned_data["person"]
    )
    _attempt(
        request,
        lambda: services.caseload_reassign(
            by=Actor.from_request(request),
            caseloads=caseloads,
            person=person,
            start_date=form.cleaned_data["start_date"],
        ),
        lambda n: (
            ngettext(
                "%(n)d household now accompanied by %(name)s.",
                "%(n)d households now accompanied by %(name)s.",
                n,
            )
            % {"n": n, "name": person.name}
        ),
    )
    return redirect("casework:caseload")


# --- activities ------------------------------------------------------------------------------


def _activity_choices(request, day=None):
    person = request.user.person
    day = day or services.today()
    duties = list(services.active_duties(person, day)) if person else []
    households = (
        list(
            Household.objects.filter(caseloads__person=person, caseloads__end_date__isnull=True)
            .annotate(head_name=_head_name())
            .order_by("head_name")
        )
        if person
        else []
    )
    for h in households:
        h.label = f"{h.head_name or '—'} · KK {h.masked_kk}"
    # The KUBE groups of a Pendamping KUBE, from the kube app (pilar/casework/signals.py).
    groups = groups_offered(duties)
    return {"person": person, "households": households, "duties": duties, "groups": groups}


LAST_CHOICES = "casework_last_activity"


@capability_required(Capability.ACTIVITY_RECORD)
@submit_once
def activity_create(request):
    """The phone form: one screen; remembers the last type and category chosen."""
    if not request.user.person_id:
        raise PermissionDenied
    choices = _activity_choices(request)
    initial = dict(request.session.get(LAST_CHOICES, {}))
    household = params.parse_id(request.GET.get("household"), "household")
    if household is not None:
        initial["households"] = [household]
    form = ActivityForm(request.POST or None, request.FILES or None, initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["households"] = [h for h in choices["households"] if h.pk in set(data["households"])]
        try:
            activity = services.activity_record(
                by=Actor.from_request(request),
                person=request.user.person,
                data=data,
                photo=data.pop("photo", None),
                keep_location=data.pop("keep_location", False),
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            request.session[LAST_CHOICES] = {
                "activity_type": activity.activity_type_id,
                "need_category": activity.need_category_id,
            }
            messages.success(
                request,
                _("Saved: %(what)s on %(day)s.")
                % {"what": activity.activity_type.name, "day": activity.date.strftime("%d-%m-%Y")},
            )
            if "again" in request.POST:
                return redirect("casework:activity-create")
            return redirect("casework:my-reports")
    return render(request, "casework/activity_form.html", {"form": form, **choices})


def _activities(user, query):
    """(form, activities): the activity list of `user` filtered by the query string `query`,
    as the page shows it and its export holds."""
    form = ActivityFilterForm(query or None, user=user)
    activities = Activity.objects.visible_to(user).current()
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            activities = activities.filter(
                Q(person__name__icontains=d["q"]) | Q(notes__icontains=d["q"])
            )
        if d["month"]:
            activities = activities.filter(month=d["month"].replace(day=1))
        if d["sector"]:
            activities = activities.filter(sector=d["sector"])
        if d["activity_type"]:
            activities = activities.filter(activity_type=d["activity_type"])
        if d["area"]:
            activities = activities.filter(within_areas_q([d["area"]], "area"))
        if d["kind"]:
            activities = activities.filter(kind=d["kind"])
    person = params.parse_id(query.get("person"), "person")
    if person is not None:
        activities = activities.filter(person_id=person)
    activities = activities.select_related("person", "activity_type", "area", "kind").order_by(
        "-date", "-pk"
    )
    return form, activities


@capability_required(Capability.CASEWORK_VIEW)
def activity_list(request):
    form, activities = _activities(request.user, request.GET)
    fmt = request.GET.get("format")
    if fmt in {"xlsx", "csv"}:
        return export_response(
            request,
            "casework.activities",
            fmt,
            activities,
            lambda: _activity_export(activities),
        )
    # The newest first through the index on (date, id); households are counted for the page
    # shown only, never grouped over every activity (docs/PERFORMANCE.md).
    page = LargePaginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    _count_households(page.object_list)
    return render(
        request,
        "casework/activity_list.html",
        {"form": form, "page": page, "query": _query(request)},
    )


def _count_households(activities) -> None:
    """Set `household_count` on each of `activities` (a page of them) with one grouped query."""
    activities = list(activities)
    through = Activity.households.through
    counts = dict(
        through.objects.filter(activity_id__in=[a.pk for a in activities])
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )
    for a in activities:
        a.household_count = counts.get(a.pk, 0)


def _household_count():
    """The number of households of each activity, per row (a correlated count on the link
    table's index, not a GROUP BY over every activity)."""
    through = Activity.households.through
    return Coalesce(
        Subquery(
            through.objects.filter(activity_id=OuterRef("pk"))
            .order_by()
            .values("activity_id")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def activity_export(user, query, fmt) -> ExportSpec:
    """The activity list's export for a background job (pilar/audit/exports.py)."""
    return _activity_export(_activities(user, query)[1])


def _activity_export(activities) -> ExportSpec:
    headers = [
        _("Date"),
        _("Pillar"),
        _("Kind"),
        _("Area"),
        _("Sector"),
        _("Activity"),
        _("Households"),
        _("Notes"),
        _("Follow up on"),
    ]
    rows = (
        [
            a.date,
            a.person.name,
            a.kind.name,
            a.area.name,
            a.get_sector_display(),
            a.activity_type.name,
            a.household_count,
            a.notes,
            a.follow_up_on,
        ]
        for a in activities.annotate(household_count=_household_count()).iterator(chunk_size=2000)
    )
    return ExportSpec("activities", headers, rows, object_type="casework.activity")


def _visible_activity(request, pk) -> Activity:
    return get_object_or_404(
        Activity.objects.visible_to(request.user).select_related(
            "person", "activity_type", "area", "kind", "need_category", "kube_group"
        ),
        pk=pk,
    )


@capability_required(Capability.CASEWORK_VIEW)
def activity_detail(request, pk):
    activity = _visible_activity(request, pk)
    households = activity.households.visible_to(request.user).annotate(head_name=_head_name())
    own = request.user.person_id == activity.person_id
    locked = services.locked_report(activity.person_id, activity.kind_id, activity.month)
    return render(
        request,
        "casework/activity_detail.html",
        {
            "activity": activity,
            "households": households,
            "own": own,
            "locked": locked,
            "hidden_households": activity.households.count() - len(households),
        },
    )


@capability_required(Capability.CASEWORK_VIEW)
def activity_photo(request, pk):
    activity = _visible_activity(request, pk)
    if not activity.photo:
        raise Http404
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=activity,
        person=activity.person,
        note="photo",
    )
    return FileResponse(activity.photo.open("rb"), content_type="image/jpeg")


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def activity_cancel(request, pk):
    activity = _visible_activity(request, pk)
    _attempt(
        request,
        lambda: services.activity_cancel(
            by=Actor.from_request(request), activity=activity, reason=request.POST.get("reason", "")
        ),
        lambda _a: _("Activity cancelled."),
    )
    return redirect("casework:activity-detail", activity.pk)


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def follow_up_done(request, pk):
    activity = _visible_activity(request, pk)
    _attempt(
        request,
        lambda: services.follow_up_done(by=Actor.from_request(request), activity=activity),
        lambda _a: _("Follow-up marked done."),
    )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "casework:follow-ups"
    return redirect(target)


@capability_required(Capability.CASEWORK_VIEW)
def follow_ups(request):
    """Own follow-ups due; for coordinators and staff, the overdue ones in their area."""
    today = services.today()
    own = None
    if request.user.person_id:
        own = list(
            selectors.due_follow_ups(Activity.objects.filter(person_id=request.user.person_id))[
                :200
            ]
        )
    overdue = None
    if can(request.user, Capability.HOUSEHOLDS_EDIT):
        overdue_qs = selectors.due_follow_ups(
            Activity.objects.visible_to(request.user).exclude(person_id=request.user.person_id)
        ).filter(follow_up_on__lt=today)
        overdue = LargePaginator(overdue_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/follow_ups.html",
        {"own": own, "overdue": overdue, "today": today, "query": ""},
    )


# --- aggregates ------------------------------------------------------------------------------


@capability_required(Capability.HEADCOUNT_VIEW)
def summary(request):
    """Casework in figures, for leadership and viewers: no names, no households."""
    form = StatusFilterForm(request.GET or None, user=request.user)
    month = default_month()
    if form.is_valid() and form.cleaned_data["month"]:
        month = form.cleaned_data["month"].replace(day=1)
    areas = area_scope(request.user, Capability.HEADCOUNT_VIEW)
    (rows, total), computed_at = selectors.summary_kept(areas, month)
    # A province or the country has thousands of kelurahan: the table then shows each kecamatan
    # with a link that opens its kelurahan beneath it, instead of megabytes of rows.
    folded = sum(1 for r in rows if not r.kecamatan) > FOLD_ROWS
    opened = request.GET.get("open", "") if folded else ""
    if folded:
        shown, current = [], None
        for r in rows:
            if r.kecamatan:
                current = r.area.code
            if r.kecamatan or current == opened:
                shown.append(r)
        rows = shown
    top = max([total.by_sector.get(code, 0) for code, _label in Sector.choices] + [1])
    bars = [
        (code, label, total.by_sector.get(code, 0), round(100 * total.by_sector.get(code, 0) / top))
        for code, label in Sector.choices
    ]
    # The sector cells of each row built here in one pass: a province's table has hundreds of
    # rows of eight linked cells, slow through template loops and a {% url %} per cell.
    base = f"{reverse('casework:activity-list')}?month={month:%Y-%m}&sector="
    linked = can(request.user, Capability.CASEWORK_VIEW)
    for r in rows:
        cells = []
        for code, _label in Sector.choices:
            n = r.by_sector.get(code)
            if n is None:
                cells.append('<td class="num"></td>')
            elif linked:
                href = html.escape(f"{base}{code}&area={r.area.code}")
                cells.append(f'<td class="num"><a href="{href}">{n}</a></td>')
            else:
                cells.append(f'<td class="num">{n}</td>')
        r.sector_cells = mark_safe("".join(cells))  # noqa: S308 - codes and numbers, escaped
    return render(
        request,
        "casework/summary.html",
        {
            "form": form,
            "month": month,
            "rows": rows,
            "folded": folded,
            "opened": opened,
            "computed_at": computed_at,
            "total": total,
            "bars": bars,
            "sectors": Sector.choices,
            "linked": linked,
        },
    )
