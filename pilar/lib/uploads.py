"""An uploaded spreadsheet taken in for a job row (a roster import, a DTSEN extract): refused
as a workbook bomb before anything is written, fingerprinted, stored, and read once to find its
sheets — the stored file removed again when it cannot be read, so a refusal leaves nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone

from pilar.lib.spreadsheet import FileProblem, Spreadsheet, check_workbook


def workbook_digest(upload) -> str:
    """The upload's SHA-256, after refusing a workbook built to exhaust the reader (a
    ValidationError on `file`)."""
    try:
        check_workbook(upload)
    except FileProblem as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def stored_name(name: str, fallback: str) -> str:
    """A file name safe to store: the upload's time, then its name in plain characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-80:] or fallback
    return f"{timezone.now():%Y%m%d-%H%M%S}-{safe}"


def keep_and_read(batch, upload, name: str, fallback: str, look: Callable) -> None:
    """Store `upload` as `batch.file` and read it once: its format, its sheets, and what `look`
    finds in the book. A file that cannot be read is removed and refused on `file`."""
    batch.file.save(stored_name(name, fallback), File(upload), save=False)
    try:
        with Spreadsheet(Path(batch.file.path)) as book:
            batch.file_format = book.format
            batch.sheets = [[s.name, s.visible] for s in book.sheets]
            look(book)
    except FileProblem as exc:
        batch.file.delete(save=False)
        raise ValidationError({"file": [exc.message]}) from exc
    except Exception:
        batch.file.delete(save=False)
        raise
