"""Monthly report pages: a pillar's own months (`/reports/mine/`), sending a month, the
coordinator's status table, one report and its decisions (verify with the confirmation tick,
return with a reason, reopen), and casework in figures for leadership (`/casework/`). Scope
comes from the querysets; out of scope is 404."""

from __future__ import annotations

import html
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pilar.accounts.access import Capability, area_scope, can
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor
from pilar.casework import report_services, selectors, services
from pilar.casework.access import may_decide
from pilar.casework.forms import (
    ReasonForm,
    StatusFilterForm,
    SubmitForm,
    default_month,
)
from pilar.casework.models import (
    Activity,
    MonthlyReport,
    Sector,
)
from pilar.casework.signals import reopen_warnings
from pilar.lib import params
from pilar.lib.exports import export_format, file_response
from pilar.lib.months import add_months, month_end, month_label, month_start
from pilar.lib.views import after, attempt, query_without_page, refused
from pilar.lib.whatsapp import wa_link
from pilar.offices.services import office_for_area
from pilar.registry.models import PillarKind, seen_fully_among

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
    current = month_start(today)
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
            figures = report_services.compile_month(person.pk, row.kind_id, cell.month)
            months.append(
                SimpleNamespace(
                    row=row,
                    cell=cell,
                    figures=figures,
                    can_submit=cell.status
                    in {selectors.MISSING, selectors.LATE, "returned", "reopened"},
                    form=SubmitForm(initial={"kind": row.kind_id, "month": cell.month}),
                    due=report_services.report_due(cell.month),
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
        return refused(request, "casework:my-reports")
    done = attempt(
        request,
        lambda: report_services.report_submit(
            by=Actor.from_request(request),
            person=request.user.person,
            kind=form.cleaned_data["kind"],
            month=form.cleaned_data["month"],
            notes=form.cleaned_data["notes"],
        ),
        success=lambda report: (
            _("Report for %(month)s submitted; your coordinator will verify it.")
            % {"month": month_label(report.month)}
        ),
    )
    return after(request, done, "casework:my-reports")


@capability_required(Capability.CASEWORK_VIEW)
def report_status(request):
    """Who has reported: pillars × six months, for a coordinator's kecamatan or the office."""
    form = StatusFilterForm(request.GET or None, user=request.user)
    month = default_month()
    area = kind = None
    if form.is_valid():
        month = month_start(form.cleaned_data["month"] or month)
        area, kind = form.cleaned_data["area"], form.cleaned_data["kind"]
    if area is None and _too_wide_for_status(request.user, month, kind):
        # The office-wide table of a province or the country would list hundreds of thousands
        # of pillars: one kecamatan (or smaller) at a time; the figures are on /casework/.
        return render(
            request,
            "casework/report_status.html",
            {"form": form, "month": month, "too_wide": MAX_STATUS_DUTIES},
        )
    fmt = export_format(request)
    if fmt:
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
    reminders = status_reminders(request, rows, month)
    for row in rows:
        row.html = status_row_html(row, labels, links, texts, reminders.get(id(row)))
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
            "query": query_without_page(request),
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


# The months for which the status list offers to remind a pillar by WhatsApp.
REMINDED = {selectors.MISSING, selectors.LATE, MonthlyReport.Status.RETURNED}


def status_reminders(request, rows, month) -> dict[int, str]:
    """A WhatsApp link per row (by the row's id) whose pillar has a mobile number and whose
    report for `month` is missing, late or returned: the message prepared in the office's
    language (the pillar's), naming the pillar, the duty and the month (docs/NOTICES.md)."""
    links: dict[int, str] = {}
    mine = request.build_absolute_uri(reverse("casework:my-reports"))
    wanted = []
    for row in rows:
        cell = next((c for c in row.cells if c.month == month), None)
        if cell is not None and cell.status in REMINDED and row.phone:
            wanted.append((row, cell))
    # A phone is shown only of those the reader sees as today: never a former pillar's
    # (docs/PRIVACY.md, "Former pillars").
    seen = seen_fully_among(request.user, list({row.person_id for row, _cell in wanted}))
    with translation.override(settings.LANGUAGE_CODE):
        label = month_label(month)
        for row, cell in wanted:
            if seen is not None and row.person_id not in seen:
                continue
            values = {"name": row.name, "kind": row.kind_code, "month": label, "url": mine}
            if cell.status == MonthlyReport.Status.RETURNED:
                text = _(
                    "Hello %(name)s, your %(kind)s monthly report for %(month)s was returned "
                    "to be corrected. Please correct it and submit it again in Pilar: %(url)s"
                )
            elif cell.status == selectors.LATE:
                text = _(
                    "Hello %(name)s, your %(kind)s monthly report for %(month)s is late: it is "
                    "not submitted yet. Please submit it in Pilar: %(url)s"
                )
            else:
                text = _(
                    "Hello %(name)s, your %(kind)s monthly report for %(month)s is not "
                    "submitted yet. Please submit it in Pilar: %(url)s"
                )
            link = wa_link(row.phone, text % values)
            if link:
                links[id(row)] = link
    return links


def status_row_html(
    row, labels: dict[str, str], links: tuple[str, str], texts: dict, whatsapp: str | None = None
) -> str:
    """One row of the status table, newest month first, built here rather than in the template:
    a kecamatan has ~170 pillars × 6 months, and a template loop with two {% url %} per cell was
    most of the page's time (docs/PERFORMANCE.md). Every text is escaped (`html.escape`: the
    names come from the registry); `texts` caches the "N activities" wording per N."""
    report_url, activity_url = links
    kind = html.escape(row.kind_code)
    out = [
        f'<th scope="row">{html.escape(row.name)}<br><small class="muted"><span class="tag">'
        f"{kind}</span> {html.escape(row.area_name)}</small>"
        + (
            f'<br><small><a class="whatsapp" href="{html.escape(whatsapp)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(_("Send via WhatsApp"))}</a></small>'
            if whatsapp
            else ""
        )
        + "</th>"
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
    office = office_for_area(report.area)
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
            # The office holding the report's area sets its due day, whoever reads it.
            "due": report_services.report_due(report.month, office),
            "late": selectors.is_late(report.first_submitted_at, report.month, office),
            "reason_form": ReasonForm(),
        },
    )


def _decision(request, pk, to: str):
    """Verify, return or reopen: one service, the transition named by the target status."""
    report = _visible_report(request, pk)
    done = attempt(
        request,
        lambda: report_services.report_decide(
            by=Actor.from_request(request),
            report=report,
            to=to,
            reason=request.POST.get("reason", ""),
        ),
        success=DECIDED[to](),
    )
    return after(request, done, "casework:report-detail", report.pk)


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
        return refused(request, "casework:report-detail", report.pk)
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
    """Reopening does not touch money: the apps above say so when the month is paid or in a
    batch (the stipends app, pilar/casework/signals.py)."""
    for warning in reopen_warnings(report):
        messages.warning(request, warning)


# Above this many kelurahan, area tables show kecamatan and open one at a time.
FOLD_ROWS = 300


# --- aggregates ------------------------------------------------------------------------------


@capability_required(Capability.HEADCOUNT_VIEW)
def summary(request):
    """Casework in figures, for leadership and viewers: no names, no households."""
    form = StatusFilterForm(request.GET or None, user=request.user)
    month = default_month()
    if form.is_valid() and form.cleaned_data["month"]:
        month = month_start(form.cleaned_data["month"])
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
