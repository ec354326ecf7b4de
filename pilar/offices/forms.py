from __future__ import annotations

import io

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from pilar.lib.photos import pixel_problem
from pilar.offices.models import Office
from pilar.offices.services import EDITABLE, area_fixed
from pilar.regions.boundaries import MAX_BYTES as BOUNDARY_MAX_BYTES
from pilar.regions.boundaries import too_large
from pilar.regions.models import Area

LOGO_MAX_BYTES = 2 * 1024 * 1024
# A letterhead prints the logo 14–16 mm wide: 600 pixels is more than any printer needs.
LOGO_SIDE = 600

GROUPS = [
    (gettext_lazy("The office"), ["area", "name", "address", "city", "logo", "remove_logo"]),
    (gettext_lazy("Head of office"), ["head_title", "head_name", "head_nip"]),
    (gettext_lazy("Treasurer"), ["treasurer_title", "treasurer_name", "treasurer_nip"]),
    (gettext_lazy("Certificate signer"), ["signer_name", "signer_title", "signer_nip"]),
    (gettext_lazy("Public address"), ["public_url"]),
    (
        gettext_lazy("Tali kasih and monthly reports"),
        ["stipend_report_required", "stipend_prorate", "stipend_cash_allowed", "report_due_day"],
    ),
]


def _not_an_image() -> str:
    return _(
        "The logo must be a picture (PNG or JPEG); this file is not one. Choose an image file."
    )


def clean_logo_upload(upload) -> ContentFile:
    """The uploaded logo checked to be an image of sensible size, and written anew as a PNG of
    at most LOGO_SIDE pixels a side: only its pixels go on, nothing else the file carried."""
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is %(size)s MB; the largest accepted is %(limit)s MB. Send a smaller copy.")
            % {"size": round(upload.size / 1e6, 1), "limit": LOGO_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    problem = pixel_problem(upload)
    if problem:
        raise ValidationError(problem, code="too_many_pixels")
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(_not_an_image(), code="not_an_image") from None
    image.thumbnail((LOGO_SIDE, LOGO_SIDE))
    clean = Image.new("RGBA", image.size)
    clean.paste(image.convert("RGBA"))
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return ContentFile(out.getvalue(), name="logo.png")


class LogoField(forms.FileField):
    """The logo upload. Not Django's ImageField: that one accepts any picture Pillow knows
    after reading only its header; this one decodes it whole, within limits, and re-encodes it."""

    def to_python(self, data):
        data = super().to_python(data)
        if data is None:
            return None
        return clean_logo_upload(data)


class OfficeForm(forms.ModelForm):
    logo = LogoField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=Office._meta.get_field("logo").help_text,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Take the logo off"), required=False)
    public_url = forms.URLField(
        label=gettext_lazy("Public address"),
        max_length=200,
        assume_scheme="https",
        help_text=Office._meta.get_field("public_url").help_text,
    )

    class Meta:
        model = Office
        fields = EDITABLE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Area.objects.filter(level__lte=Area.Level.CITY)
        self.fields["area"].queryset = areas
        # Tied to an area as soon as the tree holds one (docs/OFFICE.md).
        self.fields["area"].required = areas.exists()
        if self.instance.pk and area_fixed(self.instance):
            self.fields["area"].disabled = True
            self.fields["area"].help_text = _(
                "Fixed: other offices share this installation, and the office's users see only "
                "what lies within its area."
            )
        self.fields["report_due_day"].widget.attrs.update(min=1, max=28)
        for name in ("head_nip", "treasurer_nip", "signer_nip"):
            self.fields[name].widget.attrs.update(inputmode="numeric", autocomplete="off")
        if self.instance.logo:
            self.fields["logo"].help_text = _(
                "Letterheads now carry %(file)s. Choose a file to replace it (PNG or JPEG, at "
                "most 2 MB)."
            ) % {"file": self.instance.logo.name}
        else:
            del self.fields["remove_logo"]

    @property
    def groups(self):
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in GROUPS
        ]

    def clean_public_url(self) -> str:
        # A slash typed at the end is dropped; the rest is the model's rule.
        return self.cleaned_data["public_url"].strip().rstrip("/")

    def changes(self) -> dict:
        """The fields the administrator changed on the page, for `office_update`: two
        administrators saving at once each write what they changed, not the other's fields as
        they were when the page opened. The logo only when a new one was sent (False when it
        is taken off)."""
        data = {name: self.cleaned_data[name] for name in EDITABLE if name in self.changed_data}
        if not isinstance(data.pop("logo", None), ContentFile | UploadedFile):
            if self.cleaned_data.get("remove_logo"):
                data["logo"] = False
        else:
            data["logo"] = self.cleaned_data["logo"]
        return data


class BoundaryFileForm(forms.Form):
    """The office's kelurahan boundaries, a GeoJSON file (pilar/regions/boundaries.py)."""

    file = forms.FileField(
        label=gettext_lazy("Boundary file (GeoJSON)"),
        help_text=gettext_lazy(
            "A FeatureCollection of the office's kelurahan as polygons in WGS84 "
            "longitude/latitude, each with its Kemendagri code (kode, kode_desa, KDEPUM...)."
        ),
    )
    code_property = forms.CharField(
        label=gettext_lazy("Property holding the kelurahan code"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Empty: found by itself among the usual names."),
    )

    def clean_file(self):
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size and upload.size > BOUNDARY_MAX_BYTES:
            raise ValidationError(too_large(upload.name or ""))
        return upload
