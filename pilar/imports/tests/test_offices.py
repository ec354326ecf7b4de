"""Roster imports on an installation of many offices (docs/OFFICE.md, "Many offices";
docs/IMPORTS.md): an import is its office's, reached by id from no other office, writes nothing
outside the office's area, and its background work acts for its office."""

from __future__ import annotations

import datetime

import pytest

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports import tasks
from pilar.imports.commit import import_request_commit
from pilar.imports.models import Import
from pilar.imports.tests.files import checked, template_row, upload, xlsx_bytes
from pilar.lib.nik import make_nik
from pilar.registry.models import Person
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

D = datetime.date


def duty_row(serial: int, kelurahan: str, kecamatan: str, area6: str) -> list:
    return template_row(
        nik=make_nik(area6=area6, birth_date=D(1990, 5, 5), sex="L", serial=serial),
        name=f"Warga {serial}",
        sex="L",
        birth_date=D(1990, 5, 5),
        kind="PSM",
        kelurahan=kelurahan,
        kecamatan=kecamatan,
        start_date=D(2024, 7, 1),
    )


@pytest.fixture
def padang_panjang(make_user, other_office):
    return make_user("op-pp", Role.OPERATOR, office=other_office)


@pytest.fixture
def bukittinggi(make_user, office, other_office):
    return make_user("op-bkt", Role.OPERATOR, office=office)


def test_a_row_in_another_offices_kelurahan_is_rejected_naming_row_and_column(
    people, padang_panjang
):
    rows = [
        duty_row(901, "Kelurahan Uji Satu", "Padang Panjang Timur", "137401"),
        duty_row(902, "Tarok Dipo", "Guguk Panjang", "137501"),  # Bukittinggi's
    ]
    batch = checked(Actor(user=padang_panjang), xlsx_bytes(rows))
    assert batch.office.area.code == "13.74"
    mine, theirs = batch.rows.get(number=2), batch.rows.get(number=3)
    assert mine.status == "new", mine.problems
    assert theirs.status == "rejected"
    assert any(p[1] == "kelurahan" and "outside the area" in p[3] for p in theirs.problems)


def test_a_bukittinggi_operator_cannot_write_into_padang_panjang(people, bukittinggi):
    batch = checked(
        Actor(user=bukittinggi),
        xlsx_bytes([duty_row(903, "Kelurahan Uji Satu", "Padang Panjang Timur", "137401")]),
    )
    row = batch.rows.get(number=2)
    assert row.status == "rejected"
    assert any(p[1] == "kelurahan" for p in row.problems)


def test_another_offices_import_is_not_found_by_id_nor_listed(
    client, people, padang_panjang, bukittinggi
):
    batch = checked(
        Actor(user=padang_panjang),
        xlsx_bytes([duty_row(904, "Kelurahan Uji Satu", "Padang Panjang Timur", "137401")]),
    )
    login(client, bukittinggi)
    for url in (
        f"/imports/{batch.pk}/",
        f"/imports/{batch.pk}/progress/",
        f"/imports/{batch.pk}/rejected.xlsx",
        f"/api/v1/imports/{batch.pk}",
        f"/api/v1/imports/{batch.pk}/rows",
    ):
        assert client.get(url).status_code == 404, url
    commit = client.post(f"/api/v1/imports/{batch.pk}/commit", {}, content_type="application/json")
    assert commit.status_code == 404
    assert "roster.xlsx" not in client.get("/imports/").content.decode()
    assert client.get("/api/v1/imports").json() == []
    login(client, padang_panjang)
    assert client.get(f"/imports/{batch.pk}/").status_code == 200
    assert [b["id"] for b in client.get("/api/v1/imports").json()] == [batch.pk]


def test_the_province_may_not_import(client, make_user, province_office, other_office):
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    login(client, prov)
    content = xlsx_bytes([duty_row(905, "Kelurahan Uji Satu", "Padang Panjang Timur", "137401")])
    assert client.get("/imports/").status_code == 403
    assert client.post("/imports/upload/", {"file": upload(content)}).status_code == 403
    assert client.post("/api/v1/imports", {"file": upload(content)}).status_code == 403
    assert not Import.objects.exists()


def test_saving_in_the_background_acts_for_the_imports_office(people, padang_panjang):
    """The worker's entries are the import's office's even when no user acts (the office
    itself saving, as after a restart)."""
    by = Actor(user=padang_panjang)
    batch = checked(
        by, xlsx_bytes([duty_row(906, "Kelurahan Uji Satu", "Padang Panjang Timur", "137401")])
    )
    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=False)
    tasks.commit_import.call(batch.pk, None, None, AuditEntry.Source.IMPORT)
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.filter(name="Warga 906").exists()
    written = AuditEntry.objects.filter(source=AuditEntry.Source.IMPORT, batch=batch.pk)
    assert written.exists()
    assert set(written.values_list("office_id", flat=True)) == {padang_panjang.office_id}


def test_another_offices_nik_tells_nothing_of_its_duties(people, padang_panjang):
    """The outsider's probe: a roster row with a Bukittinggi pillar's NIK and a made-up name
    read the start of her duty from the overlap message."""
    a1 = people["a1"]
    start = a1.assignments.get().start_date
    row = template_row(
        nik=a1.nik,
        name="Nama Palsu",
        kind="PSM",
        kelurahan="Kelurahan Uji Satu",
        kecamatan="Padang Panjang Timur",
        start_date=start,
    )
    batch = checked(Actor(user=padang_panjang), xlsx_bytes([row]))
    problems = [p for r in batch.rows.all() for p in r.problems]
    assert batch.rows.get().status == "rejected"
    assert any(p[1] == "nik" and "outside your area" in p[3] for p in problems)
    told = " ".join(str(p) for p in problems)
    assert str(start.year) not in told and a1.name not in told
