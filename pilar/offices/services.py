"""The office record: read once per request (`current_office`), seeded from the environment the
first time it is needed (`office_seed`), changed by an administrator (`office_update`), every
change audited with its before and after (docs/OFFICE.md)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pilar.accounts.access import hosts_others, office_of, top_office, top_office_id
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, diff, snapshot
from pilar.offices.models import Office

log = logging.getLogger(__name__)

# Read by the settings page, audited field by field.
EDITABLE = [
    "area",
    "name",
    "address",
    "city",
    "logo",
    "head_title",
    "head_name",
    "head_nip",
    "treasurer_title",
    "treasurer_name",
    "treasurer_nip",
    "signer_name",
    "signer_title",
    "signer_nip",
    "public_url",
    "stipend_report_required",
    "stipend_prorate",
    "stipend_cash_allowed",
    "report_due_day",
]
# The policies that decide who is paid and how much (docs/STIPENDS.md): named in the audit note.
POLICIES = ["stipend_report_required", "stipend_prorate", "stipend_cash_allowed", "report_due_day"]

# The office read within one request (or one `remembered()` block): a page asks for it from
# its header, its documents and its rules, and reads the row once. In a request it is the
# signed-in user's office (docs/OFFICE.md, "Many offices"); in a background task, the office
# the task works for (`remembered(office=...)`); else the installation's top office.
_memo: ContextVar[dict | None] = ContextVar("pilar_office", default=None)


@contextlib.contextmanager
def remembered(*, office: Office | None = None, user=None) -> Iterator[None]:
    """Within the block, the office is read from the database at most once: `office` itself
    when given, else `user`'s (a task acting for the user who asked), else the top office."""
    memo: dict = {}
    if office is not None:
        memo["office"] = office
    elif user is not None:
        memo["user"] = user
    token = _memo.set(memo)
    try:
        yield
    finally:
        _memo.reset(token)


class OfficeMiddleware:
    """Each request reads its office at most once, and only if something asks for it: the
    signed-in user's office, or for a visitor the installation's top office."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({"request": request})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def _acting_user(memo: dict):
    if "user" in memo:
        return memo["user"]
    request = memo.get("request")
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


def current_office() -> Office:
    """The office the request or task acts for; the top office, seeded from the environment on
    first use, when nobody is signed in."""
    memo = _memo.get()
    if memo is not None and "office" in memo:
        return memo["office"]
    user = _acting_user(memo) if memo is not None else None
    office = office_of(user) if user is not None else None
    if office is None:
        office = top_office() or office_seed()
    if memo is not None:
        memo["office"] = office
    return office


def current_office_id() -> int:
    """`current_office().pk`, for a record that only names its office (an audit entry): outside
    a request or a `remembered()` block, the top office's id is read alone (docs/PERFORMANCE.md,
    "The test suite's time")."""
    if _memo.get() is not None:
        return current_office().pk
    pk = top_office_id()
    return pk if pk is not None else office_seed().pk


def acting_office(by) -> Office:
    """The office an actor (pilar.audit.services.Actor) acts for: the signed-in user's own, else
    the office the request or task acts for (`current_office`). A record a service creates
    belongs to it (docs/OFFICE.md, "Many offices")."""
    user = by.signed_in_user
    office = office_of(user) if user is not None else None
    return office if office is not None else current_office()


def office_for_area(area) -> Office:
    """The office whose area holds `area` most closely (a kota's office for one of its
    kelurahan; docs/OFFICE.md, "Many offices"): what decides a rule of a record tied to an
    area, whoever reads it. The installation's top office for an area no office holds."""
    office = current_office()
    if area is None:
        return top_office() or office
    if office.area_id is not None and area.is_within(office.area) and not hosts_others(office):
        return office  # the reader's own office, read already
    codes = area.code.split(".")
    found = (
        Office.objects.filter(
            area__code__in=[".".join(codes[:n]) for n in range(1, len(codes) + 1)]
        )
        .select_related("area")
        .order_by("-area__level", "pk")
        .first()
    )
    return found or top_office() or office


def _forget() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.pop("office", None)
        user = _acting_user(memo)
        if user is not None and hasattr(user, "_pilar_office"):
            del user._pilar_office


