"""Tali kasih in many offices on one installation (docs/STIPENDS.md, "Many offices"): each
office sets its own rates and ceilings, drafts, verifies, approves and pays its own batches,
numbered from 1 in each office, printed with its own letterhead; another office's batch, rate,
budget or line is a 404; the province sees every office's batches and moves none (403)."""

from __future__ import annotations

import datetime
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pilar.accounts.models import Role, User
from pilar.audit.services import Actor
from pilar.offices.services import remembered
from pilar.registry.models import PillarKind
from pilar.stipends import services
from pilar.stipends.models import Budget, StipendBatch, StipendLine, StipendRate
from pilar.stipends.tests.conftest import JULY, confirmed, download, report
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
API = "/api/v1/stipends"
AMOUNTS = {"bkt": 400_000, "pp": 350_000}


def as_user(client, user):
    User.objects.filter(pk=user.pk).update(language="en")
    client.logout()
    login(client, user)
    return client


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def offices(reference, office, other_office, make_user, make_person, make_assignment):
    """Bukittinggi (`bkt`) and Padang Panjang (`pp`): a PSM with an account in each, and an
    operator, a treasurer and a head of office of each office. (`reference` first: after a
    transactional test emptied the database, the office is seeded again tied to its area.)"""
    out = {}
    for key, own, kelurahan, name in (
        ("bkt", office, "13.75.01.1001", "Ani Bukittinggi"),
        ("pp", other_office, "13.74.01.1001", "Rudi Padang Panjang"),
    ):
        person = make_person(
            name, kelurahan=kelurahan, bank_name="Bank Nagari", bank_account=f"77{len(out)}001"
        )
        make_assignment(person, "PSM", kelurahan)
        out[key] = {
            "office": own,
            "person": person,
            "operator": make_user(f"operator-{key}", Role.OPERATOR, office=own),
            "finance": make_user(f"bendahara-{key}", Role.FINANCE, office=own),
            "approver": make_user(f"kepala-{key}", Role.APPROVER, office=own),
        }
        own.head_name = f"Kepala {own.city}"
        own.save()
    return out


def pay_through_pages(client, cast: dict, amount: int) -> StipendBatch:
    """One office's whole round through its pages: a rate and a ceiling, a batch of July drafted,
    verified, approved and paid."""
    psm = PillarKind.objects.get(code="PSM")
    report(cast["person"], JULY)
    as_user(client, cast["finance"])
    client.post(
        "/stipends/rates/new/",
        {"kind": psm.pk, "amount": amount, "valid_from": "2024-01", "funding_source": "APBD"},
    )
    client.post("/stipends/budgets/", {"year": 2024, "funding_source": "APBD", "amount": 10**8})
    as_user(client, cast["operator"])
    response = client.post(
        "/stipends/batches/new/",
        {"first_month": "2024-07", "last_month": "2024-07", "kinds": [psm.pk], "year": 2024},
    )
    assert response.status_code == 302
    batch = StipendBatch.objects.get(office=cast["office"])
    as_user(client, cast["finance"])
    client.post(f"/stipends/batches/{batch.pk}/verify/", confirmed(batch))
    as_user(client, cast["approver"])
    client.post(f"/stipends/batches/{batch.pk}/approve/", confirmed(batch))
    as_user(client, cast["finance"])
    client.post(f"/stipends/batches/{batch.pk}/mark-paid/", confirmed(batch, paid_on="2024-11-20"))
    batch.refresh_from_db()
    return batch


@pytest.fixture
def paid(client, offices):
    return {key: pay_through_pages(client, offices[key], AMOUNTS[key]) for key in ("bkt", "pp")}


