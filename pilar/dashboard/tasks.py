"""Background work for the province's roll-up (django-tasks): pilar/dashboard/rollup.py asks,
`refresh` (pilar/dashboard/summary.py) does."""

from __future__ import annotations

import datetime

from django_tasks import task

from pilar.dashboard.summary import refresh
from pilar.offices.models import Office


@task()
def refresh_office_figures(office_id: int, as_of: str) -> None:
    """Compute one office's dashboard figures on `as_of` (YYYY-MM-DD) into the summary table."""
    office = Office.objects.select_related("area").filter(pk=office_id).first()
    if office is not None:  # an office removed since it was asked
        refresh(office, datetime.date.fromisoformat(as_of))
