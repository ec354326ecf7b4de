"""The services of extract imports: upload to commit and undo, the decisions on missing
households, all or nothing, the database changing under a preview, the job plumbing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import Caseload, DecileRecord, Household, HouseholdMember, KKChange
from pilar.dtsen import services
from pilar.dtsen.engine.write import Writer
from pilar.dtsen.models import ExtractChange, ExtractHousehold, ExtractRow, HouseholdImport
from pilar.dtsen.tests import extract_support as ex
from pilar.dtsen.tests.web_support import extract_bytes, make_family

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def by(actors):
    return Actor(user=actors["operator"])


def _extract_of(households, edit=None) -> bytes:
    """The households as an extract, its rows edited by `edit(rows)` when given."""
    content = extract_bytes(Household.objects.filter(pk__in=[h.pk for h in households]))
    if edit is None:
        return content
    import tempfile
    from pathlib import Path

    from pilar.dtsen.tests.test_engine import _rows_of

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.xlsx"
        path.write_bytes(content)
        rows = _rows_of(path)
    return ex.xlsx_bytes(edit(rows) or rows)


def _state() -> tuple:
    """Everything an extract may write, to compare before and after an undo."""
    return (
        sorted(
            Household.objects.values_list(
                "pk",
                "kk_number",
                "area_id",
                "address",
                "rt_rw",
                "dtsen_id",
                "decile",
                "status",
                "status_reason",
            )
        ),
        sorted(
            HouseholdMember.objects.values_list(
                "pk",
                "household_id",
                "nik",
                "name",
                "sex",
                "birth_date",
                "relation",
                "left_on",
                "left_reason",
            )
        ),
        sorted(Caseload.objects.values_list("pk", "end_date", "end_reason")),
        DecileRecord.objects.count(),
        KKChange.objects.count(),
    )


def test_a_new_extract_is_saved_whole_with_history_and_audit(reference, by):
    rows = ex.family(decile=3) + ex.family(ex.KEL_B, members=2, decile=None)
    batch = ex.checked(by, ex.xlsx_bytes(rows), as_of=AS_OF)
    assert batch.status == HouseholdImport.Status.PREVIEW
    assert batch.summary["households"]["new"] == 2
    assert batch.summary["members"]["added"] == 5
    assert not ExtractRow.objects.filter(batch=batch).exists()  # no row with a problem
    batch = ex.saved(by, batch)
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    first = Household.objects.get(kk_number=rows[0]["kk_number"])
    assert (first.area.code, first.address, first.rt_rw, first.decile, first.dtsen_id) == (
        ex.KEL_A,
        "Jl. Sudirman No. 1",
        "001/002",
        3,
        rows[0]["dtsen_id"],
    )
    assert sorted(first.members.values_list("relation", flat=True)) == ["child", "head", "spouse"]
    assert list(DecileRecord.objects.values_list("household", "decile", "as_of", "source")) == [
        (first.pk, 3, AS_OF, "extract")
    ]
    assert DecileRecord.objects.get().reference == batch.pk
    entries = AuditEntry.objects.filter(batch=batch.pk, source=AuditEntry.Source.EXTRACT)
    assert entries.filter(object_type="casework.household", action="create").count() == 2
    assert entries.filter(object_type="casework.householdmember", action="create").count() == 5
    entry = entries.get(object_type="casework.household", object_id=str(first.pk))
    assert entry.username == "operator1" and entry.changes["decile"] == [None, 3]
    assert AuditEntry.objects.filter(
        batch=batch.pk, action="load", note__startswith="saved"
    ).exists()


def test_a_round_opened_on_an_import_visits_the_households_it_created(reference, by, actors):
    import datetime

    from pilar.verivali import services as rounds

    rows = ex.family(decile=3) + ex.family(ex.KEL_B, members=2)
    batch = ex.saved(by, ex.checked(by, ex.xlsx_bytes(rows), as_of=AS_OF))
    created = set(Household.objects.values_list("pk", flat=True))
    assert set(batch.households.values_list("household", flat=True)) == created
    from pilar.casework import services as casework
    from pilar.regions.models import Area

    # A household entered by hand is not one of the import's.
    casework.household_create(
        by=by,
        data={"kk_number": ex.kk_for(), "area": Area.objects.get(code=ex.KEL_A), "address": "x"},
    )
    round = rounds.round_open(
        by=Actor(user=actors["operator"]),
        data={
            "name": "Putaran ekstrak",
            "period_start": datetime.date(2026, 1, 1),
            "period_end": datetime.date(2026, 1, 31),
            "source_import": batch,
        },
    )
    assert set(round.visits.values_list("household", flat=True)) == created


def test_the_mapping_needs_the_kk_nik_name_relation_and_kelurahan(reference, by):
    batch = services.extract_upload(
        by=by, upload=ex.upload(ex.xlsx_bytes(ex.family())), filename="x.xlsx"
    )
    assert set(batch.mapping.values()) == set(ex.KEYS)
    mapping = {k: v for k, v in batch.mapping.items() if v not in ("area_code", "kelurahan")}
    with pytest.raises(ValidationError) as refused:
        services.extract_set_mapping(by=by, batch=batch, header_row=1, mapping=mapping, as_of=None)
    assert "Kelurahan/Desa" in str(refused.value)
    mapping = {k: v for k, v in batch.mapping.items() if v != "nik"}
    with pytest.raises(ValidationError):
        services.extract_set_mapping(by=by, batch=batch, header_row=1, mapping=mapping, as_of=None)
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.MAPPING


def test_only_the_roles_that_import_may_upload(reference, actors):
    with pytest.raises(PermissionDenied):
        services.extract_upload(
            by=Actor(user=actors["viewer"]),
            upload=ex.upload(ex.xlsx_bytes(ex.family())),
            filename="x.xlsx",
        )


def test_an_empty_or_unreadable_file_is_refused(reference, by):
    with pytest.raises(ValidationError):
        services.extract_upload(by=by, upload=ex.upload(b""), filename="x.xlsx")
    with pytest.raises(ValidationError):
        services.extract_upload(by=by, upload=ex.upload(b"PK\x03\x04broken"), filename="x.xlsx")
    assert not HouseholdImport.objects.exists()


def test_rejected_households_are_saved_only_with_accept_valid_and_never_in_half(reference, by):
    good, bad = ex.family(), ex.family()
    bad[2]["decile"] = 12
    batch = ex.checked(by, ex.xlsx_bytes(good + bad))
    with pytest.raises(ValidationError) as refused:
        services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    assert "3 rows and 1 households are rejected" in str(refused.value)
    stored = ExtractRow.objects.filter(batch=batch).order_by("number")
    assert [(r.number, r.status, r.kk_number) for r in stored] == [
        (n, "rejected", bad[0]["kk_number"]) for n in (5, 6, 7)
    ]
    assert stored[2].problems[0][:2] == ["rejected", "decile"]
    batch = ex.saved(by, batch, accept_valid=True)
    assert batch.status == HouseholdImport.Status.COMMITTED
    assert Household.objects.filter(kk_number=good[0]["kk_number"]).exists()
    assert not Household.objects.filter(kk_number=bad[0]["kk_number"]).exists()
    assert not HouseholdMember.objects.filter(nik__in=[r["nik"] for r in bad]).exists()


def test_missing_households_are_closed_unless_accompanied_which_wait_for_a_decision(
    reference, by, people
):
    listed, quiet, kept, closed, spared = (make_family() for _ in range(5))
    for household in (kept, closed):
        Caseload.objects.create(
            household=household, person=people["a1"], start_date=datetime.date(2024, 1, 1)
        )
    batch = ex.checked(by, _extract_of([listed]), as_of=AS_OF)
    assert batch.summary["households"]["missing"] == 4
    with pytest.raises(ValidationError) as refused:
        services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    assert kept.kk_number in str(refused.value) and closed.kk_number in str(refused.value)
    missing = {h.household_id: h.pk for h in batch.households.filter(status="missing")}
    with pytest.raises(ValidationError):
        services.extract_decide(by=by, batch=batch, decisions={missing[kept.pk]: "maybe"})
    with pytest.raises(ValidationError):  # not a missing household of this import
        services.extract_decide(by=by, batch=batch, decisions={2**70: "keep"})
    services.extract_decide(
        by=by,
        batch=batch,
        decisions={
            missing[kept.pk]: "keep",
            missing[closed.pk]: "close",
            missing[spared.pk]: "keep",  # one not accompanied may be kept too
        },
    )
    batch = ex.saved(by, batch)
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    statuses = dict(Household.objects.values_list("pk", "status"))
    assert statuses[listed.pk] == "active" and statuses[kept.pk] == "active"
    assert statuses[spared.pk] == "active"
    assert statuses[quiet.pk] == "closed" and statuses[closed.pk] == "closed"
    quiet.refresh_from_db()
    assert quiet.status_reason.startswith("not in the DTSEN extract of")
    assert quiet.status_date == AS_OF
    assert Caseload.objects.get(household=closed).end_date == AS_OF
    assert Caseload.objects.get(household=kept).end_date is None


def test_an_edited_extract_saves_the_move_the_new_member_the_decile_and_the_gone(reference, by):
    moving, growing, poorer, shrinking = (make_family(members=3) for _ in range(4))
    child = shrinking.members.get(relation="child")

    def edit(rows):
        for row in rows:
            if row["kk_number"] == moving.kk_number:
                row["area_code"] = ex.KEL_C
            if row["kk_number"] == poorer.kk_number:
                row["decile"] = 1
        base = next(r for r in rows if r["kk_number"] == growing.kk_number)
        rows.append({**base, "nik": "", "name": "Putri"})
        rows[-1]["relation"], rows[-1]["birth_date"] = "Anak", datetime.date(2024, 1, 5)
        return [r for r in rows if r["nik"] != child.nik]

    batch = ex.checked(by, _extract_of([moving, growing, poorer, shrinking], edit), as_of=AS_OF)
    assert batch.summary["households"]["moved"] == 1
    batch = ex.saved(by, batch)
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    moving.refresh_from_db()
    assert moving.area.code == ex.KEL_C
    assert AuditEntry.objects.get(
        batch=batch.pk, object_type="casework.household", object_id=str(moving.pk)
    ).changes == {"area": [ex.KEL_A, ex.KEL_C]}
    assert growing.members.filter(name="Putri", relation="child", left_on=None).exists()
    poorer.refresh_from_db()
    assert poorer.decile == 1
    assert DecileRecord.objects.get(household=poorer).source == "extract"
    child.refresh_from_db()
    assert child.left_on == AS_OF and "not in the DTSEN extract" in child.left_reason


def test_a_member_who_moved_kk_leaves_one_household_and_joins_the_other(reference, by):
    parents, young = make_family(members=3), make_family(members=1)
    child = parents.members.get(relation="child")

    def edit(rows):
        for row in rows:
            if row["nik"] == child.nik:
                row["kk_number"], row["relation"] = young.kk_number, "Istri/Suami"

    batch = ex.saved(by, ex.checked(by, _extract_of([parents, young], edit), as_of=AS_OF))
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    child.refresh_from_db()
    assert child.left_on == AS_OF and young.kk_number in child.left_reason
    assert young.members.get(nik=child.nik, left_on=None).relation == "spouse"


def test_a_new_kk_keeps_the_old_number_in_the_history(reference, by):
    household = make_family(dtsen_id="DT-1")
    new_kk = ex.kk_for(ex.KEL_A)

    def edit(rows):
        for row in rows:
            row["kk_number"] = new_kk

    old = household.kk_number
    ex.saved(by, ex.checked(by, _extract_of([household], edit), as_of=AS_OF))
    household.refresh_from_db()
    assert household.kk_number == new_kk
    assert list(household.kk_history.values_list("kk_number", "replaced_on")) == [(old, AS_OF)]


def test_a_head_handing_over_keeps_one_head_per_household(reference, by):
    household = make_family(members=2)

    def edit(rows):
        for row in rows:
            row["relation"] = "Istri" if row["relation"] == "Kepala Keluarga" else "1"

    batch = ex.saved(by, ex.checked(by, _extract_of([household], edit)))
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    assert household.members.get(relation="head").sex == "P"


def test_the_commit_is_all_or_nothing(reference, by, monkeypatch):
    household = make_family()

    def edit(rows):
        for row in rows:
            row["decile"] = 9
        return rows + ex.family()

    batch = ex.checked(by, _extract_of([household], edit), as_of=AS_OF)
    before = _state()

    def broken(self, saved, created):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Writer, "_deciles", broken)
    batch = ex.saved(by, batch)
    assert batch.status == HouseholdImport.Status.PREVIEW
    assert "Nothing was saved" in batch.message and "disk full" in batch.message
    assert _state() == before
    assert not AuditEntry.objects.filter(batch=batch.pk, source=AuditEntry.Source.EXTRACT).exists()
    assert not ExtractChange.objects.exists()


def test_a_preview_the_database_overtook_is_checked_again_not_saved(reference, by):
    household = make_family(decile=4)

    def edit(rows):
        for row in rows:
            row["decile"] = 2

    batch = ex.checked(by, _extract_of([household], edit), as_of=AS_OF)
    casework.household_update(by=Actor.system(), household=household, data={"decile": 3})
    services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    batch = services.extract_commit(batch_id=batch.pk, by=by)
    assert batch.status == HouseholdImport.Status.PREVIEW
    assert "Nothing was saved" in batch.message and household.masked_kk in batch.message
    household.refresh_from_db()
    assert household.decile == 3
    shown = ExtractHousehold.objects.get(batch=batch, household=household)
    assert shown.plan["fields"] == {"decile": [3, 2]}  # the new preview
    assert ex.saved(by, batch).status == HouseholdImport.Status.COMMITTED


def test_a_second_request_or_task_saves_once(reference, by):
    batch = ex.checked(by, ex.xlsx_bytes(ex.family()))
    services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    with pytest.raises(ValidationError):
        services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    services.extract_commit(batch_id=batch.pk, by=by)
    again = services.extract_commit(batch_id=batch.pk, by=by)
    assert again.status == HouseholdImport.Status.COMMITTED
    assert Household.objects.count() == 1 and HouseholdMember.objects.count() == 3


def test_nothing_to_save_is_refused(reference, by):
    household = make_family()
    batch = ex.checked(by, _extract_of([household]))
    assert batch.summary["households"]["unchanged"] == 1
    with pytest.raises(ValidationError) as refused:
        services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    assert "nothing to save" in str(refused.value)


def test_undo_takes_everything_back(reference, by, people):
    moving, growing, poorer, shrinking = (make_family(members=3) for _ in range(4))
    handing = make_family(members=2)
    quiet = make_family()
    renamed = make_family(dtsen_id="DT-9")
    child = shrinking.members.get(relation="child")
    spouse = shrinking.members.get(relation="spouse")
    new_kk = ex.kk_for(ex.KEL_A)

    def edit(rows):
        for row in rows:
            if row["nik"] == spouse.nik:  # remarried into another family
                row["kk_number"], row["relation"] = growing.kk_number, "Famili Lain"
            if row["kk_number"] == moving.kk_number:
                row["area_code"] = ex.KEL_C
            if row["kk_number"] == poorer.kk_number:
                row["decile"] = 1
            if row["kk_number"] == renamed.kk_number:
                row["kk_number"] = new_kk
            if row["kk_number"] == handing.kk_number:
                row["relation"] = "Istri" if row["relation"] == "Kepala Keluarga" else "1"
        base = next(r for r in rows if r["kk_number"] == growing.kk_number)
        rows.append({**base, "nik": "", "name": "Putri"})
        rows[-1]["relation"], rows[-1]["birth_date"] = "Anak", datetime.date(2024, 1, 5)
        return [r for r in rows if r["nik"] != child.nik] + ex.family(ex.KEL_B)

    everything = [moving, growing, poorer, shrinking, handing, renamed]
    batch = ex.checked(by, _extract_of(everything, edit), as_of=AS_OF)
    assert batch.summary["households"]["missing"] == 1  # quiet
    before = _state()
    batch = ex.saved(by, batch)
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    assert _state() != before
    quiet.refresh_from_db()
    assert quiet.status == "closed"
    assert growing.members.filter(nik=spouse.nik, left_on=None).exists()
    services.extract_request_undo(by=by, batch=batch)
    batch = services.extract_undo(batch_id=batch.pk, by=by)
    assert batch.status == HouseholdImport.Status.UNDONE, batch.message
    assert _state() == before


def test_undo_is_refused_when_a_record_changed_after_naming_it(reference, by):
    household = make_family(decile=4)

    def edit(rows):
        for row in rows:
            row["decile"] = 2

    batch = ex.saved(by, ex.checked(by, _extract_of([household], edit)))
    casework.household_update(by=Actor.system(), household=household, data={"decile": 5})
    with pytest.raises(ValidationError) as refused:
        services.extract_request_undo(by=by, batch=batch)
    assert "cannot be undone" in str(refused.value)
    assert f"KK {household.masked_kk}" in str(refused.value)
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.COMMITTED


def test_a_job_whose_worker_died_is_recovered(reference, by, settings):
    batch = ex.checked(by, ex.xlsx_bytes(ex.family()))
    services.extract_request_commit(by=by, batch=batch, accept_valid=False)
    HouseholdImport.objects.filter(pk=batch.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert services.extract_recover() == 1
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.PREVIEW
    assert "nothing was saved" in batch.message
    assert ex.saved(by, batch).status == HouseholdImport.Status.COMMITTED


def test_a_check_that_fails_says_why(reference, by, tmp_path):
    batch = services.extract_upload(
        by=by, upload=ex.upload(ex.xlsx_bytes(ex.family())), filename="x.xlsx"
    )
    services.extract_set_mapping(
        by=by, batch=batch, header_row=1, mapping=batch.mapping, as_of=None
    )
    batch.file.storage.delete(batch.file.name)
    batch = services.extract_check(batch_id=batch.pk)
    assert batch.status == HouseholdImport.Status.FAILED
    assert batch.message


def test_the_commit_writes_in_a_fixed_number_of_queries(
    reference, by, django_assert_max_num_queries
):
    for count in (2, 20):
        households = [make_family() for _ in range(count)]

        def edit(rows):
            for row in rows:
                row["decile"] = 7
            return rows + ex.family(ex.KEL_B) + ex.family(ex.KEL_B)

        batch = ex.checked(by, _extract_of(households, edit))
        services.extract_request_commit(by=by, batch=batch, accept_valid=False)
        with django_assert_max_num_queries(45):
            batch = services.extract_commit(batch_id=batch.pk, by=by)
        assert batch.status == HouseholdImport.Status.COMMITTED, batch.message


# The household form's part: RT/RW and the decile history ------------------------------------


def test_a_decile_set_or_changed_on_a_form_is_kept_in_the_history(reference, area):
    actor = Actor.system()
    household = casework.household_create(
        by=actor,
        data={
            "kk_number": ex.kk_for(ex.KEL_A),
            "area": area(ex.KEL_A),
            "address": "Jl. Ahmad Yani 3",
            "rt_rw": "3/12",
            "decile": 4,
        },
    )
    assert household.rt_rw == "003/012"
    casework.household_update(by=actor, household=household, data={"address": "Jl. Lain 1"})
    casework.household_update(by=actor, household=household, data={"decile": 2})
    assert list(DecileRecord.objects.order_by("pk").values_list("decile", "source", "as_of")) == [
        (4, "form", timezone.localdate()),
        (2, "form", timezone.localdate()),
    ]
    with pytest.raises(ValidationError) as refused:
        casework.household_update(by=actor, household=household, data={"rt_rw": "tiga"})
    assert "rt_rw" in refused.value.message_dict


def test_rt_rw_through_the_api_and_the_household_pages(client, actors, reference):
    from pilar.accounts.models import User
    from pilar.tests_support import login

    User.objects.update(language="en")
    login(client, actors["operator"])
    kk = ex.kk_for(ex.KEL_A)
    created = client.post(
        "/api/v1/households",
        {"kk_number": kk, "area_code": ex.KEL_A, "address": "Jl. A 1", "rt_rw": "2/5"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["rt_rw"] == "002/005"
    household = Household.objects.get(kk_number=kk)
    page = client.get(f"/households/{household.pk}/")
    assert "002/005" in page.content.decode()
    form = client.get(f"/households/{household.pk}/edit/")
    assert 'name="rt_rw"' in form.content.decode()


def test_a_member_of_a_household_the_extract_does_not_list_leaves_it_to_join_a_new_kk(
    reference, by
):
    elsewhere = make_family(ex.KEL_C, members=3)  # another kecamatan: not in this extract
    child = elsewhere.members.get(relation="child")
    rows = ex.family(ex.KEL_A, members=1)
    rows.append({**rows[0], "nik": child.nik, "name": child.name, "relation": "Istri"})
    rows[-1].update(sex=child.sex, birth_date=child.birth_date)
    batch = ex.checked(by, ex.xlsx_bytes(rows), as_of=AS_OF)
    shown = batch.households.get(kk_number=rows[0]["kk_number"])
    assert shown.plan["members_added"][1]["from_household"] == elsewhere.pk
    assert batch.summary["households"] == {
        "new": 1,
        "updated": 0,
        "moved": 0,
        "unchanged": 0,
        "rejected": 0,
        "missing": 0,
    }
    assert ex.saved(by, batch).status == HouseholdImport.Status.COMMITTED
    child.refresh_from_db()
    assert child.left_on == AS_OF and rows[0]["kk_number"] in child.left_reason
    joined = Household.objects.get(kk_number=rows[0]["kk_number"]).members.get(nik=child.nik)
    assert joined.relation == "spouse" and joined.left_on is None


def test_the_pages_steps_queue_the_check_and_the_commit_once_committed(
    reference, by, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    batch = services.extract_upload(
        by=by, upload=ex.upload(ex.xlsx_bytes(ex.family())), filename="x.xlsx"
    )
    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.extract_set_mapping(
            by=by, batch=batch, header_row=1, mapping=batch.mapping, as_of=None
        )
    assert len(queued) == 1
    assert DBTaskResult.objects.get().task_path.endswith("check_extract")


def test_an_extract_cannot_take_a_household_of_another_kecamatan_into_ones_own(
    reference, by, make_user
):
    elsewhere = ex.family(ex.KEL_C, members=2)
    ex.saved(by, ex.checked(by, ex.xlsx_bytes(elsewhere), as_of=AS_OF))
    household = Household.objects.get()
    scoped = Actor(user=make_user("operator-kec-a", "operator", area="13.75.01"))
    # The same KK listed under a kelurahan of the scoped operator's kecamatan.
    moved_in = [{**row, "area_code": ex.KEL_A} for row in elsewhere]
    batch = ex.checked(scoped, ex.xlsx_bytes(moved_in), as_of=AS_OF)
    assert batch.summary["households"]["rejected"] == 1
    assert batch.summary["households"]["moved"] == 0
    item = batch.households.get()
    assert any("outside your area" in p[3] for p in item.problems)
    household.refresh_from_db()
    assert household.area.code == ex.KEL_C


def test_an_extract_that_still_lists_a_closed_household_does_not_reopen_it(reference, by):
    rows = ex.family(members=2)
    ex.saved(by, ex.checked(by, ex.xlsx_bytes(rows), as_of=AS_OF))
    Household.objects.update(status="moved", status_reason="Pindah ke Padang (verivali)")
    again = ex.checked(by, ex.xlsx_bytes(rows), as_of=AS_OF)
    assert again.summary["households"]["unchanged"] == 1, again.summary
    item = again.households.get()
    assert any(p[0] == "warning" and "stays so" in p[3] for p in item.problems)
    assert Household.objects.get().status == "moved"
