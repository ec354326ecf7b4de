"""A failed transfer carries its reason forward (docs/STIPENDS.md, "A failed transfer blocks the
account").

When the bank's result says a transfer failed ("Rekening tidak aktif"), its lines keep the
reason and the account they were sent to. Until the person's account is changed in the registry,
or someone with the treasurer's role confirms the same account with a reason (audited), no line
of that person may be verified, approved or put in a transfer file: the same dead account is not
paid again. Failures are few, so every read here scans them all (one query) rather than the
lines of a batch.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record
from pilar.lib.months import month_label
from pilar.registry.models import Person
from pilar.stipends.access import office_wide
from pilar.stipends.models import AccountConfirmation, StipendLine

SHOWN = 10


@dataclass
class AccountBlock:
    """The newest failed transfer to the account a person still has."""

    person_id: int
    bank_account: str
    reason: str
    month: datetime.date
    failed_at: datetime.datetime | None
    batch_title: str

    @property
    def text(self) -> str:
        return _(
            "The transfer of %(month)s to account %(account)s failed: %(reason)s. No payment "
            "goes to this account until it is changed on the person's record or finance "
            "confirms it with a reason."
        ) % {"month": month_label(self.month), "account": self.bank_account, "reason": self.reason}


def failed_accounts(person_ids=None, *, current_only: bool = False) -> dict:
    """(person, account) → the newest unconfirmed failed transfer to that account; with
    `current_only`, only the accounts the people still have."""
    failed = StipendLine.objects.filter(
        status=StipendLine.Status.FAILED, method=StipendLine.Method.TRANSFER
    ).exclude(bank_account="")
    if current_only:
        failed = failed.filter(bank_account=F("person__bank_account"))
    if person_ids is not None:
        failed = failed.filter(person_id__in=list(person_ids))
    rows = list(
        failed.values_list(
            "person_id", "bank_account", "failure_reason", "month", "failed_at", "batch__title"
        ).order_by("person_id", "-failed_at", "-month", "-pk")
    )
    if not rows:
        return {}
    confirmed = {
        (p, a): at
        for p, a, at in AccountConfirmation.objects.filter(person_id__in={r[0] for r in rows})
        .values_list("person_id", "bank_account")
        .annotate(at=Max("created_at"))
        .order_by()
    }
    blocks: dict[tuple[int, str], AccountBlock] = {}
    for person_id, account, reason, month, failed_at, title in rows:
        if (person_id, account) in blocks:
            continue
        at = confirmed.get((person_id, account))
        if at is not None and (failed_at is None or failed_at <= at):
            continue  # confirmed after this failure
        blocks[(person_id, account)] = AccountBlock(
            person_id, account, reason, month, failed_at, title
        )
    return blocks


def account_blocks(person_ids=None) -> dict[int, AccountBlock]:
    """Per person: the failed transfer that blocks payment to their current account."""
    return {
        person_id: block
        for (person_id, _account), block in failed_accounts(person_ids, current_only=True).items()
    }


def blocked_lines(lines) -> list[tuple[str, datetime.date, AccountBlock]]:
    """(name, month, block) of the waiting transfer `lines` whose account is blocked: the
    account frozen on the line (approved: even one the person has since replaced) or the
    person's (a draft)."""
    blocks = failed_accounts()
    if not blocks:
        return []
    found = []
    for person_id, account, name, month, person_name, person_account in (
        lines.filter(
            person_id__in=list({p for p, _a in blocks}), method=StipendLine.Method.TRANSFER
        )
        .values_list(
            "person_id", "bank_account", "name", "month", "person__name", "person__bank_account"
        )
        .order_by("person__name", "month")
    ):
        block = blocks.get((person_id, account or person_account))
        if block is not None:
            found.append((name or person_name, month, block))
    return found


def refuse_failed_accounts(lines) -> None:
    """Refuse, naming them, while waiting `lines` pay an account whose transfer failed."""
    found = blocked_lines(lines.filter(status=StipendLine.Status.PENDING))
    if not found:
        return
    raise ValidationError(
        [
            _(
                "%(count)s line(s) pay an account whose transfer failed. Change the account on "
                "the person's record, have finance confirm the account with a reason, or "
                "remove the line:"
            )
            % {"count": len(found)},
            *[
                f"{name} ({month_label(month)}): {block.bank_account} — {block.reason}"
                for name, month, block in found[:SHOWN]
            ],
        ]
    )


def account_confirm(*, by: Actor, person: Person, reason: str) -> AccountConfirmation:
    """The treasurer confirms the person's current account after a failed transfer, with a
    reason: payment to it is allowed again (for failures recorded until now)."""
    user = by.user if getattr(by.user, "is_authenticated", False) else None
    if user is not None and not office_wide(user, Capability.STIPENDS_VERIFY):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the account is right (who checked it, how).")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        block = account_blocks([person.pk]).get(person.pk)
        if block is None:
            raise ValidationError(
                _("No failed transfer blocks this person's account: there is nothing to confirm.")
            )
        confirmation = AccountConfirmation.objects.create(
            person=person,
            bank_name=person.bank_name,
            bank_account=person.bank_account,
            reason=reason,
            created_by=user,
        )
        audit_record(
            by=by,
            action=AuditEntry.Action.CREATE,
            obj=confirmation,
            person=person,
            changes={"bank_account": person.bank_account, "failed": block.reason},
            note=reason,
        )
    return confirmation
