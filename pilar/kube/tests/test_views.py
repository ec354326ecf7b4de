import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from python_calamine import CalamineWorkbook

from pilar.kube import services
from pilar.kube.models import KubeCompanion, KubeGroup, KubeMember, KubeMonthlyRecord
from pilar.kube.tests.conftest import KEL_A, KEL_B, accompany
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(actors):
    for user in actors.values():
        user.language = "en"
        user.save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture
def groups(make_group, people):
    """Group A (kecamatan A, 6 members, accompanied by the pillar user a1) and group B."""
    a = make_group("KUBE Anggrek", members=6)
    b = make_group("KUBE Bougenvil", kelurahan=KEL_B, members=5, stage="development")
    accompany(a, people["a1"])
    return {"a": a, "b": b}


def names(response) -> set[str]:
    return {g.name for g in response.context["page"]}


def test_list_scope_by_role(client, actors, groups):
    login(client, actors["operator"])
    assert names(client.get("/kube/")) == {"KUBE Anggrek", "KUBE Bougenvil"}
    client.logout()
    login(client, actors["coordinator_b"])
    assert names(client.get("/kube/")) == {"KUBE Bougenvil"}
    assert client.get(f"/kube/{groups['a'].pk}/").status_code == 404
    client.logout()
    login(client, actors["pillar"])  # accompanies group A only
    assert names(client.get("/kube/")) == {"KUBE Anggrek"}
    assert client.get(f"/kube/{groups['b'].pk}/").status_code == 404
    client.logout()
    login(client, actors["viewer"])
    assert client.get("/kube/").status_code == 403


def test_ended_companion_no_longer_sees_the_group(client, actors, groups):
    KubeCompanion.objects.filter(group=groups["a"]).update(end_date=datetime.date(2024, 6, 30))
    login(client, actors["pillar"])
    assert client.get(f"/kube/{groups['a'].pk}/").status_code == 404


def test_filters(client, actors, groups):
    login(client, actors["operator"])
    assert names(client.get("/kube/?area=13.75.02")) == {"KUBE Bougenvil"}
    assert names(client.get(f"/kube/?area={KEL_A}")) == {"KUBE Anggrek"}
    assert names(client.get("/kube/?stage=development")) == {"KUBE Bougenvil"}
    assert names(client.get("/kube/?q=anggrek")) == {"KUBE Anggrek"}
    assert names(client.get("/kube/?q=jahit")) == {"KUBE Anggrek", "KUBE Bougenvil"}


def test_size_warning_on_list_and_page(client, actors, make_group):
    small = make_group("KUBE Kecil", members=3)
    make_group("KUBE Cukup", members=5)
    login(client, actors["operator"])
    page = client.get("/kube/").content.decode()
    assert page.count('data-testid="size-warning"') == 1
    assert "under 5" in page
    detail = client.get(f"/kube/{small.pk}/").content.decode()
    assert "This group has 3 member households." in detail
    assert "A KUBE has 5 to 20 households" in detail


def test_detail_shows_members_masked_kk_and_companion(client, actors, groups):
    login(client, actors["coordinator_a"])
    response = client.get(f"/kube/{groups['a'].pk}/")
    page = response.content.decode()
    member = groups["a"].members.select_related("household").first()
    assert member.household.masked_kk in page
    assert member.household.kk_number not in page
    assert "Kepala Keluarga" in page and "Chair (ketua)" in page
    assert "Ani Kecamatan A" in page  # the companion
    # A coordinator reads; no forms.
    assert "member_form" not in response.context and "record_form" not in response.context


def test_member_from_another_group_refused_on_the_page(client, actors, groups, make_group):
    other = make_group("KUBE Cempaka")
    household = groups["a"].members.first().household
    login(client, actors["operator"])
    response = client.post(
        f"/kube/{other.pk}/members/",
        {"household": household.pk, "role": "member", "joined_on": "2024-01-01"},
    )
    # The household of group A is not offered for group A itself, but is for Cempaka.
    assert response.status_code == 400
    assert "already a member of “KUBE Anggrek”" in response.content.decode()
    assert other.members.count() == 0


