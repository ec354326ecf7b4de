from django.utils.functional import SimpleLazyObject

from pilar.accounts.access import GRANTS, Capability, roles_of
from pilar.accounts.menu import Menu
from pilar.offices import current


def access(request):
    # The user's roles are read once and every capability tested against them: the menu asks
    # for all of them on every page (docs/PERFORMANCE.md, "Load").
    user = getattr(request, "user", None)
    roles = roles_of(user) if user else set()
    caps = {cap.name.lower(): bool(roles & GRANTS[cap]) for cap in Capability} if user else {}
    return {
        "can": caps,
        "menu": Menu(request, caps, roles),
        # The office's name and address in the page header: read when the page shows them,
        # once per request (pilar.offices.services.OfficeMiddleware).
        "office_name": SimpleLazyObject(lambda: current().name),
        "office_address": SimpleLazyObject(lambda: current().address),
    }
