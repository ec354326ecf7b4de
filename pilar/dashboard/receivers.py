"""The dashboard's answers to the hooks of the apps below it (pilar/lib/hooks.py)."""

from __future__ import annotations

from pilar.dashboard.monthly_services import monthly_reports_due


def on_worker_round(sender, *, now, **kwargs):
    """The task worker's round: queue last month's reports when they are due."""
    return monthly_reports_due(now) or None
