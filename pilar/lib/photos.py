"""Photos from phones: checked to be an image, turned upright, made small enough for a slow
connection, and stripped of their metadata (camera, time, and the place unless kept)."""

from __future__ import annotations

import io
import math
import warnings
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

GPS_IFD = 0x8825
MAX_SIDE = 1600
# A phone photo has 12–50 million pixels; more is refused before decoding (memory).
MAX_PIXELS = 60_000_000


def _degrees(values, ref) -> Decimal | None:
    """Degrees from EXIF's (degrees, minutes, seconds); None for anything unreadable (phones
    without a fix write 0/0, which reads as NaN)."""
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(v) for v in (d, m, s)):
        return None
    result = Decimal(str(round(d + m / 60 + s / 3600, 6)))
    return -result if ref in ("S", "W") else result


def gps_of(exif) -> tuple[Decimal, Decimal] | None:
    gps = exif.get_ifd(GPS_IFD) if exif else {}
    if not gps or 2 not in gps or 4 not in gps:
        return None
    lat, lon = _degrees(gps[2], gps.get(1)), _degrees(gps[4], gps.get(3))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


def process_photo(upload, *, keep_location: bool) -> tuple[ContentFile, tuple | None]:
    """A JPEG no wider or taller than MAX_SIDE, with no metadata except the GPS position when
    `keep_location`; and that position (or None). Raises ValidationError for a file that is
    too large or not an image, naming the field."""
    limit = settings.PILAR_PHOTO_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "photo": _(
                    "The photo is %(size)s MB; the largest accepted is %(limit)s MB. Take it "
                    "again at a lower resolution or send a smaller copy."
                )
                % {"size": round(upload.size / 1e6, 1), "limit": round(limit / 1e6)}
            }
        )
    problem = pixel_problem(upload)
    if problem:
        raise ValidationError({"photo": problem})
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError({"photo": _not_a_photo()}) from None
    exif = image.getexif()
    position = gps_of(exif)
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # Only the pixels go on: a fresh image carries no comment, XMP, ICC or EXIF of the original.
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    image = clean
    out = io.BytesIO()
    kept = Image.Exif()
    if keep_location and position:
        kept[GPS_IFD] = exif.get_ifd(GPS_IFD)
    image.save(out, "JPEG", quality=80, optimize=True, exif=kept.tobytes())
    return ContentFile(out.getvalue(), name="photo.jpg"), (position if keep_location else None)


def _not_a_photo() -> str:
    return _("The file is not a photo (JPEG, PNG or WebP). Choose a picture file.")


def pixel_problem(upload) -> str | None:
    """Why the picture in `upload` is refused for its pixel count (more than MAX_PIXELS: a
    "decompression bomb", small on disk and gigabytes once decoded), or None. Reads only the
    image's header; leaves the file at its start."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 million pixels on; the limit here is ours.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                pixels = image.width * image.height
    except Image.DecompressionBombError:
        pixels = None  # beyond Pillow's own limit: far too many
    except (UnidentifiedImageError, OSError, ValueError):
        return None  # not an image at all: said by whoever decodes it
    finally:
        upload.seek(0)
    if pixels is not None and pixels <= MAX_PIXELS:
        return None
    if pixels is None:
        return _(
            "The picture has far more pixels than the %(max)d million accepted. Send a smaller "
            "copy."
        ) % {"max": MAX_PIXELS // 10**6}
    return _(
        "The picture has %(mp)d million pixels; the most accepted is %(max)d million. Send a "
        "smaller copy."
    ) % {"mp": pixels // 1_000_000, "max": MAX_PIXELS // 10**6}


class PhotoField(forms.ImageField):
    """A form's image upload with the limits of every photo (PILAR_PHOTO_MAX_BYTES and
    MAX_PIXELS, the pixels counted from the header before the image is decoded)."""

    def to_python(self, data):
        if data not in self.empty_values and hasattr(data, "seek"):
            limit = settings.PILAR_PHOTO_MAX_BYTES
            if getattr(data, "size", 0) > limit:
                raise ValidationError(
                    _(
                        "The photo is %(size)s MB; the largest accepted is %(limit)s MB. Take "
                        "it again at a lower resolution or send a smaller copy."
                    )
                    % {"size": round(data.size / 1e6, 1), "limit": round(limit / 1e6)},
                    code="too_large",
                )
            problem = pixel_problem(data)
            if problem:
                raise ValidationError(problem, code="too_many_pixels")
        return super().to_python(data)
