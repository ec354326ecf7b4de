"""The office's monthly reports (docs/DASHBOARD.md, "Monthly report"): the archive, a report's
figures and charts, its PDF and XLSX, and writing one again for a past month.

Who: a reader of the whole office's figures (HEADCOUNT_VIEW without an area: the staff and the
office's viewers) sees and downloads; the staff among them (who also read the whole office's
casework: not a viewer) may have one written again. An office hosting others (a province)
writes none of its own: its page says so and it asks for none (403)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pilar.accounts.access import Capability, hosts_others, office_of, office_wide
from pilar.accounts.decorators import capability_required
from pilar.dashboard.models import MonthlyOfficeReport
from pilar.dashboard.monthly import stored_sections
from pilar.dashboard.monthly_services import last_reportable, monthly_report_request
from pilar.dashboard.monthly_work import file_name
from pilar.lib.months import month_label
from pilar.lib.params import InputError, parse_month


def _office(request):
    """The user's office, when they read the whole of it; else 403."""
    user = request.user
    if not office_wide(user, Capability.HEADCOUNT_VIEW):
        raise PermissionDenied
    return office_of(user)


def may_write(user) -> bool:
    return office_wide(user, Capability.HEADCOUNT_VIEW) and office_wide(
        user, Capability.CASEWORK_VIEW
    )


def _report(request, pk: int) -> MonthlyOfficeReport:
    office = _office(request)
    return get_object_or_404(MonthlyOfficeReport.objects.filter(office=office), pk=pk)


@require_GET
@capability_required(Capability.HEADCOUNT_VIEW)
def report_list(request):
    office = _office(request)
    hosting = hosts_others(office)
    reports = (
        []
        if hosting
        else list(MonthlyOfficeReport.objects.filter(office=office).select_related("requested_by"))
    )
    last = last_reportable()
    return render(
        request,
        "dashboard/monthly_list.html",
        {
            "office": office,
            "hosting": hosting,
            "reports": reports,
            "may_write": may_write(request.user) and not hosting,
            "last_month": last,
        },
    )


@require_POST
@capability_required(Capability.HEADCOUNT_VIEW)
def report_generate(request):
    office = _office(request)
    if not may_write(request.user) or hosts_others(office):
        raise PermissionDenied
    month = parse_month(request.POST.get("month"), "month")
    if month is None:
        raise InputError("month", _("month: choose the month to report, e.g. 2024-10."))
    try:
        report = monthly_report_request(office=office, month=month, user=request.user)
    except ValidationError as exc:
        # A month not over yet is out of range: a 400 naming the field, like a malformed one.
        raise InputError("month", "month: " + " ".join(exc.message_dict["month"])) from exc
    messages.success(
        request,
        _("The report of %(month)s is being written.") % {"month": month_label(month)},
    )
    return redirect("dashboard:monthly-detail", pk=report.pk)


@require_GET
@capability_required(Capability.HEADCOUNT_VIEW)
def report_detail(request, pk: int):
    report = _report(request, pk)
    sections = stored_sections(report.figures) if report.status == report.Status.DONE else []
    return render(
        request,
        "dashboard/monthly_detail.html",
        {
            "report": report,
            "sections": [(s, s.chart.chart() if s.chart else None) for s in sections],
            "may_write": may_write(request.user),
        },
    )


@require_GET
@capability_required(Capability.HEADCOUNT_VIEW)
def report_status(request, pk: int):
    """The report's progress as a fragment the page polls while it is being written."""
    return render(request, "dashboard/_monthly_status.html", {"report": _report(request, pk)})


@require_GET
@capability_required(Capability.HEADCOUNT_VIEW)
def report_file(request, pk: int, extension: str):
    report = _report(request, pk)
    stored = report.pdf if extension == "pdf" else report.xlsx
    if not stored:
        raise Http404
    return FileResponse(
        stored.open("rb"), as_attachment=True, filename=file_name(report, extension)
    )
