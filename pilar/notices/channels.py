"""The channels that carry a notice beyond the bell (docs/NOTICES.md, "Channels").

The bell is the notice itself. Each other channel is a `Channel`: the notice field it stamps when
it claims a notice (`emailed_at`, `pushed_at`), the user's switch that turns it off (a field of
`NoticeSettings`), which notices it can carry at all (`wanted_q`: e-mail needs an address), and
`send(notice)`, which raises when the notice did not leave (it is then released and retried at
the next round). `CHANNELS` lists them; `pilar.notices.services.deliver` runs each.

Web push is `PushChannel`: it carries a notice to the phones where the user turned
notifications on (`pilar.accounts.push.send_to_user`, docs/NOTICES.md "Web push").
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from pilar.accounts.access import top_office
from pilar.accounts.models import PushSubscription
from pilar.accounts.push import send_to_user
from pilar.offices.models import Office


class Channel:
    name: str = ""
    field: str = ""
    switch: str = ""

    def wanted_q(self) -> Q:
        return Q()

    def send(self, notice) -> None:
        raise NotImplementedError


def open_url(notice) -> str:
    """The notice's address in Pilar: opening it marks it read and goes on to its page."""
    return reverse("notices:open", args=[notice.pk])


def absolute(user, path: str) -> str:
    """`path` on the server of the user's office (its public address, docs/OFFICE.md)."""
    office = Office.objects.filter(pk=user.office_id).first() if user.office_id else None
    office = office or top_office()
    base = (office.public_url if office is not None else "").rstrip("/")
    return base + path


class EmailChannel(Channel):
    name = "email"
    field = "emailed_at"
    switch = "email"

    def wanted_q(self) -> Q:
        return ~Q(user__email="")

    def send(self, notice) -> None:
        user = notice.user
        lines = [
            notice.body,
            "",
            _("Open in Pilar: %(url)s") % {"url": absolute(user, open_url(notice))},
        ]
        lines += [
            "",
            _("You get this because reminders by e-mail are on; switch them off at %(url)s")
            % {"url": absolute(user, reverse("notices:settings"))},
        ]
        EmailMessage(
            subject=f"Pilar: {notice.title}", body="\n".join(lines), to=[user.email]
        ).send()


class PushChannel(Channel):
    name = "push"
    field = "pushed_at"
    switch = "push"

    def wanted_q(self) -> Q:
        return Q(Exists(PushSubscription.objects.filter(user_id=OuterRef("user_id"))))

    def send(self, notice) -> None:
        # Best effort, at most once: a push service that is away or refuses is not asked again
        # (send_to_user logs why, and forgets a phone it calls gone). The notice stays under
        # the bell, and e-mail carries it where an address is on file; retrying every round
        # would hold the worker's round (backups among it) on a push service that is down.
        send_to_user(
            notice.user,
            title=notice.title,
            body=notice.body,
            url=open_url(notice),
            tag=f"{notice.kind}:{notice.key}",
        )


# The channels the worker delivers through, in order.
CHANNELS: list[Channel] = [EmailChannel(), PushChannel()]
