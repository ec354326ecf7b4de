from __future__ import annotations

import datetime

from django.db import models
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    can,
    office_area,
    user_has_self_scope,
)
from pilar.lib.nik import mask_nik
from pilar.lib.periods import DatedSpan, end_after_start
from pilar.regions.models import Area, within_areas_q


class Sex(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    SD = "sd", _("Primary school (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    D3 = "d3", _("Diploma (D1–D3)")
    S1 = "s1", _("Bachelor (D4/S1)")
    S2 = "s2", _("Master (S2)")
    S3 = "s3", _("Doctorate (S3)")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user) -> PersonQuerySet:
        """The people `user` may see: all, those with a duty in the user's areas, or themself."""
        return self.filter(person_scope_q(user, Capability.PEOPLE_VIEW))

    def editable_by(self, user) -> PersonQuerySet:
        """The people `user` may change: within the areas of the user's editing roles."""
        return self.filter(person_scope_q(user, Capability.PEOPLE_EDIT))


def _flag(q: Q | None):
    """`q` as a boolean column; None: true for every row."""
    if q is None:
        return Value(True, output_field=BooleanField())
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


class Person(models.Model):
    """A human being the office works with, identified by NIK. Holds duties via Assignment."""

    nik = models.CharField(
        _("NIK"),
        max_length=16,
        unique=True,
        help_text=_("16-digit national identity number from the KTP."),
    )
    name = models.CharField(_("full name"), max_length=150)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_place = models.CharField(_("place of birth"), max_length=80, blank=True)
    birth_date = models.DateField(_("date of birth"))
    address = models.CharField(_("address"), max_length=250, blank=True)
    residence = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan of residence"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    education = models.CharField(
        _("education"), max_length=8, choices=Education.choices, blank=True
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("account number"), max_length=30, blank=True)
    bank_holder = models.CharField(_("account holder"), max_length=150, blank=True)
    photo = models.ImageField(_("photo"), upload_to="photos/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["phone"]),
            # Imports look for namesakes born on the same day.
            models.Index(fields=["birth_date"], name="person_birth_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="person_nik_16_digits"
            ),
            models.CheckConstraint(condition=Q(sex__in=["L", "P"]), name="person_sex_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class PillarKind(models.Model):
    """A kind of social pillar (PSM, TKSK, Tagana, ...) and the level of area it serves."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        _("area level of duty"),
        choices=[
            (Area.Level.CITY, _("city/regency")),
            (Area.Level.KECAMATAN, _("kecamatan")),
            (Area.Level.KELURAHAN, _("kelurahan/desa")),
        ],
    )
    min_per_area = models.PositiveSmallIntegerField(
        _("minimum per area"),
        null=True,
        blank=True,
        help_text=_("An area with fewer active pillars of this kind is shown as a gap."),
    )
    max_per_area = models.PositiveSmallIntegerField(
        _("maximum per area"),
        null=True,
        blank=True,
        help_text=_("More than this needs an explicit override with a reason."),
    )
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("pillar kind")
        verbose_name_plural = _("pillar kinds")

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> AssignmentQuerySet:
        """Duties in force on `day`: started on or before it, not ended before it."""
        return self.not_ended_by(day).filter(start_date__lte=day)

    def not_ended_by(self, day: datetime.date) -> AssignmentQuerySet:
        """Duties in force on `day` or yet to start: not ended before it."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day))

    def within(self, area: Area, *, exact: bool = False) -> AssignmentQuerySet:
        """Duties at `area` (and, unless `exact`, at the areas below it)."""
        if exact:
            return self.filter(area=area)
        return self.filter(area__in=Area.objects.within(area))

    def visible_to(self, user) -> AssignmentQuerySet:
        return self.filter(assignment_scope_q(user, Capability.PEOPLE_VIEW))

    def editable_by(self, user) -> AssignmentQuerySet:
        return self.filter(assignment_scope_q(user, Capability.PEOPLE_EDIT))

    def in_office_of(self, user) -> AssignmentQuerySet:
        """The duties within `user`'s office's area (every duty for the top office): what a
        list shows of people who serve in two offices (docs/OFFICE.md, "Many offices")."""
        q = office_duties_q(user)
        return self if q is None else self.filter(q)

    def with_scope_flag(self, user) -> AssignmentQuerySet:
        """Each duty with `in_scope`: whether it lies within what `user` may see (the duties
        shown of a person seen only as they were in the user's areas, docs/PRIVACY.md)."""
        scoped = area_scope(user, Capability.PEOPLE_VIEW) is not None
        q = assignment_scope_q(user, Capability.PEOPLE_VIEW) if scoped else None
        return self.annotate(in_scope=_flag(q))


class Assignment(DatedSpan):
    """One duty: a person serving as a kind of pillar in an area, under an SK, for a period.

    History is never overwritten: ending a duty sets `end_date` (the last day served); a change
    of area or SK is a new row. The database refuses two overlapping duties of one kind for one
    person (an exclusion constraint on PostgreSQL, triggers on SQLite).
    """

    class EndReason(models.TextChoices):
        TERM_ENDED = "term_ended", _("Term ended")
        RESIGNED = "resigned", _("Resigned")
        MOVED = "moved", _("Moved to another area or duty")
        DISMISSED = "dismissed", _("Dismissed")
        DIED = "died", _("Died")
        OTHER = "other", _("Other")

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="assignments"
    )
    kind = models.ForeignKey(
        PillarKind,
        verbose_name=_("pillar kind"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area of duty"), on_delete=models.PROTECT, related_name="assignments"
    )
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)
    sk_signer = models.CharField(_("SK signed by"), max_length=150, blank=True)
    end_date = models.DateField(
        _("end date"), null=True, blank=True, help_text=_("The last day of the duty.")
    )
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=EndReason.choices, blank=True
    )
    end_note = models.CharField(_("end note"), max_length=250, blank=True)
    override_reason = models.CharField(
        _("reason for exceeding the quota"), max_length=250, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(
                fields=["kind", "area", "start_date", "end_date"], name="assignment_headcount"
            ),
            models.Index(fields=["area", "kind"], name="assignment_area_kind"),
            # A person's duties of one kind: the overlap check (service and SQLite trigger).
            models.Index(fields=["person", "kind", "start_date"], name="assignment_person_kind"),
        ]
        constraints = [
            end_after_start("assignment"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True, end_reason="")
                | Q(end_date__isnull=False) & ~Q(end_reason=""),
                name="assignment_end_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.kind.code} {self.area.name}"


# Scope: which people and duties a user may see or change, by the areas of the user's grants
# (the capabilities and grants themselves are pilar/accounts/access.py). The rules read the
# registry's own tables, so they live here beside the querysets that apply them
# (`visible_to`, `editable_by`); the other apps filter their rows through them.


def _areas_within(areas):
    """The ids of `areas` and every area below them, as a subquery: big tables test their own
    area column against a small set instead of joining the area table (docs/PERFORMANCE.md,
    "Pages at national scale")."""
    return Area.objects.filter(within_areas_q(areas, "")).values("pk")


def assignment_scope_q(user, capability: Capability) -> Q:
    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    q = Q(area__in=_areas_within(areas)) if areas else Q(pk__in=[])
    if user_has_self_scope(user, capability):
        q |= Q(person_id=user.person_id)
    return q


def person_scope_q(user, capability: Capability, *, serving: bool = False) -> Q:
    """The people `user` may see with `capability`: those with a duty in the user's areas (for
    PEOPLE_EDIT and with `serving`, a duty in force today or yet to start: one rule for whom an
    area-limited user sees as today and may change, docs/PRIVACY.md),
    the newly registered with no duty who live there, and with a self-scoped grant the user's
    own person.

    One `pk IN (... UNION ...)` rather than an OR of semi-joins: PostgreSQL plans the OR as a
    filter run on every person in the registry, the union as one small set of ids."""
    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    parts = []
    if areas:
        within = _areas_within(areas)
        duties = Assignment.objects.filter(area__in=within)
        if serving or capability == Capability.PEOPLE_EDIT:
            # Changing a person is for the areas they serve in now (or are appointed to), not
            # where they once did: the same people an area-limited user sees as today.
            duties = duties.not_ended_by(timezone.localdate())
        parts.append(duties.order_by().values("person_id"))
        # A newly registered person has no duty yet: reachable where they live.
        no_duty = ~Exists(Assignment.objects.filter(person=OuterRef("pk")))
        parts.append(Person.objects.filter(no_duty, residence__in=within).order_by().values("pk"))
    if user_has_self_scope(user, capability):
        parts.append(Person.objects.filter(pk=user.person_id).order_by().values("pk"))
    if not parts:
        return Q(pk__in=[])
    ids = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return Q(pk__in=ids)


def office_duties_q(user, person=None) -> Q | None:
    """Of `person`'s duties, those `user`'s office sees: the duties within its area (a person
    who moved between offices is seen by each office with the duties held there, docs/
    OFFICE.md "Many offices"). None: all of them (the top office, or the user's own record)."""
    area = office_area(user)
    if area is None or (person is not None and getattr(user, "person_id", None) == person.pk):
        return None
    return Q(area__in=_areas_within([area]))


def seen_fully_q(user, capability: Capability = Capability.PEOPLE_VIEW) -> Q | None:
    """Among the people `user` may see, those seen as they are today; the others are seen only
    as they were in the user's areas (name, masked NIK, the duties held there): they no longer
    serve there (docs/PRIVACY.md). None when the user's grant is office-wide: everyone is seen
    as today.

    Still serving is a duty in the user's areas in force today or yet to start; the newly
    registered with no duty who live there and the user's own person are seen as today too.
    For a page or a chunk of people already read, `seen_fully_among` asks about those only."""
    if area_scope(user, capability) is None:
        return None
    return person_scope_q(user, capability, serving=True)


def until_left_q(user, capability: Capability, *, person: str, on: str) -> Q:
    """Records about people (a handover line, a training participation) that `user` may see:
    every record of those seen as today (`seen_fully_q`), and of a person who no longer serves
    in the user's areas only the records dated (`on`) before their last duty there ended — so a
    coordinator keeps the area's history of someone who moved on, not what they did after
    (docs/PRIVACY.md). `person` and `on` are lookups from the record to its person and its
    date. Q() when the grant is office-wide."""
    areas = area_scope(user, capability)
    if areas is None:
        return Q()
    today_ids = Person.objects.filter(person_scope_q(user, capability, serving=True))
    scope = Q(**{f"{person}__in": today_ids.values("pk")})
    if areas:
        held = Assignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=OuterRef(on)),
            area__in=_areas_within(areas),
            person=OuterRef(person),
        )
        scope |= Q(Exists(held))
    return scope


