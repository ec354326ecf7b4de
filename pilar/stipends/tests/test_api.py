import io

import pytest
from python_calamine import CalamineWorkbook

from pilar.accounts.models import Role, User
from pilar.audit.models import AuditEntry
from pilar.stipends.models import Budget, StipendBatch, StipendLine, StipendRate
from pilar.stipends.tests.conftest import AUGUST, JULY, SEPTEMBER, report
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

API = "/api/v1/stipends"


def post(client, path, body=None):
    return client.post(f"{API}{path}", body or {}, content_type="application/json")


def as_user(client, user):
    """Sign in as `user`, who reads English (requests answer in the user's language)."""
    User.objects.filter(pk=user.pk).update(language="en")
    client.logout()
    login(client, user)
    return client


def reported(people, *names, months=(JULY,)):
    for name in names:
        for month in months:
            report(people[name], month)


def drafted(client, actors, first="2024-07", last="2024-07"):
    as_user(client, actors["operator"])
    response = post(
        client, "/batches", {"first_month": first, "last_month": last, "kinds": ["PSM"]}
    )
    assert response.status_code == 202, response.content  # filled in the background
    assert response.json()["job"]["status"] == "done", response.content
    return response.json()["id"]


def approved(client, actors):
    batch_id = drafted(client, actors)
    as_user(client, actors["finance"])
    assert post(client, f"/batches/{batch_id}/verify").status_code == 202
    as_user(client, actors["approver"])
    assert post(client, f"/batches/{batch_id}/approve").status_code == 202
    return batch_id


def test_draft_verify_approve_pay_with_three_people(client, actors, rates, banked):
    reported(banked, "a1", "a2", months=(JULY, AUGUST, SEPTEMBER))
    as_user(client, actors["operator"])
    response = post(
        client, "/batches", {"first_month": "2024-07", "last_month": "2024-09", "kinds": ["PSM"]}
    )
    assert response.status_code == 202, response.content
    batch = response.json()
    assert batch["status"] == "draft" and batch["created_by"] == "operator1"
    assert (batch["job"]["kind"], batch["job"]["status"]) == ("draft", "done")
    assert batch["total"] == 6 * 400_000 and batch["line_count"] == 6
    assert batch["totals"] == [
        {"kind": "PSM", "funding_source": "APBD", "lines": 6, "amount": 2_400_000}
    ]
    assert batch["counts"] == {"pending": 6, "paid": 0, "failed": 0, "cancelled": 0}
    path = f"/batches/{batch['id']}"

    as_user(client, actors["finance"])
    verified = post(client, f"{path}/verify").json()
    assert (verified["status"], verified["verified_by"]) == ("verified", "bendahara1")

    as_user(client, actors["approver"])
    approved = post(client, f"{path}/approve").json()
    assert (approved["status"], approved["approved_by"]) == ("approved", "kepala1")

    as_user(client, actors["finance"])
    paid = post(client, f"{path}/mark-paid", {"paid_on": "2024-11-20"}).json()
    assert paid["status"] == "paid" and paid["paid_on"] == "2024-11-20"
    assert (paid["job"]["kind"], paid["job"]["message"]) == ("mark_paid", "6 line(s) marked paid.")
    job = client.get(f"{API}{path}/jobs/{paid['job']['id']}").json()
    assert (job["status"], job["done"], job["total"]) == ("done", 6, 6)
    assert paid["counts"]["paid"] == 6
    transitions = AuditEntry.objects.filter(
        object_type="stipends.stipendbatch", object_id=str(batch["id"])
    )
    assert {(e.username, e.source) for e in transitions} == {
        ("operator1", "api"),
        ("bendahara1", "api"),
        ("kepala1", "api"),
    }
    listed = client.get(f"{API}/batches?status=paid").json()
    assert [(b["id"], b["total"]) for b in listed] == [(batch["id"], 2_400_000)]

    as_user(client, actors["pillar"])
    mine = client.get(f"{API}/mine").json()
    by_month = {m["month"]: m for m in mine if m["kind"] == "PSM"}
    assert by_month["2024-07-01"]["state"] == "paid"
    assert by_month["2024-07-01"]["batch_title"] == "Tali kasih July 2024 – September 2024"
    assert by_month["2024-07-01"]["paid_on"] == "2024-11-20"
    assert by_month["2024-10-01"]["state"] == "blocked"
    assert by_month["2024-10-01"]["reasons"] == ["The monthly report has not been submitted."]
    # From January of last year to last month, newest first.
    assert mine[0]["month"] == "2024-10-01" and mine[-1]["month"] == "2023-01-01"
    assert by_month["2023-05-01"]["reasons"][0].startswith("No tali kasih rate")


