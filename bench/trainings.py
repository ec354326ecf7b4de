#!/usr/bin/env python3
"""Benchmark: the trainings and equipment reads and PDFs on 100,000 pillars, each against the
raw SQL (or plain ReportLab) for the same answer.

    python3 bench/trainings.py [--people N] [--repeat R] [--pdf-repeat R] [--profile N]
                               [--data-dir DIR]

Uses DATABASE_URL from the environment; without it, a SQLite file in the bench's own data
directory (--data-dir, default var/bench-trainings/; PILAR_DATA_DIR is always set to it). Refuses
a database that holds any person `pilar synth` did not make: it **deletes every training and
equipment row** and writes its own. Migrates, runs `synth --people N` unless the synthetic
registry has exactly N people, then writes (bulk_create, not the services: bench data) around
30 June 2025:

- a basic PSM course required for appointment and a refresher for every kind valid 24 months;
  300 events (a few ending after the day, so their passes do not count yet) with about N/2
  participants, most passed with attendance on every day and a certificate (a few revoked); one
  basic event of 21–22 October 2024 has exactly 360 certificates (the bundle printed in (e));
- a vest (kept) and a radio (must be returned), about N handover lines in 300 BASTs (one BAST
  of 22 October 2024 with 356 receivers, printed in (e)), some second radios, and returns (good,
  damaged, lost); people whose duties ended still hold radios.

Then it times, median of R runs after one warm-up, each product call against its floor in the
same run, and checks both give the same answer:

(a) `duties_missing_training(operator, RequirementFilter(on=day))`: the count and the first page
    of 50 rows (duty, person, kind, area, missing courses), as the page shows them;
(b) `holdings(operator, HoldingFilter())` and `returns_due(operator, HoldingFilter(), day)`:
    count and first page each, the page's rows completed by `with_latest_bast` as the page does
    (returns due: people none of whose duties is active on the day or yet to start);
(c) `item_figures()`;
(d) `training_and_equipment_gaps(None, day)`;
(e) the 360 certificates of one event in one PDF (`certificates_pdf(printable(event))`, as the
    print job does) against plain ReportLab drawing the same names one per page; and the BAST of
    356 receivers (`bast_pdf`) against plain ReportLab writing the same lines; time per page and
    peak Python memory (tracemalloc, in a separate untimed run).

Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import random
import re
import string
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from common import log  # noqa: E402

common.log_elapsed()
D = datetime.date
DAY = D(2025, 6, 30)  # synth builds its active/ended mix around it
SEED = 6
BASIC_EVENTS, REFRESHER_EVENTS = 180, 120
BUNDLE = 360  # certificates of the event printed in (e)
BASTS = 300
BAST_RECEIVERS = 356  # receivers of the BAST printed in (e)
PAGE = 50
MAX_RATIO = 3.0
BENCH_USER = "bench-trainings-operator"
PREFIX = "Bench: "  # the bench's courses and items
WITNESSES = [("Ani Saksi", "Kepala Bidang"), ("Budi Saksi", "Kepala Seksi"), ("Cici Saksi", "Staf")]


def parse_args() -> argparse.Namespace:
    parser = common.new_parser(__doc__)
    common.add_people(parser, 100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each read (5)")
    parser.add_argument("--pdf-repeat", type=int, default=3, help="timed runs of each PDF (3)")
    common.add_profile(parser, "one call of each measure")
    common.add_data_dir(parser, "bench-trainings")
    return parser.parse_args()


# --- data -------------------------------------------------------------------------------------


def clear() -> None:
    """Every training and equipment row: the bench's database holds no other."""
    from pilar.equipment.models import Handover, HandoverLine, Item, Return, StockReceipt
    from pilar.trainings.models import (
        Attendance,
        Certificate,
        CertificatePrint,
        Course,
        Participant,
        TrainingEvent,
    )

    for model in (
        Certificate, CertificatePrint, Attendance, Participant, TrainingEvent,
        Course.kinds.through, Course, Return, HandoverLine, Handover, StockReceipt, Item,
    ):  # fmt: skip
        qs = model.objects.all()
        qs._raw_delete(qs.db)


