"""The pillar's verivali pages (pilar/verivali/views/field.py): the households given to me, one
household's finding form, a proposed household; who may open them."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pilar.accounts.models import SubmittedForm
from pilar.audit.services import Actor
from pilar.tests_support import login
from pilar.verivali import reviews, services
from pilar.verivali.models import Finding, Visit

from .conftest import D, make_kk, nik, visit_of

pytestmark = pytest.mark.django_db


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 140, 200)).save(out, "JPEG")
    return SimpleUploadedFile("IMG.jpg", out.getvalue(), content_type="image/jpeg")


def visit_url(visit) -> str:
    return reverse("verivali:visit", args=[visit.pk])


def post_finding(client, visit, **data):
    body = {"kind": "confirmed", "visited_on": "2026-03-10", **data}
    return client.post(visit_url(visit), body)


@pytest.fixture
def pillar(client, actors):
    login(client, actors["pillar"])
    return client


# --- who may open what ----------------------------------------------------------------------


def test_anonymous_goes_to_the_login_page(client, round, households):
    visit = visit_of(round, households["h1"])
    for url in [
        reverse("verivali:my"),
        visit_url(visit),
        reverse("verivali:propose", args=[round.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("who", ["viewer", "finance", "operator", "admin", "norole"])
def test_only_a_pillar_opens_the_field_pages(client, actors, round, households, who):
    login(client, actors[who])
    visit = visit_of(round, households["h1"])
    for url in [
        reverse("verivali:my"),
        visit_url(visit),
        reverse("verivali:propose", args=[round.pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_a_pillar_cannot_open_another_pillars_visit(client, round, households, a2_user):
    login(client, a2_user)
    assert client.get(visit_url(visit_of(round, households["h3"]))).status_code == 200
    assert client.get(visit_url(visit_of(round, households["h1"]))).status_code == 404
    response = post_finding(client, visit_of(round, households["h1"]))
    assert response.status_code == 404
    assert not Finding.objects.exists()


def test_the_coordinator_records_only_visits_given_to_them(client, actors, round, households):
    """The TKSK sees the kecamatan's visits (review), but records only their own."""
    login(client, actors["coordinator_a"])
    assert client.get(reverse("verivali:my")).status_code == 200
    assert client.get(visit_url(visit_of(round, households["h1"]))).status_code == 404


# --- my households --------------------------------------------------------------------------


