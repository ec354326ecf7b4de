"""The bell's pages: the user's own notices and their switches. Every signed-in user has them;
nobody sees another's notice (the queryset is the user's own: another's id is 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pilar.notices import services
from pilar.notices.forms import SettingsForm
from pilar.notices.models import Notice

PAGE_SIZE = 30


@login_required
def notice_list(request):
    notices = Notice.objects.of(request.user).order_by("-created_at", "-pk")
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notices/notice_list.html",
        {"page": page, "unread": Notice.objects.of(request.user).unread().count(), "query": ""},
    )


def _own(request, pk: int) -> Notice:
    return get_object_or_404(Notice.objects.of(request.user), pk=pk)


@login_required
def notice_open(request, pk: int):
    """Mark the notice read and go to its page (the link in the list, e-mails and push)."""
    notice = _own(request, pk)
    if notice.read_at is None:
        services.notice_mark_read(user=request.user, notice=notice)
    url = notice.url
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        url = "notices:list"
    return redirect(url)


@require_POST
@login_required
def notice_read(request, pk: int):
    services.notice_mark_read(user=request.user, notice=_own(request, pk), read=True)
    return redirect(_back(request))


@require_POST
@login_required
def notice_unread(request, pk: int):
    services.notice_mark_read(user=request.user, notice=_own(request, pk), read=False)
    return redirect(_back(request))


@require_POST
@login_required
def notices_read_all(request):
    n = services.notices_mark_all_read(user=request.user)
    if n:
        messages.success(request, _("Every notice is marked read."))
    return redirect("notices:list")


def _back(request) -> str:
    page = request.POST.get("page", "")
    url = reverse("notices:list")
    if page.isdigit():
        url += f"?page={page}"
    return url


@login_required
def notice_settings(request):
    current = services.settings_of(request.user)
    form = SettingsForm(request.POST or None, user=request.user, current=current)
    if request.method == "POST" and form.is_valid():
        services.notice_settings_save(user=request.user, values=form.cleaned_data)
        messages.success(request, _("Your reminder settings are saved."))
        return redirect("notices:settings")
    return render(request, "notices/settings.html", {"form": form})
