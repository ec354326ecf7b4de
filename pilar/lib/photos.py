"""Photos from phones: checked to be an image, turned upright, made small enough for a slow
connection, and stripped of their metadata (camera, time, and the place unless kept)."""

from __future__ import annotations

import io
import math
from decimal import Decimal

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
    try:
        upload.seek(0)
        image = Image.open(upload)
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(
                {
                    "photo": _(
                        "The picture has %(mp)d million pixels; the most accepted is %(max)d "
                        "million. Send a smaller copy."
                    )
                    % {"mp": image.width * image.height // 1_000_000, "max": MAX_PIXELS // 10**6}
                }
            )
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(
            {"photo": _("The file is not a photo (JPEG, PNG or WebP). Choose a picture file.")}
        ) from None
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
