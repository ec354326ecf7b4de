"""A request id on every request, its answer and every log line written while it is served.

A user who meets the error page quotes the id shown there; the administrator finds the same id in
the server log (the access line and any error), and in the error report (docs/DEPLOY.md,
"Errors"). A reverse proxy that already gives each request an id (Caddy, nginx's $request_id)
passes it as X-Request-ID: taken as is when the request came from a trusted proxy and the id is a
plain token, else replaced by a new one, so a client can neither forge an id nor write control
characters or a megabyte of text into the log.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets

from pilar.lib.clientip import from_trusted_proxy

HEADER = "X-Request-ID"
# Letters, digits, dot, underscore and hyphen, at most 64 (a UUID is 36, nginx's id 32).
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# (id, method, path) of the request being served in this thread.
_current: contextvars.ContextVar[tuple[str, str, str] | None] = contextvars.ContextVar(
    "request_id", default=None
)


def new_id() -> str:
    return secrets.token_hex(8)


def sane(value: str | None) -> str | None:
    """`value` when it is a plain token fit for a log line, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def current() -> str | None:
    """The id of the request being served in this thread, if any."""
    served = _current.get()
    return served[0] if served else None


def current_request() -> tuple[str, str] | None:
    """The method and path of the request being served in this thread, if any."""
    served = _current.get()
    return served[1:] if served else None


class RequestIdMiddleware:
    """Outermost: the id is known to every other middleware, the views and the error pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID")
        request_id = (sane(given) if from_trusted_proxy(request.META) else None) or new_id()
        request.request_id = request_id
        token = _current.set((request_id, request.method or "-", request.path))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on each record ("-" outside a request) for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current() or "-"
        return True
