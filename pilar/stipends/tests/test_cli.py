import io
import json
import re
import sys

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from pilar import cli
from pilar.accounts.models import Role, RoleGrant
from pilar.audit.models import AuditEntry
from pilar.stipends.models import Budget, SentFile, StipendBatch, StipendLine, StipendRate
from pilar.stipends.tests.conftest import AUGUST, JULY, OCTOBER, SEPTEMBER, report

pytestmark = pytest.mark.django_db

DRAFT_Q3 = ("stipend_batch", "draft", "--from", "2024-07", "--to", "2024-09", "--kind", "PSM")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def reported(people, months=(JULY, AUGUST, SEPTEMBER)):
    for name in ("a1", "a2"):
        for month in months:
            report(people[name], month)


def test_rates_add_list_and_end(reference):
    before = AuditEntry.objects.count()
    out = run(
        "stipend_rate", "--kind", "PSM", "--amount", "400000", "--from", "2024-01", "--dry-run"
    )
    assert "PSM Rp 400.000 a month from 2024-01 (APBD)" in out
    assert out.strip().endswith("Dry run: nothing was saved.")
    assert not StipendRate.objects.exists() and AuditEntry.objects.count() == before

    out = run("stipend_rate", "--kind", "PSM", "--amount", "400000", "--from", "2024-01")
    rate = StipendRate.objects.get()
    assert out.strip() == f"rate #{rate.pk} added: PSM Rp 400.000 a month from 2024-01 (APBD)"
    entry = AuditEntry.objects.get(object_type="stipends.stipendrate")
    assert (entry.source, entry.user) == ("cli", None)

    with pytest.raises(CommandError, match="overlaps"):
        run("stipend_rate", "--kind", "PSM", "--amount", "450000", "--from", "2024-07")
    with pytest.raises(CommandError, match="--from: write the month as YEAR-MONTH"):
        run("stipend_rate", "--kind", "PSM", "--amount", "450000", "--from", "2024-13")
    out = run("stipend_rate", "--end", str(rate.pk), "--to", "2024-06")
    assert "ends after 2024-06" in out
    run("stipend_rate", "--kind", "PSM", "--amount", "450000", "--from", "2024-07")
    listing = run("stipend_rate")
    assert "Rp 450.000" in listing and "2024-06" in listing and listing.endswith("2 rates\n")


def test_budget_set_and_list(rates, banked):
    out = run("stipend_budget", "--year", "2024", "--source", "APBD", "--amount", "5000000")
    assert out.strip() == "APBD 2024 ceiling set to Rp 5.000.000 (Rp 0 taken: paid or in a batch)"
    assert Budget.objects.get().amount == 5_000_000
    with pytest.raises(CommandError, match="give --year and --source"):
        run("stipend_budget", "--amount", "1")
    report(banked["a1"], JULY)
    run("stipend_batch", "draft", "--from", "2024-07", "--to", "2024-07", "--kind", "PSM")
    listing = run("stipend_budget", "--year", "2024")
    assert "2024  APBD    Rp 5.000.000  Rp 0  Rp 400.000  Rp 4.600.000" in listing


def test_eligibility_table_and_json(rates, banked):
    report(banked["a1"], JULY)
    out = run("stipend_eligibility", "--month", "2024-07", "--kind", "PSM", "--blocked")
    assert "Budi Kecamatan A" in out and "The monthly report has not been submitted." in out
    assert "Ani Kecamatan A" not in out
    assert out.strip().endswith(
        "July 2024: 2 rows — Eligible, not yet paid 0, Blocked 2, In process 0, Paid 0"
    )
    rows = json.loads(run("stipend_eligibility", "--month", "2024-07", "--json"))
    ani = next(r for r in rows if r["name"] == "Ani Kecamatan A")
    assert (ani["state"], ani["amount"], ani["month"]) == ("eligible", 400_000, "2024-07-01")
    assert "*" in ani["nik"]
    with pytest.raises(CommandError, match="XYZ is not a pillar kind"):
        run("stipend_eligibility", "--kind", "XYZ")


def test_draft_dry_run_writes_nothing(rates, banked):
    reported(banked)
    before = AuditEntry.objects.count()
    out = run(*DRAFT_Q3, "--dry-run")
    assert "drafted: Tali kasih July 2024 – September 2024, 6 lines, Rp 2.400.000" in out
    assert "Dry run: nothing was saved." in out
    assert not StipendBatch.objects.exists() and not StipendLine.objects.exists()
    assert AuditEntry.objects.count() == before


