"""`POST /field/sync/` as the phone's outbox uses it: each item accepted exactly once, every
refusal with its reason and nothing changed, every answer JSON."""

import datetime
import json
import uuid

import pytest
from django.test import Client

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import report_services, services
from pilar.casework.models import Activity, HouseholdNote
from pilar.field.models import SyncReceipt
from pilar.tests_support import login

from .conftest import D, jpeg, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def pillar(client, actors):
    login(client, actors["pillar"])
    return client


def nothing_made():
    return not Activity.objects.exists() and not SyncReceipt.objects.exists()


# --- accepted, exactly once ------------------------------------------------------------------


def test_an_activity_is_accepted_with_its_page_and_the_servers_date(
    pillar, make_item, caseload, home_visit
):
    item = make_item()
    response = send(pillar, item)
    assert response.status_code == 200
    answer = response.json()
    activity = Activity.objects.get()
    assert answer["status"] == "accepted" and answer["duplicate"] is False
    assert answer["id"] == item["id"]
    assert answer["url"] == f"/activities/{activity.pk}/" and answer["object_id"] == activity.pk
    assert answer["message"] == f"Saved: {home_visit.name} on 18-11-2024."
    assert answer["server_date"] == "2024-11-20"
    assert answer["server_time"].startswith("2024-11-20T17:00")
    assert "clock_note" not in answer
    assert activity.date == D(2024, 11, 18) and activity.notes == "Lansia sakit, perlu rujukan"
    assert list(activity.households.all()) == [caseload["h1"]]
    receipt = SyncReceipt.objects.get()
    assert str(receipt.client_id) == item["id"] and receipt.object_id == activity.pk
    assert receipt.url == answer["url"] and receipt.type == "activity"
    assert AuditEntry.objects.filter(object_type="casework.activity", action="create").exists()


def test_a_retry_after_a_lost_answer_makes_nothing_new(pillar, make_item):
    item = make_item()
    first = send(pillar, item).json()
    again = send(pillar, item).json()
    assert again["status"] == "accepted" and again["duplicate"] is True
    assert again["url"] == first["url"] and again["object_id"] == first["object_id"]
    assert again["message"].startswith("Already received on 20 November 2024")
    assert Activity.objects.count() == 1 and SyncReceipt.objects.count() == 1


def test_a_new_id_with_the_same_content_is_a_new_item(pillar, make_item):
    item = make_item()
    send(pillar, item)
    answer = send(pillar, {**item, "id": str(uuid.uuid4())}).json()
    assert answer["status"] == "accepted" and answer["duplicate"] is False
    assert Activity.objects.count() == 2


def test_the_same_id_with_other_content_is_refused(pillar, make_item):
    item = make_item()
    send(pillar, item)
    changed = {**item, "data": {**item["data"], "date": "2024-11-19"}}
    answer = send(pillar, changed).json()
    assert answer["status"] == "refused"
    assert answer["message"].startswith("This item's id was already used for other content")
    assert list(answer["errors"]) == ["id"]
    assert Activity.objects.get().date == D(2024, 11, 18)


def test_the_same_id_from_another_user_is_refused(client, actors, make_item, people):
    item = make_item()
    login(client, actors["pillar"])
    send(client, item)
    # coordinator_a (a TKSK, a pillar too) sends an item of their own under a1's item's id.
    other = make_item(user=actors["coordinator_a"], data={**item["data"], "households": []})
    login(client, actors["coordinator_a"])
    answer = send(client, {**other, "id": item["id"]}).json()
    assert answer["status"] == "refused" and "id" in answer["errors"]
    assert Activity.objects.count() == 1


def test_a_photo_is_processed_and_a_retry_with_it_is_a_duplicate(pillar, make_item):
    item = make_item()
    assert send(pillar, item, photo=jpeg()).json()["duplicate"] is False
    activity = Activity.objects.get()
    assert activity.photo
    assert send(pillar, item, photo=jpeg()).json()["duplicate"] is True
    # Another photo under the same id is other content.
    answer = send(pillar, item, photo=jpeg((640, 480))).json()
    assert answer["status"] == "refused" and "id" in answer["errors"]
    assert Activity.objects.count() == 1


# --- refused, nothing changed ----------------------------------------------------------------