def test_double_approve_makes_one_transition(client, actors, rates, banked):
    reported(banked, "a1")
    batch_id = drafted(client, actors)
    as_user(client, actors["finance"])
    post(client, f"/batches/{batch_id}/verify")
    as_user(client, actors["approver"])
    assert post(client, f"/batches/{batch_id}/approve").status_code == 202
    again = post(client, f"/batches/{batch_id}/approve")
    assert again.status_code == 400
    assert "now “Approved”" in again.json()["message"]
    approvals = AuditEntry.objects.filter(
        object_type="stipends.stipendbatch", changes__status=["verified", "approved"]
    )
    assert approvals.count() == 1


def test_the_drafter_cannot_verify(client, actors, rates, banked, make_user):
    both = make_user("both", Role.OPERATOR)
    both.grants.create(role=Role.FINANCE)
    reported(banked, "a1")
    batch_id = drafted(client, {"operator": both})
    response = post(client, f"/batches/{batch_id}/verify")
    assert response.status_code == 400
    assert "cannot also verify" in response.json()["message"]


def test_overlapping_rate_is_refused_with_the_message(client, actors, rates):
    as_user(client, actors["finance"])
    response = post(client, "/rates", {"kind": "PSM", "amount": 450_000, "valid_from": "2024-07"})
    assert response.status_code == 400
    assert "overlaps the Pekerja Sosial Masyarakat rate of Rp 400.000" in response.json()["message"]
    psm = rates["PSM"]
    ended = post(client, f"/rates/{psm.pk}/end", {"valid_to": "2024-06"})
    assert ended.json()["valid_to"] == "2024-06-30"
    response = post(
        client,
        "/rates",
        {"kind": "PSM", "amount": 450_000, "valid_from": "2024-07", "funding_source": "APBD"},
    )
    assert response.status_code == 201
    assert StipendRate.objects.filter(kind__code="PSM").count() == 2
    listed = client.get(f"{API}/rates?kind=PSM").json()
    assert [(r["amount"], r["valid_from"]) for r in listed] == [
        (450_000, "2024-07-01"),
        (400_000, "2024-01-01"),
    ]


def test_batch_over_budget_is_refused_with_the_numbers(client, actors, rates, banked):
    as_user(client, actors["finance"])
    response = client.put(
        f"{API}/budgets",
        {"year": 2024, "funding_source": "APBD", "amount": 1_000_000},
        content_type="application/json",
    )
    assert response.json()["ceiling"] == 1_000_000
    reported(banked, "a1", "a2", "b1")
    as_user(client, actors["operator"])
    response = post(
        client, "/batches", {"first_month": "2024-07", "last_month": "2024-07", "kinds": ["PSM"]}
    )
    # Filled in the background: the job says why it was refused, the batch is cancelled empty.
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["status"] == "failed"
    assert job["error"] == (
        "The batch would exceed the APBD 2024 budget: ceiling Rp 1.000.000, already in "
        "other batches Rp 0, this batch Rp 1.200.000 — over by Rp 200.000."
    )
    assert StipendBatch.objects.get().status == "cancelled"
    assert not StipendLine.objects.exists()


def test_bad_months_and_codes_are_refused_with_the_message(client, actors, rates):
    as_user(client, actors["operator"])
    response = client.get(f"{API}/eligibility?month=2024-13")
    assert response.status_code == 400
    assert "write the month as YEAR-MONTH" in response.json()["message"]
    response = post(
        client, "/batches", {"first_month": "July", "last_month": "2024-09", "kinds": ["XYZ"]}
    )
    assert response.status_code == 400
    assert response.json()["errors"]["first_month"]
    response = post(
        client, "/batches", {"first_month": "2024-07", "last_month": "2024-09", "kinds": ["XYZ"]}
    )
    assert "XYZ is not a pillar kind" in response.json()["message"]
    response = client.get(f"{API}/eligibility?state=late")
    assert response.status_code == 400 and "Choose a state" in response.json()["message"]
    assert not StipendBatch.objects.exists()


