"""The import workflow through its services: check, preview, commit, undo."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports.commit import import_commit, import_request_commit
from pilar.imports.models import Import, ImportRow
from pilar.imports.tests.files import checked, csv_bytes, saved, template_row, xlsx_bytes
from pilar.imports.undo import import_request_undo, import_undo
from pilar.lib.nik import make_nik
from pilar.registry.models import Assignment, Person

D = datetime.date


def nik(day: D, sex: str = "P", serial: int = 1, area6: str = "137501") -> str:
    return make_nik(area6=area6, birth_date=day, sex=sex, serial=serial)


@pytest.fixture
def operator(actors):
    return actors["operator"]


@pytest.fixture
def by(operator):
    return Actor(user=operator, source=AuditEntry.Source.WEB, ip="10.0.0.1")


def registry_state() -> tuple:
    people = list(
        Person.objects.order_by("pk").values_list(
            "pk",
            "nik",
            "name",
            "sex",
            "birth_date",
            "phone",
            "residence_id",
            "bank_account",
            "updated_at",
        )
    )
    duties = list(
        Assignment.objects.order_by("pk").values_list(
            "pk", "person_id", "kind_id", "area_id", "start_date", "end_date", "end_reason"
        )
    )
    return people, duties


def problems_of(batch: Import, number: int) -> list[str]:
    return [p[3] for p in ImportRow.objects.get(batch=batch, number=number).problems]


def test_messy_roster_every_good_row_in_every_bad_row_explained(by, people):
    siti = nik(D(1980, 8, 12), "P", 11)
    budi = nik(D(1975, 3, 1), "L", 12)
    rows = [
        # 2: a clean PSM row, names as offices spell them (Guguk for Guguak is an alias)
        template_row(
            nik=siti,
            name="Siti Aminah",
            sex="Perempuan",
            birth_date="12-08-1980",
            kecamatan="Guguk Panjang",
            kelurahan="Bukit Apit Puhun",
            kind="PSM",
            start_date="01/02/2024",
            phone="0812-3456-7890",
        ),
        # 3: the same person again as TKSK of her kecamatan: allowed, but the TKSK seat is taken
        template_row(
            nik=siti,
            name="Siti Aminah",
            kind="TKSK",
            kecamatan="Guguak Panjang",
            start_date=D(2024, 2, 1),
        ),
        # 4: NIK turned into a float by Excel
        template_row(nik=1.37501e15, name="Rusak Angka", sex="L", birth_date=D(1990, 1, 1)),
        # 5: a man, serial with spaces and apostrophe, a date with an Indonesian month name
        template_row(
            nik="'" + budi[:6] + " " + budi[6:],
            name="Budi Santoso",
            sex="L",
            birth_date="1 Maret 1975",
            kind="PSM",
            kelurahan="Tangah Sawah",
            start_date="1 Januari 2024",
        ),
        # 6: a kelurahan spelled close to a real one: a warning, not silence
        template_row(
            nik=nik(D(1988, 5, 5), "L", 13),
            name="Joni",
            sex="L",
            birth_date=D(1988, 5, 5),
            kind="PSM",
            kelurahan="Tarok Dipoh",
            start_date=D(2024, 3, 1),
        ),
        # 7: birth date disagrees with the NIK
        template_row(
            nik=nik(D(1970, 1, 1), "L", 14), name="Salah Tanggal", sex="L", birth_date=D(1971, 1, 1)
        ),
    ]
    batch = checked(by, xlsx_bytes(rows))
    assert batch.status == Import.Status.PREVIEW
    s = batch.summary
    assert (s["rows"], s["new"], s["rejected"]) == (6, 3, 3)
    assert Person.objects.filter(nik=siti).count() == 0  # nothing written by the check
    assert any("TKSK" in m and "maximum is 1" in m for m in problems_of(batch, 3))
    assert any("15 digits" in m or "Excel" in m for m in problems_of(batch, 4))
    assert any("read as Tarok Dipo" in m for m in problems_of(batch, 6))
    assert any("read as Aur Tajungkang Tangah Sawah" in m for m in problems_of(batch, 5))
    assert any("does not match" in m for m in problems_of(batch, 7))
    assert ImportRow.objects.get(batch=batch, number=6).status == "new"

    with pytest.raises(ValidationError):  # warnings and rejections need consent
        import_request_commit(by=by, batch=batch, accept_warnings=False, accept_rejected=True)
    batch = saved(by, batch, accept_warnings=True, accept_rejected=True)
    assert batch.status == Import.Status.COMMITTED, batch.message
    p = Person.objects.get(nik=siti)
    assert (p.name, p.sex, p.birth_date, p.phone) == (
        "Siti Aminah",
        "P",
        D(1980, 8, 12),
        "081234567890",
    )
    duty = p.assignments.get()
    assert (duty.kind.code, duty.area.code, duty.start_date) == (
        "PSM",
        "13.75.01.1007",
        D(2024, 2, 1),
    )
    assert Person.objects.get(nik=budi).assignments.get().area.code == "13.75.01.1004"
    entry = AuditEntry.objects.filter(person=p, action="create").first()
    assert entry.source == "import" and entry.user == by.user and f"#{batch.pk}" in entry.note
    assert entry.batch == batch.pk
    written = AuditEntry.objects.filter(source="import")
    assert written.exists() and set(written.values_list("batch", flat=True)) == {batch.pk}


def test_undo_restores_the_registry_exactly(by, people, make_assignment):
    before = registry_state()
    a1 = people["a1"]
    rows = [
        template_row(nik=a1.nik, phone="0813 1111 2222", bank_account="998877"),  # update
        template_row(
            nik=nik(D(1990, 2, 2), "P", 21),
            name="Baru Satu",
            sex="P",
            birth_date=D(1990, 2, 2),
            kind="PSM",
            kelurahan="13.75.02.1002",
            start_date=D(2024, 5, 1),
        ),
        # end a1's registered PSM duty
        template_row(
            nik=a1.nik,
            kind="PSM",
            kelurahan="13.75.01.1001",
            start_date=D(2023, 1, 2),
            end_date=D(2024, 6, 30),
            end_reason="Mengundurkan diri",
        ),
    ]
    batch = saved(by, checked(by, xlsx_bytes(rows)))
    assert batch.status == Import.Status.COMMITTED, batch.message
    a1.refresh_from_db()
    assert a1.phone == "081311112222"
    assert a1.assignments.get().end_date == D(2024, 6, 30)
    assert registry_state() != before

    import_request_undo(by=by, batch=batch)
    import_undo(batch_id=batch.pk, by=by)
    assert registry_state() == before
    batch.refresh_from_db()
    assert batch.status == Import.Status.UNDONE
    undone = AuditEntry.objects.filter(note__startswith=f"undo of import #{batch.pk}")
    assert undone.exists()
    # The undo's own writes name the import by number, as the import's writes do.
    assert {e.batch for e in undone.filter(source="import")} == {batch.pk}


def test_undo_refused_when_later_work_depends_on_it(by, people, make_assignment):
    rows = [
        template_row(
            nik=nik(D(1990, 2, 2), "P", 31),
            name="Baru Dua",
            sex="P",
            birth_date=D(1990, 2, 2),
            kind="PSM",
            kelurahan="13.75.02.1002",
            start_date=D(2024, 5, 1),
        ),
    ]
    batch = saved(by, checked(by, xlsx_bytes(rows)))
    person = Person.objects.get(name="Baru Dua")
    make_assignment(person, "TAGANA", "13.75", start=D(2024, 7, 1))
    state = registry_state()
    with pytest.raises(ValidationError) as exc:
        import_request_undo(by=by, batch=batch)
    assert "cannot be undone" in exc.value.messages[0]
    assert registry_state() == state


def test_commit_refuses_when_the_registry_changed_since_the_preview(by, people, make_person):
    new_nik = nik(D(1992, 4, 4), "L", 41)
    rows = [template_row(nik=new_nik, name="Calon", sex="L", birth_date=D(1992, 4, 4))]
    batch = checked(by, xlsx_bytes(rows))
    assert batch.summary["new"] == 1
    make_person("Calon Lain", sex="L", birth_date=D(1992, 4, 4), nik=new_nik)
    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=True)
    batch = import_commit(batch_id=batch.pk, by=by)
    assert batch.status == Import.Status.PREVIEW
    assert "Nothing was saved" in batch.message
    assert Person.objects.get(nik=new_nik).name == "Calon Lain"


def test_csv_in_windows_1252_with_semicolons(by, people):
    rows = [
        template_row(
            nik=nik(D(1985, 1, 1), "L", 51), name="Andrés Müller", sex="L", birth_date="01.01.1985"
        )
    ]
    batch = checked(by, csv_bytes(rows, delimiter=";", encoding="cp1252"), "roster.csv")
    assert batch.file_format == "csv"
    assert batch.summary["new"] == 1, ImportRow.objects.filter(batch=batch).values("problems")
    saved(by, batch)
    assert Person.objects.filter(name="Andrés Müller").exists()
