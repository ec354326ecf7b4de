"""The access log of `pilar serve` (gunicorn), without certificate codes.

A verification code is the key to a certificate's public page: whoever has the log would have
every code anyone checked. The log keeps that a certificate was checked, and how it went, but
writes `/c/…/` instead of the code — in the path, the request line, the query (`?code=` of the
form at `/c/`) and the referrer.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

HIDDEN = "…"
_PATH = re.compile(r"(/c/|/api/v1/certificates/verify/)[^/?#\s]+")
_QUERY = re.compile(r"((?:^|[?&])code=)[^&#\s]*")


def redact(text: str | None) -> str | None:
    """`text` (a path, request line, query string or URL of a public certificate page) with
    any certificate code replaced."""
    if not text:
        return text
    return _QUERY.sub(rf"\g<1>{HIDDEN}", _PATH.sub(rf"\g<1>{HIDDEN}", text))


def _public(text: str | None) -> bool:
    return bool(text) and ("/c/" in text or "/api/v1/certificates/verify/" in text)


class RedactingLogger(Logger):
    """gunicorn's logger, with the code taken out of the atoms the access log is built from."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if _public(environ.get("PATH_INFO")):
            for key in ("r", "U", "q"):
                atoms[key] = redact(atoms.get(key))
        if _public(atoms.get("f")):
            atoms["f"] = redact(atoms["f"])
        return atoms
