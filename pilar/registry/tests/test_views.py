import datetime

import pytest
from python_calamine import CalamineWorkbook

from pilar.audit.models import AuditEntry
from pilar.lib.nik import make_nik
from pilar.registry.models import Assignment, Person
from pilar.tests_support import login


def test_list_masks_nik_and_filters(client, actors, people):
    login(client, actors["operator"])
    page = client.get("/pillars/", {"kind": "PSM", "area": "13.75.01"})
    html = page.content.decode()
    a1 = people["a1"]
    assert a1.masked_nik in html and a1.nik not in html
    assert page.context["people_count"] == 2
    assert "Citra" not in html


def test_search_by_name_and_phone(client, actors, people):
    login(client, actors["operator"])
    assert client.get("/pillars/", {"q": "citra"}).context["people_count"] == 1
    assert client.get("/pillars/", {"q": "0812345"}).context["people_count"] == 4


def test_masked_nik_cannot_be_probed_by_searching_its_digits(client, actors, people):
    a1 = people["a1"]
    login(client, actors["coordinator_a"])
    assert client.get("/pillars/", {"q": a1.nik[:12]}).context["people_count"] == 0
    assert client.get("/pillars/", {"q": a1.nik}).context["people_count"] == 0
    export = client.get("/pillars/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "1985-06-15" not in export and a1.nik not in export
    client.logout()
    login(client, actors["operator"])
    assert client.get("/pillars/", {"q": a1.nik[:12]}).context["people_count"] >= 1


def test_detail_shows_full_nik_to_operator_and_logs_the_view(client, actors, people):
    login(client, actors["operator"])
    a1 = people["a1"]
    html = client.get(f"/pillars/{a1.pk}/").content.decode()
    assert a1.nik in html
    entry = AuditEntry.objects.get(action="view_personal", person=a1)
    assert entry.username == "operator1"


def test_detail_masks_nik_for_coordinator_and_logs_nothing(client, actors, people):
    login(client, actors["coordinator_a"])
    a1 = people["a1"]
    html = client.get(f"/pillars/{a1.pk}/").content.decode()
    assert a1.masked_nik in html and a1.nik not in html
    assert not AuditEntry.objects.filter(action="view_personal").exists()


def test_register_person_with_bad_nik_shows_message_and_saves_nothing(client, actors, reference):
    login(client, actors["operator"])
    before = Person.objects.count()
    page = client.post(
        "/pillars/new/",
        {"nik": "13750112345", "name": "Baru", "sex": "L", "birth_date": "1990-02-03"},
    )
    assert page.status_code == 400
    assert page.context["form"].errors["nik"]
    assert "NIK" in page.content.decode()
    assert Person.objects.count() == before


def test_form_shows_every_problem_at_once(client, actors, reference):
    login(client, actors["operator"])
    page = client.post(
        "/pillars/new/", {"nik": "1375 0112 34", "name": "Coba", "birth_date": "2099-01-01"}
    )
    errors = page.context["form"].errors
    assert {"sex", "nik", "birth_date"} <= set(errors)
    assert "16" in " ".join(errors["nik"])


def test_nik_typed_with_spaces_is_accepted(client, actors, reference):
    login(client, actors["operator"])
    nik = make_nik(area6="137501", birth_date=datetime.date(1990, 1, 5), sex="L", serial=42)
    spaced = " ".join([nik[:6], nik[6:12], nik[12:]])
    response = client.post(
        "/pillars/new/", {"nik": spaced, "name": "Spasi", "sex": "L", "birth_date": "1990-01-05"}
    )
    assert response.status_code == 302
    assert Person.objects.get(name="Spasi").nik == nik


def test_register_then_add_and_end_a_duty_through_pages(client, actors, area, kind):
    login(client, actors["operator"])
    nik = make_nik(area6="137502", birth_date=datetime.date(1991, 3, 4), sex="L", serial=77)
    response = client.post(
        "/pillars/new/",
        {
            "nik": nik,
            "name": "Joni Saputra",
            "sex": "L",
            "birth_date": "1991-03-04",
            "residence": area("13.75.02.1003").pk,
            "phone": "0812 3456 7890",
        },
    )
    person = Person.objects.get(nik=nik)
    assert response.status_code == 302 and response.url == f"/pillars/{person.pk}/"
    assert person.phone == "081234567890"
    kec = area("13.75.02")
    page = client.post(
        f"/pillars/{person.pk}/assignments/new/",
        {"kind": kind("PSM").pk, "area": kec.pk, "start_date": "2024-01-02"},
    )
    assert page.status_code == 400 and page.context["form"].errors["area"]  # PSM at a kecamatan
    kel = area("13.75.02.1003")
    client.post(
        f"/pillars/{person.pk}/assignments/new/",
        {
            "kind": kind("PSM").pk,
            "area": kel.pk,
            "start_date": "2024-01-02",
            "sk_number": "460/1/2024",
        },
    )
    duty = Assignment.objects.get(person=person)
    page = client.post(
        f"/assignments/{duty.pk}/end/", {"end_date": "2023-01-01", "end_reason": "resigned"}
    )
    assert page.context["form"].errors["end_date"]
    client.post(
        f"/assignments/{duty.pk}/end/", {"end_date": "2024-12-31", "end_reason": "resigned"}
    )
    duty.refresh_from_db()
    assert duty.end_date == datetime.date(2024, 12, 31)
    history = client.get(f"/pillars/{person.pk}/").content.decode()
    assert "460/1/2024" in history
    assert AuditEntry.objects.filter(person=person, action__in=["create", "end"]).count() == 3


def test_list_exports_open_in_a_spreadsheet_reader(client, actors, people, tmp_path):
    login(client, actors["operator"])
    response = client.get("/pillars/", {"kind": "PSM", "format": "xlsx"})
    path = tmp_path / "x.xlsx"
    path.write_bytes(response.content)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "NIK"
    assert sorted(r[0] for r in rows[1:]) == sorted(
        p.nik for p in Person.objects.filter(name__contains="Kecamatan")
    )
    csv = client.get("/pillars/", {"format": "csv"}).content
    assert csv.startswith("\ufeff".encode())
    assert AuditEntry.objects.filter(action="view_personal", object_type="registry.person").exists()


def test_headcount_page_links_and_exports(client, actors, people, tmp_path):
    login(client, actors["operator"])
    page = client.get("/headcount/", {"as_of": "2024-10-22"})
    html = page.content.decode()
    assert "/pillars/?active_on=2024-10-22&amp;kind=PSM" in html
    response = client.get("/headcount/", {"as_of": "2024-10-22", "format": "xlsx"})
    path = tmp_path / "h.xlsx"
    path.write_bytes(response.content)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    total_row = rows[-1]
    assert total_row[-1] == 4  # 3 PSM + 1 TKSK


def test_viewer_sees_headcount_without_links_to_people(client, actors, people):
    login(client, actors["viewer"])
    html = client.get("/headcount/", {"as_of": "2024-10-22"}).content.decode()
    assert "/pillars/?" not in html
    assert client.get("/pillars/").status_code == 403


def test_photo_is_served_only_to_those_who_may_see_the_person(
    client, actors, people, settings, tmp_path
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), "teal").save(buffer, "JPEG")
    a1 = people["a1"]
    login(client, actors["operator"])
    response = client.post(
        f"/pillars/{a1.pk}/edit/",
        {
            "nik": a1.nik,
            "name": a1.name,
            "sex": a1.sex,
            "birth_date": "1985-06-15",
            "phone": a1.phone,
            "photo": SimpleUploadedFile("foto.jpg", buffer.getvalue(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    assert client.get(f"/pillars/{a1.pk}/photo/").status_code == 200
    assert f"/pillars/{a1.pk}/photo/" in client.get(f"/pillars/{a1.pk}/").content.decode()
    client.logout()
    login(client, actors["coordinator_b"])
    assert client.get(f"/pillars/{a1.pk}/photo/").status_code == 404
    client.logout()
    assert client.get(f"/pillars/{a1.pk}/photo/").status_code == 302  # to the login page


def test_area_operator_registers_and_assigns_within_their_area_only(
    client, make_user, people, area, kind, system_actor
):
    from pilar.registry import services

    operator_a = make_user("operator-a", "operator", area="13.75.01")
    login(client, operator_a)
    nik = make_nik(area6="137501", birth_date=datetime.date(1992, 2, 2), sex="L", serial=55)
    response = client.post(
        "/pillars/new/",
        {
            "nik": nik,
            "name": "Baru A",
            "sex": "L",
            "birth_date": "1992-02-02",
            "residence": area("13.75.01.1004").pk,
        },
    )
    person = Person.objects.get(nik=nik)
    assert client.get(response.url).status_code == 200  # reachable before any duty
    page = client.post(
        f"/pillars/{person.pk}/assignments/new/",
        {"kind": kind("PSM").pk, "area": area("13.75.02.1001").pk, "start_date": "2024-01-02"},
    )
    assert page.context["form"].errors["area"]  # outside their area
    client.post(
        f"/pillars/{person.pk}/assignments/new/",
        {"kind": kind("PSM").pk, "area": area("13.75.01.1004").pk, "start_date": "2024-01-02"},
    )
    assert person.assignments.count() == 1
    # Someone who once served in A but now serves only in B is not theirs to change.
    b1 = people["b1"]
    old = services.assignment_create(
        by=system_actor,
        person=b1,
        kind=kind("KARANG_TARUNA"),
        area=area("13.75.01.1001"),
        start_date=datetime.date(2015, 1, 5),
        end_date=datetime.date(2016, 1, 5),
        end_reason="term_ended",
    )
    assert old.pk
    assert client.get(f"/pillars/{b1.pk}/edit/").status_code == 404


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels: a few hundred bytes on disk, gigabytes if
    a server tried to decode it (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    body = zlib.compress(b"\x00" * 1000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height", "said"),
    [
        (10_000, 10_000, "The picture has 100 million pixels; the most accepted is 60 million"),
        (40_000, 40_000, "far more pixels than the 60 million accepted"),
    ],
)
def test_a_decompression_bomb_photo_is_refused_with_the_reason(
    client, actors, people, width, height, said
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    a1 = people["a1"]
    login(client, actors["operator"])
    response = client.post(
        f"/pillars/{a1.pk}/edit/",
        {
            "nik": a1.nik,
            "name": a1.name,
            "sex": a1.sex,
            "birth_date": "1985-06-15",
            "phone": a1.phone,
            "photo": SimpleUploadedFile(
                "bom.png", _png_header_only(width, height), content_type="image/png"
            ),
        },
    )
    assert response.status_code == 400
    assert said in response.content.decode()
    a1.refresh_from_db()
    assert not a1.photo


def test_a_long_pillar_export_runs_as_a_job_with_the_same_file(
    client, actors, people, settings, tmp_path, django_capture_on_commit_callbacks
):
    login(client, actors["operator"])
    streamed = client.get("/pillars/", {"kind": "PSM", "format": "csv"}).content
    settings.PILAR_EXPORT_BACKGROUND_FROM = 2
    settings.PILAR_EXPORT_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/pillars/", {"kind": "PSM", "format": "csv"})
    assert started.status_code == 302
    body = b"".join(client.get(started["Location"] + "download/").streaming_content)
    assert body == streamed