def test_each_office_pays_its_own_batch_at_its_own_rate(client, offices, paid, tmp_path):
    for key, other in (("bkt", "pp"), ("pp", "bkt")):
        batch, cast = paid[key], offices[key]
        assert batch.status == "paid"
        assert batch.office == cast["office"]
        assert batch.seq == 1  # numbered from 1 in each office
        line = batch.lines.get()
        assert (line.person, line.amount) == (cast["person"], AMOUNTS[key])
        # Its own rate and ceiling: the same months and kind, each office's amount.
        rate = StipendRate.objects.get(office=cast["office"])
        assert (rate.amount, line.rate) == (AMOUNTS[key], rate)
        assert Budget.objects.filter(office=cast["office"], year=2024).count() == 1
        # The copy taken at approval is the batch's own office.
        assert batch.office_copy["name"] == cast["office"].name
        assert batch.office_copy["head"]["name"] == f"Kepala {cast['office'].city}"
        as_user(client, cast["finance"])
        page = client.get(f"/stipends/batches/{batch.pk}/").content.decode()
        assert "No. 1/2024" in page
        text = pdf_text(download(client, batch, "nominatif.pdf", "nominatif-area"), tmp_path)
        assert cast["office"].name.upper() in text
        assert offices[other]["office"].name.upper() not in text
        assert f"Kepala {cast['office'].city}" in text
        assert "1/2024" in text
        assert cast["person"].name in text and offices[other]["person"].name not in text


def test_a_second_batch_of_an_office_takes_its_next_number(client, offices, paid):
    cast = offices["pp"]
    report(cast["person"], datetime.date(2024, 8, 1))
    with remembered(user=cast["operator"]):
        august = services.stipend_batch_draft(
            by=Actor(user=cast["operator"]),
            first_month=datetime.date(2024, 8, 1),
            last_month=datetime.date(2024, 8, 1),
            kinds=[PillarKind.objects.get(code="PSM")],
            year=2024,
        )
    assert (august.office, august.seq, august.number) == (cast["office"], 2, "2/2024")
    assert paid["bkt"].seq == 1


def test_an_office_sees_nothing_of_the_other(client, offices, paid):
    """Bukittinggi's users reach none of Padang Panjang's batch, lines, rate or budget."""
    theirs = paid["pp"]
    line = theirs.lines.get()
    rate = StipendRate.objects.get(office=offices["pp"]["office"])
    for role in ("operator", "finance", "approver"):
        as_user(client, offices["bkt"][role])
        for url in (
            f"/stipends/batches/{theirs.pk}/",
            f"/stipends/batches/{theirs.pk}/nominatif.pdf",
            f"/stipends/batches/{theirs.pk}/transfer.csv",
            f"{API}/batches/{theirs.pk}",
            f"{API}/batches/{theirs.pk}/lines",
            *([f"{API}/batches/{theirs.pk}/sent-files"] if role == "finance" else []),
        ):
            assert client.get(url).status_code == 404, (role, url)
        listed = client.get("/stipends/batches/").content.decode()
        assert theirs.title in listed  # same title, so check by link
        assert f"/stipends/batches/{theirs.pk}/" not in listed
        assert [b["id"] for b in client.get(f"{API}/batches").json()] == [paid["bkt"].pk]
        assert [r["id"] for r in client.get(f"{API}/rates").json()] == [
            StipendRate.objects.get(office=offices["bkt"]["office"]).pk
        ]
        budgets = client.get(f"{API}/budgets").json()
        assert [(b["year"], b["ceiling"], b["paid"]) for b in budgets] == [
            (2024, 10**8, AMOUNTS["bkt"])
        ]
        rates_page = client.get("/stipends/rates/").content.decode()
        assert f"/stipends/rates/{rate.pk}/" not in rates_page
        assert "350.000" not in rates_page
    posts = {
        "finance": [
            f"/stipends/batches/{theirs.pk}/mark-paid/",
            f"/stipends/lines/{line.pk}/reverse/",
            f"/stipends/rates/{rate.pk}/end/",
            f"/stipends/rates/{rate.pk}/correct/",
            f"/stipends/batches/{theirs.pk}/return/",
            f"{API}/batches/{theirs.pk}/return",
            f"{API}/lines/{line.pk}/reverse",
            f"{API}/rates/{rate.pk}/end",
        ],
        "operator": [
            f"/stipends/batches/{theirs.pk}/cancel/",
            f"/stipends/batches/{theirs.pk}/refresh/",
            f"/stipends/lines/{line.pk}/remove/",
            f"{API}/batches/{theirs.pk}/cancel",
            f"{API}/lines/{line.pk}/remove",
        ],
        "approver": [
            f"/stipends/batches/{theirs.pk}/approve/",
            f"{API}/batches/{theirs.pk}/approve",
        ],
    }
    for role, urls in posts.items():
        as_user(client, offices["bkt"][role])
        for url in urls:
            body = {"reason": "x", "valid_to": "2024-12", "amount": 1}
            if url.startswith(API):
                response = client.post(url, body, content_type="application/json")
            else:
                response = client.post(url, {**body, "funding_source": "APBD"})
            assert response.status_code == 404, (role, url, response.status_code)
    # Nothing moved.
    theirs.refresh_from_db()
    assert theirs.status == "paid" and theirs.lines.get().status == "paid"
    assert StipendRate.objects.get(pk=rate.pk).valid_to is None


