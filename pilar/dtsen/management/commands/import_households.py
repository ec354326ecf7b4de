"""`pilar import-households FILE`: a DTSEN extract checked and saved from the command line, as the
web import does it (docs/IMPORTS.md, "Household extracts (DTSEN)")."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.dtsen import services
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.lib.spreadsheet import FileProblem
from pilar.offices.services import remembered

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Check a DTSEN household extract (XLSX, XLS, ODS or CSV) and save it into the "
        "households. Prints the summary and the rejected rows; exits 1 when refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--accept-valid",
            action="store_true",
            help="save the valid households even when others are rejected",
        )
        parser.add_argument(
            "--as-of",
            default=None,
            metavar="YYYY-MM-DD",
            help="the date of the extract (the decile history is dated with it; default today)",
        )
        parser.add_argument(
            "--keep-accompanied",
            action="store_true",
            help="keep the accompanied households the extract no longer lists (else refused)",
        )
        parser.add_argument("--user", default=None, help="username recorded as the importer")

    def handle(self, *args, **options):
        # With --user, the work acts for that user's office (docs/OFFICE.md, "Many offices");
        # a name that finds nobody is refused below.
        named = options["user"]
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=named).first() if named else None
        if named and user is None:
            user = users.filter(username__iexact=named).first()
        with remembered(user=user):
            return self._handle(*args, **options)

    def _handle(self, *args, **options):
        path: Path = options["file"]
        as_of = self._as_of(options["as_of"])
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(is_active=True, username=options["user"]).first()
            if user is None:
                raise CommandError(_("No active user named %(name)r.") % {"name": options["user"]})
            if not can(user, Capability.IMPORTS):
                raise CommandError(
                    _("%(name)s may not import (an administrator's or operator's role is needed).")
                    % {"name": user.get_username()}
                )
        by = Actor.system(source=AuditEntry.Source.CLI, user=user)
        if options["dry_run"]:
            try:
                run = services.check_in_memory(path, as_of=as_of, by=by)
            except FileProblem as exc:
                raise CommandError(exc.message) from exc
            self._report(run.summary, [(r.number, r.problems) for r in run.problem_rows])
            self.stdout.write(_("dry run: nothing was saved"))
            self._refuse_rejected(run.summary, options, _("dry run"))
            return
        try:
            with path.open("rb") as fh:
                batch = services.extract_upload(by=by, upload=fh, filename=path.name)
            services.extract_set_mapping(
                by=by,
                batch=batch,
                header_row=batch.header_row,
                mapping=batch.mapping,
                as_of=as_of,
                queue=False,  # checked here, not by a worker as well
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=1) from exc
        batch = services.extract_check(batch_id=batch.pk)
        if batch.status != HouseholdImport.Status.PREVIEW:
            raise CommandError(batch.message or _("The file could not be checked."), returncode=1)
        problems = batch.rows.exclude(problems=[]).order_by("number")[:SHOWN_PROBLEMS]
        self._report(batch.summary, [(r.number, r.problems) for r in problems])
        self._refuse_rejected(batch.summary, options, f"#{batch.pk}")
        if options["keep_accompanied"]:
            undecided = batch.households.filter(
                status=ExtractHousehold.Status.MISSING, accompanied=True
            ).values_list("pk", flat=True)
            services.extract_decide(by=by, batch=batch, decisions=dict.fromkeys(undecided, "keep"))
        try:
            services.extract_request_commit(
                by=by, batch=batch, accept_valid=options["accept_valid"], queue=False
            )
        except ValidationError as exc:
            raise CommandError(f"#{batch.pk}: " + " ".join(exc.messages), returncode=1) from exc
        batch = services.extract_commit(batch_id=batch.pk, by=by)
        if batch.status != HouseholdImport.Status.COMMITTED:
            raise CommandError(f"#{batch.pk}: {batch.message}", returncode=1)
        self.stdout.write(
            _("extract #%(id)s saved; %(closed)s missing households closed")
            % {"id": batch.pk, "closed": batch.summary.get("closed", 0)}
        )

    def _as_of(self, text: str | None) -> datetime.date | None:
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as exc:
            raise CommandError(
                _("--as-of %(value)r is not a date; write it as YYYY-MM-DD.") % {"value": text}
            ) from exc

    def _refuse_rejected(self, summary: dict, options: dict, name: str) -> None:
        rejected = summary.get("rows_rejected", 0)
        households = summary.get("households", {}).get("rejected", 0)
        if (rejected or households) and not options["accept_valid"]:
            raise CommandError(
                _(
                    "%(name)s: %(rows)s rows and %(households)s households rejected; nothing "
                    "saved (fix them, or give --accept-valid to save the valid households)"
                )
                % {"name": name, "rows": rejected, "households": households},
                returncode=1,
            )

    def _report(self, summary: dict, rows) -> None:
        h = summary.get("households", {})
        m = summary.get("members", {})
        self.stdout.write(
            _(
                "rows: %(rows)s (%(rejected)s rejected); households: %(new)s new, %(updated)s "
                "updated, %(moved)s moved, %(unchanged)s unchanged, %(hrejected)s rejected, "
                "%(missing)s missing; members: %(added)s added, %(gone)s gone, %(changed)s "
                "changed"
            )
            % {
                "rows": summary.get("rows", 0),
                "rejected": summary.get("rows_rejected", 0),
                "new": h.get("new", 0),
                "updated": h.get("updated", 0),
                "moved": h.get("moved", 0),
                "unchanged": h.get("unchanged", 0),
                "hrejected": h.get("rejected", 0),
                "missing": h.get("missing", 0),
                "added": m.get("added", 0),
                "gone": m.get("gone", 0),
                "changed": m.get("changed", 0),
            }
        )
        for number, problems in rows:
            for severity, key, value, message in problems:
                word = _("rejected") if severity == "rejected" else _("warning")
                shown = f" '{value}'" if value else ""
                self.stdout.write(f"  {_('row')} {number} {key}{shown}: {word}: {message}")
