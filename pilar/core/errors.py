"""Error reports without personal data (docs/DEPLOY.md, "Errors").

An unexpected error goes to Sentry when SENTRY_DSN is set, else by e-mail to ADMINS, else only to
the server log. Either report says where the code failed, never whom it concerned: it keeps the
request id (to find the full log line on the server), the method and path, the exception's type
and the stack's code; it drops the exception's message, local variables, the request's body,
query string, cookies and headers, the user, and log messages' arguments. What text is kept has
any long number (a NIK, a phone number, an account) and any e-mail address blanked, and a public
certificate address cut (pilar/lib/accesslog.py).

This module is imported by the settings: it must not import models.
"""

from __future__ import annotations

import logging
import re
import traceback
from urllib.parse import urlsplit, urlunsplit

from django.utils.log import AdminEmailHandler

from pilar.core.requestid import current, current_request

# Eight digits or more, perhaps with single spaces, dots or hyphens between them: a NIK (16), a
# phone number (0812-3456-7890, +62 812 3456 7890), a bank account, a NIP (18).
_NUMBER = re.compile(r"\+?\d(?:[\s.-]?\d){7,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER, EMAIL = "[number]", "[email]"
# What a stack frame keeps: where it is and its code, never its variables.
_FRAME_KEYS = (
    "filename",
    "abs_path",
    "module",
    "function",
    "lineno",
    "colno",
    "in_app",
    "context_line",
    "pre_context",
    "post_context",
)
_CONTEXT_KEYS = ("runtime", "os", "trace")
_TOP_KEYS = (
    "event_id",
    "timestamp",
    "platform",
    "level",
    "logger",
    "server_name",
    "release",
    "environment",
    "sdk",
    "transaction",
    "transaction_info",
    "fingerprint",
    "type",
)


def scrub(text):
    """`text` with long numbers and e-mail addresses blanked (other values as they are)."""
    if not isinstance(text, str):
        return text
    return _NUMBER.sub(NUMBER, _EMAIL.sub(EMAIL, text))


def _path(url: str) -> str:
    from pilar.lib.accesslog import redact

    parts = urlsplit(url)
    return scrub(redact(urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))))


def _frames(stacktrace: dict | None) -> dict | None:
    if not stacktrace:
        return None
    frames = [
        {key: scrub_all(frame[key]) for key in _FRAME_KEYS if key in frame}
        for frame in stacktrace.get("frames") or ()
    ]
    return {"frames": frames}


def scrub_all(value):
    if isinstance(value, list):
        return [scrub_all(v) for v in value]
    return scrub(value)


def _exception(exception: dict) -> dict:
    values = []
    for value in exception.get("values") or ():
        kept = {key: value[key] for key in ("type", "module", "mechanism") if key in value}
        # The message may name a person ("... Siti Aminah ..."): the server log has it, under
        # the same request id.
        kept["value"] = ""
        if value.get("stacktrace"):
            kept["stacktrace"] = _frames(value["stacktrace"])
        values.append(kept)
    return {"values": values}


def is_fault(logger: str, has_exception: bool) -> bool:
    """Whether a logged error is worth a report. Not: a 5xx the code answered on purpose
    (/healthz's 503, logged by django.request without an exception), nor what Django's
    security loggers write when it answers a client's bad request with a 400 (an unknown host
    name, a body too large, too many fields): anyone could fill the mailbox with those."""
    if logger == "django.request" and not has_exception:
        return False
    return not (logger == "django.security" or logger.startswith("django.security."))


def _thread(thread: dict) -> dict:
    kept = {k: v for k, v in thread.items() if k in ("id", "name", "crashed", "current")}
    if thread.get("stacktrace"):
        kept["stacktrace"] = _frames(thread["stacktrace"])
    return kept


