"""The audit log on an installation of many offices (docs/OFFICE.md, "Many offices"): every
entry is written for the office its actor acts for; an office's administrator reads its own
office's entries, the province's its offices' too."""

from __future__ import annotations

import pytest

from pilar.accounts.models import Role
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.offices.services import remembered
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


def write(by, text: str) -> AuditEntry:
    return audit_record(
        by=by, action=AuditEntry.Action.UPDATE, object_type="test.thing", object_repr=text
    )


@pytest.fixture
def entries(make_user, office, other_office):
    bkt = make_user("admin-bkt", Role.ADMIN, office=office)
    pp = make_user("admin-pp", Role.ADMIN, office=other_office)
    found = {
        "bkt": write(Actor(user=bkt), "Catatan Bukittinggi"),
        "pp": write(Actor(user=pp), "Catatan Padang Panjang"),
    }
    # The office itself acting in a task for Padang Panjang; and on the command line (the top
    # office's).
    with remembered(office=other_office):
        found["pp_task"] = write(Actor.system(AuditEntry.Source.SYSTEM), "Tugas Padang Panjang")
    found["cli"] = write(Actor.system(), "Baris perintah")
    return {"users": {"bkt": bkt, "pp": pp}, **found}


def test_an_entry_is_the_acting_offices(entries, office, other_office):
    assert entries["bkt"].office == office
    assert entries["pp"].office == other_office
    assert entries["pp_task"].office == other_office
    assert entries["cli"].office == office  # the top office of these two


def test_an_office_admin_reads_only_its_offices_entries(client, entries):
    login(client, entries["users"]["pp"])
    page = client.get("/audit/").content.decode()
    assert "Catatan Padang Panjang" in page and "Tugas Padang Panjang" in page
    assert "Catatan Bukittinggi" not in page and "Baris perintah" not in page
    export = client.get("/audit/?format=csv")
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode()
    assert "Catatan Padang Panjang" in body and "Catatan Bukittinggi" not in body


def test_the_province_reads_its_offices_entries(client, entries, make_user, province_office):
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    login(client, prov)
    page = client.get("/audit/").content.decode()
    for text in ("Catatan Padang Panjang", "Catatan Bukittinggi", "Tugas Padang Panjang"):
        assert text in page
