from __future__ import annotations

import datetime
import html

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pilar.accounts.access import (
    Capability,
    area_scope,
    can,
    office_users_q,
    scope_covers,
)
from pilar.accounts.decorators import capability_required
from pilar.accounts.models import User
from pilar.audit.exports import ExportSpec, export_response
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib import params
from pilar.lib.exports import export_format, file_response
from pilar.lib.hooks import panels
from pilar.lib.paging import LargePaginator, count_or_estimate
from pilar.lib.views import attempt, form_page, page_status
from pilar.regions.models import Area
from pilar.registry import services
from pilar.registry.forms import (
    AssignmentEndForm,
    AssignmentForm,
    DutyByNikForm,
    PersonFilterForm,
    PersonForm,
)
from pilar.registry.headcount import headcount
from pilar.registry.models import (
    Assignment,
    Person,
    assignment_scope_q,
    can_see_full_nik,
    office_duties_q,
)
from pilar.registry.roster import roster_headers, roster_rows
from pilar.registry.selectors import mark_seen, matching_people, people_as_seen
from pilar.registry.signals import new_duty_warnings, person_panels

PAGE_SIZE = 50
# Above this many rows the headcount's kelurahan table shows one kecamatan at a time.
FOLD_ROWS = 300
MAX_GAPS_SHOWN = 100
EXPORT_CHUNK = 2000
# Fields whose values in the change history are shown only to those who may see the full NIK
# (the birth date is the NIK's masked part).
SENSITIVE_FIELDS = {"nik", "birth_date", "bank_account"}


CHANGE_MODELS = {"registry.person": Person, "registry.assignment": Assignment}


def readable_changes(entry: AuditEntry, *, masked: bool) -> list[tuple[str, object, object]]:
    """An entry's changes as (field label, before, after) in the reader's language: field names
    by their labels, choices by their names, and values that unmask a NIK hidden when masked."""
    model = CHANGE_MODELS.get(entry.object_type)
    rows = []
    for name, (before, after) in entry.changes.items():
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
            if field is not None:
                label = str(field.verbose_name)
                choices = {str(k): str(v) for k, v in field.flatchoices}
        if masked and name in SENSITIVE_FIELDS:
            before, after = ("•••" if before else before), ("•••" if after else after)
        else:
            before = choices.get(str(before), before) if before not in (None, "") else before
            after = choices.get(str(after), after) if after not in (None, "") else after
        rows.append((label, before, after))
    return rows


def _add_person_checks(request, form, person=None) -> None:
    """When the form itself has errors, also show what the registry's checks find in the fields
    that did parse (a wrong NIK, a future birth date), so nothing is discovered one at a time."""
    data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    data.setdefault("nik", form.data.get("nik", ""))
    try:
        services.person_check(by=Actor.from_request(request), data=data, person=person)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field in form.fields and field not in form.errors:
                form.add_error(field, errors)


def _with_duties(people, shown_on: datetime.date, user):
    return people.select_related("residence").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.active_on(shown_on)
            .in_office_of(user)
            .with_scope_flag(user)
            .select_related("kind", "area", "area__parent"),
            to_attr="current",
        )
    )


@capability_required(Capability.PEOPLE_VIEW)
def person_list(request):
    form = PersonFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be applied must not silently widen the list to everyone.
        return render(
            request,
            "registry/person_list.html",
            {
                "form": form,
                "page": None,
                "people_count": 0,
                "duty_count": None,
                "shown_on": timezone.localdate(),
                "query": "",
            },
        )
    people, duties = matching_people(request.user, form.people_filter())
    shown_on = form.people_filter().active_on or timezone.localdate()
    people = _with_duties(people, shown_on, request.user)
    fmt = export_format(request)
    if fmt:
        return export_response(
            request,
            "registry.people",
            fmt,
            people,
            lambda: _people_export(request.user, people, shown_on),
        )
    page = LargePaginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    duty_count, duty_count_estimated = None, False
    if duties is not None:
        # Every duty the filters select belongs to a person the list shows, unless a search
        # narrows the people too: only then is the (costly) restriction to them needed.
        if form.people_filter().q.strip():
            duties = duties.filter(person__in=people.values("pk"))
        duty_count, duty_count_estimated = count_or_estimate(duties)
    return render(
        request,
        "registry/person_list.html",
        {
            "form": form,
            "page": page,
            "rows": person_rows_html(mark_seen(request.user, list(page))),
            "people_count": page.paginator.count,
            "duty_count": duty_count,
            "duty_count_estimated": duty_count_estimated,
            "shown_on": shown_on,
            "query": query.urlencode(),
        },
    )


