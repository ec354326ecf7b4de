"""Log filters for the server log (settings.LOGGING).

A refusal (403) is an ordinary answer, not a fault: Django's `django.request` logger writes each
PermissionDenied with its whole traceback, which buries the faults that matter. `OneLineForbidden`
turns such a record into one line: method, path, user id and the reason given."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class OneLineForbidden(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "one_line", False):
            # Logging configured twice (django.setup() again, as the command line and some
            # test tools do) adds a second filter; the record is already one line.
            return True
        exc = record.exc_info[1] if record.exc_info else None
        # A PermissionDenied raised by a page, or a 403 answered by the API (its handler turns
        # the exception into JSON; Django then logs the status alone).
        if not isinstance(exc, PermissionDenied) and getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        user_id = user.pk if getattr(user, "is_authenticated", False) else "-"
        reason = " ".join(str(exc or "").split())[:200] or "permission denied"
        record.msg = "Forbidden: %s %s user=%s reason=%s"
        record.args = (
            getattr(request, "method", "-"),
            getattr(request, "path", "-"),
            user_id,
            reason,
        )
        record.exc_info = None
        record.exc_text = None
        record.one_line = True
        return True
