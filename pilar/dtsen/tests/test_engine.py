"""The engine of extract imports: reading the sheet, the rules on bad input, and what each
household would become against the database (the dry run, nothing stored)."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import translation

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.casework.models import Caseload, Household
from pilar.dtsen.engine.run import check_in_memory
from pilar.dtsen.tests import extract_support as ex
from pilar.dtsen.tests.web_support import extract_bytes, make_family

pytestmark = pytest.mark.django_db

NOTHING = {"new": 0, "updated": 0, "moved": 0, "unchanged": 0, "rejected": 0, "missing": 0}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _written(tmp_path, households, **kwargs):
    path = tmp_path / "x.xlsx"
    path.write_bytes(
        extract_bytes(Household.objects.filter(pk__in=[h.pk for h in households]), **kwargs)
    )
    return path


def _families(run) -> dict:
    return run.decision.families


def _problems(run) -> dict[int, list]:
    return {r.number: r.problems for r in run.problem_rows}


@pytest.mark.parametrize("messy", [None, 7, 19])
def test_an_extract_written_from_the_database_reads_back_all_unchanged(reference, tmp_path, messy):
    households = [make_family(members=4), make_family(ex.KEL_B), make_family(ex.KEL_C, members=2)]
    path = _written(tmp_path, households, messy=random.Random(messy) if messy else None)
    run = check_in_memory(path)
    assert _problems(run) == {}
    assert run.summary["households"] == {**NOTHING, "unchanged": 3}
    assert run.summary["members"] == {"added": 0, "gone": 0, "changed": 0}


def test_an_edited_extract_previews_exactly_its_changes(reference, tmp_path, make_person):
    moving, growing, poorer, same = (make_family(members=2) for _ in range(4))
    gone_quietly = make_family()
    accompanied = make_family()
    Caseload.objects.create(
        household=accompanied, person=make_person(), start_date=datetime.date(2024, 1, 1)
    )
    own = make_family(dtsen_id="")  # the office's own household: never missing
    path = _written(tmp_path, [moving, growing, poorer, same])
    rows = _rows_of(path)
    for row in rows:
        if row["kk_number"] == moving.kk_number:
            row["area_code"] = ex.KEL_C
        if row["kk_number"] == poorer.kk_number:
            row["decile"] = 1
    newborn = {
        **next(r for r in rows if r["kk_number"] == growing.kk_number),
        "nik": "",
        "name": "Putri Baru",
        "relation": "Anak",
        "sex": "P",
        "birth_date": datetime.date(2024, 5, 2),
    }
    rows.append(newborn)
    run = check_in_memory(ex.write(tmp_path, rows, name="edited.xlsx"), as_of=datetime.date.today())
    families = _families(run)
    assert families[moving.kk_number].status == "moved"
    assert families[moving.kk_number].plan["fields"] == {"area": [ex.KEL_A, ex.KEL_C]}
    assert families[moving.kk_number].plan["moved_from"] == ex.KEL_A
    assert families[growing.kk_number].status == "updated"
    assert families[growing.kk_number].plan["fields"] == {}
    assert families[growing.kk_number].plan["members_added"] == [
        {
            "nik": "",
            "name": "Putri Baru",
            "sex": "P",
            "birth_date": "2024-05-02",
            "relation": "child",
        }
    ]
    assert families[poorer.kk_number].plan == {
        "fields": {"decile": [2, 1]},
        "members_added": [],
        "members_gone": [],
        "members_changed": [],
    }
    assert families[same.kk_number].status == "unchanged"
    missing = {m.household_id: m for m in run.decision.missing}
    assert set(missing) == {gone_quietly.pk, accompanied.pk}
    assert missing[accompanied.pk].accompanied and not missing[gone_quietly.pk].accompanied
    assert own.pk not in missing
    assert run.summary["households"] == {
        **NOTHING,
        "moved": 1,
        "updated": 2,
        "unchanged": 1,
        "missing": 2,
    }
    assert run.summary["members"] == {"added": 1, "gone": 0, "changed": 0}


def _rows_of(path) -> list[dict]:
    """The rows of an extract as the support's dicts (read with python-calamine)."""
    from pilar.lib.spreadsheet import Spreadsheet

    with Spreadsheet(path) as book:
        rows = [cells for _n, cells in book.rows(book.sheets[0].name)]
    header, body = rows[0], rows[1:]
    keys = [ex.KEYS[ex.HEADERS.index(h)] for h in header]
    return [dict(zip(keys, r, strict=False)) for r in body]


