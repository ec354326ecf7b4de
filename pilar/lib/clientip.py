"""The address of the client behind a request, the one answer for every reader (login
throttling, the audit log, the access log).

A request that came straight from a client carries its address in REMOTE_ADDR. Behind a reverse
proxy REMOTE_ADDR is the proxy's, and the proxy appends the address it saw to X-Forwarded-For.
That header is believed only when REMOTE_ADDR is one of settings.PILAR_TRUSTED_PROXIES (see
docs/DEPLOY.md): then the header is read from the right, skipping our own proxies, and the first
address that is not one of them is the client. Whatever a client wrote into the header itself
lies to the left of that address and is never read. Anything that is not an address ends the
walk at the last hop we could trust.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured

# More hops than any real chain of proxies; a longer header is not walked further.
MAX_HOPS = 20


def parse_networks(values: Iterable[str], *, setting: str = "PILAR_TRUSTED_PROXIES") -> tuple:
    """`["127.0.0.1", "10.0.0.0/8", "::1"]` as networks; a malformed entry fails loudly."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{setting}: {value!r} is not an IP address or network (such as 127.0.0.1 or "
                "10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:51234
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen by a dual-stack proxy arrives as ::ffff:203.0.113.9.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address, networks: tuple) -> bool:
    return any(address in network for network in networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple:
    return parse_networks(values)


def trusted_networks() -> tuple:
    from django.conf import settings

    return _networks(tuple(getattr(settings, "PILAR_TRUSTED_PROXIES", ())))


def from_trusted_proxy(meta: Mapping) -> bool:
    """Whether the request came straight from one of our proxies."""
    networks = trusted_networks()
    peer = _address(meta.get("REMOTE_ADDR") or "")
    return bool(networks) and peer is not None and _trusted(peer, networks)


def client_address(meta: Mapping) -> str | None:
    """The client's address for a request's META (or a WSGI environ)."""
    remote = meta.get("REMOTE_ADDR") or None
    networks = trusted_networks()
    peer = _address(remote or "")
    if not networks or peer is None or not _trusted(peer, networks):
        return remote
    client = peer
    hops = (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    for hop in reversed(hops[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_ip(request) -> str | None:
    """The client's address for a Django request."""
    return client_address(request.META)
