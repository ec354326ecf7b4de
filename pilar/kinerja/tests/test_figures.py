"""Kinerja figures: each month's counts and each flag, tried at its edge."""

from __future__ import annotations

import datetime

import pytest

from pilar.casework.models import Activity
from pilar.kinerja.figures import office_trend, rows, totals
from pilar.regions.models import Area

pytestmark = pytest.mark.django_db
D = datetime.date
OCTOBER = D(2024, 10, 1)


def by_key(found):
    return {r.key: r for r in found}


def test_the_trend_counts_each_month(story):
    trend = office_trend(None, OCTOBER)
    assert trend.months[0] == D(2023, 11, 1) and trend.months[-1] == OCTOBER
    assert len(trend.points) == 12
    july, august, september, october = trend.points[-4:]
    assert [p.activities for p in (july, august, september, october)] == [1, 1, 2, 2]
    assert (
        october.by_sector["perlindungan"]
        + october.by_sector["rehabilitasi"]
        + sum(n for s, n in october.by_sector.items() if s not in ("perlindungan", "rehabilitasi"))
        == 2
    )
    # Households reached: h1 in August; h1 and h2 in September; h2 and hb in October.
    assert [august.reached, september.reached, october.reached] == [1, 2, 2]
    # Four households in a caseload (Eko's too: the caseload is open, the duty is not).
    assert october.caseload == 4
    # Reports: a1, the TKSK and a2 (October) on time; b1 always late, a2 late in Aug and Sep.
    assert [august.reports, august.on_time] == [4, 2]
    assert [october.reports, october.on_time, october.verified] == [4, 3, 1]
    # A follow-up closed one day late is not on time.
    assert (september.follow_ups, september.follow_ups_on_time) == (1, 0)
    assert (october.follow_ups, october.follow_ups_on_time) == (1, 1)
    assert october.trainings == 1


def test_a_cancelled_activity_does_not_count(story):
    Activity.objects.filter(person=story["b1"]).update(
        cancelled_at=datetime.datetime.now(datetime.UTC)
    )
    assert office_trend(None, OCTOBER).points[-1].activities == 1


def test_rows_by_person_and_their_flags(story):
    found = by_key(rows(None, OCTOBER, "person"))
    a1, a2, b1 = (found[story[k].pk] for k in ("a1", "a2", "b1"))
    assert a1.figures.activities == 3 and a1.figures.reached == 2
    assert (a1.quiet, a1.late_run) == (0, 0)
    # a2's only activity was in July, three months before October: quiet.
    assert a2.quiet == 1
    # Late in August and September only: not three months running.
    assert a2.late_run == 0
    assert b1.late_run == 1 and b1.quiet == 0
    # Eko serves no longer; his household is left without a serving pillar.
    assert found[story["eko"].pk].unserved == 1
    assert a1.figures.trainings == 1
    assert a1.label == "Ani Kecamatan A"


def test_an_activity_two_months_ago_is_not_quiet(story, act):
    act(story["a2"], D(2024, 9, 30))
    assert by_key(rows(None, OCTOBER, "person"))[story["a2"].pk].quiet == 0


def test_a_third_late_month_flags_the_run(story, report):
    """a2 was late in August and September; October late too makes three."""
    from pilar.casework.models import MonthlyReport

    late = datetime.datetime(2024, 11, 11, 1, tzinfo=datetime.UTC)
    MonthlyReport.objects.filter(person=story["a2"], month=OCTOBER).update(first_submitted_at=late)
    assert by_key(rows(None, OCTOBER, "person"))[story["a2"].pk].late_run == 1


def test_a_missing_report_counts_as_late_once_due(story):
    from pilar.casework.models import MonthlyReport

    MonthlyReport.objects.filter(person=story["a2"], month=OCTOBER).delete()
    MonthlyReport.objects.filter(person=story["a2"], month=D(2024, 8, 1)).delete()
    assert by_key(rows(None, OCTOBER, "person"))[story["a2"].pk].late_run == 1


def test_no_run_while_the_last_month_is_not_yet_due(story):
    # November's reports are due on 10 December: on 20 November nothing is late for November.
    assert all(r.late_run == 0 for r in rows(None, D(2024, 11, 1), "person"))


def test_rows_by_kelurahan_and_kecamatan(story):
    kelurahan = by_key(rows(None, OCTOBER, "kelurahan"))
    k1001, k1002, b = (kelurahan[c] for c in ("13.75.01.1001", "13.75.01.1002", "13.75.02.1001"))
    assert k1001.figures.activities == 3 and k1001.serving == 1  # a1; Eko no longer
    assert k1002.quiet == 1 and k1002.unserved == 1  # a2; the household nobody accompanies
    assert k1001.unserved == 1  # Eko's household
    assert b.late_run == 1
    # The TKSK's duty is the kecamatan's own: a wider row in a table by kelurahan.
    assert kelurahan["13.75.01"].wider and kelurahan["13.75.01"].figures.activities == 1
    # Every kelurahan shows, with nothing to count too.
    assert kelurahan["13.75.03.1001"].figures.activities == 0
    kecamatan = by_key(rows(None, OCTOBER, "kecamatan"))
    a = kecamatan["13.75.01"]
    assert a.figures.activities == 5 and a.quiet == 1 and a.unserved == 2 and a.serving == 3
    assert a.label == "Kec. Guguak Panjang"
    assert totals(list(kecamatan.values())).figures.activities == 6


def test_scope_keeps_to_its_areas(story):
    scope = [Area.objects.get(code="13.75.02")]
    trend = office_trend(scope, OCTOBER)
    assert trend.points[-1].activities == 1 and trend.points[-1].reports == 1
    assert [r.key for r in rows(scope, OCTOBER, "person")] == [story["b1"].pk]


def test_queries_do_not_grow_with_the_data(story, make_person, make_assignment, act):
    def count(fn) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def both() -> tuple[int, int]:
        return (
            count(lambda: office_trend(None, OCTOBER)),
            count(lambda: rows(None, OCTOBER, "person")),
        )

    before = both()
    for n in range(15):
        p = make_person(f"Tambahan {n}", kelurahan="13.75.03.1001")
        make_assignment(p, "PSM", "13.75.03.1001", override_reason="test")
        act(p, D(2024, 10, 2 + n))
    assert both() == before
