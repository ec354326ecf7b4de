"""The JSON API at /api/v1/: the same services and scoped querysets as the pages. Each app
writes its own router; this module, at the top of the layers, mounts them all on one NinjaAPI
with its error answers (the plumbing they share, tokens and common parameters, is pilar/api)."""

import json
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.parser import Parser
from ninja.schema import NinjaGenerateJsonSchema

import pilar.casework.api
import pilar.dtsen.api
import pilar.equipment.api
import pilar.imports.api
import pilar.kube.api
import pilar.offices.api
import pilar.regions.api
import pilar.registry.api
import pilar.stipends.api
import pilar.tagana.api
import pilar.trainings.api
import pilar.trainings.certificates.api
import pilar.verivali.api
from pilar.api.auth import AUTH
from pilar.api.common import ErrorOut, refusal
from pilar.api.routers import registered
from pilar.core.middleware import api_too_big_response

logger = logging.getLogger(__name__)


class BodyError(ValueError):
    """A request body that is not one JSON object with distinct keys."""


def _distinct_keys(pairs: list[tuple[str, object]]) -> dict:
    data = dict(pairs)
    if len(data) == len(pairs):
        return data
    # A key twice (checked in linear time: a body may hold many keys).
    seen: set[str] = set()
    twice: set[str] = set()
    for key, _value in pairs:
        (twice if key in seen else seen).add(key)
    raise BodyError(
        _("The body names %(keys)s more than once; send each field once.")
        % {"keys": ", ".join(sorted(twice))[:200]}
    )


def _no_constant(name: str):
    # NaN and Infinity are not JSON, though Python's parser reads them.
    raise BodyError(_("The body is not valid JSON (%(error)s).") % {"error": name})


class StrictJsonParser(Parser):
    """A body is one JSON object whose keys are distinct: with a key twice, json.loads would keep
    the last value silently, and an array where an object belongs would be read field by field.
    """

    def parse_body(self, request):
        try:
            data = json.loads(
                request.body, object_pairs_hook=_distinct_keys, parse_constant=_no_constant
            )
        except BodyError:
            raise
        except RecursionError as exc:
            raise BodyError(_("The body is nested too deeply.")) from exc
        except ValueError as exc:
            raise BodyError(
                _("The body is not valid JSON (%(error)s).") % {"error": str(exc)[:200]}
            ) from exc
        if not isinstance(data, dict):
            raise BodyError(_("The body must be one JSON object, {...}."))
        return data


ERROR_STATUSES = {
    400: "The input breaks a rule (the message says which, `errors` names the fields).",
    401: "Not signed in: send a session cookie or 'Authorization: Bearer <token>'.",
    403: "The caller's role does not allow this.",
    404: "No such record within the caller's scope.",
    409: "The record changed meanwhile (a job is running on it); reload and try again.",
    413: "The request body is larger than the server accepts.",
    429: "Too many requests from this address; wait the seconds in Retry-After.",
    422: "A value is malformed or out of bounds (`errors` names each field).",
}


class PilarOpenAPISchema(OpenAPISchema):
    """The OpenAPI document, with two additions: every operation lists the error statuses it can
    answer (all in the one ErrorOut shape), and two different schemas can never share a component
    name (django-ninja would let the later one overwrite the earlier)."""

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, schema in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != schema:
                raise ValueError(
                    f"Two different schemas are named {name!r} in the OpenAPI document: "
                    "give one of them a unique class name."
                )
        super().add_schema_definitions(definitions)

    def responses(self, operation) -> dict:
        result = super().responses(operation)
        error = ErrorOut.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
        )
        self.add_schema_definitions({"ErrorOut": error})
        sources = {m.__ninja_param_source__ for m in operation.models}
        # (409 only where a view declares it in its `response`, with its own schema.)
        statuses = {400, 403}
        if operation.auth_callbacks:
            statuses.add(401)
        if sources & {"path", "body", "form", "file"}:
            # a path's id, or one named in the body (a person, a household), outside the scope
            statuses.add(404)
        if sources:
            statuses.add(422)
        if sources & {"body", "form", "file"}:
            statuses.add(413)
        if not operation.auth_callbacks:
            statuses.discard(403)
        for status in sorted(statuses):
            result.setdefault(
                status,
                {
                    "description": ERROR_STATUSES[status],
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF_TEMPLATE.format(model="ErrorOut")}
                        }
                    },
                },
            )
        return result


class PilarAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return PilarOpenAPISchema(self, path_prefix)


api = PilarAPI(
    title="Pilar API",
    version="1",
    description=(
        "Registry of social pillars: areas, people, duties, headcounts, roster imports, "
        "casework, KUBE, Tagana, tali kasih (stipends), trainings, certificates and equipment."
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    parser=StrictJsonParser(),
)


class VersionOut(Schema):
    version: str = Field(description="Pilar's release, as in the page footer (0.22.0)")
    api: str = Field(description="The API's version, as in its address (/api/v1/)")


@api.get("/version", response=VersionOut, summary="The release of Pilar answering", tags=["meta"])
def version(request):
    import pilar

    return {"version": pilar.__version__, "api": api.version}


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    # Usually answered earlier, by RefuseNulMiddleware, the first to read the body.
    return api_too_big_response()


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return api.create_response(request, refusal(exc), status=400)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        # loc is ("query", "offset") or ("body", "payload", "lines", 0, "quantity"): name the
        # field as the caller wrote it, without the view's argument name ("lines.0.quantity").
        loc = list(err.get("loc", []))
        loc = loc[2:] if loc[:1] == ["body"] else loc[1:]
        field = ".".join(str(p) for p in loc) or "__all__"
        # Our own validators' messages (pilar.api.common) stand as written, translated.
        cause = (err.get("ctx") or {}).get("error")
        text = str(cause) if err.get("type") == "value_error" and cause else err.get("msg", "")
        errors.setdefault(field, []).append(text)
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
    message, errors = str(exc), {}
    if isinstance(exc.__cause__, BodyError):
        # The parser's own message: what is wrong with the body.
        message = str(exc.__cause__)
        errors = {"body": [message]}
    if "CSRF" in message:
        message = _("The form's security token is missing or old; reload the page and try again.")
    return api.create_response(
        request, {"message": message, "errors": errors}, status=exc.status_code
    )


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
    api.add_router("/", pilar.regions.api.router)
    api.add_router("/", pilar.offices.api.router)
    api.add_router("/", pilar.registry.api.router)
    api.add_router("/", pilar.imports.api.router)
    api.add_router("/", pilar.casework.api.router)
    api.add_router("/household-imports", pilar.dtsen.api.router)
    api.add_router("/kube", pilar.kube.api.router)
    api.add_router("/tagana", pilar.tagana.api.router)
    api.add_router("/stipends", pilar.stipends.api.router)
    api.add_router("/trainings", pilar.trainings.api.router)
    api.add_router("/certificates", pilar.trainings.certificates.api.router)
    api.add_router("/equipment", pilar.equipment.api.router)
    api.add_router("/verivali", pilar.verivali.api.router)
    # Routers of apps beside this one (the public figures, pilar/publik/api.py).
    for prefix, router in registered():
        api.add_router(prefix, router)
    return api
