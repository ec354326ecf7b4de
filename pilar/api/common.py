"""What every app's API module needs: who is acting, and the role check."""

from django.core.exceptions import PermissionDenied

from pilar.accounts.access import Capability, can
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor


def api_actor(request) -> Actor:
    """The caller, for the audit log, marked as coming through the API."""
    return Actor.from_request(request, source=AuditEntry.Source.API)


def require(request, capability: Capability) -> None:
    """403 unless the caller's roles grant `capability` (scope is the querysets' business)."""
    if not can(request.user, capability):
        raise PermissionDenied