def test_my_households_by_kelurahan_with_their_state(
    pillar, actors, round, households, django_assert_max_num_queries
):
    h1, h2 = visit_of(round, households["h1"]), visit_of(round, households["h2"])
    finding = services.finding_record(
        by=Actor(user=actors["pillar"]),
        visit=h1,
        data={"kind": "confirmed", "visited_on": D(2026, 3, 10)},
    )
    reviews.finding_return(
        by=Actor(user=actors["coordinator_a"]),
        finding=finding,
        note="Foto rumah belum ada",
        version=finding.version,
    )
    with django_assert_max_num_queries(12):
        response = pillar.get(reverse("verivali:my"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pak Amir" in html and "Pak Rosna" in html
    assert "Pak Joni" not in html and "Pak Bahar" not in html  # other pillars'
    assert f'data-testid="visit-{h1.pk}"' in html and f'data-testid="visit-{h2.pk}"' in html
    assert "Foto rumah belum ada" in html  # the coordinator's note on the returned one
    assert response.context["counts"] == {
        "to_visit": 1,
        "submitted": 0,
        "returned": 1,
        "accepted": 0,
    }
    assert households["h1"].kk_number not in html  # the KK masked
    assert reverse("verivali:propose", args=[round.pk]) in html


def test_my_households_search_by_head_or_kk_end(pillar, round, households):
    response = pillar.get(reverse("verivali:my"), {"q": "rosna"})
    assert [v.household_id for v in response.context["page"]] == [households["h2"].pk]
    response = pillar.get(reverse("verivali:my"), {"q": households["h1"].kk_number[-4:]})
    assert [v.household_id for v in response.context["page"]] == [households["h1"].pk]
    response = pillar.get(reverse("verivali:my"), {"q": "nobody"})
    assert list(response.context["page"]) == []
    assert "No household matches the search." in response.content.decode()


# --- recording a finding --------------------------------------------------------------------


def test_the_visit_page_shows_the_household_with_masked_niks(
    pillar, round, households, django_assert_max_num_queries
):
    visit = visit_of(round, households["h1"])
    with django_assert_max_num_queries(10):
        response = pillar.get(visit_url(visit))
    html = response.content.decode()
    assert response.status_code == 200
    head = households["h1"].members.get(relation="head")
    assert head.masked_nik in html and head.nik not in html
    assert households["h1"].kk_number not in html
    assert 'name="kind"' in html and 'capture="environment"' in html


def test_a_confirmed_finding_is_saved_and_counts_as_an_activity(pillar, round, households):
    visit = visit_of(round, households["h1"])
    response = post_finding(pillar, visit, note="Keluarga ada di rumah")
    assert response.status_code == 302 and response["Location"] == reverse("verivali:my")
    finding = Finding.objects.get(visit=visit)
    assert (finding.kind, finding.status, finding.changes) == ("confirmed", "submitted", {})
    assert finding.activity is not None and finding.note == "Keluarga ada di rumah"


def test_a_correction_sends_only_what_changed(pillar, round, households):
    visit = visit_of(round, households["h1"])
    h = households["h1"]
    wife = h.members.get(relation="spouse")
    body = {
        "kind": "corrected",
        "address": "Jl. Merdeka No. 9",
        "rt_rw": h.rt_rw,
        "decile": "4",
        "dtsen_id": h.dtsen_id,
        f"m{wife.pk}_name": "Ibu Amir Rahmah",
        f"m{wife.pk}_sex": "P",
        f"m{wife.pk}_relation": "spouse",
        f"m{wife.pk}_birth_date": "1982-02-02",
        "new0_name": "Rani",
        "new0_sex": "P",
        "new0_relation": "child",
        "new0_birth_date": "2015-05-05",
    }
    # A changed decile needs the note saying why.
    response = post_finding(pillar, visit, **body)
    assert response.status_code == 400
    assert "The decile changed" in response.context["form"].errors["note"][0]
    response = post_finding(pillar, visit, **body, note="Sudah punya warung, rumah permanen")
    assert response.status_code == 302
    finding = Finding.objects.get(visit=visit)
    assert finding.changes == {
        "address": "Jl. Merdeka No. 9",
        "decile": 4,
        "members": {str(wife.pk): {"name": "Ibu Amir Rahmah"}},
        "new_members": [
            {
                "nik": "",
                "name": "Rani",
                "sex": "P",
                "birth_date": "2015-05-05",
                "relation": "child",
            }
        ],
    }


def test_a_correction_with_nothing_changed_is_refused(pillar, round, households):
    visit = visit_of(round, households["h1"])
    h = households["h1"]
    response = post_finding(
        pillar, visit, kind="corrected", address=h.address, decile=str(h.decile)
    )
    assert response.status_code == 400
    assert "Nothing was corrected" in str(response.context["form"].non_field_errors())
    assert not Finding.objects.exists()


def test_the_services_refusal_lands_on_the_member_field(pillar, round, households):
    """A corrected NIK that is a member of another household: the service's message is shown
    under that member's NIK field, and nothing is saved."""
    visit = visit_of(round, households["h1"])
    wife = households["h1"].members.get(relation="spouse")
    other = households["h2"].members.get(relation="spouse")
    response = post_finding(pillar, visit, kind="corrected", **{f"m{wife.pk}_nik": other.nik})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert f"m{wife.pk}_nik" in errors, errors
    assert not Finding.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("moved", "moved_to"),
        ("deceased", "deceased_member"),
        ("split", "split_members"),
        ("not_found", "note"),
        ("better_off", "note"),
    ],
)
def test_each_kind_asks_for_its_own_field(pillar, round, households, kind, field):
    response = post_finding(pillar, visit_of(round, households["h1"]), kind=kind)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Finding.objects.exists()


def test_fields_of_another_kind_are_not_read(pillar, round, households):
    """The form sends every part (the script only hides them): a confirmed finding keeps
    nothing of a moved-to address or a changed decile typed and then left behind."""
    visit = visit_of(round, households["h1"])
    response = post_finding(
        pillar, visit, kind="confirmed", moved_to="Padang", decile="9", address="Elsewhere"
    )
    assert response.status_code == 302
    finding = Finding.objects.get(visit=visit)
    assert (finding.kind, finding.moved_to, finding.changes) == ("confirmed", "", {})


