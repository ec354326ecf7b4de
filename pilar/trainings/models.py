"""Trainings: courses, the events that teach them, who took part, attendance per day, results,
and the certificates issued to those who passed.

Who may see what is at the end of this module (the querysets' scope); every write goes through
`pilar.trainings.services` (courses, events), `pilar.trainings.participation` (participants,
attendance, results) and
`pilar.trainings.certificates.services` (issuing, revoking, printing).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    office_scope_q,
    user_has_self_scope,
)
from pilar.lib.jobs import Job
from pilar.lib.months import add_months
from pilar.lib.periods import end_after_start
from pilar.registry.models import Person, PillarKind, until_left_q


class FundingSource(models.TextChoices):
    APBD = "APBD", _("APBD (city/regency budget)")
    APBN = "APBN", _("APBN (national budget)")
    PROVINCE = "PROVINCE", _("Province budget (APBD provinsi)")
    OTHER = "OTHER", _("Other")


class CourseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CourseQuerySet:
        """The courses of the user's office (a province: its offices'; docs/TRAININGS.md,
        "Many offices")."""
        return self.filter(office_scope_q(user))


class Course(models.Model):
    """What is taught: a named course, for some kinds of pillar, perhaps required to serve.
    Each office keeps its own catalogue: its courses, and which of them its pillars must have
    passed (docs/TRAININGS.md, "Many offices")."""

    class Level(models.TextChoices):
        BASIC = "basic", _("Basic")
        ADVANCED = "advanced", _("Advanced")
        REFRESHER = "refresher", _("Refresher")

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    hours = models.PositiveSmallIntegerField(_("hours of lessons"))
    kinds = models.ManyToManyField(
        PillarKind,
        verbose_name=_("for pillar kinds"),
        blank=True,
        related_name="courses",
        help_text=_("Leave empty when the course is for every kind of pillar."),
    )
    required_for_appointment = models.BooleanField(
        _("required before appointment"),
        default=False,
        help_text=_("A pillar of these kinds should have passed it before their SK is issued."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Empty when the certificate never expires."),
    )
    active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="course_name_per_office"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="course_hours_positive"),
            models.CheckConstraint(
                condition=Q(validity_months__isnull=True) | Q(validity_months__gt=0),
                name="course_validity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def valid_until(self, issued_on: datetime.date) -> datetime.date | None:
        """The last day a certificate issued on `issued_on` is valid (None: never expires)."""
        if not self.validity_months:
            return None
        return add_months(issued_on, self.validity_months) - datetime.timedelta(days=1)


class TrainingEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> TrainingEventQuerySet:
        return self.filter(event_scope_q(user))


class TrainingEvent(models.Model):
    """One run of a course: when, where, who organised and paid for it, and for how many. The
    office that holds it (docs/TRAININGS.md, "Many offices") issues its certificates."""

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="events"
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Printed on certificates; the course name when empty."),
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200)
    organiser = models.CharField(_("organiser"), max_length=150)
    funding = models.CharField(
        _("funding"), max_length=10, choices=FundingSource.choices, blank=True
    )
    budget = models.BigIntegerField(_("budget (rupiah)"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingEventQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        indexes = [models.Index(fields=["start_date"], name="training_event_start")]
        constraints = [
            end_after_start("training_event", open_ended=False),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="training_event_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="training_event_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_title} · {self.start_date.isoformat()}"

    @property
    def display_title(self) -> str:
        return self.title or self.course.name

    def days(self) -> list[datetime.date]:
        count = (self.end_date - self.start_date).days + 1
        return [self.start_date + datetime.timedelta(days=i) for i in range(count)]


class ParticipantQuerySet(models.QuerySet):
    def visible_to(self, user) -> ParticipantQuerySet:
        return self.filter(participant_scope_q(user))


class Participant(models.Model):
    """A person invited to an event, and how it went for them."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Not yet assessed")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Did not pass")

    event = models.ForeignKey(
        TrainingEvent,
        verbose_name=_("training event"),
        on_delete=models.PROTECT,
        related_name="participants",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="trainings"
    )
    result = models.CharField(
        _("result"), max_length=8, choices=Result.choices, default=Result.PENDING
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["event", "person__name", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="participant_once_per_event"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="participant_score_0_100",
            ),
        ]
        indexes = [models.Index(fields=["person", "result"], name="participant_person_result")]

    def __str__(self) -> str:
        return f"{self.person} · {self.event}"


class Attendance(models.Model):
    """A participant present on one day of the event (a row per day present)."""

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    day = models.DateField(_("day"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["participant", "day"], name="attendance_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.day.isoformat()}"


class CertificateQuerySet(models.QuerySet):
    def visible_to(self, user) -> CertificateQuerySet:
        return self.filter(certificate_scope_q(user))

    def in_force(self) -> CertificateQuerySet:
        """Not revoked (a participant has at most one such: the constraint below)."""
        return self.filter(revoked_at__isnull=True)

    def revoked(self) -> CertificateQuerySet:
        return self.filter(revoked_at__isnull=False)

    def valid_on(self, day: datetime.date) -> CertificateQuerySet:
        return self.in_force().filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day), issued_on__lte=day
        )


