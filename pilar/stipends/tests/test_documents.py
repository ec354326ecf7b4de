"""The documents finance prints and the bank file it sends, checked as a person would see them:
the PDF rendered to an image and read back as text, the XLSX opened in LibreOffice."""

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from pilar.lib.exports import to_xlsx
from pilar.stipends import services
from pilar.stipends.bankfile import TRANSFER_HEADERS, transfer_rows
from pilar.stipends.documents import nominatif_pdf, receipts_pdf
from pilar.stipends.tests.conftest import AUGUST, JULY, approved, drafted, report

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def rendered_pages(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    """The PDF as poppler draws it, one image per page (as a viewer or a printer would)."""
    path = tmp_path / "render.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("page-*.png"))]


def inked(image: Image.Image) -> float:
    """The share of the page that is printed on (not white)."""
    dark = sum(image.histogram()[:200])
    return dark / (image.width * image.height)


def test_nominatif_renders_names_totals_and_words(rates, banked, by, tmp_path):
    a1, b1 = banked["a1"], banked["b1"]
    batch = approved(by, a1, b1)
    pdf = nominatif_pdf(batch)
    pages = rendered_pages(pdf, tmp_path)
    assert len(pages) == 1
    assert pages[0].size == (414, 585)  # A4 (210 × 297 mm) at 50 dpi
    assert 0.01 < inked(pages[0]) < 0.5
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "DINAS SOSIAL KOTA BUKITTINGGI",
        "DAFTAR NOMINATIF PENERIMA TALI KASIH",
        batch.title,
        "Juli 2024",
        "Tahun anggaran",
        "APBD",
        "Kel. Tarok Dipo, Kec. Guguak Panjang",
        "Kel. Campago Guguk Bulek, Kec. Mandiangin Koto Selayan",
        "Ani Kecamatan A",
        "Citra Kecamatan B",
        a1.nik,
        "Bank Nagari 1100000000",
        "Tanda tangan",
        "800.000",
        "Terbilang: delapan ratus ribu rupiah",
        "Kepala Dinas Sosial",
        "Bendahara Pengeluaran",
        "Bukittinggi, 20 November 2024",
        "Halaman 1 dari 1",
    ]:
        assert expected in text, expected
    # One subtotal per kelurahan, in the order of the area codes.
    assert text.index("Kel. Tarok Dipo") < text.index("Kel. Campago")
    assert text.count("400.000") == 4  # two rows, two subtotals


def test_nominatif_prints_the_frozen_copy(rates, banked, by, tmp_path):
    a1 = banked["a1"]
    batch = approved(by, a1)
    a1.name, a1.bank_account = "Ani Berganti Nama", "9999999999"
    a1.save()
    text = pdf_text(nominatif_pdf(batch), tmp_path)
    assert "Ani Kecamatan A" in text and "1100000000" in text
    assert "Berganti" not in text and "9999999999" not in text


def test_nominatif_by_kind_sums_months_and_leaves_out_failed(rates, banked, by, tmp_path):
    a1, a2 = banked["a1"], banked["a2"]
    batch = approved(by, a1, a2, months=(JULY, AUGUST))
    failed = batch.lines.get(person=a2, month=AUGUST)
    services.stipend_batch_record(
        by=by["finance"],
        batch=batch,
        outcomes=[services.Outcome(failed, False, "Rekening ditutup")],
        paid_on=failed.batch.approved_at.date(),
    )
    text = pdf_text(nominatif_pdf(batch, group_by="kind"), tmp_path)
    assert "Pekerja Sosial Masyarakat" in text and "(PSM)" not in text
    assert "Wilayah" in text and "Kel. Tarok Dipo" in text and "Kel. Bukit Cangang" in text
    assert "Jul–Agu 2024" in text and "800.000" in text  # Ani: two months
    assert "1.200.000" in text and "satu juta dua ratus ribu rupiah" in text
    assert "Agu 2024" not in text.replace("Jul–Agu 2024", "")  # Budi's failed August


def test_long_nominatif_repeats_the_header_and_numbers_pages(
    rates, by, tmp_path, make_person, make_assignment
):
    people = []
    for n in range(60):
        person = make_person(
            f"Penerima Nomor {n:02d}",
            bank_name="Bank Nagari",
            bank_account=f"22{n:08d}",
            bank_holder=f"Penerima {n}",
        )
        make_assignment(person, "PSM", "13.75.01.1001")
        people.append(person)
    batch = approved(by, *people)
    pdf = nominatif_pdf(batch)
    pages = rendered_pages(pdf, tmp_path)
    assert len(pages) == 3
    assert all(inked(page) > 0.01 for page in pages)
    text = pdf_text(pdf, tmp_path)
    assert text.count("Tanda tangan") == 3
    assert "Halaman 3 dari 3" in text and "(lanjutan)" in text
    assert "24.000.000" in text and "dua puluh empat juta rupiah" in text


