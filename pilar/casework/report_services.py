"""Monthly reports: the day a month's report is due, its figures compiled from the activities,
and its writes (submit or resubmit, verify, return, reopen), each validated, in one
transaction and audited, like the other casework writes in services.py.

Transitions of a monthly report are conditional updates (`UPDATE ... WHERE status = ...`), so
a double click or two coordinators at once make exactly one transition.
"""

from __future__ import annotations

import datetime
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.casework.access import may_decide
from pilar.casework.models import Activity, MonthlyReport
from pilar.casework.services import _require, today
from pilar.lib.dates import long_date
from pilar.lib.months import month_end, month_label, month_start, next_month
from pilar.lib.text import check_lengths
from pilar.offices import current
from pilar.registry.models import Assignment, Person


def report_due(month: datetime.date, office=None) -> datetime.date:
    """The last day a report for `month` is on time: the office's due day of the next month.
    `office`: the office whose area holds the report (`office_for_area`); by default the office
    the request acts for, the same for every report within it (docs/OFFICE.md)."""
    office = office if office is not None else current()
    return next_month(month) + datetime.timedelta(days=office.report_due_day - 1)


def compile_month(person_id: int, kind_id: int, month: datetime.date) -> dict:
    """The month's figures from its activities: counts by sector and by type, households
    reached, KUBE groups, follow-ups set. Computed, never typed."""
    rows = list(
        Activity.objects.current()
        .filter(person_id=person_id, kind_id=kind_id, month=month)
        .values_list("pk", "sector", "activity_type__name", "kube_group_id", "follow_up_on")
    )
    ids = [r[0] for r in rows]
    reached = (
        Activity.households.through.objects.filter(activity_id__in=ids)
        .values("household_id")
        .distinct()
        .count()
        if ids
        else 0
    )
    by_sector = Counter(r[1] for r in rows)
    by_type = Counter(r[2] for r in rows)
    return {
        "activities": len(rows),
        "by_sector": dict(by_sector),
        "by_type": dict(sorted(by_type.items())),
        "households": reached,
        "kube_groups": len({r[3] for r in rows if r[3]}),
        "follow_ups": sum(1 for r in rows if r[4]),
    }


@transaction.atomic
def report_submit(
    *, by: Actor, person: Person, kind, month: datetime.date, notes: str = ""
) -> MonthlyReport:
    """Submit (or, after a return or a reopening, resubmit) a month's report, from the month's
    last day on. The person's row is locked first, so an activity being recorded at the same
    moment is either in the figures or refused as late for a locked month."""
    _require(by, Capability.ACTIVITY_RECORD)
    user = by.signed_in_user
    if user is not None and user.person_id != person.pk:
        raise PermissionDenied
    Person.objects.select_for_update().filter(pk=person.pk).first()
    month = month_start(month)
    notes = (notes or "").strip()
    errors: dict[str, list] = {}
    duty = (
        Assignment.objects.filter(person=person, kind=kind, start_date__lte=month_end(month))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=month))
        .select_related("area")
        .order_by("-start_date")
        .first()
    )
    if month_end(month) > today():
        errors["month"] = [
            _("The report for %(month)s can be submitted from %(day)s, the month's last day.")
            % {"month": month_label(month), "day": long_date(month_end(month))}
        ]
    elif duty is None:
        errors["month"] = [
            _("You did not serve as %(kind)s in %(month)s.")
            % {"kind": kind.name, "month": month_label(month)}
        ]
    if len(notes) > 2000:
        errors["notes"] = [_("Keep the notes under 2,000 characters.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    fields = {
        "status": MonthlyReport.Status.SUBMITTED,
        "summary": compile_month(person.pk, kind.pk, month),
        "notes": notes,
        "submitted_at": now,
        "area": duty.area,
        "decided_by": None,
        "decided_at": None,
    }
    existing = MonthlyReport.objects.filter(person=person, kind=kind, month=month).first()
    if existing is None:
        try:
            with transaction.atomic():
                report = MonthlyReport.objects.create(
                    person=person,
                    kind=kind,
                    month=month,
                    submit_count=1,
                    first_submitted_at=now,
                    **fields,
                )
        except IntegrityError:
            existing = MonthlyReport.objects.get(person=person, kind=kind, month=month)
        else:
            audit_record(
                by=by,
                action=AuditEntry.Action.CREATE,
                obj=report,
                person=person,
                changes={"status": [None, report.status]},
            )
            return report
    updated = MonthlyReport.objects.filter(
        pk=existing.pk,
        status__in=[MonthlyReport.Status.RETURNED, MonthlyReport.Status.REOPENED],
    ).update(submit_count=F("submit_count") + 1, **fields)
    if not updated:
        existing.refresh_from_db()
        if existing.status == MonthlyReport.Status.VERIFIED:
            message = _("The report for %(month)s is already verified.")
        else:
            message = _(
                "The report for %(month)s was already submitted on %(day)s and waits for "
                "verification."
            )
        raise ValidationError(
            {
                "month": message
                % {
                    "month": month_label(month),
                    "day": long_date(timezone.localdate(existing.submitted_at)),
                }
            }
        )
    report = MonthlyReport.objects.get(pk=existing.pk)
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=report,
        person=person,
        changes={"status": [existing.status, report.status]},
        note=_("resubmitted (%(n)d)") % {"n": report.submit_count},
    )
    return report


