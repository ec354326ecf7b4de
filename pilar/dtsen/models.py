from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilar.lib.jobs import Job


class HouseholdImport(Job):
    """One DTSEN extract taken in: the file, how its columns map, what checking found per
    household, and — once saved — every record it created or changed, so that it can be undone
    whole."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("waiting for the column mapping")
        CHECKING = "checking", _("checking the rows")
        PREVIEW = "preview", _("checked, not saved yet")
        COMMITTING = "committing", _("saving")
        COMMITTED = "committed", _("saved")
        UNDOING = "undoing", _("being undone")
        UNDONE = "undone", _("undone")
        FAILED = "failed", _("could not be read")

    WORKING = ["checking", "committing", "undoing"]

    # The office whose households the extract writes (docs/OFFICE.md, "Many offices").
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="extracts/%Y/")
    filename = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("format"), max_length=8)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    sheets = models.JSONField(default=list, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    columns = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # The day the extract's data stands for (the decile history is dated with it).
    as_of = models.DateField(_("extract date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.MAPPING
    )
    message = models.TextField(_("message"), blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
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
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    committed_at = models.DateTimeField(_("saved"), null=True, blank=True)
    audit_mark = models.BigIntegerField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("DTSEN extract import")
        verbose_name_plural = _("DTSEN extract imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"


class ExtractRow(models.Model):
    """One row of the extract as checked (one person): its problems, for the preview and the
    rejected-rows report. Its cells stay in the stored file."""

    class Status(models.TextChoices):
        OK = "ok", _("read")
        REJECTED = "rejected", _("rejected")

    batch = models.ForeignKey(HouseholdImport, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    kk_number = models.CharField(_("KK number"), max_length=16, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    problems = models.JSONField(default=list)  # [[severity, field, value, message], ...]

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="extract_row_unique_number")
        ]
        indexes = [models.Index(fields=["batch", "status"], name="extract_row_status")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.number}"


class ExtractHousehold(models.Model):
    """One family card (KK) of the extract as checked — or a household of the office that the
    extract no longer lists (`MISSING`) — and what saving does to it, shown in the preview and
    compared again by the commit."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        UPDATED = "updated", _("updated")
        MOVED = "moved", _("moved")
        UNCHANGED = "unchanged", _("unchanged")
        REJECTED = "rejected", _("rejected")
        MISSING = "missing", _("no longer in the extract")

    class Decision(models.TextChoices):
        NONE = "", _("not decided")
        KEEP = "keep", _("keep it as it is")
        CLOSE = "close", _("close it")

    batch = models.ForeignKey(HouseholdImport, on_delete=models.CASCADE, related_name="households")
    kk_number = models.CharField(_("KK number"), max_length=16)
    household = models.ForeignKey(
        "casework.Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        "regions.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    rows = models.JSONField(default=list)  # the sheet rows of its members
    # What saving does: {"fields": {name: [before, after]}, "members_added": [...],
    # "members_gone": [...], "members_changed": [...]} (the shape is dtsen's own, see checker).
    plan = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    # A missing household the office accompanies (an open caseload) is never closed silently:
    # it waits for a decision.
    accompanied = models.BooleanField(default=False)
    decision = models.CharField(
        _("decision"), max_length=5, choices=Decision.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["batch", "pk"]
        indexes = [models.Index(fields=["batch", "status"], name="extract_household_status")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.kk_number}"


class ExtractChange(models.Model):
    """Records a saved extract created, changed or ended — one model and one action, many
    records — with their values before, for undo."""

    batch = models.ForeignKey(HouseholdImport, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=20)
    action = models.CharField(max_length=8)
    object_ids = models.JSONField(default=list)
    befores = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.model}:{self.action}:{len(self.object_ids)}"
