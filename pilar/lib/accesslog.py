"""Logs without the secrets some public addresses carry.

A certificate's verification code is the key to its public page: whoever has the logs would
have every code anyone checked. The logs keep that the page was asked for, and how it went, but
never the code. The apps register such addresses (`hide_secrets_under`, in their
AppConfig.ready(): the trainings app its certificate page `/c/` and the API's check,
pilar/trainings/apps.py); this module knows no app's addresses.

- `RedactingLogger`, gunicorn's access log for `pilar serve`: a request whose (decoded) path is
  a registered address is written as `/c/…/` (or `/c/?…` for the form, or
  `/api/v1/certificates/verify/…`), whatever form the URL took — percent-encoded, without the
  slash, with a doubled one or a query. Its address is the client's, read from a trusted proxy's
  header as everywhere else (pilar/lib/clientip.py). Only the default atoms are rewritten: a custom
  `access_log_format` using request or response headers (`{referer}i`, `{location}o`) would
  need the same treatment. The workers load the application (and so register the addresses)
  before they answer a request.
- `RedactCodes`, a logging filter that the trainings app puts on Django's loggers of requests
  (pilar/trainings/apps.py): their warnings ("Not Found: /c/…", "Method Not Allowed (POST):
  /c/…", a CSRF refusal) and runserver's request lines get the same rewriting, for every
  handler.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from gunicorn.glogging import Logger

from pilar.lib.clientip import client_address

HIDDEN = "…"


@dataclass(frozen=True)
class SecretPath:
    """An address whose path after `prefix` (or, for a `form`, whose query) holds a secret."""

    prefix: str  # "/c/": the slash included
    form: bool  # the prefix itself is a form page whose typed secret comes in the query


_SECRET_PATHS: list[SecretPath] = []
_in_text: re.Pattern | None = None


def hide_secrets_under(prefix: str, *, form: bool) -> None:
    """Have the logs cut whatever follows `prefix` (an address ending in a slash) in a request's
    path, and the query too when the prefix itself is a `form`. An app registers its public
    addresses that carry a secret in its AppConfig.ready() (pilar/trainings/apps.py)."""
    global _in_text
    secret = SecretPath(prefix, form)
    if secret in _SECRET_PATHS:
        return
    _SECRET_PATHS.append(secret)
    # A registered address inside any text (a log message, a referrer): the prefix and what
    # follows it up to a space or a quote, or a query parameter that may hold a secret.
    alternatives = []
    for s in _SECRET_PATHS:
        base = re.escape(s.prefix.rstrip("/"))
        alternatives += [f"{base}/", rf"{base}\?"] if s.form else [f"{base}/?"]
    _in_text = re.compile(rf"({'|'.join(alternatives)})[^\s\"']*")


def _secret_of(path: str) -> SecretPath | None:
    """The registered address `path` (decoded, as Django routes it) is, if any."""
    for secret in _SECRET_PATHS:
        base = secret.prefix.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return secret
    return None


def public_path(path: str | None) -> bool:
    """Whether `path` (decoded, as in PATH_INFO) is a registered public address."""
    return bool(path) and _secret_of(path) is not None


def shown_path(path: str, query: str = "") -> str:
    """What the logs write for a request to the registered public address `path`."""
    secret = _secret_of(path)
    if not secret.form:
        return secret.prefix + HIDDEN
    if path.rstrip("/") == secret.prefix.rstrip("/"):  # the form: the typed secret is in the query
        return secret.prefix + ("?" + HIDDEN if query else "")
    return secret.prefix + HIDDEN + "/"


def redact(text: str | None) -> str | None:
    """`text` (a log message or a URL) with any registered public address cut to its
    prefix."""
    if not text or _in_text is None:
        return text
    return _in_text.sub(lambda m: m.group(1).rstrip("?") + HIDDEN, text)


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
    """Rewrite a log record whose message names a registered public address."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:  # other records keep their template and arguments
            record.msg, record.args = redacted, ()
        return True
