"""Household notes (docs/CASEWORK.md, "Household notes"): a pillar's short notes on a household
they accompany, written on the household's page or from the phone's outbox (docs/FIELD.md)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.models import Caseload, Household, HouseholdNote, Relation
from pilar.casework.services import _require, active_duties, today
from pilar.lib.dates import long_date
from pilar.lib.text import check_lengths
from pilar.registry.models import Assignment, Person


def household_label(household: Household) -> str:
    """A household as its pillar knows it: the head's name and the masked KK number."""
    head = (
        household.members.filter(relation=Relation.HEAD, left_on__isnull=True)
        .values_list("name", flat=True)
        .first()
    )
    return f"{head} · KK {household.masked_kk}" if head else f"KK {household.masked_kk}"


def no_duty_message(person: Person, day: datetime.date) -> str:
    """Why `person` cannot record anything on `day`: their duty had ended (said with its last
    day), had not begun, or there was none."""
    last = (
        Assignment.objects.filter(person=person, start_date__lte=day, end_date__lt=day)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )
    if last is not None:
        return _(
            "Your duty ended on %(end)s; nothing can be recorded for %(day)s. Ask the office "
            "if the duty should continue."
        ) % {"end": long_date(last), "day": long_date(day)}
    return _("You had no active duty on %(day)s; check the date.") % {"day": long_date(day)}


@transaction.atomic
def household_note_add(
    *, by: Actor, person: Person, household: Household, data: dict
) -> HouseholdNote:
    """A note by `person` about `household`, which they accompanied on the note's day. `data`:
    date, text (at most 1000 characters)."""
    _require(by, Capability.ACTIVITY_RECORD)
    user = by.signed_in_user
    if user is not None and user.person_id != person.pk:
        raise PermissionDenied
    errors: dict[str, list] = {}
    day = data.get("date")
    if day is None:
        errors["date"] = [_("Give the day of the note.")]
    elif day > today():
        errors["date"] = [
            _("%(day)s is in the future; write a note on or after the day it is about.")
            % {"day": long_date(day)}
        ]
    elif not active_duties(person, day).exists():
        errors["date"] = [no_duty_message(person, day)]
    elif not Caseload.objects.active_on(day).filter(household=household, person=person).exists():
        errors["household"] = [
            _(
                "%(household)s is not in your caseload on %(day)s; a note is written by the pillar "
                "who accompanies the household."
            )
            % {"household": household_label(household), "day": long_date(day)}
        ]
    text = (data.get("text") or "").strip()
    if not text:
        errors["text"] = [_("Write the note.")]
    check_lengths(errors, {"text": text}, {"text": 1000})
    if errors:
        raise ValidationError(errors)
    note = HouseholdNote.objects.create(
        household=household, person=person, date=day, text=text, created_by=user
    )
    audit_record(
        by=by,
        action=AuditEntry.Action.CREATE,
        obj=note,
        person=person,
        changes={
            "household": [None, str(household)],
            "date": [None, day.isoformat()],
            "text": [None, text],
        },
    )
    return note
