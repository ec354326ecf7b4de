"""A person moving between offices (docs/OFFICE.md, "Many offices"): office B gives a duty to a
NIK office A registered, without seeing A's data; refused while A's duty of the same kind runs;
each office then sees the duties in its own area, A the person as they were there."""

from __future__ import annotations

import datetime

import pytest

from pilar.accounts.models import Role
from pilar.audit.services import Actor
from pilar.registry import services
from pilar.registry.models import Assignment, PillarKind
from pilar.tests_support import english_messages

pytestmark = pytest.mark.django_db
english = pytest.fixture(autouse=True, name="english")(english_messages)

MOVE = datetime.date(2024, 7, 1)


@pytest.fixture
def moving(make_person, make_assignment, other_office):
    """Rina, a PSM of Bukittinggi (13.75.01.1001) since 2 January 2023."""
    person = make_person("Rina Pindah", kelurahan="13.75.01.1001", bank_account="1234567890")
    duty = make_assignment(person, "PSM", "13.75.01.1001", datetime.date(2023, 1, 2))
    return person, duty


@pytest.fixture
def users(make_user, office, other_office):
    made = {
        "bkt": make_user("op-bkt", Role.OPERATOR, office=office),
        "bkt_viewer": make_user("viewer-bkt", Role.VIEWER, office=office),
        "pp": make_user("op-pp", Role.OPERATOR, office=other_office),
        "pp_viewer": make_user("viewer-pp", Role.VIEWER, office=other_office),
    }
    for user in made.values():
        user.language = "en"  # the pages speak each user's language (the messages below)
        user.save(update_fields=["language"])
    return made


def duty_form(person, **extra):
    return {
        "nik": person.nik,
        "name": person.name,
        "kind": PillarKind.objects.get(code="PSM").pk,
        "area": _area("13.74.01.1001").pk,
        "start_date": MOVE.isoformat(),
        **extra,
    }


def _area(code):
    from pilar.regions.models import Area

    return Area.objects.get(code=code)