def person_rows_html(people) -> str:
    """The list's rows, written here rather than in a template loop with a {% url %} per row
    (docs/PERFORMANCE.md, "Load"). Every value is escaped (`conditional_escape`, as the
    template would). `people` as their reader may see them (`mark_seen`)."""
    esc = conditional_escape
    detail = reverse("registry:person-detail", args=[0]).removesuffix("0/")
    none_text, left_text = _("none"), _("no longer serves in your area")
    none = f'<span class="muted">{esc(none_text)}</span>'
    left = f'<small class="muted">{esc(left_text)}</small>'
    out = []
    for p in people:
        phone = left if getattr(p, "minimal", False) else esc(p.phone)
        duties = (
            "<br>".join(
                f'<span class="tag">{esc(a.kind.code)}</span> {esc(a.area.name)}' for a in p.current
            )
            or none
        )
        out.append(
            f'<tr>\n    <td><a href="{detail}{p.pk}/">{esc(p.name)}</a></td>\n'
            f'    <td class="mono">{esc(p.masked_nik)}</td>\n'
            f"    <td>{duties}</td>\n"
            f'    <td class="hide-sm">{phone}</td>\n  </tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - built from escaped parts above


def person_export(user, query, fmt) -> ExportSpec:
    """The people list's export for a background job (pilar/audit/exports.py): the same
    filters and scope as the page."""
    form = PersonFilterForm(query or None, user=user)
    if form.is_bound and not form.is_valid():
        raise ValueError(_("The filters of this list are not valid any more."))
    people, _duties = matching_people(user, form.people_filter())
    shown_on = form.people_filter().active_on or timezone.localdate()
    return _people_export(user, _with_duties(people, shown_on, user), shown_on)


def _people_export(user, people, shown_on: datetime.date) -> ExportSpec:
    """The list as shown, in the roster's columns (pilar/registry/roster.py): one row per duty
    shown, so the file can be edited and imported back (Imports)."""
    full = can(user, Capability.PEOPLE_FULL_NIK)
    return ExportSpec(
        f"pilar-{shown_on.isoformat()}",
        roster_headers(),
        # Read in chunks, each with its duties prefetched: bounded memory, a constant number
        # of queries per chunk. A person who left the reader's areas is written as seen there
        # (docs/PRIVACY.md).
        roster_rows(
            people_as_seen(user, people.iterator(chunk_size=EXPORT_CHUNK), chunk=EXPORT_CHUNK),
            full=full,
        ),
        object_type="registry.person",
        note=f"full_nik={full}",
    )


@capability_required(Capability.PEOPLE_VIEW)
def person_detail(request, pk: int):
    person = get_object_or_404(
        Person.objects.visible_to(request.user).select_related("residence"), pk=pk
    )
    mark_seen(request.user, [person])
    if person.minimal:
        return _former_detail(request, person)
    show_full = can_see_full_nik(request.user, person)
    if show_full:
        services.record_personal_data_view(
            by=Actor.from_request(request), person=person, what=_("detail page")
        )
    today = timezone.localdate()
    duties = person.assignments.select_related("kind", "area").order_by("-start_date")
    entries = person.audit_entries.select_related("user")
    office_q = office_duties_q(request.user, person)
    if office_q is not None:
        # Another office's duties and its history of the person stay that office's (docs/
        # OFFICE.md, "Many offices"): the entries about the duties shown, and those written
        # by the reader's own office.
        duties = duties.filter(office_q)
        entries = entries.filter(
            Q(object_type="registry.assignment", object_id__in=[str(d.pk) for d in duties])
            | Q(user__in=User.objects.filter(office_users_q(request.user)).values("pk"))
        )
    assignments = list(duties)
    # Looks at the data stay in the audit log; the person's history shows changes and a count.
    views = entries.filter(action=AuditEntry.Action.VIEW_PERSONAL)
    history = list(entries.exclude(action=AuditEntry.Action.VIEW_PERSONAL)[:50])
    for entry in history:
        entry.shown_changes = readable_changes(entry, masked=not show_full)
    # Buttons only where they lead somewhere: an area-limited editor changes the people serving
    # in their areas and the duties there, not a duty held elsewhere (docs/PRIVACY.md).
    can_edit = (
        can(request.user, Capability.PEOPLE_EDIT)
        and Person.objects.editable_by(request.user).filter(pk=person.pk).exists()
    )
    if can_edit:
        editable = set(
            Assignment.objects.editable_by(request.user)
            .filter(person=person)
            .values_list("pk", flat=True)
        )
        for duty in assignments:
            duty.can_end = duty.pk in editable
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "show_full": show_full,
            "assignments": assignments,
            "today": today,
            "age": person.age_on(today),
            "history": history,
            "view_count": views.count(),
            "can_edit": can_edit,
            # The apps built on the registry show what they hold of the person (trainings,
            # equipment), each as that reader may see it (pilar/registry/signals.py).
            "panels": panels(
                person_panels, person=person, user=request.user, duties=assignments, today=today
            ),
        },
    )


