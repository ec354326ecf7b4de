"""/outcomes/: the outcomes of accompaniment as figures, never a name, for those who read the
dashboard, within their area (docs/OUTCOMES.md). Each count links to the households behind it
(the household list's outcome filters) when the reader may open that list over the whole area
the figures cover; KUBE months link to the groups' list likewise."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    opens_all_of,
)
from pilar.accounts.decorators import capability_required
from pilar.casework.cohorts import (
    ACCOMPANIED_DAYS,
    POOREST,
    WINDOW_MONTHS,
    Change,
    Closure,
    Group,
    Poorest,
)
from pilar.lib.charts import Series, bar_chart, trend_chart
from pilar.lib.params import parse_date
from pilar.outcomes.figures import COMPARED, Outcomes, households_query, outcome_figures


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


class _Cells:
    """A table of counts: rows of (label, [(count, link or None) per group])."""

    def __init__(self, figures: Outcomes, linked: bool):
        self.figures, self.linked = figures, linked
        self.base = reverse("casework:household-list")

    def link(self, **filters) -> str | None:
        if not self.linked:
            return None
        return f"{self.base}?{households_query(self.figures.as_of, **filters)}"

    def rows(self, table: dict, labels: dict, name: str) -> list:
        return [
            (
                label,
                [
                    (
                        table.get(g, {}).get(key, 0),
                        self.link(accompanied=g, **{name: key}),
                        Group.LABELS[g],
                    )
                    for g in COMPARED
                ],
            )
            for key, label in labels.items()
        ]


@capability_required(Capability.HEADCOUNT_VIEW)
def home(request):
    user = request.user
    today = timezone.localdate()
    as_of = parse_date(request.GET.get("as_of"), "as_of", default=today)
    scope = area_scope(user, Capability.HEADCOUNT_VIEW)
    figures = outcome_figures(scope, as_of)
    cells = _Cells(figures, opens_all_of(user, Capability.CASEWORK_VIEW, scope))
    kube_linked = opens_all_of(user, Capability.KUBE_VIEW, scope)
    groups = [Group.LABELS[g] for g in COMPARED]
    known = {
        g: sum(n for c, n in figures.movement.get(g, {}).items() if c != Change.UNKNOWN)
        for g in COMPARED
    }
    movement_chart = trend_chart(
        title=_("Decile movement, share of households with a known decile on both days"),
        labels=[Change.LABELS[c] for c in (Change.IMPROVED, Change.SAME, Change.WORSE)],
        series=[
            Series(
                label=str(Group.LABELS[g]),
                values=[
                    _percent(figures.movement.get(g, {}).get(c, 0), known[g])
                    for c in (Change.IMPROVED, Change.SAME, Change.WORSE)
                ],
                key=g,
            )
            for g in COMPARED
        ],
        kind="bar",
        unit="%",
    )
    poorest_chart = bar_chart(
        title=_("Left deciles 1–%(n)s, share of those in them twelve months before")
        % {"n": POOREST},
        labels=[str(label) for label in groups],
        values=[
            _percent(figures.poorest.get(g, {}).get(Poorest.LEFT, 0), figures.in_poorest(g))
            for g in COMPARED
        ],
        unit="%",
    )
    kube_url = reverse("kube:group-list") if kube_linked else None
    kube_chart = trend_chart(
        title=_("KUBE groups' average monthly turnover per group reporting (million Rp)"),
        labels=[f"{m.month:%m/%y}" for m in figures.kube],
        series=[
            Series(
                label=_("Average turnover per group (million Rp)"),
                values=[
                    round(m.average / 1_000_000, 1) if m.average is not None else None
                    for m in figures.kube
                ],
                key="turnover",
            )
        ],
        kind="line",
        links=[kube_url] * len(figures.kube) if kube_url else None,
    )
    return render(
        request,
        "outcomes/home.html",
        {
            "figures": figures,
            "as_of": as_of,
            "is_today": as_of == today,
            "groups": groups,
            "window_months": WINDOW_MONTHS,
            "accompanied_days": ACCOMPANIED_DAYS,
            "poorest_decile": POOREST,
            "households": [
                (Group.LABELS[g], figures.households.get(g, 0), cells.link(accompanied=g))
                for g in Group.LABELS
            ],
            "movement": cells.rows(figures.movement, Change.LABELS, "decile_change"),
            "poorest": cells.rows(figures.poorest, Poorest.LABELS, "poorest"),
            "closures": cells.rows(figures.closures, Closure.LABELS, "closed"),
            "by_category": [
                (
                    row.name,
                    [
                        (
                            row.by_group.get(g, 0),
                            cells.link(accompanied=g, closed=Closure.ANY, category=row.category_id),
                            Group.LABELS[g],
                        )
                        for g in COMPARED
                    ],
                    [
                        (
                            row.better_off.get(g, 0),
                            _("%(group)s: found better off") % {"group": Group.LABELS[g]},
                        )
                        for g in COMPARED
                    ],
                )
                for row in figures.by_category
            ],
            "movement_chart": movement_chart,
            "poorest_chart": poorest_chart,
            "kube_chart": kube_chart,
            "kube_url": kube_url,
        },
    )
