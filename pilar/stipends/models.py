"""Tali kasih: rates, budgets (pagu), payment batches and their lines.

The rule that must never break lives in the database: a (person, kind, month) has at most one
line that holds it — a line waiting in a batch or paid, neither a reversal nor reversed
(`stipend_line_one_per_person_kind_month`). Money is whole rupiah in 64-bit integers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import (
    Capability,
    area_scope,
    office_scope_q,
    office_wide,
    user_has_self_scope,
)
from pilar.lib.jobs import Job
from pilar.lib.money import MAX_RUPIAH
from pilar.lib.nik import mask_nik
from pilar.lib.periods import one_per_month
from pilar.regions.models import Area, within_areas_q


class FundingSource(models.TextChoices):
    APBD = "APBD", _("APBD (city/regency budget)")
    APBN = "APBN", _("APBN (national budget)")
    OTHER = "OTHER", _("Other")


class OfficeOwnedQuerySet(models.QuerySet):
    """Rates and budget ceilings: each office's own (docs/STIPENDS.md, "Many offices")."""

    def visible_to(self, user) -> OfficeOwnedQuerySet:
        return self.filter(office_scope_q(user))


class StipendRate(models.Model):
    """The monthly amount for one kind of pillar over a period, and who funds it.

    Rates start on the first day of a month and end on the last day of one: a month has one
    rate, and two rates of one kind in one office never overlap (checked in the service under a
    lock). Each office sets its own rates (docs/STIPENDS.md, "Many offices").
    """

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.ForeignKey(
        "registry.PillarKind",
        verbose_name=_("pillar kind"),
        on_delete=models.PROTECT,
        related_name="stipend_rates",
    )
    amount = models.BigIntegerField(_("amount per month (Rp)"))
    valid_from = models.DateField(_("valid from"), help_text=_("The first day of a month."))
    valid_to = models.DateField(
        _("valid to"),
        null=True,
        blank=True,
        help_text=_("The last day of a month; empty while the rate holds."),
    )
    funding_source = models.CharField(
        _("funding source"), max_length=8, choices=FundingSource.choices
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OfficeOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["kind__order", "-valid_from"]
        verbose_name = _("tali kasih rate")
        verbose_name_plural = _("tali kasih rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, amount__lte=MAX_RUPIAH), name="stipend_rate_amount"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="stipend_rate_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind.code} Rp{self.amount:,} ({self.valid_from:%Y-%m})".replace(",", ".")

    def covers(self, month) -> bool:
        return self.valid_from <= month and (self.valid_to is None or self.valid_to >= month)


class Budget(models.Model):
    """The year's ceiling (pagu) for tali kasih from one funding source, in one office."""

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    funding_source = models.CharField(
        _("funding source"), max_length=8, choices=FundingSource.choices
    )
    amount = models.BigIntegerField(_("ceiling (Rp)"))
    note = models.CharField(_("note"), max_length=250, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OfficeOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "funding_source"]
        verbose_name = _("budget ceiling")
        verbose_name_plural = _("budget ceilings")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "funding_source"], name="budget_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, amount__lte=MAX_RUPIAH), name="budget_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funding_source} {self.year}"


class StipendBatchQuerySet(models.QuerySet):
    def visible_to(self, user) -> StipendBatchQuerySet:
        return self.filter(batch_scope_q(user))


class StipendBatch(models.Model):
    """One payment run: the lines of one or more months and kinds, paid together.

    draft → verified (finance) → approved (approver) → paid or partly paid. A verified or
    approved batch can be sent back to draft with a reason; a draft or verified one cancelled.
    On approval every line freezes a copy of the recipient's name, NIK and account.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VERIFIED = "verified", _("Verified by finance")
        APPROVED = "approved", _("Approved")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    # The batch's number in its office and budget year ("No. 3/2024"), given when it is opened.
    seq = models.PositiveIntegerField(_("number in the year"))
    title = models.CharField(_("title"), max_length=150)
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    arrears_from = models.DateField(
        _("arrears from"),
        null=True,
        blank=True,
        help_text=_("Unpaid earlier months from this month on are added as arrears."),
    )
    kinds = models.ManyToManyField(
        "registry.PillarKind", verbose_name=_("pillar kinds"), related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        _("budget year"), help_text=_("The year whose budget ceiling pays this batch.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The office as the batch was approved (pilar.offices.copies: letterhead, head of office,
    # treasurer): its payment list and receipts print it whatever the office later changes.
    # None for batches approved before the office was a record.
    office_copy = models.JSONField(_("office as approved"), null=True, blank=True, editable=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    transfer_file_at = models.DateTimeField(
        _("transfer file first downloaded"),
        null=True,
        blank=True,
        help_text=_("Once the bank may be paying, the batch can no longer go back to draft."),
    )
    reason = models.CharField(
        _("reason"),
        max_length=500,
        blank=True,
        help_text=_("Why the batch was last sent back or cancelled."),
    )

    objects = StipendBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-first_month", "-pk"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_month__gte=models.F("first_month")), name="batch_months"
            ),
            models.UniqueConstraint(
                fields=["office", "year", "seq"], name="batch_number_per_office_year"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        """The batch's number as printed: "<seq>/<year>", counted per office and year."""
        return f"{self.seq}/{self.year}"

    @property
    def frozen(self) -> bool:
        return self.status in {
            self.Status.APPROVED,
            self.Status.PARTLY_PAID,
            self.Status.PAID,
        }


