"""The printed certificate: it renders, says what it certifies in Indonesian, carries a QR code
that reads back as the verification address, and never the NIK or contact details."""

import subprocess

import pytest

from pilar.trainings.certificates.numbering import grouped_code
from pilar.trainings.certificates.pdf import certificate_pdf, certificates_pdf, date_range
from pilar.trainings.tests.certificate_support import D, enrol, make_event

pytestmark = pytest.mark.django_db


def pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def to_png(path, prefix, dpi: int = 100) -> list:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(path), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "*.png"))


def read_qr(png) -> str:
    out = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, check=True)
    return out.stdout.decode().strip()


def test_dates_in_indonesian():
    assert date_range(D(2024, 10, 22), D(2024, 10, 22)) == "22 Oktober 2024"
    assert date_range(D(2024, 10, 21), D(2024, 10, 23)) == "21–23 Oktober 2024"
    assert date_range(D(2024, 9, 30), D(2024, 10, 2)) == "30 September – 2 Oktober 2024"
    assert date_range(D(2024, 12, 30), D(2025, 1, 2)) == "30 Desember 2024 – 2 Januari 2025"


def test_certificate_renders_with_name_and_without_nik(certified, people, tmp_path, office):
    certified.signer_name = "Drs. Penandatangan"
    path = tmp_path / "s.pdf"
    path.write_bytes(certificate_pdf(certified))
    text = pdf_text(path)
    a1 = people["a1"]
    for expected in [
        "SERTIFIKAT",
        "Nomor: 0001/SERT/2024",
        "diberikan kepada",
        "Ani Kecamatan A",
        "Pelatihan Dasar PSM",
        "32 jam",
        "21–22 Oktober 2024",
        "Berlaku sampai 21 Oktober 2025",
        "Bukittinggi, 22 Oktober 2024",
        "Drs. Penandatangan",
        office.name.upper(),
        grouped_code(certified.code),
    ]:
        assert expected in " ".join(text.split()), expected
    for secret in [a1.nik, a1.nik[:8], a1.phone, a1.address]:
        assert secret not in text
    pages = to_png(path, tmp_path / "page")
    assert len(pages) == 1
    assert read_qr(pages[0]) == f"{office.public_url}/c/{certified.code}/"


def test_never_expiring_and_a_long_name(people, issuer, tmp_path):
    from pilar.trainings.certificates.services import certificate_issue

    ev = make_event("Orientasi Tagana", validity_months=None)
    a2 = people["a2"]
    a2.name = "Muhammad Budi Santoso Putra Pratama Kurniawan Wijayakusuma Nasution"
    a2.save()
    cert = certificate_issue(by=issuer, participant=enrol(ev, a2))
    path = tmp_path / "s.pdf"
    path.write_bytes(certificate_pdf(cert))
    text = " ".join(pdf_text(path).split())
    assert "Berlaku tanpa batas waktu" in text and a2.name in text
    assert len(to_png(path, tmp_path / "p", dpi=30)) == 1


def test_bundle_one_page_each(people, cert_event, issuer, tmp_path):
    from pilar.trainings.certificates.services import certificates_issue_for_event

    for p in people.values():
        enrol(cert_event, p)
    summary = certificates_issue_for_event(by=issuer, event=cert_event)
    seen = []
    path = tmp_path / "all.pdf"
    path.write_bytes(certificates_pdf(summary.issued, progress=seen.append))
    assert seen == [1, 2, 3, 4]
    pages = to_png(path, tmp_path / "page", dpi=60)
    assert len(pages) == 4
    text = pdf_text(path)
    for p in people.values():
        assert p.name in text and p.nik not in text


SIGNER = "Dra. Rina Marlina, S.Sos, M.Si"
LONG = (
    "Prof. Dr. Hj. Rina Marlina Syafrizal Datuak Rajo Bagindo, S.Sos., S.H., M.Si., M.H., "
    "M.Kes., Ph.D., Kepala Dinas Sosial Kota Bukittinggi Periode Kedua, Pembina Utama Muda, "
    "Golongan IV/c, Satya Lencana"
)


