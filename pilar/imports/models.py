from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportQuerySet:
        """Imports `user` may open: their office's for office-wide importers, else their own
        (docs/OFFICE.md, "Many offices")."""
        from pilar.accounts.access import Capability, can, office_scope_q, office_wide

        if not can(user, Capability.IMPORTS):
            return self.none()
        mine = self.filter(office_scope_q(user))
        if office_wide(user, Capability.IMPORTS):
            return mine
        return mine.filter(created_by=user)


class Import(models.Model):
    """One spreadsheet taken in: the file, how its columns map, what checking found, and —
    once committed — every record it created or changed, so that it can be undone whole."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("waiting for the column mapping")
        CHECKING = "checking", _("checking the rows")
        PREVIEW = "preview", _("checked, not saved yet")
        COMMITTING = "committing", _("saving")
        COMMITTED = "committed", _("saved")
        UNDOING = "undoing", _("being undone")
        UNDONE = "undone", _("undone")
        FAILED = "failed", _("could not be read")

    # The office whose registry the import writes (docs/OFFICE.md, "Many offices").
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/")
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("format"), max_length=8)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    sheets = models.JSONField(default=list, blank=True)  # [[name, visible], ...]
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    columns = models.JSONField(default=list, blank=True)  # [[letter, header, [samples]], ...]
    mapping = models.JSONField(default=dict, blank=True)  # {"0": "nik", ...}
    notes = models.JSONField(default=list, blank=True)  # file-level remarks shown to the user

    class StartRule(models.TextChoices):
        REJECT = "", _("leave such rows rejected")
        SK = "sk", _("use the SK date as the start date (TMT)")
        DATE = "date", _("use one date for all of them")

    # Where a new duty's start date comes from when its row has none (pilar.imports.engine.records
    # StartRule): kept with the import so that a check run again, or the commit, applies it alike.
    start_rule = models.CharField(
        _("rows without a start date"),
        max_length=4,
        choices=StartRule.choices,
        default=StartRule.REJECT,
        blank=True,
    )
    start_rule_date = models.DateField(_("start date for rows without one"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.MAPPING
    )
    message = models.TextField(_("message"), blank=True)
    # When the worker doing the check, commit or undo was last heard of (pilar/lib/jobs.py).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # NIKs whose rows disagree: {nik: {"rows": [...], "fields": [...]}}; all their rows refused.
    conflicts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("saved"), null=True, blank=True)
    # The highest audit entry id the commit wrote: later entries about the same records are
    # changes made after the import, which an undo must not silently throw away.
    audit_mark = models.BigIntegerField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    objects = ImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"

    WORKING = ("checking", "committing", "undoing")

    @property
    def start_rule_value(self):
        """The stored rule as the check applies it (None: such rows are refused)."""
        from pilar.imports.engine.records import StartRule

        return StartRule.stored(self.start_rule, self.start_rule_date)

    @property
    def is_running(self) -> bool:
        return self.status in self.WORKING

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class ImportRow(models.Model):
    """One row of the sheet as checked: what saving it does, and why not. (Its cells stay in
    the stored file; the rejected-rows report reads them from there.)"""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        UPDATED = "updated", _("updated")
        UNCHANGED = "unchanged", _("unchanged")
        REJECTED = "rejected", _("rejected")

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    problems = models.JSONField(default=list)  # [[severity, field, value, message], ...]
    # What saving the row does (new person, fields changed before -> after, duty added or
    # ended, warnings accepted): shown in the preview, compared again by the commit.
    plan = models.JSONField(default=dict)
    nik = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="import_row_unique_number")
        ]
        indexes = [models.Index(fields=["batch", "status"], name="import_row_status")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.number}"


class ImportChange(models.Model):
    """Records an import created, changed or ended — one model and one action, many records —
    with their values before, for undo."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        END = "end", _("ended")

    batch = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=20)  # "person" or "assignment"
    action = models.CharField(max_length=8, choices=Action.choices)
    object_ids = models.JSONField(default=list)
    befores = models.JSONField(default=list, blank=True)  # one dict per id (changes and ends)

    class Meta:
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.model}:{self.action}:{len(self.object_ids)}"
