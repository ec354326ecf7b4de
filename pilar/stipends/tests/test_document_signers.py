"""Who signs the payment list (daftar nominatif) and the receipts: the head of office and the
treasurer printed as entered — a name with degrees and titles ("Dra. Rina Marlina, S.Sos, M.Si")
whole on one line, the position on a line of its own, the NIP on another — read back from the
PDF as pdftotext lays it out. A name too long for the block wraps between words and overlaps
nothing."""

import subprocess
from pathlib import Path

import pytest

from pilar.lib.tests.pdf_words import overlapping, word_boxes
from pilar.stipends.documents import nominatif_pdf, receipts_pdf
from pilar.stipends.tests.conftest import approved

pytestmark = pytest.mark.django_db

HEAD = "Dra. Rina Marlina, S.Sos, M.Si"
HEAD_NIP = "19700512 199503 2 001"
TREASURER = "Yusrizal, S.E., M.Ak"
TREASURER_NIP = "19820203 200801 1 004"
LONG = (
    "Prof. Dr. Hj. Rina Marlina Syafrizal Datuak Rajo Bagindo, S.Sos., S.H., M.Si., M.H., "
    "M.Kes., Ph.D., Kepala Dinas Sosial Kota Bukittinggi Periode Kedua, Pembina Utama Muda, "
    "Golongan IV/c, Satya Lencana"
)


def layout_lines(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return [line.strip() for line in out.stdout.decode().splitlines() if line.strip()]


def line_with(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert found, f"no line holds {text!r}"
    return found[0]


@pytest.fixture
def signers(office):
    office.head_title = "Kepala Dinas Sosial"
    office.head_name = HEAD
    office.head_nip = HEAD_NIP
    office.treasurer_title = "Bendahara Pengeluaran"
    office.treasurer_name = TREASURER
    office.treasurer_nip = TREASURER_NIP
    office.save()
    return office


def test_nominatif_prints_names_whole_and_positions_apart(rates, banked, by, signers, tmp_path):
    batch = approved(by, banked["a1"], banked["b1"])
    lines = layout_lines(nominatif_pdf(batch), tmp_path)
    # Side by side, as signed: the head at the left, the treasurer at the right of one line.
    names = line_with(lines, HEAD)
    assert TREASURER in names and names.index(HEAD) < names.index(TREASURER)
    positions = line_with(lines, "Kepala Dinas Sosial")
    assert "Bendahara Pengeluaran" in positions
    assert "Rina" not in positions and "Yusrizal" not in positions
    nips = line_with(lines, f"NIP. {HEAD_NIP}")
    assert f"NIP. {TREASURER_NIP}" in nips and "Rina" not in nips
    # Nothing cut at a comma: no line starts with a degree that belongs to the name.
    assert not any(line.startswith(("S.Sos", "M.Si", "S.E.")) for line in lines)
    # The order down the block: position, name, NIP.
    assert lines.index(positions) < lines.index(names) < lines.index(nips)


def test_nominatif_without_names_leaves_lines_to_write_in(rates, banked, by, office, tmp_path):
    office.head_name = office.treasurer_name = ""
    office.head_nip = office.treasurer_nip = ""
    office.save()
    batch = approved(by, banked["a1"])
    text = "\n".join(layout_lines(nominatif_pdf(batch), tmp_path))
    assert text.count("(" + "." * 48 + ")") == 2
    assert text.count("NIP. " + "." * 36) == 2


def test_receipt_prints_the_treasurer_whole(rates, banked, by, signers, tmp_path):
    batch = approved(by, banked["a1"], banked["b1"])
    lines = layout_lines(receipts_pdf(batch), tmp_path)
    names = [line for line in lines if TREASURER in line]
    assert len(names) == 2  # one receipt each, the recipient's name beside it
    assert all("Kecamatan" in line for line in names)
    positions = [line for line in lines if "Bendahara Pengeluaran" in line]
    assert len(positions) == 2 and all("Yusrizal" not in line for line in positions)
    assert sum(f"NIP. {TREASURER_NIP}" in line for line in lines) == 2


def test_long_names_wrap_between_words_without_overlap(rates, banked, by, signers, tmp_path):
    """A 200-character name with commas and dots (the form allows it) wraps inside its block,
    word by word, and touches neither the other block nor the lines above and below."""
    other = LONG.replace("Rina", "Rini")
    assert len(LONG) == len(other) == 200
    signers.head_name = LONG
    signers.treasurer_name = other
    signers.save()
    batch = approved(by, banked["a1"])
    for pdf, names in ((nominatif_pdf(batch), (LONG, other)), (receipts_pdf(batch), (other,))):
        boxes = word_boxes(pdf, tmp_path)
        assert overlapping(boxes) == []
        middle = 595.0 / 2 if len(names) == 2 else None
        for n, name in enumerate(names):
            # The block's words, left or right of the middle, read in order: the name whole.
            side = [
                w
                for x0, _y0, x1, _y1, w in boxes
                if middle is None or (x1 <= middle if n == 0 else x0 >= middle)
            ]
            assert name in " ".join(side)


def test_a_batch_prints_the_office_as_it_was_approved(rates, banked, by, signers, tmp_path):
    """The payment list and receipts keep the letterhead and signers of the day the batch was
    approved (docs/OFFICE.md); a batch approved before the office was a record (no copy)
    prints the office as it is now."""
    from pilar.stipends.models import StipendBatch

    batch = approved(by, banked["a1"])
    signers.name, signers.city = "Dinas Sosial P3A Kota Bukittinggi", "Kota Bukittinggi"
    signers.head_name, signers.treasurer_name = "Drs. Kepala Baru", "Bendahara Baru, S.E."
    signers.save()
    for pdf in (nominatif_pdf(batch), receipts_pdf(batch)):
        text = " ".join(layout_lines(pdf, tmp_path))
        assert TREASURER in text and "DINAS SOSIAL KOTA BUKITTINGGI" in text.upper()
        assert "Baru" not in text and "P3A" not in text
    assert HEAD in " ".join(layout_lines(nominatif_pdf(batch), tmp_path))
    StipendBatch.objects.filter(pk=batch.pk).update(office_copy=None)
    batch.refresh_from_db()
    text = " ".join(layout_lines(nominatif_pdf(batch), tmp_path))
    assert "Drs. Kepala Baru" in text and "Bendahara Baru, S.E." in text and "P3A" in text
