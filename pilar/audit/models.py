from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilar.audit.acting import acting_office, acting_office_id
from pilar.lib.jobs import Job


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        missing = [obj for obj in objs if obj.office_id is None]
        if missing:
            office = acting_office()
            for obj in missing:
                obj.office = office
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise TypeError("the audit log is append-only")

    def delete(self):
        raise TypeError("the audit log is append-only")


class AuditEntry(models.Model):
    """One append-only line of the audit log: a write, or a look at full personal data.

    The database refuses UPDATE on this table (a trigger, on SQLite and PostgreSQL) and DELETE on
    PostgreSQL; the ORM refuses both.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        END = "end", _("ended")
        VIEW_PERSONAL = "view_personal", _("opened personal data")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed login")
        TOKEN = "token", _("API token")
        LOAD = "load", _("loaded data")

    class Source(models.TextChoices):
        WEB = "web", _("web")
        API = "api", _("API")
        CLI = "cli", _("command line")
        IMPORT = "import", _("import")
        EXTRACT = "extract", _("DTSEN extract")
        VERIVALI = "verivali", _("verification round")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person concerned"),
        # The log keeps the id even after an import's undo removes the person it created: an
        # append-only log can neither block that removal nor be rewritten by it.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # The office the actor acted for (docs/OFFICE.md, "Many offices"); empty only on entries
    # written before offices were many (the append-only table cannot be filled afterwards).
    office = models.ForeignKey(
        "offices.Office",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    # Not a foreign key: the apps that write in batches (imports) sit above the audit log.
    batch = models.BigIntegerField(
        _("batch"),
        null=True,
        blank=True,
        help_text=_(
            "The batch of writes this entry belongs to, by its number: for an entry whose "
            "source is an import, that import (its saving or its undo); a DTSEN extract, that "
            "extract's import; a verification round, that round."
        ),
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["person", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["source", "batch"], name="audit_entry_source_batch"),
            models.Index(fields=["office", "at"], name="audit_entry_office_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the audit log is append-only")
        if self.office_id is None:
            self.office_id = acting_office_id(self.user if self.user_id else None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the audit log is append-only")


class ExportJob(Job):
    """A download too large to stream within a web request (docs/PERFORMANCE.md, "Pages at
    national scale"): a background job writes the file, the user who asked follows its progress
    and downloads it. The file and the row are removed a day after (when a later job starts)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("writing the file")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("who")
    )
    kind = models.CharField(_("list"), max_length=40)
    fmt = models.CharField(_("format"), max_length=4)
    query = models.TextField(_("filters"), blank=True)
    language = models.CharField(max_length=10, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    rows_expected = models.PositiveIntegerField(_("rows expected"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    filename = models.CharField(_("file name"), max_length=120, blank=True)
    path = models.CharField(max_length=255, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.fmt} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.rows_expected:
            return 0
        return min(99, round(100 * self.rows_done / self.rows_expected))
