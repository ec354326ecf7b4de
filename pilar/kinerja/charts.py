"""A trend's charts (pilar/lib/charts.py), shared by the kinerja pages and the dashboard."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pilar.casework.models import Sector
from pilar.kinerja.figures import Trend
from pilar.lib.charts import Chart, Series, trend_chart

# A month's link, or None: (month) -> URL.
MonthLink = Callable[..., str | None] | None


def labels(trend: Trend) -> list[str]:
    return [date_format(m, "m/y") for m in trend.months]


def _links(trend: Trend, link: MonthLink) -> list[str | None] | None:
    return None if link is None else [link(m) for m in trend.months]


def activities_chart(trend: Trend, link: MonthLink = None) -> Chart:
    return trend_chart(
        title=_("Activities per month, by sector"),
        labels=labels(trend),
        series=[
            Series(label=str(label), values=trend.sector(value), key=value)
            for value, label in Sector.choices
        ],
        kind="stacked",
        links=_links(trend, link),
    )


def reports_chart(trend: Trend, link: MonthLink = None) -> Chart:
    return trend_chart(
        title=_("Monthly reports: submitted by the due day, late, verified"),
        labels=labels(trend),
        series=[
            Series(label=_("On time"), values=trend.series("on_time"), key="on_time"),
            Series(
                label=_("Late"),
                values=[p.reports - p.on_time for p in trend.points],
                key="late",
            ),
            Series(label=_("Verified"), values=trend.series("verified"), key="verified"),
        ],
        kind="bar",
        links=_links(trend, link),
    )


def households_chart(trend: Trend, link: MonthLink = None) -> Chart:
    return trend_chart(
        title=_("Households reached against the caseload"),
        labels=labels(trend),
        series=[
            Series(label=_("Reached"), values=trend.series("reached"), key="reached"),
            Series(label=_("In a caseload"), values=trend.series("caseload"), key="caseload"),
        ],
        kind="line",
        links=_links(trend, link),
    )


def follow_ups_chart(trend: Trend, link: MonthLink = None) -> Chart:
    return trend_chart(
        title=_("Follow-ups due and closed on time"),
        labels=labels(trend),
        series=[
            Series(label=_("Due"), values=trend.series("follow_ups"), key="due"),
            Series(
                label=_("Closed on time"),
                values=trend.series("follow_ups_on_time"),
                key="closed",
            ),
        ],
        kind="bar",
        links=_links(trend, link),
    )


def trainings_chart(trend: Trend, link: MonthLink = None) -> Chart:
    return trend_chart(
        title=_("Required trainings passed"),
        labels=labels(trend),
        series=[Series(label=_("Passed"), values=trend.series("trainings"), key="trainings")],
        kind="bar",
        links=_links(trend, link),
    )