def test_office_b_cannot_see_the_person_nor_register_the_nik_again(client, moving, users):
    person, _duty = moving
    client.force_login(users["pp"])
    assert client.get(f"/pillars/{person.pk}/").status_code == 404
    assert client.get(f"/api/v1/people/{person.pk}").status_code == 404
    page = client.post(
        "/pillars/new/",
        {"nik": person.nik, "name": "Rina Pindah", "sex": "P", "birth_date": "1985-06-15"},
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert "/pillars/new-duty/" in text
    assert f"/pillars/{person.pk}/" not in text


def test_office_b_is_refused_while_office_a_duty_of_the_kind_runs(client, moving, users):
    person, duty = moving
    client.force_login(users["pp"])
    page = client.post("/pillars/new-duty/", duty_form(person))
    text = page.content.decode()
    assert page.status_code == 400
    # The duty is named: kind, area name, start date; nothing else of the person.
    assert "PSM" in text and duty.area.name in text and "2023" in text
    assert person.phone not in text and person.bank_account not in text
    assert person.assignments.count() == 1
    # The API answers the same.
    response = client.post(
        "/api/v1/assignments/by-nik",
        {
            "nik": person.nik,
            "name": person.name,
            "kind": "PSM",
            "area_code": "13.74.01.1001",
            "start_date": MOVE.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    message = str(response.json()["errors"]["start_date"])
    assert duty.area.name in message and "PSM" in message
    assert person.phone not in response.content.decode()


def test_the_name_must_match_and_the_nik_be_registered(client, moving, users):
    person, _duty = moving
    client.force_login(users["pp"])
    wrong = client.post("/pillars/new-duty/", duty_form(person, name="Someone Else"))
    assert wrong.status_code == 400
    assert "not the name registered" in wrong.content.decode()
    unknown = client.post(
        "/pillars/new-duty/", duty_form(person, nik=person.nik[:-4] + "0999", name="X")
    )
    assert unknown.status_code == 400
    assert person.assignments.count() == 1


def test_a_duty_of_another_kind_is_not_refused(moving, users):
    person, _duty = moving
    duty = services.duty_for_registered_nik(
        by=Actor(user=users["pp"]),
        nik=person.nik,
        name=" rina  PINDAH ",
        kind=PillarKind.objects.get(code="TKSK"),
        area=_area("13.74.01"),
        start_date=MOVE,
    )
    assert duty.area.code == "13.74.01"


def test_office_b_cannot_give_a_duty_in_office_a_area(moving, users):
    person, duty = moving
    from django.core.exceptions import ValidationError

    services.assignment_end(
        by=Actor(user=users["bkt"]), assignment=duty, end_date=MOVE, end_reason="moved"
    )
    with pytest.raises(ValidationError) as refused:
        services.duty_for_registered_nik(
            by=Actor(user=users["pp"]),
            nik=person.nik,
            name=person.name,
            kind=PillarKind.objects.get(code="PSM"),
            area=_area("13.75.01.1002"),
            start_date=MOVE + datetime.timedelta(days=1),
        )
    assert "area" in refused.value.message_dict


def headcount(client, user, day, area=None):
    client.force_login(user)
    query = f"?as_of={day.isoformat()}" + (f"&area={area}" if area else "")
    response = client.get("/api/v1/headcount" + query)
    assert response.status_code == 200, response.content
    return response.json()["by_kind"].get("PSM", 0)


def test_the_move_each_office_sees_its_duties_and_counts(client, moving, users):
    person, duty = moving
    last_day = MOVE - datetime.timedelta(days=1)
    # Office A ends its duty (the last day served), then office B's duty starts.
    services.assignment_end(
        by=Actor(user=users["bkt"]), assignment=duty, end_date=last_day, end_reason="moved"
    )
    client.force_login(users["pp"])
    page = client.post("/pillars/new-duty/", duty_form(person))
    assert page.status_code == 302, page.content.decode()
    assert page["Location"] == f"/pillars/{person.pk}/"
    new = Assignment.objects.get(person=person, area__code="13.74.01.1001")
    assert new.start_date == MOVE

    # Office B sees the person as they are, with the duty in its area only.
    seen = client.get(f"/api/v1/people/{person.pk}").json()
    assert seen["former"] is False
    assert [a["area_code"] for a in seen["assignments"]] == ["13.74.01.1001"]
    detail = client.get(f"/pillars/{person.pk}/")
    assert [a.area.code for a in detail.context["assignments"]] == ["13.74.01.1001"]
    # Office A's history of the person (its registration, its duty) is not shown.
    assert [e.object_id for e in detail.context["history"]] == [str(new.pk)]
    listed = client.get("/api/v1/people").json()
    assert [p["id"] for p in listed] == [person.pk]

    # Office A keeps the person as they were there: name, masked NIK, its duty.
    client.force_login(users["bkt"])
    seen = client.get(f"/api/v1/people/{person.pk}").json()
    assert seen["former"] is True
    assert seen["phone"] == "" and seen["bank_account"] == ""
    assert [a["area_code"] for a in seen["assignments"]] == ["13.75.01.1001"]
    assert client.get(f"/pillars/{person.pk}/edit/").status_code == 404

    # Headcounts on each side of the move.
    before, after = last_day, MOVE
    assert headcount(client, users["bkt_viewer"], before) == 1
    assert headcount(client, users["bkt_viewer"], after) == 0
    assert headcount(client, users["pp_viewer"], before) == 0
    assert headcount(client, users["pp_viewer"], after) == 1


def test_a_person_serving_in_two_offices_is_listed_with_each_offices_duty(client, moving, users):
    person, duty = moving
    services.duty_for_registered_nik(
        by=Actor(user=users["pp"]),
        nik=person.nik,
        name=person.name,
        kind=PillarKind.objects.get(code="TKSK"),
        area=_area("13.74.01"),
        start_date=datetime.date(2024, 1, 2),
    )
    for user, expected in ((users["pp"], ["TKSK"]), (users["bkt"], ["PSM"])):
        client.force_login(user)
        listed = client.get("/api/v1/people").json()
        assert [p["active_kinds"] for p in listed if p["id"] == person.pk] == [expected]
        detail = client.get(f"/api/v1/people/{person.pk}").json()
        assert [a["kind"] for a in detail["assignments"]] == expected


def test_headcount_for_one_office_area(
    client, make_user, people, office, other_office, province_office
):
    prov = make_user("prov-viewer", Role.VIEWER, office=province_office)
    bkt = make_user("viewer-bkt", Role.VIEWER, office=office)
    pp = make_user("viewer-pp", Role.VIEWER, office=other_office)
    coordinator = make_user("tksk-bkt", Role.COORDINATOR, area="13.75.01", office=office)
    day = datetime.date(2024, 10, 22)

    def total(user, area):
        client.force_login(user)
        return client.get(f"/api/v1/headcount?as_of={day.isoformat()}&area={area}")

    # The fixture's four duties in Bukittinggi: three PSM, one TKSK.
    assert total(prov, "13.75").json()["total"] == 4
    assert total(bkt, "13.75").json()["total"] == 4
    assert total(prov, "13.74").json()["total"] == 0
    # A kecamatan coordinator asking for the whole city gets their kecamatan.
    assert total(coordinator, "13.75").json()["total"] == 3
    # Another office's area: as for a record outside the scope.
    assert total(bkt, "13.74").status_code == 404
    assert total(pp, "13.75").status_code == 404
    assert total(bkt, "99.99").status_code == 400
    client.force_login(pp)
    assert client.get("/headcount/?area=13.75").status_code == 404
    assert client.get("/headcount/?area=99").status_code == 400
    client.force_login(prov)
    page = client.get("/headcount/?area=13.75")
    assert page.status_code == 200
    assert page.context["hc"].total == 4


def test_only_the_top_office_changes_the_pillar_kinds(client, make_user, office, province_office):
    kind = PillarKind.objects.get(code="TKSK")
    for user, status in (
        (make_user("admin-bkt", Role.ADMIN, office=office), 403),
        (make_user("admin-prov", Role.ADMIN, office=province_office), 200),
    ):
        user.is_staff = user.is_superuser = True
        user.save()
        client.force_login(user)
        page = client.post(
            f"/admin/registry/pillarkind/{kind.pk}/change/",
            {"name": "TKSK", "min_per_area": 1, "max_per_area": 5, "order": 1},
        )
        assert page.status_code in {status, 302}
        kind.refresh_from_db()
        assert (kind.max_per_area == 5) is (status == 200)


def test_only_the_office_of_the_first_duty_changes_a_shared_persons_record(client, moving, users):
    """The outsider's attack: office B, knowing a pillar's NIK and name, gives them a duty and
    then changes their bank account, so office A's next draft would pay another account."""
    person, _duty = moving
    services.duty_for_registered_nik(
        by=Actor(user=users["pp"]),
        nik=person.nik,
        name=person.name,
        kind=PillarKind.objects.get(code="TKSK"),
        area=_area("13.74.01"),
        start_date=datetime.date(2024, 1, 2),
    )
    client.force_login(users["pp"])
    answer = client.patch(
        f"/api/v1/people/{person.pk}",
        {"bank_account": "9999999999", "bank_holder": "Penerima Lain"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "13.75.01.1001" not in answer.content.decode()  # named by the area's name only
    person.refresh_from_db()
    assert person.bank_account == "1234567890"
    # Office A, where she first serves, keeps her record.
    client.force_login(users["bkt"])
    answer = client.patch(
        f"/api/v1/people/{person.pk}",
        {"bank_account": "5555555555"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    person.refresh_from_db()
    assert person.bank_account == "5555555555"
