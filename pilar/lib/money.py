"""Money as Indonesians write it: Rp 400.000, and in words for documents people sign."""

from __future__ import annotations

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
