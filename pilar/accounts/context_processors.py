from pilar.accounts.access import GRANTS, Capability, roles_of
from pilar.accounts.menu import Menu


def access(request):
    # The user's roles are read once and every capability tested against them: the menu asks
    # for all of them on every page (docs/PERFORMANCE.md, "Load").
    user = getattr(request, "user", None)
    roles = roles_of(user) if user else set()
    caps = {cap.name.lower(): bool(roles & GRANTS[cap]) for cap in Capability} if user else {}
    return {
        "can": caps,
        "menu": Menu(request, caps, roles),
    }
