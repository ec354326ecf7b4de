"""Demonstration certificates for `pilar demo`: every eligible participant of the given events
gets one, through the same service as the pages; one is then revoked (the holder lost it) and
replaced by a new one, so the demo shows a revoked certificate on its verification page and the
new number beside it on the event's participant list."""

from __future__ import annotations

from pilar.audit.services import Actor
from pilar.trainings.certificates.services import (
    certificate_issue,
    certificate_revoke,
    certificates_issue_for_event,
)
from pilar.trainings.models import TrainingEvent

REVOKED_FROM = "tagana-2022"
REVOKE_REASON = "Hilang; atas permintaan yang bersangkutan diganti sertifikat baru."


def issue_demo_certificates(*, by: Actor, events: dict[str, TrainingEvent]) -> int:
    """Issue the certificates of `events` (keys as `load_trainings` returns them, e.g.
    "2024-10-22", "tagana-2022", "tagana-2023"); returns how many were issued."""
    issued = []
    for key in sorted(events):
        summary = certificates_issue_for_event(by=by, event=events[key])
        issued.extend((key, c) for c in summary.issued)
    revocable = [c for key, c in issued if key == REVOKED_FROM] or [c for _key, c in issued]
    if revocable:
        lost = certificate_revoke(by=by, certificate=revocable[0], reason=REVOKE_REASON)
        certificate_issue(by=by, participant=lost.participant)
    return len(issued)