def _former_detail(request, person: Person):
    """A person who no longer serves in the reader's areas, as they were there: name, masked
    NIK, the duties held there (docs/PRIVACY.md). Not their contact, residence, bank, photo,
    trainings, equipment, duties elsewhere or change history (which would tell a new phone).
    Nothing personal beyond the reader's own records is shown, so the look is not logged as a
    view of full personal data."""
    duties = (
        person.assignments.filter(assignment_scope_q(request.user, Capability.PEOPLE_VIEW))
        .select_related("kind", "area")
        .order_by("-start_date")
    )
    return render(
        request,
        "registry/person_detail.html",
        {"person": person, "minimal": True, "assignments": list(duties)},
    )


@capability_required(Capability.PEOPLE_VIEW)
def person_photo(request, pk: int):
    """A person's photo, only to those who may see the person (never a public media URL)."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    if not person.photo or mark_seen(request.user, [person])[0].minimal:
        raise Http404
    response = FileResponse(person.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response


@capability_required(Capability.PEOPLE_EDIT)
@require_http_methods(["GET", "POST"])
def person_create(request):
    form = PersonForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not form.is_valid():
        _add_person_checks(request, form)
    elif request.method == "POST":
        done = attempt(
            request,
            lambda: services.person_create(by=Actor.from_request(request), data=form.cleaned_data),
            form=form,
            success=lambda person: _("%(name)s has been registered.") % {"name": person.name},
        )
        if done:
            return redirect("registry:person-detail", done.result.pk)
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "person": None},
        status=page_status(request),
    )


@capability_required(Capability.PEOPLE_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    person = get_object_or_404(Person.objects.editable_by(request.user), pk=pk)
    form = PersonForm(request.POST or None, request.FILES or None, instance=person)
    if request.method == "GET":
        services.record_personal_data_view(
            by=Actor.from_request(request), person=person, what=_("edit form")
        )
    if request.method == "POST" and not form.is_valid():
        _add_person_checks(request, form, Person.objects.get(pk=pk))
    elif request.method == "POST":
        original = Person.objects.get(pk=pk)
        done = attempt(
            request,
            lambda: services.person_update(
                by=Actor.from_request(request), person=original, data=form.cleaned_data
            ),
            form=form,
            success=_("Changes saved."),
        )
        if done:
            return redirect("registry:person-detail", pk)
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "person": person},
        status=page_status(request),
    )


@capability_required(Capability.PEOPLE_EDIT)
@require_http_methods(["GET", "POST"])
def assignment_create(request, pk: int):
    person = get_object_or_404(Person.objects.editable_by(request.user), pk=pk)
    form = AssignmentForm(
        request.POST or None, user=request.user, initial={"start_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.assignment_create(
                by=Actor.from_request(request), person=person, **form.cleaned_data
            ),
            form=form,
            success=_("The duty has been added."),
        )
        if done:
            for warning in new_duty_warnings(person, done.result.kind, done.result.start_date):
                messages.warning(request, warning)
            return redirect("registry:person-detail", pk)
    return render(
        request,
        "registry/assignment_form.html",
        {"form": form, "person": person},
        status=page_status(request),
    )


@capability_required(Capability.PEOPLE_EDIT)
@require_http_methods(["GET", "POST"])
def duty_by_nik(request):
    """A duty here for a person already registered, whom the user may not see (a person
    moving from another office, docs/OFFICE.md "Many offices"): the NIK and the name as on the
    KTP, and the duty. Nothing of the person is shown before the duty is saved."""
    form = DutyByNikForm(
        request.POST or None, user=request.user, initial={"start_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.duty_for_registered_nik(
                by=Actor.from_request(request), **form.cleaned_data
            ),
            form=form,
            success=_("The duty has been added."),
        )
        if done:
            duty = done.result
            for warning in new_duty_warnings(duty.person, duty.kind, duty.start_date):
                messages.warning(request, warning)
            return redirect("registry:person-detail", duty.person_id)
    return render(
        request,
        "registry/duty_by_nik.html",
        {"form": form},
        status=page_status(request),
    )


@capability_required(Capability.PEOPLE_EDIT)
@require_http_methods(["GET", "POST"])
def assignment_end(request, pk: int):
    assignment = get_object_or_404(
        Assignment.objects.editable_by(request.user).select_related("person", "kind", "area"),
        pk=pk,
    )
    form = AssignmentEndForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: services.assignment_end(
            by=Actor.from_request(request), assignment=assignment, **data
        ),
        success=_("The duty has been ended."),
        then=lambda _ended: reverse("registry:person-detail", args=[assignment.person_id]),
        template="registry/assignment_end.html",
        context={"assignment": assignment},
    )


@capability_required(Capability.HEADCOUNT_VIEW)
def headcount_view(request):
    as_of = params.parse_date(request.GET.get("as_of"), "as_of", default=timezone.localdate())
    try:
        area = Area.objects.by_code(request.GET.get("area"), "area")
    except ValidationError as exc:
        raise params.InputError("area", exc.message_dict["area"][0]) from exc
    result = headcount(as_of=as_of, user=request.user, area=area)
    fmt = export_format(request)
    if fmt:
        return _export_headcount(result, fmt)
    # Figures link to the people behind them only when the list would show all of them.
    linkable = can(request.user, Capability.PEOPLE_VIEW) and scope_covers(
        area_scope(request.user, Capability.PEOPLE_VIEW), result.scope
    )
    # A province or the country has thousands of kelurahan: the kelurahan table then shows one
    # kecamatan at a time, opened from the kecamatan table; its footer is that kecamatan's row,
    # which its rows add up to. The export keeps every row.
    by_kelurahan, opened_row = result.by_kelurahan, None
    folded = len(by_kelurahan) > FOLD_ROWS
    if folded:
        opened = request.GET.get("open", "")
        opened_row = next((r for r in result.by_kecamatan if r.code == opened), None)
        by_kelurahan = [r for r in by_kelurahan if opened_row and r.kecamatan_code == opened]
    gaps = result.gaps[:MAX_GAPS_SHOWN]
    codes = [k.code for k in result.kinds_in_use]
    return render(
        request,
        "registry/headcount.html",
        {
            "hc": result,
            "kinds": result.kinds,
            "linkable": linkable,
            # The totals link to the people list, which knows no area narrowing of its own.
            "total_linkable": linkable and area is None,
            "area": area,
            "as_of": as_of,
            "by_kecamatan": [
                (r, _count_cells(r, codes, as_of, linkable)) for r in result.by_kecamatan
            ],
            "by_kelurahan": [(r, _count_cells(r, codes, as_of, linkable)) for r in by_kelurahan],
            "folded": folded,
            "opened_row": opened_row,
            "gaps": gaps,
            "gaps_hidden": len(result.gaps) - len(gaps),
            "max_kind": max(result.by_kind.values(), default=0) or 1,
        },
    )


def _count_cells(row, codes: list[str], as_of, linkable: bool) -> str:
    """A headcount row's figures as table cells, each linking to the people it counts (when the
    reader may open them). Built here in one pass: a province's tables hold thousands of
    linked figures, slow through template loops and a tag call each."""
    from pilar.registry.templatetags.pilar import people_url

    cells = []
    for code in codes:
        n = row.by_kind.get(code, 0)
        if linkable and n:
            href = html.escape(people_url(as_of, code, row.code, row.exact))
            cells.append(f'<td class="num"><a href="{href}">{localize(n)}</a></td>')
        elif n:
            cells.append(f'<td class="num">{localize(n)}</td>')
        else:
            cells.append('<td class="num"><span class="zero">0</span></td>')
    total = localize(row.total)
    if linkable and row.total:
        href = html.escape(people_url(as_of, "", row.code, row.exact))
        total = f'<a href="{href}">{total}</a>'
    cells.append(f'<td class="num"><strong>{total}</strong></td>')
    return mark_safe("".join(cells))  # noqa: S308 - numbers and escaped links only


def _export_headcount(result, fmt: str):
    codes = [k.code for k in result.kinds]
    headers = [_("Area code"), _("Area"), _("Level"), *codes, _("Total")]
    rows = []
    for r in result.by_kelurahan:
        rows.append([r.code, r.name, r.level, *[r.by_kind.get(c, 0) for c in codes], r.total])
    rows.append(["", _("Total"), "", *[result.by_kind.get(c, 0) for c in codes], result.total])
    return file_response(fmt, f"headcount-{result.as_of.isoformat()}", headers, rows)
