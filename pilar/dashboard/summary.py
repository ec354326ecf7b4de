"""The province's summary table kept fresh: one office's figures computed and stored
(docs/DASHBOARD.md, "Province"). pilar/dashboard/rollup.py reads the table; the task worker
(pilar/dashboard/tasks.py) and a province page of few offices call `refresh`."""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.utils import timezone

from pilar.audit.cache import data_version
from pilar.dashboard.figures import compute
from pilar.dashboard.models import OfficeFigures
from pilar.offices.models import Office
from pilar.offices.services import remembered

# Rows of other dates are kept a day after they were computed (a past date asked once).
KEEP_OTHER_DATES = datetime.timedelta(days=1)


def refresh(office: Office, as_of: datetime.date) -> OfficeFigures:
    """Compute `office`'s figures on `as_of` as its own users' dashboard counts them, acting
    for it (its policies: the report due day, what is owed), and keep them."""
    version = data_version()  # read first: a write while counting leaves the row stale
    with remembered(office=office):
        figures = compute([office.area], as_of)
    now = timezone.now()
    row, _created = OfficeFigures.objects.update_or_create(
        office=office,
        as_of=as_of,
        defaults={"figures": figures, "version": version, "computed_at": now},
    )
    OfficeFigures.objects.filter(office=office, computed_at__lt=now - KEEP_OTHER_DATES).exclude(
        as_of=as_of
    ).delete()
    cache.delete(asked_key(office, as_of))
    return row


def asked_key(office: Office, as_of: datetime.date) -> str:
    return f"pilar:office-figures-asked:{office.pk}:{as_of.isoformat()}"
