"""The JSON API at /api/v1/: the same services and scoped querysets as the pages."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from pilar.api.auth import AUTH

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Pilar API",
    version="1",
    description=(
        "Registry of social pillars: areas, people, duties, headcounts, roster imports, "
        "casework, KUBE, Tagana, tali kasih (stipends), trainings, certificates and equipment."
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return api.create_response(request, {"message": message, "errors": errors}, status=400)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        field = ".".join(str(p) for p in err.get("loc", [])[1:]) or "__all__"
        errors.setdefault(field, []).append(err.get("msg", ""))
    message = _("Invalid input: %(fields)s. Check the values and their format.") % {
        "fields": ", ".join(errors)
    }
    return api.create_response(request, {"message": message, "errors": errors}, status=422)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(
        request, {"message": _("Your role does not allow this.")}, status=403
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"message": _("Not found.")}, status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    # e.g. a failed CSRF check on a session-authenticated write
    message = str(exc)
    if "CSRF" in message:
        message = _("The form's security token is missing or old; reload the page and try again.")
    return api.create_response(request, {"message": message}, status=exc.status_code)


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    logger.exception("API error on %s", request.path)
    return api.create_response(
        request,
        {"message": _("Something went wrong on the server; the change was not saved.")},
        status=500,
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(
        request,
        {"message": _("Sign in, or send an API token as 'Authorization: Bearer <token>'.")},
        status=401,
    )


def mount() -> NinjaAPI:
    from pilar.casework.api import router as casework_router
    from pilar.equipment.api import router as equipment_router
    from pilar.imports.api import router as imports_router
    from pilar.kube.api import router as kube_router
    from pilar.regions.api import router as regions_router
    from pilar.registry.api import router as registry_router
    from pilar.stipends.api import router as stipends_router
    from pilar.tagana.api import router as tagana_router
    from pilar.trainings.api import router as trainings_router
    from pilar.trainings.certificate_api import router as certificates_router

    api.add_router("/", regions_router)
    api.add_router("/", registry_router)
    api.add_router("/", imports_router)
    api.add_router("/", casework_router)
    api.add_router("/kube", kube_router)
    api.add_router("/tagana", tagana_router)
    api.add_router("/stipends", stipends_router)
    api.add_router("/trainings", trainings_router)
    api.add_router("/certificates", certificates_router)
    api.add_router("/equipment", equipment_router)
    return api
