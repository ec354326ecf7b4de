"""The kube part of the JSON API (mounted under /api/v1/)."""

from ninja import Router

router = Router(tags=["kube"])
