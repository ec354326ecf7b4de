"""Money as Indonesians write it: Rp 400.000, and in words for documents people sign; and
amounts as people type them (`parse_money`, `MoneyField`)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _

from pilar.lib.params import InputError

# The largest amount any form, service or column takes: a thousand trillion rupiah, beyond any
# budget in the country and within 64 bits; past it, digits were typed twice.
MAX_RUPIAH = 10**15

ONES = [
    "",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
]
SCALES = [(10**12, "triliun"), (10**9, "miliar"), (10**6, "juta")]


def rupiah(amount: int) -> str:
    """400.000 — whole rupiah grouped with dots."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")


def _below_thousand(n: int) -> str:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds:
        words.append(f"{ONES[hundreds]} ratus")
    if rest < 12:
        words.append(ONES[rest])
    elif rest < 20:
        words.append(f"{ONES[rest - 10]} belas")
    else:
        tens, ones = divmod(rest, 10)
        words.append(f"{ONES[tens]} puluh")
        words.append(ONES[ones])
    return " ".join(w for w in words if w)


def terbilang(amount: int) -> str:
    """An amount in Indonesian words: 400000 → "empat ratus ribu rupiah"."""
    if amount == 0:
        return "nol rupiah"
    words = ["minus"] if amount < 0 else []
    n = abs(amount)
    for scale, name in SCALES:
        part, n = divmod(n, scale)
        if part:
            words.append(f"{_say(part)} {name}")
    thousands, n = divmod(n, 1000)
    if thousands == 1:
        words.append("seribu")
    elif thousands:
        words.append(f"{_below_thousand(thousands)} ribu")
    if n:
        words.append(_below_thousand(n))
    return " ".join(words + ["rupiah"])


def _say(n: int) -> str:
    """A number below a thousand trillion in words (the part before a scale word)."""
    if n < 1000:
        return _below_thousand(n)
    thousands, rest = divmod(n, 1000)
    head = "seribu" if thousands == 1 else f"{_say(thousands)} ribu"
    return f"{head} {_below_thousand(rest)}".strip()


class MoneyField(forms.Field):
    """A form field for an amount in whole rupiah, typed the Indonesian way: parsed by
    `parse_money` below (docs/INPUT.md, "Amounts of money"), between `low` and `high`, cleaned
    to an int. A text box (not type=number, which would refuse 1.500.000) with a numeric
    keyboard on phones."""

    def __init__(self, *, low: int = 0, high: int = MAX_RUPIAH, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, str(self.label or _("Amount")), low=self.low, high=self.high)
        except InputError as exc:
            raise forms.ValidationError(exc.message_text, code="money") from None

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return rupiah(value)
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("maxlength", "40")
        return attrs


# Money as people type it (docs/INPUT.md, "Amounts of money"). Rupiah in these records are
# whole: a non-zero fraction is refused, never rounded or read as thousands.
_RP_PREFIX = re.compile(r"^rp\.?\s*", re.IGNORECASE)
_PLAIN = r"\d+"
_DOTTED = r"\d{1,3}(?:\.\d{3})+"  # 1.500.000 (Indonesian grouping)
_COMMAS = r"\d{1,3}(?:,\d{3})+"  # 1,500,000 (English grouping)
# Indonesian: 1500000, 1.500.000, 1.500.000,00 (a comma before the fraction).
_MONEY_ID = re.compile(rf"^(?P<int>{_DOTTED}|{_PLAIN})(?:,(?P<frac>\d+))?$", re.ASCII)
# English, only where it cannot be read the Indonesian way: 1,500,000 (two or more commas),
# 1,500.00 (a comma, then a dot), 1500.5 / 1500.50 (one or two digits after a dot).
_MONEY_EN = re.compile(
    rf"^(?:(?P<int>\d{{1,3}}(?:,\d{{3}}){{2,}})|(?P<int2>{_COMMAS})(?=\.)|(?P<int3>{_PLAIN})"
    rf"(?=\.\d{{1,2}}$))(?:\.(?P<frac>\d+))?$",
    re.ASCII,
)
# 1,500 or 12,000: a thousand in English, one and a half in Indonesian.
_MONEY_AMBIGUOUS = re.compile(r"^\d{1,3},\d{3}$", re.ASCII)
_MONEY_MAX_LENGTH = 40


