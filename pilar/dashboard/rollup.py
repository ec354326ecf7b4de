"""What the province sees: each hosted office's dashboard figures in a row, and their total
(docs/DASHBOARD.md, "Province").

The rows are read from the summary table `OfficeFigures`, one query for every office. A row is
fresh while no audited write has come since it was computed (the data version of
pilar/audit/cache.py). A stale row is shown as last computed, stamped with the time, and the
task worker is asked to compute it again (`refresh_office_figures`), once per office until it
has. A province of up to `DIRECT_UP_TO` offices computes on the page the rows the worker has not
brought up to date within `MAX_AGE` (the worker is down or behind) and those never computed;
past that (the country's 514) the page never computes, it only asks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pilar.accounts.access import (
    Capability,
    area_scope,
    hosts_others,
    office_of,
    opens_all_of,
    scope_covers,
)
from pilar.audit.cache import data_version
from pilar.dashboard.figures import shown, summed
from pilar.dashboard.models import OfficeFigures
from pilar.dashboard.summary import asked_key, refresh
from pilar.dashboard.tasks import refresh_office_figures
from pilar.lib.kept import KEEP_SECONDS
from pilar.offices.models import Office

__all__ = ["province_figures", "refresh"]

# A province's 19 kab/kota may be computed on the page; a country's 514 are not.
DIRECT_UP_TO = 40
REQUEUE_SECONDS = KEEP_SECONDS
# How far behind a stale row may be shown on a page that may compute it (like pilar/lib/kept.py).
MAX_AGE = datetime.timedelta(seconds=KEEP_SECONDS)


@dataclass
class OfficeRow:
    office: Office
    figures: dict | None  # None: not computed yet (the worker has been asked)
    computed_at: datetime.datetime | None
    fresh: bool
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class Province:
    as_of: datetime.date
    rows: list[OfficeRow]
    total: dict
    computed_at: datetime.datetime | None  # the oldest row's
    stale: int  # rows shown as last computed, being computed again
    missing: int  # rows not computed yet


def hosted_offices(office) -> list[Office]:
    """The offices within `office`'s area that run a programme of their own: those hosting no
    other (a province's kab/kota; for a country, every kab/kota, not the provinces between),
    in the order of their area codes. One query."""
    return list(Office.objects.hosted_by(office).select_related("area"))


def ask_worker(offices: list[Office], as_of: datetime.date) -> None:
    """Ask the task worker to compute these offices' figures: once until the answer comes
    (`refresh` forgets the question), whatever the number of pages asking; again after
    REQUEUE_SECONDS should a task be lost."""
    for office in offices:
        if cache.add(asked_key(office, as_of), 1, REQUEUE_SECONDS):
            # Nothing to wait for: a page's read has no transaction to commit.
            refresh_office_figures.enqueue(office.pk, as_of.isoformat())


def _links(user, office: Office, as_of: datetime.date) -> dict[str, str]:
    """The lists of `office`'s area behind its row's figures that `user` may open in full."""
    links = {}
    if opens_all_of(user, Capability.STIPENDS_VIEW, [office.area]):
        links["owed"] = f"{reverse('stipends:arrears')}?area={office.area.code}&list=1"
    if opens_all_of(user, Capability.TRAININGS_VIEW, [office.area]):
        links["missing"] = (
            f"{reverse('trainings:requirements')}?area={office.area.code}&on={as_of:%Y-%m-%d}"
        )
    return links


def province_figures(user, as_of: datetime.date) -> Province:
    """The rows of the offices `user`'s office hosts (those whose whole area the user reads) and
    their total on `as_of`. The total is the sum of the rows shown; a row not computed yet counts
    in neither."""
    office = office_of(user)
    offices = hosted_offices(office) if office is not None and hosts_others(office) else []
    # A row is a whole office's figures: shown to a user who reads the aggregates of all of
    # its area (a grant limited to a kota shows that kota's row alone).
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    offices = [o for o in offices if scope_covers(scope, [o.area])]
    version = data_version()
    kept = {
        row.office_id: row
        for row in OfficeFigures.objects.filter(office__in=[o.pk for o in offices], as_of=as_of)
    }
    stale = [o for o in offices if o.pk not in kept or kept[o.pk].version != version]
    if len(offices) <= DIRECT_UP_TO:
        since = timezone.now() - MAX_AGE
        overdue = {o.pk for o in stale if o.pk not in kept or kept[o.pk].computed_at < since}
        for o in stale:
            if o.pk in overdue:
                kept[o.pk] = refresh(o, as_of)
        stale = [o for o in stale if o.pk not in overdue]
    ask_worker(stale, as_of)
    asked = {o.pk for o in stale}
    rows = []
    for o in offices:
        found = kept.get(o.pk)
        rows.append(
            OfficeRow(
                office=o,
                figures=shown(found.figures) if found else None,
                computed_at=found.computed_at if found else None,
                fresh=o.pk not in asked,
                links=_links(user, o, as_of),
            )
        )
    counted = [r for r in rows if r.figures is not None]
    return Province(
        as_of=as_of,
        rows=rows,
        total=shown(summed(r.figures for r in counted)),
        computed_at=min((r.computed_at for r in counted), default=None),
        stale=sum(1 for r in counted if not r.fresh),
        missing=len(rows) - len(counted),
    )
