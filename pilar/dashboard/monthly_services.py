"""Asking for an office's monthly report, and the schedule that asks for every office's on the
11th (docs/DASHBOARD.md, "Monthly report"). The task worker writes it
(`pilar.dashboard.tasks.write_monthly_report`, pilar/dashboard/monthly_work.py).

A report is derived data, like the dashboard's summary table: asking for it again replaces
it, and neither asking nor writing is audited (it holds no name; the figures are the pages')."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.dashboard.models import MonthlyOfficeReport
from pilar.dashboard.tasks import write_monthly_report
from pilar.lib.jobs import is_stale, recover_stale
from pilar.lib.months import month_label, previous_month
from pilar.offices.models import Office

# Monthly reports are due by the 10th (the office's due day, at most the 28th, says when each is
# late); the report of the month before is written from the 11th.
SCHEDULE_DAY = 11
# A scheduled report whose worker died is written again this many times in all.
MAX_ATTEMPTS = 3
# Only a report being written can lose its worker: a waiting one stays in the task queue
# (a table) until a worker takes it, however long that is.
WORKING = [MonthlyOfficeReport.Status.RUNNING]


def last_reportable(today: datetime.date | None = None) -> datetime.date:
    """The latest month a report can be written for: the month before today's (the current
    month is not over)."""
    return previous_month(today or timezone.localdate())


def programme_offices():
    """The offices that write a monthly report: those running a programme of their own, not
    those hosting others (a province's roll-up is the dashboard's, not a report)."""
    offices = Office.objects.with_hosting().filter(hosts=False)
    if Office.objects.count() > 1:
        # An office of no area above others hosts them all (docs/OFFICE.md, "Many offices").
        offices = offices.filter(area__isnull=False)
    return offices.order_by("pk")


def _enqueue(report: MonthlyOfficeReport) -> None:
    transaction.on_commit(lambda: write_monthly_report.enqueue(report.pk))


def monthly_report_request(
    *, office: Office, month: datetime.date, user=None
) -> MonthlyOfficeReport:
    """Ask for `office`'s report of `month` (the first day) to be written, again if it was:
    the row goes back to waiting and the worker writes it, replacing its files. A report being
    written is returned as it is (its worker is alive: `recover_monthly_reports` says so).
    Raises ValidationError (field `month`) for a month not over yet."""
    if month > last_reportable():
        raise ValidationError(
            {
                "month": _("%(month)s is not over yet: a report can be written up to %(last)s.")
                % {"month": month_label(month), "last": month_label(last_reportable())}
            }
        )
    recover_monthly_reports()
    now = timezone.now()
    with transaction.atomic():
        report, created = MonthlyOfficeReport.objects.select_for_update().get_or_create(
            office=office,
            month=month,
            defaults={"requested_by": user, "requested_at": now, "heartbeat_at": now},
        )
        if not created:
            if report.status == MonthlyOfficeReport.Status.RUNNING or (
                report.status == MonthlyOfficeReport.Status.QUEUED
                and not is_stale(report.heartbeat_at)
            ):
                return report
            report.status = MonthlyOfficeReport.Status.QUEUED
            report.requested_by = user
            report.requested_at = now
            report.heartbeat_at = now
            report.progress = 0
            report.attempts = 0
            report.error = ""
            report.save(
                update_fields=[
                    "status",
                    "requested_by",
                    "requested_at",
                    "heartbeat_at",
                    "progress",
                    "attempts",
                    "error",
                ]
            )
        _enqueue(report)
    return report


def monthly_reports_due(now: datetime.datetime | None = None) -> list[MonthlyOfficeReport]:
    """The task worker's round (pilar/backups/management/commands/worker.py): from the 11th,
    last month's report of every office that has none yet is created and queued, once (the
    office and month are unique: of several workers one creates it). A scheduled report whose
    worker died is queued again, up to MAX_ATTEMPTS in all. Returns the reports queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if today.day < SCHEDULE_DAY:
        return []
    month = previous_month(today)
    recover_monthly_reports()
    queued = []
    have = set(MonthlyOfficeReport.objects.filter(month=month).values_list("office_id", flat=True))
    for office in programme_offices().exclude(pk__in=have):
        try:
            with transaction.atomic():
                report = MonthlyOfficeReport.objects.create(
                    office=office, month=month, requested_at=now, heartbeat_at=now
                )
                _enqueue(report)
        except IntegrityError:
            continue  # another worker created it in the meantime
        queued.append(report)
    for report in MonthlyOfficeReport.objects.filter(
        month=month,
        requested_by__isnull=True,
        status=MonthlyOfficeReport.Status.FAILED,
        attempts__lt=MAX_ATTEMPTS,
    ):
        with transaction.atomic():
            again = MonthlyOfficeReport.objects.filter(
                pk=report.pk, status=MonthlyOfficeReport.Status.FAILED
            ).update(status=MonthlyOfficeReport.Status.QUEUED, heartbeat_at=now, progress=0)
            if again:
                _enqueue(report)
                queued.append(report)
    return queued


def recover_monthly_reports() -> int:
    """Reports being written whose worker has not been heard of in time
    (pilar/lib/jobs.py): marked failed, so that they can be asked again."""
    return recover_stale(
        MonthlyOfficeReport.objects.all(),
        WORKING,
        lambda _row: {
            "status": MonthlyOfficeReport.Status.FAILED,
            "error": _("The task worker stopped while writing the report; write it again."),
            "heartbeat_at": None,
        },
    )
