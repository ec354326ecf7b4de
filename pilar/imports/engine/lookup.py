"""Reading names people type into the records they mean: areas, pillar kinds and choices.

A code or a known name or alias is taken as it is; a close spelling (rapidfuzz) is taken only as a
warning the operator must accept; anything else is a problem naming the value and the fix.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from pilar.imports.engine.normalize import CellProblem, header_key
from pilar.regions.models import Area, AreaAlias
from pilar.registry.models import Assignment, Education, PillarKind
from pilar.registry.roster import EDUCATION_WORDS, END_REASON_WORDS

FUZZY_AREA_SCORE = 85
FUZZY_MARGIN = 5
_AREA_PREFIXES = {
    "kelurahan",
    "kel",
    "desa",
    "nagari",
    "kecamatan",
    "kec",
    "kota",
    "kabupaten",
    "kab",
}
_CODE_RE = re.compile(r"^[0-9]{2}(?:\.?[0-9]{2}(?:\.?[0-9]{2}(?:\.?[0-9]{4})?)?)?$")
_CODE_SPLIT = (2, 2, 2, 4)

KIND_SYNONYMS = {
    "pekerja sosial masyarakat": "PSM",
    "tenaga kesejahteraan sosial kecamatan": "TKSK",
    "taruna siaga bencana": "TAGANA",
    "kube": "PENDAMPING_KUBE",
    "pendamping kelompok usaha bersama": "PENDAMPING_KUBE",
    "pkh": "PENDAMPING_PKH",
    "pendamping program keluarga harapan": "PENDAMPING_PKH",
    "penyuluh": "PENYULUH_SOSIAL",
    "karang taruna": "KARANG_TARUNA",
    "pelopor perdamaian": "PELOPOR_PERDAMAIAN",
}
EDUCATION_SYNONYMS = {
    "tidak sekolah": Education.NONE,
    "tidak tamat sd": Education.NONE,
    "belum sekolah": Education.NONE,
    "none": Education.NONE,
    "sd": Education.SD,
    "mi": Education.SD,
    "sekolah dasar": Education.SD,
    "smp": Education.SMP,
    "sltp": Education.SMP,
    "mts": Education.SMP,
    "sma": Education.SMA,
    "smk": Education.SMA,
    "sma smk": Education.SMA,
    "slta": Education.SMA,
    "ma": Education.SMA,
    "stm": Education.SMA,
    "d1": Education.D3,
    "d2": Education.D3,
    "d3": Education.D3,
    "diploma": Education.D3,
    "d4": Education.S1,
    "s1": Education.S1,
    "sarjana": Education.S1,
    "s2": Education.S2,
    "magister": Education.S2,
    "s3": Education.S3,
    "doktor": Education.S3,
}
END_REASON_SYNONYMS = {
    "masa tugas habis": Assignment.EndReason.TERM_ENDED,
    "habis masa tugas": Assignment.EndReason.TERM_ENDED,
    "masa tugas berakhir": Assignment.EndReason.TERM_ENDED,
    "selesai": Assignment.EndReason.TERM_ENDED,
    "mengundurkan diri": Assignment.EndReason.RESIGNED,
    "undur diri": Assignment.EndReason.RESIGNED,
    "resign": Assignment.EndReason.RESIGNED,
    "berhenti": Assignment.EndReason.RESIGNED,
    "pindah": Assignment.EndReason.MOVED,
    "mutasi": Assignment.EndReason.MOVED,
    "pindah tugas": Assignment.EndReason.MOVED,
    "diberhentikan": Assignment.EndReason.DISMISSED,
    "dipecat": Assignment.EndReason.DISMISSED,
    "meninggal": Assignment.EndReason.DIED,
    "meninggal dunia": Assignment.EndReason.DIED,
    "wafat": Assignment.EndReason.DIED,
    "lainnya": Assignment.EndReason.OTHER,
    "lain lain": Assignment.EndReason.OTHER,
}


def area_key(text: str) -> str:
    """A place name reduced for matching: 'Kel. Campago  Ipuh' -> 'campago ipuh'."""
    words = header_key(text).split()
    while len(words) > 1 and words[0] in _AREA_PREFIXES:
        words = words[1:]
    return " ".join(words)


class Lookup:
    """The reference tables of one run, read once, with every answer cached by its text."""

    def __init__(self) -> None:
        areas = list(Area.objects.all())
        self.areas_by_id = {a.pk: a for a in areas}
        self.by_code = {a.code: a for a in areas}
        self.names: dict[int, dict[str, list[Area]]] = {}
        for a in areas:
            self._add_name(a, a.name)
        for alias in AreaAlias.objects.all():
            area = self.areas_by_id.get(alias.area_id)
            if area is not None:
                self._add_name(area, alias.name)
        self.cities = [a for a in areas if a.level == Area.Level.CITY]
        self.kinds = {k.pk: k for k in PillarKind.objects.all()}
        self._kind_keys: dict[str, PillarKind] = {}
        for k in self.kinds.values():
            self._kind_keys[header_key(k.code)] = k
            self._kind_keys[header_key(k.name)] = k
        for text, code in KIND_SYNONYMS.items():
            kind = next((k for k in self.kinds.values() if k.code == code), None)
            if kind is not None:
                self._kind_keys.setdefault(text, kind)
        self._education = {header_key(v): v for v in Education.values}
        self._education.update({header_key(str(label)): v for v, label in Education.choices})
        self._education.update({header_key(w): v for v, w in EDUCATION_WORDS.items()})
        self._education.update(EDUCATION_SYNONYMS)
        self._end = {header_key(v): v for v in Assignment.EndReason.values}
        self._end.update({header_key(str(lbl)): v for v, lbl in Assignment.EndReason.choices})
        self._end.update({header_key(w): v for v, w in END_REASON_WORDS.items()})
        self._end.update(END_REASON_SYNONYMS)
        self._cache: dict[tuple, tuple] = {}
        # Cells seen before in this run: (field, cell) -> (value, problem message).
        self.cells: dict[tuple, tuple] = {}

    def _add_name(self, area: Area, name: str) -> None:
        key = area_key(name)
        bucket = self.names.setdefault(area.level, {}).setdefault(key, [])
        if area not in bucket:
            bucket.append(area)

    # Areas --------------------------------------------------------------------------------

    def area(self, text: str, level: int, within: Area | None = None) -> tuple[Area, str | None]:
        """The area of `level` named or coded `text` (inside `within` when given), and a warning
        when it was read from a close spelling. Raises CellProblem when there is none."""
        key = (text, level, within.pk if within else None)
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = (self._find_area(text, level, within), None)
            except CellProblem as exc:
                cached = (None, exc)
            self._cache[key] = cached
        found, problem = cached
        if problem is not None:
            raise problem
        return found

    def _find_area(self, text: str, level: int, within: Area | None) -> tuple[Area, str | None]:
        level_word = str(Area.Level(level).label)
        compact = text.replace(" ", "")
        if _CODE_RE.match(compact):
            digits = compact.replace(".", "")
            parts, pos = [], 0
            for size in _CODE_SPLIT:
                if pos < len(digits):
                    parts.append(digits[pos : pos + size])
                    pos += size
            area = self.by_code.get(".".join(parts))
            if area is None or area.level != level:
                raise CellProblem(
                    _("There is no %(level)s with code %(value)s; check the code.")
                    % {"level": level_word, "value": text},
                    "area_code",
                )
            return area, None
        key = area_key(text)
        candidates = self.names.get(level, {})
        if within is not None:
            found = [a for a in candidates.get(key, []) if a.is_within(within)]
        else:
            found = candidates.get(key, [])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            raise CellProblem(
                _(
                    "There are several %(level)s named %(value)s (%(places)s); fill in the "
                    "kecamatan column or write the code."
                )
                % {
                    "level": level_word,
                    "value": text,
                    "places": ", ".join(f"{a.code}" for a in found[:5]),
                },
                "area_ambiguous",
            )
        choices = {
            name: areas
            for name, areas in candidates.items()
            if within is None or any(a.is_within(within) for a in areas)
        }
        # A close spelling ("Tarok Dipoh") or a short form ("Tangah Sawah" for Aur Tajungkang
        # Tangah Sawah) is offered only when one name clearly wins.
        scored: dict[int, tuple[float, Area]] = {}
        for name, score, _i in (
            process.extract(key, list(choices), scorer=fuzz.WRatio, limit=6) if key else []
        ):
            for a in choices[name]:
                if (within is None or a.is_within(within)) and score > scored.get(a.pk, (0,))[0]:
                    scored[a.pk] = (score, a)
        best = sorted(scored.values(), key=lambda item: -item[0])
        clear = bool(best) and best[0][0] >= FUZZY_AREA_SCORE
        if clear and len(best) > 1:
            clear = best[1][0] < best[0][0] - FUZZY_MARGIN
        if clear:
            area = best[0][1]
            return area, _(
                "%(level)s %(value)s is not a known name; it was read as %(name)s "
                "(%(code)s). Accept this or correct the file."
            ) % {
                "level": level_word.capitalize(),
                "value": text,
                "name": area.name,
                "code": area.code,
            }
        where = _(" in %(area)s") % {"area": within.label} if within else ""
        raise CellProblem(
            _(
                "%(level)s %(value)s was not found%(where)s. Use a name or code from the list "
                "of areas (Settings > Areas)."
            )
            % {"level": level_word.capitalize(), "value": text, "where": where},
            "area_unknown",
        )

    def city_for(self, area: Area | None) -> Area:
        """The city/regency of a duty served city-wide: the one above `area`, or the only one."""
        if area is not None:
            code = area.ancestor_code(Area.Level.CITY)
            if code in self.by_code:
                return self.by_code[code]
        if len(self.cities) == 1:
            return self.cities[0]
        raise CellProblem(
            _("Fill in the kecamatan or kelurahan so that Pilar knows which city or regency."),
            "area_city",
        )

    # Kinds and choices ------------------------------------------------------------------------

    def kind(self, text: str) -> PillarKind:
        key = header_key(text)
        kind = self._kind_keys.get(key) or self._kind_keys.get(key.replace(" ", "_"))
        if kind is None:
            kind = self._kind_keys.get(header_key(key.replace("_", " ")))
        if kind is None:
            raise CellProblem(
                _("Pillar kind %(value)s is not known; write one of %(codes)s.")
                % {"value": text, "codes": ", ".join(k.code for k in self.kinds.values())},
                "kind",
            )
        return kind

    def education(self, text: str) -> str:
        value = self._education.get(header_key(text))
        if value is None:
            raise CellProblem(
                _("Education %(value)s is not known; write SD, SMP, SMA, D3, S1, S2 or S3.")
                % {"value": text},
                "education",
            )
        return value

    def end_reason(self, text: str) -> str:
        value = self._end.get(header_key(text))
        if value is None:
            raise CellProblem(
                _("End reason %(value)s is not known; write one of: %(words)s.")
                % {"value": text, "words": ", ".join(END_REASON_WORDS.values())},
                "end_reason",
            )
        return value
