"""The office record: seeded once from the environment, then the record rules; read at most
once per request; tied to its area."""

import pytest
from django.db import IntegrityError

from pilar.audit.models import AuditEntry
from pilar.offices import current
from pilar.offices.copies import certificate_signer
from pilar.offices.models import Office
from pilar.offices.services import office_seed, remembered
from pilar.regions.models import Area
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def test_a_migrated_database_holds_the_office_of_its_area(reference):
    # `reference` puts back the area tree and the office as the migrations left them when an
    # earlier test emptied the database (pilar/core/tests/test_demo_today.py flushes it).
    office = current()
    assert office.area == Area.objects.get(code="13.75")
    assert (office.name, office.city) == ("Dinas Sosial Kota Bukittinggi", "Bukittinggi")
    assert office.report_due_day == 10 and office.stipend_report_required
    assert Office.objects.count() == 1


def test_seeded_from_the_environment_once_then_the_record_rules(settings):
    Office.objects.all().delete()
    settings.PILAR_OFFICE_NAME = "Dinas Sosial Kabupaten Agam"
    settings.PILAR_OFFICE_HEAD_NAME = "Drs. Kepala"
    settings.PILAR_OFFICE_HEAD_NIP = "19700512 199503 1 001"
    settings.PILAR_CERTIFICATE_SIGNER_NAME = "Drs. Kepala"  # the default: the head
    settings.PILAR_PUBLIC_URL = "https://pilar.example.org/"
    settings.PILAR_REPORT_DUE_DAY = 31
    office = current()
    assert office.name == "Dinas Sosial Kabupaten Agam"
    assert office.public_url == "https://pilar.example.org"
    assert office.report_due_day == 28  # the most a month always has
    # A signer equal to the head is stored as "the head", who may change later.
    assert office.signer_name == "" and certificate_signer(office).name == "Drs. Kepala"
    assert AuditEntry.objects.filter(object_type="offices.office", action="create").exists()
    # From now on the environment changes nothing.
    settings.PILAR_OFFICE_NAME = "Something Else"
    assert current().name == "Dinas Sosial Kabupaten Agam"
    assert Office.objects.count() == 1


def test_an_area_not_loaded_yet_leaves_the_office_without_one(settings):
    Office.objects.all().delete()
    settings.PILAR_OFFICE_AREA = "99.01"
    office = current()
    assert office.area is None and office.name
    # A second seeding (two first requests at once) finds the first office, never a second.
    assert office_seed().pk == office.pk
    assert Office.objects.count() == 1


def test_one_office_per_area():
    area = current().area
    with pytest.raises(IntegrityError):
        Office.objects.create(
            area=area,
            name="Kedua",
            city="X",
            head_title="K",
            treasurer_title="B",
            public_url="https://x.example.org",
        )


def test_read_once_per_request(client, actors, django_assert_num_queries):
    with remembered(), django_assert_num_queries(1):
        for _ in range(5):
            current()
    login(client, actors["operator"])
    client.get("/pillars/")  # warm: session, menu addresses
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/pillars/")
    offices = [q for q in queries.captured_queries if '"offices_office"' in q["sql"]]
    assert len(offices) == 1


def test_the_logo_is_drawn_on_letterheads_and_a_lost_file_prints_without(office, tmp_path):
    import io
    import subprocess

    from django.core.files.base import ContentFile
    from PIL import Image

    from pilar.audit.services import Actor
    from pilar.lib.pdf import Document
    from pilar.offices.copies import office_copy
    from pilar.offices.services import office_update

    def images(letterhead) -> int:
        doc = Document(title="Surat", office=letterhead)
        doc.paragraph("Isi surat.")
        path = tmp_path / "surat.pdf"
        path.write_bytes(doc.finish())
        out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True)
        return len(out.stdout.decode().splitlines()) - 2  # two header lines

    assert images(office_copy().letterhead()) == 0
    picture = io.BytesIO()
    Image.new("RGBA", (300, 200), (20, 90, 160, 255)).save(picture, "PNG")
    office_update(
        by=Actor.system(), office=office, data={"logo": ContentFile(picture.getvalue(), "l.png")}
    )
    copy = office_copy()
    assert copy.logo.startswith("office/")
    assert images(copy.letterhead()) >= 1
    office.logo.storage.delete(copy.logo)
    assert images(copy.letterhead()) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"public_url": "ftp://pilar.example.go.id"},
        {"public_url": "https://pilar.example.go.id/"},
        {"public_url": "https://pilar.example.go.id/?a=1"},
        {"public_url": "https://pilar.example.go.id#top"},
        {"report_due_day": 29},
        {"head_nip": "1970"},
        {"area": "kecamatan"},
    ],
    ids=["scheme", "slash", "query", "fragment", "due-day", "nip", "kecamatan"],
)
def test_the_service_refuses_what_the_page_refuses_and_changes_nothing(office, area, data):
    """The rules live in the model, so a script or a later API calling the service meets them
    too, not only the settings page."""
    from django.core.exceptions import ValidationError

    from pilar.audit.services import Actor
    from pilar.offices.services import office_update

    if data.get("area") == "kecamatan":
        data = {"area": area("13.75.01")}
    before = Office.objects.values().get(pk=office.pk)
    with pytest.raises(ValidationError):
        office_update(by=Actor.system(), office=office, data=data)
    assert Office.objects.values().get(pk=office.pk) == before
