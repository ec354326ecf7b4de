from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pilar.accounts.access import Capability
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor
from pilar.lib.views import attempt, page_status
from pilar.offices import services
from pilar.offices.forms import OfficeForm
from pilar.offices.models import Office


@capability_required(Capability.OFFICE_EDIT)
@require_http_methods(["GET", "POST"])
def office_settings(request):
    """The office's letterhead, signers, public address and policies: administrators only."""
    office = services.current_office()
    # A copy for the form: a refused form must leave the office every reader sees untouched.
    form = OfficeForm(
        request.POST or None,
        request.FILES or None,
        instance=Office.objects.select_related("area").get(pk=office.pk),
    )
    if request.method == "POST" and form.is_valid():
        done = attempt(
            request,
            lambda: services.office_update(
                by=Actor.from_request(request), office=office, data=form.changes()
            ),
            form=form,
            success=_(
                "Office settings saved. Documents issued from now on carry them; those issued "
                "before keep what they were issued with."
            ),
        )
        if done:
            return redirect("office-settings")
    return render(
        request,
        "offices/office_settings.html",
        {"form": form, "office": office},
        status=page_status(request),
    )