def before_send(event: dict, hint: dict | None = None) -> dict | None:
    """Sentry's `before_send`: the event rebuilt from what may leave the server."""
    if not is_fault(event.get("logger") or "", bool(event.get("exception"))):
        return None
    kept = {key: event[key] for key in _TOP_KEYS if key in event}
    request_id = current() or (event.get("tags") or {}).get("request_id")
    kept["tags"] = {
        str(k): scrub(v) for k, v in (event.get("tags") or {}).items() if k != "url"
    } | ({"request_id": request_id} if request_id else {})
    request = event.get("request") or {}
    method, path = current_request() or (request.get("method"), request.get("url"))
    kept["request"] = {
        key: value
        for key, value in (
            ("method", method),
            ("url", _path(path) if path else None),
            ("headers", {"X-Request-ID": request_id} if request_id else None),
        )
        if value
    }
    if event.get("exception"):
        kept["exception"] = _exception(event["exception"])
    if event.get("threads"):
        kept["threads"] = {"values": [_thread(t) for t in event["threads"].get("values") or ()]}
    logentry = event.get("logentry") or {}
    if logentry.get("message"):
        # The template ("Import %s failed"), never its arguments.
        kept["logentry"] = {"message": scrub(logentry["message"])}
    elif isinstance(event.get("message"), str):
        kept["message"] = scrub(event["message"])
    kept["contexts"] = {
        key: value for key, value in (event.get("contexts") or {}).items() if key in _CONTEXT_KEYS
    }
    kept["breadcrumbs"] = {
        "values": [
            {k: crumb[k] for k in ("type", "category", "level", "timestamp") if k in crumb}
            for crumb in (event.get("breadcrumbs") or {}).get("values") or ()
        ]
    }
    return kept


def init_sentry(dsn: str, *, environment: str = "", transport=None) -> None:
    """Start reporting errors to Sentry (called by the settings when SENTRY_DSN is set)."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import ignore_logger

    import pilar

    options = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        release=f"pilar@{pilar.__version__}",
        environment=environment or "production",
        # Nothing about the user, no cookies, headers, bodies, query strings, SQL values or
        # local variables (the newer form of send_default_pii=False, and stricter); before_send
        # keeps only what it names, whatever an integration adds.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": ["x-request-id"]}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        before_send=before_send,
        traces_sample_rate=None,
        integrations=[DjangoIntegration()],
        **options,
    )
    # A request for a host name not in ALLOWED_HOSTS is a stranger knocking, not a fault (and
    # before_send drops the other django.security records: is_fault).
    ignore_logger("django.security.DisallowedHost")


def _stack(exc_info) -> list[str]:
    """The stack's places and code, without values (traceback.format_exception would add the
    exception's message)."""
    if not exc_info or not exc_info[2]:
        return []
    lines = []
    for frame in traceback.extract_tb(exc_info[2]):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {scrub(frame.line)}")
    return lines


class AdminErrorEmail(AdminEmailHandler):
    """Mails an error to ADMINS without personal data: no request body, query, cookies, headers,
    user or local variables (Django's own mail holds them all), and no exception message."""

    def emit(self, record: logging.LogRecord) -> None:
        if not is_fault(record.name, bool(record.exc_info)):
            return
        request = getattr(record, "request", None)
        request_id = (
            getattr(record, "request_id", None)
            or getattr(request, "request_id", None)
            or current()
            or "-"
        )
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        path = _path(request.path) if request is not None else "-"
        method = getattr(request, "method", "-") if request is not None else "-"
        subject = f"{exc_type or record.levelname} at {path} (request {request_id})"
        body = [
            f"Request id: {request_id}",
            f"Request: {method} {path}",
            f"Logger: {record.name}",
            f"Message: {scrub(str(record.msg))}",
            f"Exception: {exc_type or '-'}",
            "",
            "Look for the request id in the server log for the whole message.",
        ]
        stack = _stack(record.exc_info)
        if stack:
            body += ["", "Traceback (code only):", *stack]
        # (Not scrubbed again: the path is, and a request id may hold eight digits in a row.)
        subject = " ".join(subject.split())[:200]
        self.send_mail(subject, "\n".join(body), fail_silently=True)
