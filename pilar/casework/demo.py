"""Casework for `pilar demo`: households in every kelurahan, the PSM's caseloads, a year of
activities in the four sectors and monthly reports in every state for July–October 2024; then
(`continue_casework`) the months after it up to the day the demo is loaded: the 2024 backlog
settled in November 2024, activities every month, reports verified month after month and the
last two complete months still open, in every state.

Thousands of rows: written in bulk (one audit entry per kind of row says what was loaded),
unlike the registry's 390 people, which go through the services one by one.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict

from django.db.models import Q
from django.utils import timezone

from pilar.audit.services import Actor, audit_record
from pilar.casework.models import (
    Activity,
    ActivityType,
    Caseload,
    CategoryRecord,
    DecileRecord,
    Household,
    HouseholdMember,
    MonthlyReport,
    NeedCategory,
    Relation,
    StatusRecord,
)
from pilar.lib.months import month_end, month_start, next_month, previous_month
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.registry.models import Assignment

D = datetime.date
YEAR = 2024
# The day the office recorded its households (the DTSEN extract of pilar/dtsen/demo.py).
RECORDED_ON = D(YEAR, 1, 2)
# Later DTSEN releases: the deciles they bring (`decile_releases`, the outcomes page's story).
RELEASES = (D(2024, 7, 15), D(2025, 1, 15), D(2026, 1, 15), D(2026, 7, 15))
# Each release's chance of a household's decile rising, or falling, by one: accompanied
# households (a caseload open on the release day) rise a little more often — a story for the
# outcomes page to show, not a finding.
MOVES = {True: (0.28, 0.07), False: (0.16, 0.09)}
# Weights of the PMKS numbers among the demo's households (24 = Fakir Miskin).
CATEGORY_WEIGHTS = {24: 60, 8: 10, 9: 8, 23: 6, 2: 4, 21: 3, 25: 3, 1: 2, 11: 1, 12: 1, 17: 1}
# What each kind of pillar mostly does (activity type codes, weighted by repetition).
WORK = {
    "PSM": ["HOME_VISIT"] * 5
    + ["REFERRAL", "COUNSELLING", "ASSESSMENT", "OUTREACH"]
    + ["BANSOS_PROPOSAL", "BANSOS_PROPOSAL", "DATA_UPDATE", "DATA_UPDATE"]
    + ["PBI_PAPERS", "PBI_PAPERS", "HEALTH_ESCORT", "ATENSI", "CIVIL_DOCUMENTS"]
    + ["UEP", "TRAINING", "COMMUNITY_WORK"],
    "TKSK": ["DATA_UPDATE", "BANSOS_PROPOSAL", "TRAINING", "COMMUNITY_WORK", "ADVOCACY"],
    "TAGANA": ["DISASTER_RESPONSE", "EMERGENCY_KITCHEN", "TRAINING", "COMMUNITY_WORK"],
    "PENDAMPING_KUBE": ["KUBE_COACHING"] * 4 + ["UEP", "TRAINING"],
}
NOTES = [
    "Kondisi keluarga stabil, anak sudah sekolah kembali.",
    "Lansia sakit, disarankan periksa ke puskesmas.",
    "Berkas PBI sudah diserahkan ke kelurahan.",
    "Usulan bansos diinput ke SIKS-NG.",
    "Rumah perlu perbaikan atap, diusulkan ke program RTLH.",
    "Keluarga meminta bantuan pengurusan akta kelahiran.",
    "",
    "",
]


REASONS = {
    "returned": "Lengkapi foto dan catatan kunjungan.",
    "reopened": "Kegiatan bulan ini terlambat dicatat; dibuka kembali oleh operator.",
}


# Share of each month's reports in each state, cumulative; the rest were never submitted.
STATES = {
    "first half": [("verified", 1.0)],
    "july-september": [
        ("verified", 0.93),
        ("submitted", 0.96),
        ("returned", 0.98),
        ("reopened", 0.99),
    ],
    "october": [("verified", 0.35), ("submitted", 0.7), ("returned", 0.8)],
}


def _state(month: datetime.date, roll: float) -> str | None:
    period = (
        "first half"
        if month < D(YEAR, 7, 1)
        else "october"
        if month.month == 10
        else "july-september"
    )
    return next((state for state, upto in STATES[period] if roll < upto), None)


def _kk(rng: random.Random, area6: str, serial: int) -> str:
    day = D(rng.randrange(2008, 2024), rng.randrange(1, 13), rng.randrange(1, 29))
    return f"{area6}{day:%d%m%y}{serial:04d}"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class CaseworkDemo:
    # Follow-ups set before this day are done; later ones half the time (the 2024 story).
    follow_ups_open_from = D(YEAR, 10, 1)
    today: datetime.date | None = None  # the continuation: nothing is done after this day

    def __init__(self, *, rng: random.Random, fake, by: Actor, users: dict) -> None:
        self.rng, self.fake, self.by = rng, fake, by
        self.users = users  # "operator" and one coordinator user per kecamatan code
        self.types = {t.code: t for t in ActivityType.objects.all()}
        self.categories = {c.number: c for c in NeedCategory.objects.all()}
        self.serial = 5000

    def households(self, *, save=None) -> dict[Area, list[Household]]:
        """About 125 households in each kelurahan (3,000), with their members. `save(made)`
        writes the households and their members (`h.current_members`) and returns them as
        saved, in the same order: by default in bulk; the demo passes the import of the
        DTSEN extract they are written to (pilar/dtsen/demo.py)."""
        made, links = self.families()
        made = (save or self.save_families)(made)
        for h in made:
            if h.kk_number in self.moved:
                h.status, h.status_reason, h.status_date = self.moved[h.kk_number]
        moved = [h for h in made if h.kk_number in self.moved]
        Household.objects.bulk_update(moved, ["status", "status_reason", "status_date"])
        # Their history (pilar/casework/history.py): moved on their day, after the extract.
        StatusRecord.objects.bulk_create(
            StatusRecord(
                household=h,
                status=h.status,
                reason=h.status_reason,
                as_of=max(h.status_date, RECORDED_ON),
                source=StatusRecord.Source.FORM,
            )
            for h in moved
        )
        of_kk = {h.kk_number: h for h in made}
        Household.categories.through.objects.bulk_create(
            [
                Household.categories.through(household=of_kk[kk], needcategory=category)
                for kk, category in links
            ],
            batch_size=2000,
        )
        CategoryRecord.objects.bulk_create(
            [
                CategoryRecord(household=of_kk[kk], category=category, start_date=RECORDED_ON)
                for kk, category in links
            ],
            batch_size=2000,
        )
        by_area: dict[Area, list[Household]] = defaultdict(list)
        for h in made:
            by_area[h.area].append(h)
        return by_area

    def families(self) -> tuple[list[Household], list[tuple[str, NeedCategory]]]:
        """The households, not saved, each with its members in `current_members` (the head
        first), and their PMKS categories as (KK number, category) pairs. The households that
        moved away are marked in `self.moved` (KK number -> status, reason, date): they are
        active in the extract and moved afterwards."""
        rng = self.rng
        kelurahan = list(
            Area.objects.filter(
                level=Area.Level.KELURAHAN, code__startswith="13.75."
            ).select_related("parent")
        )
        made, links = [], []
        self.moved = {}
        for kel in kelurahan:
            area6 = kel.code_digits[:6]
            for n in range(rng.randrange(110, 140)):
                decile = rng.choices(range(1, 11), weights=[18, 18, 16, 14, 12, 8, 6, 4, 2, 2])[0]
                kk = _kk(rng, area6, len(made) + 1)
                street = self.fake.street_address()
                rt, rw = rng.randrange(1, 9), rng.randrange(1, 6)
                h = Household(
                    kk_number=kk,
                    area=kel,
                    address=f"{street}, RT 0{rt}/RW 0{rw}",
                    rt_rw=f"{rt:03d}/{rw:03d}",
                    dtsen_id=f"DTSEN-{area6}-{len(made) + 1:06d}" if rng.random() < 0.85 else "",
                    decile=decile,
                )
                if n % 60 == 59:
                    self.moved[kk] = (
                        Household.Status.MOVED,
                        "Pindah ke Padang",
                        D(YEAR, rng.randrange(1, 10), 1),
                    )
                made.append(h)
        weights = list(CATEGORY_WEIGHTS.values())
        for h in made:
            for number in {
                *rng.choices(list(CATEGORY_WEIGHTS), weights=weights, k=rng.choice([1, 1, 2]))
            }:
                links.append((h.kk_number, self.categories[number]))
            h.current_members = self._members(h)
        return made, links

    def save_families(self, made: list[Household]) -> list[Household]:
        """The households and their members written in bulk (one audit entry for all)."""
        Household.objects.bulk_create(made, batch_size=1000)
        members = [m for h in made for m in h.current_members]
        HouseholdMember.objects.bulk_create(members, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.household",
            object_repr="households",
            note=f"{len(made)} households, {len(members)} members",
        )
        return made

    def _members(self, h: Household) -> list[HouseholdMember]:
        rng, fake = self.rng, self.fake
        area6 = h.area.code_digits[:6]
        rows = []

        def person(relation, sex, born):
            self.serial += 1
            name = fake.name_male() if sex == "L" else fake.name_female()
            nik = make_nik(area6=area6, birth_date=born, sex=sex, serial=self.serial % 10000 or 1)
            rows.append(
                HouseholdMember(
                    household=h, nik=nik, name=name, sex=sex, birth_date=born, relation=relation
                )
            )

        head_sex = "L" if rng.random() < 0.8 else "P"
        head_born = D(rng.randrange(1945, 1995), rng.randrange(1, 13), rng.randrange(1, 29))
        person(Relation.HEAD, head_sex, head_born)
        if head_sex == "L" and rng.random() < 0.85:
            person(
                Relation.SPOUSE, "P", head_born + datetime.timedelta(days=rng.randrange(300, 2500))
            )
        for _ in range(rng.choice([0, 1, 2, 2, 3])):
            born = D(min(head_born.year + rng.randrange(20, 40), 2023), rng.randrange(1, 13), 15)
            person(Relation.CHILD, rng.choice("LP"), born)
        return rows

    def caseloads(self, by_area: dict[Area, list[Household]]) -> dict[int, list[Household]]:
        """Each PSM serving on 22 October 2024 accompanies about 8 households of their
        kelurahan; some households nobody accompanies yet."""
        rng = self.rng
        day = D(YEAR, 10, 22)
        rows, of_person = [], defaultdict(list)
        duties = (
            Assignment.objects.active_on(day)
            .filter(kind__code="PSM")
            .select_related("area")
            .order_by("area__code", "person_id")
        )
        pool = {area.pk: [h for h in hs if h.status == "active"] for area, hs in by_area.items()}
        for duty in duties:
            free = pool.get(duty.area_id, [])
            for h in free[: rng.randrange(6, 11)]:
                start = max(duty.start_date, D(YEAR, 1, 2)) + datetime.timedelta(
                    days=rng.randrange(0, 20)
                )
                rows.append(Caseload(household=h, person_id=duty.person_id, start_date=start))
                of_person[duty.person_id].append((h, start))
            pool[duty.area_id] = free[len(of_person[duty.person_id]) :]
        Caseload.objects.bulk_create(rows, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.caseload",
            object_repr="caseloads",
            note=f"{len(rows)} households accompanied by {len(of_person)} PSM",
        )
        return of_person

    def activities(self, caseloads, kube_groups: dict[int, list] | None = None) -> dict:
        """A year of work by every pillar serving in 2024; returns the figures per (person,
        kind, month) for the reports."""
        rng = self.rng
        kube_groups = kube_groups or {}
        duties = (
            Assignment.objects.filter(start_date__lte=D(YEAR, 12, 31))
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=D(YEAR, 1, 1)))
            .filter(kind__code__in=list(WORK))
            .select_related("kind")
        )
        made, links, figures = [], [], defaultdict(list)
        for duty in duties:
            code = duty.kind.code
            month = D(YEAR, 1, 1)
            while month.year == YEAR:
                first = max(month, duty.start_date)
                last = min(month_end(month), duty.end_date or D(YEAR, 12, 31))
                if first <= last:
                    count = {"PSM": (3, 9), "TKSK": (3, 7), "TAGANA": (1, 4)}.get(code, (2, 6))
                    for _ in range(rng.randrange(*count)):
                        made.append(self._activity(duty, first, last, caseloads, kube_groups))
                month = next_month(month)
        Activity.objects.bulk_create([a for a, _ in made], batch_size=2000)
        for activity, households in made:
            for h in households:
                links.append(Activity.households.through(activity=activity, household=h))
            figures[(activity.person_id, activity.kind_id, activity.month)].append(
                (activity, [h.pk for h in households])
            )
        Activity.households.through.objects.bulk_create(links, batch_size=5000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.activity",
            object_repr="activities",
            note=f"{len(made)} activities in {YEAR}",
        )
        return figures

    def _activity(self, duty, first, last, caseloads, kube_groups):
        rng = self.rng
        day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
        kind_type = self.types[rng.choice(WORK[duty.kind.code])]
        households = []
        own = [h for h, start in caseloads.get(duty.person_id, []) if start <= day]
        if own and kind_type.code not in {"COMMUNITY_WORK", "TRAINING", "DATA_UPDATE"}:
            households = rng.sample(own, k=min(len(own), rng.choice([1, 1, 1, 2])))
        group = None
        if kind_type.code == "KUBE_COACHING" and kube_groups.get(duty.person_id):
            group = rng.choice(kube_groups[duty.person_id])
        follow = None
        done = None
        if households and rng.random() < 0.2:
            follow = day + datetime.timedelta(days=rng.randrange(7, 22))
            if follow < self.follow_ups_open_from or rng.random() < 0.5:
                done = follow + datetime.timedelta(days=rng.randrange(0, 4))
                if self.today is not None and done > self.today:
                    done = None
        activity = Activity(
            person_id=duty.person_id,
            kind_id=duty.kind_id,
            area_id=duty.area_id,
            date=day,
            month=month_start(day),
            sector=kind_type.sector,
            activity_type=kind_type,
            need_category=self.categories[24] if households and rng.random() < 0.5 else None,
            kube_group=group,
            notes=rng.choice(NOTES),
            follow_up_on=follow,
            follow_up_done_on=done,
        )
        return activity, households

    def decider(self, kind_code: str, area: Area):
        """Who verifies: the coordinator of the kecamatan for a PSM, the office otherwise."""
        if kind_code != "PSM":
            return self.users.get("operator")
        return self.users.get(area.code.rsplit(".", 1)[0] if area.level == 4 else area.code)

    def report_row(
        self, duty, month, status, summary, submitted, decided, *, person_id=None, kind_id=None
    ) -> MonthlyReport:
        """A report as `report_submit` and then `report_decide` leave it (not saved)."""
        return MonthlyReport(
            person_id=person_id or duty.person_id,
            kind_id=kind_id or duty.kind_id,
            area_id=duty.area_id,
            month=month,
            status=status,
            summary=summary,
            submitted_at=_at(submitted),
            first_submitted_at=_at(submitted),
            submit_count=1,
            decided_by=self.decider(duty.kind.code, duty.area) if status != "submitted" else None,
            decided_at=_at(decided, 14) if status != "submitted" else None,
            return_reason=REASONS.get(status, ""),
        )

    def reports(self, figures: dict) -> int:
        """January–September 2024 mostly verified; every state in July–October; November and
        December not yet reported."""
        rng = self.rng
        duties = {
            (d.person_id, d.kind_id): d
            for d in Assignment.objects.filter(kind__code__in=list(WORK)).select_related("area")
        }
        rows = []
        for (person_id, kind_id, month), items in sorted(figures.items(), key=lambda i: i[0]):
            if month > D(YEAR, 10, 1):
                continue
            status = _state(month, rng.random())
            if status is None:
                continue  # not submitted: shows as late
            duty = duties[(person_id, kind_id)]
            submitted = next_month(month) + datetime.timedelta(days=rng.randrange(0, 12))
            decided = submitted + datetime.timedelta(days=rng.randrange(1, 7))
            reached = {h for _, hs in items for h in hs}
            by_sector, by_type = defaultdict(int), defaultdict(int)
            for a, _ in items:
                by_sector[a.sector] += 1
                by_type[a.activity_type.name] += 1
            rows.append(
                self.report_row(
                    duty,
                    month,
                    status,
                    {
                        "activities": len(items),
                        "by_sector": dict(by_sector),
                        "by_type": dict(sorted(by_type.items())),
                        "households": len(reached),
                        "kube_groups": len({a.kube_group_id for a, _ in items if a.kube_group_id}),
                        "follow_ups": sum(1 for a, _ in items if a.follow_up_on),
                    },
                    submitted,
                    decided,
                    person_id=person_id,
                    kind_id=kind_id,
                )
            )
        MonthlyReport.objects.bulk_create(rows, batch_size=2000)
        audit_record(
            by=self.by,
            action="demo.load",
            object_type="casework.monthlyreport",
            object_repr="monthly reports",
            note=f"{len(rows)} monthly reports, January–October {YEAR}",
        )
        return len(rows)


# --- after the fixed story: up to the day the demo is loaded ----------------------------------

CONTINUED_FROM = D(YEAR + 1, 1, 1)  # the 2024 story has activities for every month of 2024
REPORTS_FROM = D(YEAR, 10, 1)  # October 2024's missing reports came in late, in November
SETTLED_ON = D(YEAR, 11, 12)  # the 2024 backlog: resubmitted and verified in November 2024
# The two last complete months: cumulative shares per state; the rest not (yet) sent.
BEFORE_LAST = [("verified", 0.88), ("submitted", 0.93), ("returned", 0.96), ("reopened", 0.975)]
LAST_NOT_DUE = [("verified", 0.3), ("submitted", 0.62), ("returned", 0.72)]
LAST_DUE = [("verified", 0.6), ("submitted", 0.8), ("returned", 0.88)]
# The demo's pillar users see their own last complete month in a state each.
OWN_STATES = {"psm-001": "submitted", "psm-002": "returned", "psm-003": None}


def continue_casework(
    *,
    rng: random.Random,
    fake,
    by: Actor,
    users: dict,
    today: datetime.date,
    groups: dict[int, list],
    own: dict,
) -> dict:
    """The casework after the fixed story, up to `today` (see the module docstring); `groups`
    maps the Pendamping KUBE's person ids to the KUBE groups they accompany (from the kube app),
    `own` the demo pillar users' person ids to their usernames. Returns counts for the output."""
    from pilar.casework.report_services import report_due

    work = CaseworkDemo(rng=rng, fake=fake, by=by, users=users)
    work.today = today
    work.follow_ups_open_from = today - datetime.timedelta(days=45)
    settled = _settle_backlog(work)
    caseloads: dict[int, list] = defaultdict(list)
    for c in Caseload.objects.select_related("household").order_by("pk"):
        caseloads[c.person_id].append((c.household, c.start_date))
    duties = list(
        Assignment.objects.filter(kind__code__in=list(WORK), start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=REPORTS_FROM))
        .select_related("kind", "area")
        .order_by("pk")
    )
    made = []
    for duty in duties:
        code = duty.kind.code
        month = CONTINUED_FROM
        while month <= today:
            first = max(month, duty.start_date)
            last = min(month_end(month), duty.end_date or today, today)
            if first <= last:
                count = {"PSM": (3, 9), "TKSK": (3, 7), "TAGANA": (1, 4)}.get(code, (2, 6))
                for _ in range(rng.randrange(*count)):
                    made.append(work._activity(duty, first, last, caseloads, groups))
            month = next_month(month)
    Activity.objects.bulk_create([a for a, _ in made], batch_size=2000)
    links = [Activity.households.through(activity=a, household=h) for a, hs in made for h in hs]
    Activity.households.through.objects.bulk_create(links, batch_size=5000)
    audit_record(
        by=by,
        action="demo.load",
        object_type="casework.activity",
        object_repr="activities",
        note=f"{len(made)} activities, {CONTINUED_FROM:%B %Y} to {today:%d %B %Y}",
    )
    # Reports: every month from November 2024 to the last complete one, from all activities.
    figures: dict[tuple, list] = defaultdict(list)
    rows = (
        Activity.objects.filter(month__gte=REPORTS_FROM, month__lt=month_start(today))
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "kind_id",
            "month",
            "sector",
            "activity_type__name",
            "kube_group_id",
            "follow_up_on",
        )
    )
    reached: dict[int, set] = defaultdict(set)
    for activity_id, household_id in Activity.households.through.objects.filter(
        activity__month__gte=REPORTS_FROM, activity__month__lt=month_start(today)
    ).values_list("activity_id", "household_id"):
        reached[activity_id].add(household_id)
    for pk, person_id, kind_id, month, sector, type_name, group_id, follow in rows:
        figures[(person_id, kind_id, month)].append(
            (sector, type_name, group_id, follow, reached.get(pk, set()))
        )
    last = previous_month(today)  # the last complete month
    before_last = previous_month(last)
    shares = LAST_NOT_DUE if today <= report_due(last) else LAST_DUE
    by_duty = defaultdict(list)
    for d in duties:
        by_duty[(d.person_id, d.kind_id)].append(d)
    own_states = {pid: OWN_STATES.get(name, "verified") for pid, name in own.items()}
    reported = set(
        MonthlyReport.objects.filter(month__gte=REPORTS_FROM).values_list(
            "person_id", "kind_id", "month"
        )
    )
    reports = []
    for (person_id, kind_id, month), items in sorted(figures.items(), key=lambda i: i[0]):
        if (person_id, kind_id, month) in reported:
            continue
        roll = rng.random()
        if month == last:
            status = next((s for s, upto in shares if roll < upto), None)
            status = own_states.get(person_id, status)
        elif month == before_last:
            status = next((s for s, upto in BEFORE_LAST if roll < upto), None)
            if person_id in own_states:
                status = "verified"
        else:
            status = "verified" if roll < 0.998 or person_id in own_states else None
        if status is None:
            continue
        duty = next(
            d
            for d in sorted(by_duty[(person_id, kind_id)], key=lambda d: d.start_date)[::-1]
            if d.start_date <= month_end(month)
        )
        opened = next_month(month)
        submitted = min(opened + datetime.timedelta(days=rng.randrange(0, 12)), today)
        decided = min(submitted + datetime.timedelta(days=rng.randrange(1, 7)), today)
        summary = {
            "activities": len(items),
            "by_sector": dict(Counter(i[0] for i in items)),
            "by_type": dict(sorted(Counter(i[1] for i in items).items())),
            "households": len(set().union(*(i[4] for i in items))),
            "kube_groups": len({i[2] for i in items if i[2]}),
            "follow_ups": sum(1 for i in items if i[3]),
        }
        reports.append(work.report_row(duty, month, status, summary, submitted, decided))
    MonthlyReport.objects.bulk_create(reports, batch_size=2000)
    audit_record(
        by=by,
        action="demo.load",
        object_type="casework.monthlyreport",
        object_repr="monthly reports",
        note=f"{len(reports)} monthly reports, {REPORTS_FROM:%B %Y} to {last:%B %Y}",
    )
    return {"activities": len(made), "reports": len(reports), "2024 reports settled": settled}


