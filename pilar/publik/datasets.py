"""The public datasets of an office (docs/PUBLIC.md): figures without a name, a NIK or a row
of any record, each as a table that the page, the CSV and the JSON publish alike.

Every count of households or people served goes through `pilar.publik.suppress` before it
leaves this module: 1–4 as "<5", and enough others as "*" that no hidden count can be worked
out from the totals. Pillars themselves are counted exactly: they are the office's appointed
workers, not people served, and the headcount API publishes the same figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils.translation import gettext as _

from pilar.accounts.access import is_top
from pilar.casework.models import Activity, Caseload, Sector
from pilar.lib.months import add_months, month_start
from pilar.offices.models import Office
from pilar.publik import suppress
from pilar.regions.models import Area, within_areas_q
from pilar.registry.headcount import headcount_within
from pilar.stipends.models import StipendLine
from pilar.trainings.models import Participant, TrainingEvent

LICENCE = {
    "name": "CC BY 4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
QUARTERS = 8


@dataclass
class Column:
    name: str
    type: str  # "string", "integer", "count" (an integer, "<5" or "*"), "date", "month"
    meaning: str


@dataclass
class Dataset:
    slug: str
    title: str
    description: str
    frequency: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)  # as published; the last may be the total
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    suppressed: bool = True  # whether small counts are hidden (the suppression note applies)
    labels: dict[str, str] = field(default_factory=dict)  # a column's name for people, by name

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def records(self) -> list[dict]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def scope_of(office: Office) -> list[Area] | None:
    """The areas an office's public figures count: its area, or everything for the top office."""
    if office.area_id is None or is_top(office):
        return None
    return [office.area]


def offices_of(office: Office):
    """The offices whose own programme (tali kasih, trainings) an office's figures sum: itself
    and those within its area."""
    if office.area_id is None or is_top(office):
        return Office.objects.all()
    return Office.objects.filter(Q(pk=office.pk) | within_areas_q([office.area], "area"))


def _within(scope, field_name: str) -> Q:
    return within_areas_q(scope, field_name) if scope is not None else Q()


def suppression_note() -> str:
    return _(
        "Counts of households or people from 1 to 4 are shown as “<5”. Where a table also "
        "publishes totals, more counts are hidden as “*” (the smallest that will do) so that no "
        "hidden count can be worked out by subtraction. 0 is shown as 0."
    )


# The total row's label in the data files: a value of the data, the same in every language, as
# the column names are (the page shows its own translated "Total").
TOTAL = "Jumlah"


def _total_label() -> str:
    return TOTAL


def about(slug: str) -> dict:
    """What a dataset is, as its page, its files and the catalogue describe it."""
    texts = {
        "pilar-per-kelurahan": (
            _("Pillars per kelurahan"),
            _(
                "Active social pillars by kind in each kelurahan on the date, with the duties "
                "held at kecamatan or city level in rows of their own. Pillars are the office's "
                "appointed workers, counted exactly as in the headcount."
            ),
            _("daily"),
        ),
        "kegiatan-per-sektor": (
            _("Activities per sector per month"),
            _(
                "Activities the pillars recorded in each of the four sectors of social welfare, "
                "per month for twelve months, and the households they reached."
            ),
            _("monthly"),
        ),
        "rumah-tangga-didampingi": (
            _("Households accompanied"),
            _("Households a pillar accompanied on the date, by the kelurahan they live in."),
            _("daily"),
        ),
        "tali-kasih": (
            _("Tali kasih paid per quarter"),
            _(
                "Tali kasih (the pillars' monthly stipend) paid in each quarter, by the day it "
                "was paid: months of service paid, the amount in rupiah and the number of pillars "
                "paid. Totals only, no names."
            ),
            _("quarterly"),
        ),
        "pelatihan": (
            _("Trainings held"),
            _(
                "Training events the office held for its pillars in the last twelve months, by "
                "course: events, participants and those who passed."
            ),
            _("monthly"),
        ),
    }
    title, description, frequency = texts[slug]
    return {"slug": slug, "title": title, "description": description, "frequency": frequency}


# --- pillars per kelurahan -------------------------------------------------------------------


