"""Equipment (sarana dan prasarana): the item catalog, stock received, handovers to people
recorded as a BAST (Berita Acara Serah Terima), and returns.

Quantities are never stored as a running balance: for each item

    in stock = received − handed over + returned (good or damaged)
    held     = handed over − returned (whatever the condition)
    lost     = returned as lost

so stock = received − held − lost always. Every write goes through `pilar.equipment.services`,
which locks the item's row before checking stock, so two handovers can't give the same vest.
Who may see what is in `pilar.equipment.access`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilar.registry.models import Person


class Item(models.Model):
    class Category(models.TextChoices):
        CLOTHING = "clothing", _("Clothing and uniform (vest, hat)")
        BAG = "bag", _("Bag")
        COMMUNICATION = "communication", _("Communication (radio, HT)")
        ELECTRONICS = "electronics", _("Electronics (laptop, tablet, phone)")
        RESCUE = "rescue", _("Rescue and safety gear")
        OFFICE = "office", _("Office supplies")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=150, unique=True)
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

    class Meta:
        ordering = ["name"]
        verbose_name = _("item")
        verbose_name_plural = _("items")

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
        from pilar.equipment.access import handover_scope_q

        return self.filter(handover_scope_q(user))


class Handover(models.Model):
    """One BAST: items handed over on a day by a giver, before witnesses, to one or more people
    (a handover at a training event lists every attendee). Numbered per year: `seq`/`year`."""

    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("number in the year"))
    number = models.CharField(_("BAST number"), max_length=60, unique=True)
    handed_on = models.DateField(_("date of handover"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    giver_name = models.CharField(_("handed over by"), max_length=150)
    giver_title = models.CharField(_("giver's position"), max_length=150, blank=True)
    witnesses = models.TextField(
        _("witnesses"), blank=True, help_text=_("One per line: name, then position after a comma.")
    )
    training_event = models.ForeignKey(
        "trainings.TrainingEvent",
        verbose_name=_("at training event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers",
    )
    note = models.TextField(_("note"), blank=True)
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
            models.UniqueConstraint(fields=["year", "seq"], name="handover_number_per_year"),
        ]

    def __str__(self) -> str:
        return self.number

    def witness_list(self) -> list[tuple[str, str]]:
        """The witnesses as (name, position) pairs."""
        pairs = []
        for line in self.witnesses.splitlines():
            name, _sep, position = line.partition(",")
            if name.strip():
                pairs.append((name.strip(), position.strip()))
        return pairs


class Condition(models.TextChoices):
    NEW = "new", _("New")
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Damaged")
    LOST = "lost", _("Lost")


class HandoverLineQuerySet(models.QuerySet):
    def visible_to(self, user) -> HandoverLineQuerySet:
        from pilar.equipment.access import line_scope_q

        return self.filter(line_scope_q(user))


class HandoverLine(models.Model):
    """So many of an item, in a condition, handed to one person under a BAST."""

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
        choices=[(Condition.NEW, Condition.NEW.label), (Condition.GOOD, Condition.GOOD.label)],
        default=Condition.NEW,
    )

    objects = HandoverLineQuerySet.as_manager()

    class Meta:
        ordering = ["handover", "person__name", "item__name", "pk"]
        verbose_name = _("item handed over")
        verbose_name_plural = _("items handed over")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="handover_quantity_positive"),
            models.UniqueConstraint(
                fields=["handover", "person", "item"], name="handover_line_once"
            ),
        ]
        indexes = [models.Index(fields=["person", "item"], name="handover_line_person_item")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} → {self.person}"


class ReturnQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReturnQuerySet:
        from pilar.equipment.access import return_scope_q

        return self.filter(return_scope_q(user))


class Return(models.Model):
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
        ]
        indexes = [models.Index(fields=["person", "item"], name="return_person_item")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item.unit} {self.item} ← {self.person}"
