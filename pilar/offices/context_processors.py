from django.utils.functional import SimpleLazyObject

from pilar.offices import current


def office(request):
    # The office's name and address in the page header: read when the page shows them, once
    # per request (pilar.offices.services.OfficeMiddleware).
    return {
        "office_name": SimpleLazyObject(lambda: current().name),
        "office_address": SimpleLazyObject(lambda: current().address),
    }
