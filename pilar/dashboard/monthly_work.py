"""Writing one monthly report (docs/DASHBOARD.md, "Monthly report"): its figures counted while
acting for its office, then the PDF and the XLSX, the row beating as it goes. Called by the task
worker (`pilar.dashboard.tasks.write_monthly_report`)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pilar.dashboard.models import MonthlyOfficeReport
from pilar.dashboard.monthly import SECTIONS, made, month_figures, report_figures
from pilar.dashboard.monthly_files import report_pdf, report_xlsx
from pilar.lib.jobs import Heartbeat
from pilar.offices.copies import OfficeCopy
from pilar.offices.services import remembered

logger = logging.getLogger(__name__)


def file_name(report: MonthlyOfficeReport, extension: str) -> str:
    return f"laporan-bulanan-{report.month:%Y-%m}-kantor-{report.office_id}.{extension}"


def write_report(report_id: int) -> None:
    """Write report `report_id` if it is waiting (a second worker given it returns at once)."""
    Status = MonthlyOfficeReport.Status
    rows = MonthlyOfficeReport.objects.filter(pk=report_id)
    taken = rows.filter(status=Status.QUEUED).update(
        status=Status.RUNNING, heartbeat_at=timezone.now(), progress=0, attempts=F("attempts") + 1
    )
    if not taken:
        return
    report = MonthlyOfficeReport.objects.select_related("office__area").get(pk=report_id)
    heartbeat = Heartbeat(rows.filter(status=Status.RUNNING))
    try:
        # Acting for the office (its due day, rates, ceilings), in the office's language.
        with remembered(office=report.office), translation.override("id"):
            figures = month_figures(report.office, report.month)
            sections = []
            steps = len(SECTIONS) + 2
            for n, maker in enumerate(SECTIONS, start=1):
                sections += made(maker, figures)
                heartbeat.beat(force=True, progress=round(90 * n / steps))
            written = timezone.localdate()
            office = OfficeCopy.of(report.office)
            pdf = report_pdf(office, report.month, sections, written)
            heartbeat.beat(force=True, progress=round(90 * (steps - 1) / steps))
            xlsx = report_xlsx(office.name, report.month, sections)
        old = [f.name for f in (report.pdf, report.xlsx) if f]
        # In one transaction: a failure here (the disk full) leaves the row as it was.
        with transaction.atomic():
            report.pdf.save(file_name(report, "pdf"), ContentFile(pdf), save=False)
            report.xlsx.save(file_name(report, "xlsx"), ContentFile(xlsx), save=False)
            report.figures = report_figures(figures, sections)
            report.status = Status.DONE
            report.progress = 100
            report.error = ""
            report.generated_at = timezone.now()
            report.save(
                update_fields=[
                    "pdf",
                    "xlsx",
                    "figures",
                    "status",
                    "progress",
                    "error",
                    "generated_at",
                ]
            )
        # The files of the report written before: replaced.
        for name in old:
            if name not in (report.pdf.name, report.xlsx.name):
                report.pdf.storage.delete(name)
    except Exception as exc:  # the page must say it failed, not wait forever
        logger.exception("writing monthly report %s", report_id)
        rows.update(
            status=Status.FAILED,
            error=_(
                "Writing the report failed (%(kind)s). Write it again; if it fails again, "
                "tell the administrator."
            )
            % {"kind": type(exc).__name__},
        )
