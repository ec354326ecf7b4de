"""Household notes: written by the pillar who accompanies the household, shown on its page to
whoever may see it (docs/CASEWORK.md; from the phone's outbox too, docs/FIELD.md)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.casework import notes
from pilar.casework.models import HouseholdNote
from pilar.registry import services as registry
from pilar.tests_support import login

D = datetime.date
pytestmark = pytest.mark.django_db
NOV_19 = D(2024, 11, 19)


@pytest.fixture(autouse=True)
def english_users(actors):
    from pilar.accounts.models import User

    User.objects.update(language="en")


def add(actors, household, day=NOV_19, text="Atap bocor.", user="pillar"):
    user = actors[user]
    return notes.household_note_add(
        by=Actor(user=user),
        person=user.person,
        household=household,
        data={"date": day, "text": text},
    )


def test_a_pillar_writes_a_note_on_a_household_they_accompany(actors, caseload):
    note = add(actors, caseload["h1"], text="  Atap bocor.  ")
    assert note.text == "Atap bocor." and note.person == actors["pillar"].person
    assert note.created_by == actors["pillar"]
    entry = AuditEntry.objects.get(object_type="casework.householdnote")
    assert entry.action == "create" and entry.changes["text"] == [None, "Atap bocor."]


@pytest.mark.parametrize(
    "day, text, field, message",
    [
        (D(2024, 11, 21), "x", "date", "21 November 2024 is in the future"),
        (D(2023, 12, 1), "x", "household", "Pak Amir · KK "),
        (D(2024, 11, 19), "  ", "text", "Write the note."),
        (D(2024, 11, 19), "x" * 1001, "text", "Keep this under 1000 characters"),
    ],
)
def test_a_note_is_refused_naming_the_field(actors, caseload, day, text, field, message):
    with pytest.raises(ValidationError) as refused:
        add(actors, caseload["h1"], day=day, text=text)
    assert refused.value.message_dict[field][0].startswith(message)
    assert not HouseholdNote.objects.exists()


def test_a_household_of_another_pillar_is_refused(actors, caseload):
    with pytest.raises(ValidationError) as refused:
        add(actors, caseload["hb"])
    assert (
        "is not in your caseload on 19 November 2024" in refused.value.message_dict["household"][0]
    )


def test_a_note_after_the_duty_ended_names_its_last_day(actors, caseload, people):
    registry.assignment_end(
        by=Actor.system(),
        assignment=people["a1"].assignments.get(),
        end_date=D(2024, 11, 10),
        end_reason="resigned",
    )
    with pytest.raises(ValidationError) as refused:
        add(actors, caseload["h1"])
    assert refused.value.message_dict["date"][0].startswith("Your duty ended on 10 November 2024")


def test_only_the_pillar_themself_writes_their_notes(actors, caseload, people):
    with pytest.raises(PermissionDenied):
        notes.household_note_add(
            by=Actor(user=actors["coordinator_a"]),
            person=people["a1"],
            household=caseload["h1"],
            data={"date": D(2024, 11, 19), "text": "x"},
        )
    with pytest.raises(PermissionDenied):
        notes.household_note_add(
            by=Actor(user=actors["operator"]),
            person=people["a1"],
            household=caseload["h1"],
            data={"date": D(2024, 11, 19), "text": "x"},
        )


def test_the_household_page_shows_notes_newest_first_and_the_form_to_its_pillar(
    client, actors, caseload
):
    h1 = caseload["h1"]
    add(actors, h1, day=D(2024, 11, 1), text="Catatan lama")
    login(client, actors["pillar"])
    page = client.get(f"/households/{h1.pk}/").content.decode()
    assert 'id="notes"' in page and "Write a note" in page
    response = client.post(
        f"/households/{h1.pk}/notes/", {"n-date": "2024-11-19", "n-text": "Catatan baru"}
    )
    assert response.status_code == 302 and response.url == f"/households/{h1.pk}/#notes"
    page = client.get(f"/households/{h1.pk}/").content.decode()
    assert page.index("Catatan baru") < page.index("Catatan lama")
    # The coordinator of the kecamatan reads the notes and writes none.
    login(client, actors["coordinator_a"])
    page = client.get(f"/households/{h1.pk}/").content.decode()
    assert "Catatan baru" in page and "Write a note" not in page


def test_a_refused_note_answers_400_with_the_reason(client, actors, caseload):
    login(client, actors["pillar"])
    h1 = caseload["h1"]
    response = client.post(
        f"/households/{h1.pk}/notes/", {"n-date": "2024-11-21", "n-text": "Besok"}
    )
    assert response.status_code == 400
    assert "21 November 2024 is in the future" in response.content.decode()
    response = client.post(f"/households/{h1.pk}/notes/", {"n-date": "2024-11-19", "n-text": ""})
    assert response.status_code == 400
    assert not HouseholdNote.objects.exists()


@pytest.mark.parametrize(
    "role, household, status",
    [
        ("pillar", "hb", 404),  # not in their caseload: not even seen
        ("coordinator_b", "h1", 403),  # no pillar
        ("operator", "h1", 403),
        ("viewer", "h1", 403),
        ("coordinator_a", "h1", 400),  # sees it, does not accompany it: refused by the rule
    ],
)
def test_who_may_write_a_note(client, actors, caseload, role, household, status):
    login(client, actors[role])
    response = client.post(
        f"/households/{caseload[household].pk}/notes/", {"n-date": "2024-11-19", "n-text": "x"}
    )
    assert response.status_code == status
    assert not HouseholdNote.objects.exists()


def test_a_note_form_signed_out_goes_to_the_login(client, caseload):
    response = client.post(f"/households/{caseload['h1'].pk}/notes/", {"n-text": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
