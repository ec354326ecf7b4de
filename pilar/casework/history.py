"""A household's dated history of status and PMKS categories (`StatusRecord`,
`CategoryRecord`), written by every path that changes them, in that path's own transaction:
the casework services, DTSEN extracts (pilar/dtsen/engine/write.py) and verification rounds
(pilar/verivali/reviews.py). The decile's history (`DecileRecord`) is written beside it by the
same paths; KUBE membership keeps its own (`KubeMember.joined_on`, `left_on`).

Outcome figures read these tables (pilar/casework/cohorts.py, docs/OUTCOMES.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Max

from pilar.casework.models import CategoryRecord, Household, StatusRecord


def _latest(household_ids: list[int]) -> dict[int, datetime.date]:
    """The date of each household's latest status record."""
    return dict(
        StatusRecord.objects.filter(household_id__in=household_ids)
        .values("household_id")
        .annotate(latest=Max("as_of"))
        .values_list("household_id", "latest")
        .order_by()
    )


def status_record(
    household: Household,
    *,
    as_of: datetime.date,
    source: str,
    reference: int | None = None,
) -> StatusRecord:
    """The household's status and reason as they now stand, from `as_of` — or from the latest
    record's date when that is later (a change dated back before the last one): the newest
    record stays what the household says now."""
    latest = _latest([household.pk]).get(household.pk)
    return StatusRecord.objects.create(
        household=household,
        status=household.status,
        reason=household.status_reason if household.status != Household.Status.ACTIVE else "",
        as_of=max(as_of, latest) if latest else as_of,
        source=source,
        reference=reference,
    )


def status_records(
    households: Iterable[Household],
    *,
    as_of: datetime.date,
    source: str,
    reference: int | None = None,
) -> list[StatusRecord]:
    """`status_record` for many households at once (an extract's thousands), in bulk."""
    households = list(households)
    latest = _latest([h.pk for h in households])
    rows = [
        StatusRecord(
            household_id=h.pk,
            status=h.status,
            reason=h.status_reason if h.status != Household.Status.ACTIVE else "",
            as_of=max(as_of, latest[h.pk]) if h.pk in latest else as_of,
            source=source,
            reference=reference,
        )
        for h in households
    ]
    StatusRecord.objects.bulk_create(rows, batch_size=1000)
    return rows


def categories_changed(
    household: Household, *, old: set[int], new: set[int], day: datetime.date
) -> None:
    """The categories `household` no longer holds end the day before `day`, those it now
    holds start on `day` (a category dropped on the day it was added leaves no span)."""
    gone = old - new
    if gone:
        open_ = CategoryRecord.objects.filter(
            household=household, category_id__in=gone, end_date__isnull=True
        )
        open_.filter(start_date__gte=day).delete()
        open_.update(end_date=day - datetime.timedelta(days=1))
    CategoryRecord.objects.bulk_create(
        [
            CategoryRecord(household=household, category_id=pk, start_date=day)
            for pk in sorted(new - old)
        ]
    )
