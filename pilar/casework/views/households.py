"""Household pages: the list (filterable, exportable), one household with its members and
caseloads, creating and editing it, members joining and leaving, assigning and ending a
caseload; a pillar's own caseload and the reassignment of households whose pillar left. Scope
comes from the querysets (`visible_to`, `editable_by`); out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, can
from pilar.accounts.decorators import capability_required
from pilar.audit.exports import ExportSpec, export_response
from pilar.audit.services import Actor
from pilar.casework import cohorts, notes, selectors, services
from pilar.casework.forms import (
    CaseloadEndForm,
    CaseloadForm,
    HeadForm,
    HouseholdFilterForm,
    HouseholdForm,
    HouseholdNoteForm,
    MemberForm,
    MemberLeaveForm,
    ReassignForm,
)
from pilar.casework.models import (
    Caseload,
    Household,
    HouseholdMember,
    KKChange,
    Sector,
)
from pilar.casework.views.common import PAGE_SIZE, head_name, pillars_for
from pilar.lib import params
from pilar.lib.exports import export_format
from pilar.lib.paging import LargePaginator
from pilar.lib.params import parse_date
from pilar.lib.views import (
    after,
    attempt,
    form_errors_as_messages,
    form_page,
    page_status,
    query_without_page,
    refused,
)
from pilar.regions.models import within_areas_q
from pilar.registry.models import Assignment, Person

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
        outcome = any(d[name] for name in HouseholdFilterForm.OUTCOME_FILTERS)
        if outcome:
            households = _outcome_filters(households, d)
        if d["category"] and outcome and d["closed"]:
            # Behind "cases closed by PMKS category": the category held on closing.
            households = cohorts.closed_holding(households, d["category"].pk)
        elif d["category"]:
            households = households.filter(categories=d["category"])
        if d["status"]:
            households = households.filter(status=d["status"])
        if d["unassigned"]:
            households = households.exclude(
                Exists(Caseload.objects.filter(household=OuterRef("pk"), end_date__isnull=True))
            )
    if params.get("unserved"):
        # The kinerja flag (docs/KINERJA.md): active households whose pillar holds no duty
        # on the day `on` (today by default), or accompanied by nobody.
        day = parse_date(params.get("on"), "on", default=services.today())
        served = Caseload.objects.active_on(day).filter(
            household=OuterRef("pk"),
            person_id__in=Assignment.objects.active_on(day).values("person_id"),
        )
        households = households.filter(status=Household.Status.ACTIVE).exclude(Exists(served))
    if params.get("caseload_on"):
        # Behind kinerja's "households in a caseload" (docs/KINERJA.md): in one on that day.
        day = parse_date(params.get("caseload_on"), "caseload_on")
        households = households.filter(
            Exists(Caseload.objects.active_on(day).filter(household=OuterRef("pk")))
        )
    pillar = Caseload.objects.filter(household=OuterRef("pk"), end_date__isnull=True).values(
        "person__name"
    )[:1]
    households = (
        households.select_related("area")
        .annotate(head_name=head_name(), pillar_name=Subquery(pillar))
        .order_by("area__code", "kk_number")
    )
    return form, households


def _outcome_filters(households, d: dict):
    """The households behind an outcome figure (pilar/casework/cohorts.py)."""
    households = cohorts.outcome_households(households, d["as_of"] or services.today())
    if d["accompanied"]:
        households = households.filter(group=d["accompanied"])
    if d["decile_change"]:
        households = households.filter(decile_change=d["decile_change"])
    if d["poorest"]:
        households = households.filter(poorest=d["poorest"])
    if d["closed"] == cohorts.Closure.ANY:
        households = households.filter(closed_on__isnull=False)
    elif d["closed"]:
        households = households.filter(closure=d["closed"])
    return households


@capability_required(Capability.CASEWORK_VIEW)
def household_list(request):
    form, households = _households(request.user, request.GET)
    fmt = export_format(request)
    if fmt:
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
            "query": query_without_page(request),
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


NOTES_SHOWN = 20


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
    current = next((c for c in caseloads if c.end_date is None), None)
    # The pillar who accompanies the household writes notes on it (online here, or from the
    # phone's outbox: docs/FIELD.md).
    may_note = (
        current is not None
        and current.person_id == request.user.person_id
        and can(request.user, Capability.ACTIVITY_RECORD)
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
            "current": current,
            "activities": activities,
            "notes": list(household.notes.select_related("person")[:NOTES_SHOWN]),
            "note_form": HouseholdNoteForm(prefix="n") if may_note else None,
            "kk_history": list(household.kk_history.all()),
            "categories": list(household.categories.all()),
            "member_form": MemberForm(prefix="m"),
            "caseload_form": CaseloadForm(
                prefix="c", pillars=pillars_for(request.user, [household.area]) if editable else ()
            ),
            "sectors": Sector,
        },
    )


@capability_required(Capability.HOUSEHOLDS_EDIT)
def household_create(request):
    form = HouseholdForm(request.POST or None, user=request.user)
    head = HeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and head.is_valid():
        done = attempt(
            request,
            lambda: services.household_create(
                by=Actor.from_request(request), data=form.cleaned_data, head=head.member_data()
            ),
            form=HouseholdWithHead(form, head),
            success=_("Household registered."),
        )
        if done:
            return redirect("casework:household-detail", done.result.pk)
    return render(
        request,
        "casework/household_form.html",
        {"form": form, "head": head},
        status=page_status(request),
    )


class HouseholdWithHead:
    """The household form and its head's form as one, for `attempt`: a refusal about the head
    (their NIK, name, sex, birth date or relation) goes on the head's field."""

    HEAD = {"nik", "name", "sex", "birth_date", "relation"}

    def __init__(self, form, head):
        self.form, self.head = form, head
        self.fields = {**form.fields, **{f: None for f in self.HEAD if f"head_{f}" in head.fields}}

    def add_error(self, field, errors) -> None:
        if field in self.HEAD and f"head_{field}" in self.head.fields:
            self.head.add_error(f"head_{field}", errors)
        else:
            self.form.add_error(field, errors)