def pillars_per_kelurahan(office: Office, as_of: datetime.date) -> Dataset:
    hc = headcount_within(as_of=as_of, scope=scope_of(office))
    kinds = [k for k in hc.kinds if hc.by_kind.get(k.code)] or hc.kinds_in_use
    columns = [
        Column("kode_kecamatan", "string", _("Kemendagri code of the kecamatan")),
        Column("kode_wilayah", "string", _("Kemendagri code of the area of duty")),
        Column("wilayah", "string", _("Name of the area of duty")),
        Column(
            "tingkat",
            "string",
            _("Level of the area: kelurahan, or a kecamatan's or city's own duties"),
        ),
        *[
            Column(k.code, "integer", _("Active %(kind)s pillars on the date") % {"kind": k.name})
            for k in kinds
        ],
        Column("jumlah", "integer", _("All active pillars on the date")),
    ]
    rows = [
        [
            r["kecamatan_code"] or "",
            r["code"],
            r["name"],
            r["level"],
            *[r["by_kind"].get(k.code, 0) for k in kinds],
            r["total"],
        ]
        for r in hc.by_kelurahan
    ]
    rows.append(["", "", _total_label(), "", *[hc.by_kind.get(k.code, 0) for k in kinds], hc.total])
    return Dataset(
        **about("pilar-per-kelurahan"),
        columns=columns,
        rows=rows,
        period_start=as_of,
        period_end=as_of,
        suppressed=False,
        labels={k.code: k.name for k in kinds},
    )


# --- activities per sector per month ---------------------------------------------------------


def months_to(as_of: datetime.date, count: int = 12) -> list[datetime.date]:
    last = month_start(as_of)
    return [add_months(last, n - count + 1) for n in range(count)]


def activities_per_sector(office: Office, as_of: datetime.date) -> Dataset:
    scope = scope_of(office)
    months = months_to(as_of)
    sectors = list(Sector)
    counts: dict[tuple[datetime.date, str], int] = {}
    for month, sector, n in (
        Activity.objects.current()
        .filter(_within(scope, "area"), month__gte=months[0], month__lte=months[-1])
        .order_by()
        .values("month", "sector")
        .annotate(n=Count("pk"))
        .values_list("month", "sector", "n")
    ):
        counts[(month, sector)] = n
    reached_by_month = dict(
        Activity.households.through.objects.filter(
            _within(scope, "activity__area"),
            activity__month__gte=months[0],
            activity__month__lte=months[-1],
            activity__cancelled_at__isnull=True,
        )
        .order_by()
        .values("activity__month")
        .annotate(n=Count("household_id", distinct=True))
        .values_list("activity__month", "n")
    )
    reached_year = (
        Activity.households.through.objects.filter(
            _within(scope, "activity__area"),
            activity__month__gte=months[0],
            activity__month__lte=months[-1],
            activity__cancelled_at__isnull=True,
        )
        .order_by()
        .aggregate(n=Count("household_id", distinct=True))["n"]
    )
    table = suppress.Table(
        tuple(tuple(counts.get((m, s.value), 0) for s in sectors) for m in months)
    )
    grid = suppress.shown(table)
    # Households reached in a month are not summed over months (one household in many):
    # each month's count and the year's stand alone, hidden when small.
    reached = [
        row[0]
        for row in suppress.shown(
            suppress.Table(
                (*((reached_by_month.get(m, 0),) for m in months), (reached_year,)),
                row_totals=False,
                column_totals=False,
            )
        )
    ]
    labels = [m.strftime("%Y-%m") for m in months] + [_total_label()]
    rows = [[labels[i], *grid[i], reached[i]] for i in range(len(months) + 1)]
    return Dataset(
        **about("kegiatan-per-sektor"),
        columns=[
            Column("bulan", "month", _("Month (YYYY-MM); the last row is the total")),
            *[
                Column(
                    s.value,
                    "count",
                    _("Activities in the sector: %(sector)s") % {"sector": s.label},
                )
                for s in sectors
            ],
            Column("jumlah", "count", _("Activities in all sectors")),
            Column(
                "rumah_tangga_dijangkau",
                "count",
                _(
                    "Households reached by an activity in the month (in the total row: in the "
                    "twelve months, each household once)"
                ),
            ),
        ],
        rows=rows,
        period_start=months[0],
        period_end=as_of,
    )


# --- households accompanied ------------------------------------------------------------------


