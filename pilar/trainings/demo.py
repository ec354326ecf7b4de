"""Demonstration trainings for `pilar demo`: the courses, the 22 October 2024 training of all
360 pillars active that day, and the Tagana refresher trainings of 2022 and 2023 — each with
attendance and results, written through the services.

Deterministic from `rng`: the same seed gives the same absentees and scores.
"""

from __future__ import annotations

import datetime

from pilar.audit.services import Actor
from pilar.offices import current
from pilar.registry.models import Assignment, Person, PillarKind
from pilar.trainings import participation, services
from pilar.trainings.models import Course, FundingSource, Participant, TrainingEvent

D = datetime.date
TRAINING_DAY = D(2024, 10, 22)
KINDS = ["PSM", "TKSK", "TAGANA", "PENDAMPING_KUBE"]
ABSENT_ON_TRAINING_DAY = 4
# The basic PSM training Permensos 10/2019 requires: Bukittinggi trained 135 PSM in November
# 2025; the other PSM serving still lack it, which /trainings/requirements/ shows.
PSM_BASIC = (D(2025, 11, 18), D(2025, 11, 20), 135)
# The yearly Tagana refreshers: (key, first day, last day).
TAGANA_REFRESHERS = [
    ("tagana-2022", D(2022, 11, 15), D(2022, 11, 16)),
    ("tagana-2023", D(2023, 11, 14), D(2023, 11, 15)),
]


def _courses(by: Actor) -> dict[str, Course]:
    kinds = {k.code: k for k in PillarKind.objects.filter(code__in=KINDS)}
    return {
        "basic": services.course_create(
            by=by,
            name="Pelatihan Dasar Pekerja Sosial Masyarakat",
            level=Course.Level.BASIC,
            hours=40,
            kinds=[kinds["PSM"]],
            required_for_appointment=True,
        ),
        "bimtek": services.course_create(
            by=by,
            name="Bimbingan Teknis Pilar Sosial",
            level=Course.Level.ADVANCED,
            hours=8,
            kinds=[],
        ),
        "tagana": services.course_create(
            by=by,
            name="Pelatihan Tagana",
            level=Course.Level.REFRESHER,
            hours=16,
            kinds=[kinds["TAGANA"]],
            validity_months=12,
        ),
    }


def _active_on(day: datetime.date, made: dict[str, list[Person]]) -> list[Person]:
    """The people of `made` holding a duty of their kind on `day`, in `made`'s order."""
    active = set(
        Assignment.objects.active_on(day)
        .filter(kind__code__in=KINDS)
        .values_list("person_id", "kind__code")
    )
    people, seen = [], set()
    for code in KINDS:
        for person in made.get(code, []):
            if (person.pk, code) in active and person.pk not in seen:
                seen.add(person.pk)
                people.append(person)
    return people


def load_trainings(*, rng, by: Actor, made: dict[str, list[Person]]) -> dict[str, TrainingEvent]:
    """The courses and four events; returns {"2024-10-22": …, "tagana-2022": …,
    "tagana-2023": …, "psm-basic-2025": …}."""
    courses = _courses(by)
    events: dict[str, TrainingEvent] = {}

    # 22 October 2024: every pillar active that day (PSM 300, Tagana 31, Pendamping KUBE 26,
    # TKSK 3), one day; a handful did not come; everyone present passed.
    event = services.event_create(
        by=by,
        course=courses["bimtek"],
        title="Pelatihan dan Penyerahan Sarpras Pilar Sosial Kota Bukittinggi",
        start_date=TRAINING_DAY,
        end_date=TRAINING_DAY,
        place="Kota Bukittinggi",
        organiser="Dinas Sosial Kota Bukittinggi",
        funding=FundingSource.APBD,
        capacity=400,
        note="Pelatihan pilar sosial se-Kota Bukittinggi dan penyerahan sarana dan prasarana.",
    )
    participants = participation.participants_invite(
        by=by, event=event, people=_active_on(TRAINING_DAY, made)
    ).added
    absent = {p.pk for p in rng.sample(participants, ABSENT_ON_TRAINING_DAY)}
    present = [p.pk for p in participants if p.pk not in absent]
    participation.attendance_record(by=by, event=event, day=TRAINING_DAY, present_ids=present)
    participation.results_record(
        by=by, event=event, results={pk: (Participant.Result.PASSED, None) for pk in present}
    )
    events["2024-10-22"] = event

    # The Tagana refreshers: every member active on the first day (through the service's own
    # invitation by kind); most come both days, some one day, now and then one not at all.
    # Two days present: passed with a score; one day: did not pass; none: not assessed.
    for key, first, last in TAGANA_REFRESHERS:
        event = services.event_create(
            by=by,
            course=courses["tagana"],
            title=f"Pelatihan Penyegaran Tagana {first.year}",
            start_date=first,
            end_date=last,
            place="Markas Tagana Kota Bukittinggi",
            organiser="Dinas Sosial Kota Bukittinggi",
            funding=FundingSource.APBD,
        )
        participants = participation.participants_invite(
            by=by, event=event, kinds=list(courses["tagana"].kinds.all())
        ).added
        days_present = {p.pk: rng.choice([2] * 8 + [1, 0]) for p in participants}
        for n, day in enumerate(event.days()):
            participation.attendance_record(
                by=by,
                event=event,
                day=day,
                present_ids=[pk for pk, days in days_present.items() if days > n],
            )
        results = {}
        for pk, days in days_present.items():
            if days == 2:
                results[pk] = (Participant.Result.PASSED, rng.randint(70, 98))
            elif days == 1:
                results[pk] = (Participant.Result.FAILED, rng.randint(40, 69))
        participation.results_record(by=by, event=event, results=results)
        events[key] = event

    # November 2025: 135 of the PSM serving then take the basic training, all three days.
    first, last, count = PSM_BASIC
    event = services.event_create(
        by=by,
        course=courses["basic"],
        title="Pelatihan Dasar Pekerja Sosial Masyarakat 2025",
        start_date=first,
        end_date=last,
        place="Aula Dinas Sosial Kota Bukittinggi",
        organiser="Dinas Sosial Kota Bukittinggi",
        funding=FundingSource.APBD,
        capacity=count,
    )
    serving = _active_on(first, {"PSM": made.get("PSM", [])})
    chosen = rng.sample(serving, min(count, len(serving)))
    participants = participation.participants_invite(by=by, event=event, people=chosen).added
    present = [p.pk for p in participants]
    for day in event.days():
        participation.attendance_record(by=by, event=event, day=day, present_ids=present)
    participation.results_record(
        by=by,
        event=event,
        results={pk: (Participant.Result.PASSED, rng.randint(72, 96)) for pk in present},
    )
    events["psm-basic-2025"] = event
    return events


