"""Requests carrying a NUL character are refused before any view sees them.

PostgreSQL text cannot hold NUL (it raises an error: a 500), SQLite would store it silently;
no person types one. Forms already refuse it field by field; this covers query strings and the
API's JSON and form bodies, and the fields of multipart forms (files may hold any byte)."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
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


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The request holds an invisible NUL character; remove it and try again.")
            if request.path.startswith("/api/"):
                return JsonResponse({"message": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
