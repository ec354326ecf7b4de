"""Equipment (sarana dan prasarana): the item catalog, stock received, handovers to people
recorded as a BAST (Berita Acara Serah Terima), and returns.

Quantities are never stored as a running balance: for each item

    in stock = received − handed over + returned (good or damaged)
    held     = handed over − returned (whatever the condition)
    lost     = returned as lost

so stock = received − held − lost always. Items returned damaged are in the store but not
available to hand over until a `Repair` says they were repaired (or written off):

    available       = received − handed over + returned good + repaired
    awaiting repair = returned damaged − repaired − written off

A handover line or a return saved by mistake is never edited: it is reversed (and, for an
amendment, replaced by a new row) with a reason; the reversed row stays visible and counts no
more (`in_force()`). See docs/EQUIPMENT.md. Every write goes through `pilar.equipment.services`,
which locks the item's row before checking stock, so two handovers can't give the same vest.
Who may see what: the rules are told in pilar/equipment/access.py and applied at the end of this
module (the querysets' scope).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, office_scope_q, office_wide, user_has_self_scope
from pilar.registry.models import Person, until_left_q


class ItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> ItemQuerySet:
        """The items of the user's office (a province: of its offices)."""
        return self.filter(office_scope_q(user))


class Item(models.Model):
    """An item of an office's catalog (docs/EQUIPMENT.md, "Many offices"): each office keeps
    its own list and stock; its receipts, returns and repairs are reached through it."""

    class Category(models.TextChoices):
        CLOTHING = "clothing", _("Clothing and uniform (vest, hat)")
        BAG = "bag", _("Bag")
        COMMUNICATION = "communication", _("Communication (radio, HT)")
        ELECTRONICS = "electronics", _("Electronics (laptop, tablet, phone)")
        RESCUE = "rescue", _("Rescue and safety gear")
        OFFICE = "office", _("Office supplies")
        OTHER = "other", _("Other")

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("For example: buah, unit, set."))
    asset_code = models.CharField(
        _("asset register code"),
        max_length=60,
        blank=True,
        help_text=_("The code in the regional asset register (KIB), if the item is registered."),
    )
    needs_return = models.BooleanField(
        _("must be returned"),
        default=False,
        help_text=_("Returned when the pillar leaves (a radio, a laptop); not for a vest."),
    )
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["office", "name"], name="item_name_per_office"),
        ]

    def __str__(self) -> str:
        return self.name


class StockReceipt(models.Model):
    """Items the office received: bought, or given by the ministry or the province."""

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="receipts"
    )
    received_on = models.DateField(_("date received"))
    quantity = models.PositiveIntegerField(_("quantity"))
    source = models.CharField(
        _("source"), max_length=150, help_text=_("For example: APBD 2024, Kemensos.")
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("stock received")
        verbose_name_plural = _("stock received")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} · {self.received_on.isoformat()}"


class HandoverQuerySet(models.QuerySet):
    def visible_to(self, user) -> HandoverQuerySet:
        return self.filter(handover_scope_q(user))


class Handover(models.Model):
    """One BAST: items handed over on a day by a giver, before witnesses, to one or more people
    (a handover at a training event lists every attendee). Numbered per office and year:
    `seq`/`year`; the office's letterhead is printed on it."""

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("number in the year"))
    number = models.CharField(_("BAST number"), max_length=60)
    handed_on = models.DateField(_("date of handover"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    giver_name = models.CharField(_("handed over by"), max_length=150)
    giver_title = models.CharField(_("giver's position"), max_length=150, blank=True)
    training_event = models.ForeignKey(
        "trainings.TrainingEvent",
        verbose_name=_("at training event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers",
    )
    note = models.TextField(_("note"), blank=True)
    # The office as the BAST was made (pilar.offices.copies: name, address, city, logo): the
    # printed BAST keeps it whatever the office later changes. None for BASTs made before.
    office_copy = models.JSONField(_("office as issued"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HandoverQuerySet.as_manager()

    class Meta:
        ordering = ["-handed_on", "-pk"]
        verbose_name = _("handover (BAST)")
        verbose_name_plural = _("handovers (BAST)")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "seq"], name="handover_number_per_year"
            ),
            models.UniqueConstraint(fields=["office", "number"], name="handover_number_once"),
        ]

    def __str__(self) -> str:
        return self.number

    def witness_list(self) -> list[tuple[str, str]]:
        """The witnesses as (name, position) pairs, in their order."""
        return [(w.name, w.position) for w in self.witnesses.all()]


class HandoverWitness(models.Model):
    """A witness of a BAST: the name whole, as written (degrees, commas and dots included:
    "Dra. Rina Marlina, S.Sos, M.Si"), and the position apart."""

    handover = models.ForeignKey(
        Handover, on_delete=models.CASCADE, related_name="witnesses", verbose_name=_("BAST")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("witness's name"), max_length=200)
    position = models.CharField(_("witness's position"), max_length=150, blank=True)

    class Meta:
        ordering = ["handover", "order"]
        verbose_name = _("witness")
        verbose_name_plural = _("witnesses")
        constraints = [
            models.UniqueConstraint(fields=["handover", "order"], name="handover_witness_order"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.position})" if self.position else self.name


class Condition(models.TextChoices):
    NEW = "new", _("New")
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Damaged")
    LOST = "lost", _("Lost")


class CorrectableQuerySet(models.QuerySet):
    def in_force(self):
        """The rows not reversed: what the figures count."""
        return self.filter(reversed_at__isnull=True)


class Correctable(models.Model):
    """A record corrected on the record: reversed with a reason (and, for an amendment, replaced
    by a new row that `replaced_by` points to). Nothing else of the row ever changes."""

    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_reason = models.CharField(_("reason for the correction"), max_length=250, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
    )

    class Meta:
        abstract = True

    @property
    def in_force(self) -> bool:
        return self.reversed_at is None


def reversal_has_reason(table: str) -> models.CheckConstraint:
    """`<table>_reversal_has_reason`: a reversed row says why."""
    return models.CheckConstraint(
        condition=Q(reversed_at__isnull=True) | ~Q(reversal_reason=""),
        name=f"{table}_reversal_has_reason",
    )


class HandoverLineQuerySet(CorrectableQuerySet):
    def visible_to(self, user) -> HandoverLineQuerySet:
        return self.filter(line_scope_q(user))


class HandoverLine(Correctable):
    """So many of an item, in a condition, handed to one person under a BAST. An item is handed
    new, good, or damaged (with a note saying what is wrong); never "lost"."""

    handover = models.ForeignKey(
        Handover, verbose_name=_("BAST"), on_delete=models.PROTECT, related_name="lines"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("receiver"), on_delete=models.PROTECT, related_name="equipment"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="handover_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    condition = models.CharField(
        _("condition"),
        max_length=8,
        choices=[
            (Condition.NEW, Condition.NEW.label),
            (Condition.GOOD, Condition.GOOD.label),
            (Condition.DAMAGED, Condition.DAMAGED.label),
        ],
        default=Condition.NEW,
    )
    note = models.CharField(
        _("condition note"), max_length=250, blank=True, help_text=_("Required when damaged.")
    )

    objects = HandoverLineQuerySet.as_manager()

    class Meta:
        ordering = ["handover", "person__name", "item__name", "pk"]
        verbose_name = _("item handed over")
        verbose_name_plural = _("items handed over")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="handover_quantity_positive"),
            models.UniqueConstraint(
                fields=["handover", "person", "item"],
                condition=Q(reversed_at__isnull=True),
                name="handover_line_once",
            ),
            models.CheckConstraint(
                condition=~Q(condition="damaged") | ~Q(note=""), name="handover_damage_has_note"
            ),
            reversal_has_reason("handover_line"),
        ]
        indexes = [models.Index(fields=["person", "item"], name="handover_line_person_item")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} → {self.person}"


