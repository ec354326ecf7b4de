"""What the database knows of backups: the runs asked for (by the page, the nightly schedule)
and the task worker's heartbeat. The archives themselves are files in PILAR_BACKUP_DIR
(docs/BACKUP.md); the backups page lists the folder, not this table."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pilar.lib.jobs import Job


class BackupRun(Job):
    """One backup taken in the background: by an admin's "back up now" or the nightly schedule.
    `night` is set on nightly runs only and is unique: of several workers, one takes a night."""

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", pgettext_lazy("backup", "nightly")
        MANUAL = "manual", pgettext_lazy("backup", "manual")

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("backup", "waiting for the task worker")
        RUNNING = "running", pgettext_lazy("backup", "running")
        DONE = "done", pgettext_lazy("backup", "done")
        FAILED = "failed", pgettext_lazy("backup", "failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    night = models.DateField(_("night"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked for by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    step = models.CharField(_("step"), max_length=100, blank=True)
    filename = models.CharField(_("file"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("backup run")
        verbose_name_plural = _("backup runs")
        constraints = [
            models.UniqueConstraint(fields=["night"], name="backups_one_run_per_night"),
            # "Back up now" twice at once (a double click, two admins): one run. The check in
            # services.backup_run_request cannot lock a row that does not exist yet.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="manual", status__in=["queued", "running"]),
                name="backups_one_manual_run_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class WorkerHeartbeat(models.Model):
    """The task worker (`pilar worker`) says it is alive: one row per worker process, touched
    every 30 seconds; /healthz reads the newest."""

    name = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("task worker heartbeat")

    def __str__(self) -> str:
        return self.name