def seen_fully_among(
    user, ids: list[int], capability: Capability = Capability.PEOPLE_VIEW
) -> set[int] | None:
    """Of the people `ids`, those `user` sees as they are today (`seen_fully_q`), in one query
    over those people's own rows: testing a page against the whole area's set would read that
    set for every page. None when the user's grant is office-wide."""
    areas = area_scope(user, capability)
    if areas is None:
        return None
    today = timezone.localdate()
    found = set()
    if areas and ids:
        within = _areas_within(areas)
        # The tests as columns over the page's own duties, not filters: filtered, the planner
        # may walk every duty (or resident) of the area (a province: 20,000) to find those of
        # the page's 50 people.
        serving = Case(
            When(
                Q(area__in=within) & (Q(end_date__isnull=True) | Q(end_date__gte=today)), then=True
            ),
            default=False,
            output_field=BooleanField(),
        )
        duties = (
            Assignment.objects.filter(person_id__in=ids)
            .annotate(serving=serving)
            .order_by()
            .values_list("person_id", "serving")
        )
        with_duty = set()
        for person_id, is_serving in duties:
            with_duty.add(person_id)
            if is_serving:
                found.add(person_id)
        # A newly registered person with no duty yet: seen as today where they live.
        newcomers = [pk for pk in ids if pk not in with_duty]
        if newcomers:
            found.update(
                Person.objects.filter(pk__in=newcomers, residence__in=within)
                .order_by()
                .values_list("pk", flat=True)
            )
    if user_has_self_scope(user, capability) and user.person_id in ids:
        found.add(user.person_id)
    return found


