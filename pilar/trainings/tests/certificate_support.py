"""Factories for the certificate tests: courses, events, participants and attendance written
straight with the ORM (the certificate rules do not depend on how they were recorded). The
fixtures built on them are in conftest.py."""

from __future__ import annotations

import datetime

from pilar.offices import current
from pilar.trainings.models import Attendance, Course, Participant, TrainingEvent

D = datetime.date
SECRET_PHONE_ADDRESS = ("081299887766", "Jalan Rahasia No. 7")


def make_event(
    course_name: str = "Pelatihan Dasar PSM",
    *,
    validity_months: int | None = 12,
    hours: int = 32,
    start: datetime.date = datetime.date(2024, 10, 21),  # noqa: B008
    end: datetime.date = datetime.date(2024, 10, 22),  # noqa: B008
    title: str = "",
    office=None,
) -> TrainingEvent:
    course, _ = Course.objects.get_or_create(
        office=office or current(),
        name=course_name,
        defaults={"level": "basic", "hours": hours, "validity_months": validity_months},
    )
    return TrainingEvent.objects.create(
        office=office or current(),
        course=course,
        title=title,
        start_date=start,
        end_date=end,
        place="Aula Dinas Sosial Kota Bukittinggi",
        organiser="Dinas Sosial Kota Bukittinggi",
    )


def enrol(
    event: TrainingEvent, person, *, result: str = "passed", days: int | None = None
) -> Participant:
    """`person` in `event` with `result`, present on the first `days` days (all by default)."""
    participant = Participant.objects.create(event=event, person=person, result=result)
    for day in event.days()[: len(event.days()) if days is None else days]:
        Attendance.objects.create(participant=participant, day=day)
    return participant
