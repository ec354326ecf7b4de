"""Tali kasih for `pilar demo`: 2024 as the seed story tells it, late and quarterly.

- Rates from January 2024 out of the APBD: PSM and TKSK Rp400,000 a month, Tagana Rp200,000
  (published), Pendamping KUBE Rp300,000 (the office's configured choice); ceilings for 2024
  and 2025.
- January–March drafted in April and paid on 29 April 2024; April–June paid on 30 July 2024.
- July–September in one batch, approved and paid on 22 October 2024, the training day.
- October drafted in November, waiting for finance.

After that story (`continue_stipends`), up to the day the demo is loaded: October 2024 and the
rest of the fourth quarter (with every month verified since, as arrears) paid in January 2025;
then every quarter drafted on the 12th of the month after it, verified on the 15th, approved on
the 18th and paid on the 22nd, as far as those days have come; and the current quarter's
complete months in a draft.

Every step goes through the services as the demo's own users (operator drafts, bendahara sets
the rates and budget, verifies and records the payment, kepala approves), so each one is
validated and audited, and who is blocked is decided by eligibility itself: the casework demo
leaves some July–September reports unverified, the registry demo some people without a bank
account. Deterministic: it draws nothing at random.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.utils import timezone

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.money import rupiah
from pilar.lib.months import month_start, months_between, next_month, previous_month
from pilar.offices import current
from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.eligibility import State, entitlements
from pilar.stipends.models import FundingSource, StipendBatch, StipendLine

D = datetime.date
RATES_FROM = D(2024, 1, 1)
RATES = {"PSM": 400_000, "TKSK": 400_000, "TAGANA": 200_000, "PENDAMPING_KUBE": 300_000}
# The year's pagu: 360 people at their rates for twelve months is Rp1,622,400,000
# (300 PSM and 3 TKSK × 400,000, 31 Tagana × 200,000, 26 Pendamping KUBE × 300,000 = 135.2 million
# a month), with room for newcomers and arrears.
BUDGETS = {2024: 1_750_000_000, 2025: 1_800_000_000}


@dataclass(frozen=True)
class Run:
    """One payment batch of the story, with the days each step happened."""

    first: datetime.date
    last: datetime.date
    title: str
    drafted: datetime.date
    verified: datetime.date | None = None
    approved: datetime.date | None = None
    paid: datetime.date | None = None


RUNS = [  # months, title, drafted, verified, approved, paid
    Run(D(2024, 1, 1), D(2024, 3, 1), "Tali kasih Triwulan I 2024 (Januari–Maret)",
        D(2024, 4, 18), D(2024, 4, 22), D(2024, 4, 25), D(2024, 4, 29)),
    Run(D(2024, 4, 1), D(2024, 6, 1), "Tali kasih Triwulan II 2024 (April–Juni)",
        D(2024, 7, 18), D(2024, 7, 22), D(2024, 7, 25), D(2024, 7, 30)),
    Run(D(2024, 7, 1), D(2024, 9, 1), "Tali kasih Triwulan III 2024 (Juli–September)",
        D(2024, 10, 16), D(2024, 10, 18), D(2024, 10, 22), D(2024, 10, 22)),
    # October's reports come in during November: drafted then, not yet seen by finance.
    Run(D(2024, 10, 1), D(2024, 10, 1), "Tali kasih Oktober 2024", D(2024, 11, 19)),
]  # fmt: skip
QUARTER_III = RUNS[2]


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@dataclass
class Story:
    """What the demo's tali kasih came to, for the command to print and tests to check."""

    batches: dict[str, StipendBatch]
    # July–September: per kind code (people, lines, rupiah); people with a line.
    by_kind: dict[str, tuple[int, int, int]]
    paid_people: int
    serving: int
    # Reasons (codes) people were blocked for some month of July–September, counted by people;
    # and the people blocked for every month they served, by their reasons.
    blocked_some: Counter = field(default_factory=Counter)
    blocked_all: dict[int, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(amount for _, _, amount in self.by_kind.values())


def _signers() -> tuple[Actor, Actor, Actor]:
    """The demo's operator, treasurer and head of office, acting as the system on their behalf."""
    users = get_user_model().objects.in_bulk(
        ["operator", "bendahara", "kepala"], field_name="username"
    )
    return tuple(
        Actor.system(source=AuditEntry.Source.SYSTEM, user=users[name])
        for name in ("operator", "bendahara", "kepala")
    )


def load_stipends() -> Story:
    """Rates, budgets and the four batches of 2024 (call after the casework demo)."""
    operator, bendahara, kepala = _signers()
    kinds = list(PillarKind.objects.filter(code__in=RATES).order_by("order"))
    for kind in kinds:
        services.stipend_rate_create(
            by=bendahara,
            kind=kind,
            amount=RATES[kind.code],
            valid_from=RATES_FROM,
            funding_source=FundingSource.APBD,
            note="Perwako / DPA Dinas Sosial 2024",
        )
    for year, amount in BUDGETS.items():
        services.budget_set(
            by=bendahara,
            year=year,
            funding_source=FundingSource.APBD,
            amount=amount,
            note=f"DPA Dinas Sosial {year}: honorarium pilar sosial",
        )
    batches = {}
    for run in RUNS:
        batch = services.stipend_batch_draft(
            by=operator,
            first_month=run.first,
            last_month=run.last,
            kinds=kinds,
            year=run.first.year,
            title=run.title,
        )
        # The services stamp the moment they run (the demo is loaded today, the story is 2024):
        # each step's timestamp is moved to the story's day right after it, before the next
        # step checks it (a payment cannot be recorded before the approval).
        same = StipendBatch.objects.filter(pk=batch.pk)
        same.update(created_at=_at(run.drafted, 9))
        if run.verified:
            services.stipend_batch_verify(by=bendahara, batch=batch)
            same.update(verified_at=_at(run.verified, 14))
        if run.approved:
            batch = services.stipend_batch_approve(by=kepala, batch=batch)
            same.update(approved_at=_at(run.approved, 9))
            batch.refresh_from_db()
        if run.paid:
            services.stipend_batch_mark_paid(by=bendahara, batch=batch, paid_on=run.paid)
        batch.refresh_from_db()
        batches[run.title] = batch
    return _story(batches, kinds)


ARREARS_FROM = D(2024, 1, 1)
QUARTER_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV"}
BULAN = [""] + [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def _quarter_runs(today: datetime.date) -> list[tuple[Run, datetime.date | None]]:
    """The batches after the 2024 story, with the month their arrears start from."""
    runs = [
        (
            Run(
                D(2024, 11, 1), D(2024, 12, 1), "Tali kasih November–Desember 2024 dan tunggakan",
                D(2025, 1, 13), D(2025, 1, 15), D(2025, 1, 17), D(2025, 1, 22),
            ),
            ARREARS_FROM,
        )
    ]  # fmt: skip
    first = D(2025, 1, 1)
    this_month = month_start(today)
    while next_month(next_month(next_month(first))) <= this_month:
        last = next_month(next_month(first))
        after = next_month(last)
        number = (first.month - 1) // 3 + 1
        runs.append(
            (
                Run(
                    first,
                    last,
                    f"Tali kasih Triwulan {QUARTER_NAMES[number]} {first.year} "
                    f"({BULAN[first.month]}–{BULAN[last.month]})",
                    *(after.replace(day=day) for day in (12, 15, 18, 22)),
                ),
                ARREARS_FROM,
            )
        )
        first = after
    # The current quarter's complete months, drafted today.
    if first < this_month:
        last = previous_month(this_month)
        title = f"Tali kasih {BULAN[first.month]}" + (
            f"–{BULAN[last.month]}" if last != first else ""
        )
        runs.append((Run(first, last, f"{title} {first.year}", today), ARREARS_FROM))
    return runs


def continue_stipends(*, today: datetime.date) -> dict:
    """The batches after the 2024 story up to `today` (see the module docstring); returns
    counts for the command's output."""
    operator, bendahara, kepala = _signers()
    kinds = list(PillarKind.objects.filter(code__in=RATES).order_by("order"))
    for year in range(max(BUDGETS) + 1, today.year + 1):
        services.budget_set(
            by=bendahara,
            year=year,
            funding_source=FundingSource.APBD,
            amount=BUDGETS[max(BUDGETS)],
            note=f"DPA Dinas Sosial {year}: honorarium pilar sosial",
        )
    # The office the demo acts for (a province demo loads each office's in turn).
    october = StipendBatch.objects.get(office=current(), title=RUNS[-1].title)
    paid = 0
    for batch, run in [(october, None), *[(None, r) for r in _quarter_runs(today)]]:
        if batch is None:
            run, arrears = run
            if run.drafted > today:
                # The quarter is over but its day has not come: drafted today.
                run = Run(run.first, run.last, run.title, today)
            try:
                batch = services.stipend_batch_draft(
                    by=operator,
                    first_month=run.first,
                    last_month=run.last,
                    kinds=kinds,
                    year=run.last.year,
                    arrears_from=arrears,
                    title=run.title,
                )
            except ValidationError:
                continue  # nobody eligible yet
            if run.drafted < today:
                StipendBatch.objects.filter(pk=batch.pk).update(created_at=_at(run.drafted, 9))
        else:
            # October 2024 goes with the rest of the quarter.
            run = replace(
                RUNS[-1], verified=D(2025, 1, 15), approved=D(2025, 1, 17), paid=D(2025, 1, 22)
            )
        same = StipendBatch.objects.filter(pk=batch.pk)
        if run.verified and run.verified <= today:
            services.stipend_batch_verify(by=bendahara, batch=batch)
            same.update(verified_at=_at(run.verified, 14))
        if run.approved and run.approved <= today:
            batch = services.stipend_batch_approve(by=kepala, batch=batch)
            same.update(approved_at=_at(run.approved, 9))
            batch.refresh_from_db()
        if run.paid and run.paid <= today:
            services.stipend_batch_mark_paid(by=bendahara, batch=batch, paid_on=run.paid)
            paid += 1
    return {
        "batches paid since 2024": paid,
        "batches open": StipendBatch.objects.filter(office=current())
        .exclude(status="paid")
        .count(),
    }


def _story(batches: dict[str, StipendBatch], kinds: list[PillarKind]) -> Story:
    quarter = batches[QUARTER_III.title]
    codes = {k.pk: k.code for k in kinds}
    by_kind = {code: (0, 0, 0) for code in RATES}
    for kind_id, people, lines, amount in (
        quarter.lines.filter(status=StipendLine.Status.PAID)
        .values("kind_id")
        .annotate(people=Count("person_id", distinct=True), lines=Count("pk"), total=Sum("amount"))
        .values_list("kind_id", "people", "lines", "total")
    ):
        by_kind[codes[kind_id]] = (people, lines, amount)
    months = list(months_between(QUARTER_III.first, QUARTER_III.last))
    reasons: dict[int, set[str]] = defaultdict(set)
    held: set[int] = set()
    for e in entitlements(months=months, kinds=kinds):
        if e.state == State.BLOCKED:
            reasons[e.person_id].update(e.reasons)
        else:
            held.add(e.person_id)
    story = Story(
        batches=batches,
        by_kind=by_kind,
        paid_people=quarter.lines.values("person_id").distinct().count(),
        serving=len(held | set(reasons)),
    )
    for person_id, why in reasons.items():
        story.blocked_some.update(why)
        if person_id not in held:
            story.blocked_all[person_id] = sorted(why)
    return story


REASON_WORDS = {
    "no_account": "no bank account",
    "report_missing": "report missing",
    "report_submitted": "report not yet verified",
    "report_returned": "report returned",
    "report_reopened": "report reopened",
}


def describe(story: Story) -> list[str]:
    """The story in a few lines of the command's output."""

    def rp(amount: int) -> str:
        return "Rp" + rupiah(amount)

    def reasons(counts: Counter) -> str:
        return ", ".join(f"{REASON_WORDS.get(code, code)} {n}" for code, n in counts.most_common())

    lines = []
    for title, batch in story.batches.items():
        batch.refresh_from_db()  # the demo may have gone on after the 2024 story
        count = batch.lines.exclude(status=StipendLine.Status.CANCELLED).count()
        when = f" on {batch.paid_on.isoformat()}" if batch.paid_on else ""
        lines.append(
            f"  {title}: {batch.status}{when}, {count} lines, {rp(services.batch_total(batch))}"
        )
    kinds = "; ".join(
        f"{code} {people} people, {n} months, {rp(amount)}"
        for code, (people, n, amount) in story.by_kind.items()
    )
    lines.append(
        f"  July–September: {story.paid_people} of the {story.serving} people serving paid "
        f"{rp(story.total)} ({kinds})"
    )
    every = Counter(code for why in story.blocked_all.values() for code in why)
    lines.append(
        f"  Blocked in July–September, people: {len(story.blocked_all)} in every month served "
        f"({reasons(every)}); in some month: {reasons(story.blocked_some)}"
    )
    return lines