def test_an_item_of_another_user_on_the_same_phone_is_never_attached_to_whoever_signs_in(
    client, actors, make_item
):
    item = make_item()  # recorded by a1
    login(client, actors["coordinator_a"])
    response = send(client, item)
    # Not refused: the phone keeps it for a1 (a conflict with who is signed in).
    assert response.status_code == 409
    answer = response.json()
    assert answer["status"] == "other_user"
    assert answer["message"] == (
        "Recorded by another user on this phone; sign in as them to send it."
    )
    assert nothing_made()


@pytest.mark.parametrize(
    "change",
    [{"user": 999_999}, {"person": 999_999}, {"user": "1; drop"}, {"person": None}],
)
def test_a_tampered_user_or_person_is_refused(pillar, make_item, change):
    response = send(pillar, {**make_item(), **change})
    assert response.status_code == 409
    answer = response.json()
    assert answer["status"] == "other_user"
    assert set(answer["errors"]) <= {"user", "person"}
    assert nothing_made()


def test_a_date_after_the_servers_today_is_refused_naming_the_servers_date(pillar, make_item):
    item = make_item()
    item["data"]["date"] = "2024-11-21"
    answer = send(pillar, item).json()
    assert answer["status"] == "refused"
    assert answer["errors"]["date"] == [
        "21 November 2024 is after today's date on the server (20 November 2024): the phone's "
        "clock may be wrong. Check the date and send it again."
    ]
    assert nothing_made()
    # A refusal is not remembered: fixed, the item goes through under the same id.
    item["data"]["date"] = "2024-11-20"
    item["data"]["follow_up_on"] = ""
    assert send(pillar, item).json()["status"] == "accepted"


def test_a_month_already_submitted_is_refused(pillar, make_item, actors, kind):
    report_services.report_submit(
        by=Actor(user=actors["pillar"]),
        person=actors["pillar"].person,
        kind=kind("PSM"),
        month=D(2024, 10, 1),
    )
    item = make_item()
    item["data"] |= {"date": "2024-10-30", "follow_up_on": ""}
    answer = send(pillar, item).json()
    assert answer["status"] == "refused"
    assert "October 2024 was submitted" in answer["message"]
    assert Activity.objects.count() == 0 and not SyncReceipt.objects.exists()


def test_a_household_no_longer_in_the_caseload_is_named(pillar, make_item, caseload, people):
    services.caseload_assign(
        by=Actor.system(),
        household=caseload["h1"],
        person=people["a2"],
        start_date=D(2024, 11, 19),
        confirm=True,
    )
    answer = send(pillar, make_item()).json()
    assert answer["status"] == "refused"
    assert answer["message"].startswith("Pak Amir · KK ")
    assert "is no longer in your caseload" in answer["message"]
    assert nothing_made()


def test_a_household_never_in_the_caseload_is_refused_without_its_name(pillar, make_item, caseload):
    item = make_item()
    item["data"]["households"] = [caseload["hb"].pk]
    answer = send(pillar, item).json()
    assert answer["status"] == "refused" and "households" in answer["errors"]
    assert "Bahar" not in json.dumps(answer)
    assert nothing_made()


def test_a_duty_ended_is_refused_with_its_last_day(pillar, make_item, people):
    duty = people["a1"].assignments.get()
    from pilar.registry import services as registry

    registry.assignment_end(
        by=Actor.system(), assignment=duty, end_date=D(2024, 11, 10), end_reason="resigned"
    )
    answer = send(pillar, make_item()).json()
    assert answer["status"] == "refused"
    assert answer["errors"]["date"][0].startswith("Your duty ended on 10 November 2024")
    assert nothing_made()


def test_a_photo_too_large_is_refused_naming_the_photo(pillar, make_item, settings):
    settings.PILAR_PHOTO_MAX_BYTES = 1000
    answer = send(pillar, make_item(), photo=jpeg()).json()
    assert answer["status"] == "refused"
    assert list(answer["errors"]) == ["photo"]
    assert answer["message"].startswith("The photo is")
    assert nothing_made()


HOSTILE_DATA = [
    {"date": "9999-12-31"},
    {"date": "0000-01-01"},
    {"date": "2024-13-45"},
    {"date": ["2024-11-18"]},
    {"date": 20241118},
    {"date": "٢٠٢٤-١١-١٨"},
    {"activity_type": [1, 2]},
    {"activity_type": -1},
    {"activity_type": 2**70},
    {"activity_type": "x" * 100_000},
    {"activity_type": {"pk": 1}},
    {"households": "1"},
    {"households": [-1]},
    {"households": [2**70]},
    {"households": [[1]]},
    {"households": list(range(20_000))},
    {"latitude": "NaN", "longitude": "100.3"},
    {"latitude": float("nan"), "longitude": 100.3},
    {"latitude": "1e400", "longitude": "1"},
    {"latitude": "91", "longitude": "100"},
    {"latitude": "-0.3"},
    {"notes": "x" * 5000},
    {"notes": "a\x00b"},
    {"notes": "a\x01b"},
    {"notes": ["a"]},
    {"need_category": "abc"},
    {"need_category": 2**70},
    {"need_category": "-1"},
    {"keep_location": [True]},
    {"follow_up_on": "2024-11-01"},
]


