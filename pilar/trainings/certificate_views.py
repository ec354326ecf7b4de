"""Certificate pages: issuing, printing, revoking, the expiring list and public verification."""

from __future__ import annotations


def event_panel(request, event) -> dict:
    """Context for `trainings/_event_certificates.html` on the event's page."""
    return {}
