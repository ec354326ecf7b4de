"""Reminders (docs/NOTICES.md): a notice made once for a user, and the user's switches.

"Each reminder once" is the database's rule, not the code's: one notice per (user, kind, key),
so two rounds of the task worker, or two workers at once, make it once. Each channel that
delivers a notice outside Pilar (e-mail, web push) marks its own `*_at` field when it claims it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REPORT_DUE = "report_due", _("Monthly report due")
    REPORTS_WAITING = "reports_waiting", _("Reports waiting for verification")
    FOLLOW_UP = "follow_up", _("Follow-up due or overdue")
    CERTIFICATE = "certificate", _("Certificate about to expire")
    STIPEND_PAID = "stipend_paid", _("Tali kasih paid")


class NoticeQuerySet(models.QuerySet):
    def of(self, user) -> NoticeQuerySet:
        """The user's own notices: nobody sees another's."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """A reminder for one user, written in their language when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the reminder is about, within its kind: "PSM:2024-10:due", an activity's id...
    key = models.CharField(max_length=100)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=1000, blank=True)
    url = models.CharField(_("page"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("made at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="notice_once"),
        ]
        indexes = [
            # The list, newest first, and the bell's count of unread ones.
            models.Index(fields=["user", "-created_at"], name="notice_user_created"),
            models.Index(
                fields=["user"], name="notice_user_unread", condition=Q(read_at__isnull=True)
            ),
            # What the e-mail channel still has to send.
            models.Index(
                fields=["created_at"],
                name="notice_not_emailed",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.key}"


class NoticeSettings(models.Model):
    """A user's switches: which kinds of reminder they get, and by which channels beyond the
    bell. No row: everything on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_settings"
    )
    report_due = models.BooleanField(Kind.REPORT_DUE.label, default=True)
    reports_waiting = models.BooleanField(Kind.REPORTS_WAITING.label, default=True)
    follow_up = models.BooleanField(Kind.FOLLOW_UP.label, default=True)
    certificate = models.BooleanField(Kind.CERTIFICATE.label, default=True)
    stipend_paid = models.BooleanField(Kind.STIPEND_PAID.label, default=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    push = models.BooleanField(_("as a notification on my phone"), default=True)

    class Meta:
        verbose_name = _("notice settings")
        verbose_name_plural = _("notice settings")

    def __str__(self) -> str:
        return str(self.user_id)
