"""DTSEN extracts on an installation of many offices (docs/OFFICE.md, "Many offices";
docs/IMPORTS.md): an extract is its office's, writes no household outside the office's area,
is reached by id from no other office, and its background work acts for its office."""

from __future__ import annotations

import datetime

import pytest

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework.models import Household
from pilar.dtsen import services, tasks
from pilar.dtsen.models import HouseholdImport
from pilar.dtsen.tests import extract_support as ex
from pilar.tests_support import login

pytestmark = pytest.mark.django_db

KEL_PP = "13.74.01.1001"  # a kelurahan of Kota Padang Panjang (pilar/conftest.py)
AS_OF = datetime.date(2026, 1, 15)


@pytest.fixture
def pp_operator(make_user, other_office):
    user = make_user("op-pp", Role.OPERATOR, office=other_office)
    user.language = "en"  # the worker writes the rows' messages in the uploader's language
    user.save(update_fields=["language"])
    return user


def checked_by_worker(by, rows) -> HouseholdImport:
    """Uploaded and mapped, then checked as the worker checks it."""
    batch = services.extract_upload(by=by, upload=ex.upload(ex.xlsx_bytes(rows)), filename="x.xlsx")
    services.extract_set_mapping(
        by=by, batch=batch, header_row=batch.header_row, mapping=batch.mapping, as_of=AS_OF
    )
    tasks.check_extract.call(batch.pk)
    return HouseholdImport.objects.get(pk=batch.pk)


def test_a_kelurahan_of_another_office_is_rejected_naming_the_row_and_column(
    reference, pp_operator, other_office
):
    ours, theirs = ex.family(KEL_PP, members=2), ex.family(ex.KEL_A, members=2)
    batch = checked_by_worker(Actor(user=pp_operator), ours + theirs)
    assert batch.office == other_office
    assert batch.summary["households"]["new"] == 1
    assert batch.summary["households"]["rejected"] == 1
    row = batch.rows.get(number=4)  # the first row of Bukittinggi's family
    assert any(p[1] == "area_code" and "outside your area" in p[3] for p in row.problems)


def test_saving_in_the_background_acts_for_the_extracts_office(
    reference, pp_operator, other_office
):
    by = Actor(user=pp_operator)
    batch = checked_by_worker(by, ex.family(KEL_PP, members=2))
    services.extract_request_commit(by=by, batch=batch, accept_valid=False, queue=False)
    # No user acting: the worker's entries are still the extract's office's.
    tasks.commit_extract.call(batch.pk, None, None, AuditEntry.Source.EXTRACT)
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.COMMITTED, batch.message
    assert Household.objects.get().area.code == KEL_PP
    written = AuditEntry.objects.filter(source=AuditEntry.Source.EXTRACT, batch=batch.pk)
    assert written.count() > 1
    assert set(written.values_list("office_id", flat=True)) == {other_office.pk}


def test_another_offices_extract_is_not_found_by_id_nor_listed(
    client, reference, pp_operator, make_user, office
):
    batch = checked_by_worker(Actor(user=pp_operator), ex.family(KEL_PP, members=2))
    bukittinggi = make_user("op-bkt", Role.OPERATOR, office=office)
    login(client, bukittinggi)
    for url in (
        f"/dtsen/{batch.pk}/",
        f"/dtsen/{batch.pk}/progress/",
        f"/dtsen/{batch.pk}/rejected.xlsx",
        f"/api/v1/household-imports/{batch.pk}",
        f"/api/v1/household-imports/{batch.pk}/households",
    ):
        assert client.get(url).status_code == 404, url
    assert "x.xlsx" not in client.get("/dtsen/").content.decode()
    assert client.get("/api/v1/household-imports").json() == []


def test_the_province_may_not_take_in_an_extract(client, make_user, province_office):
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    login(client, prov)
    content = ex.xlsx_bytes(ex.family(KEL_PP, members=2))
    assert client.get("/dtsen/").status_code == 403
    assert client.post("/dtsen/upload/", {"file": ex.upload(content)}).status_code == 403
    answer = client.post("/api/v1/household-imports", {"file": ex.upload(content)})
    assert answer.status_code == 403
    assert not HouseholdImport.objects.exists()
