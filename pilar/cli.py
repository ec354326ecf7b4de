"""The `pilar` console command: Django's manage.py under the product's name.

Verbs may be written with hyphens (`pilar load-regions`) as well as underscores (`load_regions`),
in any case, and after `pilar help`.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilar.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pilar", *verb_args(sys.argv[1:])])


def verb_args(args: list[str]) -> list[str]:
    """`args` with the verb as Django names it: `load-regions`, `Load_Regions` → `load_regions`,
    also after `help` (`pilar help load-regions`)."""
    args = list(args)
    at = 1 if args[:1] == ["help"] else 0
    if len(args) > at and not args[at].startswith("-"):
        args[at] = args[at].replace("-", "_").lower()
    return args


if __name__ == "__main__":
    main()
