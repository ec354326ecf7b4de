"""What every app's API module needs: who is acting, the role check, and an id in a body."""

from typing import Annotated

from django.core.exceptions import PermissionDenied
from ninja import Field

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor

# An id in a request body: a larger number names no row, and the database would fail on it.
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]


def api_actor(request) -> Actor:
    """The caller, for the audit log, marked as coming through the API."""
    return Actor.from_request(request, source=AuditEntry.Source.API)


def require(request, capability: Capability) -> None:
    """403 unless the caller's roles grant `capability` (scope is the querysets' business)."""
    if not can(request.user, capability):
        raise PermissionDenied
