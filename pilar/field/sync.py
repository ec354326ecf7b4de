"""`POST /field/sync/`: one outbox item from a pillar's phone (docs/FIELD.md, "Sync: exactly
once"). Every answer is JSON, never a redirect or an HTML page: the phone's outbox reads it
(signed out: 401, it keeps the item; a failed CSRF check: 403 "csrf", it reloads the token)."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from pilar.accounts.access import Capability, can
from pilar.audit.services import Actor
from pilar.field import services

HOME = "/field/"


def _csrf_failed(request) -> bool:
    """Django's own CSRF check, answered here as JSON instead of its HTML 403 page."""
    check = CsrfViewMiddleware(lambda request: None)
    return check.process_view(request, None, (), {}) is not None


@csrf_exempt  # checked by `_csrf_failed`, after the sign-in
@never_cache
def sync(request):
    if request.method != "POST":
        response = JsonResponse(
            {"status": "method", "message": _("Send outbox items with POST.")}, status=405
        )
        response["Allow"] = "POST"
        return response
    if not request.user.is_authenticated:
        return JsonResponse(
            {
                "status": "signed_out",
                "message": _("You are signed out; sign in again, then sync."),
                "login_url": f"{reverse('accounts:login')}?next={HOME}",
            },
            status=401,
        )
    if _csrf_failed(request):
        return JsonResponse(
            {"status": "csrf", "message": _("The page's security token expired; reload it.")},
            status=403,
        )
    if not (request.user.person_id and can(request.user, Capability.ACTIVITY_RECORD)):
        return JsonResponse(
            {
                "status": "forbidden",
                "message": _("Only a pillar signed in with their own account can send records."),
            },
            status=403,
        )
    try:
        text = request.POST.get("item")
        photo = request.FILES.get("photo")
        sent_at = request.POST.get("sent_at")
    except RequestDataTooBig:
        return _bad(_("The item is too large to be an outbox item."))
    except (MultiPartParserError, TooManyFieldsSent):
        return _bad(_("The request is not an outbox item (its form data cannot be read)."))
    try:
        item = services.parse_item(text)
    except services.BadItem as exc:
        return _bad(exc.message)
    answer = services.accept(
        by=Actor.from_request(request), item=item, photo=photo, sent_at=sent_at
    )
    # Another user's item stays on the phone for its owner: a conflict, not a refusal.
    return JsonResponse(answer, status=409 if answer["status"] == "other_user" else 200)


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"status": "bad_item", "message": message}, status=400)
