"""Making reminders and delivering them (docs/NOTICES.md).

`notices_make(now)` makes every notice due on the day, each once: the constraint on (user,
kind, key) decides, so two rounds, or two workers at once, make one. `notices_deliver(now)`
then hands the notices not yet delivered to each channel (pilar/notices/channels.py).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone, translation

from pilar.accounts.models import User
from pilar.notices import kinds
from pilar.notices.channels import CHANNELS, Channel
from pilar.notices.models import Kind, Notice, NoticeSettings

logger = logging.getLogger(__name__)

# Reminders are made from this hour of the office's day on (nobody is woken at night); the
# bell, e-mail and push deliver them as soon as they are made.
FIRST_HOUR = 7


def switched_off(kind: str) -> set[int]:
    """The users who switched `kind` off (no row: everything on)."""
    return set(NoticeSettings.objects.filter(**{kind: False}).values_list("user_id", flat=True))


def _make(dues: Iterable[kinds.Due], now: datetime.datetime, off: set[int]) -> int:
    """A notice for each item not switched off and not made before, written in the user's
    language. Answers how many were new."""
    wanted = [due for due in dues if due.user.pk not in off]
    if not wanted:
        return 0
    kind = wanted[0].kind
    made = set(
        Notice.objects.filter(
            kind=kind, user_id__in={d.user.pk for d in wanted}, key__in={d.key for d in wanted}
        ).values_list("user_id", "key")
    )
    rows = []
    for due in wanted:
        if (due.user.pk, due.key) in made:
            continue
        with translation.override(due.user.language or "id"):
            title, body = due.write()
        rows.append(
            Notice(
                user=due.user,
                kind=due.kind,
                key=due.key,
                title=title[:200],
                body=body[:1000],
                url=due.url,
                created_at=now,
            )
        )
    # Another worker may have made some of them since the read above: the constraint keeps one.
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def notices_make(now: datetime.datetime | None = None) -> dict[str, int]:
    """Make every reminder due at `now` (from FIRST_HOUR of the office's day): answers, by kind,
    how many notices were new. Safe to run at any moment, as often as wished."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < FIRST_HOUR:
        return {}
    today = local.date()
    counts = {}
    with translation.override("id"):
        counts[Kind.REPORT_DUE] = _make(kinds.report_due(today), now, switched_off(Kind.REPORT_DUE))
        off = switched_off(Kind.REPORTS_WAITING)
        has_today = set(
            Notice.objects.filter(kind=Kind.REPORTS_WAITING, key=today.isoformat()).values_list(
                "user_id", flat=True
            )
        )
        counts[Kind.REPORTS_WAITING] = _make(
            kinds.reports_waiting(today, skip=off | has_today), now, off
        )
        counts[Kind.FOLLOW_UP] = _make(kinds.follow_up(today), now, switched_off(Kind.FOLLOW_UP))
        counts[Kind.CERTIFICATE] = _make(
            kinds.certificate(today), now, switched_off(Kind.CERTIFICATE)
        )
        counts[Kind.STIPEND_PAID] = _make(
            kinds.stipend_paid(today), now, switched_off(Kind.STIPEND_PAID)
        )
    return {k: n for k, n in counts.items() if n}


# A notice is delivered outside Pilar only while it is fresh: one made when a channel was
# switched off, or while the mail server was away for days, stays in the bell only.
DELIVER_WITHIN = datetime.timedelta(days=2)
# At most this many per channel and round (a round is every 30 seconds).
DELIVER_BATCH = 100


def deliver(channel: Channel, now: datetime.datetime) -> int:
    """Hand the channel each fresh, unread notice it has not delivered, to users who did not
    switch it off. Each is claimed first by a conditional UPDATE of the channel's field (only
    one worker wins it, so none is sent twice); a send that fails releases it for the next
    round. A worker that dies between the claim and the send loses that one: at most once,
    never twice. Answers how many were sent."""
    stamp = channel.field
    pending = (
        Notice.objects.filter(
            **{f"{stamp}__isnull": True},
            read_at__isnull=True,
            created_at__gte=now - DELIVER_WITHIN,
            user__is_active=True,
        )
        .filter(channel.wanted_q())
        .exclude(**{f"user__notice_settings__{channel.switch}": False})
        .select_related("user")
        .order_by("created_at", "pk")[:DELIVER_BATCH]
    )
    sent = 0
    for notice in pending:
        claimed = Notice.objects.filter(pk=notice.pk, **{f"{stamp}__isnull": True}).update(
            **{stamp: now}
        )
        if not claimed:
            continue  # another worker has it
        try:
            with translation.override(notice.user.language or "id"):
                channel.send(notice)
        except Exception:
            logger.exception("sending notice %s by %s", notice.pk, channel.name)
            Notice.objects.filter(pk=notice.pk, **{stamp: now}).update(**{stamp: None})
        else:
            sent += 1
    return sent


def notices_deliver(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {channel.name: deliver(channel, now) for channel in CHANNELS}
    return {k: n for k, n in counts.items() if n}


# The user's own writes: reading and unreading, and the switches.


def notice_mark_read(*, user: User, notice: Notice, read: bool = True) -> None:
    Notice.objects.of(user).filter(pk=notice.pk).update(read_at=timezone.now() if read else None)


def notices_mark_all_read(*, user: User) -> int:
    return Notice.objects.of(user).unread().update(read_at=timezone.now())


def settings_of(user: User) -> NoticeSettings:
    """The user's switches (unsaved defaults when they never changed any)."""
    return NoticeSettings.objects.filter(user=user).first() or NoticeSettings(user=user)


@transaction.atomic
def notice_settings_save(*, user: User, values: dict[str, bool]) -> NoticeSettings:
    fields = [f.name for f in NoticeSettings._meta.get_fields() if f.name in values]
    current, _created = NoticeSettings.objects.select_for_update().get_or_create(user=user)
    for name in fields:
        setattr(current, name, bool(values[name]))
    current.save()
    return current
