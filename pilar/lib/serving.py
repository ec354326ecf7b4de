"""gunicorn options that follow from the settings, for `pilar serve` (docs/DEPLOY.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from pilar.lib.clientip import parse_networks

# gunicorn's access line, plus the request's id (pilar/core/requestid.py) at its end.
ACCESS_LOG_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
# A unix socket's path holds at most 107 bytes (108 with the final zero) on Linux.
SOCKET_PATH_MAX = 107


def control_socket_options(data_dir: Path) -> list[str]:
    """gunicorn's control socket in this installation's data directory, not the one in the
    user's home that every gunicorn on the machine would share; off when the path is too long
    for a unix socket."""
    path = Path(data_dir) / "gunicorn.ctl"
    if len(str(path).encode()) > SOCKET_PATH_MAX:
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


def forwarded_options(trusted: list[str]) -> list[str]:
    """Whom gunicorn believes about the scheme (X-Forwarded-Proto: https): the trusted proxies;
    when none is named, gunicorn's own default (this machine: 127.0.0.1 and ::1)."""
    networks = parse_networks(trusted)
    if not networks:
        return []
    shown = [str(n.network_address) if n.num_addresses == 1 else str(n) for n in networks]
    return ["--forwarded-allow-ips", ",".join(shown)]


def gunicorn_options() -> list[str]:
    return [
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        *forwarded_options(settings.PILAR_TRUSTED_PROXIES),
        *control_socket_options(settings.DATA_DIR),
    ]