def test_budgets_show_what_batches_take(client, actors, rates, banked):
    reported(banked, "a1")
    drafted(client, actors)
    rows = client.get(f"{API}/budgets").json()
    assert rows == [
        {
            "year": 2024,
            "funding_source": "APBD",
            "ceiling": 100_000_000,
            "committed": 400_000,
            "paid": 0,
            "waiting": 400_000,
            "remaining": 99_600_000,
            "note": "",
        }
    ]
    response = client.put(
        f"{API}/budgets",
        {"year": 2024, "funding_source": "APBD", "amount": 1},
        content_type="application/json",
    )
    assert response.status_code == 403  # the operator does not set budgets
    assert Budget.objects.get().amount == 100_000_000


def test_eligibility_is_scoped_and_explained(client, actors, rates, banked, make_user):
    reported(banked, "a1", "b1")
    as_user(client, actors["operator"])
    rows = client.get(f"{API}/eligibility?month=2024-07&kind=PSM").json()
    assert {r["name"]: r["state"] for r in rows} == {
        "Ani Kecamatan A": "eligible",
        "Budi Kecamatan A": "blocked",
        "Citra Kecamatan B": "eligible",
    }
    budi = next(r for r in rows if r["name"] == "Budi Kecamatan A")
    assert budi["reasons"] == ["The monthly report has not been submitted."]
    assert "*" in budi["nik"] and budi["nik"] != banked["a2"].nik
    blocked = client.get(f"{API}/eligibility?month=2024-07&state=blocked&area=13.75.01").json()
    assert {(r["name"], r["kind"]) for r in blocked} == {
        ("Budi Kecamatan A", "PSM"),
        ("Dedi TKSK A", "TKSK"),
    }
    page = client.get(f"{API}/eligibility?month=2024-07&limit=2&offset=2").json()
    assert len(page) == 2

    kecamatan_b = make_user("operator-b", Role.OPERATOR, area="13.75.02")
    as_user(client, kecamatan_b)
    rows = client.get(f"{API}/eligibility?month=2024-07").json()
    assert [r["name"] for r in rows] == ["Citra Kecamatan B"]

    as_user(client, actors["pillar"])
    rows = client.get(f"{API}/eligibility?month=2024-07").json()
    assert [r["name"] for r in rows] == ["Ani Kecamatan A"]

    as_user(client, actors["coordinator_b"])
    assert client.get(f"{API}/eligibility?month=2024-07").status_code == 403


def test_lines_mask_the_nik_unless_full_nik_and_log_the_look(client, actors, rates, banked):
    reported(banked, "a1")
    batch_id = approved(client, actors)
    a1 = banked["a1"]
    line = client.get(f"{API}/batches/{batch_id}/lines").json()[0]  # the approver: masked
    assert line["nik"] != a1.nik and line["nik"].endswith(a1.nik[-4:])
    assert line["bank_account"] == "" and line["name"] == "Ani Kecamatan A"
    assert not AuditEntry.objects.filter(action="view_personal").exists()

    as_user(client, actors["finance"])
    line = client.get(f"{API}/batches/{batch_id}/lines?status=pending").json()[0]
    assert (line["nik"], line["bank_account"]) == (a1.nik, "1100000000")
    entry = AuditEntry.objects.get(action="view_personal")
    assert (entry.username, entry.object_id, entry.source) == ("bendahara1", str(batch_id), "api")


