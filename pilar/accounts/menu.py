"""The main menu: the pages a user may open, and the few their role opens every day.

A link is offered only to a user whom its view lets in: the same capabilities decide
(`pilar.accounts.access.GRANTS`), read from the `can` table the context processor builds once
per page, so the menu costs no query. On a phone the daily links stay in the header's one row
and the rest wait behind "Menu"; on a desktop all of them show (README, "What is where").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from pilar.accounts.models import Role

# The role that sets a user's daily links when they hold several, most office-wide first: an
# administrator who is also a pillar works as an administrator; a TKSK (coordinator, and a
# pillar through their own duty) as a coordinator.
PRINCIPAL = (
    Role.ADMIN,
    Role.OPERATOR,
    Role.APPROVER,
    Role.FINANCE,
    Role.COORDINATOR,
    Role.PILLAR,
    Role.VIEWER,
)

# Each role's daily links, by key (see `ENTRIES`), in the order they show; a key the user may not
# open is left out. Three at most fit one row of a 360 px phone.
DAILY: dict[str, tuple[str, ...]] = {
    # The office keeps the registry, checks the months reported and drafts the tali kasih.
    Role.ADMIN: ("pillars", "reports", "stipends"),
    Role.OPERATOR: ("pillars", "reports", "stipends"),
    # The head of office approves batches and reads the figures.
    Role.APPROVER: ("dashboard", "stipends", "headcount"),
    # The treasurer verifies and pays batches.
    Role.FINANCE: ("stipends", "dashboard"),
    # A TKSK verifies their kecamatan's reports, reassigns households, and records their own work.
    Role.COORDINATOR: ("reports", "caseload", "record"),
    # A pillar in the field: the activity just done, the month's report, the money.
    Role.PILLAR: ("record", "my-reports", "my-stipends"),
    Role.VIEWER: ("dashboard", "headcount"),
}
MAX_DAILY = 3


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    url: str
    current: str = ""  # "page" for the page itself, "true" for a page within its section

    @cached_property
    def html(self) -> str:
        # The menu draws each link twice (pilar/templates/base.html): made once, and cheaper
        # so than through an include.
        if self.current:
            return format_html(
                '<a href="{}" data-nav="{}" aria-current="{}">{}</a>',
                self.url,
                self.key,
                self.current,
                self.label,
            )
        return format_html('<a href="{}" data-nav="{}">{}</a>', self.url, self.key, self.label)


@cache
def _address(name: str, prefix: str) -> str:
    """The address of a page that takes no argument, reversed once per process (and script
    prefix) rather than on every page (docs/PERFORMANCE.md, "Load")."""
    return reverse(name)


@receiver(setting_changed)
def _forget_addresses(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _address.cache_clear()


def principal_role(roles: set[str]) -> str | None:
    return next((role for role in PRINCIPAL if role in roles), None)


@dataclass(frozen=True)
class _Who:
    """What decides a user's menu: their capabilities, and whether they are in the registry."""

    can: dict[str, bool]
    person_id: int | None  # the user's own pillar record, if any
    pillar: bool  # records activities of their own
    coordinator: bool  # a TKSK by principal role
    staff: bool

    @property
    def own(self) -> bool:
        return bool(self.person_id)


def _no_args(who: _Who) -> tuple:
    return ()


@dataclass(frozen=True)
class _Entry:
    """One page of the menu: its key, its label (some read who sees it), the URL name, whom it
    is offered to, and the URL's arguments."""

    key: str
    label: Callable[[_Who], str]
    name: str
    offered: Callable[[_Who], bool]
    args: Callable[[_Who], tuple] = _no_args


def _can(capability: str) -> Callable[[_Who], bool]:
    return lambda who: who.can[capability]


def _office(capability: str) -> Callable[[_Who], bool]:
    """The office's page of a topic: for those who also read the office's figures."""
    return lambda who: who.can[capability] and who.can["headcount_view"]


def _own(capability: str) -> Callable[[_Who], bool]:
    """A pillar's own page of the topic, for one who is not offered the office's."""
    return lambda who: who.can[capability] and not who.can["headcount_view"] and who.own


