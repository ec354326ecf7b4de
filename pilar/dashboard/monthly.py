"""The office's monthly report as figures: a list of sections, each a title, a table and
optionally a chart (docs/DASHBOARD.md, "Monthly report"). The PDF and the XLSX
(pilar/dashboard/monthly_files.py) and the report's page draw the same sections.

Every figure comes from the function the pages use, never a second count: the dashboard's
(`pilar.dashboard.figures.flat` over the casework summary, the headcount, the arrears and the
gaps) as `/dashboard/?as_of=<the first day of the next month>` shows them, whose month is the
month reported; the casework summary as `/casework/summary/?month=<month>` shows it. A section
is a function of `MonthFigures`: adding one (a 12-month trend, the outcomes of accompaniment)
is a function and a line in `SECTIONS`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from pilar.casework.models import MonthlyReport, Sector
from pilar.casework.selectors import SummaryRow, summary_kept
from pilar.dashboard.figures import flat, reports_late
from pilar.dashboard.gaps import EXPIRING_DAYS, Gaps, training_and_equipment_gaps
from pilar.kinerja.figures import office_trend
from pilar.lib.charts import Chart, Series, bar_chart, trend_chart
from pilar.lib.dates import long_date
from pilar.lib.months import month_end, next_month
from pilar.offices.models import Office
from pilar.outcomes.figures import outcome_figures
from pilar.regions.models import Area, within_areas_q
from pilar.registry.headcount import Headcount, headcount_within
from pilar.registry.models import PillarKind
from pilar.stipends.arrears import OfficeArrears, arrears_within
from pilar.stipends.models import StipendLine
from pilar.trainings.models import Participant, TrainingEvent


@dataclass
class ChartSpec:
    """What a chart shows, kept as JSON with the report: `kind` "categories" is a horizontal
    bar per label (one series); "bar", "stacked" or "line" a trend over the labels."""

    title: str
    labels: list[str]
    series: list[tuple[str, list]]
    kind: str = "categories"
    unit: str = ""

    def chart(self) -> Chart:
        if self.kind == "categories":
            label, values = self.series[0]
            return bar_chart(
                title=self.title, labels=self.labels, values=values, unit=self.unit, label=label
            )
        return trend_chart(
            title=self.title,
            labels=self.labels,
            series=[Series(label=label, values=values) for label, values in self.series],
            kind=self.kind,
            unit=self.unit,
        )

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "labels": self.labels,
            "series": [[label, values] for label, values in self.series],
            "kind": self.kind,
            "unit": self.unit,
        }

    @classmethod
    def from_json(cls, data: dict) -> ChartSpec:
        return cls(
            title=data["title"],
            labels=data["labels"],
            series=[(label, values) for label, values in data["series"]],
            kind=data.get("kind", "categories"),
            unit=data.get("unit", ""),
        )


@dataclass
class Section:
    """One part of the report: a sheet of the XLSX, a heading of the PDF. `rows` start with
    their label; the other cells are numbers (or text where a number would mislead)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list]
    chart: ChartSpec | None = None
    note: str = ""

    @property
    def numeric(self) -> list[bool]:
        """Per column, whether it holds numbers (aligned right), not text."""
        return [
            n > 0
            and all(
                isinstance(row[n], int | float) or row[n] in ("", None)
                for row in self.rows
                if len(row) > n
            )
            for n in range(len(self.columns))
        ]

    @property
    def header(self) -> list[tuple[str, bool]]:
        return list(zip(self.columns, self.numeric, strict=True))

    @property
    def cells(self) -> list[list[tuple]]:
        """The rows with each cell's alignment, for a page's table."""
        numeric = self.numeric
        return [list(zip(row, numeric, strict=False)) for row in self.rows]

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "chart": self.chart.as_json() if self.chart else None,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict) -> Section:
        chart = data.get("chart")
        return cls(
            key=data["key"],
            title=data["title"],
            columns=data["columns"],
            rows=data["rows"],
            chart=ChartSpec.from_json(chart) if chart else None,
            note=data.get("note", ""),
        )