def _money_fraction_error(field: str, whole: int, negative: bool) -> InputError:
    down, up = (-whole - 1, -whole) if negative else (whole, whole + 1)
    return InputError(
        field,
        _("%(field)s: the amount must be whole rupiah, without cents: write %(down)s or %(up)s.")
        % {"field": field, "down": rupiah(down), "up": rupiah(up)},
    )


def parse_money(
    value: str | int | float | None,
    field: str,
    *,
    low: int = 0,
    high: int | None = None,
    default: int | None = None,
) -> int | None:
    """An amount in whole rupiah as people type it: 1500000, 1.500.000, Rp 1.500.000,
    1.500.000,00, and 1,500,000 (English grouping, accepted only where no Indonesian reading
    exists). A non-zero fraction (1500,50 or 1500.5) is refused naming the two whole amounts
    around it; an ambiguous 1,500 is refused; never read as a different number. Between `low`
    and `high` (by default 0 and `MAX_RUPIAH`); `default` when empty."""
    high = MAX_RUPIAH if high is None else high
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise InputError(field, _("%(field)s: write an amount in rupiah.") % {"field": field})
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(field, _("%(field)s: write an amount in rupiah.") % {"field": field})
        if not value.is_integer():
            whole = int(abs(value))
            raise _money_fraction_error(field, whole, value < 0)
        amount = int(value)
    else:
        amount = _money_from_text(str(value), field)
    if amount < low:
        message = (
            _("%(field)s cannot be negative; write 0 if there was none.")
            if low == 0
            else _("%(field)s: the amount must be at least Rp%(low)s (got Rp%(value)s).")
        )
        raise InputError(
            field,
            message % {"field": field, "low": rupiah(low), "value": rupiah(amount)},
        )
    if amount > high:
        raise InputError(
            field,
            _(
                "%(field)s: Rp%(value)s is more than the Rp%(high)s allowed here; check the "
                "digits (whole rupiah, no cents)."
            )
            % {"field": field, "high": rupiah(high), "value": rupiah(amount)},
        )
    return amount


def _money_from_text(value: str, field: str) -> int:
    text = " ".join(value.split())
    shown = text[:_MONEY_MAX_LENGTH]
    if len(text) > _MONEY_MAX_LENGTH:
        raise InputError(
            field,
            _("%(field)s: write an amount in rupiah, e.g. 1.500.000 (got “%(value)s…”).")
            % {"field": field, "value": shown},
        )
    negative = text.startswith("-")
    body = _RP_PREFIX.sub("", text.removeprefix("-").strip())
    if not negative and body.startswith("-"):  # "Rp -1.500"
        negative, body = True, body[1:].strip()
    if _MONEY_AMBIGUOUS.match(body):
        whole = int(body.replace(",", ""))
        head, tail = body.split(",")
        decimal = f"{head},{tail.rstrip('0')}" if tail.rstrip("0") else head
        raise InputError(
            field,
            _(
                "%(field)s: “%(value)s” could be %(thousands)s or %(decimal)s; write whole "
                "rupiah with dots between the thousands, e.g. %(thousands)s."
            )
            % {
                "field": field,
                "value": shown,
                "thousands": rupiah(whole),
                "decimal": decimal,
            },
        )
    found = _MONEY_ID.match(body) or _MONEY_EN.match(body)
    if found is None:
        raise InputError(
            field,
            _(
                "%(field)s: write the amount in whole rupiah, e.g. 1.500.000 or 1500000 "
                "(got “%(value)s”)."
            )
            % {"field": field, "value": shown},
        )
    groups = found.groupdict()
    if len(groups.get("frac") or "") > 2:
        # 1,500.000 or 1.500,000: cents have two digits; three look like a mistyped thousands
        # group, so neither reading is taken.
        raise InputError(
            field,
            _(
                "%(field)s: write the amount in whole rupiah, e.g. 1.500.000 or 1500000 "
                "(got “%(value)s”)."
            )
            % {"field": field, "value": shown},
        )
    integer = groups.get("int") or groups.get("int2") or groups.get("int3") or "0"
    whole = int(integer.replace(".", "").replace(",", ""))
    if (groups.get("frac") or "0").strip("0"):
        raise _money_fraction_error(field, whole, negative)
    return -whole if negative else whole
