"""`{% field_head %}` in base.html: the installable app's links, and for a signed-in user the
outbox script with what it needs (docs/FIELD.md, "Installable and offline")."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.html import format_html, json_script

from pilar.field import offline
from pilar.field.access import is_field_pillar
from pilar.field.views import THEME_COLOUR

register = template.Library()


def _megabytes(size: int) -> str:
    return f"{number_format(size / (1024 * 1024), 1)} MB"


def _sync_url() -> str:
    try:
        return reverse("field:sync")
    except NoReverseMatch:  # the endpoint's URL as the shared contract fixes it (docs/FIELD.md)
        return "/field/sync/"


@register.simple_tag(takes_context=True)
def field_head(context) -> str:
    request = context.get("request")
    links = format_html(
        '<link rel="manifest" href="{}">\n<link rel="apple-touch-icon" href="{}">\n'
        '<meta name="theme-color" content="{}">\n',
        reverse("field:manifest"),
        static("pilar/icons/apple-touch-icon.png"),
        THEME_COLOUR,
    )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return links
    if not is_field_pillar(user):
        # No offline copies for anyone else: the script registers the worker (web push needs
        # it) and removes the copies a pillar left on this phone; the worker keeps none.
        config = {
            "pillar": False,
            "user": user.pk,
            "sw_url": reverse("field:sw"),
            "push_unsubscribe_url": reverse("accounts:push-unsubscribe"),
        }
    else:
        config = {
            "pillar": True,
            "lang": translation.get_language() or "id",
            "user": user.pk,
            "person": user.person_id,
            "sw_url": reverse("field:sw"),
            "push_unsubscribe_url": reverse("accounts:push-unsubscribe"),
            "sync_url": _sync_url(),
            "field_url": reverse("field:home"),
            "login_url": reverse("accounts:login") + "?next=" + reverse("field:home"),
            "reports_url": reverse("casework:my-reports"),
            "activity_url": reverse("casework:activity-create"),
            "pages": offline.page_urls(),
            "photo_max": settings.PILAR_PHOTO_MAX_BYTES,
            "photo_max_label": _megabytes(settings.PILAR_PHOTO_MAX_BYTES),
            "strings": offline.client_strings(),
        }
    return links + format_html(
        '{}\n<script src="{}" defer></script>',
        json_script(config, "pilar-field"),
        static("pilar/outbox.js"),
    )