def households_accompanied(office: Office, as_of: datetime.date) -> Dataset:
    scope = scope_of(office)
    kelurahan = list(
        Area.objects.filter(_within(scope, ""), level=Area.Level.KELURAHAN)
        .order_by("code")
        .values_list("id", "code", "name")
    )
    kecamatan = dict(
        Area.objects.filter(
            code__in={code.rsplit(".", 1)[0] for _pk, code, _name in kelurahan}
        ).values_list("code", "name")
    )
    by_area = dict(
        Caseload.objects.active_on(as_of)
        .filter(_within(scope, "household__area"))
        .order_by()
        .values("household__area_id")
        .annotate(n=Count("household_id", distinct=True))
        .values_list("household__area_id", "n")
    )
    cells, total = suppress.column([by_area.get(pk, 0) for pk, _code, _name in kelurahan])
    rows = []
    for (_pk, code, name), shown in zip(kelurahan, cells, strict=True):
        kec = code.rsplit(".", 1)[0]
        rows.append([kec, kecamatan.get(kec, ""), code, name, shown])
    rows.append(["", "", "", _total_label(), total])
    return Dataset(
        **about("rumah-tangga-didampingi"),
        columns=[
            Column("kode_kecamatan", "string", _("Kemendagri code of the kecamatan")),
            Column("kecamatan", "string", _("Name of the kecamatan")),
            Column("kode_kelurahan", "string", _("Kemendagri code of the kelurahan")),
            Column("kelurahan", "string", _("Name of the kelurahan; the last row is the total")),
            Column("rumah_tangga_didampingi", "count", _("Households accompanied on the date")),
        ],
        rows=rows,
        period_start=as_of,
        period_end=as_of,
    )


# --- tali kasih per quarter ------------------------------------------------------------------


