"""Synthetic casework for `pilar synth` (pilar/core/synth/): households, caseloads, activities and
monthly reports in the synthetic areas only, written straight into the tables like the rest of
the synthetic data.

The command hands over each synthetic kecamatan with the duties it just made there;
`CaseworkMaker` turns them into rows (streamed to the sink in chunks, so memory stays bounded
whatever the totals):

- households spread evenly over the kecamatan's desa, with valid KK numbers (the kecamatan's
  6-digit code, an issue date DDMMYY, a serial from 0001) and their head as a member;
- an open caseload for 95% of them, with a PSM of the same desa serving on the bench date;
- activities by the kecamatan's PSM over the window (1 January of the year before the bench
  date up to the bench date), each PSM's share proportional to the days it served in the window:
  mostly one household from its own caseload (else from its desa), some none, some two or three;
- a monthly report per PSM and month served before the bench date's month, in mixed states
  (mostly verified; the last month more often submitted; some returned, some missing), with the
  month's figures as `compile_month` would give them.

Nothing here goes through the services or the audit log, on purpose (see the synth command).
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass

from django.db import connection

from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    CategoryRecord,
    DecileRecord,
    Household,
    HouseholdMember,
    KKChange,
    MonthlyReport,
    NeedCategory,
    StatusRecord,
)
from pilar.core.synth.areas import synthetic_areas
from pilar.core.synth.tables import CHUNK, columns, extra_columns, next_id
from pilar.lib.months import month_start, next_month

# The casework tables synth writes (their keys and indexes are suspended for the load).
CASEWORK_MODELS = (
    Household, HouseholdMember, Caseload, Activity, Activity.households.through, MonthlyReport,
)  # fmt: skip
CASELOAD_SHARE = 0.95
NO_HOUSEHOLD_SHARE = 0.08  # community activities (socialisation, meetings)
TWO_HOUSEHOLDS_SHARE = 0.10
THREE_HOUSEHOLDS_SHARE = 0.02
FOLLOW_UP_SHARE = 0.12
FOLLOW_UP_DONE_SHARE = 0.80
CANCELLED_SHARE = 0.01
NEED_SHARE = 0.30
RETURN_REASONS = [
    "Jumlah kunjungan tidak sesuai dengan foto kegiatan.",
    "Lengkapi catatan rujukan.",
    "Tanggal kegiatan di luar bulan laporan.",
]
DECILE_WEIGHTS = [30, 25, 18, 12, 7, 4, 2, 1, 0.6, 0.4]  # DTSEN: mostly the poorest deciles
HEAD_RELATION = "head"

HOUSEHOLD_COLUMNS = (
    "id", "kk_number", "area_id", "address", "dtsen_id", "decile", "status", "status_reason",
    "status_date", "created_at", "updated_at",
)  # fmt: skip
MEMBER_COLUMNS = ("household_id", "nik", "name", "sex", "birth_date", "relation", "left_on")
CASELOAD_COLUMNS = (
    "household_id", "person_id", "start_date", "end_date", "end_reason", "created_at",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "person_id", "kind_id", "area_id", "date", "month", "sector", "activity_type_id",
    "need_category_id", "follow_up_on", "follow_up_done_on", "cancelled_at", "cancel_reason",
    "created_at",
)  # fmt: skip
LINK_COLUMNS = ("activity_id", "household_id")
REPORT_COLUMNS = (
    "person_id", "kind_id", "area_id", "month", "status", "summary", "submitted_at",
    "first_submitted_at", "submit_count", "decided_at", "return_reason",
)  # fmt: skip


@dataclass
class CaseworkTally:
    households: int = 0
    caseloads: int = 0
    activities: int = 0
    links: int = 0
    reports: int = 0


def window_of(as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days activities fall on: 1 January of the year before `as_of` up to `as_of`."""
    return datetime.date(as_of.year - 1, 1, 1), as_of


# --- finding and deleting synthetic casework ---------------------------------------------------


