"""What the trainings app contributes to the pages of the apps below it, through their hooks
(pilar/lib/hooks.py): the person's trainings and certificates on their page, and the warning
when a duty is given to someone without a course required before it (pilar/registry/signals.py).
Connected in TrainingsConfig.ready()."""

from __future__ import annotations

import datetime

from pilar.accounts.access import Capability, can
from pilar.lib.hooks import Panel
from pilar.offices.services import office_for_area
from pilar.registry.models import Person
from pilar.trainings.certificates.selectors import person_certificates
from pilar.trainings.selectors import (
    appointment_warning,
    person_trainings,
    required_training_missing,
)

# The trainings panel comes before the equipment panel on the person's page.
PERSON_PANEL_ORDER = 10


def missing_training(person: Person, duties, today: datetime.date) -> list:
    """Courses required before appointment that `person` has not passed, for the duties they
    hold today; each course with `missing_for`, the kinds that require it."""
    missing: dict[int, object] = {}
    for duty in duties:
        if not duty.is_active_on(today):
            continue
        # The rules of the office whose area holds the duty, whoever reads the page.
        office = office_for_area(duty.area)
        for course in required_training_missing(person, duty.kind, today, office=office):
            course = missing.setdefault(course.pk, course)
            kinds = getattr(course, "kinds_missing", [])
            if duty.kind.name not in kinds:
                course.kinds_missing = [*kinds, duty.kind.name]
    for course in missing.values():
        course.missing_for = ", ".join(course.kinds_missing)
    return list(missing.values())


def person_panel(sender, *, person, user, duties, today, **kwargs) -> Panel | None:
    """The person's trainings, certificates and missing required courses, for those who may
    see trainings."""
    if not can(user, Capability.TRAININGS_VIEW):
        return None
    return Panel(
        "trainings/_person_panel.html",
        {
            "trainings": person_trainings(person, user),
            "certificates": person_certificates(user, person, today=today),
            "missing_training": missing_training(person, duties, today),
        },
        order=PERSON_PANEL_ORDER,
    )


def duty_warning(sender, *, person, kind, on, **kwargs) -> str | None:
    return appointment_warning(person, kind, on)
