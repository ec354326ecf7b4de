"""Money as Indonesians write it: Rp 400.000, and in words for documents people sign."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
    `pilar.lib.params.parse_money` (docs/INPUT.md, "Amounts of money"), between `low` and
    `high`, cleaned to an int. A text box (not type=number, which would refuse 1.500.000)
    with a numeric keyboard on phones."""

    def __init__(self, *, low: int = 0, high: int = MAX_RUPIAH, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        from pilar.lib.params import InputError, parse_money

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
