"""The rejected rows report of an extract import, and its download."""

from __future__ import annotations

import datetime
import io

import pytest
import python_calamine

from pilar.audit.models import AuditEntry
from pilar.casework.models import Household, HouseholdMember
from pilar.dtsen import services
from pilar.dtsen.exports import rejected_report
from pilar.dtsen.models import HouseholdImport
from pilar.dtsen.tests.web_support import extract_bytes, make_kk, upload
from pilar.lib.nik import make_nik
from pilar.regions.models import Area
from pilar.tests_support import english_messages, login

english = pytest.fixture(autouse=True, name="english")(english_messages)
pytestmark = pytest.mark.django_db
D = datetime.date


def family(kk: str, relations: list[str], *, decile: int = 2, serial: int = 1) -> Household:
    """A household that is never saved (the writer takes it with its members as given)."""
    household = Household(
        kk_number=kk,
        area=Area.objects.select_related("parent").get(code="13.75.01.1001"),
        address="Jl. Perintis Kemerdekaan",
        rt_rw="002/001",
        dtsen_id=f"DT{kk[-6:]}",
        decile=decile,
    )
    household.current_members = [
        HouseholdMember(
            nik=make_nik(area6="137501", birth_date=D(1980 + i, 1, 2), sex="L", serial=serial + i),
            name=f"Warga {kk[-4:]} {i}",
            sex="L",
            birth_date=D(1980 + i, 1, 2),
            relation=relation,
        )
        for i, relation in enumerate(relations)
    ]
    return household


@pytest.fixture
def checked(actors):
    good = family(make_kk(), ["head", "child"], serial=10)
    headless = family(make_kk(), ["spouse", "child"], serial=20)
    bad_decile = family(make_kk(), ["head"], decile=11, serial=30)
    content = extract_bytes([good, headless, bad_decile])
    from pilar.audit.services import Actor

    by = Actor(user=actors["operator"])
    batch = services.extract_upload(by=by, upload=upload(content), filename="dtsen.xlsx")
    services.extract_set_mapping(
        by=by,
        batch=batch,
        header_row=batch.header_row,
        mapping=batch.mapping,
        as_of=D(2025, 6, 30),
    )
    batch = services.extract_check(batch_id=batch.pk)
    assert batch.status == HouseholdImport.Status.PREVIEW, batch.message
    return batch, headless, bad_decile


def read(content: bytes) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_the_report_holds_the_rejected_households_rows_as_the_file_has_them(checked):
    batch, headless, bad_decile = checked
    assert batch.summary["households"]["rejected"] == 2, batch.summary
    rows = read(rejected_report(batch))
    header = rows[0]
    assert header[:3] == ["ID DTSEN", "No KK", "NIK"]
    assert header[-2:] == ["Row in the file", "Problem"]
    body = rows[1:]
    # The two members of the KK without a head (rows 4 and 5), the one of decile 11 (row 6).
    assert [int(r[-2]) for r in body] == [4, 5, 6]
    assert [r[1] for r in body] == [headless.kk_number] * 2 + [bad_decile.kk_number]
    assert body[0][2] == headless.current_members[0].nik  # the cell as the file has it
    assert all(r[-1] for r in body)  # each says what to fix
    assert "11" in body[2][-1]


def test_nothing_rejected_gives_headers_only(actors):
    from pilar.audit.services import Actor

    by = Actor(user=actors["operator"])
    content = extract_bytes([family(make_kk(), ["head"], serial=40)])
    batch = services.extract_upload(by=by, upload=upload(content), filename="dtsen.xlsx")
    services.extract_set_mapping(
        by=by, batch=batch, header_row=1, mapping=batch.mapping, as_of=D(2025, 6, 30)
    )
    batch = services.extract_check(batch_id=batch.pk)
    assert len(read(rejected_report(batch))) == 1


def test_the_download_is_audited_and_offered_on_the_preview(client, actors, checked):
    batch, _headless, _bad = checked
    login(client, actors["operator"])
    page = client.get(f"/dtsen/{batch.pk}/").content.decode()
    assert f'href="/dtsen/{batch.pk}/rejected.xlsx"' in page
    # Each rejected household says why, its rows' reasons included (decile 11, row 6).
    assert "Row 6 · welfare decile" in page
    assert "Save without the rejected households" in page
    response = client.get(f"/dtsen/{batch.pk}/rejected.xlsx")
    assert response["Content-Disposition"] == (
        f'attachment; filename="pilar-dtsen-{batch.pk}-rejected.xlsx"'
    )
    assert len(read(response.content)) == 4
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL, batch=batch.pk
    ).exists()
    # Saving without ticking "accept valid" is refused; ticked, it is queued.
    refused = client.post(f"/dtsen/{batch.pk}/commit/", {})
    assert refused.status_code == 400 and "rejected" in refused.content.decode()
    assert client.post(f"/dtsen/{batch.pk}/commit/", {"accept_valid": "on"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == HouseholdImport.Status.COMMITTING


def test_a_row_without_a_kk_is_reported_and_shown(client, actors):
    from pilar.audit.services import Actor

    by = Actor(user=actors["operator"])
    content = extract_bytes(
        [family(make_kk(), ["head"], serial=50), family("", ["head"], serial=60)]
    )
    batch = services.extract_upload(by=by, upload=upload(content), filename="dtsen.xlsx")
    services.extract_set_mapping(
        by=by, batch=batch, header_row=1, mapping=batch.mapping, as_of=D(2025, 6, 30)
    )
    batch = services.extract_check(batch_id=batch.pk)
    assert batch.summary["rows_rejected"] == 1, batch.summary
    rows = read(rejected_report(batch))
    assert [int(r[-2]) for r in rows[1:]] == [3]
    login(client, actors["operator"])
    page = client.get(f"/dtsen/{batch.pk}/").content.decode()
    assert 'data-testid="orphans"' in page and "Row 3 · KK number" in page