def test_a_nik_under_two_kks_rejects_every_row_that_carries_it(reference, tmp_path):
    first, second = ex.family(), ex.family()
    second[2]["nik"] = first[2]["nik"]
    run = check_in_memory(ex.write(tmp_path, first + second))
    problems = _problems(run)
    assert set(problems) == {2, 3, 4, 5, 6, 7}  # the two rows, and the rest of both families
    assert "listed under several KKs" in problems[4][0][3]
    assert "listed under several KKs" in problems[7][0][3]
    assert problems[4][0][1] == "nik"
    assert run.summary["households"] == {**NOTHING, "rejected": 2}
    assert run.summary["rows_rejected"] == 6


def test_a_kk_without_a_head_or_with_two_is_rejected_whole(reference, tmp_path):
    headless, two_heads, fine = ex.family(), ex.family(), ex.family()
    headless[0]["relation"] = "Famili Lain"
    two_heads[1]["relation"] = "1"
    run = check_in_memory(ex.write(tmp_path, headless + two_heads + fine))
    families = _families(run)
    assert families[headless[0]["kk_number"]].rejected
    assert "has no head of household" in families[headless[0]["kk_number"]].problems[0][3]
    assert families[two_heads[0]["kk_number"]].rejected
    assert "2 heads of household (rows 5, 6)" in families[two_heads[0]["kk_number"]].problems[0][3]
    assert not families[fine[0]["kk_number"]].rejected
    assert run.summary["households"] == {**NOTHING, "new": 1, "rejected": 2}


def test_the_same_person_twice_in_one_kk_rejects_the_later_row(reference, tmp_path):
    rows = ex.family()
    rows.append(dict(rows[1]))
    run = check_in_memory(ex.write(tmp_path, rows))
    problems = _problems(run)
    assert problems[5][0][:2] == ["rejected", "nik"]
    assert "same person as row 3" in problems[5][0][3]
    # The other rows are not saved either: a family is saved whole.
    assert "is not saved: rows 5 are rejected" in problems[2][0][3]
    assert run.summary["rows_rejected"] == 4
    assert run.summary["households"]["rejected"] == 1


def test_a_decile_outside_1_to_10_is_rejected(reference, tmp_path):
    high, zero, text = ex.family(decile=11), ex.family(decile=0), ex.family(decile=3)
    text[0]["decile"] = "Desil 4"  # read as 4, a warning on the others (the head's is taken)
    run = check_in_memory(ex.write(tmp_path, high + zero + text))
    problems = _problems(run)
    assert problems[2][0][1] == "decile" and "from 1 to 10" in problems[2][0][3]
    assert problems[5][0][1] == "decile"
    assert run.summary["households"] == {**NOTHING, "new": 1, "rejected": 2}
    assert _families(run)[text[0]["kk_number"]].values["decile"] == 4


