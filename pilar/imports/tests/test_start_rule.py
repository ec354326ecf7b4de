"""The rule for rows without a start date (TMT), on the pages and through the API: offered at
the mapping step, stored with the import, applied by the background check and the commit."""

from __future__ import annotations

import datetime

import pytest

from pilar.imports import services
from pilar.imports.models import Import
from pilar.imports.tests.files import office_roster_xlsx, upload
from pilar.lib.nik import mask_nik
from pilar.registry.models import Assignment, Person
from pilar.tests_support import login, run_task_worker

D = datetime.date
worker_test = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator_client(client, actors):
    actors["operator"].language = "en"
    actors["operator"].save(update_fields=["language"])
    login(client, actors["operator"])
    return client


def _uploaded(c) -> Import:
    c.post("/imports/upload/", {"file": upload(office_roster_xlsx(), "daftar-2023.xlsx")})
    return Import.objects.get()


def _columns(batch: Import) -> dict:
    return {f"col_{i}": field for i, field in batch.mapping.items()}


def test_the_mapping_step_says_no_column_holds_the_start_date(operator_client):
    batch = _uploaded(operator_client)
    assert batch.header_row == 4  # below the two title rows
    assert "start_date" not in batch.mapping.values()
    page = operator_client.get(f"/imports/{batch.pk}/").content.decode()
    assert "No column is mapped to the start date (TMT, Tanggal Mulai)" in page
    assert "use the SK date as the start date (TMT)" in page
    assert 'type="date"' in page


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"start_rule": "date", "start_rule_date": "31-13-2023"}, "write the date as YYYY-MM-DD"),
        ({"start_rule": "date", "start_rule_date": ""}, "write the date as YYYY-MM-DD"),
        ({"start_rule": "date", "start_rule_date": "1900-01-01"}, "must lie between"),
        ({"start_rule": "tomorrow"}, "Select a valid choice"),
    ],
)
def test_a_bad_rule_is_refused_with_the_reason_and_changes_nothing(operator_client, form, says):
    batch = _uploaded(operator_client)
    response = operator_client.post(
        f"/imports/{batch.pk}/mapping/", _columns(batch) | form, follow=True
    )
    assert says in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.start_rule, batch.start_rule_date) == ("mapping", "", None)


@worker_test
def test_the_rule_is_kept_and_applied_by_the_background_check_and_the_commit(
    operator_client, django_capture_on_commit_callbacks
):
    c = operator_client
    batch = _uploaded(c)
    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/mapping/", _columns(batch))  # no rule
    run_task_worker()
    page = c.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="commit"' not in page  # no "Save 0 rows"
    assert "Nothing would be saved." in page
    assert "6 rows add a duty without a start date (TMT). Choose a rule" in page

    with django_capture_on_commit_callbacks(execute=True):
        c.post(
            f"/imports/{batch.pk}/mapping/",
            _columns(batch) | {"start_rule": "date", "start_rule_date": "2023-04-01"},
        )
    run_task_worker()
    batch.refresh_from_db()
    assert (batch.start_rule, batch.start_rule_date) == ("date", D(2023, 4, 1))
    assert batch.summary["new"] == 6 and batch.summary["start_ruled"] == 6
    assert batch.summary["warnings"] == 0  # choosing the rule was the consent
    page = c.get(f"/imports/{batch.pk}/").content.decode()
    assert "6 rows take their start date (TMT) from the rule" in page
    assert page.count("The date chosen for rows without a start date, not one") == 6
    assert "Save 6 rows" in page
    # The refused NIK stored as a number is masked in the message as in the row's header.
    nik = batch.rows.get(number=11).problems[0][2]
    assert nik not in page and mask_nik(nik) in page

    with django_capture_on_commit_callbacks(execute=True):
        c.post(f"/imports/{batch.pk}/commit/", {"accept_rejected": "on"})
    run_task_worker()
    batch.refresh_from_db()
    assert batch.status == Import.Status.COMMITTED, batch.message
    assert set(
        Assignment.objects.filter(
            person__in=Person.objects.filter(phone__startswith="0812660")
        ).values_list("start_date", flat=True)
    ) == {D(2023, 4, 1)}


@worker_test
def test_api_preview_takes_the_rule(client, actors, django_capture_on_commit_callbacks):
    login(client, actors["operator"])
    response = client.post("/api/v1/imports", {"file": upload(office_roster_xlsx())})
    url = f"/api/v1/imports/{response.json()['id']}"
    bad = client.post(f"{url}/preview", {"start_date": "soon"}, content_type="application/json")
    assert bad.status_code == 400 and "start_date" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{url}/preview", {"start_date": "sk"}, content_type="application/json"
        )
    assert response.status_code == 202
    run_task_worker()
    got = client.get(url).json()
    assert got["summary"]["new"] == 6 and got["summary"]["start_ruled"] == 6
    assert got["start_date"] == "sk"
    rows = client.get(f"{url}/rows?status=rejected").json()
    problem = rows[0]["problems"][0]
    assert problem["field"] == "nik" and "******" in problem["value"]
    assert problem["value"] in problem["message"]


def test_the_rule_is_audited_with_the_mapping(actors):
    from pilar.audit.models import AuditEntry
    from pilar.imports.engine.records import StartRule

    by = services.Actor(user=actors["operator"])
    batch = services.import_upload(by=by, upload=upload(office_roster_xlsx()), filename="r.xlsx")
    services.import_set_mapping(
        by=by, batch=batch, mapping=batch.mapping, start_rule=StartRule(StartRule.SK)
    )
    entry = AuditEntry.objects.filter(note="mapping set; checking").get()
    assert entry.changes["start_rule"] == [None, "sk"]


def test_the_rejected_rows_report_masks_the_nik_in_its_messages(operator_client, actors):
    import io

    import python_calamine

    batch = _uploaded(operator_client)
    by = services.Actor(user=actors["operator"])
    services.import_set_mapping(by=by, batch=batch, mapping=batch.mapping)
    services.import_check(batch_id=batch.pk)
    report = operator_client.get(f"/imports/{batch.pk}/rejected.xlsx")
    table = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(report.content))
    rows = {r[-2]: r for r in table.get_sheet_by_index(0).to_python()[1:]}
    nik = batch.rows.get(number=11).problems[0][2]
    assert rows[11][2] == ""  # the number Excel cut is not given back
    assert nik not in rows[11][-1] and mask_nik(nik) in rows[11][-1]