def quarters_to(as_of: datetime.date, count: int = QUARTERS) -> list[tuple[int, int]]:
    index = as_of.year * 4 + (as_of.month - 1) // 3
    return [((i // 4), i % 4 + 1) for i in range(index - count + 1, index + 1)]


def _quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, 3 * quarter - 2, 1)


def tali_kasih(office: Office, as_of: datetime.date) -> Dataset:
    quarters = quarters_to(as_of)
    start = _quarter_start(*quarters[0])
    paid = StipendLine.objects.filter(
        batch__office__in=offices_of(office),
        status=StipendLine.Status.PAID,
        paid_on__gte=start,
        paid_on__lte=as_of,
    ).order_by()
    sign = Case(
        When(reverses__isnull=False, then=Value(-1)), default=Value(1), output_field=IntegerField()
    )
    found = {
        (year, quarter): (months or 0, amount or 0, people)
        for year, quarter, months, amount, people in paid.values(
            "paid_on__year", "paid_on__quarter"
        )
        .annotate(
            months=Sum(sign),
            amount=Sum("amount"),
            people=Count("person", distinct=True, filter=Q(reverses__isnull=True)),
        )
        .values_list("paid_on__year", "paid_on__quarter", "months", "amount", "people")
    }
    people_all = paid.filter(reverses__isnull=True).aggregate(n=Count("person", distinct=True))["n"]
    months_col, months_total = suppress.column([found.get(q, (0, 0, 0))[0] for q in quarters])
    amounts = [found.get(q, (0, 0, 0))[1] for q in quarters]
    amount_col = suppress.hide_like(amounts, months_col)
    amount_total = suppress.hide_like([sum(amounts)], [months_total])[0]
    people = suppress.shown(
        suppress.Table(
            tuple((found.get(q, (0, 0, 0))[2],) for q in quarters) + ((people_all,),),
            row_totals=False,
            column_totals=False,
        )
    )
    rows = [
        [str(year), str(quarter), months_col[i], amount_col[i], people[i][0]]
        for i, (year, quarter) in enumerate(quarters)
    ]
    rows.append([_total_label(), "", months_total, amount_total, people[-1][0]])
    return Dataset(
        **about("tali-kasih"),
        columns=[
            Column("tahun", "string", _("Year; the last row is the total")),
            Column("triwulan", "string", _("Quarter (1–4)")),
            Column(
                "bulan_dibayar", "count", _("Months of service paid (a month of one pillar is one)")
            ),
            Column(
                "jumlah_rupiah",
                "count",
                _("Amount paid in rupiah, less reversals; hidden where the months paid are"),
            ),
            Column(
                "pilar_dibayar",
                "count",
                _("Pillars paid in the quarter (in the total row: in the whole period, each once)"),
            ),
        ],
        rows=rows,
        period_start=start,
        period_end=as_of,
    )


# --- trainings -------------------------------------------------------------------------------


def trainings(office: Office, as_of: datetime.date) -> Dataset:
    start = add_months(month_start(as_of), -11)
    events = TrainingEvent.objects.filter(
        office__in=offices_of(office), start_date__gte=start, end_date__lte=as_of
    ).order_by()
    held = {
        name: n
        for name, n in events.values("course__name")
        .annotate(n=Count("pk"))
        .values_list("course__name", "n")
    }
    taken = {
        name: (n, passed)
        for name, n, passed in Participant.objects.filter(event__in=events)
        .order_by()
        .values("event__course__name")
        .annotate(n=Count("pk"), passed=Count("pk", filter=Q(result=Participant.Result.PASSED)))
        .values_list("event__course__name", "n", "passed")
    }
    names = sorted(held)
    # Participants are those who passed plus those who did not: suppressed as one table
    # (passed, not passed, their row total = participants, and the column totals), so that
    # participants less passed gives no small count away (found by the outsider, issue 21). The
    # not-passed column is left out of the file: a cell not published is one hidden more.
    if names:
        grid = suppress.shown(
            suppress.Table(
                tuple(
                    (taken.get(n, (0, 0))[1], taken.get(n, (0, 0))[0] - taken.get(n, (0, 0))[1])
                    for n in names
                )
            )
        )
    else:
        grid = [[0, 0, 0]]
    rows = [[name, held[name], grid[i][2], grid[i][0]] for i, name in enumerate(names)]
    rows.append([_total_label(), sum(held.values()), grid[-1][2], grid[-1][0]])
    return Dataset(
        **about("pelatihan"),
        columns=[
            Column("kursus", "string", _("Course; the last row is the total")),
            Column(
                "kegiatan", "integer", _("Training events held (first and last day in the period)")
            ),
            Column("peserta", "count", _("Participants (a pillar in two events counts twice)")),
            Column("lulus", "count", _("Participants who passed")),
        ],
        rows=rows,
        period_start=start,
        period_end=as_of,
    )


# --- an office hosting others --------------------------------------------------------------

KEY_TYPES = {"string", "month"}


def combined(parts: list[Dataset]) -> Dataset:
    """The dataset of an office hosting others (a province) from its hosted offices' datasets
    as they publish them (docs/PUBLIC.md, "Many offices"): rows with the same key (a month, a
    quarter, a course, the total) add up, others follow one another (a kelurahan lies in one
    kota). A sum is shown only when every part is a number; where any part is hidden the sum is
    "*". So a province publishes nothing its offices' own pages do not already tell: counted
    and suppressed on its own, its kelurahan column would hide other cells than a kota's does,
    and the two, subtracted, would give a small count away."""
    first = parts[0]
    keys = [i for i, c in enumerate(first.columns) if c.type in KEY_TYPES]
    order: list[tuple] = []
    found: dict[tuple, list] = {}
    for part in parts:
        for row in part.rows:
            key = tuple(row[i] for i in keys)
            if key not in found:
                order.append(key)
                found[key] = list(row)
                continue
            kept = found[key]
            for i, value in enumerate(row):
                if i in keys:
                    continue
                if isinstance(kept[i], int) and isinstance(value, int):
                    kept[i] += value
                else:
                    kept[i] = suppress.HIDDEN
    total = [k for k in order if TOTAL in k]
    rows = [found[k] for k in order if TOTAL not in k] + [found[k] for k in total]
    return Dataset(
        slug=first.slug,
        title=first.title,
        description=first.description,
        frequency=first.frequency,
        columns=first.columns,
        rows=rows,
        period_start=first.period_start,
        period_end=first.period_end,
        suppressed=first.suppressed,
        labels=first.labels,
    )


BUILDERS: dict[str, Callable[[Office, datetime.date], Dataset]] = {
    "pilar-per-kelurahan": pillars_per_kelurahan,
    "kegiatan-per-sektor": activities_per_sector,
    "rumah-tangga-didampingi": households_accompanied,
    "tali-kasih": tali_kasih,
    "pelatihan": trainings,
}
