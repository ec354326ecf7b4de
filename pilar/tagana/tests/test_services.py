"""The services' rules: each refusal names the field and the fix, and changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from pilar.audit.models import AuditEntry
from pilar.tagana import services
from pilar.tagana.models import Deployment, DisasterEvent, EventLogEntry
from pilar.tagana.tests.conftest import D, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def counts():
    return (
        DisasterEvent.objects.count(),
        Deployment.objects.count(),
        EventLogEntry.objects.count(),
        AuditEntry.objects.filter(object_type__startswith="tagana.").count(),
    )


def refused(call, field: str, words: str):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        call()
    assert field in exc.value.message_dict, exc.value.message_dict
    assert words in " ".join(exc.value.message_dict[field]), exc.value.message_dict
    assert counts() == before
    return exc.value


def test_event_create_is_audited(event, actors):
    entry = AuditEntry.objects.get(object_type="tagana.disasterevent", object_id=str(event.pk))
    assert entry.action == "create" and entry.username == actors["operator"].username
    assert entry.changes["kind"] == [None, "flood"]
    assert event.status == "open" and event.closed_on is None


def test_event_refusals(by, area, time_machine):
    time_machine.move_to(datetime.datetime(2024, 10, 22, 9, tzinfo=datetime.UTC))
    kel = area("13.75.01.1001")

    def create(**kw):
        data = {"kind": "fire", "started_on": D(2024, 10, 21), "area": kel, "description": "x"}
        return lambda: services.event_create(by=by, **{**data, **kw})

    refused(create(started_on=D(2024, 10, 23)), "started_on", "in the future")
    refused(create(area=area("13.75.01")), "area", "choose the kelurahan")
    refused(create(description="  "), "description", "Describe where")
    refused(create(kind="tsunami"), "kind", "Choose the kind")


def test_deploy_and_end_compute_hours(by, event, member):
    d = services.deployment_create(
        by=by, event=event, person=member, role="evacuation", start=at(D(2024, 10, 20), 8)
    )
    assert d.end is None and d.is_ongoing
    services.deployment_end(by=by, deployment=d, end=at(D(2024, 10, 21), 14, 30))
    d.refresh_from_db()
    assert d.hours == 30.5
    actions = list(
        AuditEntry.objects.filter(object_type="tagana.deployment")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "end"]
    assert AuditEntry.objects.filter(person=member, object_type="tagana.deployment").count() == 2


def test_only_active_tagana_members_can_be_deployed(by, event, people, make_member):
    refused(
        lambda: services.deployment_create(
            by=by, event=event, person=people["a1"], role="kitchen", start=at(D(2024, 10, 20))
        ),
        "person",
        "is not an active Tagana member on 20 October 2024",
    )
    late = make_member("Baru Bergabung", start=D(2024, 10, 21))
    refused(
        lambda: services.deployment_create(
            by=by, event=event, person=late, role="kitchen", start=at(D(2024, 10, 20))
        ),
        "person",
        "not an active Tagana member",
    )
    # From the day the duty starts, they can go.
    services.deployment_create(
        by=by, event=event, person=late, role="kitchen", start=at(D(2024, 10, 21))
    )


def test_times_are_checked(by, event, member):
    def deploy(start, end=None):
        return lambda: services.deployment_create(
            by=by, event=event, person=member, role="logistics", start=start, end=end
        )

    refused(deploy(at(D(2024, 10, 20), 10), at(D(2024, 10, 20), 9)), "end", "before the start")
    refused(deploy(at(D(2024, 10, 19), 10)), "start", "before the event started")
    refused(deploy(at(D(2999, 1, 1))), "start", "in the future")
    d = services.deployment_create(
        by=by, event=event, person=member, role="logistics", start=at(D(2024, 10, 20), 10)
    )
    refused(
        lambda: services.deployment_end(by=by, deployment=d, end=at(D(2024, 10, 20), 9)),
        "end",
        "before the deployment started",
    )


def test_no_two_overlapping_deployments(by, event, member, make_event):
    other = make_event("landslide", kelurahan="13.75.02.1001")
    first = services.deployment_create(
        by=by, event=event, person=member, role="evacuation", start=at(D(2024, 10, 20), 8)
    )
    exc = refused(
        lambda: services.deployment_create(
            by=by, event=other, person=member, role="evacuation", start=at(D(2024, 10, 21), 8)
        ),
        "start",
        "is already deployed to",
    )
    assert "end that deployment first" in str(exc)
    services.deployment_end(by=by, deployment=first, end=at(D(2024, 10, 20), 18))
    # Before the first ended: still an overlap; after it: fine.
    refused(
        lambda: services.deployment_create(
            by=by,
            event=other,
            person=member,
            role="evacuation",
            start=at(D(2024, 10, 20), 7),
            end=at(D(2024, 10, 20), 9),
        ),
        "start",
        "already deployed",
    )
    services.deployment_create(
        by=by, event=other, person=member, role="evacuation", start=at(D(2024, 10, 20), 18)
    )


def test_close_needs_everyone_stood_down_and_then_refuses_more(by, event, member):
    d = services.deployment_create(
        by=by, event=event, person=member, role="assessment", start=at(D(2024, 10, 20), 8)
    )
    refused(
        lambda: services.event_close(by=by, event=event, closed_on=D(2024, 10, 21)),
        "closed_on",
        "This deployment has not ended: Rudi Tagana (Assessment and victim listing, from 20",
    )
    refused(
        lambda: services.event_close(by=by, event=event, closed_on=D(2024, 10, 19)),
        "closed_on",
        "before the event started",
    )
    services.deployment_end(by=by, deployment=d, end=at(D(2024, 10, 21), 8))
    services.event_close(by=by, event=event, closed_on=D(2024, 10, 21))
    event.refresh_from_db()
    assert (event.status, event.closed_on) == ("closed", D(2024, 10, 21))
    refused(
        lambda: services.log_entry_add(by=by, event=event, at=at(D(2024, 10, 21)), text="x"),
        "__all__",
        "was closed on 21 October 2024",
    )
    refused(
        lambda: services.deployment_create(
            by=by, event=event, person=member, role="other", start=at(D(2024, 10, 21), 9)
        ),
        "__all__",
        "closed",
    )
    refused(
        lambda: services.event_close(by=by, event=event, closed_on=D(2024, 10, 22)),
        "closed_on",
        "already closed",
    )


def test_log_entry(by, event, actors):
    entry = services.log_entry_add(
        by=by, event=event, at=at(D(2024, 10, 20), 21), text="  Posko di masjid  "
    )
    assert entry.text == "Posko di masjid" and entry.written_by == actors["operator"]
    refused(
        lambda: services.log_entry_add(by=by, event=event, at=at(D(2024, 10, 20)), text=" "),
        "text",
        "Write what happened",
    )
    refused(
        lambda: services.log_entry_add(by=by, event=event, at=at(D(2024, 10, 1)), text="x"),
        "at",
        "before the event started",
    )


def test_database_refuses_end_before_start(event, member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.create(
            event=event,
            person=member,
            role="other",
            start=at(D(2024, 10, 20), 10),
            end=at(D(2024, 10, 20), 9),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DisasterEvent.objects.filter(pk=event.pk).update(status="closed")  # without a date
