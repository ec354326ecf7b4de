"""Who may send outbox items: a pillar signed in with their own account (a person record).
Everyone else gets a JSON answer saying so, never a redirect or a page."""

import pytest

from pilar.core.tests.test_permissions import ROLES, client_for
from pilar.field.models import SyncReceipt

from .conftest import send

pytestmark = pytest.mark.django_db
# The pillar and the TKSK of kecamatan A (a pillar too) are linked to their person records.
RECORD = {"pillar", "coordinator_a"}


def expected(role: str) -> int:
    if role == "anon":
        return 401
    return 200 if role in RECORD else 403


@pytest.mark.parametrize("role", ROLES)
def test_who_may_post_to_sync(client, actors, make_item, role):
    client = client_for(client, actors, role)
    user = actors.get(role)
    # Their own item, dated after the server's today: refused by the rules, nothing changes.
    item = make_item(user=actors["pillar"])
    item |= {"user": getattr(user, "pk", None), "person": getattr(user, "person_id", None)}
    item["data"]["date"] = "2024-12-01"
    response = send(client, item)
    assert response.status_code == expected(role)
    answer = response.json()
    assert (
        answer["status"]
        == {200: "refused", 401: "signed_out", 403: "forbidden"}[response.status_code]
    )
    assert not SyncReceipt.objects.exists()
    assert client.get("/field/sync/").status_code == 405
