"""`pilar stipend-batch ACTION`: payment batches from draft to paid, and the bank's file."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import CommandError

from pilar.accounts.access import Capability
from pilar.lib.params import InputError, argument, parse_date, parse_id, parse_year
from pilar.stipends import bankfile, selectors, services
from pilar.stipends.access import office_wide
from pilar.stipends.management.base import AS_HELP, StipendCommand, money
from pilar.stipends.models import StipendBatch

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
        "transfer-file ID --format xlsx|csv --output FILE. Writes run as the system actor (no "
        "role checks) unless --as USERNAME is given: then as that user, so the drafter cannot "
        "verify and the verifier cannot approve. Writing actions take --dry-run."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = sub.add_parser("list", help="list batches")
        listing.add_argument("--status", choices=StipendBatch.Status.values)
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
        transfer.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        transfer.add_argument("--output", required=True, type=Path, help="file to write")
        transfer.add_argument("--as", dest="as_user", metavar="USERNAME", help=AS_HELP)

    def _writes(self, parser, *, with_id: bool = False) -> None:
        if with_id:
            parser.add_argument("id", type=BATCH_ID)
        self.add_as(parser)
        self.add_dry_run(parser)

    def handle(self, *args, action: str, **options):
        getattr(self, "do_" + action.replace("-", "_"))(options)

    # --- reading ---------------------------------------------------------------------------

    def _batch(self, options) -> StipendBatch:
        batches = StipendBatch.objects.all()
        if options.get("as_user"):
            batches = batches.visible_to(self.actor(options["as_user"]).user)
        batch = batches.filter(pk=options["id"]).first()
        if batch is None:
            raise CommandError(f"no batch #{options['id']}")
        return batch

    def do_list(self, options) -> None:
        batches = selectors.batches_with_totals()
        if options["status"]:
            batches = batches.filter(status=options["status"])
        if options["year"]:
            batches = batches.filter(year=options["year"])
        batches = list(batches)
        self.table(
            ["id", "title", "months", "kinds", "year", "status", "lines", "total"],
            [
                [
                    b.pk,
                    b.title,
                    f"{b.first_month:%Y-%m}..{b.last_month:%Y-%m}",
                    ",".join(sorted(k.code for k in b.kinds.all())),
                    b.year,
                    b.status,
                    b.line_count,
                    money(b.total),
                ]
                for b in batches
            ],
        )
        self.stdout.write(f"{len(batches)} batches")

    def do_show(self, options) -> None:
        batch = self._batch(options)
        summary = selectors.batch_summary(batch)
        self.stdout.write(f"batch #{batch.pk}: {batch.title}")
        self.stdout.write(
            f"  months {batch.first_month:%Y-%m}..{batch.last_month:%Y-%m}"
            + (f", arrears from {batch.arrears_from:%Y-%m}" if batch.arrears_from else "")
            + f"; kinds {', '.join(sorted(k.code for k in batch.kinds.all()))}; "
            f"budget year {batch.year}"
        )
        people = [
            ("drafted", batch.created_by, batch.created_at),
            ("verified", batch.verified_by, batch.verified_at),
            ("approved", batch.approved_by, batch.approved_at),
        ]
        for what, user, at in people:
            if at:
                who = user.get_username() if user else "system"
                self.stdout.write(f"  {what} by {who} at {at:%Y-%m-%d %H:%M}")
        if batch.paid_on:
            self.stdout.write(f"  paid on {batch.paid_on}")
        if batch.reason:
            self.stdout.write(f"  last sent back or cancelled because: {batch.reason}")
        self.table(
            ["kind", "source", "lines", "amount"],
            [
                [t["kind"], t["funding_source"], t["lines"], money(t["amount"])]
                for t in summary.totals
            ],
        )
        counts = ", ".join(f"{status} {n}" for status, n in summary.counts.items())
        self.stdout.write(f"status {batch.status}; total {money(summary.total)}; lines: {counts}")

    def do_transfer_file(self, options) -> None:
        batch = self._batch(options)
        by = self.actor(options["as_user"])
        if by.user is not None and not office_wide(by.user, Capability.STIPENDS_VERIFY):
            raise CommandError(f"{by.user.get_username()} does not pay batches (finance does)")
        fmt = options["format"]
        sent = self.attempt(bankfile.transfer_file_sent, by=by, batch=batch, fmt=fmt)
        path: Path = options["output"]
        try:
            path.write_bytes(bytes(sent.content))
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        self.stdout.write(
            f"batch #{batch.pk}: {sent.transfers} transfers, {money(sent.total)}, in {path}"
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
            f"batch #{batch.pk} drafted: {batch.title}, {summary.counts['pending']} lines, "
            f"{money(summary.total)}",
            options["dry_run"],
        )

    def _transition(self, options, service, done: str, **kwargs) -> None:
        batch = self._batch(options)
        by = self.actor(options["as_user"])
        with self.writing(options["dry_run"]):
            result = self.attempt(service, by=by, batch=batch, **kwargs)
            batch.refresh_from_db()
        who = by.user.get_username() if by.user else "the system"
        extra = ""
        if isinstance(result, dict):
            extra = " (" + ", ".join(f"{k} {v}" for k, v in result.items()) + ")"
        self.done(
            f"batch #{batch.pk} {done} by {who}: now {batch.status}{extra}", options["dry_run"]
        )

    def do_refresh(self, options) -> None:
        self._transition(options, services.stipend_batch_refresh, "refreshed")

    def do_verify(self, options) -> None:
        self._transition(options, services.stipend_batch_verify, "verified")

    def do_approve(self, options) -> None:
        self._transition(options, services.stipend_batch_approve, "approved")

    def do_return(self, options) -> None:
        self._transition(
            options, services.stipend_batch_return, "sent back", reason=options["reason"]
        )

    def do_cancel(self, options) -> None:
        self._transition(
            options, services.stipend_batch_cancel, "cancelled", reason=options["reason"]
        )

    def do_mark_paid(self, options) -> None:
        self._transition(
            options,
            services.stipend_batch_mark_paid,
            "marked paid",
            paid_on=_date(options["date"]),
        )