def test_transfer_file_only_when_approved_and_keeps_accounts_as_text(client, actors, rates, banked):
    reported(banked, "a1", "a2")
    batch_id = drafted(client, actors)
    as_user(client, actors["finance"])
    response = client.get(f"{API}/batches/{batch_id}/transfer.xlsx")
    assert response.status_code == 400
    assert "once the batch is approved" in response.json()["message"]
    post(client, f"/batches/{batch_id}/verify")
    as_user(client, actors["approver"])
    post(client, f"/batches/{batch_id}/approve")
    assert client.get(f"{API}/batches/{batch_id}/transfer.xlsx").status_code == 403

    as_user(client, actors["finance"])
    response = client.get(f"{API}/batches/{batch_id}/transfer.xlsx")
    assert response.status_code == 200
    assert f"transfer-tali-kasih-{batch_id}.xlsx" in response["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[0][:3] == ["No", "Referensi", "Nomor Rekening"]
    first = rows[1]
    assert first[2] == "1100000000" and isinstance(first[2], str)
    assert first[3:6] == ["Ani Kecamatan A", "Bank Nagari", 400_000]
    assert first[6] == "TALI KASIH PSM 07/2024"
    csv = client.get(f"{API}/batches/{batch_id}/transfer.csv")
    text = csv.content.decode("utf-8-sig").splitlines()
    assert text[1].startswith(f"1,TK{batch_id}-{banked['a1'].pk},1100000000,Ani Kecamatan A")
    looks = AuditEntry.objects.filter(action="view_personal", object_id=str(batch_id))
    assert sorted(e.note[:24] for e in looks) == [
        "transfer file csv no. 1 ",
        "transfer file xlsx no. 1",
    ]


def test_remove_refresh_cancel_and_reverse_lines(client, actors, rates, banked):
    reported(banked, "a1", "a2")
    batch_id = drafted(client, actors)
    lines = StipendLine.objects.filter(batch_id=batch_id).order_by("person__name")
    first = lines[0]
    report(banked["b1"], JULY)
    refreshed = post(client, f"/batches/{batch_id}/refresh").json()
    assert refreshed["job"]["message"] == "Batch refreshed: 1 line(s) added, 0 removed."
    response = post(client, f"/lines/{first.pk}/remove", {"reason": ""})
    assert response.status_code == 400 and "Say why" in response.json()["message"]
    removed = post(client, f"/lines/{first.pk}/remove", {"reason": "Pindah tugas"}).json()
    assert removed["status"] == "cancelled" and removed["note"] == "Pindah tugas"
    counts = client.get(f"{API}/batches/{batch_id}").json()["counts"]
    assert counts == {"pending": 2, "paid": 0, "failed": 0, "cancelled": 1}
    assert post(client, f"/batches/{batch_id}/cancel").status_code == 400
    cancelled = post(client, f"/batches/{batch_id}/cancel", {"reason": "Salah bulan"}).json()
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "Salah bulan")

    batch_id = approved(client, actors)
    as_user(client, actors["finance"])
    post(client, f"/batches/{batch_id}/mark-paid", {"paid_on": "2024-11-20"})
    paid = StipendLine.objects.filter(batch_id=batch_id).first()
    response = post(client, f"/lines/{paid.pk}/reverse", {"reason": "Salah rekening"})
    assert response.status_code == 201
    assert response.json()["amount"] == -400_000 and response.json()["reverses_id"] == paid.pk
    assert client.get(f"{API}/batches/{batch_id}").json()["total"] == 3 * 400_000 - 400_000


def test_return_sends_back_to_draft(client, actors, rates, banked):
    reported(banked, "a1")
    batch_id = approved(client, actors)
    response = post(client, f"/batches/{batch_id}/return", {"reason": ""})
    assert response.status_code == 400
    back = post(client, f"/batches/{batch_id}/return", {"reason": "Periksa lagi"}).json()
    assert (back["status"], back["reason"], back["approved_by"]) == ("draft", "Periksa lagi", None)
    as_user(client, actors["operator"])
    assert post(client, f"/batches/{batch_id}/return", {"reason": "x"}).status_code == 403


def test_outsiders(client, actors, rates, banked):
    reported(banked, "a1")
    batch_id = drafted(client, actors)
    as_user(client, actors["pillar"])
    assert client.get(f"{API}/batches/{batch_id}").status_code == 403
    assert client.get(f"{API}/batches/999999").status_code == 403
    as_user(client, actors["operator"])
    assert client.get(f"{API}/batches/999999").status_code == 404
    assert client.get(f"{API}/mine").status_code == 403
    client.logout()
    assert client.get(f"{API}/batches").status_code == 401
