"""What the phones sent: one receipt per outbox item accepted (docs/FIELD.md, "Sync: exactly
once"). The item's id, made on the phone, is unique here: an item sent again after a lost
answer finds its receipt and makes nothing new."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncReceipt(models.Model):
    """One outbox item accepted, written in the same transaction as what it made."""

    class Type(models.TextChoices):
        ACTIVITY = "activity", _("activity")
        FOLLOW_UP = "follow_up", _("follow-up done")
        NOTE = "note", _("household note")

    client_id = models.UUIDField(_("item id"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sync_receipts"
    )
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    payload_sha256 = models.CharField(_("content hash"), max_length=64)
    # Empty only inside the transaction that writes the receipt first and then what it made
    # (so that a second send of the same id waits for the first, not beside it).
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True)
    url = models.CharField(_("page"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded on the phone at"), null=True, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sync receipt")
        verbose_name_plural = _("sync receipts")
        indexes = [models.Index(fields=["user", "created_at"], name="sync_receipt_user")]

    def __str__(self) -> str:
        return f"{self.type} {self.client_id}"
