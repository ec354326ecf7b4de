from __future__ import annotations

from django.db import models


class SubmittedForm(models.Model):
    """A form post seen a moment ago (`pilar.core.once.submit_once`): a second identical post
    within the window (a double click, a reload that posts again) is sent to the first one's
    result instead of saving the same thing twice. Rows older than the window are deleted."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    location = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:12]} {self.created_at:%Y-%m-%d %H:%M:%S}"