def _settle_backlog(work: CaseworkDemo) -> int:
    """The 2024 reports left submitted, returned or reopened: the returned and reopened ones
    sent again, then all verified, in November 2024 (as `report_submit` and `report_verify`
    leave them). Months never reported stay so."""
    rng = work.rng
    settled = 0
    for report in (
        MonthlyReport.objects.exclude(status=MonthlyReport.Status.VERIFIED)
        .select_related("area", "kind")
        .order_by("pk")
    ):
        day = SETTLED_ON + datetime.timedelta(days=rng.randrange(0, 10))
        if report.status != MonthlyReport.Status.SUBMITTED:
            report.submit_count += 1
            report.submitted_at = _at(day, 9)
            day += datetime.timedelta(days=rng.randrange(1, 5))
        report.status = MonthlyReport.Status.VERIFIED
        report.decided_by = work.decider(report.kind.code, report.area)
        report.decided_at = _at(day, 14)
        report.return_reason = ""
        report.save()
        settled += 1
    return settled


def decile_releases(*, rng: random.Random, today: datetime.date, listed: set[int]) -> int:
    """The deciles of the DTSEN releases after the first extract (`RELEASES` up to `today`):
    each release moves some active households' decile one step up or down, recorded as the
    extract's decile history and as the household's decile. The households a verification
    round lists (`listed`, chosen by their decile) keep theirs: the round's to correct.
    Returns the records written."""
    verified = listed | set(
        DecileRecord.objects.filter(source=DecileRecord.Source.VERIVALI).values_list(
            "household_id", flat=True
        )
    )
    households = [
        h
        for h in Household.objects.filter(status=Household.Status.ACTIVE, decile__isnull=False)
        .only("pk", "decile")
        .order_by("pk")
        if h.pk not in verified
    ]
    records = []
    for day in (d for d in RELEASES if d <= today):
        accompanied = set(Caseload.objects.active_on(day).values_list("household_id", flat=True))
        for h in households:
            up, down = MOVES[h.pk in accompanied]
            roll = rng.random()
            step = 1 if roll < up else -1 if roll < up + down else 0
            decile = min(10, max(1, h.decile + step))
            if decile != h.decile:
                h.decile = decile
                records.append(
                    DecileRecord(
                        household=h, decile=decile, as_of=day, source=DecileRecord.Source.EXTRACT
                    )
                )
    DecileRecord.objects.bulk_create(records, batch_size=2000)
    Household.objects.bulk_update(households, ["decile"], batch_size=2000)
    return len(records)
