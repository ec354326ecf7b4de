"""Real Chromium: upload a messy roster, map its columns, read the preview, save, undo."""

from __future__ import annotations

import datetime
import os
import re

import pytest
from playwright.sync_api import expect

from pilar.imports.tests.files import xlsx_bytes
from pilar.lib.nik import make_nik
from pilar.registry.models import Assignment, Person
from pilar.tests_support import PASSWORD, run_task_worker

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("PILAR_SCREENSHOTS")  # a directory to keep screenshots in, when set
D = datetime.date


def test_upload_mapping_preview_commit_undo(live_server, page, actors, people, tmp_path):
    good = make_nik(area6="137501", birth_date=D(1982, 3, 14), sex="P", serial=901)
    headers = [
        "No",
        "Nama Lengkap",
        "No. KTP",
        "L/P",
        "Tgl Lahir",
        "Desa/Kelurahan",
        "Jabatan",
        "TMT",
        "No HP",
    ]
    rows = [
        [
            1,
            "Rina Marlina",
            good,
            "Perempuan",
            "14-03-1982",
            "Tarok Dipoh",
            "PSM",
            "01/07/2024",
            "0812 6600 1122",
        ],
        [2, "Salah Ketik", "1.37501E+15", "L", "01-01-1980", "Birugo", "PSM", "01/07/2024", ""],
    ]
    path = tmp_path / "daftar-psm.xlsx"
    path.write_bytes(xlsx_bytes(rows, headers=headers, title="DAFTAR PSM 2024"))
    before = (Person.objects.count(), Assignment.objects.count())

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", actors["operator"].username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.locator("[data-testid=upload-form] button[type=submit]").click()

    mapping = page.locator("[data-testid=mapping]")
    expect(mapping).to_contain_text("Nama Lengkap")
    expect(mapping.locator("select").nth(2)).to_have_value("nik")  # column C, "No. KTP"
    page.locator("[data-testid=check]").click()
    expect(page.locator("[data-testid=progress]")).to_be_visible()
    run_task_worker()
    # The page follows the check by itself and turns into the preview.
    expect(page.locator("[data-testid=summary]")).to_be_visible(timeout=15000)
    expect(page.locator("[data-testid=count-new]")).to_have_text("1")
    expect(page.locator("[data-testid=count-rejected]")).to_have_text("1")
    table = page.locator("[data-testid=rows]")
    expect(table).to_contain_text("Tarok Dipo")  # the close spelling, as a warning
    expect(table).to_contain_text("1.37501E+15")
    assert (Person.objects.count(), Assignment.objects.count()) == before

    page.locator("#id_accept_warnings").check()
    page.locator("#id_accept_rejected").check()
    page.locator("[data-testid=commit]").click()
    run_task_worker()
    expect(page.locator("[data-testid=undo]")).to_be_visible(timeout=15000)
    rina = Person.objects.get(nik=good)
    assert rina.assignments.get().area.name == "Tarok Dipo"

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=undo]").click()
    run_task_worker()
    expect(page.locator("[data-testid=status]")).to_have_class(
        "status status-undone", timeout=15000
    )
    assert (Person.objects.count(), Assignment.objects.count()) == before
    # The summary says what the undo took back, not what the save did.
    expect(page.locator("[data-testid=undone]")).to_be_visible()
    expect(page.locator("[data-testid=undo]")).to_have_count(0)
    if SHOTS:
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 844})
            page.screenshot(path=f"{SHOTS}/import-undone-{width}.png", full_page=True)


def test_office_roster_without_start_dates_goes_in_with_the_sk_date_rule(
    live_server, page, actors, tmp_path
):
    from pilar.imports.tests.files import office_roster_rows, office_roster_xlsx

    path = tmp_path / "daftar-pilar-2023.xlsx"
    path.write_bytes(office_roster_xlsx())
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", actors["operator"].username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.locator("[data-testid=upload-form] button[type=submit]").click()

    mapping = page.locator("[data-testid=mapping]")
    selects = mapping.locator("select")
    recognised = [selects.nth(i).input_value() for i in range(selects.count())]
    assert recognised == [
        "",  # No
        "name",
        "nik",
        "sex",
        "birth_place",
        "birth_date",
        "address",
        "kelurahan",
        "kecamatan",
        "phone",
        "kind",
        "sk_number",
        "sk_date",
        "bank_name",
        "bank_account",
    ]
    rule = page.locator("[data-testid=start-rule]")
    expect(rule.locator("[data-testid=no-start-column]")).to_be_visible()
    # The office works in Indonesian (the operator's language).
    rule.get_by_label("pakai tanggal SK sebagai tanggal mulai (TMT)").check()
    page.locator("[data-testid=check]").click()
    run_task_worker()
    expect(page.locator("[data-testid=summary]")).to_be_visible(timeout=15000)
    expect(page.locator("[data-testid=count-new]")).to_have_text("6")
    expect(page.locator("[data-testid=count-rejected]")).to_have_text("1")
    expect(page.locator("[data-testid=start-ruled]")).to_contain_text("6 baris")
    table = page.locator("[data-testid=rows]")
    expect(table.locator("[data-code=start_rule]")).to_have_count(6)
    expect(table.locator("[data-code=nik_number]")).to_contain_text("137501******")

    page.locator("#id_accept_rejected").check()
    expect(page.locator("[data-testid=commit]")).to_have_text(re.compile(r"\b6\b"))
    page.locator("[data-testid=commit]").click()
    run_task_worker()
    expect(page.locator("[data-testid=undo]")).to_be_visible(timeout=15000)
    names = [r[1] for r in office_roster_rows()[:6]]
    duties = Assignment.objects.filter(person__name__in=names)
    assert duties.count() == 6
    assert {(a.start_date, a.sk_date) for a in duties} == {(D(2023, 3, 1), D(2023, 3, 1))}
