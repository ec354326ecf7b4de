from functools import cached_property

from pilar.notices.models import Notice


class Bell:
    """The header's bell: the user's unread notices, counted only when the page shows it (one
    query per page)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        return Notice.objects.of(self.user).unread().count()


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