def casework_querysets(areas) -> list[tuple[str, object]]:
    """(label, queryset) for every casework row in the synthetic areas (`areas`, a queryset),
    in an order that deletes cleanly. Everything synth makes lies in those areas, so one join
    to them finds it (an OR with the synthetic people would defeat PostgreSQL's semi-joins)."""
    ids = areas.values("id")
    link = Activity.households.through
    return [
        ("activity households", link.objects.filter(activity__area__in=ids)),
        ("activities", Activity.objects.filter(area__in=ids)),
        ("caseloads", Caseload.objects.filter(household__area__in=ids)),
        ("monthly reports", MonthlyReport.objects.filter(area__in=ids)),
        ("members", HouseholdMember.objects.filter(household__area__in=ids)),
        ("former KK numbers", KKChange.objects.filter(household__area__in=ids)),
        (
            "household categories",
            Household.categories.through.objects.filter(household__area__in=ids),
        ),
        # The households' history (synth writes none; a synthetic household edited since has).
        ("decile records", DecileRecord.objects.filter(household__area__in=ids)),
        ("status records", StatusRecord.objects.filter(household__area__in=ids)),
        ("category records", CategoryRecord.objects.filter(household__area__in=ids)),
        ("households", Household.objects.filter(area__in=ids)),
    ]


def synthetic_casework(codes: list[str]) -> list[tuple[str, object]]:
    """(label, queryset) of the casework rows in the synthetic provinces `codes`, in the order
    they are deleted."""
    return casework_querysets(synthetic_areas(codes))


# --- making the rows ---------------------------------------------------------------------------