def test_a_line_of_the_other_office_is_refused_by_the_services_too(offices, paid):
    """Pages and the API never hand another office's record to a service; the service still
    refuses it."""
    from django.core.exceptions import PermissionDenied

    finance = offices["bkt"]["finance"]
    rate = StipendRate.objects.get(office=offices["pp"]["office"])
    with remembered(user=finance):
        with pytest.raises(PermissionDenied):
            services.stipend_line_reverse(
                by=Actor(user=finance), line=paid["pp"].lines.get(), reason="x"
            )
        with pytest.raises(PermissionDenied):
            services.stipend_rate_end(
                by=Actor(user=finance), rate=rate, valid_to=datetime.date(2024, 12, 31)
            )


@pytest.fixture
def province(make_user, province_office):
    return {
        role: make_user(f"prov-{role}", getattr(Role, role.upper()), office=province_office)
        for role in ("admin", "operator", "finance", "approver")
    }


def test_the_province_sees_every_offices_batch(client, offices, paid, province):
    as_user(client, province["admin"])
    listed = client.get("/stipends/batches/").content.decode()
    for key in ("bkt", "pp"):
        assert f"/stipends/batches/{paid[key].pk}/" in listed
        assert offices[key]["office"].name in listed
        assert client.get(f"/stipends/batches/{paid[key].pk}/").status_code == 200
        assert client.get(f"{API}/batches/{paid[key].pk}").json()["number"] == "1/2024"
    assert sorted(b["id"] for b in client.get(f"{API}/batches").json()) == sorted(
        b.pk for b in paid.values()
    )
    assert len(client.get(f"{API}/rates").json()) == 2
    # Who is owed August: each office's PSM by the office's own rate.
    page = client.get("/stipends/eligibility/", {"month": "2024-08"}).content.decode()
    for key in ("bkt", "pp"):
        assert offices[key]["person"].name in page
    assert "No tali kasih rate is set" not in page
    # One person's months, at their own office's rate.
    for key in ("bkt", "pp"):
        shown = client.get(f"/stipends/people/{offices[key]['person'].pk}/").context["arrears"]
        july = [m for m in shown.months if m.month == JULY]
        august = [m for m in shown.months if m.month == datetime.date(2024, 8, 1)]
        assert [(m.state, m.amount) for m in july] == [("paid", AMOUNTS[key])]
        assert [m.amount for m in august] == [AMOUNTS[key]]


