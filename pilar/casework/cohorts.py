"""Who counts where in the outcomes of accompaniment (docs/OUTCOMES.md): the window, the two
groups compared, a household's decile movement, leaving the poorest deciles and cases closed.

The definitions live here, beside the history they read, so that the outcome figures
(pilar/outcomes/figures.py) and the household list they link to (its filters `as_of`,
`accompanied`, `decile_change`, `poorest`, `closed`) count the same households by the same
queries. Everything is an annotation computed in the database: a fixed number of queries
whatever the number of households.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils.translation import gettext_lazy as _

from pilar.casework.models import (
    Caseload,
    CategoryRecord,
    DecileRecord,
    Household,
    StatusRecord,
)
from pilar.lib.months import add_months

WINDOW_MONTHS = 12
# "Six months or more": at least this many days accompanied within the window.
ACCOMPANIED_DAYS = 183
# The poorest deciles: DTSEN's deciles 1 and 2, the households most programmes target first.
POOREST = 2


class Group:
    """The households compared: accompanied six months or more within the window, never
    accompanied up to its end, and the rest (accompanied less, or only before the window)."""

    ACCOMPANIED = "6m"
    NONE = "none"
    SHORT = "short"
    LABELS = {
        ACCOMPANIED: _("Accompanied 6 months or more"),
        NONE: _("Not (yet) accompanied"),
        SHORT: _("Accompanied less than 6 months"),
    }
    COMPARED = (ACCOMPANIED, NONE)


class Change:
    """A household's decile at the window's end against its start (a higher decile is better
    off: decile 1 is the poorest)."""

    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"
    UNKNOWN = "unknown"
    LABELS = {
        IMPROVED: _("Higher decile (better off)"),
        SAME: _("Same decile"),
        WORSE: _("Lower decile (poorer)"),
        UNKNOWN: _("Unknown (no decile on one of the two days)"),
    }


class Poorest:
    """Of the households in deciles 1–2 at the window's start: where they are at its end."""

    LEFT = "left"
    STAYED = "stayed"
    UNKNOWN = "unknown"
    LABELS = {
        LEFT: _("Left deciles 1–2"),
        STAYED: _("Still in deciles 1–2"),
        UNKNOWN: _("Decile unknown at the end"),
    }


class Closure:
    """Why a case was closed within the window, from the status record that closed it."""

    BETTER_OFF = "better_off"
    NOT_IN_EXTRACT = "not_in_extract"
    OFFICE = "office"
    MOVED = "moved"
    LABELS = {
        BETTER_OFF: _("Closed: found better off (verification)"),
        NOT_IN_EXTRACT: _("Closed: not in a DTSEN extract"),
        OFFICE: _("Closed by the office"),
        MOVED: _("Moved away"),
    }
    ANY = "any"


