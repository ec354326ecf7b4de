import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as BaseSessionMiddleware
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def chosen_language(request) -> str:
    """Indonesian unless English was chosen: the signed-in user's stored language, else the
    language cookie (set from the login page), else Indonesian. The browser's Accept-Language is
    ignored on purpose: headless and borrowed browsers would otherwise switch offices to English.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in SUPPORTED else settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


SEEN_KEY = "pilar_seen"


def mark_seen(sender, request, user, **kwargs) -> None:
    """At sign-in the session is saved anyway: note the time of use in it, so the first
    requests after it do not write the session again."""
    request.session[SEEN_KEY] = int(time.time())


class SessionIdleMiddleware:
    """Sliding expiry of signed-in sessions (settings.PILAR_SESSION_IDLE_HOURS).

    A session lives SESSION_COOKIE_AGE from its last save. Saving it on every request
    (SESSION_SAVE_EVERY_REQUEST) would cost a database write per page; instead the time of use
    is written at most once every PILAR_SESSION_REFRESH_SECONDS, which saves the session and
    so moves its expiry (and the cookie's). A session idle for longer than the idle hours has
    expired in the database and the next request is signed out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(SEEN_KEY, 0) >= settings.PILAR_SESSION_REFRESH_SECONDS:
                request._pilar_refresh_only = not session.modified
                session[SEEN_KEY] = now
        return response


class SessionMiddleware(BaseSessionMiddleware):
    """Django's, except that a failed save of a session whose only change is the time of use
    (SessionIdleMiddleware) leaves the page as it is: when the database cannot take the write
    now (SQLite's write lock held by a long import), the refresh waits for a later request
    instead of the page failing with a 400."""

    def process_response(self, request, response):
        try:
            return super().process_response(request, response)
        except SessionInterrupted:
            if getattr(request, "_pilar_refresh_only", False):
                return response
            raise