def test_the_province_moves_no_money(client, offices, paid, province, make_person):
    """Every transition, in pages and the API, is 403 for each of the province's roles; a
    draft of Padang Panjang's (not yet verified) and its paid batch stay as they are."""
    cast = offices["pp"]
    report(cast["person"], datetime.date(2024, 8, 1))
    with remembered(user=cast["operator"]):
        draft = services.stipend_batch_draft(
            by=Actor(user=cast["operator"]),
            first_month=datetime.date(2024, 8, 1),
            last_month=datetime.date(2024, 8, 1),
            kinds=[PillarKind.objects.get(code="PSM")],
            year=2024,
        )
    psm = PillarKind.objects.get(code="PSM")
    rate = StipendRate.objects.get(office=cast["office"])
    done, line = paid["pp"], paid["pp"].lines.get()
    body = {
        "reason": "x",
        "valid_to": "2024-12",
        "amount": 1,
        "kind": psm.pk,
        "valid_from": "2025-01",
        "funding_source": "APBD",
        "year": 2025,
        "first_month": "2024-09",
        "last_month": "2024-09",
        "kinds": [psm.pk],
        "paid_on": "2024-11-20",
        "confirm": "yes",
    }
    pages = [
        "/stipends/rates/new/",
        f"/stipends/rates/{rate.pk}/end/",
        f"/stipends/rates/{rate.pk}/correct/",
        "/stipends/budgets/",
        "/stipends/batches/new/",
        f"/stipends/batches/{draft.pk}/refresh/",
        f"/stipends/batches/{draft.pk}/verify/",
        f"/stipends/batches/{draft.pk}/approve/",
        f"/stipends/batches/{draft.pk}/cancel/",
        f"/stipends/batches/{draft.pk}/return/",
        f"/stipends/lines/{draft.lines.get().pk}/remove/",
        f"/stipends/batches/{done.pk}/mark-paid/",
        f"/stipends/batches/{done.pk}/result/",
        f"/stipends/batches/{done.pk}/transfer/new/",
        f"/stipends/lines/{line.pk}/reverse/",
        f"/stipends/people/{cast['person'].pk}/confirm-account/",
    ]
    api = [
        ("post", f"{API}/rates", {"kind": "PSM", "amount": 1, "valid_from": "2025-01"}),
        ("post", f"{API}/rates/{rate.pk}/end", {"valid_to": "2024-12"}),
        ("put", f"{API}/budgets", {"year": 2025, "funding_source": "APBD", "amount": 1}),
        (
            "post",
            f"{API}/batches",
            {"first_month": "2024-09", "last_month": "2024-09", "kinds": ["PSM"]},
        ),
        ("post", f"{API}/batches/{draft.pk}/refresh", {}),
        ("post", f"{API}/batches/{draft.pk}/verify", {}),
        ("post", f"{API}/batches/{draft.pk}/approve", {}),
        ("post", f"{API}/batches/{draft.pk}/cancel", {"reason": "x"}),
        ("post", f"{API}/batches/{draft.pk}/return", {"reason": "x"}),
        ("post", f"{API}/lines/{draft.lines.get().pk}/remove", {"reason": "x"}),
        ("post", f"{API}/batches/{done.pk}/mark-paid", {"paid_on": "2024-11-20"}),
        ("post", f"{API}/lines/{line.pk}/reverse", {"reason": "x"}),
        ("get", f"{API}/batches/{done.pk}/transfer.csv", None),
    ]
    for role, user in province.items():
        as_user(client, user)
        assert client.get("/stipends/batches/new/").status_code == 403
        for url in pages:
            assert client.post(url, body).status_code == 403, (role, url)
        for method, url, payload in api:
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, payload, content_type="application/json")
            assert response.status_code == 403, (role, url, response.status_code)
    draft.refresh_from_db()
    assert (draft.status, draft.lines.get().status) == ("draft", "pending")
    assert done.lines.get().status == "paid" and not done.lines.filter(reverses__isnull=False)
    assert StipendRate.objects.filter(office=cast["office"]).count() == 1
    assert not Budget.objects.filter(year=2025).exists()
    assert StipendBatch.objects.count() == 3


