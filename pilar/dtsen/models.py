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