class Certificate(models.Model):
    """Issued to a participant who passed. What it certifies is copied in when issued (the name,
    course, hours, place, organiser and dates), so the public verification page and a reprint
    show what was first printed even if the registry or the event changes later. `code` is
    short, random and unguessable; it is printed with a QR code that opens `/c/<code>/`.

    A participant has at most one certificate in force; a revoked one stays on record, and a
    new one (a new number and code) may then be issued — e.g. after a misspelt name is put
    right in the registry."""

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    # The event's office, copied when issued: it numbers, signs and prints the certificate.
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    number = models.CharField(_("certificate number"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    name = models.CharField(_("name as printed"), max_length=150)
    course_name = models.CharField(
        _("course as printed"), max_length=200, help_text=_("What was taught: the course's name.")
    )
    event_title = models.CharField(
        _("event name as printed"),
        max_length=200,
        blank=True,
        help_text=_("The event's own title, when it has one (e.g. “Bimtek PSM Angkatan I”)."),
    )
    hours = models.PositiveSmallIntegerField(_("hours"))
    place = models.CharField(_("place as printed"), max_length=200, blank=True)
    organiser = models.CharField(_("organiser as printed"), max_length=150, blank=True)
    event_start = models.DateField(_("first day"))
    event_end = models.DateField(_("last day"))
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # The signer as issued (the office's certificate signer, docs/OFFICE.md): the name whole
    # with its degrees ("Dra. Rina Marlina, S.Sos, M.Si"), the position and the NIP, each
    # printed apart.
    signer_name = models.CharField(_("signed by"), max_length=250, blank=True)
    signer_title = models.CharField(_("signer's title"), max_length=200)
    signer_nip = models.CharField(_("signer's NIP"), max_length=30, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [models.Index(fields=["valid_until"], name="certificate_valid_until")]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "seq"], name="certificate_number_per_year"
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_one_in_force_per_participant",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("issued_on")),
                name="certificate_valid_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoke_reason="")
                | Q(revoked_at__isnull=False) & ~Q(revoke_reason=""),
                name="certificate_revoked_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_valid_on(self, day: datetime.date) -> bool:
        if self.is_revoked or day < self.issued_on:
            return False
        return self.valid_until is None or day <= self.valid_until


class CertificatePrint(Job):
    """A background job printing all of an event's certificates into one PDF; the page follows
    its progress from this row (`done` of `total`). Its heartbeat is set when it is queued."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Printing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        TrainingEvent, on_delete=models.CASCADE, related_name="certificate_prints"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="certificates/%Y/", blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} · {self.status}"


# Scope of training records (the querysets' `visible_to`):
# - Staff (admin, operator, approver, finance) see every event, participant and certificate.
# - A coordinator (TKSK) sees every event (an event is not personal data) but only the
#   participants and certificates of people within their kecamatan: of those serving there (and
#   the newly registered who live there) all of them; of someone who served there and moved on,
#   those of events that began before their last duty there ended (`until_left_q`), so the
#   area's training history stays readable without showing what they did afterwards.
# - A pillar sees the events they took part in, and only their own participation and
#   certificate.
# - Viewers have no training capability (403); the dashboard gives them figures.
# Writes (TRAININGS_EDIT: admin, operator) are office-wide.
# Many offices (docs/TRAININGS.md): events and certificates belong to an office; everything above
# holds within the user's office (`office_scope_q`; a province sees its offices'), except a
# pillar's own participations and certificates, which follow them to another office.
# The public verification page (`/c/<code>/`) needs no login and shows only the name, course,
# dates, issuing office and validity of one certificate.


def _office_or_own(user, office: str, person: str) -> Q:
    """The records of the user's office(s) through `office`; a pillar's own too (`person`)."""
    scope = office_scope_q(user, office)
    if scope and user_has_self_scope(user, Capability.TRAININGS_VIEW):
        scope |= Q(**{person: user.person_id})
    return scope


def event_scope_q(user) -> Q:
    areas = area_scope(user, Capability.TRAININGS_VIEW)
    if areas is None or areas:
        return office_scope_q(user)
    if user_has_self_scope(user, Capability.TRAININGS_VIEW):
        own = Participant.objects.filter(person_id=user.person_id).values("event_id")
        return Q(pk__in=own)
    return Q(pk__in=[])


def participant_scope_q(user) -> Q:
    return until_left_q(
        user, Capability.TRAININGS_VIEW, person="person", on="event__start_date"
    ) & _office_or_own(user, "event__office", "person_id")


def certificate_scope_q(user) -> Q:
    return until_left_q(
        user, Capability.TRAININGS_VIEW, person="participant__person", on="event_start"
    ) & _office_or_own(user, "office", "participant__person_id")