def test_a_slip_left_in_another_kinds_part_is_no_error(pillar, round, households):
    visit = visit_of(round, households["h1"])
    wife = households["h1"].members.get(relation="spouse")
    slips = {f"m{wife.pk}_nik": "123", "new0_birth_date": "1-1-1", "deceased_on": "kemarin"}
    response = post_finding(pillar, visit, kind="moved", moved_to="Padang", **slips)
    assert response.status_code == 302
    # The same slips under their own kind are errors.
    wife = households["h2"].members.get(relation="spouse")
    slips[f"m{wife.pk}_nik"] = "123"
    response = post_finding(pillar, visit_of(round, households["h2"]), kind="corrected", **slips)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {f"m{wife.pk}_nik", "new0_birth_date"}, errors


def test_moved_deceased_split(pillar, round, households):
    h1, h2 = visit_of(round, households["h1"]), visit_of(round, households["h2"])
    assert post_finding(pillar, h1, kind="moved", moved_to="Kota Padang").status_code == 302
    wife = households["h2"].members.get(relation="spouse")
    response = post_finding(
        pillar, h2, kind="deceased", deceased_member=str(wife.pk), deceased_on="2026-02-01"
    )
    assert response.status_code == 302
    assert Finding.objects.get(visit=h1).moved_to == "Kota Padang"
    died = Finding.objects.get(visit=h2)
    assert (died.deceased_member, died.deceased_on) == (wife, D(2026, 2, 1))


def test_a_second_submit_is_harmless(pillar, round, households):
    visit = visit_of(round, households["h1"])
    first = post_finding(pillar, visit, note="sekali")
    again = post_finding(pillar, visit, note="sekali")
    assert first.status_code == again.status_code == 302
    assert Finding.objects.count() == 1 and SubmittedForm.objects.count() == 1


def test_a_photo_is_kept_and_shown_to_its_pillar_and_reviewers(
    client, pillar, actors, round, households, a2_user
):
    visit = visit_of(round, households["h1"])
    response = pillar.post(
        visit_url(visit), {"kind": "confirmed", "visited_on": "2026-03-10", "photo": jpeg()}
    )
    assert response.status_code == 302
    finding = Finding.objects.get(visit=visit)
    assert finding.photo
    photo = reverse("verivali:finding-photo", args=[finding.pk])
    assert pillar.get(photo).status_code == 200
    login(client, actors["coordinator_a"])
    assert client.get(photo).status_code == 200
    login(client, actors["coordinator_b"])
    assert client.get(photo).status_code == 404
    login(client, a2_user)
    assert client.get(photo).status_code == 404


def test_a_returned_finding_shows_the_note_and_the_form_as_sent(pillar, actors, round, households):
    visit = visit_of(round, households["h1"])
    post_finding(pillar, visit, kind="moved", moved_to="Padang")
    finding = Finding.objects.get(visit=visit)
    reviews.finding_return(
        by=Actor(user=actors["coordinator_a"]),
        finding=finding,
        note="Alamat lengkap di Padang?",
        version=finding.version,
    )
    finding.refresh_from_db()
    response = pillar.get(visit_url(visit))
    html = response.content.decode()
    assert "Alamat lengkap di Padang?" in html
    form = response.context["form"]
    assert (form["kind"].value(), form["moved_to"].value()) == ("moved", "Padang")
    assert form["version"].value() == finding.version
    response = post_finding(
        pillar, visit, kind="moved", moved_to="Jl. Veteran 3, Padang", version=finding.version
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.moved_to) == ("submitted", "Jl. Veteran 3, Padang")


def test_an_old_version_is_refused(pillar, round, households):
    """Two phones: the second sends the version it was shown, which is no longer current."""
    visit = visit_of(round, households["h1"])
    post_finding(pillar, visit, note="pertama")
    finding = Finding.objects.get(visit=visit)
    assert post_finding(pillar, visit, note="kedua", version=finding.version).status_code == 302
    response = post_finding(pillar, visit, note="ketiga", version=finding.version)
    assert response.status_code == 400
    assert "reload" in str(response.context["form"].non_field_errors())
    finding.refresh_from_db()
    assert finding.note == "kedua"


