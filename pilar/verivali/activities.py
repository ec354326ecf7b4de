"""The casework activity a verivali visit counts as (docs/VERIVALI.md): recorded with the
first finding, moved with it when a correction changes the visit's day."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pilar.audit.services import Actor
from pilar.casework import services as casework
from pilar.casework.models import (
    ActivityType,
)
from pilar.verivali.models import Finding, Visit

# The activity a visit counts as: casework's own type for this work, "Verifikasi dan
# pemutakhiran data DTSEN" in the social protection sector (docs/DOMAIN.md), which casework's
# reference data seeds.
ACTIVITY_CODE = "DATA_UPDATE"


def verivali_activity_type() -> ActivityType:
    return ActivityType.objects.get(code=ACTIVITY_CODE)


def record_activity(by: Actor, visit: Visit, day: datetime.date, note: str):
    data = {
        "date": day,
        "activity_type": verivali_activity_type(),
        "notes": (_("Verification round %(name)s") % {"name": visit.round.name})
        + (f": {note}" if note else ""),
    }
    try:
        activity = casework.activity_record(by=by, person=visit.person, data=data)
    except ValidationError as exc:
        messages = exc.message_dict
        raise ValidationError(
            {("visited_on" if k == "date" else k): v for k, v in messages.items()}
        ) from None
    if visit.household_id:
        # The household was given to the pillar by the round (not necessarily in their
        # caseload, which is all activity_record lets a pillar name).
        activity.households.add(visit.household_id)
    return activity


def redate_activity(by: Actor, visit: Visit, finding: Finding, values: dict) -> None:
    """A correction that moves the visit to another day moves its activity with it: the old
    one is withdrawn and one is recorded on the new day, each refused (naming the visit's day)
    when its month's report is already submitted."""
    old = finding.activity
    if old is None or old.date == values["visited_on"]:
        return
    try:
        casework.activity_cancel(
            by=by, activity=old, reason=_("The visit's day was corrected in the round.")
        )
    except ValidationError as exc:
        raise ValidationError({"visited_on": exc.messages}) from None
    finding.activity = record_activity(by, visit, values["visited_on"], values["note"])
