"""A form that creates something is saved once, however often it is sent.

A double click, or a reload that posts the form again, sends the same body twice within a
moment; each would otherwise save its own activity, receipt, handover or event. A view
decorated with `submit_once` remembers (in the database, so that every web worker sees it)
the fingerprint of each post — who sent it, to which address, with which fields — for
`WINDOW`. The same post again within the window is not run again: it is redirected to the
first one's result with a message, or, while the first is still being saved, back to the page.
A post that did not save (the form showed errors) is forgotten at once, so that sending it
again after a correction works. See docs/INPUT.md.
"""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from pilar.accounts.models import SubmittedForm

WINDOW = datetime.timedelta(seconds=30)


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.user.pk}\0{request.path}\0".encode())
    for key in sorted(request.POST):
        if key == "csrfmiddlewaretoken":
            continue
        digest.update(f"{key}\0{request.POST.getlist(key)!r}\0".encode())
    for key in sorted(request.FILES):
        for upload in request.FILES.getlist(key):
            # The content, not only the name and size: a roster corrected by one digit and sent
            # again is another post.
            digest.update(f"{key}\0{upload.name}\0{upload.size}\0".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def submit_once(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        key = _fingerprint(request)
        SubmittedForm.objects.filter(created_at__lt=timezone.now() - WINDOW).delete()
        try:
            with transaction.atomic():
                seen = SubmittedForm.objects.create(key=key)
        except IntegrityError:
            first = SubmittedForm.objects.filter(key=key).first()
            if first is not None and first.location:
                messages.info(request, _("This was already saved a moment ago (sent twice)."))
                return redirect(first.location)
            messages.info(
                request,
                _("This form was sent twice; the first one is being saved. Check the list."),
            )
            # Back to the page the form was on: the form's own address may answer POST only.
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                back = request.path
            return redirect(back)
        saved = False
        try:
            response = view(request, *args, **kwargs)
            location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
            if location:
                saved = True
                SubmittedForm.objects.filter(pk=seen.pk).update(location=location[:500])
            return response
        finally:
            if not saved:
                SubmittedForm.objects.filter(pk=seen.pk).delete()

    return wrapped
