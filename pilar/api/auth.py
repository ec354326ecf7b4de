from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from ninja.errors import HttpError
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
        if found.has_expired():
            translation.activate(found.user.language)
            when = timezone.localtime(found.expires_at)
            raise HttpError(
                401,
                _("This API token expired on %(date)s; ask for a new one.")
                % {"date": date_format(when, "j F Y H:i")},
            )
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        # The language middleware ran before the token was read: answer in the user's language.
        translation.activate(found.user.language)
        return found.user


class Session(SessionAuth):
    """The browser's session (with CSRF on unsafe methods)."""


AUTH = [BearerToken(), Session()]
