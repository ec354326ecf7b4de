from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.imports import exports, services, tasks
from pilar.imports.commit import import_request_commit
from pilar.imports.engine.columns import BY_KEY
from pilar.imports.engine.records import shown_problem
from pilar.imports.forms import (
    CommitForm,
    ImportFilterForm,
    MappingForm,
    RowFilterForm,
    SheetForm,
    UploadForm,
)
from pilar.imports.models import Import, ImportRow
from pilar.imports.undo import import_request_undo, undo_figures
from pilar.lib.dates import long_date
from pilar.lib.exports import XLSX_TYPE, export_format, file_response
from pilar.lib.nik import mask_nik
from pilar.lib.params import ascii_digits
from pilar.lib.views import after, attempt, refused
from pilar.regions.models import Area
from pilar.registry.models import Assignment

PAGE_SIZE = 50


def _batch(request, pk: int) -> Import:
    # A job whose worker vanished is marked so before it is shown (docs/IMPORTS.md).
    services.imports_recover(ids=[pk])
    return get_object_or_404(Import.objects.visible_to(request.user), pk=pk)


@capability_required(Capability.IMPORTS)
def import_list(request):
    form = ImportFilterForm(request.GET or None)
    services.imports_recover()
    batches = Import.objects.visible_to(request.user).select_related("created_by")
    if form.is_valid():
        if form.cleaned_data["status"]:
            batches = batches.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"]:
            batches = batches.filter(filename__icontains=form.cleaned_data["q"])
    fmt = export_format(request)
    if fmt:
        headers = [
            _("Import"),
            _("File name"),
            _("Uploaded"),
            _("Uploaded by"),
            _("Status"),
            _("Rows"),
            _("New"),
            _("Updated"),
            _("Unchanged"),
            _("Rejected"),
            _("Taken back by the undo"),
        ]
        rows = [
            [
                b.pk,
                b.filename,
                b.created_at.date(),
                b.created_by.username if b.created_by else "",
                b.get_status_display(),
                b.summary.get("rows"),
                # After an undo nothing it added or changed is left: the new and updated rows
                # are counted as taken back instead.
                0 if undone else b.summary.get("new"),
                0 if undone else b.summary.get("updated"),
                b.summary.get("unchanged"),
                b.summary.get("rejected"),
                (undone["rows_new"] + undone["rows_updated"]) if undone else None,
            ]
            for b in batches
            for undone in [undo_figures(b)]
        ]
        return file_response(fmt, "pilar-imports", headers, rows)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "imports/import_list.html",
        {"page": page, "form": form, "upload": UploadForm(), "query": query.urlencode()},
    )


