"""`pilar import-roster FILE`: the web import's check and commit, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor
from pilar.imports import services
from pilar.imports.commit import import_commit, import_request_commit
from pilar.imports.engine.columns import BY_KEY
from pilar.imports.engine.layout import default_sheet, sheet_layout
from pilar.imports.engine.records import ERROR, StartRule, shown_problem
from pilar.imports.models import Import
from pilar.lib.params import InputError
from pilar.lib.spreadsheet import FileProblem, Spreadsheet, column_letter
from pilar.offices.services import remembered

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = (
        "Check a roster spreadsheet (XLSX, XLS, ODS or CSV) and save it into the registry. "
        "Prints the preview; exits 1 when rows are rejected unless --accept-valid is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping",
            default="auto",
            help='\'auto\' (recognise the headers) or a JSON file {"A": "nik", ...}',
        )
        parser.add_argument(
            "--sheet",
            default=None,
            help="sheet to read (default: the first visible sheet with a NIK column)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--accept-valid",
            action="store_true",
            help="save the accepted rows even when others are rejected",
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="save even when rows carry warnings (close spellings, possible duplicates)",
        )
        parser.add_argument(
            "--start-date",
            default=None,
            metavar="sk|YYYY-MM-DD",
            help="start date (TMT) for new duties whose row has none: 'sk' takes the row's SK "
            "date, a date is used for all of them; without it such rows are rejected",
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
        start_rule = None
        if options["start_date"] is not None:
            # Refused before the file is read: a typo must not cost a check of the whole file.
            try:
                start_rule = StartRule.from_text(options["start_date"], "--start-date")
            except InputError as exc:
                raise CommandError(exc.message_text) from exc
        if not path.is_file():
            raise CommandError(_("%(file)s: no such file.") % {"file": path})
        user = None
        if options["user"]:
            users = get_user_model().objects.filter(is_active=True)
            user = users.filter(username=options["user"]).first()
            if user is None:  # Operator1 = operator1, when that names one user only
                found = list(users.filter(username__iexact=options["user"])[:2])
                user = found[0] if len(found) == 1 else None
            if user is None:
                raise CommandError(_("No active user named %(name)r.") % {"name": options["user"]})
        by = Actor.system(source=AuditEntry.Source.CLI, user=user)
        if options["sheet"]:
            options["sheet"] = self._sheet(path, options["sheet"])
        mapping = self._mapping(options["mapping"], path, options["sheet"])
        if options["dry_run"]:
            try:
                summary, rows, _layout = services.check_in_memory(
                    path,
                    user=user,
                    sheet=options["sheet"],
                    mapping=mapping,
                    start_rule=start_rule,
                )
            except FileProblem as exc:
                raise CommandError(exc.message) from exc
            self._report(summary.as_dict(), rows)
            self.stdout.write(_("dry run: nothing was saved"))
            if summary.rejected and not options["accept_valid"]:
                raise CommandError(_("%(n)s rows rejected") % {"n": summary.rejected}, returncode=1)
            return
        try:
            with path.open("rb") as fh:
                batch = services.import_upload(by=by, upload=fh, filename=path.name)
            if options["sheet"]:
                services.import_choose_sheet(by=by, batch=batch, sheet=options["sheet"])
            services.import_set_mapping(
                by=by,
                batch=batch,
                mapping=mapping if mapping is not None else batch.mapping,
                start_rule=start_rule,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        batch = services.import_check(batch_id=batch.pk)
        if batch.status != Import.Status.PREVIEW:
            raise CommandError(batch.message or _("The file could not be checked."))
        problem_rows = batch.rows.exclude(problems=[]).order_by("number")[:SHOWN_PROBLEMS]
        self._report(batch.summary, problem_rows)
        summary = batch.summary
        if summary.get("rejected") and not options["accept_valid"]:
            raise CommandError(
                _(
                    "import #%(id)s: %(n)s rows rejected; nothing saved (fix them, or give "
                    "--accept-valid to save the other rows)"
                )
                % {"id": batch.pk, "n": summary["rejected"]},
                returncode=1,
            )
        try:
            import_request_commit(
                by=by,
                batch=batch,
                accept_warnings=options["accept_warnings"],
                accept_rejected=options["accept_valid"],
            )
        except ValidationError as exc:
            raise CommandError(
                f"import #{batch.pk}: " + " ".join(exc.messages), returncode=1
            ) from exc
        batch = import_commit(batch_id=batch.pk, by=by)
        if batch.status != Import.Status.COMMITTED:
            raise CommandError(f"import #{batch.pk}: {batch.message}", returncode=1)
        self.stdout.write(
            _(
                "import #%(id)s saved: %(people)s people and %(duties)s duties added, "
                "%(updated)s people updated, %(ended)s duties ended"
            )
            % {
                "id": batch.pk,
                "people": summary.get("people_new", 0),
                "duties": summary.get("duties_new", 0),
                "updated": summary.get("people_updated", 0),
                "ended": summary.get("duties_ended", 0),
            }
        )

    def _sheet(self, path: Path, wanted: str) -> str:
        """The workbook's sheet named `wanted`, in any case ("data" finds "Data")."""
        try:
            with Spreadsheet(path) as book:
                names = [sheet.name for sheet in book.sheets]
        except FileProblem as exc:
            raise CommandError(exc.message) from exc
        found = [n for n in names if n == wanted] or [
            n for n in names if n.casefold() == wanted.strip().casefold()
        ]
        if len(found) != 1:
            raise CommandError(
                _("The file has no sheet named %(name)r; its sheets: %(sheets)s.")
                % {"name": wanted, "sheets": ", ".join(names)}
            )
        return found[0]

    def _mapping(self, option: str, path: Path, sheet: str | None) -> dict | None:
        if option.strip().lower() == "auto":
            return None
        try:
            given = json.loads(Path(option).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CommandError(
                _(
                    "Cannot read the mapping file %(file)s (%(reason)s); give a JSON file such as "
                    '{"A": "nik", "B": "name"}, or auto.'
                )
                % {"file": option, "reason": reason}
            ) from exc
        try:
            with Spreadsheet(path) as book:
                layout = sheet_layout(book, sheet or default_sheet(book))
        except FileProblem as exc:
            raise CommandError(exc.message) from exc
        letters = {column_letter(i): str(i) for i in range(len(layout.headers))}
        mapping = {}
        if not isinstance(given, dict):
            raise CommandError(
                _('The mapping file %(file)s must hold one JSON object such as {"A": "nik"}.')
                % {"file": option}
            )
        for column, key in given.items():
            index = letters.get(str(column).upper(), str(column))
            key = str(key).strip().lower()
            if key not in BY_KEY:
                raise CommandError(
                    _("Unknown field %(field)r in the mapping file; fields: %(fields)s.")
                    % {"field": key, "fields": ", ".join(BY_KEY)}
                )
            mapping[index] = key
        return mapping

    def _report(self, summary: dict, rows) -> None:
        counts = {
            k: summary.get(k, 0)
            for k in ("rows", "new", "updated", "unchanged", "rejected", "warnings", "empty")
        }
        self.stdout.write(
            _(
                "rows %(rows)s: new %(new)s, updated %(updated)s, unchanged %(unchanged)s, "
                "rejected %(rejected)s; rows with warnings %(warnings)s; empty rows skipped "
                "%(empty)s"
            )
            % counts
        )
        if summary.get("start_ruled"):
            self.stdout.write(
                _("%(n)s rows take their start date (TMT) from --start-date")
                % {"n": summary["start_ruled"]}
            )
        if summary.get("start_missing"):
            self.stdout.write(
                _(
                    "%(n)s rows have no start date (TMT): give --start-date sk (the SK date) or "
                    "--start-date YYYY-MM-DD"
                )
                % {"n": summary["start_missing"]}
            )
        for r in rows:
            for problem in r.problems:
                p = shown_problem(problem)
                shown = f" [{p.value}]" if p.value else ""
                mark = "ERROR" if p.severity == ERROR else p.severity.upper()
                self.stdout.write(f"  row {r.number} {mark} {p.column}{shown}: {p.message}")