def test_draft_approve_pay_and_transfer_file_as_users(rates, banked, actors, tmp_path):
    reported(banked)
    out = run(*DRAFT_Q3, "--kind", "TKSK", "--as", "operator1")
    batch = StipendBatch.objects.get()
    assert out.strip() == (
        f"batch #{batch.pk} drafted: Tali kasih July 2024 – September 2024, 6 lines, Rp 2.400.000"
    )
    assert batch.created_by == actors["operator"]
    bid = str(batch.pk)
    # Four eyes: the operator may not verify, and a dry run changes nothing.
    with pytest.raises(CommandError, match="role does not allow it"):
        run("stipend_batch", "verify", bid, "--as", "operator1")
    assert "Dry run" in run("stipend_batch", "verify", bid, "--as", "bendahara1", "--dry-run")
    batch.refresh_from_db()
    assert batch.status == "draft"
    out = run("stipend_batch", "verify", bid, "--as", "bendahara1")
    assert out.strip() == f"batch #{bid} verified by bendahara1: now Verified by finance"
    with pytest.raises(CommandError, match="role does not allow it"):
        run("stipend_batch", "approve", bid, "--as", "bendahara1")
    with pytest.raises(CommandError, match="once the batch is approved"):
        run("stipend_batch", "transfer-file", bid, "--output", str(tmp_path / "x.xlsx"))
    run("stipend_batch", "approve", bid, "--as", "kepala1")

    path = tmp_path / "transfer.xlsx"
    out = run("stipend_batch", "transfer-file", bid, "--format", "xlsx", "--output", str(path))
    first, kept = out.strip().splitlines()
    assert first == f"batch #{bid}: 2 transfers, Rp 2.400.000, in {path}"
    sent = SentFile.objects.get(batch_id=bid, fmt="xlsx")
    assert kept == f"transfer file no. 1 as sent, sha256 {sent.sha256}"
    assert path.read_bytes() == bytes(sent.content)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[1][2:6] == ["1100000000", "Ani Kecamatan A", "Bank Nagari", 1_200_000]
    assert rows[1][6] == "TALI KASIH PSM 07-09/2024"
    csv_path = tmp_path / "transfer.csv"
    run("stipend_batch", "transfer-file", bid, "--format", "csv", "--output", str(csv_path))
    assert "1100000001" in csv_path.read_text(encoding="utf-8-sig")
    looks = AuditEntry.objects.filter(action="view_personal", source="cli")
    assert sorted(e.note[:24] for e in looks) == [
        "transfer file csv no. 1 ",
        "transfer file xlsx no. 1",
    ]

    show = run("stipend_batch", "show", bid)
    assert "verified by bendahara1" in show and "approved by kepala1" in show
    assert "PSM   APBD    6      Rp 2.400.000" in show
    out = run("stipend_batch", "mark-paid", bid, "--date", "2024-11-20", "--as", "bendahara1")
    assert out.strip() == (
        f"batch #{bid} marked paid by bendahara1: now Paid (paid 6, failed 0, unchanged 0)"
    )
    assert "1 batches" in run("stipend_batch", "list", "--status", "paid")


def test_one_person_cannot_draft_and_verify(rates, banked, make_user):
    both = make_user("both", Role.OPERATOR)
    RoleGrant.objects.create(user=both, role=Role.FINANCE)
    reported(banked, months=(JULY,))
    run(
        "stipend_batch",
        "draft",
        "--from",
        "2024-07",
        "--to",
        "2024-07",
        "--kind",
        "PSM",
        "--as",
        "both",
    )
    bid = str(StipendBatch.objects.get().pk)
    with pytest.raises(CommandError, match="cannot also verify"):
        run("stipend_batch", "verify", bid, "--as", "both")
    with pytest.raises(CommandError, match="No active user is named “nobody”"):
        run("stipend_batch", "verify", bid, "--as", "nobody")


def test_return_and_cancel_need_a_reason_and_run_as_system(rates, banked):
    reported(banked, months=(JULY,))
    run("stipend_batch", "draft", "--from", "2024-07", "--to", "2024-07", "--kind", "PSM")
    bid = str(StipendBatch.objects.get().pk)
    # Without --as: the system actor, so no four-eyes rule stands in the way.
    run("stipend_batch", "verify", bid)
    run("stipend_batch", "approve", bid)
    with pytest.raises(CommandError, match="Say why"):
        run("stipend_batch", "return", bid, "--reason", " ")
    out = run("stipend_batch", "return", bid, "--reason", "Periksa lagi")
    assert "sent back by the system: now Draft" in out
    run("stipend_batch", "cancel", bid, "--reason", "Salah bulan")
    assert StipendBatch.objects.get().status == "cancelled"
    with pytest.raises(CommandError, match="There is no batch #999"):
        run("stipend_batch", "show", "999")
    with pytest.raises(CommandError, match="--date: write the date as YYYY-MM-DD"):
        run("stipend_batch", "mark-paid", bid, "--date", "2024-02-30")


def test_reachable_as_pilar_with_hyphens(rates, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["pilar", "stipend-batch", "list"])
    cli.main()
    assert capsys.readouterr().out.strip().endswith("0 batches")


def fails(*args) -> str:
    """The command's refusal, as a user sees it: a message, never a traceback."""
    with pytest.raises(CommandError) as refused:
        run(*args)
    return str(refused.value)


