"""What the stipends app contributes to casework, through its hooks (pilar/casework/signals.py):
the warning when a coordinator reopens a month whose tali kasih is paid or waiting in a batch.
Connected in StipendsConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pilar.stipends.models import StipendLine


def report_reopened(sender, *, report, **kwargs) -> str | None:
    """Reopening does not touch money: say so when the month is paid or in a batch."""
    line = (
        StipendLine.objects.holding()
        .filter(person_id=report.person_id, kind_id=report.kind_id, month=report.month)
        .select_related("batch")
        .first()
    )
    if line is None:
        return None
    if line.status == StipendLine.Status.PAID:
        return _(
            "The tali kasih for this month was already paid (%(batch)s). Reopening does not "
            "undo the payment; finance can reverse it if it was wrong."
        ) % {"batch": line.batch.title}
    return _(
        "The tali kasih for this month is waiting in “%(batch)s”: that batch cannot be "
        "approved until the report is verified again or the line is removed."
    ) % {"batch": line.batch.title}
