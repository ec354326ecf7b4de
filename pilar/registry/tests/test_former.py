"""A coordinator sees a person who left their kecamatan only as they were there
(docs/PRIVACY.md): the detail page, the list and the headcount's drill-down, the exports (at once
and as a background job) and the API all agree, and none gives the new phone, address, bank
account or duty elsewhere."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat, translation
from python_calamine import CalamineWorkbook

from pilar.accounts.models import Role, RoleGrant
from pilar.audit.models import AuditEntry
from pilar.regions.models import Area
from pilar.registry import services
from pilar.registry.models import Assignment
from pilar.tests_support import login

A_KELURAHAN = "13.75.01.1001"
B_KELURAHAN = "13.75.02.1001"
NEW_PHONE = "081977553311"
NEW_ADDRESS = "Jalan Rumah Baru Nomor 77"
NEW_BANK = "Bank Pindahan Sejahtera"
NEW_ACCOUNT = "998877665544"
OLD_SK = "188.45/77/WAKO-2021"
NEW_SK = "188.45/99/WAKO-2023"
A_START = datetime.date(2021, 1, 4)
A_END = datetime.date(2023, 6, 30)


def long_date(day: datetime.date) -> str:
    with translation.override("id"):
        return dateformat.format(day, "j F Y")


@pytest.fixture
def moved(make_person, make_assignment, system_actor):
    """Eka served as PSM in kecamatan A (2021–June 2023), then moved to kecamatan B, where she
    serves now as a TKSK with a new phone, address and bank account."""
    eka = make_person("Eka Pernah Di A", kelurahan=A_KELURAHAN, phone="081200000001")
    duty_a = make_assignment(eka, "PSM", A_KELURAHAN, start=A_START, sk_number=OLD_SK)
    services.assignment_end(by=system_actor, assignment=duty_a, end_date=A_END, end_reason="moved")
    make_assignment(
        eka, "TKSK", "13.75.02", start=A_END + datetime.timedelta(days=1), sk_number=NEW_SK
    )
    services.person_update(
        by=system_actor,
        person=eka,
        data={
            "phone": NEW_PHONE,
            "address": NEW_ADDRESS,
            "residence": Area.objects.get(code=B_KELURAHAN),
            "bank_name": NEW_BANK,
            "bank_account": NEW_ACCOUNT,
            "bank_holder": "Eka Rekening Baru",
        },
    )
    eka.refresh_from_db()
    return eka


def assert_current_life_hidden(text: str, eka) -> None:
    """None of Eka's life today: the new contact, residence, bank, the duty in B (its SK and
    its area), nor the full NIK."""
    b_name = Area.objects.get(code=B_KELURAHAN).name
    for secret in (
        NEW_PHONE,
        NEW_ADDRESS,
        NEW_BANK,
        NEW_ACCOUNT,
        "Eka Rekening Baru",
        NEW_SK,
        b_name,
        eka.nik,
    ):
        assert secret not in text, secret


def test_detail_shows_a_former_pillar_only_as_they_were_in_the_area(client, actors, moved):
    login(client, actors["coordinator_a"])
    page = client.get(f"/pillars/{moved.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert moved.name in html and moved.masked_nik in html
    assert OLD_SK in html and long_date(A_START) in html and long_date(A_END) in html
    assert_current_life_hidden(html, moved)
    # The change history would tell the new phone: not shown either.
    assert "081200000001" not in html
    assert client.get(f"/pillars/{moved.pk}/photo/").status_code == 404


def test_someone_still_serving_in_the_area_is_seen_as_today(client, actors, people, moved):
    login(client, actors["coordinator_a"])
    a1 = people["a1"]
    html = client.get(f"/pillars/{a1.pk}/").content.decode()
    assert "081234567890" in html and "former-note" not in html
    # The kecamatan where Eka serves now sees her as she is today.
    client.logout()
    login(client, actors["coordinator_b"])
    html = client.get(f"/pillars/{moved.pk}/").content.decode()
    assert NEW_PHONE in html and NEW_SK in html and OLD_SK in html


def test_office_wide_roles_are_unchanged(client, actors, moved):
    login(client, actors["admin"])
    html = client.get(f"/pillars/{moved.pk}/").content.decode()
    assert NEW_PHONE in html and NEW_ACCOUNT in html and moved.nik in html


def test_an_area_operator_gets_neither_the_full_nik_nor_a_logged_full_view(
    client, make_user, moved
):
    """An operator (full NIK by role) scoped to kecamatan A: the former pillar's NIK stays
    masked, and the minimal look is not logged as a view of full personal data."""
    login(client, make_user("op-a", Role.OPERATOR, area="13.75.01"))
    html = client.get(f"/pillars/{moved.pk}/").content.decode()
    assert moved.masked_nik in html
    assert_current_life_hidden(html, moved)
    assert not AuditEntry.objects.filter(action="view_personal", person=moved).exists()
    data = client.get(f"/api/v1/people/{moved.pk}").json()
    assert data["nik"] == moved.masked_nik and data["birth_date"] is None
    assert not AuditEntry.objects.filter(action="view_personal", person=moved).exists()
    export = client.get("/pillars/", {"format": "csv"}).content.decode("utf-8-sig")
    assert moved.masked_nik in export
    assert_current_life_hidden(export, moved)
    assert "1985-06-15" not in export


def test_list_and_headcount_drill_down(client, actors, people, moved):
    login(client, actors["coordinator_a"])
    html = client.get("/pillars/").content.decode()
    assert moved.name in html and moved.masked_nik in html
    assert_current_life_hidden(html, moved)
    assert "081234567890" in html  # those still serving keep their phone on the list
    # The headcount's link for a day in 2022: Eka counted in A, with her duty there.
    drill = client.get("/pillars/", {"active_on": "2022-03-01", "kind": "PSM", "area": "13.75.01"})
    html = drill.content.decode()
    assert moved.name in html and "PSM" in html
    assert_current_life_hidden(html, moved)


def test_search_does_not_find_a_former_pillar_by_the_new_phone(client, actors, moved):
    login(client, actors["coordinator_a"])
    assert client.get("/pillars/", {"q": NEW_PHONE}).context["people_count"] == 0
    assert client.get("/pillars/", {"q": "Eka"}).context["people_count"] == 1
    client.logout()
    login(client, actors["coordinator_b"])
    assert client.get("/pillars/", {"q": NEW_PHONE}).context["people_count"] == 1


def rows_of(xlsx: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_index(0).to_python()


def test_xlsx_export_holds_the_area_duty_and_nothing_of_today(client, actors, moved):
    login(client, actors["coordinator_a"])
    response = client.get(
        "/pillars/", {"active_on": "2022-03-01", "area": "13.75.01", "format": "xlsx"}
    )
    rows = rows_of(response.content)
    eka = [r for r in rows if moved.name in r]
    assert len(eka) == 1
    row = eka[0]
    assert moved.masked_nik in row and "PSM" in row and OLD_SK in row
    assert A_START in row and A_END in row
    text = "\n".join(" ".join(str(c) for c in r) for r in rows)
    assert_current_life_hidden(text, moved)
    # Today's list: Eka without a duty shown (none in A today), still nothing of her new life.
    today = rows_of(client.get("/pillars/", {"format": "xlsx"}).content)
    assert any(moved.name in r for r in today)
    assert_current_life_hidden("\n".join(" ".join(str(c) for c in r) for r in today), moved)


def test_background_export_job_agrees(
    client, actors, people, moved, settings, tmp_path, django_capture_on_commit_callbacks
):
    login(client, actors["coordinator_a"])
    query = {"active_on": "2022-03-01", "format": "xlsx"}
    streamed = rows_of(client.get("/pillars/", query).content)
    settings.PILAR_EXPORT_BACKGROUND_FROM = 1
    settings.PILAR_EXPORT_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        started = client.get("/pillars/", query)
    assert started.status_code == 302
    body = b"".join(client.get(started["Location"] + "download/").streaming_content)
    rows = rows_of(body)
    assert rows == streamed
    assert any(moved.name in r and OLD_SK in r for r in rows)
    assert_current_life_hidden("\n".join(" ".join(str(c) for c in r) for r in rows), moved)


def test_api_agrees(client, actors, people, moved):
    login(client, actors["coordinator_a"])
    listed = client.get("/api/v1/people", {"limit": 100}).json()
    eka = next(p for p in listed if p["id"] == moved.pk)
    assert eka["name"] == moved.name and eka["nik"] == moved.masked_nik
    assert eka["former"] is True and eka["phone"] == "" and eka["residence_code"] is None
    assert eka["active_kinds"] == [] and eka["age"] is None
    a1 = next(p for p in listed if p["id"] == people["a1"].pk)
    assert a1["phone"] == "081234567890" and a1["former"] is False
    detail = client.get(f"/api/v1/people/{moved.pk}")
    assert detail.status_code == 200
    data = detail.json()
    assert [
        (a["kind"], a["area_code"], a["start_date"], a["end_date"], a["sk_number"])
        for a in data["assignments"]
    ] == [("PSM", A_KELURAHAN, A_START.isoformat(), A_END.isoformat(), OLD_SK)]
    assert data["address"] == "" and data["bank_name"] == "" and data["bank_holder"] == ""
    assert_current_life_hidden(detail.content.decode(), moved)
    assert_current_life_hidden(client.get("/api/v1/people").content.decode(), moved)
    assert client.get("/api/v1/people", {"q": NEW_PHONE}).json() == []


def test_a_duty_yet_to_start_in_the_area_counts_as_serving(client, actors, moved, make_assignment):
    make_assignment(
        moved, "PSM", A_KELURAHAN, start=datetime.date.today() + datetime.timedelta(days=30)
    )
    login(client, actors["coordinator_a"])
    html = client.get(f"/pillars/{moved.pk}/").content.decode()
    assert NEW_PHONE in html


def test_the_list_reads_a_constant_number_of_queries(
    client, actors, people, make_person, make_assignment, system_actor
):
    """However many of the people listed left the area, the page costs the same queries."""
    login(client, actors["coordinator_a"])

    def leave(n: int) -> None:
        for i in range(n):
            p = make_person(f"Pindah {n}-{i}", kelurahan=A_KELURAHAN)
            duty = make_assignment(p, "PSM", A_KELURAHAN, start=A_START)
            services.assignment_end(
                by=system_actor, assignment=duty, end_date=A_END, end_reason="moved"
            )
            make_assignment(p, "PSM", B_KELURAHAN, start=A_END + datetime.timedelta(days=1))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/pillars/", {"kind": "PSM"}).status_code == 200
        return len(ctx.captured_queries)

    leave(1)
    one = count()
    leave(6)
    assert count() == one
    assert Assignment.objects.filter(end_reason="moved").count() == 7


def test_a_newcomer_without_a_duty_is_seen_as_today_where_they_live(
    client, actors, make_person, moved
):
    fajar = make_person("Fajar Baru Daftar", kelurahan=A_KELURAHAN, phone="081255500011")
    login(client, actors["coordinator_a"])
    assert "081255500011" in client.get(f"/pillars/{fajar.pk}/").content.decode()
    html = client.get("/pillars/").content.decode()
    assert "081255500011" in html and NEW_PHONE not in html


def test_trainings_and_equipment_show_only_what_was_before_the_person_left(
    actors, moved, system_actor
):
    """Of Eka, who left kecamatan A on 30 June 2023, A's coordinator sees the training taken and
    the radio handed while she served in A — and its return, made later — not the course taken
    nor the laptop handed afterwards in B; an office-wide user sees all of it."""
    from pilar.equipment import returns
    from pilar.equipment import services as equipment
    from pilar.equipment.models import HandoverLine, Return
    from pilar.offices import current
    from pilar.trainings.models import Course, Participant, TrainingEvent

    course = Course.objects.create(office=current(), name="Pelatihan Dasar", level="basic", hours=8)
    events = {}
    for key, day in (("in_a", datetime.date(2022, 3, 1)), ("in_b", datetime.date(2024, 2, 1))):
        events[key] = TrainingEvent.objects.create(
            office=current(),
            course=course,
            title=f"Kegiatan {key}",
            start_date=day,
            end_date=day,
            place="Aula",
        )
        Participant.objects.create(event=events[key], person=moved)
    radio = equipment.item_create(
        by=system_actor, name="Radio HT", category="communication", unit="unit", needs_return=True
    )
    laptop = equipment.item_create(
        by=system_actor, name="Laptop", category="other", unit="unit", needs_return=True
    )
    for item in (radio, laptop):
        equipment.stock_receive(
            by=system_actor, item=item, received_on=datetime.date(2021, 1, 2), quantity=2,
            source="APBD",
        )  # fmt: skip
    for item, day in ((radio, datetime.date(2022, 5, 2)), (laptop, datetime.date(2024, 3, 4))):
        equipment.handover_create(
            by=system_actor, handed_on=day, giver_name="Kabid", lines=[(moved, item, 1, "new")]
        )
    for item in (radio, laptop):
        returns.return_record(
            by=system_actor, person=moved, item=item, quantity=1, condition="good",
            returned_on=datetime.date(2024, 6, 3), reason="",
        )  # fmt: skip

    coordinator, admin = actors["coordinator_a"], actors["admin"]
    seen = Participant.objects.visible_to(coordinator).filter(person=moved)
    assert {p.event.title for p in seen} == {"Kegiatan in_a"}
    assert Participant.objects.visible_to(admin).filter(person=moved).count() == 2
    lines = HandoverLine.objects.visible_to(coordinator).filter(person=moved)
    assert [line.item.name for line in lines] == ["Radio HT"]
    returns = Return.objects.visible_to(coordinator).filter(person=moved)
    assert [r.item.name for r in returns] == ["Radio HT"]  # returned after she left: still A's
    assert Return.objects.visible_to(admin).filter(person=moved).count() == 2
    # The other kecamatan's coordinator sees her life there, as today.
    b_lines = HandoverLine.objects.visible_to(actors["coordinator_b"]).filter(person=moved)
    assert {line.item.name for line in b_lines} == {"Radio HT", "Laptop"}


# One scope rule for every area-limited role: an operator limited to one kecamatan.

BIRTH = "1985-06-15"


def links_of(html: str) -> set[str]:
    """Every in-site link and form target of a page (not assets, not tel: links)."""
    found = set(re.findall(r'href="(/[^"#]*)"', html))
    return {h.replace("&amp;", "&") for h in found if not h.startswith(("/static/", "/media/"))}


def assert_every_link_answers(client, html: str) -> None:
    for href in links_of(html):
        status = client.get(href).status_code
        assert status in (200, 302), (href, status)


@pytest.fixture
def operator_a(make_user):
    return make_user("op-a", Role.OPERATOR, area="13.75.01")


def test_a_former_pillar_seen_by_an_area_operator_everywhere(client, operator_a, people, moved):
    login(client, operator_a)
    page = client.get(f"/pillars/{moved.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and moved.masked_nik in html and "former-note" in html
    assert_current_life_hidden(html, moved)
    assert "15 Juni 1985" not in html and "Edit" not in html
    assert_every_link_answers(client, html)
    # The list, its exports, the API (list and one person), the search.
    listed = client.get("/pillars/").content.decode()
    assert moved.name in listed
    assert_current_life_hidden(listed, moved)
    csv = client.get("/pillars/", {"format": "csv"}).content.decode("utf-8-sig")
    eka_line = next(line for line in csv.splitlines() if moved.name in line)
    assert eka_line.startswith(moved.masked_nik) and BIRTH not in eka_line
    assert_current_life_hidden(csv, moved)
    xlsx = rows_of(client.get("/pillars/", {"format": "xlsx"}).content)
    eka = next(r for r in xlsx if moved.name in r)
    assert moved.masked_nik in eka and datetime.date(1985, 6, 15) not in eka
    data = client.get(f"/api/v1/people/{moved.pk}").json()
    assert data["nik"] == moved.masked_nik and data["birth_date"] is None
    assert data["former"] is True and data["phone"] == "" and data["bank_account"] == ""
    assert_current_life_hidden(client.get("/api/v1/people", {"q": "Eka"}).content.decode(), moved)
    assert client.get("/pillars/", {"q": "Eka"}).context["people_count"] == 1
    for digits in (NEW_PHONE, moved.nik, moved.nik[-8:]):
        assert client.get("/pillars/", {"q": digits}).context["people_count"] == 0, digits
        assert client.get("/api/v1/people", {"q": digits}).json() == []
    assert not AuditEntry.objects.filter(action="view_personal", person=moved).exists()


def test_someone_appointed_in_the_area_is_seen_and_changed_alike(
    client, operator_a, moved, make_assignment
):
    """A duty in the area yet to start: seen as today, so the Edit and Add-a-duty buttons are
    offered — and they open (they answered 404: the edit scope counted only duties in force)."""
    make_assignment(
        moved, "PSM", "13.75.01.1002", start=datetime.date.today() + datetime.timedelta(days=20)
    )
    login(client, operator_a)
    html = client.get(f"/pillars/{moved.pk}/").content.decode()
    assert moved.nik in html and f"/pillars/{moved.pk}/edit/" in html
    assert_every_link_answers(client, html)


def test_no_end_link_for_a_duty_held_outside_the_readers_area(
    client, operator_a, people, make_assignment
):
    """Budi serves in A and, as TKSK, in B: seen as today with every duty, but only the duty in
    A can be ended by A's operator, so only it has an End link."""
    budi = people["a2"]
    tksk_b = make_assignment(budi, "TKSK", "13.75.02")
    login(client, operator_a)
    html = client.get(f"/pillars/{budi.pk}/").content.decode()
    assert f"/assignments/{tksk_b.pk}/end/" not in html
    own = budi.assignments.get(kind__code="PSM")
    assert f"/assignments/{own.pk}/end/" in html
    assert_every_link_answers(client, html)