class CaseworkMaker:
    """Builds the casework of one synthetic kecamatan at a time and streams it to `sink`."""

    def __init__(
        self, rng, *, sink, kinds: dict, as_of: datetime.date, households: int, activities: int,
        kecamatan: int, names: tuple[list[str], list[str], list[str]], streets: list[str], now,
    ) -> None:  # fmt: skip
        self.rng = rng
        self.sink = sink
        self.as_of = as_of
        self.psm = kinds["PSM"]
        self.now = now
        self.male, self.female, self.last = names
        self.streets = streets
        self.tally = CaseworkTally()
        self.households_per = divmod(households, kecamatan)
        self.activities_per = divmod(activities, kecamatan)
        self.index = 0
        first, last = window_of(as_of)
        self.first_ord, self.last_ord = first.toordinal(), last.toordinal()
        self.report_months = []  # months before the bench date's month, within the window
        m = first
        while m < month_start(as_of):
            self.report_months.append(m)
            m = next_month(m)
        types = list(ActivityType.objects.filter(active=True).values_list("pk", "sector", "code"))
        if not types:
            raise ValueError("the activity types are missing: run migrate first")
        # Home visits are most of the work; every other type stays in the mix.
        self.types = [
            (pk, sector)
            for pk, sector, code in types
            for _ in range(20 if code == "HOME_VISIT" else 1)
        ]
        self.needs = list(NeedCategory.objects.values_list("pk", flat=True))
        self.household_id = next_id(Household) if not sink.dry_run else 1
        self.activity_id = next_id(Activity) if not sink.dry_run else 1
        self.columns = {
            model: self._columns(model, known)
            for model, known in (
                (Household, HOUSEHOLD_COLUMNS),
                (HouseholdMember, MEMBER_COLUMNS),
                (Caseload, CASELOAD_COLUMNS),
                (Activity, ACTIVITY_COLUMNS),
                (Activity.households.through, LINK_COLUMNS),
                (MonthlyReport, REPORT_COLUMNS),
            )
        }
        self.buffers: dict = {model: [] for model in self.columns}

    @staticmethod
    def _columns(model, known: tuple[str, ...]) -> tuple[list[str], tuple]:
        """The columns written (the known ones, then the rest at their defaults; `id` is left to
        the database unless known) and the default values appended to each row."""
        extra_cols, extra = extra_columns(model, (*known, "id"))
        return columns(model, known) + extra_cols, extra

    def _add(self, model, row: tuple) -> None:
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= CHUNK:
            self._write(model)

    def _write(self, model) -> None:
        columns, extra = self.columns[model]
        rows = self.buffers[model]
        if extra:
            rows = [r + extra for r in rows]
        self.sink.write(model, columns, rows)
        self.buffers[model] = []

    def flush(self) -> None:
        for model in self.columns:  # parents before children
            self._write(model)

    def _share(self, per: tuple[int, int]) -> int:
        base, extra = per
        return base + (1 if self.index < extra else 0)

    def kecamatan(self, kec, duties: list[tuple]) -> None:
        """The casework of kecamatan `kec` (a synth Node with its desa as children), given the
        duty rows made there (assignment tuples as the command writes them)."""
        rng = self.rng
        n_households = self._share(self.households_per)
        n_activities = self._share(self.activities_per)
        self.index += 1
        as_of_ord = self.as_of.toordinal()
        # PSM duties: (person, desa, start ordinal, end ordinal or a far day)
        psm = [
            (d[1], d[3], d[7].toordinal(), d[8].toordinal() if d[8] else 10**7)
            for d in duties
            if d[2] == self.psm.pk
        ]
        serving: dict[int, list[tuple]] = {}
        for duty in psm:
            if duty[2] <= as_of_ord <= duty[3]:
                serving.setdefault(duty[1], []).append(duty)
        by_desa, caseload_of = self._households(kec, n_households, serving)

        # Activities: each PSM's share proportional to the days it served in the window.
        spans = []
        for person, area, start, end in psm:
            lo, hi = max(start, self.first_ord), min(end, self.last_ord)
            if lo <= hi:
                spans.append((person, area, lo, hi))
        if not spans or not n_activities:
            self._reports(spans, {})
            return
        total_days = sum(hi - lo + 1 for _p, _a, lo, hi in spans)
        counts = [n_activities * (hi - lo + 1) // total_days for _p, _a, lo, hi in spans]
        for _ in range(n_activities - sum(counts)):
            counts[rng.randrange(len(counts))] += 1
        per_month: dict[tuple[int, datetime.date], list] = {}
        for (person, area, lo, hi), n in zip(spans, counts, strict=True):
            own = caseload_of.get(person) or by_desa.get(area) or []
            for day_ord in sorted(rng.randint(lo, hi) for _ in range(n)):
                self._activity(person, area, day_ord, own, per_month)
        self._reports(spans, per_month)

    def _households(self, kec, count: int, serving: dict[int, list[tuple]]) -> tuple[dict, dict]:
        """`count` households in the desa of `kec`, each with its head, and a caseload with a PSM
        serving in its desa for most; returns ({desa: household ids}, {person: household ids
        in their caseload})."""
        rng = self.rng
        as_of_ord = self.as_of.toordinal()
        area6 = kec.code.replace(".", "")
        desa = [n.pk for n in kec.children]
        by_desa: dict[int, list[int]] = {pk: [] for pk in desa}
        caseload_of: dict[int, list[int]] = {}
        kk_serials: Counter = Counter()
        nik_serials: Counter = Counter()
        issued_from = datetime.date(2005, 1, 1).toordinal()
        born_from = datetime.date(1950, 1, 1).toordinal()
        born_to = datetime.date(2000, 12, 31).toordinal()
        fromordinal = datetime.date.fromordinal
        for _ in range(count):
            hid = self.household_id
            self.household_id += 1
            area = desa[rng.randrange(len(desa))]
            while True:
                issued = fromordinal(rng.randint(issued_from, as_of_ord))
                prefix = f"{area6}{issued:%d%m%y}"
                kk_serials[prefix] += 1
                if kk_serials[prefix] <= 9999:
                    break
            kk = f"{prefix}{kk_serials[prefix]:04d}"
            decile = rng.choices(range(1, 11), weights=DECILE_WEIGHTS)[0]
            rt, rw = rng.randint(1, 12), rng.randint(1, 6)
            address = (
                f"{rng.choice(self.streets)} No. {rng.randint(1, 250)}, RT {rt:02d}/RW {rw:02d}"
            )
            dtsen = f"DTSEN-{hid:010d}" if rng.random() < 0.9 else ""
            self._add(
                Household,
                (hid, kk, area, address, dtsen, decile, "active", "", None, self.now, self.now),
            )
            sex = "L" if rng.random() < 0.8 else "P"
            first = rng.choice(self.male if sex == "L" else self.female)
            while True:  # members' NIK serials count down, pillars' count up: no clash
                born = fromordinal(rng.randint(born_from, born_to))
                day = born.day + (40 if sex == "P" else 0)
                prefix = f"{area6}{day:02d}{born:%m%y}"
                nik_serials[prefix] += 1
                if nik_serials[prefix] <= 4999:
                    break
            nik = f"{prefix}{10000 - nik_serials[prefix]:04d}"
            name = f"{first} {rng.choice(self.last)}"
            self._add(HouseholdMember, (hid, nik, name, sex, born, HEAD_RELATION, None))
            by_desa[area].append(hid)
            pillars = serving.get(area)
            if pillars and rng.random() < CASELOAD_SHARE:
                person, _desa, start, _end = pillars[rng.randrange(len(pillars))]
                since = fromordinal(rng.randint(max(start, self.first_ord - 365), as_of_ord))
                self._add(Caseload, (hid, person, since, None, "", self.now))
                caseload_of.setdefault(person, []).append(hid)
                self.tally.caseloads += 1
        self.tally.households += count
        return by_desa, caseload_of

    def _activity(self, person: int, area: int, day_ord: int, own: list[int], per_month) -> None:
        """One activity of PSM `person` in desa `area` on the day `day_ord`, reaching households
        of `own` (their caseload, else their desa); counted in `per_month` unless cancelled."""
        rng = self.rng
        fromordinal = datetime.date.fromordinal
        aid = self.activity_id
        self.activity_id += 1
        day = fromordinal(day_ord)
        month = month_start(day)
        type_pk, sector = self.types[rng.randrange(len(self.types))]
        need = self.needs[rng.randrange(len(self.needs))] if rng.random() < NEED_SHARE else None
        follow = done = cancelled = None
        reason = ""
        u = rng.random()
        if u < FOLLOW_UP_SHARE:
            follow = fromordinal(day_ord + rng.randint(3, 30))
            if follow.toordinal() < self.last_ord and rng.random() < FOLLOW_UP_DONE_SHARE:
                done = fromordinal(min(follow.toordinal() + rng.randint(0, 5), self.last_ord))
        elif u > 1 - CANCELLED_SHARE:
            cancelled, reason = self.now, "Salah input"
        self._add(
            Activity,
            (aid, person, self.psm.pk, area, day, month, sector, type_pk, need, follow, done,
             cancelled, reason, self.now),
        )  # fmt: skip
        self.tally.activities += 1
        u = rng.random()
        if not own or u < NO_HOUSEHOLD_SHARE:
            reached = ()
        elif u < 1 - TWO_HOUSEHOLDS_SHARE - THREE_HOUSEHOLDS_SHARE or len(own) == 1:
            reached = (own[rng.randrange(len(own))],)
        else:
            k = 2 if u < 1 - THREE_HOUSEHOLDS_SHARE else 3
            reached = rng.sample(own, min(k, len(own)))
        for hid in reached:
            self._add(Activity.households.through, (aid, hid))
        self.tally.links += len(reached)
        if cancelled is None:
            per_month.setdefault((person, month), []).append((sector, reached, follow))

    def _reports(self, spans: list[tuple], per_month: dict) -> None:
        """Monthly reports of the kecamatan's PSM for the months before the bench date's."""
        rng = self.rng
        last = self.report_months[-1] if self.report_months else None
        for person, area, lo, hi in spans:
            for month in self.report_months:
                end = next_month(month)
                if not (lo < end.toordinal() and hi >= month.toordinal()):
                    continue  # not serving that month
                u = rng.random()
                if month == last:
                    status = (
                        "submitted" if u < 0.40 else "verified" if u < 0.70
                        else "returned" if u < 0.80 else None
                    )  # fmt: skip
                else:
                    status = (
                        "verified" if u < 0.82 else "submitted" if u < 0.87
                        else "returned" if u < 0.91 else None
                    )  # fmt: skip
                if status is None:
                    continue  # missing
                rows = per_month.get((person, month), [])
                summary = {
                    "activities": len(rows),
                    "by_sector": dict(Counter(r[0] for r in rows)),
                    "households": len({h for r in rows for h in r[1]}),
                    "kube_groups": 0,
                    "follow_ups": sum(1 for r in rows if r[2]),
                }
                submitted = datetime.datetime.combine(
                    end + datetime.timedelta(days=rng.randint(0, 14)),
                    datetime.time(rng.randint(7, 20), rng.randint(0, 59)),
                    tzinfo=datetime.UTC,
                )
                decided = None
                if status != "submitted":
                    decided = submitted + datetime.timedelta(days=rng.randint(1, 10))
                reason = rng.choice(RETURN_REASONS) if status == "returned" else ""
                self._add(
                    MonthlyReport,
                    (person, self.psm.pk, area, month, status, json.dumps(summary),
                     self._dt(submitted), self._dt(submitted),
                     2 if status == "returned" and u > 0.9 else 1,
                     self._dt(decided), reason),
                )  # fmt: skip
                self.tally.reports += 1

    @staticmethod
    def _dt(value):
        return connection.ops.adapt_datetimefield_value(value) if value is not None else None
