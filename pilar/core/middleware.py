"""Requests carrying a NUL character are refused before any view sees them.

PostgreSQL text cannot hold NUL (it raises an error: a 500), SQLite would store it silently;
no person types one. Forms already refuse it field by field; this covers query strings and the
API's JSON and form bodies, and the fields of multipart forms (files may hold any byte)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _


def _has_nul(request) -> bool:
    if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
        return True
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith(("application/json", "application/x-www-form-urlencoded")):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body or b"%00" in body
    if content_type.startswith("multipart/form-data") and request.method == "POST":
        # The form fields beside the files (a reason, a date); the files may hold any byte.
        return any("\x00" in value for value in request.POST.values())
    return False


def _nul_field(request) -> str:
    """Where in an API request the NUL is: the JSON body's dotted path, or the query string."""
    if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
        return "query"
    if not request.META.get("CONTENT_TYPE", "").startswith("application/json"):
        # A form: the first field holding one (the files of a multipart form may hold any byte).
        return next((key for key, value in request.POST.items() if "\x00" in value), "body")

    def walk(value, path: str) -> str | None:
        if isinstance(value, str):
            return path if "\x00" in value else None
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if "\x00" in str(key):
                    return f"{path}.{key}".lstrip(".")
                found = walk(item, f"{path}.{key}".lstrip("."))
                if found:
                    return found
        return None

    try:
        return walk(json.loads(request.body), "") or "body"
    except (ValueError, RecursionError):
        return "body"


def api_too_big_response() -> JsonResponse:
    """An API body over DATA_UPLOAD_MAX_MEMORY_SIZE: a JSON 413 (Django would answer an HTML 400).
    Files sent as multipart do not count; an import has its own limit (PILAR_IMPORT_MAX_MB)."""
    message = _(
        "The request body is too large: at most %(kb)s KB of JSON (send files as an upload, or "
        "fewer records at once)."
    ) % {"kb": (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // 1024}
    return JsonResponse({"message": message, "errors": {"body": [message]}}, status=413)


# The phones' outbox endpoint (docs/FIELD.md) reads JSON answers only: a broken item is a
# {"status": "bad_item"} 400, never an HTML page.
SYNC_PATH = "/field/sync/"


def unreadable_message() -> str:
    return _("The request is not an outbox item (its form data cannot be read).")


def sync_bad_item(message: str, field: str) -> JsonResponse:
    return JsonResponse(
        {"status": "bad_item", "message": message, "errors": {field: [message]}}, status=400
    )


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        try:
            nul = _has_nul(request)
        except RequestDataTooBig:
            if api:
                return api_too_big_response()
            if request.path == SYNC_PATH:
                return sync_bad_item(_("The item is too large to be an outbox item."), "item")
            raise
        except (MultiPartParserError, TooManyFieldsSent):
            if request.path != SYNC_PATH:
                raise  # a page's unreadable form: Django's own 400
            return sync_bad_item(unreadable_message(), "item")
        if nul:
            message = _("The request holds an invisible NUL character; remove it and try again.")
            if request.path == SYNC_PATH:
                return sync_bad_item(message, _nul_field(request))
            if api:
                field = _nul_field(request)
                return JsonResponse({"message": message, "errors": {field: [message]}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def _control_character_field(request) -> str | None:
    """The first query-string or form field of a page request holding a control character
    other than tab and line breaks (`pilar.lib.params.has_control_characters`)."""
    from pilar.lib.params import has_control_characters

    if request.path.startswith("/api/"):
        return None  # the API checks its own bodies and parameters
    sources = [request.GET]
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sources.append(request.POST)  # the files of a multipart form are not looked at
    for source in sources:
        for key, values in source.lists():
            if has_control_characters(key) or any(has_control_characters(v) for v in values):
                return key
    return None


class RefuseControlCharactersMiddleware:
    """A page's query string or form holding control characters (other than tabs and line
    breaks) is refused with a 400 naming the field: no one types them, and they would be
    stored invisibly or break an export."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import render

        try:
            field = _control_character_field(request)
        except (MultiPartParserError, TooManyFieldsSent):
            if request.path != SYNC_PATH:
                raise  # a page's unreadable form: Django's own 400
            return sync_bad_item(unreadable_message(), "item")
        if field is not None:
            message = _(
                "%(field)s holds invisible control characters; type it again without them."
            ) % {"field": field[:40] or "?"}
            if request.path == SYNC_PATH:
                return sync_bad_item(message, field[:40])
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


class InputErrorMiddleware:
    """A page that met a malformed or out-of-range value in its query string (`InputError`
    from `pilar.lib.params`) answers 400 with the message naming the field, instead of a 500.
    The API answers the same error itself (its ValidationError handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from pilar.lib.params import InputError

        if not isinstance(exception, InputError):
            return None
        message = exception.message_text
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"message": message, "errors": {exception.field: [message]}}, status=400
            )
        return render(request, "400.html", {"message": message}, status=400)


# Only the site's own files: no inline script, style attribute or handler, nothing from
# another origin (README.md, "Security").
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API's documentation page (Swagger UI, served from django-ninja's own static files) sets
# style attributes from its script and draws its icons from data: URLs.
API_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("img-src 'self'", "img-src 'self' data:")
API_DOCS_PATH = "/api/v1/docs"


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy on every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code >= 400:
            return response  # Django's technical error pages style themselves inline
        if "Content-Security-Policy" not in response.headers:
            docs = request.path.rstrip("/") == API_DOCS_PATH
            response.headers["Content-Security-Policy"] = (
                API_DOCS_POLICY if docs else CONTENT_SECURITY_POLICY
            )
        return response
