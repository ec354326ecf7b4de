from django.conf import settings

from pilar.accounts.access import Capability, can


def access(request):
    user = getattr(request, "user", None)
    caps = {cap.name.lower(): can(user, cap) for cap in Capability} if user else {}
    return {
        "can": caps,
        "office_name": settings.PILAR_OFFICE_NAME,
        "office_address": settings.PILAR_OFFICE_ADDRESS,
    }
