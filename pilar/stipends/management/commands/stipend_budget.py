"""`pilar stipend-budget`: the year's ceilings (pagu) beside what batches take; set one."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from pilar.lib.money import MAX_RUPIAH
from pilar.lib.params import argument, parse_int, parse_year
from pilar.stipends import selectors, services
from pilar.stipends.management.base import StipendCommand, money, upper
from pilar.stipends.models import FundingSource

AMOUNT = argument(parse_int, "--amount", low=0, high=MAX_RUPIAH)


class Command(StipendCommand):
    help = (
        "Tali kasih budget ceilings. Without --amount: list each year and funding source with "
        "what batches have taken (optionally one --year). With `--year 2024 --source APBD "
        "--amount N`: set that ceiling (never below what is already taken: paid or in a batch)."
    )

    def add_arguments(self, parser):
        self.speak(parser)
        parser.add_argument("--year", type=argument(parse_year, "--year"))
        parser.add_argument("--source", type=upper, choices=FundingSource.values, default=None)
        parser.add_argument("--amount", type=AMOUNT, help="the ceiling in whole rupiah")
        parser.add_argument("--note", default="")
        self.add_as(parser)
        self.add_dry_run(parser)

    def handle(self, *args, **options):
        if options["amount"] is None:
            rows = selectors.budget_rows(year=options["year"])
            self.table(
                [_("year"), _("source"), _("ceiling"), _("paid"), _("waiting"), _("remaining")],
                [
                    [
                        r.year,
                        r.funding_source,
                        money(r.ceiling),
                        money(r.paid),
                        money(r.waiting),
                        money(r.remaining),
                    ]
                    for r in rows
                ],
            )
            self.stdout.write(_("%(n)s budget rows") % {"n": len(rows)})
            return
        if options["year"] is None or options["source"] is None:
            raise CommandError(_("To set a ceiling, give --year and --source as well as --amount."))
        by = self.actor(options["as_user"])
        with self.writing(options["dry_run"]):
            budget = self.attempt(
                services.budget_set,
                by=by,
                year=options["year"],
                funding_source=options["source"],
                amount=options["amount"],
                note=options["note"],
            )
            taken = services.taken(budget.year, budget.funding_source, office=budget.office_id)
        self.done(
            _("%(source)s %(year)s ceiling set to %(amount)s (%(taken)s taken: paid or in a batch)")
            % {
                "source": budget.funding_source,
                "year": budget.year,
                "amount": money(budget.amount),
                "taken": money(taken),
            },
            options["dry_run"],
        )