@pytest.mark.parametrize("change", HOSTILE_DATA, ids=lambda c: repr(c)[:40])
def test_hostile_activity_values_are_refused_naming_the_field(pillar, make_item, change):
    item = make_item()
    item["data"] = {**item["data"], **change}
    response = send(pillar, item)
    assert response.status_code in (200, 400)
    answer = response.json()
    if response.status_code == 200:
        assert answer["status"] == "refused"
        assert set(answer["errors"]) & (set(change) | {"latitude"}), answer
    assert nothing_made()


def test_fields_the_form_does_not_offer_are_ignored_as_on_the_page(pillar, make_item):
    """a1 serves in one kind and accompanies no KUBE group: the form has no such fields."""
    item = make_item()
    item["data"] |= {"kind": 2**70, "kube_group": 999999, "unknown": [1]}
    assert send(pillar, item).json()["status"] == "accepted"
    activity = Activity.objects.get()
    assert activity.kind.code == "PSM" and activity.kube_group is None


@pytest.mark.parametrize(
    "item",
    [
        "not json",
        "[1, 2]",
        "{}",
        '{"id": "abc", "type": "activity"}',
        '{"id": 5, "type": "activity"}',
        '{"type": "activity"}',
        '{"id": "4a0c2b6e-3f5e-4c1e-9a55-6f4f3c2d1e0a"}',
        "[" * 100_000,
        '{"id": "4a0c2b6e-3f5e-4c1e-9a55-6f4f3c2d1e0a", "type": "x", "pad": "'
        + "x" * 100_000
        + '"}',
    ],
    ids=lambda s: s[:30],
)
def test_a_broken_item_answers_400(pillar, item):
    response = send(pillar, item)
    assert response.status_code == 400
    assert response.json()["status"] == "bad_item" and response.json()["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"type": "bogus"},
        {"type": ["activity"]},
        {"data": None},
        {"data": [1]},
        {"recorded_at": "yesterday"},
        {"recorded_at": "9999-12-31T00:00:00+07:00"},
        {"recorded_at": ["x"]},
    ],
    ids=repr,
)
def test_hostile_item_fields_never_answer_500(pillar, make_item, change):
    response = send(pillar, {**make_item(), **change})
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] in ("refused", "accepted")
    if answer["status"] == "refused":
        assert nothing_made()


# --- follow-ups and notes, in the order recorded ---------------------------------------------


def test_a_follow_up_done_after_the_activity_it_closes(pillar, make_item):
    activity_item = make_item()
    follow_up = make_item("follow_up", {"activity": activity_item["id"], "done_on": "2024-11-19"})
    # Sent before its activity (out of order): refused, and not remembered.
    early = send(pillar, follow_up).json()
    assert early["status"] == "refused" and "send it first" in early["message"]
    assert send(pillar, activity_item).json()["status"] == "accepted"
    answer = send(pillar, follow_up).json()
    assert answer["status"] == "accepted" and answer["message"] == "Follow-up marked done."
    activity = Activity.objects.get()
    assert activity.follow_up_done_on == D(2024, 11, 19)
    assert answer["url"] == f"/activities/{activity.pk}/"
    assert send(pillar, follow_up).json()["duplicate"] is True


def test_a_follow_up_by_the_activitys_server_id(pillar, make_item, actors, home_visit):
    activity = services.activity_record(
        by=Actor(user=actors["pillar"]),
        person=actors["pillar"].person,
        data={
            "date": D(2024, 11, 1),
            "activity_type": home_visit,
            "follow_up_on": D(2024, 11, 15),
        },
    )
    item = make_item("follow_up", {"activity": activity.pk, "done_on": "2024-11-20"})
    assert send(pillar, item).json()["status"] == "accepted"
    activity.refresh_from_db()
    assert activity.follow_up_done_on == D(2024, 11, 20)
    again = make_item("follow_up", {"activity": activity.pk, "done_on": "2024-11-20"})
    answer = send(pillar, again).json()
    assert answer["status"] == "refused"
    assert answer["message"] == "This follow-up was already marked done on 20 November 2024."


