"""Who holds a tali kasih capability over the whole office. Which batches and lines a user sees
is the querysets' scope, at the end of pilar/stipends/models.py."""

from __future__ import annotations

from pilar.accounts.access import Capability, office_wide

__all__ = ["office_wide", "full_nik_in_batches"]


def full_nik_in_batches(user) -> bool:
    """A batch lists people of the whole office: its documents show full NIKs only to a reader
    whose full-NIK grant covers the whole office; a grant limited to an area (even beside an
    office-wide stipend role) gets them masked (docs/PRIVACY.md)."""
    return office_wide(user, Capability.PEOPLE_FULL_NIK)
