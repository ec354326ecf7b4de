"""Background work of the dashboard (django-tasks): the province's roll-up
(pilar/dashboard/rollup.py asks, `refresh` in pilar/dashboard/summary.py does) and the monthly
report (pilar/dashboard/monthly_services.py asks, pilar/dashboard/monthly_work.py writes)."""

from __future__ import annotations

import datetime

from django_tasks import task

from pilar.dashboard.monthly_work import write_report
from pilar.dashboard.summary import refresh
from pilar.offices.models import Office


@task()
def refresh_office_figures(office_id: int, as_of: str) -> None:
    """Compute one office's dashboard figures on `as_of` (YYYY-MM-DD) into the summary table."""
    office = Office.objects.select_related("area").filter(pk=office_id).first()
    if office is not None:  # an office removed since it was asked
        refresh(office, datetime.date.fromisoformat(as_of))


@task()
def write_monthly_report(report_id: int) -> None:
    """Write an office's monthly report (pilar/dashboard/monthly_work.py)."""
    write_report(report_id)
