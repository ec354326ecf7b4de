"""`pilar stipend-eligibility --month 2024-07`: who is owed tali kasih that month, and why not."""

from __future__ import annotations

import json
from collections import Counter

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from pilar.lib.months import month_label
from pilar.regions.models import Area
from pilar.stipends import selectors
from pilar.stipends.eligibility import State, state_label
from pilar.stipends.management.base import StipendCommand, lower, money


class Command(StipendCommand):
    help = (
        "Every pillar serving in a month, with the state of that month's tali kasih (eligible, "
        "blocked, in process, paid), the amount and, when blocked, why. Names and masked NIKs "
        "only. Prints a table, or JSON with --json."
    )

    def add_arguments(self, parser):
        self.speak(parser)
        parser.add_argument("--month", metavar="YYYY-MM", help="default: last month")
        parser.add_argument("--kind", help="pillar kind code (PSM, TKSK, ...)")
        parser.add_argument("--area", help="area code of duty, e.g. 13.75.01")
        parser.add_argument(
            "--state", type=lower, choices=selectors.STATES, help="only the months in this state"
        )
        parser.add_argument("--blocked", action="store_true", help="same as --state blocked")
        parser.add_argument("--json", action="store_true", help="JSON instead of a table")

    def handle(self, *args, **options):
        month = self.month(options["month"], "month") or selectors.last_month()
        state = State.BLOCKED if options["blocked"] else options["state"]
        if options["blocked"] and options["state"] not in (None, State.BLOCKED):
            raise CommandError(_("--blocked and --state disagree: give one of them."))
        found = self.attempt(
            selectors.eligibility,
            month=month,
            kind=self.attempt(selectors.kind_by_code, options["kind"]) if options["kind"] else None,
            area=self.attempt(Area.objects.by_code, options["area"], "area"),
            state=state,
        )
        rows = selectors.eligibility_rows(found)
        if options["json"]:
            self.stdout.write(
                json.dumps([r.__dict__ for r in rows], default=str, ensure_ascii=False, indent=1)
            )
            return
        self.table(
            [_("name"), _("NIK"), _("kind"), _("area"), _("state"), _("amount"), _("why not")],
            [
                [
                    r.name,
                    r.nik,
                    r.kind,
                    r.area_name,
                    r.state_label,
                    money(r.amount),
                    " ".join(r.reasons),
                ]
                for r in rows
            ],
        )
        counts = Counter(r.state for r in rows)
        self.stdout.write(
            _("%(month)s: %(n)s rows — %(counts)s")
            % {
                "month": month_label(month),
                "n": len(rows),
                "counts": ", ".join(f"{state_label(s)} {counts[s]}" for s in selectors.STATES),
            }
        )