def test_operator_adds_and_removes_a_member(client, actors, groups, make_household):
    household = make_household(KEL_A, head="Yusuf")
    login(client, actors["operator"])
    response = client.post(
        f"/kube/{groups['a'].pk}/members/",
        {"household": household.pk, "role": "member", "joined_on": "2024-02-01"},
    )
    assert response.status_code == 302
    member = KubeMember.objects.get(household=household)
    response = client.post(
        f"/kube/members/{member.pk}/remove/", {"left_on": "2024-03-01", "reason": "Pindah"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.left_on == datetime.date(2024, 3, 1)
    assert "Yusuf" in client.get(f"/kube/{groups['a'].pk}/").content.decode()  # history


def test_companion_records_a_month_coordinator_cannot(client, actors, groups):
    url = f"/kube/{groups['a'].pk}/records/"
    body = {"month": "2024-05", "turnover": "2500000", "savings": "250000"}
    login(client, actors["coordinator_a"])
    assert client.post(url, body).status_code == 403
    client.logout()
    login(client, actors["pillar"])
    assert client.post(url, body).status_code == 302
    assert KubeMonthlyRecord.objects.get().turnover == 2_500_000
    response = client.post(url, body)
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert KubeMonthlyRecord.objects.count() == 1
    # The pillar may not change members.
    assert client.post(f"/kube/{groups['a'].pk}/members/", {}).status_code == 403


def test_companion_adds_a_note(client, actors, groups):
    login(client, actors["pillar"])
    response = client.post(
        f"/kube/{groups['a'].pk}/notes/", {"date": "2024-05-02", "text": "Kas rapi."}
    )
    assert response.status_code == 302
    assert groups["a"].notes.get().created_by == actors["pillar"]


def test_negative_aid_shows_a_message_and_saves_nothing(client, actors, groups):
    login(client, actors["operator"])
    response = client.post(
        f"/kube/{groups['a'].pk}/aid/",
        {"date": "2024-01-05", "source": "apbd", "form": "goods", "value": "-100"},
    )
    assert response.status_code == 400
    assert "Value (Rp) cannot be negative" in response.content.decode()
    assert not groups["a"].aid.exists()


def test_create_and_edit_a_group(client, actors, area):
    login(client, actors["operator"])
    response = client.post(
        "/kube/new/",
        {
            "name": "KUBE Baru",
            "area": area(KEL_A).pk,
            "business_type": "Kuliner",
            "founded_on": "2024-01-10",
            "stage": "growth",
            "status": "active",
        },
    )
    group = KubeGroup.objects.get()
    assert response.status_code == 302 and response.url == f"/kube/{group.pk}/"
    response = client.post(
        f"/kube/{group.pk}/edit/",
        {
            "name": "KUBE Baru Jaya",
            "area": area(KEL_A).pk,
            "business_type": "Kuliner",
            "founded_on": "2999-01-10",
            "stage": "growth",
            "status": "active",
        },
    )
    assert response.status_code == 400
    assert "in the future" in response.content.decode()
    group.refresh_from_db()
    assert group.name == "KUBE Baru"


def test_chart_is_drawn_on_the_server(client, actors, groups, operator_actor):
    for month in (1, 2, 3):
        services.kube_record_add(
            by=operator_actor,
            group=groups["a"],
            month=datetime.date(2024, month, 1),
            turnover=month * 1_000_000,
            savings=100_000,
        )
    login(client, actors["operator"])
    page = client.get(f"/kube/{groups['a'].pk}/").content.decode()
    assert page.count('<rect class="turnover"') == 3
    assert "Rp3.000.000" in page or "Rp3,000,000" in page
    # No script draws it: the page's own content holds none (the site's outbox script, for
    # the offline app, is in the frame around it).
    content = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<svg" in content and "<script" not in content


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_opens(client, actors, groups, fmt):
    login(client, actors["coordinator_b"])
    response = client.get(f"/kube/?format={fmt}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        assert content.startswith("\ufeff".encode())
        rows = [line.split(",") for line in content.decode("utf-8-sig").splitlines()]
    else:
        rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "name"
    assert [r[0] for r in rows[1:]] == ["KUBE Bougenvil"]  # the coordinator's scope


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_groups(client, actors, make_group):
    for i in range(3):
        make_group(f"KUBE {i}", members=2)
    login(client, actors["operator"])
    few = _count(client, "/kube/")
    for i in range(3, 15):
        make_group(f"KUBE {i}", members=2)
    assert _count(client, "/kube/") == few


def test_detail_queries_do_not_grow_with_members(
    client, actors, make_group, make_household, operator_actor
):
    group = make_group(members=3)
    login(client, actors["operator"])
    url = f"/kube/{group.pk}/"
    few = _count(client, url)
    for _ in range(12):
        services.kube_member_add(by=operator_actor, group=group, household=make_household())
    assert _count(client, url) == few


def test_post_only_actions_refuse_get(client, actors, groups):
    login(client, actors["operator"])
    assert client.get(f"/kube/{groups['a'].pk}/aid/").status_code == 405