@dataclass
class MonthFigures:
    """What the sections read, counted once for one office and month."""

    office: Office
    month: datetime.date
    as_of: datetime.date  # the dashboard's date whose month is `month`
    scope: list[Area] | None
    headcount: Headcount
    casework: SummaryRow
    late: int
    arrears: OfficeArrears
    gaps: Gaps
    dashboard: dict = field(default_factory=dict)  # `flat`: the dashboard's own figures


def dashboard_date(month: datetime.date) -> datetime.date:
    """The dashboard's date that reports on `month`: the first day of the next month (the
    dashboard shows the month before its date; arrears count up to that month)."""
    return next_month(month)


def month_figures(office: Office, month: datetime.date) -> MonthFigures:
    """The office's figures for `month`, over its area, as its own users' pages count them.
    The caller acts for the office (`remembered(office=office)`): its report due day, its
    rates and ceilings."""
    as_of = dashboard_date(month)
    scope = [office.area] if office.area_id else None
    hc = headcount_within(as_of=as_of, scope=scope)
    (_rows, casework), _counted_at = summary_kept(scope, month)
    late = reports_late(scope, month)
    arrears = arrears_within(scope, as_of)
    gaps = training_and_equipment_gaps(scope, as_of)
    figures = MonthFigures(office, month, as_of, scope, hc, casework, late, arrears, gaps)
    figures.dashboard = flat(
        by_kind=hc.by_kind, casework=casework, late=late, arrears=arrears, gaps=gaps
    )
    return figures


# --- the sections ----------------------------------------------------------------------------


def _kind_names() -> dict[str, str]:
    return dict(PillarKind.objects.order_by("order", "code").values_list("code", "name"))


def headcount_section(m: MonthFigures) -> Section:
    names = _kind_names()
    by_kind = m.headcount.by_kind
    rows = [[name, by_kind[code]] for code, name in names.items() if by_kind.get(code)]
    labels = [row[0] for row in rows]
    values = [row[1] for row in rows]
    rows.append([_("Total"), m.headcount.total])
    return Section(
        key="headcount",
        title=_("Pillars on duty"),
        columns=[_("Kind"), _("Active duties")],
        rows=rows,
        chart=ChartSpec(_("Pillars on duty by kind"), labels, [(_("Active duties"), values)]),
        note=_("Duties active on %(date)s.") % {"date": long_date(m.as_of)},
    )


def gaps_section(m: MonthFigures) -> Section:
    names = _kind_names()
    rows = [
        [
            f"{gap.area_name} ({gap.area_code})",
            names.get(gap.kind, gap.kind),
            gap.count,
            "" if gap.minimum is None else gap.minimum,
            "" if gap.maximum is None else gap.maximum,
        ]
        for gap in m.headcount.gaps
    ]
    return Section(
        key="gaps",
        title=_("Areas below a minimum or above a maximum"),
        columns=[_("Area"), _("Kind"), _("Active duties"), _("Minimum"), _("Maximum")],
        rows=rows,
        note=_("No area is below a kind's minimum or above its maximum.") if not rows else "",
    )


def activity_section(m: MonthFigures) -> Section:
    rows = [[str(label), m.casework.by_sector.get(code, 0)] for code, label in Sector.choices]
    chart = ChartSpec(
        _("Activities by sector"), [r[0] for r in rows], [(_("Activities"), [r[1] for r in rows])]
    )
    rows.append([_("Total"), m.casework.activities])
    return Section(
        key="activities",
        title=_("Activities by sector"),
        columns=[_("Sector"), _("Activities")],
        rows=rows,
        chart=chart,
    )


