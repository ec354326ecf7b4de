"""What the service worker keeps on a pillar's phone (docs/FIELD.md, "Installable and offline"):
the pillar's own pages and the static files they load. Nothing else is kept (docs/PRIVACY.md)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The pages a pillar opens with no signal, by URL name: a copy of each is kept as last seen.
OFFLINE_PAGES = [
    "field:home",
    "casework:activity-create",
    "casework:household-list",
    "casework:my-reports",
    "casework:follow-ups",
    "stipends:mine",
]

# Every script and style those pages load, and the icons the installed app shows. The budget
# (docs/FIELD.md, "Budget") counts the scripts and styles of this list plus the worker itself.
OFFLINE_STATIC = [
    "pilar/pilar.css",
    "pilar/outbox.js",
    "pilar/activity.js",
    "pilar/favicon.svg",
    "pilar/icons/icon-192.png",
]

# Scripts the worker loads with importScripts (static paths): web push's handlers (docs/NOTICES.md).
SW_IMPORTS: list[str] = ["pilar/sw-push.js"]

BUDGET_BYTES = 150 * 1024


def page_urls() -> list[str]:
    return [reverse(name) for name in OFFLINE_PAGES]


def static_urls() -> list[str]:
    """The hashed URLs (WhiteNoise's manifest, docs/DEPLOY.md) the worker precaches."""
    return [static(path) for path in OFFLINE_STATIC]


def budget_files() -> list[str]:
    """The files on disk of the offline pages' scripts and styles, for the budget test."""
    paths = [p for p in OFFLINE_STATIC + SW_IMPORTS if p.endswith((".js", ".css"))]
    return [finders.find(p) for p in paths]


def _counted(key: str, sentence) -> dict[str, str]:
    """A counted sentence for the script: `key` for one, `key_many` for more (the script picks);
    `sentence(n)` calls ngettext with the literal msgids (so that makemessages finds them)."""
    return {key: sentence(1), f"{key}_many": sentence(2)}


def client_strings() -> dict[str, str]:
    """The outbox's words, translated like every other string (pilar/static/pilar/outbox.js
    reads them from the page)."""
    return {
        "offline_copy": _("Offline — data as of %(time)s"),
        "saved_here": _("Saved on this phone; it will be sent when there is signal."),
        "saved": _("Saved: %(what)s on %(day)s."),
        "follow_up_done": _("Follow-up marked done."),
        "note_saved": _("Note saved."),
        **_counted(
            "sign_in_again",
            lambda n: ngettext(
                "Sign in again to send %(count)s item",
                "Sign in again to send %(count)s items",
                n,
            ),
        ),
        "sign_in": _("Sign in"),
        **_counted(
            "other_user",
            lambda n: ngettext(
                "%(count)s item waits for another user to sign in.",
                "%(count)s items wait for another user to sign in.",
                n,
            ),
        ),
        **_counted(
            "logout_warn",
            lambda n: ngettext(
                "%(count)s item recorded on this phone has not been sent yet. It stays on this"
                " phone and is sent after you sign in again. Sign out now?",
                "%(count)s items recorded on this phone have not been sent yet. They stay on this"
                " phone and are sent after you sign in again. Sign out now?",
                n,
            ),
        ),
        "photo_too_big": _(
            "Photo: this photo is %(size)s, larger than the %(max)s allowed. Take it again at a"
            " lower resolution or choose a smaller one."
        ),
        "required": _("This field is required."),
        "waiting": _("Waiting to be sent"),
        "accepted": _("Sent"),
        "refused": _("Refused"),
        "duplicate": _("already received before"),
        "open": _("Open it"),
        **_counted(
            "waiting_count",
            lambda n: ngettext(
                "%(count)s item waits to be sent.", "%(count)s items wait to be sent.", n
            ),
        ),
        "server_error": _("Server error — will be tried again later."),
        **_counted(
            "server_error_count",
            lambda n: ngettext(
                "%(count)s item met a server error and will be tried again later.",
                "%(count)s items met a server error and will be tried again later.",
                n,
            ),
        ),
        "fix": _("Fix"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this item? It will not be sent."),
        "nothing_waits": _("Nothing waits to be sent."),
        "syncing": _("Sending…"),
        "synced": _("Everything is sent."),
        "no_signal": _("No signal: the items wait on this phone."),
        "forbidden": _("This account may not send field records."),
        "cached": _("Ready for use without signal: copies of %(count)s pages as of %(time)s."),
        "type_activity": _("Activity"),
        "type_follow_up": _("Follow-up done"),
        "type_note": _("Household note"),
        "recorded": _("recorded %(time)s"),
    }