@pytest.mark.parametrize(
    "data",
    [
        {"activity": None, "done_on": "2024-11-19"},
        {"activity": [1], "done_on": "2024-11-19"},
        {"activity": -5, "done_on": "2024-11-19"},
        {"activity": "99999999999999999999", "done_on": "2024-11-19"},
        {"activity": "not-a-uuid", "done_on": "2024-11-19"},
    ],
    ids=repr,
)
def test_a_follow_up_with_a_bad_activity_is_refused(pillar, make_item, data):
    answer = send(pillar, make_item("follow_up", data)).json()
    assert answer["status"] == "refused" and "activity" in answer["errors"]


def test_a_follow_up_on_someone_elses_activity_is_refused(
    pillar, make_item, actors, home_visit, people
):
    activity = services.activity_record(
        by=Actor(user=actors["coordinator_a"]),
        person=people["tksk_a"],
        data={"date": D(2024, 11, 1), "activity_type": home_visit, "follow_up_on": D(2024, 11, 5)},
    )
    item = make_item("follow_up", {"activity": activity.pk, "done_on": "2024-11-19"})
    answer = send(pillar, item).json()
    assert answer["status"] == "refused"
    assert answer["message"] == "This activity is not one of yours, or it no longer exists."
    activity.refresh_from_db()
    assert activity.follow_up_done_on is None


def test_a_note_is_accepted_and_shown_on_the_household_page(pillar, make_item, caseload):
    h1 = caseload["h1"]
    item = make_item("note", {"household": h1.pk, "date": "2024-11-19", "text": "Atap bocor."})
    answer = send(pillar, item).json()
    assert answer["status"] == "accepted"
    assert answer["url"] == f"/households/{h1.pk}/#notes"
    assert answer["message"].startswith("Note saved for Pak Amir · KK ")
    note = HouseholdNote.objects.get()
    assert note.text == "Atap bocor." and note.household == h1
    assert "Atap bocor." in pillar.get(f"/households/{h1.pk}/").content.decode()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"household": "hb", "date": "2024-11-19", "text": "x"}, "household"),
        ({"household": 999999, "date": "2024-11-19", "text": "x"}, "household"),
        ({"household": [1], "date": "2024-11-19", "text": "x"}, "household"),
        ({"household": "h1", "date": "2024-11-19", "text": ""}, "text"),
        ({"household": "h1", "date": "2024-11-19", "text": "x" * 1001}, "text"),
        ({"household": "h1", "date": "2024-11-19", "text": ["x"]}, "text"),
        ({"household": "h1", "date": "2099-01-01", "text": "x"}, "date"),
        ({"household": "h1", "date": "2023-12-01", "text": "x"}, "household"),
        ({"household": "h1", "date": "9999-12-31", "text": "x"}, "date"),
    ],
    ids=repr,
)
def test_a_bad_note_is_refused_naming_the_field(pillar, make_item, caseload, data, field):
    if isinstance(data["household"], str):
        data = {**data, "household": caseload[data["household"]].pk}
    answer = send(pillar, make_item("note", data)).json()
    assert answer["status"] == "refused" and field in answer["errors"], answer
    assert not HouseholdNote.objects.exists() and not SyncReceipt.objects.exists()
    # b1's household is answered as any unknown id: its head is never named to a1.
    assert "Bahar" not in json.dumps(answer)


# --- the phone's clock -----------------------------------------------------------------------


def test_a_phone_clock_hours_off_is_mentioned(pillar, make_item):
    answer = send(pillar, make_item(), sent_at="2024-11-20T20:05:00+07:00").json()
    assert answer["status"] == "accepted"
    assert answer["clock_note"] == (
        "The phone's clock looks about 3 hours ahead of the server's; dates were judged by the "
        "server's clock (20 November 2024, 17:00)."
    )


def test_an_item_recorded_days_ago_is_no_wrong_clock(pillar, make_item):
    answer = send(pillar, make_item(), sent_at="2024-11-20T17:03:00+07:00").json()
    assert "clock_note" not in answer
    assert "clock_note" not in send(pillar, make_item()).json()


def test_a_recording_time_ahead_of_the_server_is_a_wrong_clock(pillar, make_item):
    item = make_item(recorded_at="2024-11-20T17:45:00+07:00")
    answer = send(pillar, item).json()
    assert "45 minutes ahead" in answer["clock_note"]


