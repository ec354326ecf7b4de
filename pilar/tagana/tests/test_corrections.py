"""Closing an event only after its deployments ended, and deployments corrected or reversed by
an amending or reversing entry with a reason (docs/CASEWORK.md, "Corrections")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pilar.accounts.models import User
from pilar.audit.models import AuditEntry
from pilar.lib.corrections import Entry
from pilar.tagana import services
from pilar.tagana.models import Deployment
from pilar.tagana.selectors import EventFilter, matching_events, roster
from pilar.tagana.tests.conftest import EVENT_DAY, D, at
from pilar.tests_support import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages_of(call, field: str) -> str:
    before = (Deployment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        call()
    assert (Deployment.objects.count(), AuditEntry.objects.count()) == before
    return " ".join(exc.value.message_dict[field])


def deploy(by, event, member, day=EVENT_DAY, end=None, role="evacuation"):
    return services.deployment_create(
        by=by, event=event, person=member, role=role, start=at(day, 8), end=end
    )


def test_close_refused_before_a_deployment_ended_naming_it(by, event, member, make_member):
    other = make_member("Sari Tagana")
    deploy(by, event, member, end=at(D(2024, 10, 23), 17))
    running = deploy(by, event, other, role="kitchen")
    message = messages_of(
        lambda: services.event_close(by=by, event=event, closed_on=D(2024, 10, 24)), "closed_on"
    )
    assert "This deployment has not ended: Sari Tagana (Emergency kitchen" in message
    services.deployment_end(by=by, deployment=running, end=at(D(2024, 10, 22), 12))
    message = messages_of(
        lambda: services.event_close(by=by, event=event, closed_on=D(2024, 10, 22)), "closed_on"
    )
    assert "A deployment ended after 22 October 2024: Rudi Tagana (Evacuation" in message
    services.event_close(by=by, event=event, closed_on=D(2024, 10, 23))
    event.refresh_from_db()
    assert event.status == "closed"


def test_correct_a_deployment_original_stays_and_is_audited(by, event, member):
    d = deploy(by, event, member, end=at(D(2024, 10, 21), 8))
    fixed = services.deployment_correct(
        by=by,
        deployment=d,
        role="logistics",
        start=at(D(2024, 10, 20), 8),
        end=at(D(2024, 10, 22), 8),
        reason="Stayed a day longer at the post",
    )
    d.refresh_from_db()
    assert d.superseded and not d.in_force
    assert fixed.entry == Entry.AMENDMENT and fixed.corrects == d and fixed.in_force
    assert fixed.hours == 48
    audit = AuditEntry.objects.filter(object_type="tagana.deployment")
    assert audit.get(object_id=str(d.pk), action="update").changes["reason"] == [
        None,
        "Stayed a day longer at the post",
    ]
    assert audit.filter(object_id=str(fixed.pk), action="create").exists()
    # The original, superseded, cannot be corrected again.
    message = messages_of(
        lambda: services.deployment_reverse(by=by, deployment=d, reason="Wrong again"), "reason"
    )
    assert "already been corrected" in message


def test_reversal_of_a_reversal_is_refused_and_a_reversed_deployment_counts_nowhere(
    by, event, member
):
    d = deploy(by, event, member)  # still running
    reversal = services.deployment_reverse(by=by, deployment=d, reason="He never went")
    message = messages_of(
        lambda: services.deployment_reverse(by=by, deployment=reversal, reason="He did go"),
        "reason",
    )
    assert "a reversal cannot itself be corrected or reversed" in message
    # Not running: the event can close, the roster shows the member available, the event's
    # count is zero, and the member can be deployed at the same time again.
    events = matching_events(by.user, EventFilter(kind="", area=None, status="", q=""))
    assert events.get(pk=event.pk).deployment_count == 0
    duties, _rows = roster(by.user, status="deployed")
    assert not duties.exists()
    deploy(by, event, member)
    assert Deployment.objects.in_force().count() == 1


def test_correction_refusals_name_the_field(by, make_event, member):
    event = make_event()
    d = deploy(by, event, member, end=at(D(2024, 10, 21), 8))
    services.event_close(by=by, event=event, closed_on=D(2024, 10, 21))

    def correct(**kw):
        data = {
            "role": "evacuation",
            "start": at(D(2024, 10, 20), 8),
            "end": at(D(2024, 10, 21), 9),
            "reason": "Times were wrong",
        }
        return lambda: services.deployment_correct(by=by, deployment=d, **{**data, **kw})

    assert "before the start" in messages_of(correct(end=at(D(2024, 10, 20), 7)), "end")
    assert "after the event was closed (21 October 2024)" in messages_of(
        correct(end=at(D(2024, 10, 22), 8)), "end"
    )
    assert "give the time the member was stood down" in messages_of(correct(end=None), "end")
    assert "before the event started" in messages_of(correct(start=at(D(2024, 10, 19))), "start")
    assert "at least 5 characters" in messages_of(correct(reason=" x "), "reason")
    same = correct(end=at(D(2024, 10, 21), 8))
    assert "Nothing differs" in messages_of(same, "start")
    # Within the closed event's last day: accepted.
    correct()()
    assert Deployment.objects.in_force().get().end == at(D(2024, 10, 21), 9)


@pytest.fixture
def operator(client, actors):
    User.objects.filter(pk=actors["operator"].pk).update(language="en")
    login(client, actors["operator"])
    return client


def test_pages_correct_and_reverse_once_and_roles_are_refused(
    client, actors, operator, by, event, member
):
    d = deploy(by, event, member, end=at(D(2024, 10, 21), 8))
    body = {
        "role": "kitchen",
        "start": "2024-10-20T08:00",
        "end": "2024-10-21T10:00",
        "reason": "Was in the kitchen",
    }
    url = f"/tagana/deployments/{d.pk}/correct/"
    refused = operator.post(url, body | {"end": "2024-10-19T10:00"})
    assert refused.status_code == 400
    assert "is before the start" in refused.content.decode()
    assert operator.post(url, body).status_code == 302
    assert operator.post(url, body).status_code == 302  # sent twice: saved once
    assert Deployment.objects.filter(entry=Entry.AMENDMENT).count() == 1
    page = operator.get(f"/tagana/events/{event.pk}/").content.decode()
    assert "<s>Rudi Tagana</s>" in page and "Was in the kitchen" in page
    amendment = Deployment.objects.get(entry=Entry.AMENDMENT)
    client.logout()
    for role in ("coordinator_a", "coordinator_b", "pillar", "viewer"):
        login(client, actors[role])
        reverse = f"/tagana/deployments/{amendment.pk}/reverse/"
        assert client.post(reverse, {"reason": "Never went"}).status_code == 403, role
        client.logout()
    assert Deployment.objects.count() == 2


def test_api_corrects_and_refuses_a_reversal_of_a_reversal(operator, by, event, member):
    d = deploy(by, event, member)
    response = operator.post(
        f"/api/v1/tagana/deployments/{d.pk}/reverse",
        {"reason": "Recorded twice"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["entry"] == "reversal" and response.json()["in_force"] is False
    again = operator.post(
        f"/api/v1/tagana/deployments/{response.json()['id']}/reverse",
        {"reason": "Undo the reversal"},
        content_type="application/json",
    )
    assert again.status_code == 400
    assert "a reversal cannot itself be corrected or reversed" in again.json()["message"]
    detail = operator.get(f"/api/v1/tagana/events/{event.pk}").json()
    assert detail["deployment_count"] == 0  # both entries listed, neither counts
    assert [d["entry"] for d in detail["deployments"]] == ["original", "reversal"]
