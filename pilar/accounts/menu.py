"""The main menu: the pages a user may open, and the few their role opens every day.

A link is offered only to a user whom its view lets in: the same capabilities decide
(`pilar.accounts.access.GRANTS`), read from the `can` table the context processor builds once
per page, so the menu costs no query. On a phone the daily links stay in the header's one row
and the rest wait behind "Menu"; on a desktop all of them show (README, "What is where").
"""

from __future__ import annotations

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

# Each role's daily links, by key (see `_links`), in the order they show; a key the user may not
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


def _links(user, can: dict[str, bool], roles: set[str]) -> list[tuple[str, str, str]]:
    """(key, label, URL) of every page of the menu `user` may open, in the desktop's order."""
    own = bool(user.person_id)
    pillar = can["activity_record"] and own
    coordinator = principal_role(roles) == Role.COORDINATOR
    links = []

    def add(key: str, label: str, name: str, *args) -> None:
        url = reverse(name, args=args) if args else _address(name, get_script_prefix())
        links.append((key, label, url))

    if can["headcount_view"]:
        add("dashboard", _("Dashboard"), "dashboard:home")
        add("headcount", _("Headcount"), "registry:headcount")
    if can["people_view"]:
        add("pillars", _("Pillars"), "registry:person-list")
    if can["headcount_view"]:
        add("casework", _("Casework in figures"), "casework:summary")
    if pillar:
        add("record", _("Record an activity"), "casework:activity-create")
        add("my-reports", _("My reports"), "casework:my-reports")
    if can["casework_view"] and (pillar or can["households_edit"]):
        # A pillar's own households; for those who assign, the households left without one.
        add("caseload", _("My caseload") if pillar else _("Caseload"), "casework:caseload")
    if can["casework_view"]:
        add("households", _("Households"), "casework:household-list")
        add("activities", _("Activities"), "casework:activity-list")
        if can["households_edit"] or not own:
            label = _("Verify reports") if coordinator else _("Monthly reports")
            add("reports", label, "casework:report-status")
    if can["tagana_view"]:
        add("tagana", _("Tagana"), "tagana:event-list")
    if can["kube_view"]:
        add("kube", _("KUBE"), "kube:group-list")
    if can["stipends_view"]:
        add("stipends", _("Tali kasih"), "stipends:batch-list")
    elif can["stipends_own"] and own:
        add("my-stipends", _("My tali kasih"), "stipends:mine")
    if can["trainings_view"] and can["headcount_view"]:
        add("trainings", _("Trainings"), "trainings:event-list")
    elif can["trainings_view"] and own:
        add("my-trainings", _("My trainings"), "trainings:mine")
    if can["equipment_view"] and can["headcount_view"]:
        add("equipment", _("Equipment"), "equipment:catalog")
    elif can["equipment_view"] and own:
        add("my-equipment", _("My equipment"), "equipment:mine")
    if can["imports"]:
        add("imports", _("Imports"), "imports:list")
    if own:
        add("my-data", _("My data"), "registry:person-detail", user.person_id)
    if can["audit_view"]:
        add("audit", _("Audit log"), "audit-list")
    if can["backups"]:
        add("backups", _("Backups"), "backups:list")
    if can["office_edit"]:
        add("office", _("Office settings"), "office-settings")
    if user.is_staff:
        add("settings", _("Settings"), "admin:index")
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
