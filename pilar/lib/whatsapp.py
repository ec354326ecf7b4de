"""One-tap WhatsApp links (docs/NOTICES.md, "WhatsApp"): `https://wa.me/<number>?text=<message>`
opens the message, prepared, in the reader's own WhatsApp. The link is all: no request leaves
the server and nothing is stored with a third party."""

from __future__ import annotations

import re
from urllib.parse import quote

_SEPARATORS = re.compile(r"[\s\-().]")
# An Indonesian mobile number in the international form without "+": 62 8xx, 9 to 12 digits
# after the 8 (Telkomsel, Indosat, XL, Tri, Smartfren: 08xx-xxxx-xxxx).
_MOBILE = re.compile(r"628[0-9]{7,11}")


def wa_number(phone: str | None) -> str | None:
    """`0812-3456-7890`, `+62 812 3456 7890`, `62812…`, `812…` → `6281234567890`; None for an
    empty, landline or malformed number (no link is offered for it)."""
    raw = _SEPARATORS.sub("", phone or "")
    if not raw.isascii():
        return None
    if raw.startswith("+"):
        raw = raw[1:]
    if raw.startswith("0"):
        raw = "62" + raw[1:]
    elif raw.startswith("8"):
        raw = "62" + raw
    return raw if _MOBILE.fullmatch(raw) else None


def wa_link(phone: str | None, text: str) -> str | None:
    """The link that opens WhatsApp on a chat with `phone`, `text` typed in (not sent: the
    reader reads it and taps send); None when the number is not a mobile number."""
    number = wa_number(phone)
    if number is None:
        return None
    return f"https://wa.me/{number}?text={quote(text, safe='')}"