def test_a_kelurahan_unknown_or_outside_the_uploaders_area_is_rejected(
    reference, tmp_path, make_user
):
    unknown, by_name, elsewhere = ex.family(), ex.family(), ex.family(ex.KEL_C)
    for row in unknown:
        row["area_code"], row["kelurahan"] = "", "Atlantis"
    for row in by_name:
        row["area_code"], row["kelurahan"], row["kecamatan"] = "", "TAROK DIPO", "Guguk Panjang"
    operator = make_user("op-a", Role.OPERATOR, area="13.75.01")
    run = check_in_memory(
        ex.write(tmp_path, unknown + by_name + elsewhere), by=Actor(user=operator)
    )
    problems = _problems(run)
    assert problems[2][0][1] == "kelurahan" and "Atlantis was not found" in problems[2][0][3]
    assert problems[8][0][1] == "area_code" and "outside your area" in problems[8][0][3]
    assert _families(run)[by_name[0]["kk_number"]].status == "new"
    assert run.summary["households"] == {**NOTHING, "new": 1, "rejected": 2}
    # The office itself (the command line) may import the other kecamatan.
    assert (
        check_in_memory(ex.write(tmp_path, elsewhere, name="c.xlsx")).summary["households"]["new"]
        == 1
    )


def test_a_kk_whose_area_digits_disagree_with_its_kelurahan_is_a_warning(reference, tmp_path):
    rows = ex.family(ex.KEL_A, kk=ex.kk_for(ex.KEL_C))
    run = check_in_memory(ex.write(tmp_path, rows))
    family = next(iter(_families(run).values()))
    assert family.status == "new" and not family.rejected
    assert family.problems[0][:2] == ["warning", "kk_number"]
    assert "starts with 137502" in family.problems[0][3]


def test_a_nik_that_fails_its_checks_is_rejected(reference, tmp_path):
    rows = ex.family()
    rows[1]["nik"] = rows[1]["nik"][:6] + "999999" + rows[1]["nik"][12:]  # no birth date
    rows[2]["nik"] = 1375011501050010.0  # a number: digits may be lost
    run = check_in_memory(ex.write(tmp_path, rows))
    problems = _problems(run)
    assert problems[3][0][1] == "nik" and "digits 7-12" in problems[3][0][3]
    assert problems[4][0][1] == "nik" and "stored as a number" in problems[4][0][3]


def test_cells_read_as_offices_write_them(reference, tmp_path):
    rows = ex.family(rt_rw="1 / 2")
    rows[0]["relation"] = 1
    rows[1]["relation"] = "ISTRI"
    rows[2]["relation"] = "04"
    rows[2]["sex"] = ""  # read from the NIK
    rows[1]["birth_date"] = "23 November 1978"
    headers = list(ex.HEADERS)
    headers[ex.KEYS.index("kk_number")] = "Nomor Kartu Keluarga"
    headers[ex.KEYS.index("relation")] = "SHDK"
    headers[ex.KEYS.index("dtsen_id")] = "ID DTKS"
    run = check_in_memory(
        ex.write(tmp_path, rows, headers=headers, title="DATA DTSEN KOTA BUKITTINGGI")
    )
    assert _problems(run) == {}
    family = next(iter(_families(run).values()))
    assert [r.relation for r in family.rows] == ["head", "spouse", "child"]
    assert family.rows[2].sex == "L"
    assert family.values["rt_rw"] == "001/002"
    assert run.layout.header_row == 3


def test_rt_rw_that_cannot_be_read_is_rejected(reference, tmp_path):
    run = check_in_memory(ex.write(tmp_path, ex.family(rt_rw="tiga")))
    assert _problems(run)[2][0][1] == "rt_rw"


def test_a_household_with_a_new_kk_is_found_by_its_dtsen_id(reference, tmp_path):
    household = make_family(dtsen_id="DT-777")
    rows = _rows_of(_written(tmp_path, [household]))
    new_kk = ex.kk_for(ex.KEL_A)
    for row in rows:
        row["kk_number"] = new_kk
    run = check_in_memory(ex.write(tmp_path, rows, name="new-kk.xlsx"))
    family = _families(run)[new_kk]
    assert family.household_id == household.pk
    assert family.status == "updated"
    assert family.plan["fields"] == {"kk_number": [household.kk_number, new_kk]}