def can_see_full_nik(user, person) -> bool:
    """Full NIK (and birth date, bank account): roles that need it, within the areas of their
    grant and only for the people seen there as today (`seen_fully_q`), or the person looking
    at their own record. An operator limited to a kecamatan who also holds an office-wide
    grant without the full NIK (an approver) sees full NIKs only of those serving in that
    kecamatan (docs/PRIVACY.md)."""
    if person.pk and getattr(user, "person_id", None) == person.pk:
        return True
    if not can(user, Capability.PEOPLE_FULL_NIK):
        return False
    if area_scope(user, Capability.PEOPLE_FULL_NIK) is None:
        return True
    return Person.objects.filter(full_nik_q(user)).filter(pk=person.pk).exists()


def full_nik_q(user) -> Q | None:
    """The people whose full NIK `user` may see by their role (`can_see_full_nik`, without the
    user's own record); None when everyone's."""
    if area_scope(user, Capability.PEOPLE_FULL_NIK) is None:
        return None
    return person_scope_q(user, Capability.PEOPLE_FULL_NIK, serving=True)


def full_nik_among(user, ids: list[int], seen_fully: set[int] | None) -> set[int] | None:
    """Of the people `ids`, those whose full NIK `user` may see (`can_see_full_nik`); None for
    all of them. `seen_fully` is `seen_fully_among(user, ids)`: when the full NIK is granted
    over the same areas as the people themselves (one grant, the usual case), it is the answer
    and no query is made."""
    own = getattr(user, "person_id", None)
    if not can(user, Capability.PEOPLE_FULL_NIK):
        return {own} & set(ids)
    nik_areas = area_scope(user, Capability.PEOPLE_FULL_NIK)
    if nik_areas is None:
        return None
    view_areas = area_scope(user, Capability.PEOPLE_VIEW)
    same = view_areas is not None and {a.pk for a in view_areas} == {a.pk for a in nik_areas}
    found = set(seen_fully) if same and seen_fully is not None else None
    if found is None:
        found = seen_fully_among(user, ids, Capability.PEOPLE_FULL_NIK) or set()
    if own in ids:
        found.add(own)
    return found
