"""The national gazetteer of divisions: every province-, prefecture- and county-level
division of GB/T 2260, and the state-level new areas, with the English forms texts use.

A lookup for ingest, beside the seed gazetteer (``gazetteer.py``), which the build
keeps loading. Data: ``reference/divisions_national.csv`` and its sidecar
``divisions_national.sources.yaml`` (package, version, vintage), both written by
``reference/make_national_divisions.py``.

Resolving a name (:meth:`NationalGazetteer.resolve`)
-----------------------------------------------------
* A form with its type ("Ordos City", "Taizhou City", "Chaoyang District",
  "Honghe Hani and Yi Autonomous Prefecture") selects the divisions of that
  type only: "Ordos City" is the prefecture-level city.
* A bare name ("Taizhou", "Chaoyang") selects every division of that name. A
  province-level name means the province ("Jilin" is the province; the city is
  "Jilin City"); that is the one convention applied without context.
* Several candidates are told apart by context only: a province or prefecture
  named beside the name ("Taizhou, Zhejiang", "Shenyang in Liaoning province",
  "Zhejiang's Taizhou", "Chaoyang District of Beijing"), else one named in the
  same sentence that is an ancestor of exactly one candidate. Otherwise the
  answer is ``ambiguous`` with the candidates: never a guess.

Finding places in a text (:meth:`NationalGazetteer.find_places`)
-----------------------------------------------------------------
Whole words only, the longest form first, written as the CSV writes it
(capitalised; "’" read as "'"). Bare names are the risky part: Chinese person
names and common words are written in the same letters ("Xi Jinping", "He
said", "Xinhua"). So a bare name is found only if it has two or more
syllables, is not a stop word, does not follow or precede a surname, and, when
every reading is county-level, a province or prefecture of one reading is
named in the same sentence. A name with its type word is always found.
Chinese names are found as written in full (成都市), and the stems of
provinces and prefectures (成都).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REFERENCE_DIR = Path(__file__).parent.parent / "reference"
DIVISIONS_FILE = "divisions_national.csv"
SOURCES_FILE = "divisions_national.sources.yaml"
LEVELS = ("province", "prefecture", "county", "new-area")
UPPER_LEVELS = ("province", "prefecture")

# Type words: a form ending in one of these names the type of the division.
TYPE_WORDS = ("Province", "Municipality", "Autonomous Region", "Special Administrative Region", "SAR", "City",
              "Prefecture", "League", "Autonomous Prefecture", "New Area", "New District", "County", "District",
              "Autonomous County", "Banner", "Autonomous Banner", "Special District", "Forestry District",
              "Administrative Area")
# Bare forms that are words, organisations or names far more often than places in English texts.
STOP_BARE = frozenset({"Xinhua", "Ali", "Aba", "Nei", "Renmin", "Zhongguo", "Minzhu", "Heping", "Jiefang",
                       "Gongnong", "Wenhua", "Xinxing", "Changan", "Chang'an", "Kaifa", "Gaoxin", "Xinqu",
                       "Guangming", "Qingnian", "Datong", "Zhonghua", "Tiananmen", "Hongqi", "Yuzhong",
                       "Dongcheng", "Xicheng", "Nancheng", "Beicheng"})
# Common surnames in pinyin: a bare name right after or before one is read as a person's name
# ("Xi Jinping", "Wang Yang").
SURNAMES = frozenset("""Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo
Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Du Ye Cheng Su Wei
Lu Ding Ren Shen Yao Cui Zhong Tan Fan Jin Shi Liao Jia Xia Fu Fang Bai Zou Meng Xiong Qin Qiu Yin Xue Yan
Duan Lei Hou Long Tao Gu Mao Hao Gong Shao Wan Qian Dai Mo Kong Xiang Yi Xi Ni Niu Lai Kang Ji Chang Qi Mu
Ouyang""".split())

_WORD = re.compile(r"[A-Za-zÀ-ÿü]+(?:'(?=[aoeāáǎàōóǒòēéěè])[a-zü]+)*")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;。；！？])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\(?[0-9]+[.)]))")
# What may stand between a name and the place that locates it: "Taizhou, Zhejiang",
# "Shenyang in Liaoning province", "Chaoyang District of Beijing", "Taizhou (Zhejiang)".
_AFTER = re.compile(r"\s*(?:,|\(|\s(?:in|of)(?:\s+the)?)\s*$")
_BEFORE = re.compile(r"^\s*(?:'s|’s)?\s*$")


class NationalGazetteerError(ValueError):
    """Bad reference data: the file, the row and what is wrong."""


@dataclass(frozen=True)
class Division:
    """One row of ``divisions_national.csv``."""

    code: str
    level: str
    type: str
    name_zh: str
    stem_zh: str
    parent: str
    province: str
    pinyin: str
    name_en: str
    name_en_full: str
    aliases: tuple[str, ...]
    lies_in: tuple[str, ...]
    reference: str

    def as_dict(self) -> dict[str, object]:
        """The row as data, for reports."""
        return {"code": self.code, "level": self.level, "type": self.type, "name_zh": self.name_zh,
                "name_en": self.name_en_full, "parent": self.parent, "province": self.province}


@dataclass(frozen=True)
class Resolution:
    """What a name denotes: ``resolved`` (one division), or ``ambiguous`` (the candidates)."""

    status: str
    candidates: tuple[Division, ...]
    reason: str

    @property
    def division(self) -> Division | None:
        """The division when resolved, else None."""
        return self.candidates[0] if self.status == "resolved" else None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.candidates)


@dataclass(frozen=True)
class PlaceMention:
    """A place name found in a text, with its character offsets and what it denotes."""

    start: int
    end: int
    text: str
    resolution: Resolution
    typed: bool = field(default=False)


# Types a text writes with their type word ("Nanjing County"); a bare name means them only
# when no province- or prefecture-level division has that name.
WRITTEN_WITH_TYPE = frozenset({"county", "autonomous-county", "banner", "autonomous-banner"})


@dataclass
class _Form:
    divisions: list[Division]
    typed: bool  # the form carries a type word ("Ordos City")
    primary: list[Division] = field(default_factory=list)

    def prune(self) -> None:
        """Keep the readings a text means by this form.

        A division's own name wins over another's alias ("Jinan" is 济南, not 金安区 "Jin'an"
        written without its apostrophe); a bare name that names a province or prefecture does
        not also mean a county of that name ("Nanjing" is not 南靖县 "Nanjing County")."""
        if self.primary:
            self.divisions = [d for d in self.divisions if d in self.primary]
        if not self.typed and any(d.level in UPPER_LEVELS for d in self.divisions):
            self.divisions = [d for d in self.divisions if d.type not in WRITTEN_WITH_TYPE]


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("’", "'").replace("‘", "'")).strip()


def _ancestors(division: Division) -> set[str]:
    """Codes a place named beside a division may have to locate it: its parent, its province, what it lies in."""
    codes = {division.province, division.parent, *division.lies_in}
    codes |= {code[:4] + "00" for code in division.lies_in if len(code) == 6}
    codes |= {code[:2] + "0000" for code in division.lies_in if len(code) == 6}
    codes.discard(division.code)
    codes.discard("")
    return codes


class NationalGazetteer:
    """Every division by code and by each of its English and Chinese forms."""

    def __init__(self, divisions: list[Division], sources: dict | None = None):
        self.divisions = {d.code: d for d in divisions}
        self.sources = sources or {}
        self._forms: dict[str, _Form] = {}
        self._folded: dict[str, list[str]] = {}
        for division in divisions:
            typed_aliases = [a for a in division.aliases if self._is_typed(a, division)]
            bare_aliases = [a for a in division.aliases if a not in typed_aliases]
            if division.level == "new-area" or len(division.stem_zh) < 2:
                # "Fuzhou" is the city, not Fuzhou New Area; "Pei" alone is no name ("Pei County")
                primary_bare, bare_aliases = [], [a for a in bare_aliases if len(division.stem_zh) >= 2]
            else:
                # the pinyin is a name only where the generator kept it (not for 陕西, "Shanxi" being 山西)
                primary_bare = [division.name_en] + ([division.pinyin] if division.pinyin in division.aliases else [])
            for form in dict.fromkeys(primary_bare):
                self._add(form, division, typed=False, primary=True)
            for form in dict.fromkeys(bare_aliases):
                self._add(form, division, typed=False, primary=False)
            self._add(division.name_en_full, division, typed=True, primary=True)
            for form in dict.fromkeys(typed_aliases):
                self._add(form, division, typed=True, primary=False)
            self._add(division.name_zh, division, typed=True, primary=True)
            if division.level in UPPER_LEVELS and len(division.stem_zh) >= 2:
                self._add(division.stem_zh, division, typed=False, primary=True)
        for entry in self._forms.values():
            entry.prune()
        self._longest = max(len(f.split()) for f in self._forms)
        zh = sorted((f for f in self._forms if _CJK.fullmatch(f)), key=len, reverse=True)
        self._zh_pattern = re.compile("|".join(map(re.escape, zh)))

    @staticmethod
    def _is_typed(form: str, division: Division) -> bool:
        """A form with its type word: "Ordos City", or "Peixian" for a one-character stem."""
        if any(form.endswith(" " + word) for word in TYPE_WORDS):
            return True
        return len(division.stem_zh) == 1 and form.endswith(("xian", "qu"))

    def _add(self, form: str, division: Division, typed: bool, primary: bool) -> None:
        form = _norm(form)
        entry = self._forms.setdefault(form, _Form([], typed))
        if division not in entry.divisions:
            entry.divisions.append(division)
        if primary and division not in entry.primary:
            entry.primary.append(division)
        entry.typed = entry.typed and typed
        self._folded.setdefault(form.casefold(), [])
        if form not in self._folded[form.casefold()]:
            self._folded[form.casefold()].append(form)

    # --- lookups ------------------------------------------------------------------------------

    def get(self, code: str) -> Division | None:
        """The division of a code (or a ``new-area-...`` id), or None."""
        return self.divisions.get(code)

    def candidates(self, name: str) -> tuple[tuple[Division, ...], bool]:
        """Every division a name may denote, and whether the name carries its type word."""
        form = _norm(name)
        entry = self._forms.get(form)
        if entry is None:
            matches = [self._forms[f] for f in self._folded.get(form.casefold(), [])]
            if not matches:
                return (), False
            divisions = [d for m in matches for d in m.divisions]
            return tuple(dict.fromkeys(divisions)), all(m.typed for m in matches)
        return tuple(entry.divisions), entry.typed

    def resolve(self, name: str, context: str = "", start: int | None = None) -> Resolution | None:
        """What ``name`` denotes in ``context`` (the sentence or passage around it): a
        resolved division, ``ambiguous`` with the candidates, or None for no division."""
        found, typed = self.candidates(name)
        if not found:
            found, typed = self.candidates(_capitalise_type_word(_norm(name)))
        if not found:
            return None
        by_name = _by_name(_Form(list(found), typed))
        if by_name.status == "resolved":
            return by_name
        if start is None:
            start = context.find(name) if name in context else -1
        return self._by_context(found, context, start, start + len(name) if start >= 0 else -1)

    def _by_context(self, found, context: str, start: int, end: int) -> Resolution:
        mentions = [m for m in self._scan(context, strict=False) if not (start >= 0 and m.start < end and start < m.end)]
        if start >= 0:
            beside = [m for m in mentions
                      if (m.start >= end and _AFTER.match(context[end:m.start] + " ") is not None
                          and m.start - end <= 16)
                      or (m.end <= start and _BEFORE.match(context[m.end:start]) is not None)]
            chosen = self._supported(found, beside)
            if len(chosen) == 1:
                return Resolution("resolved", chosen, f"located by “{beside[0].text}” beside it")
        chosen = self._supported(found, mentions)
        if len(chosen) == 1:
            return Resolution("resolved", chosen, "its province or prefecture is named in the same sentence")
        if len(chosen) > 1:
            return Resolution("ambiguous", chosen, "several readings have their province named")
        return Resolution("ambiguous", found, "several divisions have this name and the context names none of their provinces")

    @staticmethod
    def _supported(found, mentions) -> tuple[Division, ...]:
        named = {code for m in mentions for code in m.resolution.codes if m.resolution.status == "resolved"}
        return tuple(d for d in found if _ancestors(d) & named)

    # --- finding places in text -----------------------------------------------------------

    def find_places(self, text: str) -> list[PlaceMention]:
        """Every place name of ``text`` with its offsets, resolved by its sentence or ambiguous."""
        found: list[PlaceMention] = []
        for s_start, s_end in sentences(text):
            sentence = text[s_start:s_end]
            for raw in self._scan(sentence, strict=True):
                resolution = self.resolve(raw.text, sentence, raw.start)
                if resolution is None:
                    continue
                if (not raw.typed and all(d.level in ("county", "new-area") for d in resolution.candidates)
                        and not self._supported(resolution.candidates,
                                                [m for m in self._scan(sentence, strict=False) if m.start != raw.start])):
                    continue  # a bare county-level name needs its province or prefecture in the sentence
                found.append(PlaceMention(s_start + raw.start, s_start + raw.end, raw.text, resolution, raw.typed))
        return found

    def _scan(self, text: str, strict: bool) -> list[PlaceMention]:
        """Longest-form matches over the words of ``text``; ``strict`` applies the bare-name filters."""
        text_n = text.replace("’", "'")
        words = list(_WORD.finditer(text_n))
        out: list[PlaceMention] = []
        i = 0
        while i < len(words):
            hit = None
            for length in range(min(self._longest, len(words) - i), 0, -1):
                first, last = words[i], words[i + length - 1]
                span = text_n[first.start():last.end()]
                if re.search(r"[^\w\s,'-]|\n\s*\n", span):
                    continue
                entry = self._forms.get(_norm(span)) or self._forms.get(_capitalise_type_word(_norm(span)))
                if entry is None or not span[:1].isupper() or span.isupper() and len(span) > 3:
                    continue
                if not entry.typed and not self._bare_ok(span, entry, words, i, length, text_n, strict):
                    continue
                hit = (first.start(), last.end(), span, entry, length)
                break
            if hit is None:
                i += 1
                continue
            start, end, span, entry, length = hit
            out.append(PlaceMention(start, end, text[start:end], _by_name(entry), entry.typed))
            i += length
        for m in self._zh_pattern.finditer(text):
            entry = self._forms[m.group()]
            out.append(PlaceMention(m.start(), m.end(), m.group(), _by_name(entry), entry.typed))
        return sorted(out, key=lambda m: m.start)

    @staticmethod
    def _bare_ok(span, entry, words, i, length, text, strict) -> bool:
        if not strict:
            return True
        if span in STOP_BARE or span.isupper():
            return False
        if all(len(d.stem_zh) < 2 for d in entry.divisions):
            return False  # one syllable: "He", "Long", "Wen" only with a type word
        if any(d.level == "province" for d in entry.divisions):
            return True
        before = words[i - 1] if i > 0 else None
        after = words[i + length] if i + length < len(words) else None
        if before is not None and before.group() in SURNAMES and text[before.end():words[i].start()] == " ":
            return False
        if after is not None and after.group() in SURNAMES and text[words[i + length - 1].end():after.start()] == " ":
            return False
        return True


def _by_name(entry: _Form) -> Resolution:
    """What a form denotes without context: its one division, the province a bare
    province-level name means, or ambiguous."""
    found = tuple(entry.divisions)
    if len(found) == 1:
        return Resolution("resolved", found, "the only division of that name")
    provinces = [d for d in found if d.level == "province"]
    if not entry.typed and len(provinces) == 1:
        return Resolution("resolved", tuple(provinces), "a bare province-level name means the province")
    return Resolution("ambiguous", found, "several divisions have this name")


_LOWER_TYPE = re.compile(r" ((?:autonomous |special administrative |new |special |forestry |administrative )?"
                         r"(?:province|municipality|region|city|prefecture|league|county|district|banner|area))$")


def _capitalise_type_word(form: str) -> str:
    """"Liaoning province" -> "Liaoning Province": texts write the type word in either case."""
    return _LOWER_TYPE.sub(lambda m: " " + m.group(1).title(), form)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence (or list item, or paragraph) of ``text``."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if e > s]


def read_divisions(path: Path) -> list[Division]:
    """The rows of a national divisions CSV, checked: unique codes, parents and provinces present."""
    rows: list[Division] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("level") not in LEVELS:
                raise NationalGazetteerError(f"{path.name}, line {number}: unknown level {row.get('level')!r}")
            rows.append(Division(
                code=row["code"], level=row["level"], type=row["type"], name_zh=row["name_zh"],
                stem_zh=row["stem_zh"], parent=row["parent"], province=row["province"], pinyin=row["pinyin"],
                name_en=row["name_en"], name_en_full=row["name_en_full"],
                aliases=tuple(a for a in row["aliases"].split("|") if a), lies_in=tuple(row["lies_in"].split()),
                reference=row["reference"]))
    codes = {d.code for d in rows}
    if len(codes) != len(rows):
        raise NationalGazetteerError(f"{path.name}: a code occurs twice")
    for d in rows:
        for code in (d.parent, d.province, *d.lies_in):
            if code and code not in codes:
                raise NationalGazetteerError(f"{path.name}, {d.code}: refers to {code}, which is not in the file")
    return rows


@functools.lru_cache(maxsize=4)
def load_national_gazetteer(reference_dir: Path = REFERENCE_DIR) -> NationalGazetteer:
    """The national gazetteer from ``reference_dir`` (cached)."""
    sources_path = reference_dir / SOURCES_FILE
    sources = yaml.safe_load(sources_path.read_text(encoding="utf-8")) if sources_path.exists() else {}
    return NationalGazetteer(read_divisions(reference_dir / DIVISIONS_FILE), sources)
