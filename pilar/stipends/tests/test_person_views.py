"""A pillar's own months, one person's months for the office, and the office's arrears, as
their users see them: months, amounts and reasons in words; scope; exports; query counts."""

import io

import pytest
from python_calamine import CalamineWorkbook

from pilar.accounts.models import Role, User
from pilar.audit.models import AuditEntry
from pilar.stipends.tests.conftest import D
from pilar.stipends.tests.scenario import months_in_every_state
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(rates, banked, by, actors):
    made = months_in_every_state(banked, by)
    User.objects.update(language="en")  # the pages speak each user's language
    return made


def month(page, key: str) -> str:
    """The text of one month's card on a pillar's page (`2024-07-PSM`)."""
    body = page.content.decode()
    start = body.index(f'data-testid="month-{key}"')
    return body[start : body.index("</li>", start)]


# --- /stipends/mine/ -------------------------------------------------------------------------


def test_pillar_sees_every_month_newest_first(client, actors, paid):
    login(client, actors["pillar"])
    page = client.get("/stipends/mine/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Paid in 2024: <strong>Rp1,200,000</strong>" in body
    july = month(page, "2024-07-PSM")
    assert "Paid on 22 October 2024" in july
    assert "Tali kasih July 2024 – September 2024" in july
    assert "Rp400,000" in july and "(83 days after the month ended)" in july
    october = month(page, "2024-10-PSM")
    assert "In process" in october and "Tali kasih October 2024" in october
    assert "The monthly report was returned for correction." in month(page, "2024-06-PSM")
    assert "Eligible: waiting for the next payment batch." in month(page, "2024-05-PSM")
    assert "The monthly report has not been submitted." in month(page, "2024-01-PSM")
    # Newest first, from the first month with a rate to last month (November is not over).
    assert body.index("month-2024-10-PSM") < body.index("month-2024-07-PSM")
    assert "month-2024-11" not in body and "month-2023-12" not in body
    assert "7 months not yet paid (Rp2,800,000)." in body


def test_pillar_sees_only_their_own_months(client, actors, paid, banked):
    login(client, actors["pillar"])
    body = client.get("/stipends/mine/").content.decode()
    assert "My tali kasih" in body
    assert banked["a2"].name not in body and banked["b1"].name not in body


def test_a_failed_transfer_is_said_on_the_month(client, actors, paid, by):
    from pilar.stipends import services

    batch = services.stipend_batch_verify(by=by["finance"], batch=paid["waiting"])
    batch = services.stipend_batch_approve(by=by["approver"], batch=batch)
    line = batch.lines.get()
    services.stipend_batch_record(
        by=by["finance"],
        batch=batch,
        outcomes=[services.Outcome(line, False, "Rekening tidak aktif")],
        paid_on=D(2024, 11, 20),
    )
    login(client, actors["pillar"])
    october = month(client.get("/stipends/mine/"), "2024-10-PSM")
    assert "Eligible" in october and "The transfer failed: Rekening tidak aktif" in october


def test_mine_needs_a_pillar_with_a_person(client, actors, paid):
    assert client.get("/stipends/mine/").status_code == 302  # to the login page
    for role in ("admin", "viewer", "norole"):
        login(client, actors[role])
        assert client.get("/stipends/mine/").status_code == 403, role


def test_mine_is_one_small_page(client, actors, paid, django_assert_max_num_queries):
    login(client, actors["pillar"])
    # 12, one for a failed transfer blocking the account (pilar/stipends/failures.py), and
    # one for the office (its name in the header, its policies in the figures), and the
    # bell's unread count (docs/NOTICES.md).
    with django_assert_max_num_queries(15):
        page = client.get("/stipends/mine/")
    assert len(page.content) < 40_000


# --- /stipends/people/<id>/ ------------------------------------------------------------------


def test_staff_see_a_persons_months_with_a_masked_nik(client, actors, paid, banked):
    a1 = banked["a1"]
    login(client, actors["finance"])
    page = client.get(f"/stipends/people/{a1.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'<a href="/pillars/{a1.pk}/">{a1.name}</a>' in body
    assert a1.masked_nik in body and a1.nik not in body
    assert "Paid on 22 October 2024" in month(page, "2024-08-PSM")
    assert "The monthly report was returned for correction." in month(page, "2024-06-PSM")


def test_person_page_scope_and_roles(client, actors, paid, banked, make_user):
    url = f"/stipends/people/{banked['a1'].pk}/"
    assert client.get(url).status_code == 302
    for role in ("coordinator_a", "pillar", "viewer", "norole"):
        login(client, actors[role])
        assert client.get(url).status_code == 403, role
    login(client, make_user("operator-b", Role.OPERATOR, area="13.75.02"))
    assert client.get(url).status_code == 404  # a1 serves in kecamatan A
    assert client.get(f"/stipends/people/{banked['b1'].pk}/").status_code == 200
    assert client.get("/stipends/people/999999/").status_code == 404


# --- /stipends/arrears/ ----------------------------------------------------------------------


def test_office_arrears_by_kind_and_area(client, actors, paid):
    login(client, actors["operator"])
    page = client.get("/stipends/arrears/")
    assert page.status_code == 200
    office = page.context["office"]
    psm, tksk = office.by_kind[0], office.by_kind[1]
    assert (psm.blocked, psm.eligible, psm.in_process, psm.total) == (25, 1, 1, 27)
    assert (tksk.blocked, tksk.total) == (10, 10)
    assert office.total.amount == 37 * 400_000
    body = page.content.decode()
    assert "Months owed from January 2024 to October 2024:" in body
    # Each figure links to the rows behind it.
    assert '<a href="/stipends/arrears/?kind=PSM">27</a>' in body
    assert '<a href="/stipends/arrears/?kind=PSM&amp;state=blocked">25</a>' in body
    assert '<a href="/stipends/arrears/?kind=PSM&amp;area=13.75.01.1001">7</a>' in body
    assert '<a href="/stipends/arrears/?kind=TKSK&amp;area=13.75.01&amp;exact=1">10</a>' in body
    # The delay of payment and the money against the budget.
    delay = body[body.index('data-testid="delay-PSM"') :]
    assert "52 days" in delay[:400] and "83 days" in delay[:400]
    money = body[body.index('data-testid="money-APBD"') :][:2000]
    assert "Rp1,200,000 paid" in money
    assert "Rp400,000 committed in batches, not yet paid" in money
    assert "ceiling Rp100,000,000" in money and "<svg" in money


def test_a_province_sized_scope_keeps_its_figures_and_says_when_counted(
    client, actors, paid, monkeypatch, django_assert_max_num_queries
):
    """Past LARGE_FROM duties (a province, the country) the figures are kept a few minutes: the
    second view shows the same figures, counted before, and says when."""
    from django.core.cache import cache

    import pilar.lib.kept

    cache.clear()
    monkeypatch.setattr(pilar.lib.kept, "estimated_rows", lambda queryset: 10**6)
    login(client, actors["operator"])
    first = client.get("/stipends/arrears/")
    with django_assert_max_num_queries(12):
        again = client.get("/stipends/arrears/")
    assert again.context["office"].total.amount == first.context["office"].total.amount
    assert again.context["office"].by_kind[0].total == 27
    assert "Figures as counted at" in again.content.decode()
    cache.clear()


def test_the_rows_behind_a_figure_add_up(client, actors, paid, banked):
    login(client, actors["operator"])
    office = client.get("/stipends/arrears/").context["office"]
    for kind, tally in zip(office.kinds, office.by_kind, strict=True):
        for state in ("blocked", "eligible", "in_process"):
            page = client.get("/stipends/arrears/", {"kind": kind.code, "state": state})
            assert page.context["months"] == getattr(tally, state), (kind.code, state)
    for row in office.by_area:
        exact = "1" if row.area.level < 4 else ""
        page = client.get("/stipends/arrears/", {"area": row.area.code, "exact": exact})
        assert page.context["months"] == row.total.total, row.area.code
    # Without `exact`, a kecamatan's list holds its kelurahan's months too.
    page = client.get("/stipends/arrears/", {"area": "13.75.01"})
    assert page.context["months"] == 10 + 7 + 10


def test_blocked_list_shows_people_months_and_reasons(client, actors, paid, banked):
    login(client, actors["operator"])
    page = client.get(
        "/stipends/arrears/", {"kind": "PSM", "area": "13.75.01.1001", "state": "blocked"}
    )
    body = page.content.decode()
    assert page.context["page"].paginator.count == 1
    assert f'<a href="/stipends/people/{banked["a1"].pk}/">Ani Kecamatan A</a>' in body
    assert "Jun 2024" in body and "The monthly report was returned for correction." in body
    assert "Jan 2024" in body and "The monthly report has not been submitted." in body
    assert "May 2024" not in body  # eligible, not blocked
    assert "Budi Kecamatan A" not in body
    # Free text on the name.
    found = client.get("/stipends/arrears/", {"q": "budi"})
    assert [r.name for r in found.context["page"]] == ["Budi Kecamatan A"]


def test_arrears_export_is_logged(client, actors, paid):
    login(client, actors["finance"])
    response = client.get("/stipends/arrears/", {"state": "eligible", "format": "xlsx"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = rows.get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["Pillar", "Kind", "Area", "Month"]
    assert [r[0] for r in rows[1:]] == ["Ani Kecamatan A"] and rows[1][7] == 400_000
    assert rows[1][1] == "Pekerja Sosial Masyarakat"  # the kind by its name, not "PSM"
    csv = client.get("/stipends/arrears/", {"kind": "TKSK", "format": "csv"})
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 11 and "Dedi TKSK A" in lines[1]
    assert "Tenaga Kesejahteraan Sosial Kecamatan" in lines[1]
    assert AuditEntry.objects.filter(object_type="stipends.stipendline").count() == 2


def test_a_filter_that_cannot_apply_lists_nobody(client, actors, paid, make_user):
    login(client, actors["operator"])
    page = client.get("/stipends/arrears/", {"area": "99.99", "kind": "PSM"})
    assert page.status_code == 200 and "page" not in page.context
    assert "No area has the code 99.99; choose one from the list." in page.content.decode()
    # An area outside the user's scope is refused the same way, not listed.
    other = make_user("operator-b", Role.OPERATOR, area="13.75.02")
    User.objects.filter(pk=other.pk).update(language="en")
    login(client, other)
    page = client.get("/stipends/arrears/", {"area": "13.75.01.1001"})
    assert "page" not in page.context and "Choose an area from the list." in page.content.decode()
    # A kelurahan within scope is taken even when not among the choices shown.
    page = client.get("/stipends/arrears/", {"area": "13.75.02.1001"})
    assert page.context["months"] == 10


def test_arrears_roles_and_scope(client, actors, paid, make_user):
    assert client.get("/stipends/arrears/").status_code == 302
    for role in ("coordinator_a", "pillar", "viewer", "norole"):
        login(client, actors[role])
        assert client.get("/stipends/arrears/").status_code == 403, role
    login(client, make_user("operator-b", Role.OPERATOR, area="13.75.02"))
    page = client.get("/stipends/arrears/")
    assert page.context["office"].total.total == 10  # b1's months only
    assert not page.context["office"].office_wide
    assert "Ani Kecamatan A" not in client.get("/stipends/arrears/?list=1").content.decode()


def test_arrears_queries_do_not_grow_with_people(
    client, actors, paid, make_person, make_assignment, django_assert_max_num_queries
):
    login(client, actors["admin"])
    for n in range(50):
        person = make_person(f"Tambahan {n:02d}", kelurahan="13.75.03.1001")
        make_assignment(person, "PSM", "13.75.03.1001")
    # 19: on PostgreSQL the figures' statement runs in a savepoint that sets its planner, and
    # the planner's estimate of the duties decides whether the figures are kept (kept.py);
    # one reads the failed transfers that block an account (pilar/stipends/failures.py); one
    # the office (header and policies); one the bell's unread count.
    with django_assert_max_num_queries(21):
        page = client.get("/stipends/arrears/")
    assert page.context["office"].by_kind[0].total == 27 + 50 * 10
    # 15, the failed transfers (as above), the office (header and policies), and the bell.
    with django_assert_max_num_queries(18):
        page = client.get("/stipends/arrears/", {"kind": "PSM"})
    assert page.context["page"].paginator.count == 53
    assert len(page.context["page"].object_list) == 50


def _python_figures(user, as_of):
    from pilar.accounts.access import Capability, area_scope
    from pilar.stipends.arrears import _owed

    figures: dict = {}
    _kinds, _first, owed = _owed(area_scope(user, Capability.STIPENDS_VIEW), as_of)
    for e in owed:
        n, amount = figures.get((e.kind_id, e.area_id, e.state), (0, 0))
        figures[(e.kind_id, e.area_id, e.state)] = (n + 1, amount + e.amount)
    return figures


def _python_reasons(user, as_of):
    from pilar.accounts.access import Capability, area_scope
    from pilar.stipends.arrears import _owed, first_reason

    reasons: dict = {}
    _kinds, _first, owed = _owed(area_scope(user, Capability.STIPENDS_VIEW), as_of)
    for e in owed:
        if e.state == "blocked":
            n, amount = reasons.get(first_reason(e), (0, 0))
            reasons[first_reason(e)] = (n + 1, amount + e.amount)
    return reasons


def _page_figures(office):
    figures = {}
    for row in office.by_area:
        for kind, tally in zip(office.kinds, row.cells, strict=True):
            for state in ("blocked", "eligible", "in_process"):
                if getattr(tally, state):
                    figures[(kind.pk, row.area.pk, state)] = getattr(tally, state)
    return figures


@pytest.mark.parametrize("prorate", [False, True])
@pytest.mark.parametrize("cash", [False, True])
def test_office_figures_match_the_python_pass(
    client, actors, paid, make_person, make_assignment, make_user, office, prorate, cash
):
    """The page counts outstanding months in SQL; they equal the month-by-month Python pass
    (`entitlements`), also for duties that start or end within a month, two duties of a kind in
    one month in two areas (the later one's area, the days as a union), a person without an
    account, and a user limited to one kecamatan."""
    from pilar.regions.models import Area
    from pilar.registry.models import Assignment
    from pilar.stipends.arrears import office_arrears

    office.stipend_prorate, office.stipend_cash_allowed = prorate, cash
    office.save()
    late = make_person("Masuk Tengah Bulan", kelurahan="13.75.02.1001")
    make_assignment(late, "PSM", "13.75.02.1001", start=D(2024, 3, 17))
    moved = make_person("Pindah Tugas", kelurahan="13.75.01.1002")
    first = make_assignment(moved, "PSM", "13.75.01.1002", start=D(2024, 2, 10))
    Assignment.objects.filter(pk=first.pk).update(end_date=D(2024, 5, 20), end_reason="moved")
    second = Assignment.objects.get(pk=first.pk)
    second.pk, second.area = None, Area.objects.get(code="13.75.02.1001")
    second.start_date, second.end_date = D(2024, 5, 23), D(2024, 8, 3)
    second.save()
    for who in (actors["operator"], make_user("operator-b", Role.OPERATOR, area="13.75.02")):
        office = office_arrears(who, as_of=D(2024, 11, 20))
        python = _python_figures(who, D(2024, 11, 20))
        assert _page_figures(office) == {k: n for k, (n, _a) in python.items()}
        assert office.total.amount == sum(a for _n, a in python.values())
        assert office.total.total == sum(n for n, _a in python.values()) > 0
        # The blocked months by their first reason, in SQL and in Python alike.
        assert {b.code: (b.months, b.amount) for b in office.blocked_by_reason} == (
            _python_reasons(who, D(2024, 11, 20))
        )


def test_a_long_area_table_folds_like_a_tree(client, actors, paid, monkeypatch, make_user):
    """Past FOLD_AT rows the table adds areas up to the level below the one opened; a name
    opens the areas within it; the figures still link to the rows behind them and add up."""
    from pilar.stipends import person_views

    monkeypatch.setattr(person_views, "FOLD_AT", 2)
    login(client, actors["operator"])
    page = client.get("/stipends/arrears/")
    rows = page.context["rows"]
    # Everything lies in one city: it opens by itself to its kecamatan.
    assert [r["area"].code for r in rows] == ["13.75.01", "13.75.02"]
    assert [r["total"]["tally"].total for r in rows] == [27, 10]
    body = page.content.decode()
    assert '<a href="?open=13.75.01#by-area"' in body
    assert '<a href="/stipends/arrears/?area=13.75.01">27</a>' in body
    listed = client.get("/stipends/arrears/", {"area": "13.75.01"})
    assert listed.context["months"] == 27
    opened = client.get("/stipends/arrears/", {"open": "13.75.01"})
    rows = opened.context["rows"]
    assert [r["area"].code for r in rows] == ["13.75.01", "13.75.01.1001", "13.75.01.1002"]
    assert [r["total"]["tally"].total for r in rows] == [10, 7, 10]
    assert opened.context["foot_total"]["tally"].total == 27
    body = opened.content.decode()
    assert '<a href="/stipends/arrears/?kind=TKSK&amp;area=13.75.01&amp;exact=1">10</a>' in body
    assert '<a href="/stipends/arrears/?open=13.75#by-area">' in body
    # An area that is not there or outside the scope is refused, naming the parameter.
    for junk in ("99.99", "13.75\x00", "1" * 5000, "13.75.02.1001' OR 1=1"):
        assert client.get("/stipends/arrears/", {"open": junk}).status_code == 400, junk[:20]
    other = make_user("operator-b", Role.OPERATOR, area="13.75.02")
    login(client, other)
    assert client.get("/stipends/arrears/", {"open": "13.75.01"}).status_code == 400
