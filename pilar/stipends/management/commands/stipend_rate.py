"""`pilar stipend-rate`: list tali kasih rates, add one, or end one."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from pilar.lib.money import MAX_RUPIAH
from pilar.lib.months import month_end
from pilar.lib.params import argument, parse_id, parse_int
from pilar.offices import current
from pilar.stipends import selectors, services
from pilar.stipends.management.base import StipendCommand, money, upper
from pilar.stipends.models import FundingSource, StipendRate


class Command(StipendCommand):
    help = (
        "Tali kasih rates. Without options: list them. Add one with `--kind PSM --amount 400000 "
        "--from 2024-01 [--to 2024-12] [--source APBD]`; end one with `--end ID --to 2024-06` "
        "(its last month). Overlapping rates of one kind are refused."
    )

    def add_arguments(self, parser):
        self.speak(parser)
        parser.add_argument("--kind", help="pillar kind code (PSM, TKSK, TAGANA, ...)")
        parser.add_argument(
            "--amount",
            type=argument(parse_int, "--amount", low=0, high=MAX_RUPIAH),
            help="whole rupiah per month",
        )
        parser.add_argument("--from", dest="valid_from", metavar="YYYY-MM", help="first month")
        parser.add_argument("--to", dest="valid_to", metavar="YYYY-MM", help="last month")
        parser.add_argument(
            "--source",
            default=FundingSource.APBD,
            type=upper,
            choices=FundingSource.values,
            help="funding source (default APBD)",
        )
        parser.add_argument("--note", default="")
        parser.add_argument(
            "--end",
            type=argument(parse_id, "--end"),
            metavar="ID",
            help="end the rate with this id",
        )
        self.add_as(parser)
        self.add_dry_run(parser)

    def handle(self, *args, **options):
        if options["end"] is not None:
            return self.end(options)
        if options["kind"] or options["amount"] is not None or options["valid_from"]:
            return self.add(options)
        rates = StipendRate.objects.filter(office=current()).select_related("kind")
        self.table(
            [_("no."), _("kind"), _("amount"), _("from"), _("to"), _("source"), _("note")],
            [
                [
                    r.pk,
                    r.kind.code,
                    money(r.amount),
                    f"{r.valid_from:%Y-%m}",
                    f"{r.valid_to:%Y-%m}" if r.valid_to else _("open"),
                    r.funding_source,
                    r.note,
                ]
                for r in rates
            ],
        )
        self.stdout.write(_("%(n)s rates") % {"n": len(rates)})

    def add(self, options) -> None:
        missing = [o for o in ("kind", "amount", "valid_from") if options[o] is None]
        if missing:
            names = {"kind": "--kind", "amount": "--amount", "valid_from": "--from"}
            raise CommandError(
                _("To add a rate, give %(options)s.")
                % {"options": ", ".join(names[m] for m in missing)}
            )
        kind = self.attempt(selectors.kind_by_code, options["kind"])
        valid_to = self.month(options["valid_to"], "to")
        by = self.actor(options["as_user"])
        with self.writing(options["dry_run"]):
            rate = self.attempt(
                services.stipend_rate_create,
                by=by,
                kind=kind,
                amount=options["amount"],
                valid_from=self.month(options["valid_from"], "from"),
                valid_to=month_end(valid_to) if valid_to else None,
                funding_source=options["source"],
                note=options["note"],
            )
        values = {
            "id": rate.pk,
            "kind": kind.code,
            "amount": money(rate.amount),
            "first": f"{rate.valid_from:%Y-%m}",
            "source": rate.funding_source,
        }
        if rate.valid_to:
            values["last"] = f"{rate.valid_to:%Y-%m}"
            text = _(
                "rate #%(id)s added: %(kind)s %(amount)s a month from %(first)s to %(last)s "
                "(%(source)s)"
            )
        else:
            text = _("rate #%(id)s added: %(kind)s %(amount)s a month from %(first)s (%(source)s)")
        self.done(text % values, options["dry_run"])

    def end(self, options) -> None:
        if not options["valid_to"]:
            raise CommandError(_("Give the rate's last month with --to YYYY-MM."))
        rate = (
            StipendRate.objects.filter(office=current())
            .select_related("kind")
            .filter(pk=options["end"])
            .first()
        )
        if rate is None:
            raise CommandError(
                _("There is no rate #%(id)s: `pilar stipend-rate` lists them.")
                % {"id": options["end"]}
            )
        by = self.actor(options["as_user"])
        with self.writing(options["dry_run"]):
            rate = self.attempt(
                services.stipend_rate_end,
                by=by,
                rate=rate,
                valid_to=month_end(self.month(options["valid_to"], "to")),
            )
        self.done(
            _("rate #%(id)s (%(kind)s %(amount)s) ends after %(last)s")
            % {
                "id": rate.pk,
                "kind": rate.kind.code,
                "amount": money(rate.amount),
                "last": f"{rate.valid_to:%Y-%m}",
            },
            options["dry_run"],
        )