# --- after the fixed story: up to the day the demo is loaded ----------------------------------

REFRESHER_DAYS = ((11, 12), (11, 13))  # the yearly Tagana refresher: 12–13 November
FIRST_AID_AGO = 330  # days: its certificates (12 months) run out within EXPIRING_DAYS of today


def _tagana_event(*, rng, by: Actor, course: Course, title: str, first, last, today, invite=None):
    """A Tagana event through the services: held (attendance, results, certificates) when its
    last day has come, only scheduled otherwise."""
    from pilar.trainings.certificates.services import certificates_issue_for_event

    event = services.event_create(
        by=by,
        course=course,
        title=title,
        start_date=first,
        end_date=last,
        place="Markas Tagana Kota Bukittinggi",
        organiser="Dinas Sosial Kota Bukittinggi",
        funding=FundingSource.APBD,
    )
    if last > today:
        return event, 0
    if invite is None:
        added = participation.participants_invite(
            by=by, event=event, kinds=list(course.kinds.all())
        )
    else:
        added = participation.participants_invite(by=by, event=event, people=invite)
    participants = added.added
    days_present = {p.pk: rng.choice([2] * 9 + [1]) for p in participants}
    for n, day in enumerate(event.days()):
        participation.attendance_record(
            by=by,
            event=event,
            day=day,
            present_ids=[pk for pk, days in days_present.items() if days > n],
        )
    participation.results_record(
        by=by,
        event=event,
        results={
            pk: (Participant.Result.PASSED, rng.randint(70, 98))
            if days == 2
            else (Participant.Result.FAILED, rng.randint(40, 69))
            for pk, days in days_present.items()
        },
    )
    return event, len(certificates_issue_for_event(by=by, event=event).issued)


def continue_trainings(*, rng, by: Actor, today: datetime.date) -> dict:
    """After the fixed story, up to `today`: the yearly Tagana refresher every November from
    2024 (the next one scheduled when its day has not come), and a first-aid course held for
    half the unit 330 days ago, whose twelve-month certificates are about to run out."""
    tagana = Course.objects.get(office=current(), name="Pelatihan Tagana")
    events = issued = 0
    for year in range(2024, today.year + 1):
        first, last = (D(year, *day) for day in REFRESHER_DAYS)
        _event, n = _tagana_event(
            rng=rng,
            by=by,
            course=tagana,
            title=f"Pelatihan Penyegaran Tagana {year}",
            first=first,
            last=last,
            today=today,
        )
        events, issued = events + 1, issued + n
    first_aid = services.course_create(
        by=by,
        name="Pertolongan Pertama pada Bencana",
        level=Course.Level.REFRESHER,
        hours=8,
        kinds=list(tagana.kinds.all()),
        validity_months=12,
    )
    day = today - datetime.timedelta(days=FIRST_AID_AGO)
    serving = list(
        Person.objects.filter(
            pk__in=Assignment.objects.active_on(day).filter(kind__code="TAGANA").values("person_id")
        ).order_by("pk")
    )
    _event, n = _tagana_event(
        rng=rng,
        by=by,
        course=first_aid,
        title=f"Pertolongan Pertama pada Bencana {day.year}",
        first=day - datetime.timedelta(days=1),
        last=day,
        today=today,
        invite=serving[: len(serving) // 2],
    )
    return {"training events": events + 1, "certificates": issued + n}