def test_bad_input_is_refused_in_words_not_a_traceback(rates, banked, tmp_path):
    assert fails("stipend_batch", "show", "999") == (
        "There is no batch #999: `pilar stipend-batch list` shows them."
    )
    assert "abc" in fails("stipend_batch", "show", "abc")
    assert fails("stipend_batch", "list", "--status", "bogus") == (
        "--status: “bogus” is not one of draft, verified, approved, partly_paid, paid, cancelled."
    )
    assert fails("stipend_batch", "frob").startswith("ACTION: “frob” is not one of list, draft")
    assert fails("stipend_batch", "draft", "--from", "2024-07") == "Missing: --to, --kind."
    assert "--from" in fails(*DRAFT_Q3[:3], "2024-13", "--to", "2024-09", "--kind", "PSM")
    assert fails(*DRAFT_Q3[:-1], "NOPE").startswith("NOPE is not a pillar kind")
    assert fails("stipend_batch", "transfer-file", "1", "--format", "pdf", "--output", "x") == (
        "--format: “pdf” is not one of xlsx, csv."
    )
    assert fails("stipend_budget", "--source", "xyz") == (
        "--source: “XYZ” is not one of APBD, APBN, OTHER."
    )
    assert fails("stipend_eligibility", "--kind", "foo").startswith("foo is not a pillar kind")
    # The words of argparse and Django are said again, none left in English around them.
    for text in (fails("stipend_batch", "list", "--bogus"), fails("stipend_batch", "show")):
        assert "error:" not in text and "usage" not in text and "argument" not in text


def test_codes_in_any_case_and_the_newest_period_first(rates, banked):
    reported(banked, months=(JULY, AUGUST, SEPTEMBER, OCTOBER))
    for month, kind in (("07", "psm"), ("09", "Psm"), ("08", "pSM"), ("10", "PSM")):
        run("stipend_batch", "draft", "--from", f"2024-{month}", "--to", f"2024-{month}",
            "--kind", kind)  # fmt: skip
    # TKSK in lower case is a kind (its months lack reports: nobody to pay, said so).
    assert fails(*DRAFT_Q3[:-1], "tksk").startswith("Nobody is eligible and unpaid")
    listing = run("stipend_batch", "list", "--status", "DRAFT").splitlines()
    months = [re.search(r"2024-\d\d\.\.2024-\d\d", line)[0] for line in listing[1:-1]]
    assert months == ["2024-10..2024-10", "2024-09..2024-09", "2024-08..2024-08",
                      "2024-07..2024-07"]  # fmt: skip
    assert listing[-1] == "4 batches"


def test_a_dry_run_never_speaks_of_pages(rates, banked, actors):
    reported(banked)
    out = run(*DRAFT_Q3, "--dry-run")
    assert "Dry run: nothing was saved." in out
    batch_id = run(*DRAFT_Q3).split("#")[1].split(" ")[0]
    run("stipend_batch", "verify", batch_id, "--as", "bendahara1")
    # A step the batch has already passed: the refusal names a command, not a page.
    refused = fails("stipend_batch", "verify", batch_id, "--as", "bendahara1", "--dry-run")
    assert refused == (
        "The batch is now “Verified by finance”: see it with `pilar stipend-batch show ID`."
    )
    refused = fails(*DRAFT_Q3, "--dry-run")
    assert "page" not in refused and "pilar stipend-eligibility --blocked" in refused


def test_transfer_file_again_and_a_new_round(rates, banked, actors, tmp_path):
    from pilar.audit.services import Actor
    from pilar.stipends import services

    reported(banked)
    bid = run(*DRAFT_Q3).split("#")[1].split(" ")[0]
    run("stipend_batch", "verify", bid, "--as", "bendahara1")
    run("stipend_batch", "approve", bid, "--as", "kepala1")
    first, again = tmp_path / "1.csv", tmp_path / "again.csv"
    run("stipend_batch", "transfer-file", bid, "--format", "CSV", "--output", str(first))
    # Nothing answered yet: no second round, said without page words.
    refused = fails(
        "stipend_batch", "transfer-file", bid, "--new-round", "--format", "csv", "--output", "x"
    )
    assert "download that file again" in refused and "page" not in refused
    batch = StipendBatch.objects.get(pk=bid)
    ani = [
        services.Outcome(line, True)
        for line in batch.lines.filter(status="pending", name="Ani Kecamatan A")
    ]
    services.stipend_batch_record(
        by=Actor(user=actors["finance"]),
        batch=batch,
        outcomes=ani,
        paid_on=batch.approved_at.date(),
    )
    second = tmp_path / "2.csv"
    out = run("stipend_batch", "transfer-file", bid, "--new-round", "--format", "csv",
              "--output", str(second))  # fmt: skip
    assert "transfer file no. 2 as sent" in out
    assert "Budi" in second.read_text("utf-8-sig") and "Ani" not in second.read_text("utf-8-sig")
    # Round 1 stays as it was; without --new-round the newest file is given again.
    run("stipend_batch", "transfer-file", bid, "--format", "csv", "--output", str(again))
    assert again.read_bytes() == second.read_bytes()
    assert bytes(SentFile.objects.get(batch_id=bid, number=1, fmt="csv").content) == (
        first.read_bytes()
    )