# The coordinator's and the office's transitions: target status → the statuses it leaves.
TRANSITIONS = {
    MonthlyReport.Status.VERIFIED: [MonthlyReport.Status.SUBMITTED],
    MonthlyReport.Status.RETURNED: [MonthlyReport.Status.SUBMITTED],
    MonthlyReport.Status.REOPENED: [MonthlyReport.Status.VERIFIED],
}


@transaction.atomic
def report_decide(*, by: Actor, report: MonthlyReport, to: str, reason: str = "") -> MonthlyReport:
    """Verify, return (with a reason) or reopen (the office, with a reason) a report: one
    conditional update, made only if the report is still in a state the transition leaves. The
    right to decide is checked before the input, so a role without it always hears "not
    allowed"."""
    user = by.signed_in_user
    reopening = to == MonthlyReport.Status.REOPENED
    if user is not None:
        allowed = can(user, Capability.REPORTS_REOPEN) if reopening else may_decide(user, report)
        if not allowed:
            raise PermissionDenied
    reason = (reason or "").strip()
    if to == MonthlyReport.Status.RETURNED and not reason:
        raise ValidationError(
            {"return_reason": _("Say what the pillar should fix before sending it again.")}
        )
    if reopening and not reason:
        raise ValidationError({"return_reason": _("Say why the month is reopened.")})
    errors: dict[str, list] = {}
    check_lengths(errors, {"return_reason": reason}, {"return_reason": 500})
    if errors:
        raise ValidationError(errors)
    frm = TRANSITIONS[to]
    updated = MonthlyReport.objects.filter(pk=report.pk, status__in=frm).update(
        status=to,
        decided_by=user,
        decided_at=timezone.now(),
        return_reason=reason,
    )
    if not updated:
        report.refresh_from_db()
        raise ValidationError(
            {
                "__all__": _("This report is %(status)s now; nothing was changed.")
                % {"status": report.get_status_display().lower()}
            }
        )
    report.refresh_from_db()
    audit_record(
        by=by,
        action=AuditEntry.Action.UPDATE,
        obj=report,
        person=report.person,
        changes={"status": [frm[0], report.status]},
        note=reason,
    )
    return report


def report_verify(*, by: Actor, report: MonthlyReport) -> MonthlyReport:
    return report_decide(by=by, report=report, to=MonthlyReport.Status.VERIFIED)


def report_return(*, by: Actor, report: MonthlyReport, reason: str) -> MonthlyReport:
    return report_decide(by=by, report=report, to=MonthlyReport.Status.RETURNED, reason=reason)


def report_reopen(*, by: Actor, report: MonthlyReport, reason: str) -> MonthlyReport:
    """The office opens a verified month again (late activities); audited with the reason."""
    return report_decide(by=by, report=report, to=MonthlyReport.Status.REOPENED, reason=reason)
