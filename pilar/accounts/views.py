import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilar.accounts import push
from pilar.accounts.access import Capability, can
from pilar.accounts.forms import LanguageForm, ThrottledLoginForm
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            by=Actor.from_request(self.request), action=AuditEntry.Action.LOGIN, obj=form.get_user()
        )
        return response


@require_POST
def set_language(request):
    """Store the chosen language on the user (and in a cookie for the login page)."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    # Only a path on this site: redirect() would read any other word as a view's name.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        target = "/"
    response = redirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
    return response


@login_required
def home(request):
    """Where a signed-in user starts: the headcount, or for a field volunteer the month's
    reports with the button to record an activity (their own record is one tap away)."""
    if can(request.user, Capability.HEADCOUNT_VIEW):
        return redirect("registry:headcount")
    if request.user.person_id and can(request.user, Capability.ACTIVITY_RECORD):
        return redirect("casework:my-reports")
    if request.user.person_id and can(request.user, Capability.PEOPLE_VIEW):
        return redirect("registry:person-detail", request.user.person_id)
    return render(request, "accounts/no_role.html", status=200)


# ---- Web push (docs/NOTICES.md, "Web push"): JSON in, JSON out, for pilar/static/pilar/push.js.

PUSH_SESSION_KEY = "push_endpoint"


def _signed_out() -> JsonResponse:
    return JsonResponse(
        {"status": "signed_out", "login_url": resolve_url(settings.LOGIN_URL)}, status=401
    )


def _json_body(request):
    """The JSON body, or None when the request holds none (a form post, bad JSON)."""
    if request.content_type != "application/json":
        return None
    try:
        return json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        return None


@login_required
def push_key(request):
    """The server's public key, for pushManager.subscribe() (applicationServerKey), and which
    browsers have this user's notifications on (SHA-256 of their endpoints: push.js compares its
    own, so the button says "on" only where this user's notifications arrive)."""
    return JsonResponse({"key": push.public_key(), "mine": push.endpoint_digests(request.user)})


@require_POST
def push_subscribe(request):
    """Turn notifications on for this browser: the body is PushSubscription.toJSON()."""
    if not request.user.is_authenticated:
        return _signed_out()
    try:
        data = push.parse_subscription(_json_body(request))
    except push.SubscriptionError as error:
        errors = {error.field: [error.message]}
        return JsonResponse(
            {"status": "refused", "message": error.message, "errors": errors}, status=400
        )
    _row, created = push.push_subscription_save(
        user=request.user, data=data, user_agent=request.headers.get("User-Agent", "")
    )
    # Signing out on this browser turns its notifications off (LogoutView below).
    request.session[PUSH_SESSION_KEY] = data.endpoint
    return JsonResponse({"status": "subscribed", "created": created})


@require_POST
def push_unsubscribe(request):
    """Turn notifications off for this browser: the body holds its endpoint."""
    if not request.user.is_authenticated:
        return _signed_out()
    data = _json_body(request)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint.strip():
        message = _("endpoint: the push address is missing.")
        return JsonResponse(
            {"status": "refused", "message": message, "errors": {"endpoint": [message]}},
            status=400,
        )
    removed = push.push_subscription_delete(user=request.user, endpoint=endpoint.strip())
    request.session.pop(PUSH_SESSION_KEY, None)
    return JsonResponse({"status": "unsubscribed", "removed": removed})


class LogoutView(auth_views.LogoutView):
    """Django's, and this browser's notifications stop: on a phone shared by several people, the
    next one to use it must not see the previous user's reminders."""

    def post(self, request, *args, **kwargs):
        endpoint = request.session.get(PUSH_SESSION_KEY)
        if endpoint and request.user.is_authenticated:
            push.push_subscription_delete(user=request.user, endpoint=endpoint)
        return super().post(request, *args, **kwargs)
