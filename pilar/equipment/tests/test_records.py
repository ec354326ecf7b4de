"""Issue 16 for equipment: the BAST prints witnesses whole with the position apart and lists any
number of lines; handovers record condition; items returned damaged are not available stock until
a repair record; handover lines and returns are corrected on the record, never edited."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from pilar.audit.models import AuditEntry
from pilar.equipment import corrections, returns, services
from pilar.equipment.bast_pdf import bast_pdf
from pilar.equipment.models import (
    Handover,
    HandoverLine,
    HandoverWitness,
    Item,
    Repair,
    Return,
    StockReceipt,
)
from pilar.equipment.selectors import item_figures
from pilar.equipment.tests.conftest import NOV1, OCT22, give_back, hand
from pilar.offices import current
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

D = datetime.date
RINA = "Dra. Rina Marlina, S.Sos, M.Si"
KASI = "Kepala Seksi Linjamsos"


def pdf_lines(pdf: bytes, tmp_path: Path, *args: str) -> list[str]:
    path = tmp_path / "bast.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True)
    return [line.strip() for line in out.stdout.decode().splitlines()]


def page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    return int(re.search(rb"Pages:\s+(\d+)", info).group(1))


def counts():
    return (
        Handover.objects.count(),
        HandoverLine.objects.count(),
        HandoverWitness.objects.count(),
        Return.objects.count(),
        Repair.objects.count(),
        AuditEntry.objects.filter(object_type__startswith="equipment.").count(),
    )


# --- witnesses ---------------------------------------------------------------------------------


def test_the_bast_prints_a_witness_name_whole_and_the_position_on_its_own_line(
    stocked, people, by, tmp_path
):
    handover = hand(by, people["a1"], stocked["radio"], witnesses=[(RINA, KASI)])
    assert handover.witness_list() == [(RINA, KASI)]
    lines = pdf_lines(bast_pdf(handover), tmp_path)
    assert RINA in lines  # the name whole, alone on its line
    assert KASI in lines  # the position on its own line
    assert lines.index(KASI) == lines.index(RINA) + 1
    assert not any("S.Sos, M.Si, Kepala" in line for line in lines)


def test_the_demo_witnesses_print_whole(stocked, people, by, tmp_path):
    from pilar.equipment.demo import WITNESSES

    handover = hand(by, people["a1"], stocked["vest"], witnesses=WITNESSES)
    lines = pdf_lines(bast_pdf(handover), tmp_path, "-layout")
    row = next(line for line in lines if RINA in line)
    assert "Yusrizal" in row and KASI not in row
    below = lines[lines.index(row) + 1]
    assert KASI in below and "Pengurus Barang" in below and "S.Sos" not in below


def test_a_200_character_witness_name_wraps_inside_the_page(stocked, people, by, tmp_path):
    long_name = ("Prof. Dr. Ir. H. Muhammad Rizki Pratama Syahputra, S.Sos., M.Si., " * 4)[:200]
    assert len(long_name) == 200
    handover = hand(
        by,
        people["a1"],
        stocked["vest"],
        witnesses=[(long_name, KASI), ("Yusrizal", "Pengurus Barang"), (RINA, KASI)],
    )
    assert handover.witnesses.get(order=1).name == long_name
    pdf = bast_pdf(handover)
    text = " ".join(pdf_lines(pdf, tmp_path))
    for word in long_name.split():
        assert word in text
    # Every word of the page stays within the A4 width (595 points) less the margins.
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True)
    right = [float(x) for x in re.findall(rb'xMax="([\d.]+)"', html.stdout)]
    left = [float(x) for x in re.findall(rb'xMin="([\d.]+)"', html.stdout)]
    assert right and max(right) < 595 - 20 and min(left) > 20


def test_an_over_long_witness_name_is_refused_by_name(stocked, people, by, client, actors):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        hand(by, people["a1"], stocked["vest"], witnesses=[("x" * 201, KASI)])
    assert "Witness 1" in exc.value.message_dict["witnesses"][0]
    assert "201 characters" in exc.value.message_dict["witnesses"][0]
    assert counts() == before
    login(client, actors["operator"])
    data = form_data([(people["a1"], stocked["vest"], 1)], witnesses=[("y" * 201, KASI)])
    response = client.post("/equipment/handovers/new/", data)
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    assert counts() == before
    body = {
        "handed_on": "2024-10-22",
        "giver_name": "Kabid",
        "witnesses": [{"name": "z" * 201, "position": KASI}],
        "lines": [{"person_id": people["a1"].pk, "item_id": stocked["vest"].pk, "quantity": 1}],
    }
    api = client.post("/api/v1/equipment/handovers", body, content_type="application/json")
    assert api.status_code == 422 and "witnesses" in api.content.decode()
    assert counts() == before


def test_old_witness_lines_are_split_only_where_the_position_is_plain():
    from importlib import import_module

    split = import_module(
        "pilar.equipment.migrations.0003_witnesses_condition_repairs_corrections"
    ).split_line
    assert split("Rina Marlina, S.Sos, Kepala Seksi Linjamsos") == (
        "Rina Marlina, S.Sos",
        KASI,
    )
    assert split(RINA) == (RINA, "")  # ends in a degree: the whole line is the name
    assert split("Yusrizal, Pengurus Barang") == ("Yusrizal", "Pengurus Barang")
    assert split("Yusrizal") == ("Yusrizal", "")
    assert split("Joni, SH") == ("Joni, SH", "")


# --- the hand-made BAST form -------------------------------------------------------------------


def form_data(lines, witnesses=(), **bast):
    data = {
        "handed_on": "2024-10-22",
        "giver_name": "Kabid",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "witnesses-TOTAL_FORMS": str(len(witnesses)),
        "witnesses-INITIAL_FORMS": "0",
        **bast,
    }
    for n, (person, item, quantity, *rest) in enumerate(lines):
        condition, note = (list(rest) + ["new", ""])[:2]
        data.update(
            {
                f"lines-{n}-person": person.pk if person else "",
                f"lines-{n}-item": item.pk if item else "",
                f"lines-{n}-quantity": quantity,
                f"lines-{n}-condition": condition,
                f"lines-{n}-note": note,
            }
        )
    for n, (name, position) in enumerate(witnesses):
        data.update({f"witnesses-{n}-name": name, f"witnesses-{n}-position": position})
    return data


def test_add_a_line_without_javascript_then_record_five(client, actors, stocked, people):
    login(client, actors["operator"])
    a1, a2 = people["a1"], people["a2"]
    four = [(a1, stocked["vest"], 1), (a1, stocked["bag"], 1), (a2, stocked["vest"], 1)]
    four.append((a2, stocked["bag"], 1))
    data = form_data(four, witnesses=[(RINA, KASI)], place="Aula")
    page = client.post("/equipment/handovers/new/", {**data, "add_line": "1"})
    assert page.status_code == 200 and not Handover.objects.exists()
    html = page.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="5"' in html
    assert 'name="lines-4-person"' in html and 'value="Aula"' in html
    assert f'value="{RINA}"' in html
    assert "This field is required" not in html
    more = client.post("/equipment/handovers/new/", {**data, "add_witness": "1"})
    assert 'name="witnesses-TOTAL_FORMS" value="2"' in more.content.decode()
    five = form_data([*four, (people["b1"], stocked["radio"], 1)], witnesses=[(RINA, KASI)])
    response = client.post("/equipment/handovers/new/", five)
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert handover.lines.count() == 5 and handover.witness_list() == [(RINA, KASI)]
    detail = client.get(f"/equipment/handovers/{handover.pk}/").content.decode()
    assert RINA in detail and KASI in detail


def test_more_than_200_lines_are_refused_with_a_clear_message(client, actors, stocked, people):
    login(client, actors["operator"])
    data = form_data([(people["a1"], stocked["vest"], 1)])
    data["lines-TOTAL_FORMS"] = "201"
    before = counts()
    response = client.post("/equipment/handovers/new/", data)
    assert response.status_code == 400
    assert "at most 200 lines" in response.content.decode()
    assert counts() == before


def test_a_bast_of_60_lines_prints_every_item_over_several_pages(stocked, people, by, tmp_path):
    items = []
    for n in range(60):
        item = Item.objects.create(
            office=current(), name=f"Barang Uji {n:02d}", category="other", unit="buah"
        )
        StockReceipt.objects.create(item=item, received_on=OCT22, quantity=1, source="APBD")
        items.append(item)
    handover = services.handover_create(
        by=by,
        handed_on=OCT22,
        giver_name="Kabid",
        witnesses=[(RINA, KASI)],
        lines=[(people["a1"], item, 1, "new") for item in items],
    )
    pdf = bast_pdf(handover)
    assert page_count(pdf, tmp_path) >= 2
    text = "\n".join(pdf_lines(pdf, tmp_path))
    assert all(f"Barang Uji {n:02d}" in text for n in range(60))
    assert RINA in text and KASI in text


# --- condition at handover ---------------------------------------------------------------------


def test_a_handover_records_new_good_or_damaged_with_a_note(stocked, people, by, tmp_path):
    a1 = people["a1"]
    before = counts()
    for condition, note, fragment in [
        ("damaged", "", "say what is damaged"),
        ("lost", "", "new, good or damaged"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.handover_create(
                by=by,
                handed_on=OCT22,
                giver_name="Kabid",
                lines=[(a1, stocked["radio"], 1, condition, note)],
            )
        assert fragment in " ".join(exc.value.message_dict["lines"])
    assert counts() == before
    handover = services.handover_create(
        by=by,
        handed_on=OCT22,
        giver_name="Kabid",
        lines=[
            (a1, stocked["radio"], 1, "damaged", "Layar retak, berfungsi"),
            (a1, stocked["vest"], 1, "good"),
        ],
    )
    radio_line = handover.lines.get(item=stocked["radio"])
    assert (radio_line.condition, radio_line.note) == ("damaged", "Layar retak, berfungsi")
    text = "\n".join(pdf_lines(bast_pdf(handover), tmp_path))
    assert "Rusak" in text and "Layar retak, berfungsi" in text and "Baik" in text


# --- repairs and available stock ---------------------------------------------------------------


def _available_from_rows(item) -> int:
    """The available stock recomputed from the rows behind it, by a different road."""
    received = sum(r.quantity for r in StockReceipt.objects.filter(item=item))
    handed = sum(line.quantity for line in HandoverLine.objects.filter(item=item) if line.in_force)
    good = sum(r.quantity for r in Return.objects.filter(item=item, condition="good") if r.in_force)
    repaired = sum(r.quantity for r in Repair.objects.filter(item=item, outcome="repaired"))
    return received - handed + good + repaired


def test_damaged_returns_are_not_available_until_repaired(client, actors, stocked, people, by):
    radio, a1, a2 = stocked["radio"], people["a1"], people["a2"]
    hand(by, a1, radio, quantity=3)
    give_back(by, a1, radio, quantity=2, condition="damaged", reason="Antena patah")
    f = item_figures([radio.pk])[radio.pk]
    assert (f.in_stock, f.awaiting_repair, f.held) == (0, 2, 1)
    with pytest.raises(ValidationError) as exc:
        hand(by, a2, radio, day=NOV1)
    assert "0 in stock" in " ".join(exc.value.message_dict["lines"])
    login(client, actors["operator"])
    page = client.get("/equipment/").content.decode()
    cell = re.search(r'data-testid="in-stock">.*?<strong>(\d+)</strong>', page, re.S)
    assert int(cell.group(1)) == _available_from_rows(radio) == 0
    assert "+ 2 awaiting repair" in page

    # A repair record: bad input names the field and changes nothing.
    url = f"/equipment/items/{radio.pk}/repairs/new/"
    good = {
        "quantity": "1",
        "outcome": "repaired",
        "done_on": "2024-11-05",
        "note": "Antena diganti",
        "done_by": "Bengkel Radio Jaya",
    }
    before = counts()
    too_many = client.post(url, {**good, "quantity": "3"})
    assert too_many.status_code == 400 and "Only 2 unit" in too_many.content.decode()
    no_note = client.post(url, {**good, "note": ""})
    assert no_note.status_code == 400 and 'id="id_note"' in no_note.content.decode()
    early = client.post(url, {**good, "done_on": "2024-10-30"})
    assert early.status_code == 400  # before anything came back damaged
    assert counts() == before
    assert client.post(url, good).status_code == 302
    assert client.post(url, good).status_code == 302  # the same post twice: saved once
    assert Repair.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="equipment.repair")
    assert entry.changes["note"] == [None, "Antena diganti"]
    f = item_figures([radio.pk])[radio.pk]
    assert (f.in_stock, f.awaiting_repair, f.repaired) == (1, 1, 1)
    returns.repair_record(
        by=by,
        item=radio,
        quantity=1,
        outcome="written_off",
        done_on=D(2024, 11, 6),
        note="Papan sirkuit terbakar",
        done_by="Bengkel Radio Jaya",
    )
    f = item_figures([radio.pk])[radio.pk]
    assert (f.in_stock, f.awaiting_repair, f.written_off, f.in_store) == (1, 0, 1, 1)
    hand(by, a2, radio, day=D(2024, 11, 7))  # the repaired one can be handed again
    page = client.get(f"/equipment/items/{radio.pk}/").content.decode()
    shown = re.search(r'data-testid="in-stock"><strong>(\d+)</strong>', page)
    assert int(shown.group(1)) == _available_from_rows(radio) == 0
    api = client.get(f"/api/v1/equipment/items/{radio.pk}").json()
    assert (api["in_stock"], api["awaiting_repair"], api["written_off"]) == (0, 0, 1)


# --- corrections on the record -----------------------------------------------------------------


def test_a_handover_line_is_reversed_with_a_reason_and_stays_visible(
    client, actors, stocked, people, by
):
    vest, a1 = stocked["vest"], people["a1"]
    handover = hand(by, a1, vest, quantity=2)
    line = handover.lines.get()
    login(client, actors["operator"])
    url = f"/equipment/handover-lines/{line.pk}/correct/"
    assert client.get(url).status_code == 200
    before = counts()
    missing = client.post(url, {"action": "reverse", "reversal_reason": ""})
    assert missing.status_code == 400 and 'id="id_reversal_reason"' in missing.content.decode()
    assert counts() == before
    done = client.post(url, {"action": "reverse", "reversal_reason": "Salah orang"})
    assert done.status_code == 302
    again = client.post(url, {"action": "reverse", "reversal_reason": "Salah orang lagi"})
    assert again.status_code == 400
    assert "cannot be reversed or repeated" in again.content.decode()
    line.refresh_from_db()
    assert line.reversal_reason == "Salah orang" and not line.in_force
    assert item_figures([vest.pk])[vest.pk].in_stock == 10
    page = client.get(f"/equipment/handovers/{handover.pk}/").content.decode()
    assert 'data-testid="reversed"' in page and "Salah orang" in page
    entry = AuditEntry.objects.get(object_type="equipment.handoverline", action="update")
    assert entry.changes["reversal_reason"] == [None, "Salah orang"]
    with pytest.raises(ValidationError) as exc:
        corrections.line_correct(by=by, line=line, reversal_reason="lagi")
    assert "cannot be reversed" in exc.value.message_dict["record"][0]


def test_a_line_with_a_return_is_refused_until_the_return_is_corrected(stocked, people, by):
    radio, a1 = stocked["radio"], people["a1"]
    line = hand(by, a1, radio).lines.get()
    returned = give_back(by, a1, radio)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        corrections.line_correct(by=by, line=line, reversal_reason="Salah input")
    assert "Reverse or amend that return first" in exc.value.message_dict["record"][0]
    assert counts() == before and HandoverLine.objects.get().in_force
    corrections.return_correct(by=by, record=returned, reversal_reason="Belum dikembalikan")
    corrections.line_correct(by=by, line=line, reversal_reason="Salah input")
    f = item_figures([radio.pk])[radio.pk]
    assert (f.handed, f.returned, f.held, f.in_stock) == (0, 0, 0, 3)


def test_amendments_replace_a_line_and_a_return(client, actors, stocked, people, by):
    vest, radio, a1 = stocked["vest"], stocked["radio"], people["a1"]
    line = hand(by, a1, vest, quantity=2).lines.get()
    new = corrections.line_correct(
        by=by,
        line=line,
        reversal_reason="Diketik 2, seharusnya 1",
        amend=True,
        quantity=1,
        condition="good",
    )
    line.refresh_from_db()
    assert line.replaced_by == new and new.quantity == 1 and new.handover_id == line.handover_id
    assert item_figures([vest.pk])[vest.pk].handed == 1
    with pytest.raises(ValidationError) as exc:
        corrections.line_correct(
            by=by, line=new, reversal_reason="x", amend=True, quantity=99, condition="new"
        )
    assert "Not enough Rompi Pilar Sosial in stock" in exc.value.message_dict["quantity"][0]
    hand(by, a1, radio, quantity=2)
    returned = give_back(by, a1, radio, condition="damaged", reason="Antena patah")
    login(client, actors["operator"])
    url = f"/equipment/returns/{returned.pk}/correct/"
    response = client.post(
        url,
        {
            "action": "amend",
            "reversal_reason": "Ternyata baik",
            "quantity": "1",
            "condition": "good",
            "returned_on": "2024-11-01",
        },
    )
    assert response.status_code == 302
    returned.refresh_from_db()
    assert not returned.in_force and returned.replaced_by.condition == "good"
    f = item_figures([radio.pk])[radio.pk]
    assert (f.returned_good, f.returned_damaged, f.awaiting_repair, f.in_stock) == (1, 0, 0, 2)
    page = client.get("/equipment/returns/").content.decode()
    assert "Amended" in page and "Ternyata baik" in page and "Antena patah" in page


def test_a_return_whose_items_were_handed_again_is_not_reversed(stocked, people, by):
    radio, a1, a2 = stocked["radio"], people["a1"], people["a2"]
    hand(by, a1, radio, quantity=3)
    returned = give_back(by, a1, radio)
    hand(by, a2, radio, day=D(2024, 11, 2))
    with pytest.raises(ValidationError) as exc:
        corrections.return_correct(by=by, record=returned, reversal_reason="Salah")
    assert "handed over again" in exc.value.message_dict["record"][0]
    assert Return.objects.get().in_force


def test_corrections_are_the_office_s(client, actors, stocked, people, by):
    line = hand(by, people["a1"], stocked["vest"]).lines.get()
    for role in ("coordinator_a", "pillar", "approver", "viewer"):
        login(client, actors[role])
        response = client.post(
            f"/equipment/handover-lines/{line.pk}/correct/",
            {"action": "reverse", "reversal_reason": "x"},
        )
        assert response.status_code == 403, role
    line.refresh_from_db()
    assert line.in_force


def test_a_damaged_return_already_repaired_is_not_reversed(stocked, people, by):
    radio, a1 = stocked["radio"], people["a1"]
    hand(by, a1, radio)
    returned = give_back(by, a1, radio, condition="damaged", reason="Antena patah")
    returns.repair_record(
        by=by,
        item=radio,
        quantity=1,
        outcome="repaired",
        done_on=D(2024, 11, 3),
        note="Antena diganti",
        done_by="Bengkel",
    )
    before = counts()
    with pytest.raises(ValidationError) as exc:
        corrections.return_correct(by=by, record=returned, reversal_reason="Salah")
    assert "repair records" in " ".join(exc.value.message_dict["record"])
    assert counts() == before and Return.objects.get().in_force


def test_corrections_and_repairs_through_the_api(client, actors, stocked, people, by):
    radio, a1 = stocked["radio"], people["a1"]
    handover = hand(by, a1, radio, quantity=2)
    line = handover.lines.get()
    login(client, actors["operator"])
    url = f"/api/v1/equipment/handover-lines/{line.pk}/correction"
    body = {"reversal_reason": "Diketik 2", "amend": True, "quantity": 1, "condition": "new"}
    made = client.post(url, body, content_type="application/json")
    assert made.status_code == 201
    lines = {row["id"]: row for row in made.json()["lines"]}
    assert not lines[line.pk]["in_force"] and lines[line.pk]["reversal_reason"] == "Diketik 2"
    new_id = lines[line.pk]["replaced_by_id"]
    assert lines[new_id]["in_force"] and lines[new_id]["quantity"] == 1
    again = client.post(url, body, content_type="application/json")
    assert again.status_code == 400 and "cannot be reversed" in again.json()["message"]
    returned = give_back(by, a1, radio, condition="damaged", reason="Antena patah")
    repair = client.post(
        f"/api/v1/equipment/items/{radio.pk}/repairs",
        {
            "quantity": 1,
            "outcome": "written_off",
            "done_on": "2024-11-02",
            "note": "Tidak bisa diperbaiki",
            "done_by": "Bengkel",
        },
        content_type="application/json",
    )
    assert repair.status_code == 201
    item = client.get(f"/api/v1/equipment/items/{radio.pk}").json()
    assert (item["written_off"], item["awaiting_repair"], item["in_stock"]) == (1, 0, 2)
    refused = client.post(
        f"/api/v1/equipment/returns/{returned.pk}/correction",
        {"reversal_reason": "Salah"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and Return.objects.get().in_force