class ReturnQuerySet(CorrectableQuerySet):
    def visible_to(self, user) -> ReturnQuerySet:
        return self.filter(return_scope_q(user))


class Return(Correctable):
    """Items a person gave back (good or damaged), or reported lost (with a reason)."""

    person = models.ForeignKey(
        Person, verbose_name=_("returned by"), on_delete=models.PROTECT, related_name="returns"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="returns"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    condition = models.CharField(
        _("condition"),
        max_length=8,
        choices=[
            (Condition.GOOD, Condition.GOOD.label),
            (Condition.DAMAGED, Condition.DAMAGED.label),
            (Condition.LOST, Condition.LOST.label),
        ],
    )
    returned_on = models.DateField(_("date returned"))
    reason = models.CharField(
        _("reason"), max_length=250, blank=True, help_text=_("Required when damaged or lost.")
    )
    received_by = models.CharField(_("received by"), max_length=150, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReturnQuerySet.as_manager()

    class Meta:
        ordering = ["-returned_on", "-pk"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_quantity_positive"),
            models.CheckConstraint(
                condition=Q(condition="good") | ~Q(reason=""), name="return_damage_has_reason"
            ),
            reversal_has_reason("return"),
        ]
        indexes = [models.Index(fields=["person", "item"], name="return_person_item")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} ← {self.person}"


class Repair(models.Model):
    """What became of items returned damaged: repaired (available again) or written off (gone
    from the store). Until then they are in the store but not available to hand over."""

    class Outcome(models.TextChoices):
        REPAIRED = "repaired", _("Repaired, available again")
        WRITTEN_OFF = "written_off", _("Beyond repair, written off")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="repairs"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    done_on = models.DateField(_("date"))
    note = models.CharField(
        _("note"), max_length=250, help_text=_("What was done, e.g. antenna replaced.")
    )
    done_by = models.CharField(
        _("repaired or assessed by"), max_length=150, help_text=_("Who repaired or assessed it.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on", "-pk"]
        verbose_name = _("repair")
        verbose_name_plural = _("repairs")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="repair_quantity_positive"),
            models.CheckConstraint(condition=~Q(note=""), name="repair_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} · {self.get_outcome_display()}"


# Scope: which handovers, lines and returns a user may see (the querysets' `visible_to`), by the
# rules pilar/equipment/access.py tells. Each holds within the user's office (a province: its
# offices'), but a pillar's own lines and returns follow them to another office.


def _office_or_own(user, office: str, person: str) -> Q:
    scope = office_scope_q(user, office)
    if scope and user_has_self_scope(user, Capability.EQUIPMENT_VIEW):
        scope |= Q(**{person: user.person_id})
    return scope


def line_scope_q(user) -> Q:
    """Handover lines: by the person they belong to and the day they were handed."""
    return until_left_q(
        user, Capability.EQUIPMENT_VIEW, person="person", on="handover__handed_on"
    ) & _office_or_own(user, "handover__office", "person_id")


def return_scope_q(user) -> Q:
    """Returns: of an item a visible line handed that person."""
    if office_wide(user, Capability.EQUIPMENT_VIEW):
        return office_scope_q(user, "item__office")
    lines = HandoverLine.objects.filter(
        line_scope_q(user), person=OuterRef("person"), item=OuterRef("item")
    )
    return Q(Exists(lines))


def handover_scope_q(user) -> Q:
    if office_wide(user, Capability.EQUIPMENT_VIEW):
        return office_scope_q(user)
    lines = HandoverLine.objects.filter(line_scope_q(user)).values("handover_id")
    return Q(pk__in=lines)