def test_the_command_line_refuses_the_province(offices, paid, province):
    cast = offices["pp"]
    report(cast["person"], datetime.date(2024, 8, 1))
    with pytest.raises(CommandError):
        call_command(
            "stipend_batch", "draft", "--from", "2024-08", "--to", "2024-08", "--kind", "PSM",
            "--as", "prov-operator",
        )  # fmt: skip
    with remembered(user=cast["operator"]):
        draft = services.stipend_batch_draft(
            by=Actor(user=cast["operator"]),
            first_month=datetime.date(2024, 8, 1),
            last_month=datetime.date(2024, 8, 1),
            kinds=[PillarKind.objects.get(code="PSM")],
            year=2024,
        )
    for action, user, extra in (
        ("verify", "prov-finance", []),
        ("cancel", "prov-operator", ["--reason", "x"]),
        ("mark-paid", "prov-finance", ["--date", "2024-11-20"]),
    ):
        with pytest.raises(CommandError):
            call_command("stipend_batch", action, str(draft.pk), "--as", user, *extra)
    with pytest.raises(CommandError):
        call_command(
            "stipend_rate", "--kind", "PSM", "--amount", "1", "--from", "2025-01",
            "--as", "prov-finance",
        )  # fmt: skip
    # Another kota's user does not even find the batch.
    with pytest.raises(CommandError, match="no batch"):
        call_command("stipend_batch", "verify", str(draft.pk), "--as", "bendahara-bkt")
    draft.refresh_from_db()
    assert draft.status == "draft"
    # Its own office's treasurer can.
    call_command("stipend_batch", "verify", str(draft.pk), "--as", "bendahara-pp")
    draft.refresh_from_db()
    assert draft.status == "verified"


def test_rates_of_one_kind_overlap_only_within_an_office(offices):
    psm = PillarKind.objects.get(code="PSM")
    for key in ("bkt", "pp"):
        finance = offices[key]["finance"]
        with remembered(user=finance):
            services.stipend_rate_create(
                by=Actor(user=finance), kind=psm, amount=AMOUNTS[key], valid_from=JULY
            )
    finance = offices["pp"]["finance"]
    with remembered(user=finance), pytest.raises(Exception, match="overlaps"):
        services.stipend_rate_create(by=Actor(user=finance), kind=psm, amount=1, valid_from=JULY)
    assert StipendRate.objects.count() == 2


def test_lines_seen_by_an_area_grant_stay_within_the_office(offices, paid, make_user):
    """A grant limited to an area sees that area's lines (arrears, eligibility), never another
    office's, even when it names an area outside its office."""
    outside = make_user("op-x", Role.OPERATOR, area="13.74.01", office=offices["bkt"]["office"])
    inside = make_user("op-y", Role.OPERATOR, area="13.75.01", office=offices["bkt"]["office"])
    assert not StipendLine.objects.visible_to(outside).exists()
    assert list(StipendLine.objects.visible_to(inside)) == list(paid["bkt"].lines.all())
    assert not StipendBatch.objects.visible_to(inside).exists()


