from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from pilar.accounts.access import Capability, can


def capability_required(capability: Capability):
    """Anonymous: to the login page. Signed in without the capability: 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, capability):
                raise PermissionDenied(f"no {capability.value}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