def test_documents_wait_for_approval(rates, banked, by):
    batch = drafted(by, banked["a1"])
    with pytest.raises(ValidationError, match="once it is approved"):
        nominatif_pdf(batch)
    batch = services.stipend_batch_verify(by=by["finance"], batch=batch)
    with pytest.raises(ValidationError, match="“Verified by finance”"):
        receipts_pdf(batch)


def test_receipts_one_per_recipient(rates, banked, by, tmp_path):
    a1, b1 = banked["a1"], banked["b1"]
    batch = approved(by, a1, b1, months=(JULY, AUGUST))
    pdf = receipts_pdf(batch)
    pages = rendered_pages(pdf, tmp_path)
    assert len(pages) == 1 and inked(pages[0]) > 0.01
    text = pdf_text(pdf, tmp_path)
    assert text.count("KUITANSI") == 2
    assert "Telah terima dari" in text and "Dinas Sosial Kota Bukittinggi" in text
    assert text.count("delapan ratus ribu rupiah") == 2
    assert "Pekerja Sosial Masyarakat bulan Juli–Agustus 2024" in text
    assert text.count("Rp 800.000") == 2
    assert f"No. TK{batch.pk}-{a1.pk}" in text and f"NIK {a1.nik}" in text
    assert "Yang menerima" in text and "Bendahara Pengeluaran" in text
    only = pdf_text(receipts_pdf(batch, person_ids=[b1.pk]), tmp_path)
    assert only.count("KUITANSI") == 1 and "Citra Kecamatan B" in only
    assert "Ani Kecamatan A" not in only


def test_transfer_xlsx_opens_in_libreoffice(rates, banked, by, tmp_path):
    """The bank file is read by the bank's own spreadsheet: accounts stay text (a leading zero
    kept), amounts stay numbers. Fails, never skips, on a machine without LibreOffice."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: run scripts/setup.sh --test (libreoffice-calc-nogui)"
    a1, b1 = banked["a1"], banked["b1"]
    b1.bank_account = "0012345678"
    b1.save()
    batch = approved(by, a1, b1, months=(JULY, AUGUST))
    xlsx = tmp_path / "transfer.xlsx"
    xlsx.write_bytes(to_xlsx(TRANSFER_HEADERS, transfer_rows(batch)))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open(tmp_path / "transfer.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == TRANSFER_HEADERS
    by_account = {row[2]: row for row in rows[1:]}
    assert set(by_account) == {"1100000000", "0012345678"}
    assert by_account["0012345678"][3] == "Citra Kecamatan B"
    assert by_account["0012345678"][5] == "800000"
    assert by_account["1100000000"][1] == f"TK{batch.pk}-{a1.pk}"
    assert by_account["1100000000"][6] == "TALI KASIH PSM 07-08/2024"


def test_documents_print_kinds_by_name_whole_words(
    rates, by, tmp_path, make_person, make_assignment
):
    """The "Jenis" column and the receipts name the kind ("Pendamping KUBE"), never its code
    ("PENDAMPING_KUBE", once printed cut into "PENDAMPIN / G KUBE"), and wrap between words."""
    coach = make_person("Pendamping Satu", bank_name="Bank Nagari", bank_account="3300000001")
    make_assignment(coach, "PENDAMPING_KUBE", "13.75.01")
    tksk = make_person("Tenaga Dua", bank_name="Bank Nagari", bank_account="3300000002")
    make_assignment(tksk, "TKSK", "13.75.02")
    report(coach, JULY, kind="PENDAMPING_KUBE")
    report(tksk, JULY, kind="TKSK")
    batch = approved(by, kinds=("PENDAMPING_KUBE", "TKSK"))
    for group_by in ("area", "kind"):
        pdf = nominatif_pdf(batch, group_by=group_by)
        text = pdf_text(pdf, tmp_path)
        words = " ".join(text.split())
        assert "Pendamping KUBE" in words, group_by
        assert "Tenaga Kesejahteraan Sosial Kecamatan" in words, group_by
        for cut in ("PENDAMPING", "PENDAMPIN", "TKSK"):
            assert cut not in text, (group_by, cut)
        for word in ("Pendamping", "Kesejahteraan", "Kecamatan"):
            # Each word whole on its line: a word cut at the column's edge would not match.
            assert any(
                line.strip().startswith(word) or f" {word}" in line
                for line in text.splitlines()
                if word in line
            ), word
    receipts = " ".join(pdf_text(receipts_pdf(batch), tmp_path).split())
    assert "Tali kasih Pendamping KUBE bulan Juli 2024" in receipts
    assert "PENDAMPING" not in receipts