def test_certificate_prints_the_signer_whole_as_issued(
    people, cert_event, issuer, office, tmp_path
):
    """The signer as the certificate was issued: the name with its degrees whole on one line,
    the position on a line of its own above, the NIP below; a later change of the office's
    signer does not change a certificate already issued."""
    from pilar.trainings.certificates.services import certificate_issue

    office.signer_name = SIGNER
    office.signer_title = "Kepala Dinas Sosial"
    office.signer_nip = "19700512 199503 2 001"
    office.save()
    certificate = certificate_issue(by=issuer, participant=enrol(cert_event, people["a1"]))
    office.signer_name = "Someone Else"
    office.signer_title = "Sekretaris"
    office.save()
    certificate.refresh_from_db()
    path = tmp_path / "s.pdf"
    path.write_bytes(certificate_pdf(certificate))
    lines = [line.strip() for line in pdf_text(path).splitlines() if line.strip()]
    names = [line for line in lines if "Rina" in line]
    assert len(names) == 1 and names[0].endswith(SIGNER)
    position = [n for n, line in enumerate(lines) if line.endswith("Kepala Dinas Sosial")]
    nip = [n for n, line in enumerate(lines) if line.endswith("NIP. 19700512 199503 2 001")]
    assert position and nip
    assert position[0] < lines.index(names[0]) < nip[0]
    assert not any(line.startswith(("S.Sos", "M.Si")) for line in lines)
    text = " ".join(lines)
    assert "Someone Else" not in text and "Sekretaris" not in text


def test_certificate_long_signer_wraps_inside_its_corner(
    people, cert_event, issuer, office, tmp_path
):
    """A signer's name of 200 characters with commas and dots wraps between words, stays
    right of the QR code's note and inside the frame, and overlaps no other word."""
    from pilar.lib.tests.pdf_words import overlapping, word_boxes
    from pilar.trainings.certificates.services import certificate_issue

    office.signer_name = LONG
    office.signer_nip = "19700512 199503 2 001"
    office.save()
    certificate = certificate_issue(by=issuer, participant=enrol(cert_event, people["a1"]))
    pdf = certificate_pdf(certificate)
    boxes = word_boxes(pdf, tmp_path)
    assert overlapping(boxes) == []
    width = 842.0  # A4 landscape, points
    signer = [b for b in boxes if b[1] > 595 - 70 * 2.835 and b[0] > width / 2]
    assert LONG in " ".join(w for *_box, w in signer)
    assert all(x0 > 12 * 2.835 and x1 < width - 12 * 2.835 for x0, _y0, x1, _y1, _w in signer)


def test_the_signer_is_issued_whole_and_fits(people, cert_event, issuer, office):
    """The office's signer fits what a certificate keeps (never cut short: the office's fields
    are no longer than the certificate's), and is issued with its spaces tidied; an empty
    signer is the head of office, with the head's position and NIP."""
    from pilar.offices.models import Office
    from pilar.trainings.certificates.services import certificate_issue
    from pilar.trainings.models import Certificate

    for name in ("signer_name", "signer_title", "signer_nip", "head_name", "head_title"):
        kept = name.replace("head_", "signer_")
        limit = Office._meta.get_field(name).max_length
        assert limit <= Certificate._meta.get_field(kept).max_length, name
    office.signer_name = ""
    office.head_name, office.head_title = "Drs. Kepala", "Kepala Dinas Sosial"
    office.head_nip = "19700512 199503 1 001"
    office.save()
    head = certificate_issue(by=issuer, participant=enrol(cert_event, people["a1"]))
    assert (head.signer_name, head.signer_title, head.signer_nip) == (
        "Drs. Kepala",
        "Kepala Dinas Sosial",
        "19700512 199503 1 001",
    )
    office.signer_name = "  Dra. Rina  Marlina, S.Sos, M.Si  "
    office.save()
    certificate = certificate_issue(by=issuer, participant=enrol(cert_event, people["a2"]))
    assert certificate.signer_name == "Dra. Rina Marlina, S.Sos, M.Si"


def test_a_certificate_prints_without_the_logo_when_its_file_has_gone(certified, tmp_path, office):
    """The logo's file lost (uploads not restored, deleted by hand): the certificate still
    prints, without it, as every other document of the office does."""
    office.logo.name = "office/gone.png"
    office.save(update_fields=["logo"])
    path = tmp_path / "s.pdf"
    path.write_bytes(certificate_pdf(certified))
    assert "SERTIFIKAT" in pdf_text(path)
