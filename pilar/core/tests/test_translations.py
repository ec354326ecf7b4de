"""The Indonesian catalog is complete, consistent with its sources, and compiled.

Indonesian is the primary UI language, so an untranslated or fuzzy entry shows English to the
office staff, a lost placeholder crashes the `%` formatting (or silently drops a value), and a
stale committed .mo serves old wording on servers that have no gettext. No database is needed.
"""

from __future__ import annotations

import gettext as gettext_module
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

CATALOG_DIR = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES"
PO_PATH = CATALOG_DIR / "django.po"
MO_PATH = CATALOG_DIR / "django.mo"


# --- a small .po parser -------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # singular: {0: text}
    flags: set[str] = field(default_factory=set)
    line: int = 0
    has_msgid: bool = False

    @property
    def label(self) -> str:
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{self.msgid!r}"


_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')


def _unescape(text: str, where: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _ESCAPES:
                raise ValueError(f"{where}: bad escape in {text!r}")
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """Return (header fields, entries). Obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None  # which field a continuation line extends

    def finish() -> None:
        nonlocal current, target
        if current.has_msgid:
            entries.append(current)
        current, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current.msgstr:  # a comment after a complete entry starts the next one
                finish()
            if line.startswith("#,"):
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue  # other comments (and obsolete #~ lines) carry nothing we check
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            value = _unescape(text, where)
            if keyword in ("msgctxt", "msgid") and current.msgstr:
                finish()  # entries not separated by a blank line
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, current.has_msgid, current.line = value, True, number
                target = ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                if (index is None) == (current.msgid_plural is not None):
                    raise ValueError(f"{where}: msgstr form does not match msgid/msgid_plural")
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        match = _CONTINUATION.match(line)
        if match and target is not None:
            value = _unescape(match.group(1), where)
            name, slot = target
            if name == "msgstr":
                current.msgstr[slot] += value
            else:
                setattr(current, name, getattr(current, name) + value)
            continue
        raise ValueError(f"{where}: cannot parse {raw!r}")
    finish()

    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, "the catalog must have exactly one header entry"
    header = headers[0]
    assert "fuzzy" not in header.flags, "the header is marked fuzzy; msgfmt would ignore it"
    fields = {}
    for header_line in header.msgstr[0].splitlines():
        key, _, value = header_line.partition(":")
        fields[key.strip()] = value.strip()
    return fields, [e for e in entries if e is not header]


PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]+)\))?[#0+-]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[sdrifeEgGxXoc%])"
)


def placeholders(text: str) -> tuple[frozenset[str], list[str]]:
    """Named placeholders as a set (a translation may reorder them), positional ones in order."""
    named, positional = set(), []
    for match in PLACEHOLDER.finditer(text):
        if match.group("conv") == "%":
            continue
        if match.group("name") is not None:
            named.add(f"%({match.group('name')}){match.group('conv')}")
        else:
            positional.append(match.group(0))
    return frozenset(named), positional


@pytest.fixture(scope="module")
def catalog() -> tuple[dict[str, str], list[Entry]]:
    return parse_po(PO_PATH)


def nplurals(header: dict[str, str]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    assert match, "the header has no Plural-Forms"
    return int(match.group(1))


# --- the checks ---------------------------------------------------------------------------


def test_header_is_indonesian_utf8(catalog):
    header, entries = catalog
    assert header.get("Language") == "id"
    assert header.get("Content-Type") == "text/plain; charset=UTF-8"
    assert nplurals(header) == 1, "Indonesian has a single plural form"
    assert len(entries) > 100, "the catalog looks truncated"


def test_no_entry_is_untranslated(catalog):
    header, entries = catalog
    forms = nplurals(header)
    problems = []
    for entry in entries:
        expected_slots = set(range(forms)) if entry.msgid_plural is not None else {0}
        if set(entry.msgstr) != expected_slots:
            problems.append(f"{entry.label}: msgstr forms {sorted(entry.msgstr)}")
        elif any(not text.strip() for text in entry.msgstr.values()):
            problems.append(f"{entry.label}: empty msgstr")
    assert not problems, "untranslated entries:\n" + "\n".join(problems)


def test_no_entry_is_fuzzy(catalog):
    _, entries = catalog
    fuzzy = [entry.label for entry in entries if "fuzzy" in entry.flags]
    assert not fuzzy, "fuzzy entries (review, then remove the flag):\n" + "\n".join(fuzzy)


def test_placeholders_match(catalog):
    _, entries = catalog
    problems = []
    for entry in entries:
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        wanted = placeholders(source)
        if entry.msgid_plural is not None and placeholders(entry.msgid)[1] != wanted[1]:
            problems.append(f"{entry.label}: msgid and msgid_plural differ in positional %")
        for slot, text in sorted(entry.msgstr.items()):
            got = placeholders(text)
            if got != wanted:
                problems.append(
                    f"{entry.label}: msgstr[{slot}] has {sorted(got[0])} {got[1]}, "
                    f"source has {sorted(wanted[0])} {wanted[1]}"
                )
    assert not problems, "placeholder mismatches:\n" + "\n".join(problems)


def test_compiled_mo_matches_po(catalog):
    """The committed .mo is what servers use; it must say exactly what the .po says."""
    _, entries = catalog
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run msgfmt"
    with MO_PATH.open("rb") as handle:
        mo = gettext_module.GNUTranslations(handle)
    assert mo.info().get("language") == "id"
    stale = []
    for entry in entries:
        ctx = entry.msgctxt
        if entry.msgid_plural is None:
            got = mo.gettext(entry.msgid) if ctx is None else mo.pgettext(ctx, entry.msgid)
            if got != entry.msgstr[0]:
                stale.append(f"{entry.label}: .mo says {got!r}, .po says {entry.msgstr[0]!r}")
            continue
        for n in (0, 1, 2, 5, 11, 21, 101):
            if ctx is None:
                got = mo.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = mo.npgettext(ctx, entry.msgid, entry.msgid_plural, n)
            want = entry.msgstr.get(mo.plural(n))
            if got != want:
                stale.append(f"{entry.label} (n={n}): .mo says {got!r}, .po says {want!r}")
                break
    assert not stale, "the .mo is stale; recompile it with msgfmt:\n" + "\n".join(stale)


def test_msgfmt_check_passes(tmp_path):
    # GNU gettext is installed by scripts/setup.sh --test; a missing msgfmt fails here.
    assert shutil.which("msgfmt"), "install GNU gettext (Debian package gettext)"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "check.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _translation_of(entries: list[Entry], msgid: str) -> str:
    matches = [e for e in entries if e.msgid == msgid and e.msgctxt is None]
    assert len(matches) == 1, f"{msgid!r} is not in the catalog"
    return matches[0].msgstr[0]


def test_django_serves_the_indonesian_catalog(catalog):
    _, entries = catalog
    with translation.override("id"):
        assert translation.gettext("Log in") == _translation_of(entries, "Log in") != "Log in"
        assert translation.gettext("Headcount") == _translation_of(entries, "Headcount")
        assert translation.ngettext("%(n)s person", "%(n)s people", 3) == _translation_of(
            entries, "%(n)s person"
        )
    with translation.override("en"):
        assert translation.gettext("Headcount") == "Headcount"


def test_parser_handles_contexts_plurals_and_continuations(tmp_path):
    po = tmp_path / "sample.po"
    po.write_text(
        'msgid ""\n'
        'msgstr ""\n'
        '"Language: id\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n'
        "\n"
        "#, python-format\n"
        'msgctxt "button"\n'
        'msgid ""\n'
        '"Two %(n)s "\n'
        '"lines \\"quoted\\""\n'
        'msgstr "Dua %(n)s baris"\n'
        "\n"
        "#, fuzzy\n"
        'msgid "%(n)s day"\n'
        'msgid_plural "%(n)s days"\n'
        'msgstr[0] ""\n'
        '"%(n)s hari"\n'
        "\n"
        '#~ msgid "gone"\n'
        '#~ msgstr ""\n',
        encoding="utf-8",
    )
    header, entries = parse_po(po)
    assert header["Plural-Forms"] == "nplurals=1; plural=0;"
    assert len(entries) == 2
    first, second = entries
    assert (first.msgctxt, first.msgid) == ("button", 'Two %(n)s lines "quoted"')
    assert first.msgstr == {0: "Dua %(n)s baris"} and "python-format" in first.flags
    assert second.msgid_plural == "%(n)s days" and second.msgstr == {0: "%(n)s hari"}
    assert "fuzzy" in second.flags
    assert placeholders("%(a)s and %(a)s, %s %d 100%%") == (frozenset({"%(a)s"}), ["%s", "%d"])
    assert placeholders("%(code)r: 50% off") == (frozenset({"%(code)r"}), [])