@require_POST
@capability_required(Capability.IMPORTS)
@submit_once
def import_upload(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return refused(request, "imports:list")
    upload = form.cleaned_data["file"]
    done = attempt(
        request,
        lambda: services.import_upload(
            by=Actor.from_request(request), upload=upload, filename=upload.name
        ),
    )
    if not done:
        return refused(request, "imports:list")
    return redirect("imports:detail", done.result.pk)


@require_GET
@capability_required(Capability.IMPORTS)
def import_template(request):
    response = HttpResponse(exports.template_xlsx(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="pilar-template.xlsx"'
    return response


@capability_required(Capability.IMPORTS)
def import_detail(request, pk: int):
    batch = _batch(request, pk)
    summary = batch.summary or {}
    undone = undo_figures(batch)
    context = {
        "batch": batch,
        "summary": summary,
        "undone": undone,
        "counts": [
            ("new", _("New"), summary.get("new", 0)),
            ("updated", _("Updated"), summary.get("updated", 0)),
            ("unchanged", _("Unchanged"), summary.get("unchanged", 0)),
            ("rejected", _("Rejected"), summary.get("rejected", 0)),
        ]
        if undone is None
        # After an undo the rows that created or changed something say what is left of that:
        # nothing (docs/IMPORTS.md).
        else [
            ("new", _("New, removed by the undo"), undone["rows_new"]),
            ("updated", _("Updated, restored by the undo"), undone["rows_updated"]),
            ("unchanged", _("Unchanged"), summary.get("unchanged", 0)),
            ("rejected", _("Rejected"), summary.get("rejected", 0)),
        ],
        "to_save": summary.get("new", 0) + summary.get("updated", 0),
        "start_mapped": "start_date" in batch.mapping.values(),
    }
    if batch.status in {Import.Status.MAPPING, Import.Status.FAILED, Import.Status.PREVIEW}:
        context["mapping_form"] = MappingForm(batch=batch)
        context["sheet_form"] = SheetForm(batch=batch)
    if batch.status == Import.Status.PREVIEW:
        context["commit_form"] = CommitForm()
    if batch.status in {Import.Status.PREVIEW, Import.Status.COMMITTED, Import.Status.UNDONE}:
        context.update(_rows_context(request, batch))
    return render(request, "imports/import_detail.html", context)


def _rows_context(request, batch: Import) -> dict:
    form = RowFilterForm(request.GET or None)
    rows = ImportRow.objects.filter(batch=batch)
    status = ""
    if form.is_valid():
        status = form.cleaned_data["status"]
        text = form.cleaned_data["q"].strip()
        if ascii_digits(text):
            # A row number (a list holds at most PILAR_IMPORT_MAX_ROWS; more digits find none).
            rows = rows.filter(number=int(text)) if len(text) <= 9 else rows.none()
        elif text:
            rows = rows.filter(name__icontains=text)
    if status == "warning":
        rows = rows.filter(problems__icontains='"warning"')
    elif status in ImportRow.Status.values:
        rows = rows.filter(status=status)
    elif status != "every":
        # What needs reading: every row that changes something or has a remark.
        rows = rows.filter(~Q(status=ImportRow.Status.UNCHANGED) | ~Q(problems=[]))
    page = Paginator(rows.order_by("number"), PAGE_SIZE).get_page(request.GET.get("page"))
    codes = {r.plan["duty"][1] for r in page if r.plan.get("duty")}
    areas = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    shown = []
    for r in page:
        problems = [shown_problem(p) for p in r.problems]
        shown.append(
            {
                "row": r,
                "nik": mask_nik(r.nik) if r.nik else "",
                "problems": problems,
                "plan": plan_lines(r.plan, areas),
            }
        )
    if shown:
        # The rows show names and the values being changed (accounts, phones): a look at
        # personal data, traced like any other.
        audit_record(
            by=Actor.from_request(request),
            action=AuditEntry.Action.VIEW_PERSONAL,
            obj=batch,
            note=f"import rows page {page.number}",
        )
    query = request.GET.copy()
    query.pop("page", None)
    return {"rows_form": form, "rows_page": page, "rows": shown, "rows_query": query.urlencode()}


def plan_lines(plan: dict, areas: dict[str, str]) -> list[str]:
    """What saving a row does, in sentences."""
    lines = []
    person = plan.get("person")
    if person == "new":
        lines.append(_("New person."))
    elif person:
        for field, before, after in person:
            label = BY_KEY[field].label if field in BY_KEY else field
            lines.append(
                _("%(field)s: %(before)s → %(after)s")
                % {"field": label, "before": before or "—", "after": after or "—"}
            )
    if plan.get("duty"):
        kind, code, start, end = plan["duty"]
        lines.append(
            _("New duty: %(kind)s in %(area)s from %(start)s%(end)s.")
            % {
                "kind": kind,
                "area": areas.get(code, code),
                "start": long_date(start),
                "end": _(" to %(d)s") % {"d": long_date(end)} if end else "",
            }
        )
    if plan.get("end"):
        _pk, end, reason = plan["end"]
        lines.append(
            _("Ends the duty on %(date)s (%(reason)s).")
            % {
                "date": long_date(end),
                "reason": Assignment.EndReason(reason).label,
            }
        )
    return lines


@require_GET
@capability_required(Capability.IMPORTS)
def import_progress(request, pk: int):
    batch = _batch(request, pk)
    response = render(request, "imports/import_progress.html", {"batch": batch})
    if not batch.is_running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@capability_required(Capability.IMPORTS)
def import_sheet(request, pk: int):
    batch = _batch(request, pk)
    form = SheetForm(request.POST, batch=batch)
    if form.is_valid():
        done = attempt(
            request,
            lambda: services.import_choose_sheet(
                by=Actor.from_request(request), batch=batch, sheet=form.cleaned_data["sheet"]
            ),
        )
    else:
        messages.error(request, _("Choose one of the workbook's sheets."))
        return refused(request, "imports:detail", batch.pk)
    return after(request, done, "imports:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def import_mapping(request, pk: int):
    batch = _batch(request, pk)
    form = MappingForm(request.POST, batch=batch)
    if not form.is_valid():
        if any(name.startswith("col_") for name in form.errors):
            messages.error(request, _("Choose a field (or none) for every column."))
        for name in ("start_rule", "start_rule_date"):
            for error in form.errors.get(name, ()):
                messages.error(request, error)
        return refused(request, "imports:detail", batch.pk)
    done = attempt(
        request,
        lambda: services.import_set_mapping(
            by=Actor.from_request(request),
            batch=batch,
            mapping=form.mapping(),
            start_rule=form.start_rule(),
        ),
    )
    if not done:
        return refused(request, "imports:detail", batch.pk)
    tasks.queue_check(batch)
    return redirect("imports:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def import_commit(request, pk: int):
    batch = _batch(request, pk)
    form = CommitForm(request.POST)
    form.is_valid()
    by = Actor.from_request(request)
    done = attempt(
        request,
        lambda: import_request_commit(
            by=by,
            batch=batch,
            accept_warnings=form.cleaned_data.get("accept_warnings", False),
            accept_rejected=form.cleaned_data.get("accept_rejected", False),
        ),
    )
    if not done:
        return refused(request, "imports:detail", batch.pk)
    tasks.queue_commit(batch, by)
    return redirect("imports:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def import_undo(request, pk: int):
    batch = _batch(request, pk)
    by = Actor.from_request(request)
    if not attempt(request, lambda: import_request_undo(by=by, batch=batch)):
        return refused(request, "imports:detail", batch.pk)
    tasks.queue_undo(batch, by)
    return redirect("imports:detail", batch.pk)


@require_GET
@capability_required(Capability.IMPORTS)
def import_rejected(request, pk: int):
    batch = _batch(request, pk)
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note="rejected rows downloaded",
    )
    response = HttpResponse(exports.rejected_report(batch), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="pilar-import-{batch.pk}-rejected.xlsx"'
    )
    return response
