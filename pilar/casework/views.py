"""Casework pages: households, caseloads, activities (the phone form), monthly reports and
follow-ups. Scope comes from the querysets (`visible_to`, `editable_by`); out of scope is 404."""

from __future__ import annotations

import html
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape
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
from pilar.casework.access import may_decide
from pilar.casework.forms import (
    ActivityFilterForm,
    ActivityForm,
    CaseloadEndForm,
    CaseloadForm,
    HeadForm,
    HouseholdFilterForm,
    HouseholdForm,
    MemberForm,
    MemberLeaveForm,
    ReasonForm,
    ReassignForm,
    StatusFilterForm,
    SubmitForm,
    default_month,
)
from pilar.casework.models import (
    Activity,
    Caseload,
    Household,
    HouseholdMember,
    KKChange,
    MonthlyReport,
    Sector,
)
from pilar.core.once import submit_once
from pilar.lib import params
from pilar.lib.exports import file_response
from pilar.lib.months import add_months, month_end
from pilar.lib.paging import LargePaginator
from pilar.regions.models import Area, within_areas_q
from pilar.registry.models import Assignment, Person, PillarKind

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


# --- households ------------------------------------------------------------------------------


def _households(user, params):
    """(form, households): the household list of `user` filtered by `params` (the query
    string), as the page shows it and its export holds."""
    form = HouseholdFilterForm(params or None, user=user)
    households = Household.objects.visible_to(user)
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            # A KK number is found only whole (current or former): a prefix search would let
            # anyone who sees the masked number recover it digit by digit.
            q = d["q"].strip()
            kk = "".join(ch for ch in q if ch.isdigit())
            # One set of ids (a UNION) from the member-name search (a trigram index on
            # PostgreSQL) and the exact references, each on its own index; not a join with
            # DISTINCT over every member, nor an OR that reads every household.
            ids = [
                HouseholdMember.objects.filter(name__icontains=q, left_on__isnull=True)
                .order_by()
                .values("household_id"),
                Household.objects.filter(dtsen_id=q).order_by().values("pk"),
            ]
            if len(kk) == 16:
                ids.append(Household.objects.filter(kk_number=kk).order_by().values("pk"))
                ids.append(KKChange.objects.filter(kk_number=kk).order_by().values("household_id"))
            households = households.filter(pk__in=ids[0].union(*ids[1:]))
        if d["area"]:
            households = households.filter(within_areas_q([d["area"]], "area"))
        if d["decile"]:
            households = households.filter(decile__lte=d["decile"])
        if d["category"]:
            households = households.filter(categories=d["category"])
        if d["status"]:
            households = households.filter(status=d["status"])
        if d["unassigned"]:
            households = households.exclude(
                Exists(Caseload.objects.filter(household=OuterRef("pk"), end_date__isnull=True))
            )
    pillar = Caseload.objects.filter(household=OuterRef("pk"), end_date__isnull=True).values(
        "person__name"
    )[:1]
    households = (
        households.select_related("area")
        .annotate(head_name=_head_name(), pillar_name=Subquery(pillar))
        .order_by("area__code", "kk_number")
    )
    return form, households


@capability_required(Capability.CASEWORK_VIEW)
def household_list(request):
    form, households = _households(request.user, request.GET)
    fmt = request.GET.get("format")
    if fmt in {"xlsx", "csv"}:
        return export_response(
            request,
            "casework.households",
            fmt,
            households,
            lambda: _household_export(households),
        )
    page = LargePaginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/household_list.html",
        {
            "form": form,
            "page": page,
            "rows": household_rows_html(page),
            "query": _query(request),
        },
    )


