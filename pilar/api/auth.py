from django.utils import timezone, translation
from ninja.security import HttpBearer, SessionAuth

from pilar.accounts.models import ApiToken, hash_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token is looked up by its SHA-256 digest."""

    def authenticate(self, request, token: str):
        found = (
            ApiToken.objects.live().select_related("user").filter(digest=hash_token(token)).first()
        )
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        # The language middleware ran before the token was read: answer in the user's language.
        translation.activate(found.user.language)
        return found.user


class Session(SessionAuth):
    """The browser's session (with CSRF on unsafe methods)."""


AUTH = [BearerToken(), Session()]
