import datetime

import pytest
from python_calamine import CalamineWorkbook

from pilar.audit.services import Actor
from pilar.verivali import exports, services

from .conftest import D, nik, visit_of
from .test_services import accept, proposal, record

pytestmark = pytest.mark.django_db


def read(content: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(__import__("io").BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


@pytest.fixture
def reviewed(round, households, actors, a2_user):
    """Findings in every state: accepted (corrected, moved, deceased, confirmed, proposed),
    one returned, one waiting."""
    pillar, coordinator = actors["pillar"], actors["coordinator_a"]
    h1, h2, h3 = households["h1"], households["h2"], households["h3"]
    head1 = h1.members.get(relation="head")
    new_nik = nik("L")
    accept(
        coordinator,
        record(
            pillar,
            visit_of(round, h1),
            kind="corrected",
            changes={
                "decile": 1,
                "members": {str(head1.pk): {"nik": new_nik}},
                "new_members": [{"name": "Rina", "sex": "P", "relation": "child"}],
            },
        ),
    )
    wife = h2.members.get(relation="spouse")
    accept(
        coordinator,
        record(
            pillar,
            visit_of(round, h2),
            kind="deceased",
            deceased_member=wife.pk,
            deceased_on=D(2026, 2, 14),
        ),
    )
    accept(coordinator, record(a2_user, visit_of(round, h3), kind="moved", moved_to="Padang"))
    proposed = services.visit_propose(by=Actor(user=pillar), round=round, data=proposal())
    accept(coordinator, proposed.finding)
    return {"new_nik": new_nik, "wife": wife, "proposed": proposed}


def test_results_rows_equal_the_accepted_findings(round, households, reviewed, actors):
    sheets = read(exports.results_xlsx(round))
    rows = sheets["Perubahan"]
    assert rows[0] == exports.HEADERS
    assert rows[0][:3] == ["ID DTSEN", "No KK", "NIK"]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    kinds = sorted(r["Jenis Perubahan"] for r in body)
    assert kinds == sorted(
        ["Data Dikoreksi", "Data Dikoreksi", "Anggota Baru", "Meninggal", "Pindah"]
        + ["Usulan Baru", "Usulan Baru"]
    )
    h1 = households["h1"]
    corrected = {r["Keterangan"]: r for r in body if r["NIK"] == reviewed["new_nik"]}
    assert set(corrected) == {"Dikoreksi: desil", "Dikoreksi: NIK"}
    corrected_member = corrected["Dikoreksi: NIK"]
    assert corrected_member["No KK"] == h1.kk_number and corrected_member["Desil"] == 1
    assert corrected_member["Tanggal Kunjungan"] == datetime.date(2026, 3, 10)
    died = next(r for r in body if r["Jenis Perubahan"] == "Meninggal")
    assert died["NIK"] == reviewed["wife"].nik and "14-02-2026" in died["Keterangan"]
    moved = next(r for r in body if r["Jenis Perubahan"] == "Pindah")
    assert moved["Kelurahan/Desa"] and moved["Keterangan"] == "Pindah ke Padang"
    assert moved["Hubungan dengan Kepala Keluarga"] == "Kepala Keluarga"
    new = [r for r in body if r["Jenis Perubahan"] == "Usulan Baru"]
    assert {r["No KK"] for r in new} == {reviewed["proposed"].proposed["kk_number"]}
    assert {r["Kode Wilayah"] for r in new} == {"1375011001"}


def test_results_leave_out_what_is_not_accepted_and_what_was_confirmed(round, households, actors):
    hb = households["hb"]
    accept(actors["coordinator_a"], record(actors["pillar"], visit_of(round, households["h1"])))
    record(actors["pillar"], visit_of(round, households["h2"]), kind="moved", moved_to="Solok")
    sheets = read(exports.results_xlsx(round))
    assert sheets["Perubahan"][1:] == []
    summary = sheets["Ringkasan per Kelurahan"]
    assert summary[0] == exports.SUMMARY_HEADERS
    by_code = {r[0]: dict(zip(summary[0], r, strict=True)) for r in summary[1:]}
    assert by_code["1375011001"]["Jumlah Rumah Tangga"] == 2
    assert by_code["1375011001"]["Diterima"] == 1
    assert by_code["1375011001"]["Menunggu Pemeriksaan"] == 1
    assert by_code["1375011001"]["Dikonfirmasi"] == 1
    assert by_code[hb.area.code_digits]["Belum Dikunjungi"] == 1


def test_results_read_a_bounded_number_of_queries(round, reviewed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        exports.results_xlsx(round)
