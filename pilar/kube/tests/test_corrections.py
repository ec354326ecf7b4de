"""Money typed the Indonesian way, turnover/savings sanity, and corrections of KUBE aid and
monthly records by an amending or reversing entry with a reason (docs/CASEWORK.md)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from pilar.audit.models import AuditEntry
from pilar.kube import services
from pilar.kube.models import KubeAid, KubeMonthlyRecord
from pilar.kube.tests.conftest import accompany
from pilar.lib.corrections import Entry
from pilar.tests_support import login

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def english(actors):
    for user in actors.values():
        user.language = "en"
        user.save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture
def group(make_group, people):
    g = make_group("KUBE Anggrek", members=5)
    accompany(g, people["a1"])
    return g


AID = {"date": "2024-01-05", "source": "apbd", "form": "money", "description": "Modal"}


def test_aid_typed_with_cents_is_refused_and_dots_are_thousands(client, actors, group):
    login(client, actors["operator"])
    url = f"/kube/{group.pk}/aid/"
    response = client.post(url, AID | {"value": "1500,50"})
    assert response.status_code == 400
    assert (
        "Value (Rp): the amount must be whole rupiah, without cents: write 1.500 or 1.501."
        in response.content.decode()
    )
    assert not KubeAid.objects.exists()
    assert client.post(url, AID | {"value": "Rp 1.500.000"}).status_code == 302
    assert KubeAid.objects.get().value == 1_500_000


def test_records_typed_the_indonesian_way_and_their_sanity(client, actors, group):
    login(client, actors["pillar"])
    url = f"/kube/{group.pk}/records/"
    cases = [
        ({"turnover": "2.500.000", "savings": "3.000.000"}, "than the month&#x27;s turnover"),
        ({"turnover": "-1", "savings": "0"}, "Turnover (Rp) cannot be negative"),
        ({"turnover": "2.000.000.000", "savings": "0"}, "more than the Rp1.000.000.000"),
        ({"turnover": "2.500.000", "savings": "250.000,5"}, "write 250.000 or 250.001"),
    ]
    for body, message in cases:
        response = client.post(url, {"month": "2024-05"} | body)
        assert response.status_code == 400, body
        assert message in response.content.decode(), body
    assert not KubeMonthlyRecord.objects.exists()
    body = {"month": "2024-05", "turnover": "2.500.000", "savings": "250.000"}
    assert client.post(url, body).status_code == 302
    record = KubeMonthlyRecord.objects.get()
    assert (record.turnover, record.savings) == (2_500_000, 250_000)


def test_api_takes_integers_and_refuses_cents_in_any_form(client, actors, group):
    login(client, actors["operator"])
    url = f"/api/v1/kube/groups/{group.pk}/aid"
    for value in ("1500,50", 1500.5, "1,500", True, None, [1500], {"rp": 1}, 1e20, "Rp", "١٢٣"):
        response = client.post(url, AID | {"value": value}, content_type="application/json")
        assert response.status_code == 400, value
        assert "value" in str(response.json()), value
    raw = '{"date": "2024-01-05", "source": "apbd", "form": "money", "value": NaN}'
    assert client.post(url, raw, content_type="application/json").status_code == 400
    assert not KubeAid.objects.exists()
    response = client.post(url, AID | {"value": 1_500_000}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["aid_total"] == 1_500_000
    records = f"/api/v1/kube/groups/{group.pk}/records"
    response = client.post(
        records,
        {"month": "2024-02-01", "turnover": 1000, "savings": 2000},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "more than the month's turnover" in str(response.json())
    assert not KubeMonthlyRecord.objects.exists()


def _aid(group, by, value=150_050):
    return services.kube_aid_add(
        by=by, group=group, date=D(2024, 1, 5), source="apbd", form="money", value=value
    )


def test_operator_corrects_aid_original_stays_total_uses_correction(
    client, actors, group, operator_actor
):
    wrong = _aid(group, operator_actor)
    _aid(group, operator_actor, value=500_000)
    login(client, actors["operator"])
    body = AID | {"value": "1.500.000", "reason": "Typed 1500,50; the receipt says 1.500.000"}
    url = f"/kube/aid/{wrong.pk}/correct/"
    assert client.post(url, body).status_code == 302
    # The same post again (a double click) saves nothing more.
    assert client.post(url, body).status_code == 302
    assert KubeAid.objects.filter(entry=Entry.AMENDMENT).count() == 1
    wrong.refresh_from_db()
    amendment = KubeAid.objects.get(entry=Entry.AMENDMENT)
    assert wrong.superseded and amendment.corrects == wrong and amendment.value == 1_500_000
    page = client.get(f"/kube/{group.pk}/")
    assert page.context["aid_total"] == 2_000_000 == 1_500_000 + 500_000
    html = page.content.decode()
    assert "<s>Rp150" in html and "Typed 1500,50; the receipt says 1.500.000" in html
    audit = AuditEntry.objects.filter(object_type="kube.kubeaid")
    assert audit.filter(object_id=str(wrong.pk), action="update").get().changes["reason"][1] == (
        "Typed 1500,50; the receipt says 1.500.000"
    )
    assert audit.filter(object_id=str(amendment.pk), action="create").exists()
    # The original, now superseded, cannot be corrected again.
    response = client.post(url, body | {"value": "1.400.000"})
    assert response.status_code == 400
    assert "already been corrected" in response.content.decode()
    assert KubeAid.objects.count() == 3


def test_reversal_of_a_reversal_is_refused(client, actors, group, operator_actor):
    aid = _aid(group, operator_actor)
    login(client, actors["operator"])
    response = client.post(f"/kube/aid/{aid.pk}/reverse/", {"reason": "Recorded twice"})
    assert response.status_code == 302
    reversal = KubeAid.objects.get(entry=Entry.REVERSAL)
    assert client.get(f"/kube/{group.pk}/").context["aid_total"] == 0
    for url in (f"/kube/aid/{reversal.pk}/reverse/", f"/kube/aid/{reversal.pk}/correct/"):
        response = client.post(url, AID | {"value": "5", "reason": "Undo the reversal"})
        assert response.status_code == 400
        assert "a reversal cannot itself be corrected or reversed" in response.content.decode()
    api = client.post(
        f"/api/v1/kube/groups/{group.pk}/aid/{reversal.pk}/reverse",
        {"reason": "Undo the reversal"},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "a reversal cannot itself be corrected or reversed" in str(api.json())
    assert KubeAid.objects.count() == 2


def test_a_correction_needs_a_reason_and_a_change(client, actors, group, operator_actor):
    aid = _aid(group, operator_actor)
    login(client, actors["operator"])
    url = f"/kube/aid/{aid.pk}/correct/"
    response = client.post(url, AID | {"value": "1.500.000", "reason": "  "})
    assert response.status_code == 400
    same = AID | {"value": "150.050", "description": "", "reason": "No change at all"}
    response = client.post(url, same)
    assert response.status_code == 400
    assert "Nothing differs" in response.content.decode()
    assert KubeAid.objects.count() == 1


def test_companion_corrects_and_reverses_a_month(client, actors, group, operator_actor):
    record = services.kube_record_add(
        by=operator_actor, group=group, month=D(2024, 3, 1), turnover=150_050, savings=10_000
    )
    body = {"turnover": "1.500.000", "savings": "100.000", "reason": "Wrong turnover typed"}
    login(client, actors["coordinator_a"])  # sees the group, may not record
    assert client.post(f"/kube/records/{record.pk}/correct/", body).status_code == 403
    client.logout()
    login(client, actors["coordinator_b"])  # outside their kecamatan
    assert client.post(f"/kube/records/{record.pk}/correct/", body).status_code == 404
    client.logout()
    login(client, actors["pillar"])  # the group's companion
    refused = client.post(f"/kube/records/{record.pk}/correct/", body | {"savings": "2.000.000"})
    assert refused.status_code == 400
    assert "are more than the month&#x27;s turnover" in refused.content.decode()
    assert client.post(f"/kube/records/{record.pk}/correct/", body).status_code == 302
    page = client.get(f"/kube/{group.pk}/")
    assert page.context["record_totals"] == {"turnover": 1_500_000, "savings": 100_000}
    assert [c.turnover.value for c in page.context["chart"].columns] == [1_500_000]
    amendment = KubeMonthlyRecord.objects.get(entry=Entry.AMENDMENT)
    # Reverse the month, then record it again.
    reason = {"reason": "Belongs to another group"}
    assert client.post(f"/kube/records/{amendment.pk}/reverse/", reason).status_code == 302
    assert client.get(f"/kube/{group.pk}/").context["record_totals"]["turnover"] == 0
    again = {"month": "2024-03", "turnover": "900.000", "savings": "90.000"}
    assert client.post(f"/kube/{group.pk}/records/", again).status_code == 302
    assert KubeMonthlyRecord.objects.in_force().get().turnover == 900_000
    assert KubeMonthlyRecord.objects.count() == 4  # original, amendment, reversal, new


def test_api_corrects_a_month(client, actors, group, operator_actor):
    record = services.kube_record_add(
        by=operator_actor, group=group, month=D(2024, 3, 1), turnover=1000, savings=10
    )
    login(client, actors["operator"])
    url = f"/api/v1/kube/groups/{group.pk}/records/{record.pk}/correct"
    bad = client.post(
        url,
        {"turnover": "1500,50", "savings": 10, "reason": "Typed wrong"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "turnover" in str(bad.json())
    response = client.post(
        url,
        {"turnover": 1500, "savings": 10, "reason": "Typed wrong"},
        content_type="application/json",
    )
    assert response.status_code == 201
    rows = {r["id"]: r for r in response.json()["records"]}
    assert rows[record.pk]["in_force"] is False
    assert [r["turnover"] for r in rows.values() if r["in_force"]] == [1500]


def test_detail_queries_do_not_grow_with_corrections(client, actors, group, operator_actor):
    login(client, actors["operator"])
    url = f"/kube/{group.pk}/"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    aid = _aid(group, operator_actor)
    services.kube_aid_correct(
        by=operator_actor,
        group=group,
        aid=aid,
        reason="Typed wrong",
        date=D(2024, 1, 5),
        source="apbd",
        form="money",
        value=1_500_000,
    )
    few = count()
    for i in range(6):
        aid = _aid(group, operator_actor, value=1000 + i)
        services.kube_aid_reverse(by=operator_actor, group=group, aid=aid, reason="Twice over")
    assert count() == few
