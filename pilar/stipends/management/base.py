"""What the tali kasih commands share: who acts, months, refusals as errors, dry runs, tables.

A command writes as the system actor (audited with source "cli", no role checks: whoever runs
the command on the server is trusted) unless `--as USERNAME` is given; then it acts as that
user, and the user's roles and the four-eyes rules apply as on the web.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.money import rupiah
from pilar.stipends import selectors

AS_HELP = (
    "act as this user: their roles and the four-eyes rules apply (without it: the system "
    "actor, no role checks)"
)


def money(amount: int | None) -> str:
    return "-" if amount is None else f"Rp {rupiah(amount)}"


class StipendCommand(BaseCommand):
    def add_as(self, parser) -> None:
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help=AS_HELP)

    def add_dry_run(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="do everything, then save nothing"
        )

    def actor(self, username: str | None) -> Actor:
        user = None
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user named {username!r}")
        return Actor.system(source=AuditEntry.Source.CLI, user=user)

    def month(self, value: str | None, option: str) -> datetime.date | None:
        if value is None:
            return None
        try:
            return selectors.parse_month(value, f"--{option}")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def attempt(self, what: Callable, *args, **kwargs):
        """Run a service or a lookup; its refusal becomes the command's error (exit 1)."""
        try:
            return what(*args, **kwargs)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except PermissionDenied:
            raise CommandError(
                "this user's role does not allow it (see --as, or run without it)"
            ) from None

    @contextlib.contextmanager
    def writing(self, dry_run: bool) -> Iterator[None]:
        """One transaction for the command's writes; rolled back on a dry run."""
        with transaction.atomic():
            yield
            if dry_run:
                transaction.set_rollback(True)

    def done(self, summary: str, dry_run: bool = False) -> None:
        self.stdout.write(summary)
        if dry_run:
            self.stdout.write("dry run: nothing was saved")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence]) -> None:
        cells = [
            [str(v) for v in headers],
            *[["" if v is None else str(v) for v in r] for r in rows],
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for row in cells:
            self.stdout.write(
                "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