def window(as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """(start, end): the twelve months ending on `as_of`; the start is the same day a year
    before (28 February for 29 February)."""
    return add_months(as_of, -WINDOW_MONTHS), as_of


def _decile_on(day: datetime.date) -> Subquery:
    """The household's decile on `day`: its latest record dated on or before it."""
    return Subquery(
        DecileRecord.objects.filter(household=OuterRef("pk"), as_of__lte=day)
        .order_by("-as_of", "-pk")
        .values("decile")[:1]
    )


def _first_decile_within(start: datetime.date, end: datetime.date) -> Subquery:
    """The household's first decile recorded after `start`, up to `end`."""
    return Subquery(
        DecileRecord.objects.filter(household=OuterRef("pk"), as_of__gt=start, as_of__lte=end)
        .order_by("as_of", "pk")
        .values("decile")[:1]
    )


def _accompanied_days(start: datetime.date, end: datetime.date) -> Subquery:
    """Days within [start, end] on which a pillar accompanied the household (its caseload
    spans, which never overlap: one open at a time, a reassignment ends the day before)."""
    day = datetime.timedelta(days=1)
    spans = (
        Caseload.objects.filter(household=OuterRef("pk"), start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .annotate(
            days=ExpressionWrapper(
                Least(Coalesce("end_date", Value(end)), Value(end), output_field=DateField())
                - Greatest("start_date", Value(start), output_field=DateField())
                + Value(day),
                output_field=DurationField(),
            )
        )
        .order_by()
        .values("household")
        .annotate(total=Sum("days"))
        .values("total")
    )
    return Subquery(spans, output_field=DurationField())


def _closure() -> Case:
    return Case(
        When(status=Household.Status.MOVED, then=Value(Closure.MOVED)),
        When(source=StatusRecord.Source.VERIVALI, then=Value(Closure.BETTER_OFF)),
        When(source=StatusRecord.Source.EXTRACT, then=Value(Closure.NOT_IN_EXTRACT)),
        default=Value(Closure.OFFICE),
        output_field=CharField(),
    )


def outcome_households(households: QuerySet, as_of: datetime.date) -> QuerySet:
    """`households` known during the window ending `as_of` (active at its start, or made
    active within it, by the status history), annotated with:

    - `group`: Group.ACCOMPANIED, NONE or SHORT;
    - `decile_start` (the latest decile on or before the window's start, or the first recorded
      within it), `decile_end` (the latest on or before its end), `decile_change` (Change);
    - `poorest`: for those in deciles 1–2 at the start, Poorest; otherwise empty;
    - `closed_on`, `closure`: the latest closing status record within the window (Closure),
      empty when the household was not closed or moved within it.
    """
    start, end = window(as_of)
    status_at_start = Subquery(
        StatusRecord.objects.filter(household=OuterRef("pk"), as_of__lte=start)
        .order_by("-as_of", "-pk")
        .values("status")[:1]
    )
    activated = StatusRecord.objects.filter(
        household=OuterRef("pk"),
        status=Household.Status.ACTIVE,
        as_of__gt=start,
        as_of__lte=end,
    )
    ever = Caseload.objects.filter(household=OuterRef("pk"), start_date__lte=end)
    # A closing counts only when the household is not active again by the window's end: a
    # later "active" record (the household reopened) undoes it (found in review).
    reopened = StatusRecord.objects.filter(
        household=OuterRef(OuterRef("pk")), status=Household.Status.ACTIVE, as_of__lte=end
    ).filter(Q(as_of__gt=OuterRef("as_of")) | Q(as_of=OuterRef("as_of"), pk__gt=OuterRef("pk")))
    closing = (
        StatusRecord.objects.filter(household=OuterRef("pk"), as_of__gt=start, as_of__lte=end)
        .exclude(status=Household.Status.ACTIVE)
        .filter(~Exists(reopened))
        .order_by("-as_of", "-pk")
    )
    return (
        households.annotate(status_at_start=status_at_start)
        .filter(Q(status_at_start=Household.Status.ACTIVE) | Exists(activated))
        .annotate(
            accompanied_days=_accompanied_days(start, end),
            # A household first given a decile within the window starts from that one.
            decile_start=Coalesce(_decile_on(start), _first_decile_within(start, end)),
            decile_end=_decile_on(end),
            closed_on=Subquery(closing.values("as_of")[:1]),
            closure=Subquery(closing.annotate(kind=_closure()).values("kind")[:1]),
        )
        .annotate(
            group=Case(
                When(~Exists(ever), then=Value(Group.NONE)),
                When(
                    accompanied_days__gte=datetime.timedelta(days=ACCOMPANIED_DAYS),
                    then=Value(Group.ACCOMPANIED),
                ),
                default=Value(Group.SHORT),
                output_field=CharField(),
            ),
            decile_change=Case(
                When(
                    Q(decile_start__isnull=True) | Q(decile_end__isnull=True),
                    then=Value(Change.UNKNOWN),
                ),
                When(decile_end__gt=F("decile_start"), then=Value(Change.IMPROVED)),
                When(decile_end=F("decile_start"), then=Value(Change.SAME)),
                default=Value(Change.WORSE),
                output_field=CharField(),
            ),
            poorest=Case(
                When(
                    Q(decile_start__isnull=True) | Q(decile_start__gt=POOREST),
                    then=Value(""),
                ),
                When(decile_end__isnull=True, then=Value(Poorest.UNKNOWN)),
                When(decile_end__gt=POOREST, then=Value(Poorest.LEFT)),
                default=Value(Poorest.STAYED),
                output_field=CharField(),
            ),
        )
    )


def _held_on_closing(prefix: str) -> Q:
    """The category record (through `prefix`) held on the day the household was closed."""
    return Q(**{f"{prefix}start_date__lte": F("closed_on")}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": F("closed_on")})
    )


def closed_holding(households: QuerySet, category_id: int) -> QuerySet:
    """Of `outcome_households` closed within the window: those holding PMKS category
    `category_id` on the day they were closed (its category history)."""
    held = CategoryRecord.objects.filter(
        household=OuterRef("pk"),
        category_id=category_id,
        start_date__lte=OuterRef("closed_on"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("closed_on")))
    return households.filter(closed_on__isnull=False).filter(Exists(held))


def closed_by_category(households: QuerySet) -> QuerySet:
    """Of `outcome_households` closed within the window: (group, category id, closure, n)
    rows, each household counted once under every category it held on the day it closed."""
    return (
        households.filter(closed_on__isnull=False)
        # One filter() call: the three conditions hold on the same category record.
        .filter(_held_on_closing("category_history__"))
        .values("group", "closure", category=F("category_history__category_id"))
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