def reports_section(m: MonthFigures) -> Section:
    reports = m.casework.reports
    rows = [[str(label), reports.get(code, 0)] for code, label in MonthlyReport.Status.choices]
    chart = ChartSpec(
        _("Monthly reports by state"), [r[0] for r in rows], [(_("Reports"), [r[1] for r in rows])]
    )
    rows.append([_("Total"), sum(m.casework.reports.values())])
    rows.append([_("Submitted after the due day"), m.late])
    return Section(
        key="reports",
        title=_("Pillars' monthly reports"),
        columns=[_("State"), _("Reports")],
        rows=rows,
        chart=chart,
    )


def households_section(m: MonthFigures) -> Section:
    c = m.casework
    rows = [
        [_("Households reached this month"), c.reached],
        [_("Households registered (active)"), c.households],
        [_("Households accompanied"), c.accompanied],
        [_("Share accompanied (%)"), "" if c.coverage is None else c.coverage],
    ]
    return Section(
        key="households",
        title=_("Households reached and accompanied"),
        columns=[_("Figure"), _("Households")],
        rows=rows,
        chart=ChartSpec(
            _("Households"),
            [r[0] for r in rows[:3]],
            [(_("Households"), [r[1] for r in rows[:3]])],
        ),
    )


def paid_in_month(scope: list[Area] | None, month: datetime.date) -> dict[str, tuple[int, int]]:
    """Per kind code: the months paid (lines) and rupiah paid on a day of `month`, counting
    the payments that stand (neither reversals nor reversed), as the delay of payment does
    (pilar/stipends/arrears.py, `_delays`)."""
    lines = StipendLine.objects.filter(
        status=StipendLine.Status.PAID,
        reverses__isnull=True,
        reversed_at__isnull=True,
        paid_on__gte=month,
        paid_on__lte=month_end(month),
    )
    if scope is not None:
        lines = lines.filter(within_areas_q(scope, "area"))
    return {
        code: (n, amount or 0)
        for code, n, amount in lines.values_list("kind__code")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .values_list("kind__code", "n", "amount")
        .order_by()
    }


def stipends_section(m: MonthFigures) -> Section:
    paid = paid_in_month(m.scope, m.month)
    arrears = m.arrears
    names = _kind_names()
    rows = []
    codes = [k.code for k in arrears.kinds] + sorted(set(paid) - {k.code for k in arrears.kinds})
    tallies = {k.code: t for k, t in zip(arrears.kinds, arrears.by_kind, strict=True)}
    for code in codes:
        n, amount = paid.get(code, (0, 0))
        tally = tallies.get(code)
        rows.append(
            [
                names.get(code, code),
                n,
                amount,
                tally.payable if tally else 0,
                tally.payable_amount if tally else 0,
                tally.blocked if tally else 0,
            ]
        )
    chart = ChartSpec(
        _("Tali kasih months not yet paid by kind"),
        [r[0] for r in rows],
        [(_("Months not yet paid"), [r[3] + r[5] for r in rows])],
    )
    rows.append(
        [
            _("Total"),
            sum(n for n, _a in paid.values()),
            sum(a for _n, a in paid.values()),
            arrears.total.payable,
            arrears.total.payable_amount,
            arrears.total.blocked,
        ]
    )
    return Section(
        key="stipends",
        title=_("Tali kasih"),
        columns=[
            _("Kind"),
            _("Months paid this month"),
            _("Paid this month (Rp)"),
            _("Months waiting to be paid"),
            _("Waiting (Rp)"),
            _("Months in arrears, blocked"),
        ],
        rows=rows,
        chart=chart,
        note=_(
            "Waiting: owed up to the month reported and payable (eligible, or in a batch). "
            "Blocked: owed but held back (no verified report, no bank account...)."
        ),
    )


