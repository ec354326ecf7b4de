"""What the tali kasih commands share: who acts, months, refusals as errors, dry runs, tables.

A command writes as the system actor (audited with source "cli", no role checks: whoever runs
the command on the server is trusted) unless `--as USERNAME` is given; then it acts as that
user, and the user's roles and the four-eyes rules apply as on the web.

Every message goes through gettext, in the installation's language (Indonesian by default, as
the pages); argparse's own complaints (an unknown choice, a missing argument) are said again in
those words (`StipendParser`), and no bad input ends in a traceback (docs/STIPENDS.md,
"Command line").
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable, Iterator, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.lib.money import rupiah
from pilar.offices.services import remembered
from pilar.stipends import selectors

AS_HELP = (
    "act as this user: their roles and the four-eyes rules apply (without it: the system "
    "actor, no role checks)"
)


def money(amount: int | None) -> str:
    return "-" if amount is None else f"Rp {rupiah(amount)}"


ARGUMENT = re.compile(r"^argument (?P<arg>[^:]+): (?P<rest>.*)$", re.S)
CHOICE = re.compile(r"^invalid choice: '?(?P<value>.*?)'? \(choose from (?P<choices>.*)\)$", re.S)
INVALID = re.compile(r"^invalid \S+ value: '?(?P<value>.*?)'?$", re.S)


def argparse_text(message: str) -> str:
    """argparse's complaint in the user's words: the option it names first, then what to do."""
    if message.startswith("the following arguments are required: "):
        return _("Missing: %(args)s.") % {"args": message.split(": ", 1)[1]}
    if message.startswith("unrecognized arguments: "):
        return _("Not understood: %(args)s.") % {"args": message.split(": ", 1)[1]}
    found = ARGUMENT.match(message)
    if not found:
        return message
    arg = found["arg"].split("/")[-1]
    rest = found["rest"]
    if m := CHOICE.match(rest):
        choices = ", ".join(c.strip(" '") for c in m["choices"].split(","))
        return _("%(arg)s: “%(value)s” is not one of %(choices)s.") % {
            "arg": arg,
            "value": m["value"],
            "choices": choices,
        }
    if rest.startswith("expected one argument"):
        return _("%(arg)s: give a value after it.") % {"arg": arg}
    if m := INVALID.match(rest):
        return _("%(arg)s: “%(value)s” is not valid.") % {"arg": arg, "value": m["value"]}
    return f"{arg}: {rest}"


def cli_words() -> dict:
    """A service's refusal that names a page, said with the command that does the same."""
    return {
        "moved": _("The batch is now “%(status)s”: see it with `pilar stipend-batch show ID`."),
        "nobody": _(
            "Nobody is eligible and unpaid for these months: every month is paid, in another "
            "batch, or blocked (`pilar stipend-eligibility --blocked` says why)."
        ),
        "no_ceiling": _(
            "There is no %(source)s budget ceiling for %(year)s: set it first with "
            "`pilar stipend-budget --year %(year)s --source %(source)s --amount N`."
        ),
    }


def cli_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return exc.messages
    words = cli_words()
    out = []
    for error in exc.error_list:
        if error.code in words:
            out.append(words[error.code] % (error.params or {}))
        else:
            out.extend(error.messages)
    return out


class StipendParser(CommandParser):
    """argparse errors said in the user's language, without argparse's English frame."""

    def error(self, message):
        text = argparse_text(message)
        if self.called_from_command_line:
            self.exit(
                2,
                f"{self.prog}: {text}\n"
                + _("See %(command)s --help.") % {"command": self.prog}
                + "\n",
            )
        raise CommandError(text)


def lower(value: str) -> str:
    """A code typed in any case: `--status PAID`, `--format CSV`."""
    return value.strip().lower()


def upper(value: str) -> str:
    return value.strip().upper()


class StipendCommand(BaseCommand):
    def execute(self, *args, **options):
        """With `--as USERNAME` the command acts for that user's office (its rates, budgets,
        batches, policies and numbering: docs/STIPENDS.md, "Many offices"); without it, for
        the installation's top office, or a batch's own office where it names one."""
        username = options.get("as_user")
        user = None
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
        with remembered(user=user) if user is not None else contextlib.nullcontext():
            return super().execute(*args, **options)

    def speak(self, parser) -> None:
        """Make `parser` (and the subcommand parsers added to it after) a StipendParser."""
        parser.__class__ = StipendParser

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
                raise CommandError(_("No active user is named “%(name)s”.") % {"name": username})
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
            raise CommandError(" ".join(cli_messages(exc))) from None
        except PermissionDenied:
            raise CommandError(
                _("This user's role does not allow it (see --as, or run without it).")
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
            self.stdout.write(_("Dry run: nothing was saved."))

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
