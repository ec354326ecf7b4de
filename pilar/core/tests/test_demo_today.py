"""The demo loaded on a given day is a working office on that day, for every role, and still
tells its 22 October 2024 story. The demo is loaded once per day (it takes a while) and every
test reads it inside its own transaction."""

import datetime
import io
import re
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from pilar.casework.models import MonthlyReport
from pilar.equipment.models import Handover
from pilar.lib.months import add_months, months_between
from pilar.registry.models import Assignment, PillarKind
from pilar.stipends.demo import RATES
from pilar.stipends.eligibility import State, entitlements
from pilar.stipends.models import StipendBatch
from pilar.tests_support import english_messages, login
from pilar.trainings.models import Certificate, TrainingEvent

# Loads the whole demo: on PostgreSQL beside the browser tests (scripts/test.sh).
pytestmark = pytest.mark.demo_load

D = datetime.date
PASSWORD = "demo-pass-today-1"
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
english = pytest.fixture(autouse=True, name="english")(english_messages)
# 5 December 2026: November's reports are not yet due (the 10th) and the fourth quarter is
# half done; 15 March 2026: February's reports are overdue, the first quarter's batch not due.
DAYS = [
    datetime.datetime(2026, 12, 5, 8, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 15, 8, tzinfo=datetime.UTC),
]


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    """Where the demo's files (its DTSEN extract) are kept, for the tests that read them."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="module", params=DAYS, ids=lambda moment: moment.date().isoformat())
def today(request, django_db_setup, django_db_blocker, demo_media):
    traveller = time_machine.travel(request.param, tick=True)
    traveller.start()
    try:
        # The tests' own hasher (pilar/conftest.py sets it for each test, after this load).
        with (
            django_db_blocker.unblock(),
            override_settings(PASSWORD_HASHERS=[MD5], MEDIA_ROOT=demo_media),
        ):
            call_command("demo", password=PASSWORD, stdout=io.StringIO())
        yield request.param.date()
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)
        traveller.stop()


def last_complete_month(today: datetime.date) -> datetime.date:
    return add_months(today.replace(day=1), -1)


def month_cells(html: str) -> dict[str, str]:
    """/reports/mine/: each month shown (YYYY-MM) → its state."""
    found = re.findall(r'class="card month status-(\w+)" data-testid="month-(\d{4}-\d{2})"', html)
    return {month: status for status, month in found}


@pytest.mark.django_db
def test_the_last_two_months_are_open_in_every_state(today):
    last = last_complete_month(today)
    states = Counter(MonthlyReport.objects.filter(month=last).values_list("status", flat=True))
    assert {"verified", "submitted", "returned"} <= set(states)
    before = Counter(
        MonthlyReport.objects.filter(month=add_months(last, -1)).values_list("status", flat=True)
    )
    assert {"verified", "submitted", "returned", "reopened"} <= set(before)
    assert before["verified"] > 0.8 * sum(before.values())
    # Some pillars have not sent the last month yet; nothing is reported for this month.
    serving = Assignment.objects.active_on(last).filter(kind__code__in=RATES).count()
    assert 0 < serving - sum(states.values()) < serving / 2
    assert not MonthlyReport.objects.filter(month=today.replace(day=1)).exists()
    # Older months are settled: nothing waits for a decision from before the last two.
    older = MonthlyReport.objects.filter(month__lt=add_months(last, -1))
    assert not older.exclude(status="verified").exists()


@pytest.mark.django_db
def test_each_pillar_sees_recent_months_not_a_backlog(client, today):
    last = f"{last_complete_month(today):%Y-%m}"
    overdue = today.day > 10  # the office's report due day
    expected = {
        "psm-001": "submitted",
        "psm-002": "returned",
        "psm-003": "late" if overdue else "missing",
        "tagana-004": "verified",
    }
    for username, state in expected.items():
        login(client, username, PASSWORD)
        page = client.get("/reports/mine/")
        cells = month_cells(page.content.decode())
        assert cells[last] == state, username
        assert cells[f"{today:%Y-%m}"] == "not_due"
        # Every earlier month of the six shown is verified.
        assert {s for m, s in cells.items() if m < last} <= {"verified", "not_serving"}, cells
        assert b"Late: not submitted" not in page.content or username == "psm-003"
        # ... and browsing a year back shows verified months, with a link further back.
        back = client.get("/reports/mine/", {"month": f"{add_months(today, -12):%Y-%m}"})
        assert set(month_cells(back.content.decode()).values()) == {"verified"}
        assert b'rel="prev"' in back.content and b'rel="next"' in back.content


@pytest.mark.django_db
def test_coordinator_verifies_recent_months_only(client, today):
    last = last_complete_month(today)
    waiting = MonthlyReport.objects.filter(status="submitted", area__code__startswith="13.75.01.")
    assert waiting.filter(month=last).exists()
    assert not waiting.filter(month__lt=add_months(last, -1)).exists()
    login(client, "tksk-137501", PASSWORD)
    page = client.get("/reports/")
    assert page.status_code == 200
    shown = Counter(cell.status for row in page.context["rows"] for cell in row.cells)
    assert shown["submitted"] and shown["returned"] and shown["verified"]
    assert shown["late"] < len(page.context["rows"])  # no wall of late months


@pytest.mark.django_db
def test_tali_kasih_paid_to_the_last_quarter_and_a_draft_open(client, today):
    kinds = list(PillarKind.objects.filter(code__in=RATES))
    quarter_end = add_months(today.replace(day=1, month=(today.month - 1) // 3 * 3 + 1), -1)
    paid = StipendBatch.objects.get(last_month=quarter_end, status="paid")
    assert paid.paid_on <= today
    # Up to that quarter every month is paid or blocked for a reason; nobody serving in the
    # last year has more than two months blocked.
    year = list(months_between(add_months(quarter_end, -11), quarter_end))
    found = entitlements(months=year, kinds=kinds)
    assert {e.state for e in found} <= {State.PAID, State.BLOCKED}
    active = set(Assignment.objects.active_on(quarter_end).values_list("person_id", flat=True))
    blocked = Counter(e.person_id for e in found if e.state == State.BLOCKED)
    assert max(n for person, n in blocked.items() if person in active) <= 2
    # This quarter's complete months wait in a draft.
    draft = StipendBatch.objects.get(status="draft")
    assert draft.first_month == add_months(quarter_end, 1)
    assert draft.last_month == last_complete_month(today)
    assert draft.lines.filter(status="pending").count() > 100
    login(client, "bendahara", PASSWORD)
    assert draft.title.encode() in client.get("/stipends/").content
    # A pillar's own page shows no months outstanding from long ago.
    login(client, "psm-001", PASSWORD)
    page = client.get("/stipends/mine/")
    assert page.status_code == 200
    assert not re.search(rb"(\d{2,}) months outstanding", page.content)


@pytest.mark.django_db
def test_certificates_expire_soon_and_the_dashboard_counts_this_year(client, today):
    soon = list(
        Certificate.objects.filter(
            revoked_at__isnull=True,
            issued_on__lte=today,
            valid_until__gte=today,
            valid_until__lte=today + datetime.timedelta(days=60),
        )
    )
    assert len(soon) >= 5
    login(client, "operator", PASSWORD)
    page = client.get("/trainings/certificates/expiring/")
    assert page.status_code == 200 and soon[0].number.encode() in page.content
    login(client, "admin", PASSWORD)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    casework = page.context["casework"]
    assert casework.activities > 500 and casework.reached > 100
    assert page.context["hc"].total > 350


@pytest.mark.django_db
def test_the_2024_story_still_holds(client, today):
    assert Assignment.objects.active_on(D(2024, 10, 22)).count() == 360
    q1, q2, q3, october = StipendBatch.objects.filter(first_month__year=2024).order_by(
        "first_month"
    )[:4]
    assert [(b.first_month, b.last_month, b.paid_on) for b in (q1, q2, q3)] == [
        (D(2024, 1, 1), D(2024, 3, 1), D(2024, 4, 29)),
        (D(2024, 4, 1), D(2024, 6, 1), D(2024, 7, 30)),
        (D(2024, 7, 1), D(2024, 9, 1), D(2024, 10, 22)),
    ]
    assert (q3.lines.count(), q3.lines.filter(status="paid").count()) == (946, 946)
    assert october.first_month == october.last_month == D(2024, 10, 1)
    assert october.lines.count() == 123
    day = TrainingEvent.objects.get(start_date=D(2024, 10, 22))
    assert day.participants.count() == 360
    assert Certificate.objects.filter(participant__event=day).count() == 356
    assert Handover.objects.get(training_event=day).lines.count() == 2 * 356
    # The README's links to that day still answer.
    login(client, "admin", PASSWORD)
    for url in ("/headcount/?as_of=2024-10-22", "/dashboard/?as_of=2024-10-31", "/stipends/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/headcount", {"as_of": "2024-10-22"}).json()["total"] == 360
    login(client, "tksk-137501", PASSWORD)
    assert client.get("/reports/", {"month": "2024-10"}).status_code == 200


@pytest.mark.django_db
def test_the_kepala_sees_kinerja_trends_for_2024_through_today(client, today):
    """Every month of 2024 holds activities in the trend (docs/KINERJA.md), its reports up to
    October; the months after it up to today hold activities too."""
    from pilar.kinerja.figures import office_trend, rows

    trend = office_trend(None, D(2024, 12, 1))
    assert all(p.activities for p in trend.points), trend.series("activities")
    assert all(p.reached for p in trend.points)
    assert all(p.reports for p in trend.points[:10])
    assert sum(trend.series("on_time")) and sum(trend.series("verified"))
    recent = office_trend(None, last_complete_month(today))
    assert all(p.activities for p in recent.points)
    found = rows(None, D(2024, 10, 1), "kecamatan")
    # The three kecamatan, and the kota's own duties (the Tagana serve the whole city).
    kecamatan = [r for r in found if not r.wider]
    assert len(kecamatan) == 3 and all(r.figures.activities for r in kecamatan)
    assert [r.code for r in found if r.wider] == ["13.75"]
    login(client, "kepala", PASSWORD)
    for month in ("2024-10", f"{last_complete_month(today):%Y-%m}"):
        page = client.get("/kinerja/", {"month": month})
        assert page.status_code == 200, month
        assert page.content.decode().count('data-testid="chart"') == 5
    assert client.get("/kinerja/", {"month": "2024-10", "level": "person"}).status_code == 200


@pytest.mark.django_db
def test_the_story_in_full_and_its_headcount(client, today, django_assert_max_num_queries):
    """The whole 2024 story (pilar/core/tests/test_demo.py) and its headcount, with every figure
    traced to its list (pilar/registry/tests/test_headcount.py), on each loading day."""
    from pilar.core.tests.test_demo import assert_demo_casework_and_tali_kasih_tell_the_story
    from pilar.registry.tests.test_headcount import assert_demo_headcount_is_360_on_training_day

    assert_demo_casework_and_tali_kasih_tell_the_story()
    assert_demo_headcount_is_360_on_training_day(client, django_assert_max_num_queries, PASSWORD)


@pytest.mark.django_db
def test_the_households_came_from_the_extract_and_a_round_is_in_progress(
    client, today, settings, demo_media
):
    """Issue 19: the DTSEN extract the demo's households were imported from, checked again on
    the loaded demo (pilar/dtsen/tests/test_demo.py), and the verivali round in progress with
    findings of every kind in every state (pilar/verivali/tests/test_demo.py)."""
    from pilar.dtsen.tests.test_demo import assert_demo_extract_is_kept_and_checks_again
    from pilar.verivali.tests.test_demo import assert_demo_round_in_progress

    settings.MEDIA_ROOT = demo_media
    assert_demo_extract_is_kept_and_checks_again(client)
    assert_demo_round_in_progress(client, today)


@pytest.mark.django_db
def test_the_households_go_out_as_an_extract_and_read_back_unchanged(client, today, tmp_path):
    from pilar.dtsen.tests.test_demo import (
        assert_the_households_download_as_an_extract_that_reads_back_unchanged,
    )

    assert_the_households_download_as_an_extract_that_reads_back_unchanged(client, tmp_path)


@pytest.mark.django_db
def test_the_outcomes_from_2024_to_today(client, today, django_assert_max_num_queries):
    from pilar.outcomes.tests.test_demo import assert_demo_outcomes

    assert_demo_outcomes(client, today, django_assert_max_num_queries)


@pytest.mark.django_db
def test_the_monthly_report_of_october_2024_has_the_dashboards_figures(
    client, today, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The head of office's report of October 2024 (docs/DASHBOARD.md, "Monthly report") holds
    what the kepala's dashboard shows for that month."""
    from pilar.dashboard.monthly_services import monthly_report_request
    from pilar.offices import current

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        report = monthly_report_request(office=current(), month=D(2024, 10, 1))
    report.refresh_from_db()
    assert report.status == "done", report.error
    assert report.pdf and report.xlsx
    login(client, "kepala", PASSWORD)
    page = client.get("/dashboard/?as_of=2024-11-01")
    assert page.context["figures"] == report.figures["dashboard"]
    assert report.figures["dashboard"]["headcount_total"] > 300
    assert report.figures["dashboard"]["activities"] > 0