class StipendLineQuerySet(models.QuerySet):
    def holding(self) -> StipendLineQuerySet:
        """Lines that hold their month: waiting in a batch or paid, and not reversed."""
        return self.filter(HOLDS_MONTH)

    def visible_to(self, user) -> StipendLineQuerySet:
        return self.filter(line_scope_q(user))


class StipendLine(models.Model):
    """One month of one person's tali kasih for one kind of duty, in a batch.

    A correction is a reversing line (negative amount, `reverses` set) and marks the original
    `reversed_at`; a paid line's amount and recipient are never edited.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("In process")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Transfer failed")
        CANCELLED = "cancelled", _("Removed")

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")

    batch = models.ForeignKey(
        StipendBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="lines"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="stipend_lines",
    )
    kind = models.ForeignKey(
        "registry.PillarKind", verbose_name=_("as"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    area = models.ForeignKey(
        Area, verbose_name=_("area of duty"), on_delete=models.PROTECT, related_name="+"
    )
    rate = models.ForeignKey(
        StipendRate, verbose_name=_("rate"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    funding_source = models.CharField(
        _("funding source"), max_length=8, choices=FundingSource.choices
    )
    amount = models.BigIntegerField(_("amount (Rp)"))
    days_served = models.PositiveSmallIntegerField(_("days served"))
    days_in_month = models.PositiveSmallIntegerField(_("days in the month"))
    method = models.CharField(_("payment method"), max_length=8, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The recipient as paid, frozen when the batch is approved.
    name = models.CharField(_("name"), max_length=150, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("account number"), max_length=30, blank=True)
    bank_holder = models.CharField(_("account holder"), max_length=150, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    failure_reason = models.CharField(_("reason it failed"), max_length=250, blank=True)
    failed_at = models.DateTimeField(_("failure recorded at"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StipendLineQuerySet.as_manager()

    class Meta:
        ordering = ["area__code", "name", "person__name", "month", "pk"]
        verbose_name = _("tali kasih line")
        verbose_name_plural = _("tali kasih lines")
        indexes = [
            models.Index(fields=["batch", "status"], name="stipend_line_batch"),
            models.Index(fields=["person", "month"], name="stipend_line_person"),
            models.Index(fields=["month", "kind"], name="stipend_line_month"),
        ]
        constraints = [
            # Exactly once: whatever batch, retry or concurrent approval.
            one_per_month(
                "stipend_line",
                "person",
                "kind",
                condition=Q(
                    status__in=["pending", "paid"], reverses__isnull=True, reversed_at__isnull=True
                ),
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, amount__gt=0, amount__lte=MAX_RUPIAH)
                | Q(reverses__isnull=False, amount__lt=0, amount__gte=-MAX_RUPIAH),
                name="stipend_line_amount_sign",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_on__isnull=False)
                | ~Q(status="paid") & Q(paid_on__isnull=True),
                name="stipend_line_paid_has_date",
            ),
            models.CheckConstraint(
                condition=Q(reversed_at__isnull=True) | Q(status="paid"),
                name="stipend_line_reversed_was_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.kind.code} {self.month:%Y-%m}"

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik or self.person.nik)


HOLDS_MONTH = Q(status__in=["pending", "paid"], reverses__isnull=True, reversed_at__isnull=True)


class BatchJob(Job):
    """One piece of a batch's work run by the task worker, outside the web request: drafting,
    refreshing, verifying, approving, marking paid, or printing the payment list or receipts.

    At most one job of a batch is queued or running at a time (a partial unique index): a
    second click while one runs is answered with the running job. A job whose worker vanished
    (its `heartbeat_at` too old, pilar/lib/jobs.py) is marked failed with the reason; since each
    step is one transaction, nothing of it was saved and it can simply be started again.
    """

    class Kind(models.TextChoices):
        DRAFT = "draft", _("Drafting")
        REFRESH = "refresh", _("Refreshing")
        VERIFY = "verify", _("Verifying")
        APPROVE = "approve", _("Approving")
        MARK_PAID = "mark_paid", _("Marking paid")
        NOMINATIF = "nominatif", _("Printing the payment list")
        RECEIPTS = "receipts", _("Printing the receipts")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(
        StipendBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(_("work"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("result"), max_length=500, blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    file = models.FileField(_("file"), upload_to="stipends/jobs/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("batch job")
        verbose_name_plural = _("batch jobs")
        constraints = [
            # A double submit, or two users at once, queue one job per batch.
            models.UniqueConstraint(
                fields=["batch"],
                condition=Q(status__in=["queued", "running"]),
                name="batch_job_one_working",
            ),
        ]
        indexes = [models.Index(fields=["batch", "kind", "status"], name="batch_job_kind")]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.kind} {self.status}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class SentFile(models.Model):
    """A file as it left the office for a bank (docs/STIPENDS.md, "Files as sent"): its exact
    bytes, their SHA-256, who produced it and when. Never changed or deleted: an auditor
    downloads the same bytes at any later status of the batch.

    A batch's transfer file is produced once per round (`number`), in XLSX and CSV at the same
    moment from the same rows; a second round holds the lines still waiting after the bank
    answered for some. The bytes live in the database, so `pilar backup` keeps them with the
    rows they pay and PostgreSQL holds them like any other value.
    """

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer file")

    batch = models.ForeignKey(
        StipendBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="sent_files"
    )
    kind = models.CharField(_("kind of file"), max_length=12, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    fmt = models.CharField(_("format"), max_length=4)
    filename = models.CharField(_("file name"), max_length=150)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    transfers = models.PositiveIntegerField(_("transfers"))
    lines = models.PositiveIntegerField(_("lines"))
    total = models.BigIntegerField(_("total (Rp)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("produced by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("produced at"), auto_now_add=True)

    class Meta:
        ordering = ["batch", "kind", "number", "fmt"]
        verbose_name = _("file as sent")
        verbose_name_plural = _("files as sent")
        constraints = [
            # Two treasurers at once produce one round, never two with the same number.
            models.UniqueConstraint(
                fields=["batch", "kind", "number", "fmt"], name="sent_file_one_per_round"
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class AccountConfirmation(models.Model):
    """Someone confirmed that a person's account is right after a transfer to it failed
    (docs/STIPENDS.md, "A failed transfer blocks the account"): payment to that account is
    allowed again for failures recorded before `created_at`."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("pillar"),
        on_delete=models.PROTECT,
        related_name="account_confirmations",
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account = models.CharField(_("account number"), max_length=30)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("account confirmation")
        verbose_name_plural = _("account confirmations")
        indexes = [models.Index(fields=["person", "bank_account"], name="account_confirm_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.bank_account}"


# Scope: which batches and lines a user may see (the querysets' `visible_to`). A batch is an
# office-wide document: staff whose stipend grant covers the whole office see their office's
# batches (an office hosting others, the province, sees its offices'); a grant limited to an
# area sees that area's lines (arrears, eligibility) but no batch. A pillar sees their own
# lines only (docs/STIPENDS.md, "Many offices").

NOTHING = Q(pk__in=[])


def batch_scope_q(user, field: str = "office") -> Q:
    """The batches of the user's office (`office_scope_q`) when the user holds STIPENDS_VIEW
    over the whole office (`office_wide`), else none."""
    if not office_wide(user, Capability.STIPENDS_VIEW):
        return NOTHING
    return office_scope_q(user, field)


def line_scope_q(user) -> Q:
    """A whole-office viewer: the lines of the office's batches; a grant limited to areas: the
    lines of those areas (within the office, area_scope); a pillar: their own."""
    view = Capability.STIPENDS_VIEW
    if office_wide(user, view):
        return office_scope_q(user, "batch__office")
    areas = area_scope(user, view)
    q = NOTHING
    if areas is None:
        q = Q()
    elif areas:
        q |= Q(area__in=Area.objects.filter(within_areas_q(areas, "")).values("pk"))
    if user_has_self_scope(user, Capability.STIPENDS_OWN):
        q |= Q(person_id=user.person_id)
    return q


def duty_scope_q(user) -> Q | None:
    """The duties whose months `user` may see owed (eligibility): within the user's areas
    (`area_scope`, inside their office), and a pillar's own; None: every duty the acting office
    pays (its area is applied by `entitlements`)."""
    areas = area_scope(user, Capability.STIPENDS_VIEW)
    if areas is None:
        return None
    q = NOTHING
    if areas:
        q |= within_areas_q(areas, "area")
    if user_has_self_scope(user, Capability.STIPENDS_OWN):
        q |= Q(person_id=user.person_id)
    return q
