"""The province's summary table: each hosted office's dashboard figures on a date, as plain
numbers, stamped with when they were computed and the data version they were computed at
(docs/DASHBOARD.md, "Province"). Derived data, like the cached figures: kept fresh by
`pilar.dashboard.rollup.refresh`, never typed, not audited."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilar.lib.jobs import Job


class OfficeFigures(models.Model):
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    # pilar.dashboard.figures.flat: headcount by kind, casework, arrears, delay and gaps.
    figures = models.JSONField(_("figures"), default=dict)
    # The newest audit entry's id when they were computed (pilar/audit/cache.py): still right
    # while no write has come since.
    version = models.BigIntegerField(_("data version"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("office figures")
        verbose_name_plural = _("office figures")
        constraints = [
            models.UniqueConstraint(fields=["office", "as_of"], name="office_figures_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.as_of}"


class MonthlyOfficeReport(Job):
    """An office's monthly report for the head of office and the mayor (docs/DASHBOARD.md,
    "Monthly report"): its figures as JSON, the PDF and the XLSX written from them. One per
    office and month: writing it again replaces the files and figures (the row says when and at
    whose request). Written by the task worker (`pilar.dashboard.tasks.write_monthly_report`);
    a row still working whose heartbeat has stopped is marked failed and may be asked again."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being written")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # pilar.dashboard.monthly.report_figures: the sections' tables, as the files show them.
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="monthly-reports/%Y/", blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="monthly-reports/%Y/", blank=True)
    error = models.TextField(_("error"), blank=True)
    progress = models.PositiveSmallIntegerField(_("percent written"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: written on schedule by the task worker."),
    )
    requested_at = models.DateTimeField(_("asked at"))
    generated_at = models.DateTimeField(_("written at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report of the office")
        verbose_name_plural = _("monthly reports of the office")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["office", "month"], name="monthly_report_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.month:%Y-%m}"
