from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

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
