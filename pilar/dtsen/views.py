"""The pages of a DTSEN extract import, in the roster import's steps (pilar/imports/views.py):
upload, the sheet and which column holds what, the check in the background (the page follows
its progress), the preview of what each household becomes, the decisions on the accompanied
households the extract no longer lists, saving all at once, and undo. And the household list's
download as an extract (pilar/dtsen/writer.py).

The steps are the services' (pilar/dtsen/services.py): a refused step is a 400 page with the
reason (lib.views.refused). Permission: Capability.IMPORTS; an operator limited to an area sees
only the imports they uploaded.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pilar.accounts.access import Capability, can, office_scope_q, office_wide
from pilar.accounts.decorators import capability_required
from pilar.accounts.once import submit_once
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_export, audit_record
from pilar.casework.models import Household, Relation
from pilar.casework.views.households import _households as casework_households
from pilar.dtsen import exports, services
from pilar.dtsen.columns import COLUMN_BY_KEY
from pilar.dtsen.forms import (
    CommitForm,
    DecisionsForm,
    ExtractHouseholdFilterForm,
    ImportFilterForm,
    MappingForm,
    SheetForm,
    UploadForm,
    masked_sample,
)
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.dtsen.writer import households_extract_response
from pilar.lib.exports import export_format, file_response
from pilar.lib.nik import mask_nik
from pilar.lib.params import InputError, ascii_digits
from pilar.lib.views import after, attempt, list_page, query_without_page, refused
from pilar.regions.models import Area, within_areas_q

PAGE_SIZE = 50
# Shown in the preview: what is not there already (an unchanged household has nothing to read).
DEFAULT_HIDDEN = [ExtractHousehold.Status.UNCHANGED]


def visible_imports(user):
    """The extract imports `user` may open: their office's for office-wide importers, else their
    own (as the roster import's `Import.objects.visible_to`; docs/OFFICE.md, "Many offices")."""
    if not can(user, Capability.IMPORTS):
        return HouseholdImport.objects.none()
    mine = HouseholdImport.objects.filter(office_scope_q(user))
    if office_wide(user, Capability.IMPORTS):
        return mine
    return mine.filter(created_by=user)


def _batch(request, pk: int) -> HouseholdImport:
    # A job whose worker vanished is marked so before it is shown (docs/IMPORTS.md).
    services.extract_recover(ids=[pk])
    return get_object_or_404(visible_imports(request.user), pk=pk)


def is_running(batch: HouseholdImport) -> bool:
    return batch.status in HouseholdImport.WORKING


def counts(summary: dict) -> list[tuple[str, str, int]]:
    """(status, label, number) of the households of a checked extract."""
    households = summary.get("households") or {}
    return [
        (status, label, households.get(status, 0) or 0)
        for status, label in ExtractHousehold.Status.choices
    ]


def to_save(batch: HouseholdImport) -> int:
    """The households saving writes: the new, updated and moved ones, and the missing ones it
    closes (those decided 'close', and those not accompanied that nobody decided to keep)."""
    households = (batch.summary or {}).get("households") or {}
    closing = batch.households.filter(
        Q(decision=ExtractHousehold.Decision.CLOSE) | Q(accompanied=False, decision=""),
        status=ExtractHousehold.Status.MISSING,
    ).count()
    return sum(households.get(s, 0) or 0 for s in ("new", "updated", "moved")) + closing


# --- the list --------------------------------------------------------------------------------


def _list_headers() -> list[str]:
    return [
        _("Import"),
        _("File name"),
        _("Uploaded"),
        _("Uploaded by"),
        _("Status"),
        _("Extract date"),
        _("Rows"),
        _("Rejected rows"),
        *[str(label).capitalize() for _s, label, _n in counts({})],
    ]


def _list_rows(batches):
    for b in batches:
        summary = b.summary or {}
        yield [
            b.pk,
            b.filename,
            b.created_at.date(),
            b.created_by.username if b.created_by else "",
            b.get_status_display(),
            b.as_of,
            summary.get("rows"),
            summary.get("rows_rejected"),
            *[n if summary else None for _s, _label, n in counts(summary)],
        ]


@capability_required(Capability.IMPORTS)
def extract_list(request):
    form = ImportFilterForm(request.GET or None)

    def select():
        batches = visible_imports(request.user).select_related("created_by")
        if form.is_valid():
            if form.cleaned_data["status"]:
                batches = batches.filter(status=form.cleaned_data["status"])
            if form.cleaned_data["q"]:
                batches = batches.filter(filename__icontains=form.cleaned_data["q"])
        return batches

    return list_page(
        request,
        form,
        select,
        name="pilar-dtsen-imports",
        headers=_list_headers(),
        export=_list_rows,
        template="dtsen/extract_list.html",
        context={"upload": UploadForm()},
    )


@capability_required(Capability.IMPORTS)
@submit_once
def extract_upload(request):
    if request.method != "POST":
        return render(request, "dtsen/extract_upload.html", {"upload": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return refused(request, "dtsen:upload")
    upload = form.cleaned_data["file"]
    done = attempt(
        request,
        lambda: services.extract_upload(
            by=Actor.from_request(request), upload=upload, filename=upload.name
        ),
    )
    if not done:
        return refused(request, "dtsen:upload")
    return redirect("dtsen:detail", done.result.pk)


# --- one import ------------------------------------------------------------------------------


@capability_required(Capability.IMPORTS)
def extract_detail(request, pk: int):
    batch = _batch(request, pk)
    summary = batch.summary or {}
    context = {
        "batch": batch,
        "running": is_running(batch),
        "summary": summary,
        "counts": counts(summary),
        "households_total": sum(n for _s, _label, n in counts(summary)),
        "members": summary.get("members") or {},
    }
    if batch.status in {
        HouseholdImport.Status.MAPPING,
        HouseholdImport.Status.FAILED,
        HouseholdImport.Status.PREVIEW,
    }:
        context["mapping_form"] = MappingForm(batch=batch)
        context["sheet_form"] = SheetForm(batch=batch)
    if batch.status == HouseholdImport.Status.PREVIEW:
        context["commit_form"] = CommitForm()
        undecided = batch.households.filter(
            status=ExtractHousehold.Status.MISSING, accompanied=True
        ).select_related("area", "household")
        decisions = DecisionsForm(households=list(undecided))
        context["decisions_form"] = decisions
        context["decisions"] = [
            (item, mask_nik(item.kk_number), field) for item, field in decisions.items
        ]
        context["undecided"] = sum(1 for item, _f in decisions.items if not item.decision)
        context["to_save"] = to_save(batch)
    if batch.status in {
        HouseholdImport.Status.PREVIEW,
        HouseholdImport.Status.COMMITTED,
        HouseholdImport.Status.UNDONE,
    }:
        fmt = export_format(request)
        households = _filtered_households(request, batch)
        if fmt:
            return _households_download(request, batch, fmt, households[1])
        context.update(_households_context(request, batch, *households))
        context["orphans"] = orphan_rows(batch)
    return render(request, "dtsen/extract_detail.html", context)


def _filtered_households(request, batch: HouseholdImport):
    form = ExtractHouseholdFilterForm(request.GET or None, user=request.user)
    items = batch.households.all()
    status = ""
    if form.is_bound and not form.is_valid():
        return form, items.none()
    if form.is_valid():
        status = form.cleaned_data["status"]
        if form.cleaned_data["area"]:
            items = items.filter(within_areas_q([form.cleaned_data["area"]], "area"))
        text = form.cleaned_data["q"].strip()
        if text:
            digits = "".join(ch for ch in text if ch.isdigit())
            # A KK is found only whole (as the household list finds it).
            items = items.filter(kk_number=digits) if ascii_digits(digits) else items.none()
    if status in ExtractHousehold.Status.values:
        items = items.filter(status=status)
    elif status != "every":
        items = items.exclude(status__in=DEFAULT_HIDDEN)
    return form, items.select_related("area__parent").order_by("status", "kk_number")


def _households_context(request, batch: HouseholdImport, form, items) -> dict:
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    names = area_names(page)
    remarks = row_remarks(batch, [n for item in page for n in item.rows or []])
    shown = [
        {
            "item": item,
            "kk": mask_nik(item.kk_number),
            "lines": plan_lines(item, names),
            "rows": [(n, shown_problems(remarks[n])) for n in item.rows or [] if n in remarks],
            "problems": shown_problems(item.problems),
        }
        for item in page
    ]
    if shown:
        # The preview shows names and NIKs being changed: a look at personal data, traced.
        audit_record(
            by=Actor.from_request(request),
            action=AuditEntry.Action.VIEW_PERSONAL,
            obj=batch,
            note=f"extract households page {page.number}",
            batch=batch.pk,
        )
    return {
        "show_households": True,
        "households_form": form,
        "households_page": page,
        "households": shown,
        "households_query": query_without_page(request),
    }


def area_names(items) -> dict[str, str]:
    """{code: name} of the areas the plans of `items` name (one query)."""
    codes = set()
    for item in items:
        area = (item.plan or {}).get("fields", {}).get("area") or [None, None]
        codes.update(c for c in [*area, (item.plan or {}).get("moved_from")] if c)
    if not codes:
        return {}
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name"))


def row_remarks(batch: HouseholdImport, numbers: list[int]) -> dict[int, list]:
    """{row number: problems} of those of `numbers` with a remark (one query)."""
    if not numbers:
        return {}
    rows = batch.rows.filter(number__in=numbers).exclude(problems=[])
    return dict(rows.values_list("number", "problems"))


def orphan_rows(batch: HouseholdImport, limit: int = 20):
    """Rejected rows that belong to no household (no usable KK number): the first `limit`."""
    rows = batch.rows.filter(status="rejected", kk_number="").order_by("number")
    return [(n, shown_problems(p)) for n, p in rows.values_list("number", "problems")[:limit]]


def _field_label(field: str) -> str:
    column = COLUMN_BY_KEY.get(field)
    return str(FIELD_LABELS.get(field) or (column.label if column else field))


def shown_problems(problems) -> list[tuple[str, str, str, str]]:
    """Problems as a page shows them: the field by its label, a NIK or KK in the value masked
    (docs/PRIVACY.md: NIKs masked in lists)."""
    return [
        (severity, _field_label(field), masked_sample(value) if value else "", text)
        for severity, field, value, text in problems or []
    ]


FIELD_LABELS = {
    "kk_number": gettext_lazy("KK number"),
    "dtsen_id": gettext_lazy("DTSEN household id"),
    "address": gettext_lazy("address"),
    "rt_rw": gettext_lazy("RT/RW"),
    "decile": gettext_lazy("welfare decile"),
    "area": gettext_lazy("kelurahan"),
    "status": gettext_lazy("status"),
    "nik": gettext_lazy("NIK"),
    "name": gettext_lazy("name"),
    "sex": gettext_lazy("sex"),
    "birth_date": gettext_lazy("date of birth"),
    "relation": gettext_lazy("relation to head"),
}


def _shown_value(field: str, value, names: dict[str, str]) -> str:
    if value in (None, ""):
        return "—"
    if field in {"nik", "kk_number"}:
        return mask_nik(str(value))
    if field == "area":
        return names.get(value, value)
    if field == "relation" and value in Relation.values:
        return str(Relation(value).label)
    if field == "status" and value in Household.Status.values:
        return str(Household.Status(value).label)
    return str(value)


def _member(item: dict) -> str:
    nik = mask_nik(item["nik"]) if item.get("nik") else _("no NIK")
    relation = item.get("relation")
    relation = f", {Relation(relation).label}" if relation in Relation.values else ""
    return f"{item.get('name') or '—'} ({nik}{relation})"


def plan_lines(item: ExtractHousehold, names: dict[str, str]) -> list[str]:
    """What saving does to a household, in sentences: before → after for each field, moves,
    members added, gone and changed. NIKs and KK numbers masked."""
    plan = item.plan or {}
    lines = []
    fields = dict(plan.get("fields") or {})
    if item.status == ExtractHousehold.Status.NEW:
        lines.append(_("New household."))
        fields = {}
    elif plan.get("moved_from"):
        after = (fields.pop("area", None) or [None, item.area.code if item.area else None])[1]
        lines.append(
            _("Moved from %(before)s to %(after)s.")
            % {
                "before": names.get(plan["moved_from"], plan["moved_from"]),
                "after": names.get(after, after or "—"),
            }
        )
    if item.status == ExtractHousehold.Status.MISSING:
        if item.decision == ExtractHousehold.Decision.KEEP:
            lines.append(_("Not in this extract: kept as it is."))
        elif not item.accompanied:
            lines.append(_("Not in this extract: saving closes it."))
        elif item.decision == ExtractHousehold.Decision.CLOSE:
            lines.append(_("Not in this extract; accompanied: saving closes it."))
        else:
            lines.append(_("Not in this extract; accompanied: waits for your decision above."))
        fields = {}
    for field, (before, after) in fields.items():
        lines.append(
            _("%(field)s: %(before)s → %(after)s")
            % {
                "field": FIELD_LABELS.get(field, field),
                "before": _shown_value(field, before, names),
                "after": _shown_value(field, after, names),
            }
        )
    for member in plan.get("members_added") or []:
        lines.append(_("Member added: %(member)s") % {"member": _member(member)})
    for member in plan.get("members_gone") or []:
        lines.append(_("Member gone: %(member)s") % {"member": _member(member)})
    for member in plan.get("members_changed") or []:
        changes = "; ".join(
            _("%(field)s %(before)s → %(after)s")
            % {
                "field": FIELD_LABELS.get(field, field),
                "before": _shown_value(field, before, names),
                "after": _shown_value(field, after, names),
            }
            for field, (before, after) in (member.get("fields") or {}).items()
        )
        lines.append(
            _("Member changed: %(member)s: %(changes)s")
            % {"member": _member(member), "changes": changes}
        )
    return lines


def _households_download(request, batch: HouseholdImport, fmt: str, items):
    headers = [
        _("KK number"),
        _("Status"),
        _("Kelurahan"),
        _("Kecamatan"),
        _("What saving does"),
        _("Problems"),
        _("Decision"),
    ]

    def rows():
        chunk: list[ExtractHousehold] = []
        for item in items.iterator(chunk_size=2000):
            chunk.append(item)
            if len(chunk) == 2000:
                yield from chunk_rows(chunk)
                chunk = []
        yield from chunk_rows(chunk)

    def chunk_rows(chunk):
        names = area_names(chunk)
        for item in chunk:
            yield [
                mask_nik(item.kk_number),
                item.get_status_display(),
                item.area.name if item.area else "",
                item.area.parent.name if item.area and item.area.parent else "",
                "\n".join(plan_lines(item, names)),
                "\n".join(p[3] for p in item.problems or []),
                item.get_decision_display() if item.decision else "",
            ]

    return file_response(
        fmt,
        f"pilar-dtsen-{batch.pk}-households",
        headers,
        rows(),
        on_done=lambda n: audit_export(
            request, object_type="dtsen.extracthousehold", count=n, note=f"import {batch.pk}"
        ),
    )


@require_GET
@capability_required(Capability.IMPORTS)
def extract_progress(request, pk: int):
    batch = _batch(request, pk)
    response = render(
        request, "dtsen/extract_progress.html", {"batch": batch, "running": is_running(batch)}
    )
    if not is_running(batch) and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@capability_required(Capability.IMPORTS)
def extract_sheet(request, pk: int):
    batch = _batch(request, pk)
    form = SheetForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, _("Choose one of the workbook's sheets."))
        return refused(request, "dtsen:detail", batch.pk)
    done = attempt(
        request,
        lambda: services.extract_choose_sheet(
            by=Actor.from_request(request), batch=batch, sheet=form.cleaned_data["sheet"]
        ),
    )
    return after(request, done, "dtsen:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def extract_mapping(request, pk: int):
    batch = _batch(request, pk)
    form = MappingForm(request.POST, batch=batch)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return refused(request, "dtsen:detail", batch.pk)
    done = attempt(
        request,
        lambda: services.extract_set_mapping(
            by=Actor.from_request(request),
            batch=batch,
            header_row=form.cleaned_data["header_row"],
            mapping=form.mapping(),
            as_of=form.cleaned_data["as_of"],
        ),
    )
    return after(request, done, "dtsen:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def extract_decide(request, pk: int):
    batch = _batch(request, pk)
    missing = batch.households.filter(status=ExtractHousehold.Status.MISSING, accompanied=True)
    form = DecisionsForm(request.POST, households=list(missing))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return refused(request, "dtsen:detail", batch.pk)
    done = attempt(
        request,
        lambda: services.extract_decide(
            by=Actor.from_request(request), batch=batch, decisions=form.decisions()
        ),
        success=_("Decisions saved."),
    )
    return after(request, done, "dtsen:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def extract_commit(request, pk: int):
    batch = _batch(request, pk)
    form = CommitForm(request.POST)
    form.is_valid()
    done = attempt(
        request,
        lambda: services.extract_request_commit(
            by=Actor.from_request(request),
            batch=batch,
            accept_valid=form.cleaned_data.get("accept_valid", False),
        ),
    )
    return after(request, done, "dtsen:detail", batch.pk)


@require_POST
@capability_required(Capability.IMPORTS)
def extract_undo(request, pk: int):
    batch = _batch(request, pk)
    done = attempt(
        request, lambda: services.extract_request_undo(by=Actor.from_request(request), batch=batch)
    )
    return after(request, done, "dtsen:detail", batch.pk)


@require_GET
@capability_required(Capability.IMPORTS)
def extract_rejected(request, pk: int):
    batch = _batch(request, pk)
    audit_record(
        by=Actor.from_request(request),
        action=AuditEntry.Action.VIEW_PERSONAL,
        obj=batch,
        note="rejected extract rows downloaded",
        batch=batch.pk,
    )
    return exports.rejected_response(batch)


# --- the household list as an extract ---------------------------------------------------------


@require_GET
@capability_required(Capability.IMPORTS)
def households_extract(request):
    """The household list (with its filters) as a DTSEN-style extract: what the office holds,
    in the columns it imports."""
    # The list's own filter (casework's), its households taken by id: the writer fetches their
    # members and areas itself, without the list's per-row annotations.
    form, listed = casework_households(request.user, request.GET)
    if form.is_bound and not form.is_valid():
        # A filter the list would refuse (an as_of out of range...) is refused here too, rather
        # than ignored into a file of every household.
        field, errors = next(iter(form.errors.items()))
        raise InputError(field, f"{field}: {errors[0]}")
    households = Household.objects.filter(pk__in=listed.order_by().values("pk")).order_by(
        "area__code", "kk_number"
    )
    count = households.count()
    audit_export(request, object_type="casework.household", count=count, note="as a DTSEN extract")
    return households_extract_response(households)