def test_the_demo_is_not_loaded_before_its_story_ends():
    with (
        time_machine.travel(datetime.datetime(2025, 3, 15, 8, tzinfo=datetime.UTC)),
        pytest.raises(CommandError, match="2025-12-01"),
    ):
        call_command("demo", password=PASSWORD, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_public_page_and_open_data_show_nothing_personal(client, today):
    """Issue 21's done-when: /publik/ and its data answer without login with no personal data
    and no count from 1 to 4 of households or people served; the public headcount of the
    training day is the 360 of the seed's story, without a token."""
    import csv
    import json

    from pilar.casework.models import Household, HouseholdMember
    from pilar.publik.suppress import HIDDEN, SMALL
    from pilar.registry.models import Person

    personal = set(Person.objects.values_list("name", flat=True))
    personal |= set(HouseholdMember.objects.values_list("name", flat=True))
    personal |= set(Person.objects.values_list("nik", flat=True))
    personal |= set(HouseholdMember.objects.exclude(nik="").values_list("nik", flat=True))
    personal |= set(Household.objects.values_list("kk_number", flat=True))

    def leaks(text: str) -> list[str]:
        return [value for value in personal if value and value in text]

    for as_of in ("2024-10-22", today.isoformat()):
        page = client.get("/publik/", {"as_of": as_of})
        assert page.status_code == 200
        assert not page.cookies
        assert leaks(page.content.decode()) == []
        for slug in (
            "pilar-per-kelurahan",
            "kegiatan-per-sektor",
            "rumah-tangga-didampingi",
            "tali-kasih",
            "pelatihan",
        ):
            response = client.get(f"/publik/data/{slug}.csv", {"as_of": as_of})
            assert response.status_code == 200
            text = response.content.decode("utf-8")
            assert leaks(text) == []
            rows = list(csv.DictReader(text.splitlines()))
            meta = client.get(f"/publik/data/{slug}.json", {"as_of": as_of}).json()
            assert leaks(json.dumps(meta, ensure_ascii=False)) == []
            counted = [c["name"] for c in meta["columns"] if c["type"] == "count"]
            for row in rows:
                for name in counted:
                    assert row[name] in (SMALL, HIDDEN) or not 1 <= int(row[name]) <= 4, (slug, row)
    response = client.get("/api/v1/public/headcount", {"as_of": "2024-10-22"})
    assert response.status_code == 200
    assert response.json()["total"] == 360