@capability_required(Capability.HOUSEHOLDS_EDIT)
def household_edit(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = HouseholdForm(request.POST or None, user=request.user, household=household)
    return form_page(
        request,
        form,
        lambda data: services.household_update(
            by=Actor.from_request(request), household=household, data=dict(data)
        ),
        success=_("Household saved."),
        then=lambda _saved: reverse("casework:household-detail", args=[household.pk]),
        template="casework/household_form.html",
        context={"household": household},
    )


@require_POST
@capability_required(Capability.ACTIVITY_RECORD)
def note_add(request, pk):
    """A note on a household, by the pillar who accompanies it."""
    household = _visible_household(request, pk)
    if not request.user.person_id:
        raise PermissionDenied
    form = HouseholdNoteForm(request.POST, prefix="n")
    if form.is_valid():
        done = attempt(
            request,
            lambda: notes.household_note_add(
                by=Actor.from_request(request),
                person=request.user.person,
                household=household,
                data=form.cleaned_data,
            ),
            success=_("Note saved."),
        )
    else:
        done = form_errors_as_messages(request, form)
    if done:
        return redirect(reverse("casework:household-detail", args=[household.pk]) + "#notes")
    return refused(request, "casework:household-detail", household.pk)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def member_add(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    form = MemberForm(request.POST, prefix="m")
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.member_add(
                by=Actor.from_request(request), household=household, data=form.cleaned_data
            ),
            success=_("Member added."),
        )
    else:
        done = form_errors_as_messages(request, form)
    return after(request, done, "casework:household-detail", household.pk)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def member_leave(request, pk):
    member = get_object_or_404(
        HouseholdMember.objects.filter(household__in=Household.objects.editable_by(request.user)),
        pk=pk,
    )
    form = MemberLeaveForm(request.POST)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.member_leave(
                by=Actor.from_request(request),
                member=member,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["left_reason"],
            ),
            success=lambda m: _("%(name)s left the household.") % {"name": m.name},
        )
    else:
        messages.error(request, _("Give the day the member left and the reason."))
        return refused(request, "casework:household-detail", member.household_id)
    return after(request, done, "casework:household-detail", member.household_id)


@require_POST
@capability_required(Capability.HOUSEHOLDS_EDIT)
def caseload_assign(request, pk):
    household = get_object_or_404(Household.objects.editable_by(request.user), pk=pk)
    pillars = pillars_for(request.user, [household.area])
    form = CaseloadForm(request.POST, prefix="c", pillars=pillars)
    if form.is_valid():
        person = get_object_or_404(
            Person.objects.visible_to(request.user), pk=form.cleaned_data["person"]
        )
        attempt(
            request,
            lambda: services.caseload_assign(
                by=Actor.from_request(request),
                household=household,
                person=person,
                start_date=form.cleaned_data["start_date"],
                confirm=form.cleaned_data["confirm"],
            ),
            success=_("%(name)s now accompanies this household.") % {"name": person.name},
            level=messages.warning,
        )
    else:
        messages.error(request, _("Choose a pillar and the first day."))
        return refused(request, "casework:household-detail", household.pk)
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
        done = attempt(
            request,
            lambda: services.caseload_end(
                by=Actor.from_request(request),
                caseload=caseload,
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["end_reason"],
            ),
            success=_("The accompaniment has ended."),
        )
    else:
        messages.error(request, _("Give the last day of accompaniment and the reason."))
        return refused(request, "casework:household-detail", caseload.household_id)
    return after(request, done, "casework:household-detail", caseload.household_id)


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
            pillars=pillars_for(request.user, {c.household.area for c in orphans})
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
        request.POST, pillars=pillars_for(request.user, {c.household.area for c in caseloads})
    )
    if not form.is_valid() or not caseloads:
        messages.error(request, _("Tick the households and choose the new pillar and the day."))
        return refused(request, "casework:caseload")
    person = get_object_or_404(
        Person.objects.visible_to(request.user), pk=form.cleaned_data["person"]
    )
    done = attempt(
        request,
        lambda: services.caseload_reassign(
            by=Actor.from_request(request),
            caseloads=caseloads,
            person=person,
            start_date=form.cleaned_data["start_date"],
        ),
        success=lambda n: (
            ngettext(
                "%(n)d household now accompanied by %(name)s.",
                "%(n)d households now accompanied by %(name)s.",
                n,
            )
            % {"n": n, "name": person.name}
        ),
    )
    return after(request, done, "casework:caseload")