@pytest.mark.django_db(transaction=True)
def test_two_offices_draft_approve_and_pay_at_the_same_time(offices):
    """Real concurrent transactions (threads, each with its own connection; on PostgreSQL they
    truly overlap): Bukittinggi pays July and August in two batches while Padang Panjang pays
    July, all at once. Each office numbers its own batches, and no line lands in the other's."""
    from pilar.casework.tests.test_concurrency import race

    psm = PillarKind.objects.get(code="PSM")
    for key in ("bkt", "pp"):
        cast = offices[key]
        for month in (JULY, datetime.date(2024, 8, 1)):
            report(cast["person"], month)
        with remembered(user=cast["finance"]):
            services.stipend_rate_create(
                by=Actor(user=cast["finance"]), kind=psm, amount=AMOUNTS[key], valid_from=JULY
            )
            services.budget_set(
                by=Actor(user=cast["finance"]), year=2024, funding_source="APBD", amount=10**8
            )

    def pay(key: str, month: datetime.date):
        def run():
            # Each thread reads its own users: nothing cached is shared between them.
            users = {
                role: User.objects.get(pk=offices[key][role].pk)
                for role in ("operator", "finance", "approver")
            }
            with remembered(user=users["operator"]):
                batch = services.stipend_batch_draft(
                    by=Actor(user=users["operator"]),
                    first_month=month,
                    last_month=month,
                    kinds=[psm],
                    year=2024,
                )
            with remembered(user=users["finance"]):
                services.stipend_batch_verify(by=Actor(user=users["finance"]), batch=batch)
            with remembered(user=users["approver"]):
                services.stipend_batch_approve(by=Actor(user=users["approver"]), batch=batch)
            with remembered(user=users["finance"]):
                services.stipend_batch_mark_paid(
                    by=Actor(user=users["finance"]),
                    batch=batch,
                    paid_on=datetime.date(2024, 11, 20),
                )

        return run

    outcomes = race(pay("bkt", JULY), pay("bkt", datetime.date(2024, 8, 1)), pay("pp", JULY))
    assert outcomes == ["ok", "ok", "ok"]
    numbers = {
        key: sorted(
            StipendBatch.objects.filter(office=offices[key]["office"], status="paid").values_list(
                "seq", flat=True
            )
        )
        for key in ("bkt", "pp")
    }
    assert numbers == {"bkt": [1, 2], "pp": [1]}
    for line in StipendLine.objects.select_related("batch__office__area", "area", "rate"):
        office = line.batch.office
        assert line.area.code.startswith(office.area.code + "."), line
        assert line.rate.office_id == office.pk
        assert line.status == "paid"
        assert line.batch.office_copy["name"] == office.name
    assert StipendLine.objects.count() == 3


def test_the_provinces_arrears_are_its_offices_summed(client, offices, paid, province):
    """Each office's months owed by its own rates and policies; the province's figures (which
    pays nobody) are the sum of its offices', and so are the people behind them."""
    from dataclasses import astuple

    from pilar.stipends.arrears import office_arrears, owed_rows

    as_of = datetime.date(2024, 11, 20)
    figures = {}
    for key, user in (
        ("bkt", offices["bkt"]["finance"]),
        ("pp", offices["pp"]["finance"]),
        ("prov", province["admin"]),
    ):
        with remembered(user=user):
            figures[key] = office_arrears(user, as_of=as_of)
            figures[key].people = owed_rows(user, as_of=as_of)
    # January to October but July (paid) owed in each office, at its own rate.
    for key in ("bkt", "pp"):
        assert figures[key].total.amount == 9 * AMOUNTS[key], key
        assert {row.person_id for row in figures[key].people} == {offices[key]["person"].pk}
    province_total = figures["prov"].total
    summed = type(province_total)()
    summed.merge(figures["bkt"].total)
    summed.merge(figures["pp"].total)
    assert astuple(province_total) == astuple(summed)
    assert {row.person_id for row in figures["prov"].people} == {
        offices["bkt"]["person"].pk,
        offices["pp"]["person"].pk,
    }
    # The ceilings beside the money: each office its own, the province both summed.
    money = {key: {(m.label, m.ceiling, m.paid) for m in figures[key].money} for key in figures}
    assert money["prov"] == {
        ("APBD (city/regency budget) 2024", 2 * 10**8, AMOUNTS["bkt"] + AMOUNTS["pp"])
    }
    assert money["pp"] == {("APBD (city/regency budget) 2024", 10**8, AMOUNTS["pp"])}


def test_eligibility_is_the_offices_own_and_refuses_another_offices_area(client, offices, paid):
    for key, other in (("bkt", "pp"), ("pp", "bkt")):
        as_user(client, offices[key]["finance"])
        rows = client.get(f"{API}/eligibility", {"month": "2024-07"}).json()
        assert [r["person_id"] for r in rows] == [offices[key]["person"].pk]
        outside = "13.74.01" if key == "bkt" else "13.75.01"
        response = client.get(f"{API}/eligibility", {"month": "2024-07", "area": outside})
        assert response.status_code == 400
        assert "area" in response.content.decode() and outside in response.content.decode()
        page = client.get("/stipends/eligibility/", {"month": "2024-07"}).content.decode()
        assert offices[key]["person"].name in page
        assert offices[other]["person"].name not in page