def trainings_section(m: MonthFigures) -> Section:
    events = TrainingEvent.objects.filter(
        office=m.office, end_date__gte=m.month, end_date__lte=month_end(m.month)
    )
    people = Participant.objects.filter(event__in=events)
    g = m.gaps
    rows = [
        [_("Trainings ended this month"), events.count()],
        [_("Participants of those trainings"), people.count()],
        [_("Of whom passed"), people.filter(result=Participant.Result.PASSED).count()],
        [_("Pillars serving"), g.serving],
        [_("Trained in the last twelve months"), g.trained],
        [_("Serving without a required training"), g.missing],
        [
            _("Certificates expiring within %(days)s days") % {"days": EXPIRING_DAYS},
            g.expiring,
        ],
        [_("Equipment items to be returned"), g.due_items],
        [_("People who still hold them"), g.due_people],
    ]
    return Section(
        key="trainings",
        title=_("Trainings and equipment"),
        columns=[_("Figure"), _("How many")],
        rows=rows,
        chart=ChartSpec(
            _("Pillars serving and their trainings"),
            [rows[3][0], rows[4][0], rows[5][0]],
            [(_("Pillars"), [g.serving, g.trained, g.missing])],
        ),
    )


def trend_section(m: MonthFigures) -> Section:
    """Twelve months up to the month reported, as the kinerja page counts them
    (`pilar.kinerja.figures.office_trend`, docs/KINERJA.md): activities by sector, reports and
    those on time and verified."""
    trend = office_trend(m.scope, m.month, months=12)
    labels = [f"{month:%m/%y}" for month in trend.months]
    sectors = [(code, str(label)) for code, label in Sector.choices]
    rows = [
        [
            label,
            *(point.by_sector.get(code, 0) for code, _label in sectors),
            point.activities,
            point.reached,
            point.reports,
            point.on_time,
            point.verified,
        ]
        for label, point in zip(labels, trend.points, strict=True)
    ]
    return Section(
        key="trend",
        title=_("The last twelve months"),
        columns=[
            _("Month"),
            *(label for _code, label in sectors),
            _("Activities"),
            _("Households reached"),
            _("Reports"),
            _("On time"),
            _("Verified"),
        ],
        rows=rows,
        chart=ChartSpec(
            _("Activities per month by sector"),
            labels,
            [(label, trend.sector(code)) for code, label in sectors],
            kind="stacked",
        ),
    )


def outcomes_section(m: MonthFigures) -> list[Section]:
    """The outcomes of accompaniment over the twelve months up to the month's last day, as the
    outcomes page shows them on that day (`pilar.outcomes.figures`, docs/OUTCOMES.md)."""
    return tables_sections("outcomes", outcome_figures(m.scope, month_end(m.month)).as_tables())


# The report's sections in order. Each is `(MonthFigures) -> Section | list[Section] | None`
# (None: nothing to say for this office; a list: several tables of one source, such as a
# figures object's `as_tables()`); a new one is a function appended here.
SectionMaker = Callable[[MonthFigures], "Section | list[Section] | None"]
SECTIONS: list[SectionMaker] = [
    headcount_section,
    gaps_section,
    activity_section,
    reports_section,
    households_section,
    stipends_section,
    trainings_section,
    trend_section,
    outcomes_section,
]


def made(maker: SectionMaker, m: MonthFigures) -> list[Section]:
    """What one section function gives, as a list."""
    found = maker(m)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def report_sections(m: MonthFigures) -> list[Section]:
    return [section for maker in SECTIONS for section in made(maker, m)]


def tables_sections(key: str, tables: list[tuple[str, list[str], list[list]]]) -> list[Section]:
    """Sections from (title, columns, rows) tables (`as_tables()` of another app's figures)."""
    return [
        Section(key=f"{key}-{n}", title=str(title), columns=[str(c) for c in columns], rows=rows)
        for n, (title, columns, rows) in enumerate(tables, start=1)
    ]


def report_figures(m: MonthFigures, sections: list[Section]) -> dict:
    """What the report row keeps: the dashboard's figures and the sections as shown."""
    return {
        "month": m.month.isoformat(),
        "as_of": m.as_of.isoformat(),
        "dashboard": m.dashboard,
        "sections": [s.as_json() for s in sections],
    }


def stored_sections(figures: dict) -> list[Section]:
    return [Section.from_json(data) for data in figures.get("sections", [])]
