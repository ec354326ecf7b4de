"""Logs without certificate codes.

A verification code is the key to a certificate's public page: whoever has the logs would have
every code anyone checked. The logs keep that a certificate was checked, and how it went, but
never the code:

- `RedactingLogger`, gunicorn's access log for `pilar serve`: a request whose (decoded) path is
  a public certificate address is written as `/c/…/` (or `/c/?…`, or the API's
  `/api/v1/certificates/verify/…`), whatever form the URL took — percent-encoded, without the
  slash, with a doubled one or a query. Its address is the client's, read from a trusted proxy's
  header as everywhere else (pilar/lib/clientip.py). Only the default atoms are rewritten: a custom
  `access_log_format` using request or response headers (`{referer}i`, `{location}o`) would
  need the same treatment.
- `RedactCodes`, a logging filter that the trainings app puts on Django's loggers of requests
  (pilar/trainings/apps.py): their warnings ("Not Found: /c/…", "Method Not Allowed (POST):
  /c/…", a CSRF refusal) and runserver's request lines get the same rewriting, for every
  handler.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

from pilar.lib.clientip import client_address

HIDDEN = "…"
FORM = "/c/"
API = "/api/v1/certificates/verify/"
# A public certificate address, as Django routes it (the decoded path).
_PUBLIC_PATH = re.compile(r"^/(?:c|api/v1/certificates/verify)(?:/|$)")
# The same inside any text (a log message, a referrer): the prefix and what follows it up to
# a space or a quote, or a query parameter that may hold a code.
_IN_TEXT = re.compile(r"(/c/|/c\?|/api/v1/certificates/verify/?)[^\s\"']*")


def public_path(path: str | None) -> bool:
    """Whether `path` (decoded, as in PATH_INFO) is a public certificate address."""
    return bool(path) and bool(_PUBLIC_PATH.match(path))


def shown_path(path: str, query: str = "") -> str:
    """What the logs write for a request to the public certificate address `path`."""
    if path.startswith("/api/"):
        return API + HIDDEN
    if path.rstrip("/") == "/c":  # the form at /c/: the typed code is in the query
        return FORM + ("?" + HIDDEN if query else "")
    return FORM + HIDDEN + "/"


def redact(text: str | None) -> str | None:
    """`text` (a log message or a URL) with any public certificate address cut to its
    prefix."""
    if not text:
        return text
    return _IN_TEXT.sub(lambda m: m.group(1).rstrip("?") + HIDDEN, text)


class RedactingLogger(Logger):
    """gunicorn's logger, with the code taken out of the atoms the access log is built from."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        if public_path(path):
            shown = shown_path(path, environ.get("QUERY_STRING") or "")
            atoms["r"] = f"{environ.get('REQUEST_METHOD')} {shown} {environ.get('SERVER_PROTOCOL')}"
            atoms["U"] = shown
            atoms["q"] = HIDDEN if environ.get("QUERY_STRING") else ""
        atoms["f"] = redact(atoms.get("f"))
        # The client's address, not the proxy's (pilar/lib/clientip.py).
        atoms["h"] = client_address(environ) or atoms.get("h", "-")
        return atoms


class RedactCodes(logging.Filter):
    """Rewrite a log record whose message names a public certificate address."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:  # other records keep their template and arguments
            record.msg, record.args = redacted, ()
        return True