def test_a_phone_behind_by_days(pillar, make_item):
    answer = send(pillar, make_item(), sent_at="2024-11-17T17:00:00+07:00").json()
    assert "3 days behind" in answer["clock_note"]


# --- who may send, and the answers that are not about an item --------------------------------


def test_signed_out_answers_401_json(client, make_item):
    response = send(client, make_item())
    assert response.status_code == 401
    assert response.json()["status"] == "signed_out"
    assert response.json()["login_url"] == "/accounts/login/?next=/field/"
    assert nothing_made()


def test_a_failed_csrf_check_answers_403_json(actors, make_item):
    client = Client(enforce_csrf_checks=True)
    login(client, actors["pillar"])
    response = send(client, make_item())
    assert response.status_code == 403
    assert response.json()["status"] == "csrf"
    assert nothing_made()
    # With the token from the cookie in the header, as the phone sends it, it goes through.
    client.get("/activities/new/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/field/sync/", {"item": json.dumps(make_item())}, headers={"X-CSRFToken": token}
    )
    assert response.json()["status"] == "accepted"


def test_get_is_not_allowed(pillar):
    for method in (pillar.get, pillar.put):
        response = method("/field/sync/")
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert response.json()["status"] == "method"


@pytest.mark.parametrize("csrf", [True, False], ids=["token-in-header", "checks-off"])
def test_form_data_that_cannot_be_read_is_answered_as_json(actors, csrf):
    """A multipart body without its boundary, or more fields than Django reads: the phone's
    answer is JSON bad_item, never the site's HTML 400 page (found by an outside tester)."""
    client = Client(enforce_csrf_checks=csrf)
    login(client, actors["pillar"])
    client.get("/activities/new/")
    headers = {"X-CSRFToken": client.cookies["csrftoken"].value}
    answers = [
        client.generic(
            "POST", "/field/sync/", b"--x\r\n", content_type="multipart/form-data", headers=headers
        ),
        client.post(
            "/field/sync/",
            "&".join(f"f{i}=1" for i in range(10_050)),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        ),
    ]
    for response in answers:
        assert response.status_code == 400
        assert response.json()["status"] == "bad_item"
    assert nothing_made()


@pytest.mark.parametrize("role", ["admin", "operator", "coordinator_b", "viewer", "norole"])
def test_users_who_may_not_record_are_forbidden(client, actors, make_item, role):
    login(client, actors[role])
    item = {**make_item(), "user": actors[role].pk, "person": actors[role].person_id}
    response = send(client, item)
    assert response.status_code == 403
    assert response.json()["status"] == "forbidden"
    assert nothing_made()


def test_the_outbox_in_order_is_applied_in_order(pillar, make_item, caseload):
    """Three items recorded offline, sent in order: an activity, its follow-up, a note."""
    activity = make_item()
    items = [
        activity,
        make_item("follow_up", {"activity": activity["id"], "done_on": "2024-11-20"}),
        make_item("note", {"household": caseload["h2"].pk, "date": "2024-11-20", "text": "Ok"}),
    ]
    answers = [send(pillar, item).json() for item in items]
    assert [a["status"] for a in answers] == ["accepted"] * 3
    assert Activity.objects.get().follow_up_done_on == D(2024, 11, 20)
    assert HouseholdNote.objects.count() == 1
    # The whole outbox sent again (its answers were lost): nothing new.
    assert all(send(pillar, item).json()["duplicate"] for item in items)
    assert Activity.objects.count() == 1 and HouseholdNote.objects.count() == 1
    assert datetime.date.today() == D(2024, 11, 20)


@pytest.mark.parametrize("raw", ['{"id": "a\x00"}', '{"id": "a\x01"}'], ids=["nul", "control"])
def test_invisible_characters_in_the_request_answer_json(pillar, raw):
    response = send(pillar, raw)
    assert response.status_code == 400
    assert response.json()["status"] == "bad_item" and "item" in response.json()["errors"]


def test_a_request_over_the_size_limit_answers_json(pillar, make_item, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    item = make_item()
    item["data"]["notes"] = "x" * 2000
    response = send(pillar, item)
    assert response.status_code == 400
    assert response.json()["status"] == "bad_item"
    assert nothing_made()


def test_a_send_and_a_retry_take_few_queries(pillar, make_item, django_assert_max_num_queries):
    item = make_item()
    with django_assert_max_num_queries(30):
        assert send(pillar, item).json()["duplicate"] is False
    # A retry only finds its receipt.
    with django_assert_max_num_queries(6):
        assert send(pillar, item).json()["duplicate"] is True