def seed_values() -> dict:
    """The office's first values, from the environment (pilar/settings.py, .env.example)."""
    head_name = settings.PILAR_OFFICE_HEAD_NAME.strip()
    signer_name = settings.PILAR_CERTIFICATE_SIGNER_NAME.strip()
    signer_is_head = signer_name == head_name
    signer_title = settings.PILAR_CERTIFICATE_SIGNER_TITLE.strip()
    return {
        "name": settings.PILAR_OFFICE_NAME.strip(),
        "address": settings.PILAR_OFFICE_ADDRESS.strip(),
        "city": settings.PILAR_OFFICE_CITY.strip(),
        "head_title": settings.PILAR_OFFICE_HEAD_TITLE.strip(),
        "head_name": head_name,
        "head_nip": settings.PILAR_OFFICE_HEAD_NIP.strip(),
        "treasurer_title": settings.PILAR_TREASURER_TITLE.strip(),
        "treasurer_name": settings.PILAR_TREASURER_NAME.strip(),
        "treasurer_nip": settings.PILAR_TREASURER_NIP.strip(),
        # An empty signer is the head of office, whoever that is at the time.
        "signer_name": "" if signer_is_head else signer_name,
        "signer_title": ""
        if signer_title == settings.PILAR_OFFICE_HEAD_TITLE.strip()
        else signer_title,
        "signer_nip": "" if signer_is_head else settings.PILAR_CERTIFICATE_SIGNER_NIP.strip(),
        "public_url": settings.PILAR_PUBLIC_URL.rstrip("/"),
        "stipend_report_required": settings.PILAR_STIPEND_REPORT_REQUIRED,
        "stipend_prorate": settings.PILAR_STIPEND_PRORATE,
        "stipend_cash_allowed": settings.PILAR_STIPEND_CASH_ALLOWED,
        "report_due_day": min(max(settings.PILAR_REPORT_DUE_DAY, 1), 28),
    }


def office_seed() -> Office:
    """The office written from the environment, the first time anything asks for it: tied to
    the area PILAR_OFFICE_AREA when the area tree holds it, else to none yet (an administrator
    picks it on the settings page once the tree is loaded). Two first requests at once seed
    one office: the second finds the first's."""
    from pilar.regions.models import Area

    area = Area.objects.filter(code=settings.PILAR_OFFICE_AREA, level__lte=2).first()
    try:
        with transaction.atomic():
            office = Office.objects.create(area=area, **seed_values())
            audit_record(
                by=Actor.system(AuditEntry.Source.SYSTEM),
                action=AuditEntry.Action.CREATE,
                obj=office,
                note=_("The office's first values, from the environment."),
            )
    except IntegrityError:
        return top_office()
    return office


def _shown(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def area_fixed(office: Office) -> bool:
    """Whether `office`'s area is fixed: other offices share the installation (each user's
    scope is their office's area; an office without one holds them all). A single office may
    still be moved, or tied to an area when it has none yet."""
    return Office.objects.exclude(pk=office.pk).exists()


@transaction.atomic
def office_update(*, by: Actor, office: Office, data: dict) -> Office:
    """Change the office: the fields in `data` (of EDITABLE) are written and audited with their
    before and after; a change of a payment policy is also named in the entry's note. A new
    logo is stored beside the old one, which documents issued with it still print."""
    office = Office.objects.select_for_update().get(pk=office.pk)
    before = snapshot(office, EDITABLE)
    if "area" in data and area_fixed(office) and data["area"] != office.area:
        # An office's area is the scope of all its users (docs/OFFICE.md, "Many offices"):
        # moving it would hand them another office's records.
        raise ValidationError(
            {
                "area": [
                    _(
                        "The office's area cannot change once other offices share the "
                        "installation; it stays %(area)s."
                    )
                    % {"area": office.area.label}
                ]
            }
        )
    for name, value in data.items():
        if name not in EDITABLE:
            raise ValueError(f"{name} is not a setting of the office")
        if name == "logo" and not value:
            # None: no new file, the logo stays; False: taken off (the file stays for the
            # documents issued with it).
            if value is False:
                office.logo = ""
            continue
        setattr(office, name, value)
    office.full_clean()
    office.save()
    changes = diff(before, snapshot(office, EDITABLE))
    if changes:
        policies = [
            _("%(policy)s: %(before)s → %(after)s")
            % {
                "policy": Office._meta.get_field(name).verbose_name,
                "before": _shown(changes[name][0]),
                "after": _shown(changes[name][1]),
            }
            for name in POLICIES
            if name in changes
        ]
        audit_record(
            by=by,
            action=AuditEntry.Action.UPDATE,
            obj=office,
            changes=changes,
            note=(_("Payment policy changed: ") + "; ".join(policies)) if policies else "",
        )
    _forget()
    return office