def spread(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return D.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def generate() -> dict:
    """The bench's trainings and equipment, written with bulk_create; returns the counts."""
    from django.db import transaction

    from pilar.core.synth.areas import synthetic_provinces
    from pilar.core.synth.people import synthetic_assignments
    from pilar.equipment.models import (
        Condition,
        Handover,
        HandoverLine,
        HandoverWitness,
        Item,
        Return,
        StockReceipt,
    )
    from pilar.registry.models import PillarKind
    from pilar.trainings.models import (
        Attendance,
        Certificate,
        Course,
        FundingSource,
        Participant,
        TrainingEvent,
    )

    rng = random.Random(SEED)
    duties = list(
        synthetic_assignments(synthetic_provinces())
        .order_by("person_id")
        .values_list("person_id", "person__name", "kind__code")
    )
    psm = [d for d in duties if d[2] == "PSM"]
    others = [d for d in duties if d[2] != "PSM"]
    made: dict[str, int] = {}
    batch = 5000
    with transaction.atomic():
        clear()
        basic = Course.objects.create(
            name=f"{PREFIX}Bimbingan Teknis Dasar PSM", level=Course.Level.BASIC, hours=32,
            required_for_appointment=True,
        )  # fmt: skip
        basic.kinds.set([PillarKind.objects.get(code="PSM")])
        refresher = Course.objects.create(
            name=f"{PREFIX}Penyegaran Pilar Sosial", level=Course.Level.REFRESHER, hours=16,
            validity_months=24,
        )  # fmt: skip

        def event(course, start, days, n):
            return TrainingEvent(
                course=course, title="", start_date=start,
                end_date=start + datetime.timedelta(days=days - 1),
                place=f"Aula {n % 17 + 1} Dinas Sosial", organiser="Dinas Sosial (bench)",
                funding=FundingSource.APBD, budget=50_000_000, capacity=400,
            )  # fmt: skip

        events = [event(basic, D(2024, 10, 21), 2, 0)]
        for n in range(1, BASIC_EVENTS):  # a few start after the day: passes not counted yet
            events.append(event(basic, spread(rng, D(2022, 1, 1), D(2025, 8, 31)), 2, n))
        for n in range(REFRESHER_EVENTS):  # ending mid-2023 → expiring around the day
            events.append(event(refresher, spread(rng, D(2022, 7, 1), D(2025, 6, 20)), 3, n))
        TrainingEvent.objects.bulk_create(events)
        bundle, basic_events, refresher_events = (
            events[0],
            events[1:BASIC_EVENTS],
            events[BASIC_EVENTS:],
        )

        # About N/2 participants: PSM to the basic course, the other kinds to the refresher.
        chosen_psm = rng.sample(psm, min(len(psm), round(len(duties) * 0.5 * 0.8)))
        chosen_others = rng.sample(others, min(len(others), round(len(duties) * 0.5 * 0.2)))
        participants, names = [], {}
        for i, (person_id, name, _kind) in enumerate(chosen_psm):
            ev = bundle if i < BUNDLE else rng.choice(basic_events)
            participants.append((ev, person_id))
            names[person_id] = name
        for person_id, name, _kind in chosen_others:
            participants.append((rng.choice(refresher_events), person_id))
            names[person_id] = name
        objs = []
        for ev, person_id in participants:
            draw = rng.random()
            if ev is bundle or draw < 0.92:
                result, score = Participant.Result.PASSED, rng.randint(70, 100)
            elif draw < 0.96:
                result, score = Participant.Result.FAILED, rng.randint(20, 69)
            else:
                result, score = Participant.Result.PENDING, None
            objs.append(Participant(event=ev, person_id=person_id, result=result, score=score))
        Participant.objects.bulk_create(objs, batch_size=batch)
        made["participants"] = len(objs)

        attendance, certificates, seqs = [], [], {}
        codes: set[str] = set()
        alphabet = string.ascii_uppercase + string.digits
        for p in objs:
            ev = p.event
            days = ev.days()
            if p.result == Participant.Result.FAILED:
                days = days[:1]
            elif p.result == Participant.Result.PENDING:
                days = []
            attendance += [Attendance(participant=p, day=d) for d in days]
            if p.result != Participant.Result.PASSED:
                continue
            code = "".join(rng.choices(alphabet, k=12))
            while code in codes:
                code = "".join(rng.choices(alphabet, k=12))
            codes.add(code)
            year = ev.end_date.year
            seqs[year] = seqs.get(year, 0) + 1
            revoked = ev is not bundle and rng.random() < 0.005
            certificates.append(
                Certificate(
                    participant=p, code=code, number=f"BENCH/{year}/{seqs[year]:06d}",
                    year=year, seq=seqs[year], name=names[p.person_id],
                    course_name=ev.course.name, hours=ev.course.hours,
                    place=ev.place, organiser=ev.organiser,
                    event_start=ev.start_date, event_end=ev.end_date, issued_on=ev.end_date,
                    valid_until=ev.course.valid_until(ev.end_date),
                    signer_name="Drs. Bench Kepala", signer_title="Kepala Dinas Sosial",
                    revoked_at=datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC)
                    if revoked else None,
                    revoke_reason="Salah nama (bench)" if revoked else "",
                )
            )  # fmt: skip
        Attendance.objects.bulk_create(attendance, batch_size=batch)
        Certificate.objects.bulk_create(certificates, batch_size=batch)
        made["attendance"] = len(attendance)
        made["certificates"] = len(certificates)

        # Equipment: a vest for 60% of the people, a radio for 40% (some get a second one).
        vest = Item.objects.create(
            name=f"{PREFIX}Rompi Pilar Sosial", category=Item.Category.CLOTHING, unit="buah"
        )
        radio = Item.objects.create(
            name=f"{PREFIX}Radio HT", category=Item.Category.COMMUNICATION, unit="unit",
            asset_code="KIB-B-0201", needs_return=True,
        )  # fmt: skip
        handovers = []
        for n in range(BASTS):
            handed_on = D(2024, 10, 22) if n == 0 else spread(rng, D(2021, 1, 1), D(2025, 6, 20))
            handovers.append(
                Handover(
                    year=handed_on.year, seq=n + 1,
                    number=f"BENCH/BAST/{handed_on.year}/{n + 1:04d}", handed_on=handed_on,
                    place="Aula Dinas Sosial", giver_name="Bench Pemberi",
                    giver_title="Sekretaris Dinas",
                    training_event=bundle if n == 0 else None,
                )
            )  # fmt: skip
        Handover.objects.bulk_create(handovers)
        HandoverWitness.objects.bulk_create(
            HandoverWitness(handover=h, order=i, name=name, position=position)
            for h in handovers
            for i, (name, position) in enumerate(WITNESSES, start=1)
        )
        people = [d[0] for d in duties]
        rng.shuffle(people)
        big, rest = people[:BAST_RECEIVERS], people[BAST_RECEIVERS:]
        lines = []
        for person_id in big:
            lines.append(
                HandoverLine(handover=handovers[0], person_id=person_id, item=vest, quantity=1)
            )
            lines.append(
                HandoverLine(handover=handovers[0], person_id=person_id, item=radio, quantity=1)
            )
        radio_holders = list(big)
        for person_id in rest:
            if rng.random() < 0.6:
                h = rng.choice(handovers[1:])
                lines.append(HandoverLine(handover=h, person_id=person_id, item=vest, quantity=1))
            if rng.random() < 0.4:
                h = rng.choice(handovers[1:])
                lines.append(HandoverLine(handover=h, person_id=person_id, item=radio, quantity=1))
                radio_holders.append(person_id)
                if rng.random() < 0.05:
                    other = rng.choice(handovers[1:])
                    while other is h:
                        other = rng.choice(handovers[1:])
                    lines.append(
                        HandoverLine(handover=other, person_id=person_id, item=radio, quantity=1)
                    )
        HandoverLine.objects.bulk_create(lines, batch_size=batch)
        made["handover_lines"] = len(lines)
        made["handovers"] = len(handovers)
        StockReceipt.objects.bulk_create(
            [
                StockReceipt(
                    item=item, received_on=D(2020, 12, 1), quantity=len(lines), source="APBD"
                )
                for item in (vest, radio)
            ]
        )
        returns = []
        for person_id in rng.sample(radio_holders, len(radio_holders) // 10):
            draw = rng.random()
            condition = (
                Condition.GOOD
                if draw < 0.7
                else Condition.DAMAGED
                if draw < 0.9
                else Condition.LOST
            )
            returns.append(
                Return(
                    person_id=person_id, item=radio, quantity=1, condition=condition,
                    returned_on=D(2025, 6, 25), received_by="Bench Gudang",
                    reason="" if condition == Condition.GOOD else "Rusak/hilang (bench)",
                )
            )  # fmt: skip
        Return.objects.bulk_create(returns, batch_size=batch)
        made["returns"] = len(returns)
    made["bundle_event_id"] = bundle.pk
    made["bast_id"] = handovers[0].pk
    return made


# --- floors -----------------------------------------------------------------------------------


def tables() -> dict[str, str]:
    from django.db import connection

    from pilar.equipment.models import Handover, HandoverLine, Item, Return, StockReceipt
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment, Person, PillarKind
    from pilar.trainings.models import Certificate, Participant, TrainingEvent

    qn = connection.ops.quote_name
    models = {
        "s": Assignment, "p": Person, "k": PillarKind, "a": Area, "e": TrainingEvent,
        "pt": Participant, "c": Certificate, "i": Item, "h": Handover, "l": HandoverLine,
        "r": Return, "sr": StockReceipt,
    }  # fmt: skip
    return {alias: qn(m._meta.db_table) for alias, m in models.items()}


def query(sql: str, params=()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


ACTIVE = "s.start_date <= %s AND (s.end_date IS NULL OR s.end_date >= %s)"


def required() -> list[tuple[int, list[int], int | None]]:
    """The courses required for appointment: (id, kind ids — empty for every kind, validity)."""
    from pilar.trainings.models import Course

    return [
        (c.pk, [k.pk for k in c.kinds.all()], c.validity_months)
        for c in Course.objects.filter(required_for_appointment=True).prefetch_related("kinds")
    ]


def passed_sql(course: tuple, day: datetime.date) -> tuple[str, list]:
    """EXISTS: the duty's holder passed `course` in a way that counts on `day`."""
    from pilar.lib.months import add_months

    t = tables()
    pk, _kinds, validity = course
    sql = (
        f"EXISTS (SELECT 1 FROM {t['pt']} pt JOIN {t['e']} e ON e.id = pt.event_id "
        "WHERE pt.person_id = s.person_id AND e.course_id = %s AND pt.result = 'passed' "
        "AND e.end_date <= %s"
    )
    params = [pk, day]
    if validity:
        sql += " AND e.end_date > %s"
        params.append(add_months(day, -validity))
    return sql + ")", params


def lacking_sql(day: datetime.date) -> tuple[str, list]:
    """WHERE of active duties lacking a required course (alias s)."""
    parts, params = [], []
    for course in required():
        exists, p = passed_sql(course, day)
        kinds = course[1]
        if kinds:
            parts.append(f"(s.kind_id IN ({', '.join('%s' for _ in kinds)}) AND NOT {exists})")
            params += [*kinds, *p]
        else:
            parts.append(f"(NOT {exists})")
            params += p
    return f"{ACTIVE} AND ({' OR '.join(parts) or '1 = 0'})", [day, day, *params]


def floor_missing(day: datetime.date):
    t = tables()
    where, params = lacking_sql(day)
    count = query(f"SELECT COUNT(*) FROM {t['s']} s WHERE {where}", params)[0][0]
    flags, flag_params = [], []
    for course in required():
        exists, p = passed_sql(course, day)
        flags.append(exists)
        flag_params += p
    rows = query(
        f"SELECT s.id, p.name, k.code, a.name, {', '.join(flags)} FROM {t['s']} s "
        f"JOIN {t['p']} p ON p.id = s.person_id JOIN {t['k']} k ON k.id = s.kind_id "
        f"JOIN {t['a']} a ON a.id = s.area_id WHERE {where} "
        f"ORDER BY p.name, k.{quote('order')}, s.id LIMIT {PAGE}",
        [*flag_params, *params],
    )
    courses = required()
    kind_ids = dict(query(f"SELECT code, id FROM {t['k']}"))
    page = []
    for duty, name, kind, area, *passed in rows:
        missing = [
            c[0]
            for c, ok in zip(courses, passed, strict=True)
            if not ok and (not c[1] or kind_ids[kind] in c[1])
        ]
        page.append((duty, name, kind, area, missing))
    return count, page


def quote(name: str) -> str:
    from django.db import connection

    return connection.ops.quote_name(name)


def holdings_sql(due_on: datetime.date | None) -> tuple[str, list]:
    """(person_id, item_id, held, first_on, last_on[, left_on]) held now; with `due_on`, only
    must-return items held by people none of whose duties is active on `due_on` or yet to start
    (people who never had a duty included, `left_on` empty). Those lines are picked before
    aggregating, as the product's plan does."""
    t = tables()
    where, params = "", []
    if due_on is not None:
        where = (
            f"WHERE l.item_id IN (SELECT i.id FROM {t['i']} i WHERE i.needs_return = {true()}) "
            f"AND NOT EXISTS (SELECT 1 FROM {t['s']} s WHERE s.person_id = l.person_id "
            "AND (s.end_date IS NULL OR s.end_date >= %s)) "
        )
        params.append(due_on)
    left_on = (
        f", (SELECT MAX(s.end_date) FROM {t['s']} s WHERE s.person_id = g.person_id) AS left_on"
        if due_on is not None
        else ""
    )
    sql = (
        "SELECT g.person_id, g.item_id, g.handed - COALESCE(x.n, 0) AS held, g.first_on, "
        f"g.last_on{left_on} FROM (SELECT l.person_id, l.item_id, SUM(l.quantity) AS handed, "
        f"MIN(h.handed_on) AS first_on, MAX(h.handed_on) AS last_on FROM {t['l']} l "
        f"JOIN {t['h']} h ON h.id = l.handover_id {where}GROUP BY l.person_id, l.item_id) g "
        f"LEFT JOIN (SELECT person_id, item_id, SUM(quantity) AS n FROM {t['r']} "
        "GROUP BY person_id, item_id) x ON x.person_id = g.person_id AND x.item_id = g.item_id "
        "WHERE g.handed - COALESCE(x.n, 0) > 0"
    )
    return sql, params


def true() -> str:
    from django.db import connection

    return "TRUE" if connection.vendor == "postgresql" else "1"


def floor_holdings(due_on: datetime.date | None = None):
    t = tables()
    sql, params = holdings_sql(due_on)
    # The held pairs are computed once (MATERIALIZED): inlined, PostgreSQL planned the page's
    # join to people as a nested loop re-aggregating every line per person (a minute a query).
    count = query(f"WITH z AS MATERIALIZED ({sql}) SELECT COUNT(*) FROM z", params)[0][0]
    order, outer = "p.name, z.person_id, i.name", "q.person_name, q.person_id, q.item_name"
    if due_on is not None:
        order = f"z.left_on NULLS FIRST, {order}"
        outer = f"q.left_on NULLS FIRST, {outer}"
    latest = (
        "(SELECT {col} FROM {l} l2 JOIN {h} h2 ON h2.id = l2.handover_id "
        "WHERE l2.person_id = q.person_id AND l2.item_id = q.item_id "
        "ORDER BY h2.handed_on DESC, l2.handover_id DESC LIMIT 1)"
    )
    rows = query(
        f"SELECT q.*, {latest.format(col='h2.number', l=t['l'], h=t['h'])}, "
        f"{latest.format(col='l2.handover_id', l=t['l'], h=t['h'])} FROM ("
        f"WITH z AS MATERIALIZED ({sql}) "
        "SELECT z.*, p.name AS person_name, i.name AS item_name FROM z "
        f"JOIN {t['p']} p ON p.id = z.person_id JOIN {t['i']} i ON i.id = z.item_id "
        f"ORDER BY {order} LIMIT {PAGE}) q ORDER BY {outer}",
        params,
    )
    page = []
    for row in rows:
        person, item, held, first_on, last_on, *rest = row
        left_on = rest.pop(0) if due_on is not None else None
        person_name, item_name, number, handover_id = rest
        entry = (person, item, person_name, item_name, held, str(first_on), str(last_on))
        entry += (number, handover_id)
        if due_on is not None:
            entry += (str(left_on),)
        page.append(entry)
    return count, page


def product_holdings_page(qs, due: bool):
    """Count and first page, the latest BAST filled for the rows shown, as the page does."""
    from django.core.paginator import Paginator

    from pilar.equipment.selectors import with_latest_bast

    page = Paginator(qs, PAGE).get_page(1)
    page.object_list = list(with_latest_bast(page.object_list))
    rows = []
    for r in page.object_list:
        entry = (
            r["person_id"], r["item_id"], r["person__name"], r["item__name"], r["held"],
            str(r["first_on"]), str(r["last_on"]), r["last_number"], r["last_handover_id"],
        )  # fmt: skip
        if due:
            entry += (str(r["left_on"]),)
        rows.append(entry)
    return page.paginator.count, rows


def floor_figures() -> dict[int, tuple]:
    t = tables()
    rows = query(
        f"SELECT item_id, 'received', SUM(quantity) FROM {t['sr']} GROUP BY item_id "
        f"UNION ALL SELECT item_id, 'handed', SUM(quantity) FROM {t['l']} GROUP BY item_id "
        f"UNION ALL SELECT item_id, condition, SUM(quantity) FROM {t['r']} "
        "GROUP BY item_id, condition"
    )
    slots = ["received", "handed", "good", "damaged", "lost"]
    figures: dict[int, list[int]] = {}
    for item, what, n in rows:
        figures.setdefault(item, [0] * 5)[slots.index(what)] = int(n)
    return {item: tuple(v) for item, v in figures.items()}


def floor_gaps(day: datetime.date) -> dict:
    from pilar.dashboard.gaps import EXPIRING_DAYS
    from pilar.lib.months import add_months

    t = tables()
    serving = query(
        f"SELECT COUNT(DISTINCT s.person_id) FROM {t['s']} s WHERE {ACTIVE}", [day, day]
    )
    trained = query(
        f"SELECT COUNT(DISTINCT pt.person_id) FROM {t['pt']} pt JOIN {t['e']} e "
        "ON e.id = pt.event_id WHERE pt.result = 'passed' AND e.end_date > %s "
        f"AND e.end_date <= %s AND pt.person_id IN (SELECT s.person_id FROM {t['s']} s "
        f"WHERE {ACTIVE})",
        [add_months(day, -12), day, day, day],
    )
    where, params = lacking_sql(day)
    missing = query(f"SELECT COUNT(DISTINCT s.person_id) FROM {t['s']} s WHERE {where}", params)
    by_kind = query(
        f"SELECT k.code, COUNT(DISTINCT s.person_id) FROM {t['s']} s JOIN {t['k']} k "
        f"ON k.id = s.kind_id WHERE {where} GROUP BY k.code, k.{quote('order')} "
        f"ORDER BY k.{quote('order')}, k.code",
        params,
    )
    expiring = query(
        f"SELECT COUNT(*) FROM {t['c']} c JOIN {t['pt']} pt ON pt.id = c.participant_id "
        f"WHERE pt.person_id IN (SELECT s.person_id FROM {t['s']} s) AND c.revoked_at IS NULL "
        "AND c.issued_on <= %s AND c.valid_until >= %s AND c.valid_until < %s",
        [day, day, day + datetime.timedelta(days=EXPIRING_DAYS)],
    )
    sql, p = holdings_sql(day)
    due = query(f"SELECT COALESCE(SUM(held), 0), COUNT(DISTINCT person_id) FROM ({sql}) z", p)
    return {
        "serving": serving[0][0], "trained": trained[0][0], "missing": missing[0][0],
        "missing_by_kind": [(k, n) for k, n in by_kind], "expiring": expiring[0][0],
        "due_items": int(due[0][0]), "due_people": due[0][1],
    }  # fmt: skip


# --- PDFs -------------------------------------------------------------------------------------


def pdf_pages(body: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", body))


def floor_certificates(event_id: int) -> bytes:
    """The same number of A4 landscape pages, each with only the name, by plain ReportLab."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    from pilar.lib.pdf import fonts

    t = tables()
    names = query(
        f"SELECT c.name FROM {t['c']} c JOIN {t['pt']} pt ON pt.id = c.participant_id "
        "WHERE pt.event_id = %s AND c.revoked_at IS NULL ORDER BY c.name, c.id",
        [event_id],
    )
    _regular, bold = fonts()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    for (name,) in names:
        canvas.setFont(bold, 26)
        canvas.drawCentredString(width / 2, height / 2, name)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def floor_bast(handover_id: int) -> bytes:
    """The BAST's receivers as plain text rows 9 mm apart, as its lampiran lists them: name,
    masked NIK, and what they received."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from pilar.lib.nik import mask_nik
    from pilar.lib.pdf import fonts

    t = tables()
    rows = query(
        f"SELECT p.name, p.nik, l.quantity, i.unit, i.name FROM {t['l']} l "
        f"JOIN {t['p']} p ON p.id = l.person_id JOIN {t['i']} i ON i.id = l.item_id "
        "WHERE l.handover_id = %s ORDER BY p.name, l.person_id, i.name, l.id",
        [handover_id],
    )
    regular, _bold = fonts()
    width, height = A4
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    receivers: dict[tuple, list[str]] = {}
    for name, nik, quantity, unit, item in rows:
        receivers.setdefault((name, nik), []).append(f"{quantity} {unit} {item}")
    y = height - 20 * mm
    for (name, nik), things in receivers.items():
        if y < 20 * mm:
            canvas.showPage()
            y = height - 20 * mm
        canvas.setFont(regular, 8)
        canvas.drawString(20 * mm, y, f"{name}  NIK {mask_nik(nik)}  {'; '.join(things)}")
        y -= 9 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    # Participants and handover lines protect the people synth deletes: cleared first.
    synth_s = common.start_synthetic(
        args.data_dir,
        args.people,
        "trainings.py",
        "deletes every training and equipment row",
        clear,
    )

    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pilar.dashboard.gaps import training_and_equipment_gaps
    from pilar.equipment.bast_pdf import bast_pdf
    from pilar.equipment.models import Handover
    from pilar.equipment.selectors import HoldingFilter, holdings, item_figures, returns_due
    from pilar.trainings.certificates.pdf import certificates_pdf
    from pilar.trainings.certificates.selectors import printable
    from pilar.trainings.models import TrainingEvent
    from pilar.trainings.selectors import RequirementFilter, duties_missing_training

    started = time.perf_counter()
    made = generate()
    generate_s = time.perf_counter() - started
    common.vacuum("registry", "regions", "trainings", "equipment")
    log(f"bench: generated in {generate_s:.1f} s: {made}")
    user = common.bench_user(BENCH_USER, "operator")
    event = TrainingEvent.objects.get(pk=made["bundle_event_id"])
    handover = Handover.objects.get(pk=made["bast_id"])

    def missing():
        duties, rows = duties_missing_training(user, RequirementFilter(on=DAY))
        page = Paginator(duties, PAGE).get_page(1)
        return page.paginator.count, [
            (
                r.duty.pk,
                r.person.name,
                r.duty.kind.code,
                r.duty.area.name,
                [c.pk for c in r.missing],
            )
            for r in rows(page.object_list)
        ]

    def figures():
        return {
            pk: (f.received, f.handed, f.returned_good, f.returned_damaged, f.lost)
            for pk, f in item_figures().items()
        }

    def gaps():
        g = training_and_equipment_gaps(None, DAY)
        return {
            "serving": g.serving, "trained": g.trained, "missing": g.missing,
            "missing_by_kind": list(g.missing_by_kind), "expiring": g.expiring,
            "due_items": g.due_items, "due_people": g.due_people,
        }  # fmt: skip

    def certificates():
        certs = list(printable(event))
        return certificates_pdf(certs, title=f"Sertifikat {event.display_title}")

    measures = [
        # name, product, floor, repeat, compare
        ("a_missing_training", missing, lambda: floor_missing(DAY), args.repeat, True),
        ("b_holdings", lambda: product_holdings_page(holdings(user, HoldingFilter()), False),
         floor_holdings, args.repeat, True),
        ("b_returns_due",
         lambda: product_holdings_page(returns_due(user, HoldingFilter(), today=DAY), True),
         lambda: floor_holdings(DAY), args.repeat, True),
        ("c_item_figures", figures, floor_figures, args.repeat, True),
        ("d_dashboard_gaps", gaps, lambda: floor_gaps(DAY), args.repeat, True),
        ("e_certificates_pdf", certificates, lambda: floor_certificates(event.pk),
         args.pdf_repeat, False),
        ("e_bast_pdf", lambda: bast_pdf(handover), lambda: floor_bast(handover.pk),
         args.pdf_repeat, False),
    ]  # fmt: skip
    results: dict[str, dict] = {}
    mismatches = []
    for label, product, floor, repeat, compare in measures:
        log(f"bench: {label}: {repeat} runs of floor and product after a warm-up")
        floor_ms, floor_runs, floor_answer = common.timed(floor, repeat)
        product_ms, product_runs, answer = common.timed(product, repeat)
        with CaptureQueriesContext(connection) as queries:
            product()
        entry = {
            "floor_ms": round(floor_ms, 1),
            "product_ms": round(product_ms, 1),
            "ratio": round(product_ms / floor_ms, 2),
            "product_queries": len(queries),
            "floor_ms_runs": [round(t, 1) for t in floor_runs],
            "product_ms_runs": [round(t, 1) for t in product_runs],
        }
        if compare:
            if answer != floor_answer:
                mismatches.append(label)
                log(f"bench: MISMATCH {label}\n  product {str(answer)[:600]}\n"
                    f"  floor   {str(floor_answer)[:600]}")  # fmt: skip
            if isinstance(answer, tuple):
                entry["count"] = answer[0]
            else:
                entry["answer"] = answer
            entry["budget_ok"] = product_ms / floor_ms <= MAX_RATIO
        else:
            pages, floor_pages = pdf_pages(answer), pdf_pages(floor_answer)
            # The BAST's first pages come before the lampiran: at least the floor's pages.
            if pages < floor_pages if label == "e_bast_pdf" else pages != floor_pages:
                mismatches.append(label)
                log(f"bench: MISMATCH {label}: {pages} pages, floor {floor_pages}")
            entry.update(
                pages=pages,
                floor_pages=floor_pages,
                product_ms_per_page=round(product_ms / pages, 2),
                floor_ms_per_page=round(floor_ms / floor_pages, 2),
                product_bytes=len(answer),
                floor_bytes=len(floor_answer),
                product_peak_mib=round(peak_mib(product), 1),
                floor_peak_mib=round(peak_mib(floor), 1),
            )
        results[label] = entry
        log(f"bench: {label}: floor {floor_ms:.1f} ms, product {product_ms:.1f} ms "
            f"({product_ms / floor_ms:.2f}×), {len(queries)} queries")  # fmt: skip
        if args.profile:
            log(f"bench: profile of {label}\n{common.profiled(product, args.profile)}")

    import resource

    result = {
        "vendor": connection.vendor,
        "people": args.people,
        "day": DAY.isoformat(),
        "made": made,
        "repeat": args.repeat,
        "pdf_repeat": args.pdf_repeat,
        "measures": results,
        "mismatches": mismatches,
        "budget": {"max_ratio": MAX_RATIO},
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "generate_s": round(generate_s, 1),
        "synth_s": round(synth_s, 1) if synth_s is not None else None,
        "machine": common.machine(),
    }
    print(json.dumps(result, indent=2, default=str))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
