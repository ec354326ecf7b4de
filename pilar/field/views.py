"""The installable app's pages (docs/FIELD.md, "Installable and offline", "The outbox"): the
outbox and home of the app, the service worker and the web app manifest."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pilar.casework.models import Household
from pilar.casework.views.common import head_name
from pilar.field import offline
from pilar.field.access import is_field_pillar


@login_required
def home(request):
    """The outbox: what waits on this phone, what was sent, what was refused; a household note;
    the pillar's offline pages. The lists are drawn by pilar/static/pilar/outbox.js from the
    phone's own store: the server never sees what has not been sent."""
    if not is_field_pillar(request.user):
        raise PermissionDenied("not a pillar")
    households = list(
        Household.objects.filter(
            caseloads__person_id=request.user.person_id, caseloads__end_date__isnull=True
        )
        .annotate(head_name=head_name())
        .order_by("head_name", "pk")
    )
    return render(
        request,
        "field/home.html",
        {"households": households, "today": timezone.localdate()},
    )


@require_GET
def service_worker(request):
    """The service worker, served from /field/ with the right to control the whole site
    (Service-Worker-Allowed), never cached by the browser's HTTP cache so that a new release's
    hashed files reach the phone on its next visit."""
    statics = offline.static_urls()
    imports = [static(path) for path in offline.SW_IMPORTS]
    version = hashlib.sha256("\n".join([*statics, *imports]).encode()).hexdigest()[:12]
    body = render_to_string(
        "field/sw.js",
        {
            "SW_IMPORTS": imports,
            "config": mark_safe(  # noqa: S308 - JSON of our own URLs, in a script file
                json.dumps(
                    {
                        "version": version,
                        "pages": offline.page_urls(),
                        "statics": statics,
                        "imports": imports,
                        "fallback": reverse("field:home"),
                        "outbox": static("pilar/outbox.js"),
                        "icon": static("pilar/icons/icon-192.png"),
                        "offline_days": settings.PILAR_OFFLINE_DAYS,
                    }
                )
            ),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The web app manifest: Pilar installed on the home screen opens the outbox."""
    icons = [
        {"src": static("pilar/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("pilar/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("pilar/icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    data = {
        "name": "Pilar",
        "short_name": "Pilar Lapangan",
        "description": _("Record field work, with or without signal."),
        "lang": "id",
        "start_url": reverse("field:home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f8",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


THEME_COLOUR = "#0b5d7a"  # --brand in pilar/static/pilar/pilar.css