def test_an_accepted_finding_is_read_only(pillar, actors, round, households):
    visit = visit_of(round, households["h1"])
    post_finding(pillar, visit, kind="moved", moved_to="Padang")
    finding = Finding.objects.get(visit=visit)
    reviews.finding_accept(
        by=Actor(user=actors["coordinator_a"]), finding=finding, version=finding.version
    )
    response = pillar.get(visit_url(visit))
    assert response.status_code == 200 and "form" not in response.context
    assert 'data-testid="finding"' in response.content.decode()
    response = post_finding(pillar, visit, kind="confirmed", version=finding.version + 1)
    assert response.status_code == 400
    assert "final" in response.content.decode()


# --- proposing a household ------------------------------------------------------------------


def propose_body(**extra):
    return {
        "kk_number": make_kk(),
        "area": "",
        "address": "Jl. Baru No. 2",
        "rt_rw": "2/3",
        "decile": "1",
        "visited_on": "2026-03-11",
        "p0_name": "Pak Baru",
        "p0_sex": "L",
        "p0_relation": "head",
        "p0_nik": nik("L"),
        "p0_birth_date": "1980-01-01",
        "p1_name": "Ibu Baru",
        "p1_sex": "P",
        "p1_relation": "spouse",
        **extra,
    }


def test_a_pillar_proposes_a_household_in_their_kelurahan(pillar, round, area):
    url = reverse("verivali:propose", args=[round.pk])
    response = pillar.get(url)
    assert response.status_code == 200
    kelurahan = area("13.75.01.1001")
    assert [c[0] for c in response.context["form"].fields["area"].choices] == [kelurahan.pk]
    response = pillar.post(url, propose_body(area=str(kelurahan.pk)))
    assert response.status_code == 302
    visit = Visit.objects.get(household__isnull=True)
    assert visit.proposed["rt_rw"] == "002/003"
    assert [m["name"] for m in visit.proposed["members"]] == ["Pak Baru", "Ibu Baru"]
    assert visit.finding.kind == "proposed"
    # On my list with the head's name, found by it and by the KK's end.
    for q in ["", "baru", visit.proposed["kk_number"][-4:]]:
        page = pillar.get(reverse("verivali:my"), {"q": q} if q else {}).context["page"]
        assert [v.name for v in page if v.pk == visit.pk] == ["Pak Baru"], q
    # Its page: the proposal to correct while it waits.
    response = pillar.get(visit_url(visit))
    assert response.status_code == 200
    assert response.context["form"]["p1_name"].value() == "Ibu Baru"


def test_a_proposal_without_head_or_outside_my_area_is_refused(pillar, round, area):
    url = reverse("verivali:propose", args=[round.pk])
    other = area("13.75.02.1001")
    response = pillar.post(url, propose_body(area=str(other.pk)))
    assert response.status_code == 400 and "area" in response.context["form"].errors
    kelurahan = area("13.75.01.1001")
    response = pillar.post(url, propose_body(area=str(kelurahan.pk), p0_relation="child"))
    assert response.status_code == 400
    assert "p0_relation" in response.context["form"].errors
    assert not Visit.objects.filter(household__isnull=True).exists()


def test_a_closed_round_takes_no_proposal(pillar, actors, round):
    services.round_close(by=Actor(user=actors["operator"]), round=round)
    assert pillar.get(reverse("verivali:propose", args=[round.pk])).status_code == 404


def test_a_returned_proposal_is_corrected_on_its_page(pillar, actors, round, area):
    kelurahan = area("13.75.01.1001")
    pillar.post(reverse("verivali:propose", args=[round.pk]), propose_body(area=str(kelurahan.pk)))
    visit = Visit.objects.get(household__isnull=True)
    finding = visit.finding
    reviews.finding_return(
        by=Actor(user=actors["coordinator_a"]),
        finding=finding,
        note="RT/RW salah",
        version=finding.version,
    )
    finding.refresh_from_db()
    response = pillar.get(visit_url(visit))
    assert "RT/RW salah" in response.content.decode()
    form = response.context["form"]
    body = {
        name: form[name].value() or ""
        for name in form.fields
        if name not in ("photo",) and form[name].value() is not None
    }
    body.update(rt_rw="004/005", version=str(finding.version))
    response = pillar.post(visit_url(visit), body)
    assert response.status_code == 302, response.context["form"].errors
    visit.refresh_from_db()
    finding.refresh_from_db()
    assert visit.proposed["rt_rw"] == "004/005" and finding.status == "submitted"
    assert [m["name"] for m in visit.proposed["members"]] == ["Pak Baru", "Ibu Baru"]
