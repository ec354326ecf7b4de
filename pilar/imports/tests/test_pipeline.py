"""Large files are read by a second process: its results must be the ones of the single one."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_commit, import_request_commit
from pilar.imports.models import Import
from pilar.imports.tests.files import template_row, upload, xlsx_bytes
from pilar.lib.nik import make_nik
from pilar.registry.models import Person

D = datetime.date


def roster(people) -> bytes:
    """Good rows, bad rows, a registered person changed, a close spelling, a conflict."""
    rows = []
    for i in range(40):
        born = D(1970, 1, 1) + datetime.timedelta(days=97 * i)
        nik = make_nik(area6="137503", birth_date=born, sex="P", serial=600 + i)
        rows.append(
            template_row(
                nik=nik,
                name=f"Ibu {i}",
                sex="P",
                birth_date=born,
                kind="PSM",
                kelurahan="Birugo" if i % 3 else "Tarok Dipoh",
                start_date=D(2024, 7, 1),
            )
        )
    rows.append(template_row(nik="123", name="Salah"))
    rows.append(template_row(nik=people["a1"].nik, phone="0813 5555 6666"))
    twice = make_nik(area6="137503", birth_date=D(1990, 9, 9), sex="L", serial=700)
    rows.append(template_row(nik=twice, name="Dua", sex="L", birth_date=D(1990, 9, 9)))
    rows.append(template_row(nik=twice, name="Dua Kali", sex="L", birth_date=D(1990, 9, 9)))
    return xlsx_bytes(rows)


def outcome(batch: Import) -> tuple:
    return (
        batch.summary,
        list(batch.rows.order_by("number").values_list("number", "status", "problems", "plan")),
    )


def test_the_second_process_gives_the_same_preview_and_saves_the_same(settings, actors, people):
    by = Actor(user=actors["operator"])
    content = roster(people)
    results = []
    for parallel_from in (10**12, 0):  # one process; then always two
        settings.PILAR_IMPORT_PARALLEL_BYTES = parallel_from
        batch = services.import_upload(by=by, upload=upload(content), filename="r.xlsx")
        services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
        batch = services.import_check(batch_id=batch.pk)
        results.append(outcome(batch))
    assert results[0] == results[1]
    summary = results[1][0]
    assert (summary["new"], summary["updated"], summary["rejected"]) == (40, 1, 3)
    import_request_commit(by=by, batch=batch, accept_warnings=True, accept_rejected=True)
    batch = import_commit(batch_id=batch.pk, by=by)
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert Person.objects.filter(name__startswith="Ibu ").count() == 40


def test_the_dry_run_in_two_processes(settings, tmp_path, people):
    settings.PILAR_IMPORT_PARALLEL_BYTES = 0
    path = Path(tmp_path) / "r.xlsx"
    path.write_bytes(roster(people))
    summary, problems, layout = services.check_in_memory(path, user=None)
    assert layout.header_row == 1 and layout.mapping["0"] == "nik"
    assert (summary.rows, summary.rejected) == (44, 3)
    assert {r.number for r in problems if r.status == "rejected"} == {42, 44, 45}


def test_a_file_problem_found_by_the_second_process_is_reported(settings, tmp_path, people):
    settings.PILAR_IMPORT_PARALLEL_BYTES = 0
    path = Path(tmp_path) / "r.csv"
    path.write_bytes(("NIK,Nama\n1375014506800001," + "x" * 200_000 + "\n").encode())
    with pytest.raises(services.FileProblem, match="Line 2 of the CSV file holds a cell"):
        services.check_in_memory(path, user=None)
