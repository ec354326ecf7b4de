"""The leadership view: figures that agree with the pages behind them, and never a name."""

import datetime

import pytest
from django.utils import timezone

from pilar.accounts.models import Role, User
from pilar.stipends.tests.scenario import months_in_every_state
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(rates, banked, by, actors):
    made = months_in_every_state(banked, by)
    User.objects.update(language="en")
    return made


def section(body: str, testid: str, size: int = 1500) -> str:
    return body[body.index(f'data-testid="{testid}"') :][:size]


def test_staff_see_the_stipend_panel_with_links(client, actors, paid):
    login(client, actors["approver"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    money = section(body, "money-APBD")
    assert "Rp1,200,000 paid" in money
    assert "Rp400,000 committed in batches, not yet paid" in money
    assert "ceiling Rp100,000,000" in money and "Rp98,400,000 left" in money
    assert '<strong class="num">1%</strong>' in money  # 1.2 million paid of 100 million
    assert "1% of the ceiling paid; 2% with the money committed in batches." in money
    assert "52 days" in section(body, "delay-PSM", 400)
    psm = section(body, "owed-PSM")
    assert '<a href="/stipends/arrears/?kind=PSM">27</a>' in psm
    assert '<a href="/stipends/arrears/?kind=PSM&amp;state=blocked">25</a>' in psm
    assert '<a href="/stipends/arrears/?list=1">37</a>' in section(body, "headline-owed")
    assert 'href="/stipends/arrears/"' in body
    # The headline figures open the pages they come from.
    assert 'href="/headcount/?as_of=2024-11-20" data-testid="headline-headcount">' in body
    assert 'href="/casework/?month=2024-10" data-testid="headline-casework"' in body
    assert "4</strong>\n    <span>active duties on 20 November 2024" in body


def test_dashboard_as_of_an_earlier_day(client, actors, paid, banked):
    login(client, actors["operator"])
    body = client.get("/dashboard/?as_of=2022-12-31").content.decode()
    assert "0</strong>\n    <span>active duties on 31 December 2022" in body
    assert 'href="/headcount/?as_of=2022-12-31"' in body
    response = client.get("/dashboard/?as_of=kemarin")
    assert response.status_code == 400
    assert "as_of: write the date as YYYY-MM-DD, e.g. 2024-10-22 (got “kemarin”)." in (
        response.content.decode()
    )


def test_a_day_more_than_a_year_ahead_is_a_400(client, actors):
    """The arrears walk every month up to the day asked: 2100 held a worker for seconds."""
    client.force_login(actors["viewer"])
    far = timezone.localdate() + datetime.timedelta(days=400)
    response = client.get(f"/dashboard/?as_of={far.isoformat()}")
    assert response.status_code == 400
    assert "as_of" in response.content.decode()
    near = timezone.localdate() + datetime.timedelta(days=30)
    assert client.get(f"/dashboard/?as_of={near.isoformat()}").status_code == 200


def test_viewer_sees_aggregates_but_no_names_and_no_list(client, actors, paid, banked):
    login(client, actors["viewer"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    body = page.content.decode()
    assert page.context["office"].by_kind[0].total == 27
    assert "Rp1,200,000 paid" in section(body, "money-APBD")
    assert "52 days" in section(body, "delay-PSM", 400)
    for person in banked.values():
        assert person.name not in body
    assert "/stipends/arrears/" not in body and "/stipends/people/" not in body
    # The rows behind the figures stay closed to them.
    assert client.get("/stipends/arrears/?kind=PSM").status_code == 403


def test_a_coordinator_sees_their_kecamatan_without_the_ceiling(client, actors, paid):
    login(client, actors["coordinator_b"])
    page = client.get("/dashboard/")
    office = page.context["office"]
    assert office.total.total == 10 and not office.office_wide  # b1's months
    assert [m.ceiling for m in office.money] == []  # kecamatan B has nothing paid
    login(client, actors["coordinator_a"])
    office = client.get("/dashboard/").context["office"]
    assert office.total.total == 27  # a1 7, a2 10, the TKSK 10
    money = office.money[0]
    assert (money.paid, money.in_process, money.ceiling) == (1_200_000, 400_000, None)


def test_dashboard_roles(client, actors, paid, make_user):
    assert client.get("/dashboard/").status_code == 302
    for role in ("pillar", "norole"):
        login(client, actors[role])
        assert client.get("/dashboard/").status_code == 403, role
    login(client, make_user("viewer-a", Role.VIEWER, area="13.75.01"))
    assert client.get("/dashboard/").context["office"].total.total == 27


def test_dashboard_without_rates_says_so(client, actors):
    User.objects.update(language="en")
    login(client, actors["admin"])
    body = client.get("/dashboard/").content.decode()
    assert "No tali kasih rate is set yet: nothing is owed." in body
    assert "No budget ceiling and no payment this year yet." in body


def test_dashboard_queries_are_bounded(
    client, actors, paid, make_person, make_assignment, django_assert_max_num_queries
):
    login(client, actors["viewer"])
    small = _dashboard_queries(client)
    _more_work(make_person, make_assignment)
    # About one query per figure, the same with 200 more duties, their activities and
    # households; PostgreSQL adds its plan estimates and the arrears query's savepoint and
    # planner settings; one reads the office (its name in the header, its policies in the
    # arrears); one counts the reports sent late (a figure of the office's row in the
    # province's roll-up, docs/DASHBOARD.md); the twelve months' trends (pilar/kinerja) add
    # one grouped query per figure; one draws the map (the kelurahan with their outlines,
    # docs/DASHBOARD.md "Map").
    assert _dashboard_queries(client) == small
    with django_assert_max_num_queries(45):
        page = client.get("/dashboard/?as_of=2024-11-21")
    assert page.context["office"].by_kind[0].total == 27 + 20 * 10
    assert sum(page.context["trend"].series("activities")) == 20


def _dashboard_queries(client) -> int:
    """The queries of the dashboard read afresh (nothing kept from an earlier read)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/dashboard/").status_code == 200
    return len(ctx.captured_queries)


def _more_work(make_person, make_assignment) -> None:
    """Twenty more PSM, each with a household in their caseload and an October activity."""
    import datetime

    from pilar.audit.services import Actor
    from pilar.casework import services
    from pilar.casework.models import Activity, ActivityType
    from pilar.regions.models import Area

    visit = ActivityType.objects.get(code="HOME_VISIT")
    area = Area.objects.get(code="13.75.03.1001")
    for n in range(20):
        person = make_person(f"Tambahan {n:02d}", kelurahan="13.75.03.1001")
        duty = make_assignment(person, "PSM", "13.75.03.1001")
        household = services.household_create(
            by=Actor.system(),
            data={"kk_number": f"137503150120{n + 1:04d}", "area": area, "address": "Jl. Uji"},
            head={"name": f"Kepala {n}", "sex": "L", "nik": ""},
        )
        services.caseload_assign(
            by=Actor.system(),
            household=household,
            person=person,
            start_date=datetime.date(2024, 1, 2),
        )
        activity = Activity.objects.create(
            person=person,
            kind=duty.kind,
            area=area,
            date=datetime.date(2024, 10, 3),
            sector=visit.sector,
            activity_type=visit,
        )
        activity.households.add(household)


def test_dashboard_figures_are_kept_until_the_next_write(
    client, actors, paid, make_person, make_assignment, django_assert_max_num_queries
):
    login(client, actors["viewer"])
    first = client.get("/dashboard/")
    # Read again: session, user, grants, the data version, the office (its name in the
    # header) and the bell's unread count (docs/NOTICES.md); no figure is computed again.
    with django_assert_max_num_queries(6):
        again = client.get("/dashboard/")
    assert again.context["office"].by_kind[0].total == first.context["office"].by_kind[0].total
    assert again.content.count(b"<section") == first.content.count(b"<section")
    # A new duty (an audited write) shows at once.
    person = make_person("Tambahan", kelurahan="13.75.03.1001")
    make_assignment(person, "PSM", "13.75.03.1001")
    after = client.get("/dashboard/")
    assert after.context["office"].by_kind[0].total == first.context["office"].by_kind[0].total + 10


@pytest.fixture
def gaps(actors, people, make_person, make_assignment, reference):
    """On 20 November 2024: a basic PSM course a1 passed in October 2024 (a2 and b1 did not);
    a Tagana refresher certificate of a1 ending on 10 December 2024; two radios and a bag still
    held by a PSM of kecamatan A whose duty ended in June 2024."""
    import datetime

    from pilar.audit.services import Actor
    from pilar.equipment import services as equipment
    from pilar.equipment.models import Condition
    from pilar.registry.models import PillarKind
    from pilar.trainings import participation
    from pilar.trainings import services as trainings
    from pilar.trainings.certificates.services import certificate_issue

    D = datetime.date
    by = Actor(user=actors["operator"])
    psm = PillarKind.objects.get(code="PSM")
    basic = trainings.course_create(
        by=by, name="Dasar PSM", level="basic", hours=40, kinds=[psm], required_for_appointment=True
    )
    refresher = trainings.course_create(
        by=by, name="Penyegaran", level="refresher", hours=8, kinds=[], validity_months=12
    )
    for course, day in ((basic, D(2024, 10, 22)), (refresher, D(2023, 12, 11))):
        event = trainings.event_create(
            by=by, course=course, start_date=day, end_date=day, place="Aula", organiser="Dinsos"
        )
        (participant,) = participation.participants_invite(
            by=by, event=event, people=[people["a1"]]
        ).added
        participation.attendance_record(by=by, event=event, day=day, present_ids=[participant.pk])
        participation.results_record(by=by, event=event, results={participant.pk: ("passed", None)})
        if course == refresher:
            certificate_issue(by=by, participant=participant)
    left = make_person("Sudah Pergi", kelurahan="13.75.01.1001")
    make_assignment(
        left, "PSM", "13.75.01.1001", D(2020, 1, 6), end_date=D(2024, 6, 30), end_reason="resigned"
    )
    radio = equipment.item_create(
        by=by, name="Radio HT", category="communication", unit="unit", needs_return=True
    )
    equipment.stock_receive(by=by, item=radio, received_on=D(2021, 1, 4), quantity=5, source="X")
    equipment.handover_create(
        by=by,
        handed_on=D(2021, 2, 1),
        giver_name="Kepala",
        giver_title="",
        witnesses="",
        place="",
        note="",
        lines=[(left, radio, 2, Condition.NEW)],
    )
    # A second item to return, held by the same person: counted once among the people.
    kit = equipment.item_create(
        by=by, name="Tas Siaga", category="bag", unit="buah", needs_return=True
    )
    equipment.stock_receive(by=by, item=kit, received_on=D(2021, 1, 4), quantity=1, source="X")
    equipment.handover_create(
        by=by,
        handed_on=D(2021, 2, 1),
        giver_name="Kepala",
        lines=[(left, kit, 1, Condition.NEW)],
    )
    User.objects.update(language="en")


def test_training_and_equipment_gaps(client, actors, gaps):
    login(client, actors["operator"])
    body = client.get("/dashboard/").content.decode()
    # Serving on 20 November 2024: a1, a2, b1 (PSM) and the TKSK; a1 trained in the last year.
    assert "25%</strong>" in section(body, "gap-trained", 300)
    assert "(1 of 4)" in section(body, "gap-trained", 400)
    missing = section(body, "gap-missing", 400)
    assert '<a href="/trainings/requirements/?on=2024-11-20">2</a>' in missing
    assert "(PSM 2)" in missing
    assert '<a href="/trainings/certificates/expiring/">1</a>' in section(body, "gap-expiring", 300)
    returns = section(body, "gap-returns", 400)
    assert '<a href="/equipment/returns-due/">3</a>' in returns
    assert "held by 1 person who has left" in returns
    # The list behind the figure says the same.
    listed = client.get("/trainings/requirements/?on=2024-11-20")
    assert listed.status_code == 200 and "Dasar PSM" in listed.content.decode()
    # A month later the certificate has expired and is no longer "expiring".
    later = client.get("/dashboard/?as_of=2024-12-20").content.decode()
    assert "0</strong>" in section(later, "gap-expiring", 300)
    assert "/trainings/certificates/expiring/" not in section(later, "gap-expiring", 300)


def test_gaps_for_a_viewer_and_a_coordinator(client, actors, gaps):
    login(client, actors["viewer"])
    body = client.get("/dashboard/").content.decode()
    missing = section(body, "gap-missing", 400)
    assert "2</strong>" in missing and "<a " not in missing
    assert "Sudah Pergi" not in body
    client.logout()
    login(client, actors["coordinator_b"])
    body = client.get("/dashboard/").content.decode()
    # Kecamatan B: b1 lacks the basic course; nobody there holds an item or a certificate.
    assert '<a href="/trainings/requirements/?on=2024-11-20">1</a>' in section(
        body, "gap-missing", 400
    )
    assert ">0</a></strong>" in section(body, "gap-returns", 300)
    assert ">0</a></strong>" in section(body, "gap-expiring", 300)


def test_money_spent_counts_only_what_is_paid(client, actors, rates, banked, by):
    """Money in a batch not yet paid is committed, not spent: the figure against the ceiling
    (realisasi) counts paid lines only and shows the committed money beside it; the budget page,
    the arrears page and the API agree."""
    from pilar.stipends.tests.conftest import AUGUST, JULY, drafted

    User.objects.update(language="en")
    drafted(by, banked["a1"], banked["a2"], months=(JULY, AUGUST))
    login(client, actors["approver"])
    for url in ("/dashboard/", "/stipends/arrears/"):
        money = section(client.get(url).content.decode(), "money-APBD")
        assert '<strong class="num">0%</strong>' in money, url  # nothing paid yet
        assert "Rp0 paid" in money, url
        assert "Rp1,600,000 committed in batches, not yet paid" in money, url
        assert "Rp98,400,000 left" in money, url
    login(client, actors["finance"])
    rates_page = client.get("/stipends/rates/").context["budgets"]
    assert [(b.ceiling, b.paid, b.waiting, b.remaining) for b in rates_page] == [
        (100_000_000, 0, 1_600_000, 98_400_000)
    ]
    api = client.get("/api/v1/stipends/budgets").json()
    assert [(b["paid"], b["waiting"], b["committed"]) for b in api] == [(0, 1_600_000, 1_600_000)]