def test_members_are_matched_by_nik_else_by_name_and_birth_date(reference, tmp_path):
    household = make_family(members=3)
    child = household.members.get(relation="child")
    child.nik = ""
    child.save()
    rows = _rows_of(_written(tmp_path, [household]))
    baby_nik = ex.nik_for(ex.KEL_A, child.birth_date, child.sex)
    for row in rows:
        if row["relation"] == "Anak":
            row["nik"] = baby_nik  # the child got a NIK
        if row["relation"] == "Istri/Suami":
            row["name"] = "Rosna Binti Ali"
    run = check_in_memory(ex.write(tmp_path, rows, name="m.xlsx"))
    plan = _families(run)[household.kk_number].plan
    changed = {c["id"]: c["fields"] for c in plan["members_changed"]}
    assert changed[child.pk] == {"nik": ["", baby_nik]}
    spouse = household.members.get(relation="spouse")
    assert changed[spouse.pk] == {"name": [spouse.name, "Rosna Binti Ali"]}
    assert plan["members_added"] == [] and plan["members_gone"] == []


def test_a_member_who_moved_to_another_kk_leaves_the_first(reference, tmp_path):
    parents, young = make_family(members=3), make_family(members=1)
    rows = _rows_of(_written(tmp_path, [parents, young]))
    child = parents.members.get(relation="child")
    for row in rows:
        if row["nik"] == child.nik:
            row["kk_number"], row["relation"] = young.kk_number, "Istri/Suami"
    run = check_in_memory(ex.write(tmp_path, rows, name="moved.xlsx"))
    families = _families(run)
    assert families[parents.kk_number].plan["members_gone"] == [
        {"id": child.pk, "nik": child.nik, "name": child.name}
    ]
    reason = dict(families[parents.kk_number].gone)[child.pk]
    assert f"moved to KK {young.kk_number}" in reason
    added = families[young.kk_number].plan["members_added"]
    assert [(a["nik"], a["relation"], a["from_household"]) for a in added] == [
        (child.nik, "spouse", parents.pk)
    ]


def test_members_missing_from_their_kk_are_gone(reference, tmp_path):
    household = make_family(members=3)
    rows = [r for r in _rows_of(_written(tmp_path, [household])) if r["relation"] != "Anak"]
    run = check_in_memory(ex.write(tmp_path, rows, name="g.xlsx"), as_of=datetime.date(2025, 6, 1))
    family = _families(run)[household.kk_number]
    child = household.members.get(relation="child")
    assert family.status == "updated"
    assert family.plan["members_gone"] == [{"id": child.pk, "nik": child.nik, "name": child.name}]
    assert "not in the DTSEN extract of" in dict(family.gone)[child.pk]


def test_deciding_reads_the_database_in_a_fixed_number_of_queries(
    reference, tmp_path, django_assert_max_num_queries
):
    small = [make_family() for _ in range(2)]
    large = small + [make_family(ex.KEL_B) for _ in range(25)]
    for households, name in ((small, "s.xlsx"), (large, "l.xlsx")):
        rows = _rows_of(_written(tmp_path, households))
        for row in rows:
            row["decile"] = 5
        rows += ex.family() + ex.family(ex.KEL_B)
        path = ex.write(tmp_path, rows, name=name)
        with django_assert_max_num_queries(12):
            run = check_in_memory(path)
        assert run.summary["households"]["updated"] == len(households)


def test_a_name_without_letters_is_refused(reference, actors):
    by = Actor(user=actors["operator"])
    rows = ex.family(members=2)
    rows[1] = {**rows[1], "name": "0"}  # a formula's cached value, read in place of the name
    batch = ex.checked(by, ex.xlsx_bytes(rows), as_of=datetime.date(2025, 6, 30))
    assert batch.summary["households"]["rejected"] == 1
    assert any("has no letters" in p[3] for r in batch.rows.all() for p in r.problems)