def test_full_nik_only_within_the_area_of_the_grant_that_gives_it(client, operator_a, people):
    """An operator of kecamatan A who is also the office's approver (all people, masked NIK):
    the full NIK, birth date and bank account only of those serving in A."""
    RoleGrant.objects.create(user=operator_a, role=Role.APPROVER)
    b1, a1 = people["b1"], people["a1"]
    login(client, operator_a)
    html = client.get(f"/pillars/{b1.pk}/").content.decode()
    assert b1.masked_nik in html and b1.nik not in html and "15 Juni 1985" not in html
    assert "/edit/" not in html
    assert_every_link_answers(client, html)
    assert not AuditEntry.objects.filter(action="view_personal", person=b1).exists()
    assert a1.nik in client.get(f"/pillars/{a1.pk}/").content.decode()
    assert client.get(f"/api/v1/people/{b1.pk}").json()["nik"] == b1.masked_nik
    assert client.get(f"/api/v1/people/{a1.pk}").json()["nik"] == a1.nik
    csv = client.get("/pillars/", {"format": "csv"}).content.decode("utf-8-sig")
    b1_line = next(line for line in csv.splitlines() if b1.name in line)
    assert b1_line.startswith(b1.masked_nik) and BIRTH not in b1_line
    assert b1.nik not in csv and a1.nik in csv
    # Nor does the search by NIK digits find those whose full NIK is not shown.
    assert client.get("/pillars/", {"q": b1.nik}).context["people_count"] == 0
    assert client.get("/pillars/", {"q": a1.nik}).context["people_count"] == 1
    assert Area.objects.filter(code="13.75.02").exists()


def test_the_import_and_the_page_agree_on_who_is_in_the_area(operator_a, moved, make_assignment):
    """Eka left A: A's operator sees her minimally and the import calls her NIK outside the area.
    Appointed again in A (from next month): seen as today, and the import may change her."""
    from pilar.audit.services import Actor
    from pilar.imports.tests.files import checked, csv_bytes, template_row

    def outside() -> bool:
        row = template_row(nik=moved.nik, name=moved.name, phone="081311112222")
        with translation.override("en"):
            batch = checked(Actor(user=operator_a), csv_bytes([row]), name="roster.csv")
        problems = [p[3] for r in batch.rows.all() for p in r.problems]
        return any("registered for a person outside your area" in p for p in problems)

    assert outside()
    make_assignment(
        moved, "PSM", "13.75.01.1002", start=datetime.date.today() + datetime.timedelta(days=20)
    )
    assert not outside()
