"""The office's monthly report (issue 21, docs/DASHBOARD.md "Monthly report"): written by the
task worker on the 11th, once; its figures are the pages' figures for the month; the PDF is
drawn (letterhead, charts), the XLSX holds the same figures; the pages and their permissions."""

from __future__ import annotations

import datetime
import io
import subprocess

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from python_calamine import CalamineWorkbook

from pilar.accounts.models import Role, User
from pilar.backups.management.commands.worker import worker_tick
from pilar.casework.models import ActivityType, Sector
from pilar.casework.selectors import summary
from pilar.casework.tests.conftest import home_visit, record  # noqa: F401
from pilar.dashboard.figures import compute
from pilar.dashboard.models import MonthlyOfficeReport
from pilar.dashboard.monthly_services import monthly_report_request, monthly_reports_due
from pilar.dashboard.tests.test_views import gaps, paid  # noqa: F401
from pilar.kinerja.figures import office_trend
from pilar.offices.services import remembered
from pilar.outcomes.figures import outcome_figures
from pilar.registry.headcount import headcount_within
from pilar.stipends.arrears import arrears_within
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

D = datetime.date
OCTOBER = D(2024, 10, 1)
NOVEMBER_1 = D(2024, 11, 1)  # the dashboard's date whose month is October


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """The worker's tasks run as they are queued, inside the test's transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` the block's transaction commits (tasks are queued on commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def october(request, record, people, caseload_households):  # noqa: F811
    """A month like the demo's: tali kasih paid on 22 October and October waiting, reports in
    every state, a training held on 22 October, equipment to return, activities of October in
    two sectors reaching households."""
    h1, h2 = caseload_households
    protection = ActivityType.objects.filter(sector=Sector.PROTECTION).first()
    empowerment = ActivityType.objects.filter(sector=Sector.EMPOWERMENT).first()
    record(households=[h1, h2], activity_type=protection)
    record(households=[h1], activity_type=empowerment)
    record(day=D(2024, 10, 9), households=[h2], activity_type=protection)
    # Then the month's reports are verified and paid (a1's October report locks the month).
    request.getfixturevalue("paid")
    request.getfixturevalue("gaps")
    User.objects.update(language="en")


@pytest.fixture
def caseload_households(people, system_actor):
    from pilar.casework import services
    from pilar.casework.tests.conftest import make_kk
    from pilar.regions.models import Area

    made = []
    for head in ("Pak Amir", "Ibu Rosna"):
        household = services.household_create(
            by=system_actor,
            data={
                "kk_number": make_kk("137501"),
                "area": Area.objects.get(code="13.75.01.1001"),
                "address": "Jl. Sudirman No. 1",
            },
            head={"name": head, "sex": "L", "nik": ""},
        )
        services.caseload_assign(
            by=system_actor, household=household, person=people["a1"], start_date=D(2024, 1, 2)
        )
        made.append(household)
    return made


def written(committed, office, month=OCTOBER, user=None) -> MonthlyOfficeReport:
    with committed():
        report = monthly_report_request(office=office, month=month, user=user)
    report.refresh_from_db()
    assert report.status == MonthlyOfficeReport.Status.DONE, report.error
    return report


def sheets(report) -> dict[str, list[list]]:
    with report.xlsx.open("rb") as f:
        book = CalamineWorkbook.from_filelike(io.BytesIO(f.read()))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def values(rows: list[list]) -> list[list]:
    """A sheet's figures: each row of its table (below the header, on the fifth line) without
    its label, whole numbers as integers."""
    return [[int(v) if isinstance(v, float) else v for v in row[1:]] for row in rows[5:]]


def test_the_october_report_has_the_pages_figures(client, october, office, actors, committed):
    report = written(committed, office)
    assert report.pdf.name.endswith(".pdf") and report.xlsx.name.endswith(".xlsx")
    assert report.requested_by is None and report.generated_at is not None
    # The dashboard's figures for the month are the report's own.
    with remembered(office=office):
        dashboard = compute([office.area], NOVEMBER_1)
        hc = headcount_within(as_of=NOVEMBER_1, scope=[office.area])
        arrears = arrears_within([office.area], NOVEMBER_1)
    (_rows, casework) = summary([office.area], OCTOBER)
    assert report.figures["dashboard"] == dashboard
    login(client, actors["admin"])
    page = client.get("/dashboard/?as_of=2024-11-01")
    assert page.context["figures"] == dashboard
    casework_page = client.get("/casework/?month=2024-10")
    page_total = casework_page.context["total"]
    assert page_total.by_sector == casework.by_sector == {"perlindungan": 2, "pemberdayaan": 1}
    # The XLSX, in Indonesian, holds the same figures, one sheet per section, in order.
    book = sheets(report)
    assert list(book)[0] == "1 Pilar yang bertugas"
    people, _gaps, activities, reports, households, money, trainings, trend, *outcome_sheets = (
        values(rows) for rows in book.values()
    )
    assert people == [[3], [1], [hc.total]] and hc.total == dashboard["headcount_total"] == 4
    assert book["1 Pilar yang bertugas"][7][0] == "Jumlah"
    by_sector = page_total.by_sector
    assert activities == [
        [0],
        [by_sector["perlindungan"]],
        [0],
        [by_sector["pemberdayaan"]],
        [page_total.activities],
    ]
    assert page_total.activities == dashboard["activities"] == 3
    assert reports[1] == [dashboard["reports_verified"]] and reports[-1] == [0]
    assert households == [
        [page_total.reached],
        [page_total.households],
        [page_total.accompanied],
        [100],
    ]
    assert page_total.reached == 2
    # Paid on 22 October: three months of PSM (July to September) at Rp 400.000.
    assert money[-1] == [
        3,
        1_200_000,
        arrears.total.payable,
        arrears.total.payable_amount,
        arrears.total.blocked,
    ]
    assert arrears.total.blocked == dashboard["blocked_months"]
    assert trainings == [
        [1],  # the basic course ended on 22 October
        [1],
        [1],
        [dashboard["serving"]],
        [dashboard["trained"]],
        [dashboard["missing"]],
        [dashboard["expiring"]],
        [dashboard["due_items"]],
        [dashboard["due_people"]],
    ]
    # The twelve months up to October, as the kinerja page counts them: October is the last.
    with remembered(office=office):
        kinerja = office_trend([office.area], OCTOBER, months=12)
    assert len(trend) == 12
    assert trend[-1][:5] == [0, 2, 0, 1, kinerja.points[-1].activities]
    assert kinerja.points[-1].activities == page_total.activities
    # Then the outcomes of accompaniment, as the outcomes page shows them on 31 October.
    with remembered(office=office):
        outcomes = outcome_figures([office.area], datetime.date(2024, 10, 31)).as_tables()
    assert len(outcome_sheets) == len(outcomes) >= 3
    for sheet, (_title, _columns, rows) in zip(outcome_sheets, outcomes, strict=True):
        assert sheet == [["" if v is None else v for v in row[1:]] for row in rows]


def to_png(pdf: bytes, tmp_path) -> list[Image.Image]:
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(tmp_path / "r.pdf"), str(tmp_path / "page")],
        check=True,
    )
    return [Image.open(p).convert("RGB") for p in sorted(tmp_path.glob("page*.png"))]


def test_the_pdf_is_drawn_with_its_charts(october, office, tmp_path, committed):
    office.head_name = "Drs. Kepala Dinas"
    office.save()
    report = written(committed, office)
    with report.pdf.open("rb") as f:
        pdf = f.read()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "LAPORAN BULANAN, OKTOBER 2024" in text
    assert office.name.upper() in text  # the letterhead
    assert "Kegiatan menurut bidang" in text
    assert "Drs. Kepala Dinas" in text  # the head of office signs
    pages = to_png(pdf, tmp_path)
    assert pages
    colours = set()
    for page in pages:
        colours |= {colour for _n, colour in page.getcolors(maxcolors=1 << 16) or []}
    assert len(colours) > 20  # not blank
    # The bars of the charts, in the charts' first colour (pilar/lib/charts.py PALETTE).
    drawn = [page for page in pages if any(_near(c, (0x0B, 0x5D, 0x7A)) for c in _colours(page))]
    assert drawn


def _colours(page: Image.Image) -> set:
    return {colour for _n, colour in page.getcolors(maxcolors=1 << 20) or []}


def _near(colour, target, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def test_the_worker_writes_last_months_reports_on_the_11th_once(
    office, other_office, province_office, people, committed
):
    with time_machine.travel(datetime.datetime(2024, 12, 10, 9, tzinfo=datetime.UTC)):
        assert monthly_reports_due() == []  # the 10th: reports are still coming in
    with time_machine.travel(datetime.datetime(2024, 12, 11, 9, tzinfo=datetime.UTC)):
        with committed():
            worker_tick("test-worker", timezone.now())  # the worker's own round asks
        reports = MonthlyOfficeReport.objects.order_by("office_id")
        assert [(r.office_id, r.month, r.status) for r in reports] == [
            (office.pk, D(2024, 11, 1), "done"),
            (other_office.pk, D(2024, 11, 1), "done"),
        ]  # the province, hosting them, writes none
        first = {r.pk: r.generated_at for r in reports}
        assert monthly_reports_due() == []
        with committed():
            worker_tick("test-worker", timezone.now())
        assert {r.pk: r.generated_at for r in MonthlyOfficeReport.objects.all()} == first
    with time_machine.travel(datetime.datetime(2024, 12, 20, 9, tzinfo=datetime.UTC)):
        assert monthly_reports_due() == []


def test_a_report_whose_worker_died_is_written_again(office, people, settings, committed):
    settings.PILAR_JOB_STALE_SECONDS = 60
    with time_machine.travel(datetime.datetime(2024, 12, 11, 9, tzinfo=datetime.UTC)):
        # The worker was killed while writing it: running, its heartbeat stopped.
        dead = MonthlyOfficeReport.objects.create(
            office=office,
            month=D(2024, 11, 1),
            status="running",
            attempts=1,
            requested_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    with (
        time_machine.travel(datetime.datetime(2024, 12, 11, 9, 5, tzinfo=datetime.UTC)),
        committed(),
    ):
        assert [r.pk for r in monthly_reports_due()] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == "done" and dead.attempts == 2 and dead.pdf


@pytest.fixture
def other_admin(make_user, other_office):
    return make_user("admin-pp", Role.ADMIN, office=other_office)


def test_pages_and_permissions(client, october, office, actors, other_admin, committed):
    login(client, actors["operator"])
    assert 'href="/dashboard/reports/"' in client.get("/dashboard/").content.decode()
    with committed():
        response = client.post("/dashboard/reports/generate/", {"month": "2024-10"})
    report = MonthlyOfficeReport.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/dashboard/reports/{report.pk}/"
    )
    assert report.requested_by == actors["operator"] and report.status == "done"
    body = client.get("/dashboard/reports/").content.decode()
    assert "October 2024" in body and f"/dashboard/reports/{report.pk}/report.pdf" in body
    detail = client.get(f"/dashboard/reports/{report.pk}/").content.decode()
    assert 'data-testid="section-activities"' in detail and "<svg" in detail
    pdf = client.get(f"/dashboard/reports/{report.pk}/report.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "laporan-bulanan-2024-10" in pdf["Content-Disposition"]
    # Written again: the same row, new files, the old ones gone.
    old = (report.pdf.name, report.xlsx.name)
    with committed():
        client.post("/dashboard/reports/generate/", {"month": "2024-10"})
    report.refresh_from_db()
    assert MonthlyOfficeReport.objects.count() == 1 and report.status == "done"
    assert (report.pdf.name, report.xlsx.name) != old
    assert not any(report.pdf.storage.exists(name) for name in old)
    # A viewer of the whole office reads and downloads, but does not write.
    login(client, actors["viewer"])
    assert client.get("/dashboard/reports/").status_code == 200
    assert 'data-testid="generate"' not in client.get("/dashboard/reports/").content.decode()
    assert client.get(f"/dashboard/reports/{report.pk}/report.xlsx").status_code == 200
    assert client.post("/dashboard/reports/generate/", {"month": "2024-10"}).status_code == 403
    # A coordinator reads one kecamatan, not the office; a pillar no figures at all.
    for who in ("coordinator_a", "pillar"):
        login(client, actors[who])
        assert client.get("/dashboard/reports/").status_code == 403
        assert client.get(f"/dashboard/reports/{report.pk}/report.pdf").status_code == 403
    # Another office's administrator: not theirs (404), and their own list is empty.
    login(client, other_admin)
    assert client.get(f"/dashboard/reports/{report.pk}/").status_code == 404
    assert client.get(f"/dashboard/reports/{report.pk}/report.pdf").status_code == 404
    assert 'data-testid="none"' in client.get("/dashboard/reports/").content.decode()
    client.logout()
    assert client.get("/dashboard/reports/")["Location"].startswith("/accounts/login/")
    assert client.get("/dashboard/reports/generate/").status_code == 405


def test_a_province_writes_no_report_of_its_own(client, make_user, province_office, office):
    login(client, make_user("prov-admin", Role.ADMIN, office=province_office))
    assert 'data-testid="hosting"' in client.get("/dashboard/reports/").content.decode()
    assert client.post("/dashboard/reports/generate/", {"month": "2024-10"}).status_code == 403
    assert not MonthlyOfficeReport.objects.exists()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (
            "2024-11",
            "month: November 2024 is not over yet: a report can be written up to October 2024.",
        ),
        ("2025-02", "is not over yet"),
        ("2024-13", "month: write the month as YEAR-MONTH"),
        ("1999-12", "month: write the month as YEAR-MONTH"),
        ("", "month: choose the month to report"),
    ],
)
def test_a_bad_month_is_a_400_naming_it(client, actors, month, message):
    login(client, actors["admin"])
    response = client.post("/dashboard/reports/generate/", {"month": month})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MonthlyOfficeReport.objects.exists()


def test_progress_is_followed_while_it_is_written(client, actors, office):
    report = MonthlyOfficeReport.objects.create(
        office=office,
        month=OCTOBER,
        status="running",
        progress=40,
        requested_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    login(client, actors["admin"])
    body = client.get(f"/dashboard/reports/{report.pk}/status/").content.decode()
    assert f'hx-get="/dashboard/reports/{report.pk}/status/"' in body
    assert '<progress max="100" value="40">' in body
    # Asked again while it is being written: the same job, not a second one.
    client.post("/dashboard/reports/generate/", {"month": "2024-10"})
    report.refresh_from_db()
    assert report.status == "running"
    report.status = "done"
    report.save()
    body = client.get(f"/dashboard/reports/{report.pk}/status/").content.decode()
    assert "hx-get" not in body


def test_the_list_answers_in_a_bounded_number_of_queries(
    client, actors, office, django_assert_max_num_queries
):
    login(client, actors["admin"])

    def month(n: int) -> None:
        MonthlyOfficeReport.objects.create(
            office=office,
            month=D(2023, n, 1),
            status="done",
            requested_by=actors["operator"],
            requested_at=timezone.now(),
            generated_at=timezone.now(),
            pdf="monthly-reports/2023/a.pdf",
            xlsx="monthly-reports/2023/a.xlsx",
        )

    month(1)
    with django_assert_max_num_queries(12) as one:
        assert client.get("/dashboard/reports/").status_code == 200
    for n in range(2, 13):
        month(n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get("/dashboard/reports/").content.decode()
    assert body.count("/report.xlsx") == 12
