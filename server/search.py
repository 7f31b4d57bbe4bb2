"""The search index behind ``/search``: names, aliases, Chinese names, pinyin and texts of
every resource, analysed once per version of the data and matched in memory.

What is indexed, per resource (one *field* per literal):

========== =========================================================== =============
kind       from                                                        shown as
========== =========================================================== =============
label      rdfs:label / skos:prefLabel without Chinese characters     label
alias      skos:altLabel without Chinese characters                   alias
zh         any of those three with Chinese (Han) characters           Chinese name
pinyin     generated from each Chinese name with pypinyin             pinyin
covers     Chinese names of the divisions a zone covers               covers
text       pk:taskText, pk:responsibilityText, pk:targetText,         task text, ...
           skos:definition
========== =========================================================== =============

How text is matched:

* Latin-script words are folded (compatibility form, accents dropped, case folded) and
  lightly stemmed (plural endings). A query word matches a word it begins (``chen`` finds
  *Chengdu*) or a word with the same stem (``counties`` finds *County*).
* Chinese text is segmented with jieba (precise and search mode, at index and query time). A
  run of Chinese characters in the query matches a field where it occurs as a substring; failing
  that, as an abbreviation made of the leading characters of successive words (发改 and 发改委
  find 国家发展和改革委员会: the characters are not adjacent there, so neither a substring nor
  character bigrams could find them); failing that, when each of its jieba words occurs. An
  index from each Chinese character to the fields holding it picks the candidates.
* Pinyin: a Latin query, spaces removed, matches a pinyin field where it begins at a syllable
  boundary, so ``chengdu``, ``cheng du``, ``Chéngdū`` and ``cheng2du1`` all find 成都市.
* Every query term must match (AND), in one field or across the fields of one resource.

Ranking: an exact match of a whole name (label, alias, Chinese name or its pinyin) first; then
label prefix, label words, alias, Chinese name, pinyin, covered division, texts, and last the
resources matched only across several fields; ties by label. The index is rebuilt when
``Service.generation`` changes (after a write); builds are serialised by a lock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
import warnings
import weakref
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice, product
from typing import Callable, Iterable

from markupsafe import Markup, escape

from .site import ONTOLOGY_NS, Select, compact, labels_for, local_path, store_select

PK = ONTOLOGY_NS
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

MAX_QUERY_LENGTH = 200
SNIPPET_LENGTH = 240  # characters of a long text shown around its first match

# The properties indexed, and what each field is called on the page.
NAME_PROPERTIES = {RDFS + "label": "label", SKOS + "prefLabel": "label", SKOS + "altLabel": "alias"}
TEXT_PROPERTIES = {
    PK + "taskText": "task text",
    PK + "responsibilityText": "responsibility text",
    PK + "targetText": "target",
    SKOS + "definition": "definition",
}
FIELD_NAMES = {"label": "label", "alias": "alias", "zh": "Chinese name", "pinyin": "pinyin", "covers": "division"}
OWL = "http://www.w3.org/2002/07/owl#"
VOCABULARY_KINDS = {  # resources of the ontology itself, described by what they are
    OWL + "Class": "ontology class", RDFS + "Class": "ontology class",
    OWL + "ObjectProperty": "ontology property", OWL + "DatatypeProperty": "ontology property",
    OWL + "AnnotationProperty": "ontology property", "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property": "ontology property",
    OWL + "Ontology": "ontology", SKOS + "ConceptScheme": "concept scheme",
}
TIERS = {"label": 0, "alias": 1, "zh": 2, "pinyin": 3, "covers": 4, "text": 5}
CROSS_FIELD_TIER = 6
NAME_KINDS = {"label", "alias", "zh", "pinyin"}


@dataclass(frozen=True)
class Group:
    """One section of the results: the resources having one of ``classes`` (None: all the rest)."""

    key: str
    title: str
    classes: frozenset[str] | None


GROUPS = (
    Group("zones", "Pilot zones", frozenset({PK + "PilotZone"})),
    Group("programmes", "Pilot programmes and batches", frozenset({PK + "PilotProgramme", PK + "PilotBatch"})),
    Group("policies", "Policies", frozenset({PK + "Policy"})),
    Group("bodies", "Responsible bodies", frozenset({PK + "ResponsibleBody", PK + "CollectiveBody"})),
    Group("tasks", "Reform tasks", frozenset({PK + "ReformTask"})),
    Group("divisions", "Administrative divisions", frozenset({
        PK + "AdministrativeDivision", PK + "ProvinceLevelDivision", PK + "PrefectureLevelDivision",
        PK + "CountyLevelDivision"})),
    Group("responsibilities", "Responsibilities", frozenset({PK + "Responsibility"})),
    Group("objectives", "Objectives", frozenset({PK + "Objective"})),
    Group("sources", "Source documents", frozenset({PK + "SourceDocument"})),
    Group("other", "Other", None),
)
GROUP_KEYS = tuple(g.key for g in GROUPS)


# --- text analysis ------------------------------------------------------------------------------

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_TOKEN = re.compile(rf"(?P<han>[{HAN}]+)|(?P<word>[^\W_{HAN}]+)")
_HAS_HAN = re.compile(f"[{HAN}]")
_HAN_RUN = re.compile(f"[{HAN}]+")
_LATIN = re.compile(r"[A-Za-z0-9]")
_TONE_NUMBERS = re.compile(r"[a-z]+(?:[1-5][a-z]+)*[1-5]?")  # syllables with tone numbers; linear to match

_jieba = None
_jieba_lock = threading.Lock()


def segmenter():
    """jieba, its dictionary loaded once and quietly (no import warning, its logger set to warnings only)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                with warnings.catch_warnings():  # jieba imports pkg_resources, which warns on import
                    warnings.simplefilter("ignore")
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Compatibility form, accents dropped, case folded: ``Chéngdū`` → ``chengdu``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded English word without its plural ending (``counties`` → ``county``)."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def pinyin_fold(text: str) -> str:
    """Pinyin as compared: folded, ü written u (``lǜ``, ``lü`` and ``lv`` all give ``lu``)."""
    return fold(text).replace("v", "u")


