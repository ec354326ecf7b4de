"""The BAST as a person sees it: rendered to images by poppler and read back as text."""

import datetime
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from pilar.equipment import services
from pilar.equipment.bast_pdf import bast_pdf, day_in_words
from pilar.equipment.tests.conftest import OCT22, hand, make_event

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "bast.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def rendered_pages(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("page-*.png"))]


def test_the_day_is_written_in_words():
    assert day_in_words(OCT22) == (
        "hari ini Selasa tanggal dua puluh dua bulan Oktober tahun dua ribu dua puluh empat"
    )
    assert day_in_words(datetime.date(2021, 3, 1)) == (
        "hari ini Senin tanggal satu bulan Maret tahun dua ribu dua puluh satu"
    )


def test_bast_for_one_receiver(stocked, people, by, tmp_path):
    a1 = people["a1"]
    handover = hand(
        by,
        a1,
        stocked["radio"],
        place="Kantor Dinas Sosial",
        witnesses=[("Rina Marlina", "Kasi Linjamsos"), ("Joni", "Staf")],
        giver_title="Kepala Bidang Linjamsos",
    )
    pdf = bast_pdf(handover)
    pages = rendered_pages(pdf, tmp_path)
    assert len(pages) == 1 and pages[0].size == (414, 585)
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "DINAS SOSIAL KOTA BUKITTINGGI",
        "BERITA ACARA SERAH TERIMA BARANG",
        "Nomor: 001/BAST-SARPRAS/2024",
        "Pada hari ini Selasa tanggal dua puluh dua bulan Oktober tahun dua ribu dua puluh",
        "Kantor Dinas Sosial",
        "PIHAK PERTAMA",
        "PIHAK KEDUA",
        "Ani Kecamatan A",
        a1.masked_nik,
        "PSM Tarok Dipo",
        "Radio HT (*)",
        "Kode aset: KIB-B 02.06.01",
        "Rina Marlina",
        "Kasi Linjamsos",
        "Kepala Bidang Linjamsos",
    ]:
        assert expected in text, expected
    assert a1.nik not in text


def test_bast_from_an_event_lists_receivers_in_the_lampiran(stocked, people, by, tmp_path):
    attendees = [people["a1"], people["a2"], people["b1"], people["tksk_a"]]
    event = make_event(attendees)
    handover = services.handover_from_event(
        by=by,
        event=event,
        items=[(stocked["vest"], 1), (stocked["bag"], 1)],
        giver_name="Kepala Dinas Sosial",
        witnesses=[("Rina", "Kasi")],
    )
    pdf = bast_pdf(handover)
    assert len(rendered_pages(pdf, tmp_path)) == 2
    text = pdf_text(pdf, tmp_path)
    assert "para penerima" in text.lower() and "lampiran" in text.lower()
    assert "sebanyak 4 (empat) orang" in text
    assert "LAMPIRAN BERITA ACARA SERAH TERIMA BARANG" in text
    assert "1 buah per orang" in text
    for person in attendees:
        assert person.name in text
        assert person.masked_nik in text
        assert person.nik not in text
    assert text.count("1 buah Rompi Pilar Sosial; 1 buah") == 4
    assert "TKSK Guguak Panjang" in text


def test_a_bast_prints_the_office_as_it_was_made(stocked, people, by, office, tmp_path):
    """A BAST keeps the office's name and city of the day it was saved (docs/OFFICE.md); one
    saved before the office was a record prints the office as it is now."""
    from pilar.equipment.models import Handover

    handover = hand(by, people["a1"], stocked["radio"])
    office.name, office.city = "Dinas Sosial P3A Kota Bukittinggi", "Kota Lama"
    office.save()
    text = pdf_text(bast_pdf(handover), tmp_path)
    assert "DINAS SOSIAL KOTA BUKITTINGGI" in text and "P3A" not in text
    assert "Kota Lama" not in text
    Handover.objects.filter(pk=handover.pk).update(office_copy=None)
    handover.refresh_from_db()
    text = pdf_text(bast_pdf(handover), tmp_path)
    assert "P3A" in text and "Kota Lama" in text
