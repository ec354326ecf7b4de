from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pilar.accounts.access import Capability, hosts_others
from pilar.accounts.decorators import capability_required
from pilar.audit.services import Actor
from pilar.lib.views import attempt, page_status
from pilar.offices import services
from pilar.offices.forms import BoundaryFileForm, OfficeForm
from pilar.offices.models import Office
from pilar.regions.boundaries import boundaries_load, office_outlines, parse_collection
from pilar.regions.maps import area_map


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


@capability_required(Capability.OFFICE_EDIT)
@require_http_methods(["GET", "POST"])
def office_boundaries(request):
    """The office's kelurahan outlines for its maps (docs/DASHBOARD.md, "Map"): the page of
    `pilar load-boundaries`, administrators only. A refused file changes nothing."""
    office = services.current_office()
    if hosts_others(office):
        # A province's map is drawn from its kab/kota's outlines, each loaded by its own office
        # (docs/OFFICE.md, "Many offices": the province only sees).
        raise PermissionDenied
    form = BoundaryFileForm(request.POST or None, request.FILES or None)
    if office.area is None:
        return render(request, "offices/office_boundaries.html", {"office": office})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]

        def load():
            return boundaries_load(
                office_area=office.area,
                data=parse_collection(upload.read(), upload.name),
                file_name=upload.name,
                by=Actor.from_request(request),
                code_property=form.cleaned_data["code_property"] or None,
            )

        done = attempt(
            request,
            load,
            form=form,
            success=lambda result: (
                _("%(file)s loaded: %(n)s kelurahan outlined; the maps draw them from now on.")
                % {"file": result.file, "n": len(result.loaded)}
            ),
        )
        if done:
            return redirect("office-boundaries")
    return render(
        request,
        "offices/office_boundaries.html",
        {
            "office": office,
            "form": form,
            "outlines": office_outlines(office.area),
            "preview": area_map(office.area, {}, title=_("The office's kelurahan")),
        },
        status=page_status(request),
    )
