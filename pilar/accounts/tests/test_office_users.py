"""Users within their office (docs/OFFICE.md, "Many offices"): a role's area lies within the
user's office, and an office's administrators manage only their office's users in /admin/."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pilar.accounts.models import Role, RoleGrant, User
from pilar.accounts.services import user_create
from pilar.audit.services import Actor
from pilar.regions.models import Area

pytestmark = pytest.mark.django_db


def staff(user):
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_a_grant_outside_the_office_is_refused_by_the_service(office, other_office):
    with pytest.raises(ValidationError) as refused:
        user_create(
            by=Actor.system(),
            username="tksk-wrong",
            password="x-Long-enough-1",
            grants=[(Role.COORDINATOR, Area.objects.get(code="13.75.01"))],
            office=other_office,
        )
    assert "Padang Panjang" in str(refused.value.message_dict["area"])
    assert not User.objects.filter(username="tksk-wrong").exists()
    # Within the office: given.
    user = user_create(
        by=Actor.system(),
        username="tksk-pp",
        password="x-Long-enough-1",
        grants=[(Role.COORDINATOR, Area.objects.get(code="13.74.01"))],
        office=other_office,
    )
    assert user.grants.get().area.code == "13.74.01"


def test_a_user_without_an_office_works_for_the_top_office(office, other_office):
    # Two kota offices and no province: the top office is Bukittinggi's (the first).
    with pytest.raises(ValidationError):
        user_create(
            by=Actor.system(),
            username="op-x",
            password="x-Long-enough-1",
            grants=[(Role.OPERATOR, Area.objects.get(code="13.74.01"))],
        )


def test_the_model_refuses_a_grant_outside_the_office(make_user, other_office):
    user = make_user("op-pp", office=other_office)
    grant = RoleGrant(user=user, role=Role.OPERATOR, area=Area.objects.get(code="13.75.01"))
    with pytest.raises(ValidationError) as refused:
        grant.full_clean()
    assert "area" in refused.value.message_dict
    RoleGrant(user=user, role=Role.OPERATOR, area=Area.objects.get(code="13.74.01")).full_clean()


@pytest.fixture
def admins(make_user, office, other_office, province_office):
    return {
        "bkt": staff(make_user("admin-bkt", Role.ADMIN, office=office)),
        "pp": staff(make_user("admin-pp", Role.ADMIN, office=other_office)),
        "prov": staff(make_user("admin-prov", Role.ADMIN, office=province_office)),
        "bkt_op": make_user("op-bkt", Role.OPERATOR, office=office),
        "pp_op": make_user("op-pp", Role.OPERATOR, office=other_office),
    }


def listed(client, user):
    client.force_login(user)
    page = client.get("/admin/accounts/user/")
    assert page.status_code == 200
    return sorted(u.username for u in page.context["cl"].result_list)


def test_an_office_admin_sees_only_its_users(client, admins):
    assert listed(client, admins["pp"]) == ["admin-pp", "op-pp"]
    assert listed(client, admins["bkt"]) == ["admin-bkt", "op-bkt"]
    assert listed(client, admins["prov"]) == sorted(u.username for u in admins.values())
    client.force_login(admins["pp"])
    other = admins["bkt_op"]
    # Another office's user: the admin answers as for a user that does not exist.
    assert client.get(f"/admin/accounts/user/{other.pk}/change/").status_code == 302
    assert (
        client.post(f"/admin/accounts/user/{other.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert User.objects.filter(pk=other.pk).exists()


def add_user(client, admin, office, area=None, username="new-user"):
    client.force_login(admin)
    return client.post(
        "/admin/accounts/user/add/",
        {
            "username": username,
            "usable_password": "true",
            "password1": "A-long-pass-phrase-9",
            "password2": "A-long-pass-phrase-9",
            "office": office.pk if office else "",
            "grants-TOTAL_FORMS": "1",
            "grants-INITIAL_FORMS": "0",
            "grants-MIN_NUM_FORMS": "0",
            "grants-MAX_NUM_FORMS": "1000",
            "grants-0-role": Role.OPERATOR,
            "grants-0-area": Area.objects.get(code=area).pk if area else "",
        },
    )


def test_an_office_admin_gives_only_its_office_and_areas(client, admins, office, other_office):
    # Another office: not among the choices.
    page = add_user(client, admins["pp"], office, username="u1")
    assert page.status_code == 200
    assert "office" in page.context["adminform"].form.errors
    # No office (the top one): not for an office below it.
    page = add_user(client, admins["pp"], None, username="u2")
    assert "office" in page.context["adminform"].form.errors
    # Its office, with an area of another office: refused on the grant.
    page = add_user(client, admins["pp"], other_office, area="13.75.01", username="u3")
    assert page.status_code == 200
    [grants] = page.context["inline_admin_formsets"]
    assert "area" in grants.formset.errors[0]
    assert not User.objects.filter(username__in=["u1", "u2", "u3"]).exists()
    # Its office and an area within it: saved.
    page = add_user(client, admins["pp"], other_office, area="13.74.01", username="u4")
    assert page.status_code == 302, page.context and page.context.get("errors")
    user = User.objects.get(username="u4")
    assert user.office == other_office
    assert user.grants.get().area.code == "13.74.01"


def test_the_service_gives_only_an_office_the_creator_may_see(make_user, office, other_office):
    creator = make_user("admin-pp", Role.ADMIN, office=other_office)
    for given in (office, None):
        with pytest.raises(ValidationError) as refused:
            user_create(
                by=Actor(user=creator),
                username="op-new",
                password="x-Long-enough-1",
                grants=[(Role.OPERATOR, None)],
                office=given,
            )
        assert "office" in refused.value.message_dict
    user = user_create(
        by=Actor(user=creator),
        username="op-new",
        password="x-Long-enough-1",
        grants=[(Role.OPERATOR, None)],
        office=other_office,
    )
    assert user.office == other_office


# What the review found an office's administrator could still reach in /admin/ or through the
# service: another office's tokens, audit entries, people and areas.


def test_a_token_cannot_be_moved_to_another_offices_user(client, admins):
    from pilar.accounts.models import ApiToken

    token, _raw = ApiToken.issue(user=admins["bkt"], name="skrip")
    client.force_login(admins["bkt"])
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert page.status_code == 200
    client.post(
        f"/admin/accounts/apitoken/{token.pk}/change/",
        {"user": admins["pp"].pk, "name": "skrip", "expires_at_0": "", "expires_at_1": ""},
    )
    token.refresh_from_db()
    assert token.user == admins["bkt"]


def test_the_admin_audit_log_shows_only_the_offices_entries(client, admins):
    from pilar.audit.models import AuditEntry
    from pilar.audit.services import audit_record
    from pilar.offices.services import remembered

    with remembered(office=admins["pp"].office):
        audit_record(
            by=Actor(user=admins["pp"], source="web"), action="update", obj=admins["pp_op"]
        )
    with remembered(office=admins["bkt"].office):
        audit_record(
            by=Actor(user=admins["bkt"], source="web"), action="update", obj=admins["bkt_op"]
        )
    client.force_login(admins["pp"])
    page = client.get("/admin/audit/auditentry/")
    assert page.status_code == 200
    shown = {entry.username for entry in page.context["cl"].result_list}
    assert shown == {"admin-pp"}
    theirs = AuditEntry.objects.filter(username="admin-bkt").latest("pk")
    assert client.get(f"/admin/audit/auditentry/{theirs.pk}/change/").status_code in {302, 404}


def test_a_login_is_not_linked_to_another_offices_person(make_person, make_assignment, admins):
    person = make_person("Ani Bukittinggi", kelurahan="13.75.01.1001")
    make_assignment(person, "PSM", "13.75.01.1001")
    with pytest.raises(ValidationError) as refused:
        user_create(
            by=Actor(user=admins["pp"], source="web"),
            username="ani",
            password="Rahasia-Panjang-123",
            grants=[],
            person=person,
            office=admins["pp"].office,
        )
    assert "person" in refused.value.message_dict
    assert not User.objects.filter(username="ani").exists()


def test_only_the_top_office_changes_the_area_tree(client, admins):
    client.force_login(admins["pp"])
    assert client.get("/admin/regions/area/add/").status_code == 403
    client.force_login(admins["prov"])
    assert client.get("/admin/regions/area/add/").status_code == 200


def test_existing_users_are_tied_to_the_one_office_by_the_migration(make_user, office):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("pilar.accounts.migrations.0005_fill_user_office")
    user = make_user("lama", Role.OPERATOR)
    assert user.office is None
    migration.fill(apps, None)
    user.refresh_from_db()
    assert user.office == office
