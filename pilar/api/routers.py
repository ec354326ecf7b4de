"""Routers of the apps above the API's root (pilar/core/api.py): an app of the `core` layer
beside it, which the root may not import (.importlinter), registers its router here in its
AppConfig.ready(); `mount()` adds every one registered."""

from __future__ import annotations

from ninja import Router

_routers: list[tuple[str, Router]] = []


def register_router(prefix: str, router: Router) -> None:
    if all(known is not router for _prefix, known in _routers):
        _routers.append((prefix, router))


def registered() -> list[tuple[str, Router]]:
    return list(_routers)