# Every page of the menu, in the desktop's order; each offered only to those its view lets in.
ENTRIES = (
    _Entry("dashboard", lambda w: _("Dashboard"), "dashboard:home", _can("headcount_view")),
    _Entry("headcount", lambda w: _("Headcount"), "registry:headcount", _can("headcount_view")),
    # The pillars' work over twelve months (docs/KINERJA.md).
    _Entry("kinerja", lambda w: _("Performance"), "kinerja:home", _can("headcount_view")),
    _Entry("pillars", lambda w: _("Pillars"), "registry:person-list", _can("people_view")),
    _Entry(
        "casework",
        lambda w: _("Casework in figures"),
        "casework:summary",
        _can("headcount_view"),
    ),
    _Entry(
        "record", lambda w: _("Record an activity"), "casework:activity-create", lambda w: w.pillar
    ),
    _Entry("my-reports", lambda w: _("My reports"), "casework:my-reports", lambda w: w.pillar),
    # A pillar's own twelve months, on their phone (docs/KINERJA.md).
    _Entry(
        "my-kinerja",
        lambda w: _("My performance"),
        "kinerja:mine",
        lambda w: w.pillar and not w.can["headcount_view"],
    ),
    # A pillar's own households; for those who assign, the households left without one.
    _Entry(
        "caseload",
        lambda w: _("My caseload") if w.pillar else _("Caseload"),
        "casework:caseload",
        lambda w: w.can["casework_view"] and (w.pillar or w.can["households_edit"]),
    ),
    # A pillar's households of the open verivali rounds (pilar/verivali/views/field.py).
    _Entry(
        "verivali-my",
        lambda w: _("My verivali visits"),
        "verivali:my",
        lambda w: w.can["verivali_record"] and w.own,
    ),
    _Entry(
        "households",
        lambda w: _("Households"),
        "casework:household-list",
        _can("casework_view"),
    ),
    _Entry(
        "activities",
        lambda w: _("Activities"),
        "casework:activity-list",
        _can("casework_view"),
    ),
    _Entry(
        "reports",
        lambda w: _("Verify reports") if w.coordinator else _("Monthly reports"),
        "casework:report-status",
        lambda w: w.can["casework_view"] and (w.can["households_edit"] or not w.own),
    ),
    # The verivali rounds and their progress, for the office and the coordinators.
    _Entry(
        "verivali", lambda w: _("Verivali rounds"), "verivali:round-list", _office("verivali_view")
    ),
    # The findings a coordinator reviews; the office reaches them from its rounds.
    _Entry(
        "verivali-review",
        lambda w: _("Review verivali findings"),
        "verivali:review",
        lambda w: w.can["verivali_review"] and not w.can["verivali_run"],
    ),
    _Entry("tagana", lambda w: _("Tagana"), "tagana:event-list", _can("tagana_view")),
    _Entry("kube", lambda w: _("KUBE"), "kube:group-list", _can("kube_view")),
    _Entry("stipends", lambda w: _("Tali kasih"), "stipends:batch-list", _can("stipends_view")),
    _Entry(
        "my-stipends",
        lambda w: _("My tali kasih"),
        "stipends:mine",
        lambda w: not w.can["stipends_view"] and w.can["stipends_own"] and w.own,
    ),
    _Entry(
        "trainings",
        lambda w: _("Trainings"),
        "trainings:event-list",
        _office("trainings_view"),
    ),
    _Entry("my-trainings", lambda w: _("My trainings"), "trainings:mine", _own("trainings_view")),
    _Entry("equipment", lambda w: _("Equipment"), "equipment:catalog", _office("equipment_view")),
    _Entry("my-equipment", lambda w: _("My equipment"), "equipment:mine", _own("equipment_view")),
    _Entry("imports", lambda w: _("Imports"), "imports:list", _can("imports")),
    _Entry(
        "my-data",
        lambda w: _("My data"),
        "registry:person-detail",
        lambda w: w.own,
        lambda w: (w.person_id,),
    ),
    _Entry("audit", lambda w: _("Audit log"), "audit-list", _can("audit_view")),
    _Entry("backups", lambda w: _("Backups"), "backups:list", _can("backups")),
    _Entry("office", lambda w: _("Office settings"), "office-settings", _can("office_edit")),
    _Entry("settings", lambda w: _("Settings"), "admin:index", lambda w: w.staff),
)


def _links(user, can: dict[str, bool], roles: set[str]) -> list[tuple[str, str, str]]:
    """(key, label, URL) of every page of the menu `user` may open, in the desktop's order."""
    who = _Who(
        can=can,
        person_id=user.person_id,
        pillar=can["activity_record"] and bool(user.person_id),
        coordinator=principal_role(roles) == Role.COORDINATOR,
        staff=user.is_staff,
    )
    prefix = get_script_prefix()
    links = []
    for entry in ENTRIES:
        if entry.offered(who):
            args = entry.args(who)
            url = reverse(entry.name, args=args) if args else _address(entry.name, prefix)
            links.append((entry.key, entry.label(who), url))
    return links


class Menu:
    """`all`: every link, as a desktop shows them; `daily`: the links of a phone's header row;
    `rest`: the others, behind the phone's "Menu". Built when the page first reads it."""

    def __init__(self, request, can: dict[str, bool], roles: set[str]):
        self.request, self.can, self.roles = request, can, roles

    @cached_property
    def all(self) -> list[Link]:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        links = _links(user, self.can, self.roles)
        path = self.request.path
        # The link whose address is the longest start of this page's is where the user is.
        within = [url for _key, _label, url in links if path.startswith(url) and url != "/"]
        here = max(within, key=len, default=None)
        return [
            Link(key, label, url, ("page" if url == path else "true") if url == here else "")
            for key, label, url in links
        ]

    @cached_property
    def daily(self) -> list[Link]:
        wanted = DAILY.get(principal_role(self.roles), ())
        daily = [link for link in self.all if link.key in wanted]
        return sorted(daily, key=lambda link: wanted.index(link.key))[:MAX_DAILY]

    @cached_property
    def rest(self) -> list[Link]:
        return [link for link in self.all if link not in self.daily]
