"""`pilar stipend-batch ACTION`: payment batches from draft to paid, and the bank's file."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from pilar.accounts.access import Capability
from pilar.lib.params import InputError, argument, parse_date, parse_id, parse_year
from pilar.offices import current
from pilar.offices.services import remembered
from pilar.stipends import bankfile, selectors, services
from pilar.stipends.access import office_wide
from pilar.stipends.management.base import AS_HELP, StipendCommand, lower, money
from pilar.stipends.models import StipendBatch, StipendLine

BATCH_ID = argument(parse_id, "id")


def _date(value: str) -> datetime.date:
    try:
        return parse_date(value, "--date")
    except InputError as exc:
        raise CommandError(exc.message_text) from None


class Command(StipendCommand):
    help = (
        "Tali kasih payment batches. Actions: list; draft --from 2024-07 --to 2024-09 --kind PSM "
        "[--kind TKSK] [--arrears-from 2024-01] [--year 2024]; show ID; refresh ID; verify ID; "
        "approve ID; return ID --reason R; cancel ID --reason R; mark-paid ID --date 2024-10-22; "
        "transfer-file ID --format xlsx|csv --output FILE [--new-round]. Writes run as the "
        "system actor (no role checks) unless --as USERNAME is given: then as that user, so "
        "the drafter cannot verify and the verifier cannot approve. Writing actions take "
        "--dry-run. `list` shows the newest period first (by last month, then first month), "
        "and within one period the newest batch (highest number) first. Codes (--kind, "
        "--status, --format) are read in any case."
    )

    def add_arguments(self, parser):
        self.speak(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="list batches")
        listing.add_argument("--status", type=lower, choices=StipendBatch.Status.values)
        listing.add_argument("--year", type=argument(parse_year, "--year"))

        draft = sub.add_parser("draft", help="draft a batch of every eligible unpaid month")
        draft.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
        draft.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
        draft.add_argument(
            "--kind", dest="kinds", action="append", required=True, help="repeat for each kind"
        )
        draft.add_argument("--arrears-from", metavar="YYYY-MM", help="add unpaid months from")
        draft.add_argument(
            "--year", type=argument(parse_year, "--year"), help="budget year (default: this year)"
        )
        draft.add_argument("--title", default="")
        self._writes(draft)

        show = sub.add_parser("show", help="one batch: totals per kind and source, line counts")
        show.add_argument("id", type=BATCH_ID)

        for action, text in [
            ("refresh", "bring a draft up to date"),
            ("verify", "finance verifies a draft"),
            ("approve", "the head of office approves a verified batch"),
        ]:
            self._writes(sub.add_parser(action, help=text), with_id=True)
        for action, text in [
            ("return", "send a verified or approved batch back to draft"),
            ("cancel", "cancel a draft (its months return to the unpaid pool)"),
        ]:
            parser_ = sub.add_parser(action, help=text)
            self._writes(parser_, with_id=True)
            parser_.add_argument("--reason", required=True)
        paid = sub.add_parser("mark-paid", help="every waiting line paid on a date")
        self._writes(paid, with_id=True)
        paid.add_argument("--date", required=True, metavar="YYYY-MM-DD")

        transfer = sub.add_parser("transfer-file", help="write the bank transfer file")
        transfer.add_argument("id", type=BATCH_ID)
        transfer.add_argument("--format", type=lower, choices=["xlsx", "csv"], default="xlsx")
        transfer.add_argument("--output", required=True, type=Path, help="file to write")
        transfer.add_argument("--as", dest="as_user", metavar="USERNAME", help=AS_HELP)
        transfer.add_argument(
            "--new-round",
            action="store_true",
            help="produce a new file for the lines still waiting (once the bank answered for "
            "some of the last file's), instead of the newest file as sent",
        )

    def _writes(self, parser, *, with_id: bool = False) -> None:
        if with_id:
            parser.add_argument("id", type=BATCH_ID)
        self.add_as(parser)
        self.add_dry_run(parser)

    def handle(self, *args, action: str, **options):
        getattr(self, "do_" + action.replace("-", "_"))(options)

    # --- reading ---------------------------------------------------------------------------

    def _batches(self, options):
        """Every batch for the system actor; a user's (--as) as on the web: their office's."""
        batches = StipendBatch.objects.select_related("office")
        if options.get("as_user"):
            batches = batches.visible_to(self.actor(options["as_user"]).user)
        return batches

    @staticmethod
    def _for(by, batch: StipendBatch):
        """The system actor works on a batch for the batch's own office; a user (--as) for
        theirs (StipendCommand.execute), and another office's batch is refused."""
        return remembered(office=batch.office) if by.user is None else contextlib.nullcontext()

    def _batch(self, options) -> StipendBatch:
        batch = self._batches(options).filter(pk=options["id"]).first()
        if batch is None:
            raise CommandError(
                _("There is no batch #%(id)s: `pilar stipend-batch list` shows them.")
                % {"id": options["id"]}
            )
        return batch

    def do_list(self, options) -> None:
        batches = selectors.batches_with_totals(self._batches(options)).order_by(
            "-last_month", "-first_month", "-pk"
        )
        if options["status"]:
            batches = batches.filter(status=options["status"])
        if options["year"]:
            batches = batches.filter(year=options["year"])
        batches = list(batches)
        self.table(
            [
                _("no."),
                _("title"),
                _("months"),
                _("kinds"),
                _("year"),
                _("status"),
                _("lines"),
                _("total"),
            ],
            [
                [
                    b.pk,
                    b.title,
                    f"{b.first_month:%Y-%m}..{b.last_month:%Y-%m}",
                    ",".join(sorted(k.code for k in b.kinds.all())),
                    b.year,
                    b.get_status_display(),
                    b.line_count,
                    money(b.total),
                ]
                for b in batches
            ],
        )
        self.stdout.write(_("%(n)s batches") % {"n": len(batches)})

    def do_show(self, options) -> None:
        batch = self._batch(options)
        summary = selectors.batch_summary(batch)
        self.stdout.write(_("batch #%(id)s: %(title)s") % {"id": batch.pk, "title": batch.title})
        months = f"{batch.first_month:%Y-%m}..{batch.last_month:%Y-%m}"
        if batch.arrears_from:
            months += " " + _("(unpaid months from %(month)s)") % {
                "month": f"{batch.arrears_from:%Y-%m}"
            }
        self.stdout.write(
            "  "
            + _("months %(months)s; kinds %(kinds)s; budget year %(year)s")
            % {
                "months": months,
                "kinds": ", ".join(sorted(k.code for k in batch.kinds.all())),
                "year": batch.year,
            }
        )
        steps = [
            (_("drafted by %(who)s at %(at)s"), batch.created_by, batch.created_at),
            (_("verified by %(who)s at %(at)s"), batch.verified_by, batch.verified_at),
            (_("approved by %(who)s at %(at)s"), batch.approved_by, batch.approved_at),
        ]
        for text, user, at in steps:
            if at:
                who = user.get_username() if user else _("the system")
                self.stdout.write("  " + text % {"who": who, "at": f"{at:%Y-%m-%d %H:%M}"})
        if batch.paid_on:
            self.stdout.write("  " + _("paid on %(day)s") % {"day": batch.paid_on})
        if batch.reason:
            self.stdout.write(
                "  "
                + _("last sent back or cancelled because: %(reason)s") % {"reason": batch.reason}
            )
        self.table(
            [_("kind"), _("source"), _("lines"), _("amount")],
            [
                [t["kind"], t["funding_source"], t["lines"], money(t["amount"])]
                for t in summary.totals
            ],
        )
        counts = ", ".join(
            f"{StipendLine.Status(status).label} {n}" for status, n in summary.counts.items()
        )
        self.stdout.write(
            _("status %(status)s; total %(total)s; lines: %(counts)s")
            % {
                "status": batch.get_status_display(),
                "total": money(summary.total),
                "counts": counts,
            }
        )
        for sent in bankfile.transfer_rounds(batch):
            for f in sent["files"]:
                self.stdout.write(
                    "  "
                    + _("transfer file no. %(n)s: %(name)s, sha256 %(sha)s")
                    % {"n": f.number, "name": f.filename, "sha": f.sha256}
                )

    def do_transfer_file(self, options) -> None:
        batch = self._batch(options)
        by = self.actor(options["as_user"])
        if by.user is not None and (
            not office_wide(by.user, Capability.STIPENDS_VERIFY) or batch.office_id != current().pk
        ):
            raise CommandError(
                _("%(user)s does not pay batches (finance does).")
                % {"user": by.user.get_username()}
            )
        fmt = options["format"]
        with self._for(by, batch):
            if options["new_round"]:
                made = self.attempt(bankfile.transfer_round_new, by=by, batch=batch)
                sent = next(f for f in made if f.fmt == fmt)
                bankfile.sent_file_opened(by=by, sent=sent)
            else:
                sent = self.attempt(bankfile.transfer_file_sent, by=by, batch=batch, fmt=fmt)
        path: Path = options["output"]
        try:
            path.write_bytes(bytes(sent.content))
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(why)s") % {"path": path, "why": exc.strerror}
            ) from None
        self.stdout.write(
            _("batch #%(id)s: %(n)s transfers, %(total)s, in %(path)s")
            % {"id": batch.pk, "n": sent.transfers, "total": money(sent.total), "path": path}
        )
        self.stdout.write(
            _("transfer file no. %(number)s as sent, sha256 %(sha)s")
            % {"number": sent.number, "sha": sent.sha256}
        )

    # --- writing ---------------------------------------------------------------------------

    def do_draft(self, options) -> None:
        by = self.actor(options["as_user"])
        kinds = [self.attempt(selectors.kind_by_code, code) for code in options["kinds"]]
        with self.writing(options["dry_run"]):
            batch = self.attempt(
                services.stipend_batch_draft,
                by=by,
                first_month=self.month(options["first"], "from"),
                last_month=self.month(options["last"], "to"),
                kinds=kinds,
                year=options["year"],
                arrears_from=self.month(options["arrears_from"], "arrears-from"),
                title=options["title"],
            )
            summary = selectors.batch_summary(batch)
        self.done(
            _("batch #%(id)s drafted: %(title)s, %(lines)s lines, %(total)s")
            % {
                "id": batch.pk,
                "title": batch.title,
                "lines": summary.counts["pending"],
                "total": money(summary.total),
            },
            options["dry_run"],
        )

    def _transition(self, options, service, done: str, **kwargs) -> None:
        batch = self._batch(options)
        by = self.actor(options["as_user"])
        with self._for(by, batch), self.writing(options["dry_run"]):
            result = self.attempt(service, by=by, batch=batch, **kwargs)
            batch.refresh_from_db()
        who = by.user.get_username() if by.user else _("the system")
        extra = ""
        if isinstance(result, dict):
            words = {
                "paid": _("paid"),
                "failed": _("failed"),
                "unchanged": _("unchanged"),
                "added": _("added"),
                "removed": _("removed"),
            }
            extra = " (" + ", ".join(f"{words.get(k, k)} {v}" for k, v in result.items()) + ")"
        self.done(
            done % {"id": batch.pk, "who": who, "status": batch.get_status_display()} + extra,
            options["dry_run"],
        )

    def do_refresh(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_refresh,
            _("batch #%(id)s refreshed by %(who)s: now %(status)s"),
        )

    def do_verify(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_verify,
            _("batch #%(id)s verified by %(who)s: now %(status)s"),
        )

    def do_approve(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_approve,
            _("batch #%(id)s approved by %(who)s: now %(status)s"),
        )

    def do_return(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_return,
            _("batch #%(id)s sent back by %(who)s: now %(status)s"),
            reason=options["reason"],
        )

    def do_cancel(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_cancel,
            _("batch #%(id)s cancelled by %(who)s: now %(status)s"),
            reason=options["reason"],
        )

    def do_mark_paid(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_mark_paid,
            _("batch #%(id)s marked paid by %(who)s: now %(status)s"),
            paid_on=_date(options["date"]),
        )
