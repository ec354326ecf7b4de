"""Many offices on one installation (docs/OFFICE.md, "Many offices"): a user's scope lies within
their office's area, the request's office is the user's, and a province office only sees."""

from __future__ import annotations

import pytest

from pilar.accounts.access import Capability, area_scope, can, office_of, office_wide
from pilar.accounts.models import Role
from pilar.offices import current
from pilar.offices.services import remembered

pytestmark = pytest.mark.django_db


def codes(areas):
    return None if areas is None else sorted(a.code for a in areas)


def test_a_single_office_is_the_top_one_and_its_whole_office_grant_is_everywhere(make_user):
    admin = make_user("admin-1", Role.ADMIN)
    assert area_scope(admin, Capability.PEOPLE_VIEW) is None
    assert can(admin, Capability.STIPENDS_DRAFT)
    assert can(admin, Capability.BACKUPS)


def test_an_office_beside_another_is_limited_to_its_own_area(make_user, office, other_office):
    bukittinggi = make_user("op-bkt", Role.OPERATOR, office=office)
    padang_panjang = make_user("op-pp", Role.OPERATOR, office=other_office)
    assert codes(area_scope(bukittinggi, Capability.PEOPLE_EDIT)) == ["13.75"]
    assert codes(area_scope(padang_panjang, Capability.PEOPLE_EDIT)) == ["13.74"]
    # The whole office is still the whole office: its batches, rates and imports.
    assert office_wide(padang_panjang, Capability.STIPENDS_DRAFT)


def test_a_grant_over_another_offices_area_gives_nothing(make_user, office, other_office):
    user = make_user("tksk-x", Role.COORDINATOR, area="13.75.01", office=other_office)
    assert area_scope(user, Capability.PEOPLE_VIEW) == []


def test_the_province_sees_and_does_not_act(make_user, office, other_office, province_office):
    prov = make_user("prov-admin", Role.ADMIN, office=province_office)
    assert area_scope(prov, Capability.PEOPLE_VIEW) is None  # the top office: everything
    assert can(prov, Capability.STIPENDS_VIEW)
    for capability in (
        Capability.STIPENDS_DRAFT,
        Capability.STIPENDS_VERIFY,
        Capability.STIPENDS_APPROVE,
        Capability.STIPENDS_SETUP,
        Capability.PEOPLE_EDIT,
        Capability.PEOPLE_FULL_NIK,
        Capability.IMPORTS,
        Capability.TRAININGS_EDIT,
    ):
        assert not can(prov, capability), capability
        assert area_scope(prov, capability) == []
        assert not office_wide(prov, capability)
    # Below the province, the kota office's admin may no longer back up the installation.
    kota_admin = make_user("admin-bkt", Role.ADMIN, office=office)
    assert not can(kota_admin, Capability.BACKUPS)
    assert can(prov, Capability.BACKUPS)


def test_a_user_without_an_office_works_for_the_top_office(make_user, office, province_office):
    user = make_user("root", Role.VIEWER)
    assert office_of(user) == province_office


def test_the_request_and_a_task_act_for_the_users_office(client, make_user, office, other_office):
    user = make_user("op-pp", Role.OPERATOR, office=other_office)
    client.force_login(user)
    page = client.get("/", follow=True)
    assert "Dinas Sosial Kota Padang Panjang" in page.content.decode()
    # An office without an address yet: the footer leaves it out, no empty "· ·".
    assert "Dinas Sosial Kota Padang Panjang · Pilar" in page.content.decode()
    with remembered(user=user):
        assert current() == other_office
    with remembered(office=office):
        assert current() == office
    # Nobody signed in: the top office (Bukittinggi's, the only one at the top here).
    assert current() == office