def has_han(text: str) -> bool:
    return bool(_HAS_HAN.search(text))


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    norm: str
    stem: str


@dataclass(frozen=True, slots=True)
class Syllable:
    pos: int  # the character it is the reading of
    run: int  # which run of Chinese characters it belongs to
    plain: str
    toned: str


@dataclass(slots=True)
class Field:
    """One indexed literal of one resource, analysed."""

    doc: int
    kind: str
    name: str
    text: str
    tokens: tuple[Token, ...] = ()
    words: tuple[tuple[int, int], ...] = ()  # jieba (precise mode) words in the Chinese runs
    boundaries: frozenset[int] = frozenset()  # where jieba words (precise or search mode) begin or end
    key: str = ""  # the folded words and Chinese runs, run together: for exact and prefix matches
    stem_key: str = ""
    syllables: tuple[Syllable, ...] = ()
    vocabulary: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)  # (norm, stem) → tokens

    def __post_init__(self) -> None:
        if self.tokens and not self.vocabulary:
            positions: dict[tuple[str, str], list[int]] = {}
            for i, token in enumerate(self.tokens):
                positions.setdefault((token.norm, token.stem), []).append(i)
            self.vocabulary = {k: tuple(v) for k, v in positions.items()}

    def positions(self, term: "QueryTerm") -> list[int]:
        """The tokens a word term matches (each distinct word of a long text tried once)."""
        return [i for (norm, norm_stem), at in self.vocabulary.items()
                if _matches(term.text, term.stem, norm, norm_stem) for i in at]


def analyse(doc: int, kind: str, name: str, text: str) -> Field:
    """A :class:`Field` with its words, Chinese segmentation and match keys."""
    tokens, words, boundaries, key, stem_key = [], [], set(), [], []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if match.group("han"):
            run = match.group("han")
            key.append(run)
            stem_key.append(run)
            jieba = segmenter()
            for word, s, e in jieba.tokenize(run):
                words.append((start + s, start + e))
                boundaries.update((start + s, start + e))
            for _word, s, e in jieba.tokenize(run, mode="search"):
                boundaries.update((start + s, start + e))
        else:
            norm = fold(match.group("word"))
            tokens.append(Token(start, end, norm, stem(norm)))
            key.append(norm)
            stem_key.append(stem(norm))
    return Field(doc, kind, name, text, tuple(tokens), tuple(words), frozenset(boundaries), "".join(key),
                 "".join(stem_key))


def pinyin_field(source: Field) -> Field:
    """The pinyin reading of a Chinese field: one syllable per Chinese character."""
    from pypinyin import Style, lazy_pinyin

    syllables = []
    for run, match in enumerate(m for m in _TOKEN.finditer(source.text) if m.group("han")):
        chars = match.group("han")
        toned = lazy_pinyin(chars, style=Style.TONE)
        if len(toned) != len(chars):  # one reading per character, whatever pypinyin grouped
            toned = [lazy_pinyin(c, style=Style.TONE)[0] for c in chars]
        for offset, reading in enumerate(toned):
            syllables.append(Syllable(match.start() + offset, run, pinyin_fold(reading), reading))
    return Field(source.doc, "pinyin", "pinyin", source.text, syllables=tuple(syllables),
                 key="".join(s.plain for s in syllables))


# --- queries -----------------------------------------------------------------------------------


class QueryTooLong(ValueError):
    """The query is longer than :data:`MAX_QUERY_LENGTH` characters."""


@dataclass(frozen=True)
class QueryTerm:
    """A word (folded) or a run of Chinese characters (with its jieba words if more than one).

    What must be found are *atoms*: a word is one; a Chinese run is one per jieba word, found
    all at once where the run occurs (or reads as an abbreviation), or word by word, possibly in
    different fields of the resource (四川成都: 四川 in one name, 成都 in another)."""

    kind: str  # "word", "han", or "any": a name of the glossary or gazetteer and its other names
    text: str
    stem: str
    parts: tuple[str, ...] = ()
    first_atom: int = 0
    alternatives: tuple["Query", ...] = ()  # "any": each name as a query; one must match in one field

    @property
    def atoms(self) -> frozenset[int]:
        return frozenset(range(self.first_atom, self.first_atom + max(1, len(self.parts))))


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[QueryTerm, ...]
    atoms: int  # how many atoms the terms have, all of which a resource must match
    key: str
    stem_key: str
    pinyin: str  # the word terms run together, as pinyin is compared ("" when there are none)
    keys: frozenset[str] = frozenset()  # the keys of a whole name matching the query exactly (key if empty)
    stem_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.keys:
            object.__setattr__(self, "keys", frozenset({self.key}))
        if not self.stem_keys:
            object.__setattr__(self, "stem_keys", frozenset({self.stem_key}))

    @property
    def expanded(self) -> bool:
        return any(t.kind == "any" for t in self.terms)


