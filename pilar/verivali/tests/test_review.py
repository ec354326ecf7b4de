"""The coordinator's review of verivali findings (pilar/verivali/views/field.py): the findings
waiting in my kecamatan with what each changes, accept and return; who may do it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pilar.audit.services import Actor
from pilar.tests_support import login
from pilar.verivali import services
from pilar.verivali.models import Finding

from .conftest import D, visit_of

pytestmark = pytest.mark.django_db

REVIEW = "/verivali/review/"


@pytest.fixture(autouse=True)
def english_pages(actors):
    from pilar.accounts.models import User

    User.objects.update(language="en")


def record(user, visit, **data):
    data = {"kind": "confirmed", "visited_on": D(2026, 3, 10), **data}
    return services.finding_record(by=Actor(user=user), visit=visit, data=data)


@pytest.fixture
def waiting(actors, round, households, a2_user, make_user, people):
    """Findings waiting: two by a1 in 13.75.01.1001, one by a2 in 1002, one by b1 in kecamatan B."""
    from pilar.accounts.models import Role

    h = households
    wife = h["h2"].members.get(relation="spouse")
    b1 = make_user("psm-b1", Role.PILLAR, person=people["b1"])
    return {
        "decile": record(
            actors["pillar"],
            visit_of(round, h["h1"]),
            kind="corrected",
            changes={"decile": 4, "address": "Jl. Merdeka 9"},
            note="Rumah permanen",
        ),
        "deceased": record(
            actors["pillar"],
            visit_of(round, h["h2"]),
            kind="deceased",
            deceased_member=wife.pk,
            deceased_on=D(2026, 2, 1),
        ),
        "moved": record(a2_user, visit_of(round, h["h3"]), kind="moved", moved_to="Padang"),
        "other": record(b1, visit_of(round, h["hb"])),
    }


def test_anonymous_goes_to_the_login_page(client, waiting):
    finding = waiting["moved"]
    assert "/accounts/login/" in client.get(REVIEW)["Location"]
    for name in ["verivali:finding-accept", "verivali:finding-return"]:
        response = client.post(reverse(name, args=[finding.pk]), {"version": 1})
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["viewer", "finance", "approver", "pillar", "norole"])
def test_only_reviewers_open_the_review(client, actors, waiting, who):
    login(client, actors[who])
    assert client.get(REVIEW).status_code == 403
    finding = waiting["moved"]
    url = reverse("verivali:finding-accept", args=[finding.pk])
    assert client.post(url, {"version": finding.version}).status_code == 403
    finding.refresh_from_db()
    assert finding.status == "submitted"


def test_the_coordinator_sees_their_kecamatans_findings_before_and_after(
    client, actors, waiting, households, django_assert_max_num_queries
):
    login(client, actors["coordinator_a"])
    with django_assert_max_num_queries(14):
        response = client.get(REVIEW)
    assert response.status_code == 200
    shown = {f.pk for f in response.context["page"]}
    assert shown == {waiting[k].pk for k in ("decile", "deceased", "moved")}
    html = response.content.decode()
    assert "Pak Bahar" not in html  # kecamatan B
    finding = next(f for f in response.context["page"] if f.pk == waiting["decile"].pk)
    assert ("Welfare decile", "2", "4") in finding.rows
    assert ("Address", "Jl. Sudirman No. 1", "Jl. Merdeka 9") in finding.rows
    assert "Rumah permanen" in html
    died = next(f for f in response.context["page"] if f.pk == waiting["deceased"].pk)
    assert died.rows == [("Died", "Ibu Rosna", "2026-02-01")]
    # NIKs and KKs are masked in the list.
    assert households["h1"].kk_number not in html


def test_the_office_sees_every_kecamatan(client, actors, waiting):
    login(client, actors["operator"])
    response = client.get(REVIEW)
    assert {f.pk for f in response.context["page"]} == {f.pk for f in waiting.values()}


def test_filters_by_round_kelurahan_pillar_and_kind(client, actors, waiting, round, people, area):
    login(client, actors["coordinator_a"])

    def shown(**query):
        response = client.get(REVIEW, query)
        assert response.status_code == 200
        return {f.pk for f in response.context["page"]}

    assert shown(kind="moved") == {waiting["moved"].pk}
    assert shown(person=people["a1"].pk) == {waiting["decile"].pk, waiting["deceased"].pk}
    assert shown(area=area("13.75.01.1002").pk) == {waiting["moved"].pk}
    assert len(shown(round=round.pk)) == 3
    assert shown(kind="nonsense") == set()  # a filter that cannot apply shows nothing


def test_accept_applies_and_return_needs_a_note(client, actors, waiting, households):
    login(client, actors["coordinator_a"])
    moved, decile = waiting["moved"], waiting["decile"]
    response = client.post(
        reverse("verivali:finding-accept", args=[moved.pk]),
        {"version": moved.version, "query": "kind=moved"},
    )
    assert response.status_code == 302 and response["Location"] == f"{REVIEW}?kind=moved"
    moved.refresh_from_db()
    assert moved.status == "accepted"
    households["h3"].refresh_from_db()
    assert households["h3"].status == "moved"

    url = reverse("verivali:finding-return", args=[decile.pk])
    response = client.post(url, {"version": decile.version, "note": "  "})
    assert response.status_code == 400
    decile.refresh_from_db()
    assert decile.status == "submitted"
    response = client.post(url, {"version": decile.version, "note": "Desil perlu bukti foto"})
    assert response.status_code == 302
    decile.refresh_from_db()
    assert (decile.status, decile.review_note) == ("returned", "Desil perlu bukti foto")
    # Reviewed findings leave the list.
    response = client.get(REVIEW)
    assert {f.pk for f in response.context["page"]} == {waiting["deceased"].pk}


def test_a_stale_version_or_a_second_accept_is_refused(client, actors, waiting):
    login(client, actors["coordinator_a"])
    finding = waiting["moved"]
    url = reverse("verivali:finding-accept", args=[finding.pk])
    response = client.post(url, {"version": finding.version - 1 or 99})
    assert response.status_code == 400 and "reload" in response.content.decode()
    assert client.post(url, {"version": finding.version}).status_code == 302
    response = client.post(url, {"version": finding.version + 1})
    assert response.status_code == 400
    assert "not waiting for review" in response.content.decode()


def test_a_coordinator_of_another_kecamatan_cannot_accept(client, actors, waiting):
    login(client, actors["coordinator_b"])
    finding = waiting["moved"]
    for name in ["verivali:finding-accept", "verivali:finding-return"]:
        url = reverse(name, args=[finding.pk])
        response = client.post(url, {"version": finding.version, "note": "x"})
        assert response.status_code == 404
    finding.refresh_from_db()
    assert finding.status == "submitted"
    assert {f.pk for f in client.get(REVIEW).context["page"]} == {waiting["other"].pk}


def test_the_back_link_keeps_only_the_lists_own_query(client, actors, waiting):
    login(client, actors["coordinator_a"])
    finding = waiting["moved"]
    response = client.post(
        reverse("verivali:finding-accept", args=[finding.pk]),
        {"version": finding.version, "query": "//evil.example/"},
    )
    assert response["Location"] == REVIEW
    assert Finding.objects.get(pk=finding.pk).status == "accepted"


def test_a_coordinator_does_not_see_their_own_findings(client, actors, round, households, people):
    """The TKSK's own visit (given to them by the office) is reviewed by someone else."""
    from pilar.verivali.models import Visit

    Visit.objects.filter(household=households["h9"]).update(person=people["tksk_a"])
    own = record(actors["coordinator_a"], visit_of(round, households["h9"]), note="sendiri")
    login(client, actors["coordinator_a"])
    assert own.pk not in {f.pk for f in client.get(REVIEW).context["page"]}
    login(client, actors["operator"])
    assert own.pk in {f.pk for f in client.get(REVIEW).context["page"]}