def household_rows_html(households) -> str:
    """The list's rows, written here rather than in a template loop with a {% url %} per row
    (docs/PERFORMANCE.md, "Load"); the phone layout's column names are translated once. Every
    value is escaped (`conditional_escape`, as the template would)."""
    esc = conditional_escape
    labels = [
        esc(_(label))
        for label in ("Head of household", "KK", "Kelurahan", "Decile", "Pillar", "Status")
    ]
    detail = reverse("casework:household-detail", args=[0]).removesuffix("0/")
    out = []
    for h in households:
        out.append(
            f'<tr>\n    <td data-label="{labels[0]}"><a href="{detail}{h.pk}/">'
            f"{esc(h.head_name or '—')}</a></td>\n"
            f'    <td data-label="{labels[1]}" class="mono">{esc(h.masked_kk)}</td>\n'
            f'    <td data-label="{labels[2]}">{esc(h.area.name)}</td>\n'
            f'    <td data-label="{labels[3]}" class="num">{esc(h.decile or "—")}</td>\n'
            f'    <td data-label="{labels[4]}">{esc(h.pillar_name or "—")}</td>\n'
            f'    <td data-label="{labels[5]}">{esc(h.get_status_display())}</td>\n  </tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - built from escaped parts above


def household_export(user, params, fmt) -> ExportSpec:
    """The household list's export for a background job (pilar/audit/exports.py)."""
    return _household_export(_households(user, params)[1])


def _household_export(households) -> ExportSpec:
    headers = [
        _("KK number"),
        _("Head of household"),
        _("Kelurahan"),
        _("Address"),
        _("DTSEN/DTKS reference"),
        _("Welfare decile"),
        _("PMKS categories"),
        _("Status"),
        _("Pillar"),
    ]
    households = households.prefetch_related("categories")
    rows = (
        [
            h.masked_kk,
            h.head_name or "",
            h.area.name,
            h.address,
            h.dtsen_id,
            h.decile,
            "; ".join(c.name for c in h.categories.all()),
            h.get_status_display(),
            h.pillar_name or "",
        ]
        for h in households.iterator(chunk_size=2000)
    )
    return ExportSpec("households", headers, rows, object_type="casework.household")


def _visible_household(request, pk) -> Household:
    return get_object_or_404(Household.objects.visible_to(request.user), pk=pk)


@capability_required(Capability.CASEWORK_VIEW)
def household_detail(request, pk):
    household = _visible_household(request, pk)
    editable = Household.objects.editable_by(request.user).filter(pk=pk).exists()
    members = list(household.members.all())
    caseloads = list(household.caseloads.select_related("person"))
    activities = list(
        household.activities.current()
        .visible_to(request.user)
        .select_related("person", "activity_type")[:20]
    )
    return render(
        request,
        "casework/household_detail.html",
        {
            "household": household,
            "editable": editable,
            "members": [m for m in members if not m.left_on],
            "former": [m for m in members if m.left_on],
            "caseloads": caseloads,
            "current": next((c for c in caseloads if c.end_date is None), None),
            "activities": activities,
            "kk_history": list(household.kk_history.all()),
            "categories": list(household.categories.all()),
            "member_form": MemberForm(prefix="m"),
            "caseload_form": CaseloadForm(
                prefix="c", pillars=_pillars_for(request.user, [household.area]) if editable else ()
            ),
            "sectors": Sector,
        },
    )


@capability_required(Capability.HOUSEHOLDS_EDIT)
def household_create(request):
    form = HouseholdForm(request.POST or None, user=request.user)
    head = HeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and head.is_valid():
        try:
            household = services.household_create(
                by=Actor.from_request(request), data=form.cleaned_data, head=head.member_data()
            )
        except ValidationError as exc:
            if _head_error(exc):
                _apply_head(head, form, exc)
            else:
                _apply(form, exc)
        else:
            messages.success(request, _("Household registered."))
            return redirect("casework:household-detail", household.pk)
    return render(request, "casework/household_form.html", {"form": form, "head": head})


def _head_error(exc) -> bool:
    return hasattr(exc, "error_dict") and bool(
        set(exc.error_dict) & {"nik", "name", "sex", "birth_date", "relation"}
    )


def _apply_head(head, form, exc) -> None:
    for field, errors in exc.error_dict.items():
        target = f"head_{field}"
        if target in head.fields:
            head.add_error(target, errors)
        else:
            form.add_error(field if field in form.fields else None, errors)


@capability_required(Capability.HOUSEHOLDS_EDIT)
def household_edit(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = HouseholdForm(request.POST or None, user=request.user, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                by=Actor.from_request(request), household=household, data=dict(form.cleaned_data)
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Household saved."))
            return redirect("casework:household-detail", household.pk)
    return render(request, "casework/household_form.html", {"form": form, "household": household})


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def member_add(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = MemberForm(request.POST, prefix="m")
    if form.is_valid():
        _attempt(
            request,
            lambda: services.member_add(
                by=Actor.from_request(request), household=household, data=form.cleaned_data
            ),
            lambda _member: _("Member added."),
        )
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    return redirect("casework:household-detail", household.pk)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def member_leave(request, pk):
    member = get_object_or_404(
        HouseholdMember.objects.filter(household__in=Household.objects.editable_by(request.user)),
        pk=pk,
    )
    form = MemberLeaveForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.member_leave(
                by=Actor.from_request(request),
                member=member,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["left_reason"],
            ),
            lambda m: _("%(name)s left the household.") % {"name": m.name},
        )
    else:
        messages.error(request, _("Give the day the member left and the reason."))
    return redirect("casework:household-detail", member.household_id)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def caseload_assign(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    pillars = _pillars_for(request.user, [household.area])
    form = CaseloadForm(request.POST, prefix="c", pillars=pillars)
    if form.is_valid():
        person = get_object_or_404(
            Person.objects.visible_to(request.user), pk=form.cleaned_data["person"]
        )
        _attempt(
            request,
            lambda: services.caseload_assign(
                by=Actor.from_request(request),
                household=household,
                person=person,
                start_date=form.cleaned_data["start_date"],
                confirm=form.cleaned_data["confirm"],
            ),
            lambda _c: _("%(name)s now accompanies this household.") % {"name": person.name},
            level=messages.warning,
        )
    else:
        messages.error(request, _("Choose a pillar and the first day."))
    return redirect("casework:household-detail", household.pk)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def caseload_end(request, pk):
    caseload = get_object_or_404(
        Caseload.objects.filter(household__in=Household.objects.editable_by(request.user)),
        pk=pk,
    )
    form = CaseloadEndForm(request.POST)
    if form.is_valid():
        _attempt(
            request,
            lambda: services.caseload_end(
                by=Actor.from_request(request),
                caseload=caseload,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["end_reason"],
            ),
            lambda _c: _("The accompaniment has ended."),
        )
    else:
        messages.error(request, _("Give the last day of accompaniment and the reason."))
    return redirect("casework:household-detail", caseload.household_id)


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
    groups = []
    if any(d.kind.code == "PENDAMPING_KUBE" for d in duties):
        from pilar.kube.models import KubeGroup

        areas = [d.area for d in duties if d.kind.code == "PENDAMPING_KUBE"]
        groups = list(KubeGroup.objects.filter(within_areas_q(areas, "area"), status="active"))
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


# --- monthly reports -------------------------------------------------------------------------


MY_REPORTS_MONTHS = 6


@capability_required(Capability.CASEWORK_VIEW)
def my_reports(request):
    """A pillar's months: six months per kind of duty, with the figures so far and the submit
    button; by default this month and the five before, `?month=YYYY-MM` the six ending then
    (never after this month), with links to the six before and after."""
    if not request.user.person_id:
        return redirect("casework:report-status")
    person = request.user.person
    today = services.today()
    current = services.month_start(today)
    month = params.parse_month(request.GET.get("month"), "month", default=current)
    if month > current:
        raise params.InputError(
            "month",
            _("month: choose %(current)s or an earlier month (got %(value)s).")
            % {"current": f"{current:%Y-%m}", "value": f"{month:%Y-%m}"},
        )
    first = add_months(month, 1 - MY_REPORTS_MONTHS)
    earlier = add_months(month, -MY_REPORTS_MONTHS)
    began = person.assignments.order_by("start_date").values_list("start_date", flat=True).first()
    rows = selectors.monthly_status(request.user, month, months=MY_REPORTS_MONTHS, on=today)
    rows = [r for r in rows if r.person_id == person.pk]
    months = []
    for row in rows:
        for cell in reversed(row.cells):
            if cell.status == selectors.NOT_SERVING:
                continue
            figures = services.compile_month(person.pk, row.kind_id, cell.month)
            months.append(
                SimpleNamespace(
                    row=row,
                    cell=cell,
                    figures=figures,
                    can_submit=cell.status
                    in {selectors.MISSING, selectors.LATE, "returned", "reopened"},
                    form=SubmitForm(initial={"kind": row.kind_id, "month": cell.month}),
                    due=services.report_due(cell.month),
                )
            )
    reports = {
        r.pk: r
        for r in MonthlyReport.objects.filter(
            person=person, pk__in=[m.cell.report_id for m in months]
        )
    }
    for m in months:
        m.report = reports.get(m.cell.report_id)
    return render(
        request,
        "casework/my_reports.html",
        {
            "months": months,
            "sectors": Sector.choices,
            "today": today,
            "first": first,
            "last": month,
            # The six before, while the pillar served then and the month can be asked for.
            "earlier": earlier
            if began and began < first and earlier.year >= params.MIN_YEAR
            else None,
            "later": (
                min(add_months(month, MY_REPORTS_MONTHS), current) if month < current else None
            ),
        },
    )


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def report_submit(request):
    form = SubmitForm(request.POST)
    if not form.is_valid() or not request.user.person_id:
        messages.error(request, _("Choose the month to submit."))
        return redirect("casework:my-reports")
    _attempt(
        request,
        lambda: services.report_submit(
            by=Actor.from_request(request),
            person=request.user.person,
            kind=form.cleaned_data["kind"],
            month=form.cleaned_data["month"],
            notes=form.cleaned_data["notes"],
        ),
        lambda report: (
            _("Report for %(month)s submitted; your coordinator will verify it.")
            % {"month": services.month_label(report.month)}
        ),
    )
    return redirect("casework:my-reports")


@capability_required(Capability.CASEWORK_VIEW)
def report_status(request):
    """Who has reported: pillars × six months, for a coordinator's kecamatan or the office."""
    form = StatusFilterForm(request.GET or None, user=request.user)
    month = default_month()
    area = kind = None
    if form.is_valid():
        month = (form.cleaned_data["month"] or month).replace(day=1)
        area, kind = form.cleaned_data["area"], form.cleaned_data["kind"]
    if area is None and _too_wide_for_status(request.user, month, kind):
        # The office-wide table of a province or the country would list hundreds of thousands
        # of pillars: one kecamatan (or smaller) at a time; the figures are on /casework/.
        return render(
            request,
            "casework/report_status.html",
            {"form": form, "month": month, "too_wide": MAX_STATUS_DUTIES},
        )
    fmt = request.GET.get("format")
    if fmt in {"xlsx", "csv"}:
        rows = selectors.monthly_status(request.user, month, months=6, area=area, kind=kind)
        return _export_status(rows, fmt)
    per_page = STATUS_PAGE_SIZES.get(request.GET.get("per_page", ""), STATUS_PAGE_SIZE)
    pairs = selectors.status_pairs(request.user, month, area=area, kind=kind)
    page = Paginator(pairs, per_page).get_page(request.GET.get("page"))
    rows = selectors.monthly_status(
        request.user, month, months=6, area=area, kind=kind, pairs=list(page.object_list)
    )
    names = STATUS_LABELS()
    late = " (" + _("late") + ")"
    labels = {k: html.escape(v) for k, v in names.items()}
    labels |= {(k, "late"): html.escape(v + late) for k, v in names.items()}
    texts: dict[int, str] = {}
    links = (
        reverse("casework:report-detail", args=[0]).removesuffix("0/"),
        reverse("casework:activity-list"),
    )
    for row in rows:
        row.html = status_row_html(row, labels, links, texts)
    totals = selectors.status_totals(request.user, month, area=area, kind=kind)
    return render(
        request,
        "casework/report_status.html",
        {
            "form": form,
            "rows": rows,
            "months": selectors.months_ending(month, 6),
            "month": month,
            "totals": [(status, names[status], n) for status, n in totals.items()],
            "page": page,
            "per_page": per_page,
            "query": _query(request),
        },
    )


# Without an area, the status table lists the user's whole scope only up to this many duties in
# its six months (a city has a few hundred; a country close to a million).
MAX_STATUS_DUTIES = 5000


def _too_wide_for_status(user, month, kind) -> bool:
    window = selectors.months_ending(month, 6)
    duties = selectors.status_duties(user, window[0], month_end(window[-1]), kind=kind)
    return duties.order_by()[: MAX_STATUS_DUTIES + 1].count() > MAX_STATUS_DUTIES


# Pillars per page of the status table (a kecamatan has ~100–170); `per_page=200` shows more.
STATUS_PAGE_SIZE = 50
STATUS_PAGE_SIZES = {"50": 50, "200": 200}


def status_row_html(row, labels: dict[str, str], links: tuple[str, str], texts: dict) -> str:
    """One row of the status table, newest month first, built here rather than in the template:
    a kecamatan has ~170 pillars × 6 months, and a template loop with two {% url %} per cell was
    most of the page's time (docs/PERFORMANCE.md). Every text is escaped (`html.escape`: the
    names come from the registry); `texts` caches the "N activities" wording per N."""
    report_url, activity_url = links
    kind = html.escape(row.kind_code)
    out = [
        f'<th scope="row">{html.escape(row.name)}<br><small class="muted"><span class="tag">'
        f"{kind}</span> {html.escape(row.area_name)}</small></th>"
    ]
    for cell in reversed(row.cells):
        label = labels[
            cell.status
            if not (cell.late and cell.status != selectors.LATE)
            else (cell.status, "late")
        ]
        if cell.report_id:
            label = f'<a href="{report_url}{cell.report_id}/">{label}</a>'
        count = ""
        if cell.status != selectors.NOT_SERVING:
            n = cell.activities
            if n not in texts:
                texts[n] = html.escape(ngettext("%(n)d activity", "%(n)d activities", n) % {"n": n})
            count = (
                f'<br><small><a href="{activity_url}?month={cell.month:%Y-%m}&amp;'
                f'person={row.person_id}&amp;kind={kind}">{texts[n]}</a></small>'
            )
        out.append(
            f'<td class="cell badge-{cell.status}" '
            f'data-testid="cell-{row.person_id}-{cell.month:%Y-%m}">{label}{count}</td>'
        )
    return mark_safe("".join(out))  # noqa: S308 - built from escaped parts above


def STATUS_LABELS() -> dict[str, str]:  # noqa: N802 - a table, built in the reader's language
    return {
        **{k: str(v) for k, v in MonthlyReport.Status.choices},
        selectors.MISSING: _("Not yet submitted"),
        selectors.LATE: _("Late: not submitted"),
        selectors.NOT_DUE: _("Not due"),
        selectors.NOT_SERVING: _("Not serving"),
    }


def _export_status(rows, fmt):
    labels = STATUS_LABELS()
    months = [c.month for c in rows[0].cells] if rows else []
    headers = [_("Pillar"), _("Kind"), _("Area")]
    kinds = dict(PillarKind.objects.values_list("pk", "name"))  # documents name kinds
    for m in months:
        headers += [m.strftime("%Y-%m"), _("%(month)s activities") % {"month": m.strftime("%Y-%m")}]
    out = []
    for r in rows:
        line = [r.name, kinds[r.kind_id], r.area_name]
        for c in r.cells:
            label = labels[c.status]
            if c.late and c.status != selectors.LATE:
                label += " (" + _("late") + ")"
            line += [label, c.activities]
        out.append(line)
    return file_response(fmt, "report-status", headers, out)


def _visible_report(request, pk) -> MonthlyReport:
    return get_object_or_404(
        MonthlyReport.objects.visible_to(request.user).select_related(
            "person", "kind", "area", "decided_by"
        ),
        pk=pk,
    )


@capability_required(Capability.CASEWORK_VIEW)
def report_detail(request, pk):
    report = _visible_report(request, pk)
    # Whoever may see the report sees the activities its figures were computed from (a pillar
    # who moved mid-month reports to the new kecamatan what they did in the old one).
    activities = (
        Activity.objects.filter(person=report.person, kind=report.kind, month=report.month)
        .select_related("activity_type")
        .annotate(household_count=Count("households"))
        .order_by("date", "pk")
    )
    return render(
        request,
        "casework/report_detail.html",
        {
            "report": report,
            "activities": activities,
            "may_decide": may_decide(request.user, report),
            "may_reopen": can(request.user, Capability.REPORTS_REOPEN),
            "sector_counts": [
                (label, report.summary.get("by_sector", {}).get(code, 0))
                for code, label in Sector.choices
            ],
            "due": services.report_due(report.month),
            "late": selectors.is_late(report.first_submitted_at, report.month),
            "reason_form": ReasonForm(),
        },
    )


def _decision(request, pk, to: str):
    """Verify, return or reopen: one service, the transition named by the target status."""
    report = _visible_report(request, pk)
    _attempt(
        request,
        lambda: services.report_decide(
            by=Actor.from_request(request),
            report=report,
            to=to,
            reason=request.POST.get("reason", ""),
        ),
        lambda _r: DECIDED[to](),
    )
    return redirect("casework:report-detail", report.pk)


DECIDED = {
    MonthlyReport.Status.VERIFIED: lambda: _("Report verified; the month is locked."),
    MonthlyReport.Status.RETURNED: lambda: _("Report returned to the pillar with your reason."),
    MonthlyReport.Status.REOPENED: lambda: _("Month reopened; the pillar can add and resubmit."),
}


@require_POST
@capability_required(Capability.REPORTS_VERIFY)
def report_verify(request, pk):
    # Verifying locks the month (docs/CASEWORK.md): the page asks the coordinator to tick that
    # they have checked it, and a POST without the tick verifies nothing.
    if request.POST.get("confirm") != "yes":
        report = _visible_report(request, pk)
        messages.error(
            request,
            _(
                "Tick “I have checked the activities and figures of this month” to verify: "
                "verifying locks the month."
            ),
        )
        return redirect("casework:report-detail", report.pk)
    return _decision(request, pk, MonthlyReport.Status.VERIFIED)


@require_POST
@capability_required(Capability.REPORTS_VERIFY)
def report_return(request, pk):
    return _decision(request, pk, MonthlyReport.Status.RETURNED)


@require_POST
@capability_required(Capability.REPORTS_REOPEN)
def report_reopen(request, pk):
    response = _decision(request, pk, MonthlyReport.Status.REOPENED)
    report = _visible_report(request, pk)
    if report.status == MonthlyReport.Status.REOPENED:
        _warn_if_paid(request, report)
    return response


def _warn_if_paid(request, report) -> None:
    """Reopening does not touch money: say so when the month is paid or in a batch."""
    from pilar.stipends.models import StipendLine

    line = (
        StipendLine.objects.holding()
        .filter(person_id=report.person_id, kind_id=report.kind_id, month=report.month)
        .select_related("batch")
        .first()
    )
    if line is None:
        return
    if line.status == StipendLine.Status.PAID:
        messages.warning(
            request,
            _(
                "The tali kasih for this month was already paid (%(batch)s). Reopening does not "
                "undo the payment; finance can reverse it if it was wrong."
            )
            % {"batch": line.batch.title},
        )
    else:
        messages.warning(
            request,
            _(
                "The tali kasih for this month is waiting in “%(batch)s”: that batch cannot be "
                "approved until the report is verified again or the line is removed."
            )
            % {"batch": line.batch.title},
        )