def parse_query(text: str) -> Query:
    """The terms of a query: its words and runs of Chinese characters (punctuation ignored).
    Raises :class:`QueryTooLong` beyond :data:`MAX_QUERY_LENGTH` characters."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(f"the query has {len(text)} characters; the limit is {MAX_QUERY_LENGTH}")
    normal = unicodedata.normalize("NFKC", text)
    terms: list[QueryTerm] = []
    atoms = 0
    for match in _TOKEN.finditer(normal):
        if match.group("han"):
            run = match.group("han")
            parts = tuple(w for w in segmenter().cut(run) if w.strip()) if len(run) > 1 else ()
            candidate = QueryTerm("han", run, run, parts if len(parts) > 1 else (), atoms)
        else:
            norm = fold(match.group("word"))
            candidate = QueryTerm("word", norm, stem(norm), (), atoms)
        if any((t.kind, t.text) == (candidate.kind, candidate.text) for t in terms):
            continue
        terms.append(candidate)
        atoms += len(candidate.atoms)
    words = [t.text for t in terms if t.kind == "word"]
    pinyin = "".join(_without_tone_numbers(pinyin_fold(w)) for w in words)
    return Query(text, tuple(terms), atoms, "".join(t.text for t in terms), "".join(t.stem for t in terms), pinyin)


_ACRONYM = re.compile(r"[A-Z][A-Z0-9]{1,7}")
ACRONYM_MARK = "\0"  # before an acronym in the lexicon: matched as written in capitals
_VOWEL = re.compile("[aeiouAEIOU]")  # ... or in lower case if it has no vowel, so is no word (ndrc, not most)
MAX_NAME_UNITS = 12  # words (or jieba words) of the longest name the lexicon looks for in a query
MAX_ALTERNATIVES = 24  # names an "any" term tries
MAX_VARIANTS = 64  # whole-name keys a query with "any" terms ranks as exact


@lru_cache(maxsize=16384)
def name_key(text: str) -> str:
    """How a name is looked up: its words folded and stemmed, space-separated, and its runs of
    Chinese characters as they are (``Farmers' income`` → ``farmer income``)."""
    return _join_units(_units(text))


def _units(text: str) -> list[tuple[str, str, bool]]:
    """(text, key, is Latin) of each word of ``text``, Chinese runs cut into jieba words."""
    units = []
    for match in _TOKEN.finditer(unicodedata.normalize("NFKC", text)):
        if match.group("han"):
            run = match.group("han")
            words = [w for w in segmenter().cut(run) if w.strip()] if len(run) > 1 else [run]
            units += [(w, w, False) for w in words]
        else:
            word = match.group("word")
            units.append((word, stem(fold(word)), True))
    return units


def _join_units(units) -> str:
    out = []
    for k, (_text, key, latin) in enumerate(units):
        out.append((" " if latin and k and units[k - 1][2] else "") + key)
    return "".join(out)


def _text_of_units(units) -> str:
    out = []
    for k, (text, _key, latin) in enumerate(units):
        out.append((" " if k and (latin or units[k - 1][2]) else "") + text)
    return "".join(out)


def _without_tone_numbers(word: str) -> str:
    """``cheng2du1`` → ``chengdu``; other words unchanged."""
    if _TONE_NUMBERS.fullmatch(word) and any(c.isdigit() for c in word):
        return "".join(c for c in word if not c.isdigit())
    return word


# --- matching ----------------------------------------------------------------------------------


def _word_matches(term: QueryTerm, token: Token) -> bool:
    return _matches(term.text, term.stem, token.norm, token.stem)


@lru_cache(maxsize=262144)  # the same words meet again and again: across the names a query tries
def _matches(text: str, text_stem: str, norm: str, norm_stem: str) -> bool:
    if norm.startswith(text) or norm_stem.startswith(text):
        return True
    return text_stem != text and norm_stem == text_stem


def _occurrences(needle: str, haystack: str) -> list[tuple[int, int]]:
    spans, start = [], haystack.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return spans


def _abbreviation(query: str, text: str, words: tuple[tuple[int, int], ...]) -> list[tuple[int, int]] | None:
    """Spans of ``query`` read as leading characters of successive words (one one-character word,
    such as 和 or 暨, may be skipped between two pieces); None if it cannot be read so."""
    failed: set[tuple[int, int]] = set()

    def from_word(qpos: int, k: int) -> list[tuple[int, int]] | None:
        if (qpos, k) in failed:
            return None
        start, end = words[k]
        word = text[start:end]
        for take in range(min(len(word), len(query) - qpos), 0, -1):
            if word[:take] != query[qpos:qpos + take]:
                continue
            if qpos + take == len(query):
                return [(start, start + take)]
            for following in (k + 1, k + 2):
                if following >= len(words):
                    break
                if following == k + 2 and words[k + 1][1] - words[k + 1][0] != 1:
                    break
                rest = from_word(qpos + take, following)
                if rest:
                    return [(start, start + take), *rest]
        failed.add((qpos, k))
        return None

    for k in range(len(words)):
        found = from_word(0, k)
        if found and len(found) > 1:
            return found
    return None


def _han_match(term: QueryTerm, f: Field) -> tuple[list[tuple[int, int]], int, frozenset[int]] | None:
    """Spans, quality (0 substring on word boundaries, 1 other substring, 2 abbreviation,
    3 jieba words of the term) and atoms matched of a Chinese term in a field."""
    spans = _occurrences(term.text, f.text)
    if spans:
        aligned = any(s in f.boundaries and e in f.boundaries for s, e in spans)
        return spans, 0 if aligned else 1, term.atoms
    if len(term.text) > 1 and f.kind != "text":  # abbreviations are a way of naming, not of writing prose
        pieces = _abbreviation(term.text, f.text, f.words)
        if pieces:
            return pieces, 2, term.atoms
    atoms = set()
    for number, part in enumerate(term.parts):
        found = _occurrences(part, f.text)
        if found:
            spans.extend(found)
            atoms.add(term.first_atom + number)
    return (spans, 3, frozenset(atoms)) if atoms else None


def _pinyin_runs(f: Field, wanted: str) -> list[tuple[int, int]]:
    """Syllable ranges [i, j) of a pinyin field whose readings, run together, begin with ``wanted``
    (starting at a syllable boundary and staying within one run of Chinese characters)."""
    found = []
    syllables = f.syllables
    for i, first in enumerate(syllables):
        if not first.plain or wanted[0] != first.plain[0]:
            continue
        read, j = "", i
        while len(read) < len(wanted) and j < len(syllables) and syllables[j].run == first.run:
            read += syllables[j].plain
            j += 1
            if not (wanted.startswith(read) or read.startswith(wanted)):
                break
        if read.startswith(wanted):
            found.append((i, j))
    return found


@dataclass
class FieldMatch:
    field: Field
    atoms: frozenset[int]  # the atoms of the query terms it matches
    spans: list[tuple[int, int]]  # in field.text
    syllable_spans: list[tuple[int, int]]  # pinyin fields: the matched syllables, as ranges [i, j)
    sub: int  # how well it matches (0 exact, 1 prefix, 2 and more looser)
    expanded: bool = False  # matched through another name of a term of the query, not its own words

    def rank(self, all_atoms: int) -> tuple[int, int]:
        return (TIERS[self.field.kind], self.sub) if len(self.atoms) == all_atoms else (CROSS_FIELD_TIER, 9)


def _phrases(query: Query, f: Field) -> list[tuple[int, int]] | None:
    """Where the words of a query of several words (and nothing else) occur one after the other in
    the field, in order (each as it would match alone); None for other queries."""
    if len(query.terms) < 2 or any(t.kind != "word" for t in query.terms) or f.kind == "pinyin":
        return None
    n = len(query.terms)
    return [(f.tokens[i].start, f.tokens[i + n - 1].end) for i in sorted(f.positions(query.terms[0]))
            if i + n <= len(f.tokens) and all(_word_matches(t, f.tokens[i + k]) for k, t in enumerate(query.terms[1:], 1))]


def _match_any(term: QueryTerm, f: Field, worth: Callable[[Query], bool]) -> FieldMatch | None:
    """The best match in ``f`` of one of the names of an "any" term, each matched whole (all its
    words in this one field); its ``sub`` is as good as the name matches the field. ``worth``
    says whether a name may occur in the field at all (from the index's tables)."""
    best, best_order, spans, own = None, None, [], False
    for alternative in term.alternatives:
        if not worth(alternative):
            continue
        found = _match_field(alternative, f)
        if found is None or len(found.atoms) < alternative.atoms:
            continue
        found.expanded = alternative is not term.alternatives[0]  # the first is the query's own words
        phrases = _phrases(alternative, f)
        if phrases:  # the name as written: only its occurrences are marked
            found.spans = phrases
        order = (found.sub, found.expanded, phrases == [])  # a name as written before its words apart
        if best is None or order < best_order:
            best, best_order = found, order
        if not found.expanded:
            own = True
        elif own and not phrases:
            # another name whose words lie apart, where the query's own words are found: mark only
            # those ("Chongqing" does not mark "cities" through "Chongqing City")
            continue
        spans += found.spans
    if best is not None:
        best.spans = spans  # every name found is marked
    return best


def _match_field(query: Query, f: Field, worth: Callable[[Query], bool] = lambda _q: True) -> FieldMatch | None:
    if query.expanded:
        return _match_expanded(query, f, worth)
    if f.kind == "pinyin":
        return _match_pinyin(query, f)
    matched, spans, quality = set(), [], 0
    for t in query.terms:
        if t.kind == "word":
            found = [(f.tokens[i].start, f.tokens[i].end) for i in f.positions(t)]
            if found:
                matched |= t.atoms
                spans.extend(found)
        else:
            result = _han_match(t, f)
            if result:
                spans.extend(result[0])
                quality = max(quality, result[1])
                matched |= result[2]
    if not matched:
        return None
    return FieldMatch(f, frozenset(matched), spans, [], _sub(query, f, quality))


def _sub(query: Query, f: Field, quality: int) -> int:
    if f.key in query.keys or f.stem_key in query.stem_keys:
        return 0
    if any(f.key.startswith(key) for key in query.keys):
        return 1
    return 2 + quality


def _match_expanded(query: Query, f: Field, worth: Callable[[Query], bool]) -> FieldMatch | None:
    """A query with "any" terms: those match through their names; the others as usual (a query of
    the remaining terms)."""
    rest = [t for t in query.terms if t.kind != "any"]
    matched, spans, syllables, subs, expanded = set(), [], [], [], False
    if rest:
        plain = Query(query.text, tuple(rest), query.atoms, query.key, query.stem_key, query.pinyin)
        found = _match_pinyin(plain, f) if f.kind == "pinyin" else _match_field(plain, f)
        if found:
            matched |= found.atoms
            spans += found.spans
            syllables += found.syllable_spans
            subs.append(found.sub)
    for t in query.terms:
        if t.kind == "any":
            found = _match_any(t, f, worth)
            if found:
                matched |= t.atoms
                spans += found.spans
                syllables += found.syllable_spans
                subs.append(found.sub)
                expanded = expanded or found.expanded
    if not matched:
        return None
    if len(query.terms) == 1:
        sub = subs[0]
    elif f.kind == "pinyin":
        sub = max(subs)
    else:
        sub = _sub(query, f, 0) if len(matched) == query.atoms else 3
    return FieldMatch(f, frozenset(matched), spans, syllables, sub, expanded)


def _match_pinyin(query: Query, f: Field) -> FieldMatch | None:
    word_terms = [t for t in query.terms if t.kind == "word"]
    if not word_terms or len(query.pinyin) < 2:
        return None
    runs = _pinyin_runs(f, query.pinyin)
    if runs:
        i, j = runs[0]
        whole = i == 0 and j == len(f.syllables) and f.key == query.pinyin
        sub = 0 if whole else (1 if i == 0 else 2)
        matched = frozenset().union(*(t.atoms for t in word_terms))
    else:
        runs, matched_atoms = [], set()
        for t in word_terms:
            wanted = _without_tone_numbers(pinyin_fold(t.text))
            if len(wanted) >= 2:
                found = _pinyin_runs(f, wanted)
                if found:
                    runs.extend(found)
                    matched_atoms |= t.atoms
        if not matched_atoms:
            return None
        sub, matched = 3, frozenset(matched_atoms)
    spans = [(f.syllables[i].pos, f.syllables[j - 1].pos + 1) for i, j in runs]
    return FieldMatch(f, matched, spans, runs, sub)


# --- highlighting ------------------------------------------------------------------------------


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Iterable[tuple[int, int]], *, limit: int | None = None) -> Markup:
    """``text`` as HTML, escaped, with each span wrapped in ``<mark>``. With ``limit``, a long text
    is cut to about that many characters around its first span, with ellipses."""
    spans = _merge(spans)
    start, end = 0, len(text)
    if limit and len(text) > limit:
        first = spans[0][0] if spans else 0
        start = max(0, first - limit // 4)
        if start:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 20 else start
        end = min(len(text), start + limit)
        if end < len(text):
            space = text.find(" ", end)
            end = space if 0 <= space - end < 20 else end
    parts: list[Markup] = [Markup("…")] if start else []
    cursor = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        parts.append(escape(text[cursor:s]))
        parts.append(Markup("<mark>{}</mark>").format(text[s:e]))
        cursor = e
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def highlight_pinyin(f: Field, runs: list[tuple[int, int]]) -> Markup:
    """The toned readings of a pinyin field, syllables apart, the matched ones marked."""
    marked = {k for i, j in runs for k in range(i, j)}
    parts = []
    for k, syllable in enumerate(f.syllables):
        if k in marked:
            parts.append(Markup("<mark>{}</mark>").format(syllable.toned))
        else:
            parts.append(escape(syllable.toned))
    return Markup(" ").join(parts)


# --- the index ---------------------------------------------------------------------------------


@dataclass
class Document:
    iri: str
    path: str
    label: str
    chinese: str | None
    group: str
    kind_label: str  # what the resource is (the label of its most specific class, or its scheme)
    policy: "Document | None" = None  # a reform task: the policy it belongs to


@dataclass
class MatchedField:
    kind: str
    name: str
    text: str
    html: Markup
    pinyin_html: Markup | None = None


@dataclass
class Hit:
    document: Document
    rank: tuple
    fields: list[MatchedField]


@dataclass
class Results:
    query: Query
    groups: list[tuple[Group, list[Hit]]]
    total: int
    seconds: float


class _PrefixTable:
    """Keys (strings) → field ids, looked up by prefix."""

    def __init__(self) -> None:
        self.postings: dict[str, set[int]] = {}
        self.keys: list[str] = []

    def add(self, key: str, fid: int) -> None:
        self.postings.setdefault(key, set()).add(fid)

    def freeze(self) -> None:
        self.keys = sorted(self.postings)

    def exact(self, key: str) -> set[int]:
        return self.postings.get(key, set())

    def prefixed(self, prefix: str) -> set[int]:
        found: set[int] = set()
        for i in range(bisect_left(self.keys, prefix), len(self.keys)):
            key = self.keys[i]
            if not key.startswith(prefix):
                break
            found |= self.postings[key]
        return found


@dataclass
class SearchIndex:
    """The analysed fields of every resource, and the tables that find candidates for a term."""

    generation: int = 0
    documents: list[Document] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    build_seconds: float = 0.0

    def __post_init__(self) -> None:
        self._words = _PrefixTable()
        self._stems = _PrefixTable()
        self._pinyin = _PrefixTable()  # readings run together from each syllable to the end of its run
        self._han: dict[str, set[int]] = {}
        self._lexicon: dict[str, set[int]] = {}  # name key → the named resources (see add_names)
        self._names: dict[int, tuple[str, ...]] = {}

    def add_names(self, doc: int, names: Iterable[str]) -> None:
        """Make the names of a resource of the glossary or gazetteer (a term, theme, division,
        zone or body with names in both languages) expand one another in queries."""
        from pypinyin import lazy_pinyin

        names = tuple(dict.fromkeys(n for n in names if name_key(n)))
        self._names[doc] = names
        for name in names:
            acronym = _ACRONYM.fullmatch(name)  # MOST, SAFE: found only as written, in capitals
            self._lexicon.setdefault(ACRONYM_MARK + name if acronym else name_key(name), set()).add(doc)
            if has_han(name) and not _LATIN.search(name):  # its pinyin, toneless, run together
                reading = pinyin_fold("".join(lazy_pinyin("".join(_HAN_RUN.findall(name)))))
                if len(reading) >= 4:
                    self._lexicon.setdefault(reading, set()).add(doc)

    def _named(self, units: list[tuple[str, str, bool]]) -> set[int] | None:
        """The resources a run of query words names: as written, or (Latin words) as pinyin run
        together without tone numbers (``zhai ji di``, ``cheng2du1``)."""
        key = _join_units(units)
        found = self._lexicon.get(key)
        word = units[0][0]
        if len(units) == 1 and (_ACRONYM.fullmatch(word) or (word.isascii() and not _VOWEL.search(word))):
            found = (found or set()) | self._lexicon.get(ACRONYM_MARK + word.upper(), set())
        if found or not all(latin for _t, _k, latin in units):
            return found
        return self._lexicon.get("".join(_without_tone_numbers(pinyin_fold(t)) for t, _k, _l in units))

    def expand(self, query: Query) -> Query:
        """``query`` with each run of its words that is a name in the lexicon (the longest first)
        replaced by an "any" term: that name or any other name of what it names. Unchanged if
        none is."""
        if not self._lexicon:
            return query
        units = _units(query.text)
        pieces: list[tuple[str, set[int] | None]] = []  # (text, named resources) or (text, None)
        i = 0
        while i < len(units):
            for j in range(min(len(units), i + MAX_NAME_UNITS), i, -1):
                docs = self._named(units[i:j])
                if docs:
                    pieces.append((_text_of_units(units[i:j]), docs))
                    i = j
                    break
            else:
                if pieces and pieces[-1][1] is None:
                    pieces[-1] = (_text_of_units([*_units(pieces[-1][0]), units[i]]), None)
                else:
                    pieces.append((units[i][0], None))
                i += 1
        if all(docs is None for _text, docs in pieces):
            return query
        terms: list[QueryTerm] = []
        atoms = 0
        for text, docs in pieces:
            if docs is None:
                for t in parse_query(text).terms:
                    if any((u.kind, u.text) == (t.kind, t.text) for u in terms):
                        continue
                    terms.append(replace(t, first_atom=atoms))
                    atoms += len(t.atoms)
                continue
            names = [text] + [n for d in sorted(docs) for n in self._names[d]]
            alternatives: dict[str, Query] = {}
            for name in names:
                parsed = parse_query(name[:MAX_QUERY_LENGTH])
                if parsed.terms and len(alternatives) < MAX_ALTERNATIVES:
                    alternatives.setdefault(name_key(name), parsed)
            key = name_key(text)
            if any(t.kind == "any" and t.stem == key for t in terms):
                continue
            terms.append(QueryTerm("any", text, key, (), atoms, tuple(alternatives.values())))
            atoms += 1
        options = [[(a.key, a.stem_key) for a in t.alternatives] if t.kind == "any" else [(t.text, t.stem)]
                   for t in terms]
        variants = list(islice(product(*options), MAX_VARIANTS))
        words = [t.text for t in terms if t.kind == "word"]
        pinyin = "".join(_without_tone_numbers(pinyin_fold(w)) for w in words)
        return Query(query.text, tuple(terms), atoms, "".join(t.text for t in terms),
                     "".join(t.stem for t in terms), pinyin,
                     frozenset("".join(k for k, _ in v) for v in variants),
                     frozenset("".join(st for _, st in v) for v in variants))

    def add(self, f: Field) -> None:
        fid = len(self.fields)
        self.fields.append(f)
        for token in f.tokens:
            self._words.add(token.norm, fid)
            self._stems.add(token.stem, fid)
        if f.kind != "pinyin":
            for char in set(f.text):
                if _HAS_HAN.match(char):
                    self._han.setdefault(char, set()).add(fid)
        for i, syllable in enumerate(f.syllables):
            rest = "".join(s.plain for s in f.syllables[i:i + 24] if s.run == syllable.run)
            self._pinyin.add(rest, fid)

    def freeze(self) -> None:
        for table in (self._words, self._stems, self._pinyin):
            table.freeze()

    def _candidates(self, query: Query, may_hold: dict[int, set[int]] | None = None, one_field: bool = False) -> set[int]:
        """The fields worth matching: those that may hold some atom of the query, in resources
        whose fields together may hold every atom (found through the tables, verified later);
        with ``one_field``, those that may hold every atom themselves."""
        per_atom: dict[int, set[int]] = {atom: set() for atom in range(query.atoms)}
        for t in query.terms:
            if t.kind == "any":
                for alternative in t.alternatives:
                    per_atom[t.first_atom] |= (may_hold[id(alternative)] if may_hold is not None
                                               else self._candidates(alternative, one_field=True))
            elif t.kind == "word":
                found = self._words.prefixed(t.text) | self._stems.prefixed(t.text)
                if t.stem != t.text:
                    found |= self._stems.exact(t.stem)
                wanted = _without_tone_numbers(pinyin_fold(t.text))
                if len(wanted) >= 2:
                    found |= self._pinyin.prefixed(wanted[:24])
                per_atom[t.first_atom] |= found
            else:
                whole = self._having_chars(t.text)
                for atom in t.atoms:
                    per_atom[atom] |= whole
                for number, part in enumerate(t.parts):
                    per_atom[t.first_atom + number] |= self._having_chars(part)
        if len(query.pinyin) >= 2:  # the words run together, read as pinyin, hold every word atom
            together = self._pinyin.prefixed(query.pinyin[:24])
            for t in query.terms:
                if t.kind == "word":
                    per_atom[t.first_atom] |= together
        if one_field:
            return set.intersection(*per_atom.values()) if per_atom else set()
        docs: set[int] | None = None
        for fields in sorted(per_atom.values(), key=len):
            having = {self.fields[fid].doc for fid in fields}
            docs = having if docs is None else docs & having
            if not docs:
                return set()
        return {fid for fields in per_atom.values() for fid in fields if self.fields[fid].doc in docs}

    def _having_chars(self, text: str) -> set[int]:
        sets = [self._han.get(c, set()) for c in set(text)]
        return set.intersection(*sets) if sets else set()

    def search(self, text: str, per_group: int | None = None) -> Results:
        """The resources matching every term of ``text``, ranked, grouped by class. Raises
        :class:`QueryTooLong` for an over-long query; a query without words gives no results."""
        started = time.perf_counter()
        query = self.expand(parse_query(text))
        if not query.terms:
            return Results(query, [], 0, time.perf_counter() - started)
        n_atoms = query.atoms
        by_doc: dict[int, list[FieldMatch]] = {}
        may_hold: dict[int, set[int]] = {}  # id of an alternative name → fields that may hold it
        for t in query.terms:
            for alternative in t.alternatives:
                may_hold[id(alternative)] = self._candidates(alternative, one_field=True)
        for fid in self._candidates(query, may_hold):
            found = _match_field(query, self.fields[fid], lambda alt, fid=fid: fid in may_hold[id(alt)])
            if found:
                by_doc.setdefault(self.fields[fid].doc, []).append(found)
        hits_by_group: dict[str, list[Hit]] = {}
        for doc_id, matches in by_doc.items():
            covered = frozenset().union(*(m.atoms for m in matches))
            if len(covered) < n_atoms:
                continue
            doc = self.documents[doc_id]
            shown = _fields_to_show(matches, n_atoms)
            best = min(m.rank(n_atoms) for m in matches)
            exact_name = any(m.field.kind in NAME_KINDS and m.sub == 0 and len(m.atoms) == n_atoms for m in matches)
            rank = (0 if exact_name else 1, *best, doc.label.casefold(), doc.iri)
            hits_by_group.setdefault(doc.group, []).append(Hit(doc, rank, [_shown(m) for m in shown]))
        groups = []
        total = 0
        for group in GROUPS:
            hits = sorted(hits_by_group.get(group.key, []), key=lambda h: h.rank)
            if hits:
                groups.append((group, hits))
                total += len(hits)
        return Results(query, groups, total, time.perf_counter() - started)


def _fields_to_show(matches: list[FieldMatch], n_atoms: int) -> list[FieldMatch]:
    """The best field matching every term (in the query's own words rather than through another
    name of a term: 土地 shows the Chinese name it matched, not the English one); else a few
    fields that together cover the terms."""
    ordered = sorted(matches, key=lambda m: (len(m.atoms) < n_atoms, m.expanded, m.rank(n_atoms), m.field.text))
    if len(ordered[0].atoms) == n_atoms:
        return [ordered[0]]
    shown, covered = [], frozenset()
    for m in sorted(matches, key=lambda m: (-len(m.atoms), TIERS[m.field.kind], m.sub, m.field.text)):
        if not m.atoms <= covered:
            shown.append(m)
            covered |= m.atoms
        if len(covered) == n_atoms:
            break
    return shown


def _shown(m: FieldMatch) -> MatchedField:
    html = highlight(m.field.text, m.spans, limit=SNIPPET_LENGTH)
    pinyin = highlight_pinyin(m.field, m.syllable_spans) if m.field.kind == "pinyin" else None
    return MatchedField(m.field.kind, m.field.name, m.field.text, html, pinyin)


# --- building from the store -------------------------------------------------------------------

PREFIXES = f"""PREFIX rdfs: <{RDFS}>
PREFIX skos: <{SKOS}>
PREFIX pk: <{PK}>
"""
INDEXED = " ".join(f"<{p}>" for p in [*NAME_PROPERTIES, *TEXT_PROPERTIES])
LITERALS_QUERY = PREFIXES + f"""SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ {INDEXED} }}
  ?s ?p ?o .
  FILTER(isIRI(?s) && isLiteral(?o))
  FILTER NOT EXISTS {{ ?s a pk:Evidence }}
}}"""
TYPES_QUERY = PREFIXES + f"""SELECT DISTINCT ?s ?type WHERE {{
  VALUES ?p {{ {INDEXED} }}
  ?s ?p ?o ; a ?type .
  FILTER(isIRI(?s) && isIRI(?type))
  FILTER NOT EXISTS {{ ?s a pk:Evidence }}
}}"""
SCHEMES_QUERY = PREFIXES + """SELECT DISTINCT ?s ?scheme WHERE { ?s skos:inScheme ?scheme . FILTER(isIRI(?s)) }"""
SUBCLASS_QUERY = PREFIXES + """SELECT DISTINCT ?sub ?super WHERE {
  ?sub rdfs:subClassOf ?super . FILTER(isIRI(?sub) && isIRI(?super) && ?sub != ?super) }"""
DIVISIONS_QUERY = PREFIXES + """SELECT DISTINCT ?zone ?name WHERE {
  ?zone a pk:PilotZone .
  { ?zone pk:coversDivision ?division } UNION { ?zone pk:inProvince ?division }
  ?division rdfs:label|skos:prefLabel ?name .
  FILTER(isIRI(?zone) && isLiteral(?name))
}"""
# The policy each reform task belongs to: the one above it in the task tree; else the one that
# establishes the programme above it; else the only policy of the text it is taken from.
POLICY_QUERY = PREFIXES + """SELECT DISTINCT ?task ?policy ?how WHERE {
  ?task a pk:ReformTask .
  { ?task pk:taskOf+ ?policy . ?policy a pk:Policy . BIND(0 AS ?how) }
  UNION { ?task pk:taskOf+ ?programme . ?programme a pk:PilotProgramme ; pk:establishedBy ?policy .
          ?policy a pk:Policy . BIND(1 AS ?how) }
  UNION { ?task pk:derivedFrom ?source . ?policy a pk:Policy ; pk:derivedFrom ?source . BIND(2 AS ?how) }
  FILTER(isIRI(?task) && isIRI(?policy))
}"""
GLOSSARY_SCHEME = "https://w3id.org/pilotkg/id/glossary"
THEME_SCHEME = PK + "ReformThemes"
LEXICON_GROUPS = {"divisions", "zones", "bodies"}  # besides the concepts of the glossary and themes
# what a division's name is without its kind (四川省 → 四川, Hejiang County → Hejiang)
_ZH_DIVISION_SUFFIX = re.compile("(?:省|市|自治区|特别行政区|自治州|自治县|地区|盟|区|县)$")
_EN_DIVISION_KIND = {"省": "Province", "市": "City", "县": "County", "区": "District"}
_EN_DIVISION_SUFFIX = re.compile(r"\s+(?:Province|City|District|County|Prefecture|Municipality)$")

def _preferred_label(names: list[tuple[str, str | None, bool]], iri: str) -> tuple[str, str | None]:
    """(display label, Chinese name) from (text, language, is an alias) triples: labels before
    aliases; English first, then untagged, then anything not Chinese, then Chinese; the IRI's
    short form if there is none."""
    def rank(name):
        text, lang, alias = name
        return (has_han(text), alias, 0 if lang == "en" else (1 if not lang else 2), text)

    ordered = sorted(names, key=rank)
    label = ordered[0][0] if ordered else compact(iri)
    chinese = sorted((alias, lang != "zh", text) for text, lang, alias in names if has_han(text))
    name = chinese[0][2] if chinese else None
    return label, (name if name != label else None)


def build_index(select: Select, generation: int = 0) -> SearchIndex:
    """Read the indexed literals of every resource (five SELECTs) and analyse them."""
    started = time.perf_counter()
    literals = select(LITERALS_QUERY)
    types: dict[str, set[str]] = {}
    for row in select(TYPES_QUERY):
        types.setdefault(row["s"].value, set()).add(row["type"].value)
    schemes: dict[str, str] = {}
    for row in select(SCHEMES_QUERY):
        schemes.setdefault(row["s"].value, row["scheme"].value)
    supers: dict[str, set[str]] = {}
    for row in select(SUBCLASS_QUERY):
        supers.setdefault(row["sub"].value, set()).add(row["super"].value)
    divisions: dict[str, list[str]] = {}  # names of the divisions a zone covers or lies in
    for row in select(DIVISIONS_QUERY):
        divisions.setdefault(row["zone"].value, []).append(" ".join(row["name"].value.split()))
    policies: dict[str, tuple[int, str]] = {}  # task → (how found, policy); the last only if one
    ambiguous: set[tuple[str, int]] = set()
    for row in select(POLICY_QUERY):
        task, how, policy = row["task"].value, int(row["how"].value), row["policy"].value
        known = policies.get(task)
        if known is None or how < known[0]:
            policies[task] = (how, policy)
        elif how == known[0] and policy != known[1]:
            ambiguous.add((task, how))
            policies[task] = min(known, (how, policy))

    by_subject: dict[str, list[tuple[str, object]]] = {}
    for row in literals:
        by_subject.setdefault(row["s"].value, []).append((row["p"].value, row["o"]))

    kinds = {iri: _most_specific(ts, supers) for iri, ts in types.items()}
    class_labels = labels_for({k for k in kinds.values() if k} | set(schemes.values()), select=select)

    index = SearchIndex(generation=generation)
    for iri in sorted(by_subject):
        path = local_path(iri)
        if path is None:
            continue
        values = by_subject[iri]
        names = [(" ".join(o.value.split()), o.lang, NAME_PROPERTIES[p] == "alias")
                 for p, o in values if p in NAME_PROPERTIES]
        label, chinese = _preferred_label(names, iri)
        doc_types = types.get(iri, set())
        group = next((g.key for g in GROUPS if g.classes is None or g.classes & doc_types), "other")
        kind = schemes.get(iri) or kinds.get(iri)
        vocabulary_kind = next((VOCABULARY_KINDS[t] for t in sorted(doc_types) if t in VOCABULARY_KINDS), None)
        kind_label = vocabulary_kind or (class_labels.get(kind, compact(kind)) if kind else "")
        doc_id = len(index.documents)
        index.documents.append(Document(iri, path, label, chinese, group, kind_label))
        if group in LEXICON_GROUPS or schemes.get(iri) in (GLOSSARY_SCHEME, THEME_SCHEME):
            texts = [text for text, _lang, _alias in names if "*" not in text]
            if any(has_han(t) for t in texts) and any(not has_han(t) for t in texts):
                if group == "divisions":  # 四川省 is also 四川, Sichuan Province and Sichuan
                    english = [t for t in texts if not has_han(t)]
                    for t in [t for t in texts if has_han(t)]:
                        kind = _ZH_DIVISION_SUFFIX.search(t)
                        texts.append(_ZH_DIVISION_SUFFIX.sub("", t))
                        if kind and kind.group() in _EN_DIVISION_KIND:
                            texts += [f"{e} {_EN_DIVISION_KIND[kind.group()]}" for e in english
                                      if not _EN_DIVISION_SUFFIX.search(e)]
                    texts += [_EN_DIVISION_SUFFIX.sub("", t) for t in english]
                    texts = [t for t in texts if len(t) >= 2]
                index.add_names(doc_id, texts)
        seen: set[tuple[str, str]] = set()
        for p, o in sorted(values, key=lambda v: (v[0], v[1].value)):
            text = " ".join(o.value.split())
            if not text:
                continue
            if p in NAME_PROPERTIES:
                kind_of_field = "zh" if has_han(text) else NAME_PROPERTIES[p]
            else:
                kind_of_field = "text"
            if (kind_of_field, text) in seen:
                continue
            seen.add((kind_of_field, text))
            name = TEXT_PROPERTIES.get(p) or FIELD_NAMES[kind_of_field]
            analysed = analyse(doc_id, kind_of_field, name, text)
            index.add(analysed)
            if kind_of_field == "zh":
                index.add(pinyin_field(analysed))
        for text in sorted(set(divisions.get(iri, []))):
            index.add(analyse(doc_id, "covers", FIELD_NAMES["covers"], text))
    by_iri = {d.iri: d for d in index.documents}
    for task, (how, policy) in policies.items():
        if task in by_iri and policy in by_iri and (task, how) not in ambiguous:
            by_iri[task].policy = by_iri[policy]
    index.freeze()
    index.build_seconds = time.perf_counter() - started
    return index


def _most_specific(doc_types: set[str], supers: dict[str, set[str]]) -> str | None:
    """The class of ``doc_types`` that no other of them is a subclass of (ours first)."""
    candidates = [t for t in doc_types if not any(t in supers.get(other, ()) for other in doc_types if other != t)]
    if not candidates:
        return None
    return sorted(candidates, key=lambda t: (not t.startswith(PK), t))[0]


# --- one index per service, rebuilt after writes -----------------------------------------------

_indexes: "weakref.WeakKeyDictionary[object, SearchIndex]" = weakref.WeakKeyDictionary()
_build_lock = threading.Lock()


def index_for(service) -> SearchIndex:
    """The search index of ``service``'s data: built at first use, rebuilt when
    ``service.generation`` has moved on (a write), one build at a time."""
    index = _indexes.get(service)
    if index is not None and index.generation == service.generation:
        return index
    with _build_lock:
        index = _indexes.get(service)
        generation = service.generation
        if index is None or index.generation != generation:
            index = build_index(store_select(service), generation)
            _indexes[service] = index
    return index

