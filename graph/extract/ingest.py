"""Ingesting a new text: the extraction pipeline of the build, run on a text that
is not in ``seeds/`` and has no curation file, into a draft named graph with its
validation report.

What a curator writes into a seed's curation file, ingest detects with generic
rules (:class:`_Detector`, with the readings of :mod:`.detect`), writes into a
curation built in memory, and hands to the same :class:`~.extractor.Extractor`
the build runs. Every fact of the draft is an entry of that curation (zones of
new divisions included, as ``zones: {zone, division, extent, label}``), so the
curation saved as a file reproduces the draft, and a review can accept or
reject it entry by entry. The rules, in the order :meth:`_Detector.curation`
applies them (the README's "Ingesting a new text" has them with examples):

* **programme**: the name the text uses most (:func:`.detect.find_programmes`,
  grouped with its shorter forms); its period or start, its declared counts;
  batches ("the second batch of ...") with their counts, approval dates and zones;
* **policy**: a title the text states (a title line, a quoted or written-out
  title), else a description of the document or approval it reports, else none;
  its type, issuers (agents of "issued"/"released", a title's authors, an
  approval's approvers) and issue date; other stated titles as policies too;
* **dates**: the page's date (a labelled date line, a by-line, a news dateline as
  ``xsd:gMonthDay``), a document's date under its title, approval dates; a
  weekday is never a date;
* **zones**: places resolved by the seed or the national gazetteer in
  designating sentences and the place lists after them, never a dateline,
  venue, caption, by-line, place in a name, adjective, locator or addressee;
  provinces by the scale of the programme;
* **responsibilities**: the sentence patterns read leniently (``patterns: {roles:
  lenient}``), with "the N departments" resolved to the bodies named before;
* **unknown names** are reported with their spans and never added; ambiguous
  places ("Taizhou") are reported with their candidates and never guessed.

The draft is validated like the build validates: draft + reference graph
(:func:`reference_quads`), OWL RL closure, SHACL, reported for the draft's own
nodes.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from datetime import date as _date
from pathlib import Path
from typing import Any, Mapping

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from . import detect, patterns
from ..build import check_evidence, check_no_blank_nodes
from .bodies import BodyFinder, UnresolvedLocal, draft_bodies, draft_body_quads
from .curation import Curation, CurationError
from .divisions import DIVISIONS_FILE as DIVISIONS_NATIONAL
from .divisions import Division as NationalDivision
from .divisions import NationalGazetteer, PlaceMention, load_national_gazetteer
from .extractor import UNRESOLVED, Extraction, Extractor
from .facts import body_slug, iri
from .gazetteer import Division, Gazetteer, load_gazetteer
from ..namespaces import PK, PKR
from ..rdf import Quad, division_quads, fact_quads, reference_quads, to_dataset
from ..rdfio import nquads_lines
from ..reason import InconsistentGraph, close
from .outline import lines, parse_outline, sentences
from .text import SourceText, Span, clean_label, slugify
from ..validate import ValidationReport, ValidationResult, ontology_graph, validate_graph


class IngestInputError(ValueError):
    """Input ingest cannot use: a missing or unreadable file, a text that is not
    UTF-8 or is empty, a malformed date or URL, a curation file that fails."""


def draft_graph(doc_id: str) -> URIRef:
    """The IRI of the named graph holding the draft facts of one ingested text."""
    return PKR[f"graph/draft/{doc_id}"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Unresolved:
    """A name ingest found but the gazetteer does not know: reported, never added."""

    kind: str  # "body" | "place"
    text: str
    start: int
    end: int
    note: str = ""  # e.g. "named as a pilot zone", "contains the known body 'State Council'"


@dataclass(frozen=True)
class AmbiguousPlace:
    """A place name the national gazetteer gives several divisions for, and the text none
    of their provinces: reported with its candidates, never added and never guessed."""

    text: str
    start: int
    end: int
    candidates: tuple[dict[str, str], ...]  # code, name, name_zh, level, province, province_code
    note: str = ""  # "named as a pilot zone", "locates the zones of a designating sentence"


@dataclass(frozen=True)
class Finding:
    """One thing the draft states, with the quote and offsets of its first evidence."""

    kind: str
    label: str
    node: str  # the IRI (or, for a date or count, the node it is stated of)
    quote: str
    start: int
    end: int
    detail: str = ""  # a date's or count's property and value, a zone's coverage and province


@dataclass
class IngestResult:
    """What ingesting one text gives: the draft quads, what was found, what could
    not be resolved, the notes of the rules that did not apply, and the SHACL report."""

    source: SourceText
    graph: URIRef
    quads: list[Quad]
    extraction: Extraction
    curation: dict[str, Any]
    found: dict[str, list[Finding]]
    unknown_bodies: list[Unresolved]
    unknown_places: list[Unresolved]
    not_added: list[str]
    notes: list[str]
    report: ValidationReport
    ambiguous_places: list[AmbiguousPlace] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return self.report.conforms

    def counts(self) -> dict[str, int]:
        """How many things of each kind the draft states."""
        return {kind: len(items) for kind, items in self.found.items()}

    def nquads(self) -> str:
        return "\n".join(nquads_lines(self.quads)) + "\n"

    def trig(self) -> str:
        """The draft graph as TriG, with the project's prefixes."""
        return to_dataset(self.quads).serialize(format="trig")

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.source.path),
            "graph": str(self.graph),
            "quads": len(self.quads),
            "counts": self.counts(),
            "found": {kind: [asdict(f) for f in items] for kind, items in self.found.items()},
            "unknown_bodies": [asdict(u) for u in self.unknown_bodies],
            "unknown_places": [asdict(u) for u in self.unknown_places],
            "ambiguous_places": [asdict(a) for a in self.ambiguous_places],
            "not_added": self.not_added,
            "notes": self.notes,
            "curation": self.curation,
            "validation": {
                "conforms": self.report.conforms,
                "violations": len(self.report.violations),
                "warnings": len(self.report.warnings),
                "results": [asdict(r) for r in self.report.results],
            },
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def as_text(self) -> str:
        """The report a person reads: counts, each finding with its quote, the
        unknown names, what was not added and why, and the SHACL report."""
        out = [f"Ingested {self.source.file_name} into the draft graph <{self.graph}> ({len(self.quads)} quads)", "", "Found:"]
        for kind, n in self.counts().items():
            out.append(f"  {kind:<17} {n:>3}")
        for kind, items in self.found.items():
            for f in items:
                detail = f" {f.detail}" if f.detail else ""
                out.append(f"  {kind}: {f.label}{detail}  [{f.start}–{f.end}] “{_short(f.quote)}”")
        out += ["", f"Unknown bodies (not in the gazetteer; reported, not added): {len(self.unknown_bodies)}"]
        out += [f"  “{u.text}” at {u.start}–{u.end}" + (f" ({u.note})" if u.note else "") for u in self.unknown_bodies]
        out += ["", f"Unknown places (in neither the seed nor the national gazetteer; reported, not added): {len(self.unknown_places)}"]
        out += [f"  “{u.text}” at {u.start}–{u.end}" + (f" ({u.note})" if u.note else "") for u in self.unknown_places]
        out += ["", f"Ambiguous places (several divisions of that name, none located by the text; reported, not added): {len(self.ambiguous_places)}"]
        for a in self.ambiguous_places:
            out.append(f"  “{a.text}” at {a.start}–{a.end}" + (f" ({a.note})" if a.note else "") + ": could be "
                       + "; ".join(f"{c['name']} {c['code']} ({c['province']})" for c in a.candidates))
        if self.not_added:
            out += ["", "Found but not added:"] + [f"  {line}" for line in self.not_added]
        if self.notes:
            out += ["", "Notes:"] + [f"  {line}" for line in self.notes]
        out += ["", "SHACL (draft + reference graph, after the OWL RL closure):", self.report.as_text()]
        return "\n".join(out)


def _short(quote: str, n: int = 70) -> str:
    flat = " ".join(quote.split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


# --------------------------------------------------------------------------- finding names

_CAP = r"[A-Z][A-Za-z'’\-]*"
_SP = r"[ \t]+"
_STOP = frozenset(
    "The A An In On At By Of For And To With From This That These Those Its Their Each Every Both All According "
    "Under As Since After Before During While When Meanwhile Moreover However Recently Also Other Our Some Any "
    "Hosted Sponsored Source Editor Related Pilot Integrated Launching Launch Launches".split()
)
_SUFFIX_HEADS = r"(?:Commission|Bureau|Office|Committee|(?:Leading|Working)[ \t]+Group|Administration|Department|Ministry|Government|Council|Agency)"
_PREFIX_HEADS = r"(?:Ministry|Department|Bureau|Office|General[ \t]+Office|Administration|Commission|People's[ \t]+Government|People’s[ \t]+Government)"
_CAP_RUN = rf"{_CAP}(?:{_SP}(?:and{_SP})?{_CAP})*"
_BODY = re.compile(
    rf"(?<![A-Za-z])(?:{_CAP}{_SP}(?:and{_SP})?)*{_SUFFIX_HEADS}(?![A-Za-z'’\-])"
    rf"(?:{_SP}(?:of|for){_SP}(?:the{_SP})?{_CAP_RUN})*"
)
# "A and B" inside a candidate is two names when A ends with a head word or B opens
# with one followed by "of"/"for" ("... Commission and Ministry of ...")
_AND = re.compile(rf"{_SP}and{_SP}")
_ENDS_WITH_HEAD = re.compile(rf"{_SUFFIX_HEADS}$")
_OPENS_WITH_HEAD = re.compile(rf"{_PREFIX_HEADS}{_SP}(?:of|for){_SP}")
_PLACE = re.compile(
    rf"(?<![A-Za-z])(?:{_CAP}{_SP}){{1,4}}?(?:Autonomous{_SP}Prefecture|Autonomous{_SP}County|County|City|District|Province|Prefecture)"
    r"(?![A-Za-z'’\-])"
)
_PROGRAMME = re.compile(
    rf"(?<![A-Za-z])(?:{_CAP}{_SP}(?:and{_SP})?)*Pilot{_SP}(?:Zones?|Areas?|Programmes?|Programs?|Projects?)(?![A-Za-z'’\-])"
    rf"(?:{_SP}(?:for|of|on){_SP}(?:the{_SP})?{_CAP_RUN})?"
)


def _strip_stop(text: str, start: int, end: int) -> Span | None:
    """The span without leading function words ("The", "In", ...); None if nothing is left."""
    for m in re.finditer(r"\S+", text[start:end]):
        if m.group() not in _STOP:
            return Span(start + m.start(), end)
    return None


def find_body_names(text: str) -> list[Span]:
    """Organisation-like names: "X Commission", "Ministry of X", "X Leading Group",
    "People's Government of X", "X Bureau", "X Office", "X Committee", ... (known or not)."""
    found = []
    for m in _BODY.finditer(text):
        pieces, cursor = [], m.start()
        for split in _AND.finditer(text, m.start(), m.end()):
            if _ENDS_WITH_HEAD.search(text, cursor, split.start()) or _OPENS_WITH_HEAD.match(text, split.end(), m.end()):
                pieces.append((cursor, split.start()))
                cursor = split.end()
        pieces.append((cursor, m.end()))
        for start, end in pieces:
            span = _strip_stop(text, start, end)
            if span is None or not re.search(_SUFFIX_HEADS, text[span.start : span.end]):
                continue
            if re.fullmatch(_SUFFIX_HEADS, text[span.start : span.end]):  # a bare "Office", "Ministry"
                continue
            found.append(span)
    return found


def find_place_names(text: str) -> list[Span]:
    """Place names: "X County", "X City", "X District", "X Province", "X Prefecture" (known or not)."""
    found = []
    for m in _PLACE.finditer(text):
        span = _strip_stop(text, m.start(), m.end())
        if span is None:
            continue
        words = text[span.start : span.end].split()
        kind_words = 2 if words[-2:-1] == ["Autonomous"] else 1
        if len(words) <= kind_words:  # "The City", "Pilot County"
            continue
        found.append(span)
    return found


def find_programme_names(text: str) -> list[Span]:
    """Title-Case names of pilot programmes: "... Pilot Zones", "... Pilot Areas",
    "... Pilot Programme", optionally with "for/of/on ..." after them."""
    found = []
    for m in _PROGRAMME.finditer(text):
        span = _strip_stop(text, m.start(), m.end())
        # "Pilot Zones" alone (or with only function words before it) names nothing
        if span is None or not re.search(r"\S\s+Pilot\s", text[span.start : span.end]):
            continue
        found.append(span)
    return found


def _covers(outer: Span, inner: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


# --------------------------------------------------------------------------- the rules

_POLICY_TYPES = (
    ("opinions", r"\bOpinions?\b"),
    ("reply-letter", r"\bReply\b|\breply letter\b"),
    ("notice", r"\bNotice\b|\bCircular\b"),
    ("plan", r"\bPlan\b"),
    ("programme", r"\bProgram(?:me)?\b"),
    ("approval", r"\bApproval\b"),
)
_FURNITURE = re.compile(r"[>|]")
_DATELINE_BEFORE = re.compile(r"^[\s(\[]*(?:[A-Za-z][A-Za-z ]{0,24}:\s*)?$")
# after the date: a time, then nothing but page furniture ("2024-05-20 09:41 | Source: Xinhua | Editor: Li Na")
_DATELINE_AFTER = re.compile(r"^(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s*\|.*)?[\s)\].]*$")
_DESIGNATING = re.compile(
    r"\b(?:selected|designated|chosen|named|listed|approv\w*|includ(?:e|es|ed|ing)|namely|cover(?:s|ed|ing)?|"
    r"located|set up|establish\w*|launch\w*|build|built|add(?:s|ed)?|join(?:s|ed)?|becom\w*|became|expand\w*|"
    r"extend\w*|identified|confirmed|granted|awarded|agree(?:s|d)?|(?:are|were|is|was)\s+as\s+follows|serv(?:e|es|ed|ing)\s+as)\b|:\s*\S", re.I)
_ORGANISATION_WORD = re.compile(r"\b(?:governments?|ministry|ministries|commissions?|departments?|bureaus?|committees?|offices?)\b", re.I)
_LISTING = re.compile(r"\b(?:including|include[sd]?|namely|such as)\b|:\s*\S", re.I)
_PILOT_OR_BATCH = re.compile(r"\b(?:pilots?|demonstration|experimental|batch|free trade|FTZs?|test (?:areas?|zones?))\b", re.I)
# A place that opens an organisation's or a thing's name ("Zhejiang University", "Shenzhen Stock Exchange",
# "the Henan provincial government")
_NAME_AFTER_PLACE = re.compile(
    r"(?-i:[ \t]+(?:(?:Municipal|Provincial|City|County|District)[ \t]+)?(?:University|Institute|Academy|College|School|Bank|Group|"
    r"Co\b|Company|Corporation|Daily|Television|TV|Radio|Airlines?|Port|Stock|Exchange|Museum|Hospital|Association|"
    r"Federation|Society|Foundation|Center|Centre|Observer|Evening|Times|News|Post|Media)\b)"
    r"|[ \t]+(?:(?:provincial|municipal|city|county|district|prefectural|regional|local)[ \t]+)?(?:people['’]s[ \t]+)?"
    r"(?:government|party[ \t]+committee|department|bureau|commission|administration|office)s?\b", re.I)
# A place used as an adjective of a common noun: "Yunnan and Gansu counties", "Zhejiang firms"
_ATTRIBUTIVE = re.compile(
    r"[ \t]+(?:counties|cities|districts|towns|townships|villages|enterprises|companies|firms|farmers|residents|officials|"
    r"authorities|businesses|exporters|producers|hospitals|schools|universities|delegates|students|workers)\b")
# Where a thing is, not a zone: "the China Emissions Exchange in Guangzhou", "registry is based in Wuhan"
_LOCATION_OF_A_THING = re.compile(
    r"(?:\b[A-Z][A-Za-z]*\s+(?:Exchange|Cent(?:er|re)|Company|Group|University|Institute|Academy|Bank|Airport|Hospital|"
    r"Museum|Headquarters|Office|Bureau|Commission|Department|Council|Committee|Association)|\b(?:based|headquartered|"
    r"registered|stationed|housed)|\bheadquarters)\s+(?:in|at)\s+(?:the\s+)?$")
# "the 14th Five-Year Plan period (2021-2025)": the plan's period, not the programme's
_PLAN_PERIOD = re.compile(r"Five-Year\s+Plan(?:\s+period)?\s*(?:\(|,\s*)?$|Five-Year\s+Plan\s+\w+\s+\($", re.I)
_HYPHENED = re.compile(r"[-‐–][A-Z]")
_HYPHENED_BEFORE = re.compile(r"[A-Za-z][-‐–]$")
_DATE_LABEL = re.compile(r"\b(?:Updated|Published|Date|Released|Posted|Release\s+time|Time)\s*[:：]\s*", re.I)
_PUBLICATION_LABEL = re.compile(r"\b(?:Published|Updated|Released?|Release time|Posted|Source|Editor|Date)\b|\|", re.I)
_MONTH_ABBREVIATIONS = {name[:3].lower(): number for name, number in patterns.MONTHS.items()}
_NEWS_DATELINE = re.compile(
    r"[\s(\[]*[A-Z][A-Za-z .'’\-]{1,40},\s+(?P<month>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*)\.?\s+"
    r"(?P<day>\d{1,2})\b(?:\s*\([A-Za-z .]{2,30}\))?\s*(?:--|—|–|-)")
_DOCUMENT_NOUN_PHRASE = re.compile(
    r"\b(?:a|an|the)\s+(?:(?:new|joint|recent|latest)\s+)?(?P<issuer>(?:[A-Z][\w'’\-]*\s+(?:(?:of|and|for)\s+)?){1,6}?)?"
    r"(?P<noun>(?:joint\s+)?(?:circular|notice|guidelines?|guiding\s+opinions?|opinions?|plan|work\s+plan|"
    r"implementation\s+plan|reply|decision|document|programme))\b")
_APPROVING_DECISION = re.compile(r"\b(?:approv\w*|agreed|agrees)\b", re.I)
_BATCH = re.compile(
    r"\b(?P<ord>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d{1,2}(?:st|nd|rd|th))\s+batch\b", re.I)
_ORDINALS = {w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)}


def _ordinal(word: str) -> int | None:
    word = word.lower()
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = re.match(r"\d+", word)
    return int(digits.group()) if digits else None


_TITLE_AUTHORS = re.compile(
    r"(?:The\s+)?(?:[A-Z][\w'’\-]*\s+){0,4}?(?:Opinions?|Notice|Circular|Plans?|Programme|Program|Reply|Decision|Guidelines?|"
    r"Measures|Scheme|Approval|Letter)\s+(?:of|by|from)\s+(?P<authors>.+?)\s+(?:on|for|about|regarding|concerning)\s")
_BODY_GROUP = re.compile(
    rf"\b[Tt]he (?P<n>{patterns.NUMBER}) (?:(?:central|government|state|national|other)\s+)?"
    r"(?:departments|ministries|agencies|bodies|authorities|regulators|organizations|organisations|institutions|commissions)\b")
# a body named again by its head noun ("the ministry", "the central bank") or a group by its plural ("the ministries")
_ANAPHOR = re.compile(
    r"\b[Tt]he\s+(?:(?P<other>other)\s+)?(?:(?P<plural>ministries|departments)|(?P<head>ministry|commission|administration|central\s+bank))\b"
    r"(?!\s+(?:of|for|on|concerned|at)\b)(?![’']s)")
_APPROVING = re.compile(r"\b(?:approv\w*|designated|selected|named|confirmed)\b", re.I)
_STARTING = re.compile(r"\b(?:launch\w*|start\w*|began|begun|begin\w*|kick\w* off|initiat\w*|introduc\w*|rolled out|set up|"
                       r"became the first)\b", re.I)
_SINCE_YEAR = re.compile(r"\b[Ss]ince (?:19|20)\d{2}\b")
# a sentence that opens with the programme named by its kind ("The programme, known as ..., was launched in ...")
_THE_PROGRAMME = re.compile(r"[\s\"“]*The (?:pilot |demonstration |trial )?(?:programme|program|scheme|initiative|pilots?|trials?)\b")
_PROVINCIAL_UNITS = {"free trade zone", "free trade port", "province"}
_PLACE_TYPE_WORDS = frozenset(
    "Province City County District Municipality Autonomous Prefecture League Region New Area Banner Town Township "
    "Pilot And In Of".split())
_UNITS_BELOW_PROVINCE = {"city", "county", "district", "town", "village", "park", "base", "site", "enterprise", "unit", "cluster"}
_PILOT = re.compile(r"\b(?:pilot|demonstration|experimental|free trade|FTZ)", re.I)
# Verbs that issue a document, and the words for a document
_ISSUE_CUE = re.compile(r"\b(?:issued|released|unveiled|published|promulgated|printed and distributed|made public|"
                        r"(?:said|stated|announced) in an? (?:joint )?(?:circular|notice|document))\b", re.I)
# a body named as the author of a document in front of it: "according to a State Council circular made public on Monday"
_AUTHOR_BEFORE_DOCUMENT = re.compile(r"\s+(?:joint\s+)?(?:circular|notice|document|guidelines?|opinions?|decision|reply)\b", re.I)
_DOCUMENT_WORD = re.compile(
    r"\b(?:notice|circular|opinions?|guidelines?|guiding opinions|plans?|programmes?|reply|decision|measures|scheme|"
    r"document|regulations|provisions|approval|outline|rules|announcement|letter)\b", re.I)
# What a document is called in an issuing sentence, as a policy type
_POLICY_NOUNS = (
    ("opinions", r"\b(?:opinions?|guidelines?|guiding opinions)\b"),
    ("reply-letter", r"\breply\b"),
    ("notice", r"\b(?:notice|circular)\b"),
    ("plan", r"\bplan\b"),
)
_ESTABLISHING = re.compile(
    r"\b(?:launch\w*|establish\w*|set(?:s|ting)? up|approv\w*|carr(?:y|ies|ied) out|start\w*|initiat\w*|creat\w*)\b", re.I
)
_LOCATOR = re.compile(r"(?:District|County|City|Area|Zone|Town|Township|Banner)\s+(?:in|of)\s+(?:the\s+)?$")
# A venue: "a meeting held in Guiyang", "at a ceremony in Hangzhou": where something took place, never a zone.
_VENUE = re.compile(
    r"\b(?:meeting|conference|forum|ceremony|symposium|seminar|summit|workshop|held|convened|hosted)\b"
    r"(?:\s+[A-Za-z'’-]+){0,3}?\s+(?:in|at)\s+(?:the\s+)?$", re.I)
# A dateline: a place opening its line, then a date or a news agency ("BEIJING, March 3 (Xinhua) --",
# "Guiyang, 3 March --", "Hangzhou (Xinhua) --"): where the report was filed, never a zone.
_DATELINE_LINE_START = re.compile(r"[\s(\[]*")
_DATELINE_PLACE_AFTER = re.compile(
    r"(?:\s*,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}\b|\d{1,2}\s+[A-Z][a-z]{2,8}\b)"
    r"|\s*\((?:Xinhua|ECNS|CNS|AFP|Reuters|AP|[A-Z][A-Za-z. ]{1,24})\)\s*(?:--|—|–|-))"
)
_DATE_PROPS = (PK.publishedOn, PK.issuedOn, PK.startDate, PK.endDate, PK.approvedOn)
_COUNT_PROPS = (PK.declaredZoneCount, PK.declaredTaskCount, PK.declaredProvinceCount)


def _anchor(source: SourceText, span: Span) -> dict[str, Any]:
    """A curation quote that resolves to exactly ``span``: the quote, and its occurrence when it repeats."""
    quote = source.quote(span)
    occurrence, pos = 1, source.text.find(quote)
    while pos != span.start:
        if pos < 0 or pos > span.start:
            raise AssertionError(f"{quote!r} not at {span}")  # cannot happen: span slices the text
        occurrence += 1
        pos = source.text.find(quote, pos + 1)
    return {"quote": quote} if occurrence == 1 else {"quote": quote, "occurrence": occurrence}


def parse_date_option(value: str) -> Literal:
    """``--date`` as an xsd:date, xsd:gYearMonth or xsd:gYear ("2023-03-16", "2023-03",
    "2023", or as the texts write dates: "March 16, 2023")."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            _date.fromisoformat(value)
            return Literal(value, datatype=XSD.date)
        if re.fullmatch(r"\d{4}-\d{2}", value) and 1 <= int(value[5:]) <= 12:
            return Literal(value, datatype=XSD.gYearMonth)
        if re.fullmatch(r"\d{4}", value):
            return Literal(value, datatype=XSD.gYear)
        found = patterns.parse_date(value)
        if found.datatype == XSD.date:
            _date.fromisoformat(str(found))
        if found.datatype in (XSD.date, XSD.gYearMonth, XSD.gYear):
            return found
    except ValueError:
        pass
    raise IngestInputError(f"--date {value!r} is not a date: write YYYY-MM-DD, YYYY-MM, YYYY or e.g. 'March 16, 2023'")


def check_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or c in '<>"{}|\\^`' for c in url):
        raise IngestInputError(f"--url {url!r} is not an http(s) URL")
    return url


class _Detector:
    """Reads one text with the generic rules and writes the curation entries they give."""

    def __init__(self, source: SourceText, gaz: Gazetteer, title: str | None, issued: Literal | None, url: str | None,
                 national: NationalGazetteer):
        self.source, self.text, self.gaz, self.national = source, source.text, gaz, national
        self._places: dict[Span, list[PlaceMention]] = {}
        self._designated_done = False
        self.title, self.issued, self.url = title, issued, url
        self.notes: list[str] = []
        self.not_added: list[str] = []
        self.designated: list[tuple[Span, str, str]] = []  # (mention, "zone"|"division", slug or code)
        self.programme_span: Span | None = None
        self.unnumbered_batch: dict[str, Any] | None = None  # "N new zones, bringing the total to M": the N
        self.programme_id: str | None = None
        self.policy_id = ""
        self.sentences = [s for line in lines(self.text) for s in sentences(self.text, line)]
        self._furniture: list[Span] | None = None
        self._designating: list[Span] | None = None
        self._organisations: list[Span] | None = None
        self.partial: set[str] = set()  # codes of designated divisions a zone covers only in part
        self.programme_names: list[Span] = []  # every mention of the programme (its name and shorter forms)
        self.description_type: str | None = None  # the policy type a description of an untitled policy gives
        self.programme_head = ""  # the head of its name: "zone", "city", "county", "province", "free trade zone", ...

    # ---------------------------------------------------------------- names

    def unknown_names(self) -> tuple[list[Unresolved], list[Unresolved]]:
        known_bodies = self.gaz.find_mentions(self.text, kinds=("body",))
        bodies = []
        for span in find_body_names(self.text):
            if any(m.start <= span.start and span.end <= m.end for m in known_bodies):
                continue
            inside = [m.text for m in known_bodies if span.start <= m.start and m.end <= span.end]
            note = f"contains the known body “{inside[0]}”; a different body" if inside else ""
            bodies.append(Unresolved("body", self.source.quote(span), span.start, span.end, note))
        known_places = self.gaz.find_mentions(self.text, kinds=("zone", "division"))
        national_places = [p for s in self.sentences for p in self._national_places(s)]
        programme_names = find_programme_names(self.text)
        places = []
        for span in find_place_names(self.text):
            if any(m.start <= span.start and span.end <= m.end for m in known_places):
                continue
            name_end = self.text.rfind(" ", span.start, span.end)
            if any(m.start == span.start and m.end == name_end for m in known_places):
                continue  # "Leshan City": the division Leshan
            if any(p.start <= span.start and span.end <= p.end or p.start == span.start and p.end == name_end
                   for p in national_places):
                continue  # a division of the national gazetteer (resolved, or reported as ambiguous)
            if any(_covers(name, span) for name in programme_names):
                continue  # "Smart Irrigation District Pilot Areas": a programme's name, not a place
            note = ""
            if any(_covers(s, span) for s in self.designating_sentences()):
                locator = self.text[span.start : span.end].endswith("Province") or _LOCATOR.search(self.text, max(0, span.start - 40), span.start)
                note = "locates the zones of a designating sentence" if locator else "named as a pilot zone"
            places.append(Unresolved("place", self.source.quote(span), span.start, span.end, note))
        return bodies, places

    def ambiguous_places(self) -> list[AmbiguousPlace]:
        """The place names the national gazetteer cannot tell apart (several divisions of
        that name, and no province of one of them named beside it or in the sentence),
        except where the seed gazetteer knows the name or the name is a dateline."""
        designating = self.designating_sentences()
        out = []
        for sentence in self.sentences:
            seed = self.gaz.find_mentions(self.text, sentence.start, sentence.end)
            for place in self._national_places(sentence):
                if place.resolution.status != "ambiguous" or self._is_dateline(Span(place.start, place.end)):
                    continue
                if any(m.start < place.end and place.start < m.end for m in seed):
                    continue  # the seed gazetteer knows the name
                note = ""
                if sentence in designating and not _VENUE.search(self.text, max(0, place.start - 60), place.start):
                    locator = _LOCATOR.search(self.text, max(0, place.start - 40), place.start)
                    note = "locates the zones of a designating sentence" if locator else "named as a pilot zone"
                candidates = tuple(self._candidate(d) for d in place.resolution.candidates)
                out.append(AmbiguousPlace(place.text, place.start, place.end, candidates, note))
        return out

    def _candidate(self, division: NationalDivision) -> dict[str, str]:
        province = self.national.get(division.province)
        return {"code": division.code, "name": division.name_en_full, "name_zh": division.name_zh,
                "level": division.level, "province": province.name_en if province else "",
                "province_code": division.province}

    def _national_places(self, sentence: Span) -> list[PlaceMention]:
        """The national gazetteer's places in one sentence (found once), with offsets into the text."""
        if sentence not in self._places:
            found = self.national.find_places(self.text[sentence.start : sentence.end])
            self._places[sentence] = [replace(p, start=p.start + sentence.start, end=p.end + sentence.start) for p in found]
        return self._places[sentence]

    def _is_dateline(self, span: Span) -> bool:
        """True for a place that opens its line and is followed by a date or a news agency."""
        line_start = self.text.rfind("\n", 0, span.start) + 1
        return (_DATELINE_LINE_START.fullmatch(self.text, line_start, span.start) is not None
                and _DATELINE_PLACE_AFTER.match(self.text, span.end) is not None)

    def designating_sentences(self) -> list[Span]:
        """Sentences that may designate zones: they say "pilot", "demonstration", "batch", "free trade zone" ...
        and "selected", "approved", "include", "cover", "set up in", a list after a colon ...; never page furniture."""
        if self._designating is None:
            out: list[Span] = []
            for i, s in enumerate(self.sentences):
                if self._is_furniture(s):
                    continue
                pilot_here = _PILOT_OR_BATCH.search(self.text, s.start, s.end) is not None
                pilot_before = any(_PILOT_OR_BATCH.search(self.text, p.start, p.end) for p in self.sentences[max(0, i - 2) : i])
                if _DESIGNATING.search(self.text, s.start, s.end) and (
                        pilot_here or pilot_before and _LISTING.search(self.text, s.start, s.end)):
                    out.append(s)  # "... were selected as pilot zones"; "Fifteen of them ..., including X, Y and Z"
                elif (out and out[-1] in self.sentences[max(0, i - 3) : i] or self._under_a_list_heading(s)) and self._is_place_list(s):
                    out.append(s)  # a list of places right after a designating sentence or under "Pilot cities (11)"
            self._designating = out
        return self._designating

    def _under_a_list_heading(self, sentence: Span) -> bool:
        """The line before is a short heading that names pilots ("I. Pilot cities (11)", "The pilot zones:")."""
        before = [line for line in lines(self.text) if line.end <= sentence.start]
        if not before:
            return False
        heading = before[-1].of(self.text)
        return len(heading.split()) <= 8 and _PILOT_OR_BATCH.search(heading) is not None or heading.rstrip().endswith(":") \
            and _PILOT_OR_BATCH.search(heading) is not None

    def _is_place_list(self, sentence: Span) -> bool:
        """A sentence that is a list of places ("Shenzhen City, Guangdong Province; Baotou City, ..."),
        not an addressee line ("The People's Governments of Hebei, Shanxi, ... Provinces")."""
        places = self._national_places(sentence)
        if len(places) < 3 or _ORGANISATION_WORD.search(self.text, sentence.start, sentence.end):
            return False
        outside = self.text[sentence.start : sentence.end]
        for p in sorted(places, key=lambda p: -p.start):
            outside = outside[: p.start - sentence.start] + outside[p.end - sentence.start :]
        return len(re.findall(r"[A-Za-z]+", outside)) <= 1.5 * len(places)

    # ---------------------------------------------------------------- the curation

    def curation(self, unresolved_bodies: list[Span]) -> dict[str, Any]:
        programme = self._programme()
        title_span, label, how = self._title()
        self.policy_id = _id(label, self.source.doc_id)
        headline = self._headline()
        source: dict[str, Any] = {"label": clean_label(headline.of(self.text)), **_anchor(self.source, headline)}
        dateline = self._dateline()
        # a bare date under a document's own title is the date of the document; a labelled one
        # ("Published: ...", "2024-05-20 09:41 | Source: ...") and a news dateline date the page
        dates_the_document = dateline is not None and how == "line" and not self._labelled_as_publication(dateline)
        if dateline and not dates_the_document:
            source["published"] = _anchor(self.source, dateline)
        elif dateline is None:
            news = self._news_dateline()
            if news is not None:
                span, value = news
                source["published"] = {**_anchor(self.source, span), "value": value}
        if self.url:
            source["url"] = self.url
        policy: dict[str, Any] = {"id": self.policy_id, "label": label, **_anchor(self.source, title_span)}
        policy_type = self._policy_type(title_span, how)
        if policy_type:
            policy["type"] = policy_type
        others = self._other_titles(title_span)
        own_sentences = [c for c in self._issue_cue_sentences() if not any(c.start <= t.span.start < c.end for t in others)]
        issuers = self._issuers(unresolved_bodies, own_sentences)
        if how in ("line", "quoted", "written", "option"):
            # "Reply of the State Council on ...", "Notice of the Ministry of Ecology and Environment on ...":
            # the bodies the title names as its authors
            issuers += [i for i in self._title_issuers(title_span) if i[0] not in {s for s, _ in issuers}]
        if how == "description" and self.description_type == "approval":
            # the approval the text reports is issued by the bodies that approve
            issuers += [i for i in self._issuers(unresolved_bodies, [title_span], cue=_APPROVING_DECISION) if i[0] not in {s for s, _ in issuers}]
        if issuers:
            policy["issued_by"] = [{"body": slug, **_anchor(self.source, span)} for slug, span in issuers]
        if self.issued is not None:
            mention = next((d for d in patterns.find_dates(self.text) if d.value == self.issued), None)
            if mention:
                policy["issued_on"] = _anchor(self.source, mention.span)
            else:
                self.notes.append(f"date given but not in the text: --date {self.issued} is not stated, so the policy has no pk:issuedOn")
        else:
            issued_on = dateline if dates_the_document else self._issue_date(own_sentences)
            if issued_on is not None:
                policy["issued_on"] = _anchor(self.source, issued_on)
        secondary = self._secondary_policies(others, unresolved_bodies)
        outline = parse_outline(self.text)
        empty = [n for n in _walk(outline) if n.heading.start == n.heading.end]
        if outline and not empty:
            policy["tasks"] = "outline"
        elif empty:
            self.notes.append(
                f"the outline has a heading with no words (“{self.source.quote(empty[0].block)}” at {empty[0].block.start}): no tasks are taken from it"
            )
        if patterns.find_objectives(self.text, anywhere=True):
            policy["objectives"] = "sentences"
        data: dict[str, Any] = {"source": source, "policies": [policy, *secondary]}
        subjects: dict[str, Any] = {"default": f"policy/{self.policy_id}"}
        if programme:
            data["programmes"] = [programme]
            subjects["default"] = f"programme/{self.programme_id}"
            establishing = next(
                (s for s in self.sentences if self._names_programme(s) and _ESTABLISHING.search(self.text, s.start, s.end)
                 and not self._is_furniture(s)),
                None,
            )
            if establishing:
                link = {"programme": f"programme/{self.programme_id}", **_anchor(self.source, establishing)}
                policy["establishes"] = [link]
                programme["established_by"] = [{"policy": f"policy/{self.policy_id}", **_anchor(self.source, establishing)}]
            else:
                self.notes.append("no sentence names the programme with a verb such as launch, establish or approve: the policy is not linked to it")
            batches = self._batches()
            if batches:
                data["batches"] = [entry for entry, _sentences in batches]
            if self.unnumbered_batch is not None and not batches:
                data["batches"] = [self.unnumbered_batch]
            zones = self._zone_entries()
            for zone in zones:
                for entry, sentences in batches:
                    if any(s.start <= self._zone_start(zone) < s.end for s in sentences):
                        zone["in"].append(f"batch/{entry['id']}")
            if zones:
                data["zones"] = zones
            issuing = self._issuing_sentences(unresolved_bodies)
            if issuing:
                subjects["within"] = [{**_anchor(self.source, s), "subject": f"policy/{self.policy_id}"} for s in issuing]
        else:
            self._designate()
            if self.designated:
                names = ", ".join(f"“{self.source.quote(span)}”" for span, _, _ in self.designated)
                self.not_added.append(f"zones named without a programme to put them in: {names}")
            self.notes.append(
                "no programme name found (a name such as '... pilot zones', 'pilot cities for ...', '... demonstration zone', "
                "'pilot free trade zones'): no programme, zones or declared counts"
            )
        if how == "none" and not ("tasks" in policy or "objectives" in policy):
            # no policy: the programme stands alone, and its facts are about it
            data["policies"] = secondary
            programme.pop("established_by", None)
            subjects.pop("within", None)
        data["subjects"] = subjects
        # roles read as news and notices write them ("The NDRC approved ...", "under the guidance of"):
        # see patterns.find_responsibilities(lenient=True); the seeds' curation files keep the seeds' reading
        data["patterns"] = {"roles": "lenient"}
        groups = self._body_groups()
        if groups:
            data["patterns"]["groups"] = groups
        return data

    def _body_groups(self) -> list[dict[str, Any]]:
        """Phrases that name several bodies named together before ("the NDRC, the MIIT and the CAC
        ... the three departments will coordinate"): the nearest earlier sentence naming exactly that
        many single bodies gives them. A phrase no sentence resolves is left alone."""
        mentions = [m for m in self.gaz.find_mentions(self.text, kinds=("body",))
                    if not self.gaz.bodies[m.slug_or_code].collective and self.gaz.bodies[m.slug_or_code].kind != "media"]
        out, spans = [], []
        self._group_spans: list[tuple[Span, list[str]]] = []
        for m in _BODY_GROUP.finditer(self.text):
            n = patterns.number_value(m.group("n"))
            if n < 2:
                continue
            earlier = [s for s in self.sentences if s.end <= m.start() or s.start <= m.start() < s.end]
            for sentence in reversed(earlier):
                slugs = list(dict.fromkeys(b.slug_or_code for b in mentions if sentence.start <= b.start < min(sentence.end, m.start())))
                if len(slugs) == n:
                    out.append({**_anchor(self.source, Span(m.start(), m.end())), "bodies": slugs})
                    spans.append((m.start(), m.end()))
                    self._group_spans.append((Span(m.start(), m.end()), slugs))
                    break
                if len(slugs) > n:
                    break
        taken = spans + [(m.start, m.end) for m in self.gaz.find_mentions(self.text, kinds=("body",))]
        out += self._anaphora(mentions, taken)
        return out

    def _anaphora(self, mentions: list, taken: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """"the ministry", "the commission", "the central bank" for the nearest body named before with that
        head (the central bank: the People's Bank of China, if named before); "the ministries", "the other
        departments" for the central departments the nearest earlier sentence names together (two or more;
        "other": not those named in the phrase's own sentence)."""
        out = []
        for m in _ANAPHOR.finditer(self.text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            head = " ".join((m.group("head") or "").lower().split())
            earlier = [b for b in mentions if b.end <= m.start()]
            if m.group("plural"):
                own = next((s for s in self.sentences if s.start <= m.start() < s.end), None)
                here = {b.slug_or_code for b in mentions if own and own.start <= b.start < own.end}
                for sentence in reversed([s for s in self.sentences if s.end <= m.start()]):
                    slugs = list(dict.fromkeys(
                        b.slug_or_code for b in earlier if sentence.start <= b.start < sentence.end and self._central_department(b.slug_or_code)))
                    if m.group("other"):
                        slugs = [s for s in slugs if s not in here]
                    if len(slugs) >= 2:
                        out.append({**_anchor(self.source, Span(m.start(), m.end())), "bodies": slugs})
                        self._group_spans.append((Span(m.start(), m.end()), slugs))
                        break
                continue
            for b in reversed(earlier):
                body = self.gaz.bodies[b.slug_or_code]
                if head == "central bank" and b.slug_or_code == "pboc" or head != "central bank" and (
                        re.search(rf"\b{head}\b", body.name_en, re.I) and not body.jurisdiction):
                    out.append({**_anchor(self.source, Span(m.start(), m.end())), "bodies": [b.slug_or_code]})
                    self._group_spans.append((Span(m.start(), m.end()), [b.slug_or_code]))
                    break
        return out

    def _central_department(self, slug: str) -> bool:
        body = self.gaz.bodies[slug]
        return body.kind in ("state", "commission", "government") and not body.jurisdiction and slug != "state-council"

    # ---------------------------------------------------------------- title, type, issuer, dates

    def _headline(self) -> Span:
        """The text's first line that is not page furniture (at least four words, no ``>`` or ``|``)."""
        all_lines = lines(self.text)
        return next((s for s in all_lines if len(s.of(self.text).split()) >= 4 and not _FURNITURE.search(s.of(self.text))
                     and not self._is_furniture(s)), all_lines[0])

    def _title(self) -> tuple[Span, str, str]:
        """The policy's label and evidence, and how they were found: ``option`` (--title),
        ``line`` (a first line that is a document's title), ``quoted``/``written`` (a title
        the text states), ``description`` (no title: a description of what the text reports)."""
        headline = self._headline()
        if self.title is not None:
            at = self.text.find(self.title)
            if self.title.strip() and at >= 0:
                return Span(at, at + len(self.title)), clean_label(self.title), "option"
            self.notes.append(
                f"the title given by --title is not in the text: the policy is labelled with it, and its evidence is the "
                f"title line “{_short(headline.of(self.text))}” [{headline.start}–{headline.end}]"
            )
            return headline, clean_label(self.title), "option-missing"
        if detect.is_document_title_line(headline.of(self.text)):
            return headline, clean_label(headline.of(self.text)), "line"
        titles = detect.find_policy_titles(self.text, skip=self.furniture)
        if titles:
            issuing = [t for t in titles if any(s.start <= t.span.start < s.end for s in self._issue_cue_sentences())]
            chosen = (issuing or titles)[0]
            return chosen.span, clean_label(self.source.quote(chosen.span)), chosen.how
        # no title stated: a description of the document or decision the text reports ("State Council
        # circular on the pilot free trade zones", "Approval of the ..."), never the headline or a dateline
        if self.programme_span is not None:
            programme = clean_label(self.source.quote(self.programme_span))
            programme = re.sub(r"^(?:the|The)\s+", "", programme)
            document = self._document_mention()
            if document is not None:
                sentence, noun, issuer = document
                words = f"{issuer} {noun}" if issuer else noun[:1].upper() + noun[1:]
                self.description_type = next((t for t, cue in _POLICY_NOUNS if re.search(cue, noun, re.I)), None)
                self.notes.append("the text states no policy title: the policy is described by the document it names")
                return sentence, f"{words} on the {programme}", "description"
            approving = next((s for s in self.sentences if self._names_programme(s) and _APPROVING_DECISION.search(self.text, s.start, s.end)
                              and not self._is_furniture(s)), None)
            if approving is not None:
                self.description_type = "approval"
                self.notes.append("the text states no policy title: the policy is the approval it reports")
                return approving, f"Approval of the {programme}", "description"
            self.notes.append("the text names no policy document and no approval: a policy is added only for the tasks "
                              "or objectives it states, described by the programme")
            evidence = next((s for s in self.sentences if self._names_programme(s) and not self._is_furniture(s)), self.programme_span)
            return evidence, f"Decision on the {programme}", "none"
        self.notes.append("the text states no policy title and names no programme: the policy is labelled with the headline")
        return headline, clean_label(headline.of(self.text)), "headline"

    def _policy_type(self, title_span: Span, how: str) -> str | None:
        if how in ("option", "line", "quoted", "written", "headline"):
            words = self.source.quote(title_span)
            return next((t for t, cue in _POLICY_TYPES if re.search(cue, words)), None)
        if how == "description":
            return self.description_type
        return None

    def _document_mention(self) -> tuple[Span, str, str] | None:
        """The first document an issuing sentence names ("according to a State Council circular
        made public on Monday", "the four ministries jointly issued a circular"): the sentence,
        the document's noun and its issuer's name (the gazetteer's, when one issues it)."""
        for sentence in self._issue_cue_sentences():
            m = _DOCUMENT_NOUN_PHRASE.search(self.text, sentence.start, sentence.end)
            if m is None:
                continue
            noun = " ".join(m.group("noun").split()).lower()
            issuer = ""
            issuers = [slug for slug, span in self._issuers([]) if span == sentence]
            if issuers:
                body = self.gaz.bodies[issuers[0]]
                issuer = body.name_en
            elif m.group("issuer"):
                issuer = " ".join(m.group("issuer").split())
            return sentence, noun, issuer
        return None

    def _issue_cue_sentences(self) -> list[Span]:
        """Sentences that say a document was issued ("The State Council issued a circular ...",
        "the plan released by ..."); never the page's own "Published: ..." line or furniture."""
        dateline = self._dateline()
        return [s for s in self.sentences if _ISSUE_CUE.search(self.text, s.start, s.end)
                and _DOCUMENT_WORD.search(self.text, s.start, s.end) and not self._is_furniture(s)
                and not (dateline is not None and s.start <= dateline.start < s.end)]

    def _other_titles(self, title_span: Span) -> list[detect.TitleMention]:
        """The titles the text states besides the policy's own: other documents it reports or cites
        ("in accordance with the Work Plan for ... issued by the General Office of the State Council")."""
        own = clean_label(self.source.quote(title_span)).lower()
        out, seen = [], {own}
        for t in detect.find_policy_titles(self.text, skip=self.furniture):
            label = clean_label(self.source.quote(t.span)).lower()
            if t.span.start < title_span.end and title_span.start < t.span.end or label in seen or own in label or label in own:
                continue
            seen.add(label)
            out.append(t)
        return out

    def _secondary_policies(self, titles: list[detect.TitleMention], unresolved_bodies: list[Span]) -> list[dict[str, Any]]:
        """A policy entry per other stated title, with its type, and its issuer and date when a
        sentence naming it issues it."""
        entries: list[dict[str, Any]] = []
        ids = {self.policy_id}
        for t in titles:
            label = clean_label(self.source.quote(t.span))
            pid = _id(label, f"{self.source.doc_id}-policy")
            if pid in ids:
                continue
            ids.add(pid)
            entry: dict[str, Any] = {"id": pid, "label": label, **_anchor(self.source, t.span)}
            kind = next((k for k, cue in _POLICY_TYPES if re.search(cue, label)), None)
            if kind:
                entry["type"] = kind
            own = [c for c in self._issue_cue_sentences() if c.start <= t.span.start < c.end]
            issuers = self._issuers(unresolved_bodies, own)
            if issuers:
                entry["issued_by"] = [{"body": slug, **_anchor(self.source, span)} for slug, span in issuers]
            issued_on = self._issue_date(own)
            if issued_on is not None:
                entry["issued_on"] = _anchor(self.source, issued_on)
            entries.append(entry)
        return entries

    def _title_issuers(self, title: Span) -> list[tuple[str, Span]]:
        """The bodies a title names as its authors: between "of"/"by" after the document noun and
        the "on"/"for"/"about" that opens the subject ("Opinions of the CPC Central Committee and the
        State Council on ...")."""
        m = _TITLE_AUTHORS.match(self.text, title.start, title.end)
        if m is None:
            return []
        out: list[tuple[str, Span]] = []
        for mention in self.gaz.find_mentions(self.text, m.start("authors"), m.end("authors"), kinds=("body",)):
            if re.search(r"[A-Z][\w'’\-]*\s+of\s+(?:the\s+)?$", self.text[m.start("authors") : mention.start]):
                continue  # "the Leading Group of the State Council": part of another body's name
            body = self.gaz.bodies[mention.slug_or_code]
            if body.kind != "media" and not body.collective and body.slug not in [o for o, _ in out]:
                out.append((body.slug, title))
        return out

    def _issuers(self, unresolved_bodies: list[Span], sentences: list[Span] | None = None,
                 cue: re.Pattern[str] = _ISSUE_CUE) -> list[tuple[str, Span]]:
        """The bodies that issue the policy: the agent of "issued", "released", "unveiled",
        "published" in a sentence that names a document ("The State Council issued a
        circular ...", "a plan jointly released by the NDRC and the MOFCOM"), each with
        the sentence as evidence. Only gazetteer bodies; never a news agency."""
        bodies = [patterns.BodyMention(m.slug_or_code, Span(m.start, m.end)) for m in self.gaz.find_mentions(self.text, kinds=("body",))]
        bodies = [b for b in bodies if self.gaz.bodies[b.slug].kind != "media"]
        bodies += [patterns.BodyMention(f"{UNRESOLVED}{i}", span) for i, span in enumerate(unresolved_bodies)]
        # "the four ministries", "the ministry": the bodies a phrase names again (see _body_groups)
        self._body_groups()
        bodies += [patterns.BodyMention(slug, span) for span, slugs in self._group_spans for slug in slugs]
        out: list[tuple[str, Span]] = []
        for sentence in self._issue_cue_sentences() if sentences is None else sentences:
            in_sentence = [b for b in bodies if b.span in sentence]
            if cue is _ISSUE_CUE:
                for b in in_sentence:  # "a State Council circular made public on Monday"
                    if not b.slug.startswith(UNRESOLVED) and _AUTHOR_BEFORE_DOCUMENT.match(self.text, b.span.end) and \
                            re.search(r"\b(?:an?|the)\s+$", self.text[max(sentence.start, b.span.start - 6):b.span.start]) and \
                            b.slug not in [o for o, _ in out]:
                        out.append((b.slug, sentence))
            for body, predicate in patterns._agent_predicates(self.text, sentence, in_sentence, lenient=True):
                if body.slug.startswith(UNRESOLVED):
                    continue
                if cue.search(self.text, predicate.start, predicate.end) and body.slug not in [o for o, _ in out]:
                    out.append((body.slug, sentence))
        return out

    def _issue_date(self, sentences: list[Span] | None = None) -> Span | None:
        """The date an issuing sentence states, at the precision written (a full date or a
        month); a bare weekday ("on Monday") or a month and day without a year is no date."""
        for sentence in self._issue_cue_sentences() if sentences is None else sentences:
            for d in patterns.find_dates(self.text, sentence):
                if d.value.datatype in (XSD.date, XSD.gYearMonth):
                    return d.span
        return None

    # ---------------------------------------------------------------- furniture

    @property
    def furniture(self) -> list[Span]:
        if self._furniture is None:
            self._furniture = detect.furniture_lines(self.text)
        return self._furniture

    def _is_furniture(self, span: Span) -> bool:
        return any(f.start <= span.start < f.end for f in self.furniture)

    def _labelled_as_publication(self, span: Span) -> bool:
        line_start = self.text.rfind("\n", 0, span.start) + 1
        line_end = self.text.find("\n", span.end)
        line = self.text[line_start : line_end if line_end >= 0 else len(self.text)]
        return _PUBLICATION_LABEL.search(line) is not None

    def _news_dateline(self) -> tuple[Span, str] | None:
        """A news agency's dateline ("BEIJING, Aug. 26 (Xinhua) --"): the month and day it
        was filed, as an xsd:gMonthDay (the year is not stated, and never guessed)."""
        for line in lines(self.text)[:8]:
            m = _NEWS_DATELINE.match(self.text, line.start, line.end)
            if m:
                month = _MONTH_ABBREVIATIONS[m.group("month")[:3].lower()]
                day = int(m.group("day"))
                if 1 <= day <= 31:
                    return Span(m.start("month"), m.end("day")), f"--{month:02d}-{day:02d}"
        return None

    def _dateline(self) -> Span | None:
        """The page's date: a line that holds only a date (after a label such as "Published:"), or a
        labelled date in a by-line near the top ("By ZHOU MIN | China Daily | Updated: 2021-07-19 07:32")."""
        for line in lines(self.text)[:10]:
            if not self._is_furniture(line) and not _FURNITURE.search(line.of(self.text)):
                continue
            for m in _DATE_LABEL.finditer(self.text, line.start, line.end):
                found = [d for d in patterns.find_dates(self.text, Span(m.end(), line.end))
                         if d.span.start == m.end() and d.value.datatype in (XSD.date, XSD.gYearMonth)]
                if found:
                    return found[0].span
        for line in lines(self.text):
            for d in patterns.find_dates(self.text, line):
                if d.value.datatype not in (XSD.date, XSD.gYearMonth):
                    continue
                if _DATELINE_BEFORE.match(self.text[line.start : d.span.start]) and _DATELINE_AFTER.match(self.text[d.span.end : line.end]):
                    return d.span
        return None

    def _names_programme(self, sentence: Span) -> bool:
        """True if the sentence names the programme (its name or a shorter form of it)."""
        return any(sentence.start <= m.start < sentence.end for m in self.programme_names)

    def _place_spans(self) -> list[Span]:
        """Every place name of the text (seed and national gazetteer): a programme's name never opens with one."""
        seed = self.gaz.find_mentions(self.text, kinds=("zone", "division"))
        return sorted({Span(m.start, m.end) for m in seed} | {Span(p.start, p.end) for s in self.sentences for p in self._national_places(s)})

    def _programme(self) -> dict[str, Any] | None:
        """The programme the text reports: of the programme names it uses (:func:`detect.find_programmes`),
        the one it names most, counting a name's shorter forms ("the pilot zones") with it; a name in the
        headline or in a designating sentence counts double. A name with no words but its head ("pilot
        zones") is never chosen. The other names are reported."""
        sentences = [s for s in self.sentences if not self._is_furniture(s)]
        names = detect.find_programmes(self.text, self._place_spans(), within=sentences)
        candidates = [n for n in names if n.modifiers > 0 or n.head.startswith("free trade")]
        if not candidates:
            return None
        headline = self._headline()
        designating = self.designating_sentences()

        def score(name: detect.ProgrammeName) -> tuple[int, int, int]:
            group = detect.programme_group(names, name)
            spans = [sp for g in group for sp in g.spans]
            weight = sum(1 + (headline.start <= sp.start < headline.end) + any(d.start <= sp.start < d.end for d in designating)
                         for sp in spans) + sum(detect.is_title_case(self.source.quote(sp)) for sp in name.spans)
            return weight, name.modifiers, -name.first.start

        chosen = max(candidates, key=score)
        group = detect.programme_group(names, chosen)
        self.programme_names = sorted(sp for g in group for sp in g.spans)
        self.programme_head = chosen.head
        self.programme_span = chosen.first
        label = clean_label(self.source.quote(chosen.first))
        label = label[:1].upper() + label[1:]
        for other in candidates:
            if other not in group:
                self.not_added.append(f"another programme name, not added (only one programme is taken): “{clean_label(self.source.quote(other.first))}”")
        self.programme_id = _id(label, f"{self.source.doc_id}-programme")
        programme: dict[str, Any] = {"id": self.programme_id, "label": label, **_anchor(self.source, chosen.first)}
        pilot_sentences = [s for s in sentences if _PILOT.search(self.text, s.start, s.end) or self._names_programme(s)]
        period = next((p for s in pilot_sentences for p in patterns.find_periods(self.text, s)
                       if not _PLAN_PERIOD.search(self.text, max(0, p.span.start - 40), p.span.start)), None)
        if period is None:
            # a line that is only a year range ("(2021—2025)" under a title, "2021-2025" under "Pilot period")
            period = next((p for line in lines(self.text) for p in patterns.find_periods(self.text, line)
                           if p.start is not None and not self.text[line.start:p.span.start].strip(" \t(（")
                           and not self.text[p.span.end:line.end].strip(" \t)）.")), None)
        if period:
            programme["period"] = _anchor(self.source, period.span)
        if period is None or period.start is None:
            # "the first one was launched in Shanghai in 2013", "started pilot programmes ... in April 2020"
            # also "The programme ... was launched in January 2009", "Since 2015, X and Y have served as ... pilot provinces",
            # "X became the first ... pilot zone in February 2016"
            started = next((d for s in sentences if (self._names_programme(s) or _THE_PROGRAMME.match(self.text, s.start))
                            and (_STARTING.search(self.text, s.start, s.end) or _SINCE_YEAR.search(self.text, s.start, s.end))
                            for d in [self._absolute_date(s)] if d is not None), None)
            if started is not None:
                programme["started_on"] = _anchor(self.source, started)
        declared, seen = [], {}
        for s in pilot_sentences:
            if _BATCH.search(self.text, s.start, s.end):
                continue  # a batch's counts are the batch's (see _batches)
            for count in patterns.find_counts(self.text, s):
                if count.kind not in seen:
                    seen[count.kind] = count.value
                    declared.append(_anchor(self.source, count.span))
                elif seen[count.kind] != count.value:
                    self.not_added.append(
                        f"a second declared count of {count.kind}, not added: “{self.source.quote(count.span)}” "
                        f"[{count.span.start}–{count.span.end}] (kept {seen[count.kind]})"
                    )
        totals = [t for s in pilot_sentences for t in patterns.find_totals(self.text, s)]
        if totals:
            # "six new pilot FTZs ..., bringing the total to 18": the total is the programme's count, the new
            # ones a batch of their own (not numbered: the text does not say which)
            total = totals[0]
            kept = [d for d in declared if self._count_kind(d) != "zones"]
            new = next((c for s in pilot_sentences if not _BATCH.search(self.text, s.start, s.end)
                        for c in patterns.find_counts(self.text, s)
                        if c.kind == "zones" and c.value != total.value and patterns.NEW_COUNT.match(self.text, c.span.start)), None)
            if new is not None:
                self.unnumbered_batch = {"id": f"{self.programme_id}-new-zones"[:80], "programme": f"programme/{self.programme_id}",
                                         "label": f"New zones of the {clean_label(self.source.quote(self.programme_span))}",
                                         **_anchor(self.source, new.span), "declared": [_anchor(self.source, new.span)]}
            declared = kept + [_anchor(self.source, total.span)]
        if declared:
            programme["declared"] = declared
        return programme

    def _count_kind(self, anchor: dict[str, Any]) -> str | None:
        quote = anchor["quote"]
        counts = patterns.find_counts(quote)
        return counts[0].kind if counts else None

    def _designate(self) -> None:
        """The zones and divisions named as pilot zones in the designating sentences.

        The seed gazetteer's zones and divisions, and the national gazetteer's places
        that no seed name overlaps (the seed gazetteer wins wherever it knows a name).
        Not a zone: a province ("in Sichuan"), a locator ("Gulou District **of
        Nanjing**", or a place an earlier place of the sentence lies in), a dateline, a
        state-level new area without a code (noted), an ambiguous name (reported)."""
        if self._designated_done:
            return
        self._designated_done = True
        seen: set[str] = set()
        per_sentence = []
        for sentence in self.designating_sentences():
            seed = self.gaz.find_mentions(self.text, sentence.start, sentence.end, kinds=("zone", "division"))
            places: list[tuple[int, int, str, str]] = [(m.start, m.end, m.kind, m.slug_or_code) for m in seed]
            for place in self._national_places(sentence):
                if any(m.start < place.end and place.start < m.end for m in seed):
                    continue
                if place.resolution.status != "resolved":
                    continue  # ambiguous: reported by ambiguous_places, never guessed
                division = place.resolution.division
                if division.level == "new-area":
                    self.not_added.append(
                        f"a state-level new area without a GB/T 2260 code, not made a zone: “{place.text}” "
                        f"[{place.start}–{place.end}] (lies in {', '.join(division.lies_in)})")
                    continue
                places.append((place.start, place.end, "division", division.code))
            names = self._organisation_spans()
            places = [pl for pl in places
                      if not any(n.start <= pl[0] and pl[1] <= n.end for n in names)  # "Hangzhou Municipal Bureau of Commerce"
                      and not _NAME_AFTER_PLACE.match(self.text, pl[1])  # "Zhejiang University"
                      and not self._opens_a_proper_name(pl[1])  # "Guangzhou Carbon Emissions Exchange"
                      and not _HYPHENED.match(self.text, pl[1]) and not _HYPHENED_BEFORE.search(self.text, max(0, pl[0] - 2), pl[0])]
            # ("Chengdu-Chongqing Economic Circle", "Beijing-Tianjin-Hebei": a region's name, not its places)
            per_sentence.append(places)
        # zones that are provinces (pilot free trade zones, pilot provinces): the places named in them are
        # their parts ("the Shandong zone covers areas in Jinan, Qingdao and Yantai"), not zones
        provincial = self.programme_head in _PROVINCIAL_UNITS
        designated_provinces = {ident for places in per_sentence for _s, _e, kind, ident in places
                                if provincial and kind == "division" and self._division_level(ident) == "province"}
        for places in per_sentence:
            located_by: set[str] = set()  # codes the earlier places of the sentence lie in
            for start, end, kind, ident in sorted(places):
                span = Span(start, end)
                if self._is_dateline(span):
                    continue  # "BEIJING, March 3 (Xinhua) --": where the report was filed
                if _VENUE.search(self.text, max(0, start - 60), start):
                    continue  # "a meeting held in Guiyang": where it took place
                codes = [c for c, _ in self.gaz.zones[ident].covers] if kind == "zone" else [ident]
                ancestors = {a for c in codes for a in self._ancestor_codes(c)}
                province = kind == "division" and self._division_level(ident) == "province"
                municipality = province and self._division_type(ident) == "municipality"
                if provincial:
                    locator = not province and bool(ancestors & designated_provinces)
                else:
                    locator = kind == "division" and (
                        # "pilot cities in Yunnan and Gansu": where the zones are, not a zone
                        province and not municipality and (self.programme_head in _UNITS_BELOW_PROVINCE or not self.programme_head)
                        or province and self._locates_a_neighbour(span, ident, places)  # "Shenyang in Liaoning province"
                        or _ATTRIBUTIVE.match(self.text, self._end_of_coordination(end, places)) is not None  # "Yunnan and Gansu counties"
                        or _LOCATION_OF_A_THING.search(self.text, max(0, start - 80), start) is not None  # "an exchange in Wuhan"
                        or _LOCATOR.search(self.text, max(0, start - 40), start) is not None  # "Gulou District of Nanjing"
                        or ident in located_by)  # "Shenyang, Liaoning", "Yuhang District, Hangzhou"
                located_by.update(ancestors)
                if locator or ident in seen:
                    continue
                seen.add(ident)
                if province and self.programme_head.startswith("free trade"):
                    self.partial.add(ident)  # "a pilot free trade zone in Shandong": a zone within the province
                self.designated.append((span, kind, ident))

    def _locates_a_neighbour(self, span: Span, code: str, places: list[tuple[int, int, str, str]]) -> bool:
        """True if the place right before ``span`` lies in ``code`` and the words between say so
        ("Shenyang in Liaoning province", "Mile City, Yunnan"), or ``span`` is followed by "'s" and a
        place lying in it ("Liaoning's Shenyang")."""
        for start, end, kind, ident in places:
            codes = [c for c, _ in self.gaz.zones[ident].covers] if kind == "zone" else [ident]
            if code not in {a for c in codes for a in self._ancestor_codes(c)}:
                continue
            if end <= span.start and re.fullmatch(r"\s*(?:,|in|of)\s*(?:the\s+)?", self.text[end : span.start]):
                return True
            if start >= span.end and re.fullmatch(r"['’]s\s+|[ \t]+", self.text[span.end : start]):
                return True  # "Liaoning's Shenyang", "Henan Xuchang"
        return False

    def _end_of_coordination(self, end: int, places: list[tuple[int, int, str, str]]) -> int:
        """The end of the last place coordinated with the one ending at ``end`` ("Yunnan[ and Gansu]")."""
        starts = {p[0]: p[1] for p in places}
        while True:
            m = re.match(r"\s*(?:,\s*and|,|and)\s+", self.text[end : end + 12])
            if not m or end + m.end() not in starts:
                return end
            end = starts[end + m.end()]

    def _opens_a_proper_name(self, end: int) -> bool:
        """A place followed by a capitalised word that is not a type word, another place or a
        sentence's next word opens a proper name ("Guangzhou Carbon Emissions Exchange")."""
        m = re.match(r"[ \t]+([A-Z][a-z][A-Za-z'’\-]*)", self.text[end : end + 40])
        if not m:
            return False
        return m.group(1) not in _PLACE_TYPE_WORDS and self.national.resolve(m.group(1)) is None and not any(
            mm.start == end + m.start(1) for mm in self.gaz.find_mentions(self.text, end, end + 40, kinds=("zone", "division")))

    def _division_type(self, code: str) -> str:
        division = self.gaz.divisions.get(code) or self.national.get(code)
        return division.type

    def _organisation_spans(self) -> list[Span]:
        """Organisation names (known or not): a place inside one is no zone."""
        if self._organisations is None:
            known = [Span(m.start, m.end) for m in self.gaz.find_mentions(self.text, kinds=("body",))]
            self._organisations = known + find_body_names(self.text)
        return self._organisations

    def _division_level(self, code: str) -> str:
        division = self.gaz.divisions.get(code) or self.national.get(code)
        return division.level

    def _ancestor_codes(self, code: str) -> list[str]:
        """The codes of the divisions ``code`` lies in, up to its province."""
        if code in self.gaz.divisions:
            return [d.code for d in self.gaz.ancestors(code)]
        chain, current = [], self.national.get(code)
        while current is not None and current.parent:
            chain.append(current.parent)
            current = self.national.get(current.parent)
        return chain

    def division(self, code: str) -> Division:
        """The division of ``code``: the seed gazetteer's, else the national gazetteer's
        written as the seed gazetteer writes divisions (no coordinates: the national
        gazetteer has none)."""
        if code in self.gaz.divisions:
            return self.gaz.divisions[code]
        d = self.national.get(code)
        return Division(
            code=d.code, level=d.level, type=d.type, name_zh=d.name_zh, name_en=self._english_name(d),
            parent=d.parent or None, longitude=None, latitude=None,
            reference=f"{d.reference}; pilotkg national gazetteer, graph/reference/{DIVISIONS_NATIONAL}, row {d.code}",
        )

    def _english_name(self, d: NationalDivision) -> str:
        """The name as the seed gazetteer writes it: a province or prefecture-level city by
        its bare name when that name means it ("Ordos"; "Jilin City", "Taizhou City" since
        the bare name means another division or several), anything else with its type word."""
        if d.level == "province" or d.type == "prefecture-level-city":
            if self.unique_name(d.name_en, d.code):
                return d.name_en
        return d.name_en_full

    def unique_name(self, name: str, code: str) -> bool:
        """True if the national gazetteer reads ``name``, without context, as ``code`` alone."""
        resolution = self.national.resolve(name)
        return resolution is not None and resolution.status == "resolved" and resolution.division.code == code

    def draft_divisions(self, codes: set[str]) -> dict[str, Division]:
        """The divisions of ``codes`` that the seed gazetteer lacks, with their parents up to the
        province: written into the draft graph so that the draft validates on its own."""
        added: dict[str, Division] = {}
        for code in codes:
            for c in [code, *self._ancestor_codes(code)]:
                if c not in self.gaz.divisions:
                    added[c] = self.division(c)
        return dict(sorted(added.items()))

    def _zone_entries(self) -> list[dict[str, Any]]:
        """A ``zones`` entry per designated place: a gazetteer zone by its slug, a division as a
        new zone ``zone/{slug of its name}`` covering it wholly (``division:``). A division only
        the national gazetteer knows whose name is not unique in China gets its code in the
        slug ("zone/taizhou-city-331000"), so that two texts never share a zone IRI for two places."""
        self._designate()
        entries = []
        self._zone_spans: dict[tuple[str, int], int] = {}
        for span, kind, ident in self.designated:
            anchor = _anchor(self.source, span)
            self._zone_spans[anchor["quote"], anchor.get("occurrence", 1)] = span.start
            entry: dict[str, Any] = {"zone": ident}
            if kind == "division":
                division = self.division(ident)
                slug = slugify(division.name_en)
                if slug in self.gaz.zones and self.gaz.zones[slug].covers != ((ident, "whole"),):
                    slug = f"{slug}-{ident}"  # the gazetteer's zone of that name is another place
                elif ident not in self.gaz.divisions and not self.unique_name(division.name_en, ident):
                    slug = f"{slug}-{ident}"  # the name is shared with other divisions in China
                entry = {"zone": slug, "division": ident, "label": division.name_en}
                if ident in self.partial:  # the programme's zone in that province: its own node
                    label = f"{division.name_en} {_singular(self.source.quote(self.programme_span))}"
                    entry = {"zone": _id(label, f"{slug}-{ident}"), "division": ident, "extent": "part", "label": clean_label(label)}
            entry = {**entry, "in": [f"programme/{self.programme_id}"], **_anchor(self.source, span)}
            approved = self._approval_date(span)
            if approved is not None:
                entry["approved_on"] = _anchor(self.source, approved)
            entries.append(entry)
        return entries

    def _zone_start(self, zone: dict[str, Any]) -> int:
        return self._zone_spans[zone["quote"], zone.get("occurrence", 1)]

    def _batches(self) -> list[tuple[dict[str, Any], list[Span]]]:
        """The batches the text names ("a second batch of seven ... pilot zones", "the first batch
        includes ..."): a ``batches`` entry per ordinal, with the counts and the approval date its
        sentence states, and the sentences whose zones belong to it (the batch's sentence and a list
        of places right after it)."""
        found: dict[int, tuple[dict[str, Any], list[Span]]] = {}
        designating = self.designating_sentences()
        for i, sentence in enumerate(self.sentences):
            if self._is_furniture(sentence):
                continue
            m = _BATCH.search(self.text, sentence.start, sentence.end)
            if m is None or not (self._names_programme(sentence) or _PILOT_OR_BATCH.search(self.text, sentence.start, sentence.end)):
                continue
            number = _ordinal(m.group("ord"))
            if number is None:
                continue
            span = Span(m.start(), m.end())
            if number not in found:
                entry: dict[str, Any] = {"id": f"{self.programme_id}-batch-{number}"[:80], "programme": f"programme/{self.programme_id}",
                                         "number": number, "label": f"Batch {number} of the {clean_label(self.source.quote(self.programme_span))}",
                                         **_anchor(self.source, span)}
                declared = [_anchor(self.source, c.span) for c in patterns.find_counts(self.text, sentence) if c.kind == "zones"][:1]
                if declared:
                    entry["declared"] = declared
                if _APPROVING.search(self.text, sentence.start, sentence.end):
                    approved = self._absolute_date(sentence)
                    if approved is not None:
                        entry["approved_on"] = _anchor(self.source, approved)
                found[number] = (entry, [sentence])
            else:
                found[number][1].append(sentence)
            following = self.sentences[i + 1 : i + 3]
            found[number][1].extend(s for s in following if s in designating and self._is_place_list(s))
        return [found[n] for n in sorted(found)]

    def _sentence_of(self, span: Span) -> Span | None:
        return next((s for s in self.sentences if s.start <= span.start < s.end), None)

    def _approval_date(self, span: Span) -> Span | None:
        """The date a zone was approved: a date its designating sentence states beside an
        approving verb ("In February 2016, the three departments approved Guizhou as ...")."""
        sentence = self._sentence_of(span)
        if sentence is None or not _APPROVING.search(self.text, sentence.start, sentence.end):
            return None
        return self._absolute_date(sentence)

    def _absolute_date(self, sentence: Span) -> Span | None:
        """The first date of a sentence with a year: a day, a month or a year ("in 2013"); never a
        weekday or a month and day without a year."""
        return next((d.span for d in patterns.find_dates(self.text, sentence) if d.value.datatype != XSD.gMonthDay), None)

    def zone_divisions(self) -> "_DivisionsByCode":
        """Every division of the national gazetteer by code, written as the seed gazetteer
        writes divisions: what a ``zones`` entry with ``division:`` may cover (the generated
        curation's, or a curator's file given with ``--curation``)."""
        return _DivisionsByCode(self)

    def _issuing_sentences(self, unresolved_bodies: list[Span]) -> list[Span]:
        bodies = [patterns.BodyMention(m.slug_or_code, Span(m.start, m.end)) for m in self.gaz.find_mentions(self.text, kinds=("body",))]
        bodies += [patterns.BodyMention(f"{UNRESOLVED}{i}", span) for i, span in enumerate(unresolved_bodies)]
        return [s for s in self.sentences if any(f.role == "issues" for f in patterns.find_responsibilities(self.text, s, bodies, lenient=True))]


class _DivisionsByCode(Mapping[str, Division]):
    """The national gazetteer's divisions as a read-only mapping from code to :class:`Division`."""

    def __init__(self, detector: "_Detector"):
        self._detector = detector

    def __getitem__(self, code: str) -> Division:
        if self._detector.national.get(code) is None and code not in self._detector.gaz.divisions:
            raise KeyError(code)
        return self._detector.division(code)

    def __iter__(self):
        return iter(sorted(self._detector.national.divisions))

    def __len__(self) -> int:
        return len(self._detector.national.divisions)


def _singular(name: str) -> str:
    """A programme's name for one of its zones: "pilot free trade zones" → "pilot free trade zone"."""
    name = re.sub(r"^(?:the|national|China's)\s+", "", clean_label(name), flags=re.I)
    return re.sub(r"\b(zone|area|region|programme|program|project|site|FTZ|base|park)s\b", r"\1", name, count=1, flags=re.I)


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _id(label: str, fallback: str) -> str:
    """A readable id from a label: its slug, cut at a word boundary to at most 60 characters."""
    slug = slugify(label)
    if len(slug) > 60:
        slug = slug[:61].rsplit("-", 1)[0]
    return slug or slugify(fallback)


# --------------------------------------------------------------------------- the pipeline


def ingest(
    path: str | Path,
    *,
    title: str | None = None,
    date: str | None = None,
    url: str | None = None,
    curation: str | Path | Curation | None = None,
    gazetteer: Gazetteer | None = None,
    national: NationalGazetteer | None = None,
) -> IngestResult:
    """Extract a draft graph from the text at ``path`` and validate it.

    Without ``curation`` the curation is built by the generic rules (see the
    module docstring); with one (a file or a :class:`Curation`), the text is
    extracted exactly as the build extracts a seed. ``national`` is the national
    gazetteer of divisions (default: :func:`load_national_gazetteer`), which
    resolves the places the seed gazetteer (``gazetteer``) does not know. Raises
    :class:`IngestInputError` on input it cannot use; never on an unknown name.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestInputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        source = SourceText.load(path)
    except ValueError as err:
        raise IngestInputError(f"{path}: {str(err).split(': ', 1)[-1]}") from err
    except OSError as err:
        raise IngestInputError(f"{path}: cannot read the file: {err.strerror}") from err
    if not lines(source.text):
        raise IngestInputError(f"{path}: the text is empty")
    given: Curation | None = None
    if curation is not None:
        if not isinstance(curation, Curation) and not Path(curation).is_file():
            raise IngestInputError(f"{curation}: no such curation file")
        try:
            given = curation if isinstance(curation, Curation) else Curation.load(source, Path(curation))
            lenient = given.mapping("patterns").get("roles") == "lenient"
        except CurationError as err:
            raise IngestInputError(str(err)) from err
    else:
        lenient = True
    gaz = gazetteer or load_gazetteer()
    if lenient:
        # read as ingest reads (generated curations, and those saved from them): a single body's
        # common-noun aliases ("the provincial government") belong to the text the gazetteer entry
        # was written for; in another text they mean that text's own body
        gaz = gaz.without_generic_aliases()
    national = national or load_national_gazetteer()
    # local bodies the text names ("Hebei Provincial Department of Commerce"): bodies of the draft
    finder = BodyFinder(gaz, national)
    local = finder.local_bodies(source.text)
    base_gaz, gaz = gaz, gaz.with_bodies(local)
    title = title if title and title.strip() else None
    issued = parse_date_option(date) if date is not None else None
    if url is not None:
        check_url(url)
    detector = _Detector(source, gaz, title, issued, url, national)
    unknown_bodies, unknown_places = detector.unknown_names()
    unknown_bodies = _explain_unresolved_local(unknown_bodies, finder.unresolved)
    ambiguous_places = detector.ambiguous_places()
    if curation is None:
        unresolved_spans = [Span(u.start, u.end) for u in unknown_bodies]
        data = detector.curation(unresolved_spans)
        cur = Curation(path=path.with_name(path.stem + ".ingest.curation.yaml"), data=data, source=source)
    else:
        unresolved_spans = []  # a curated text is extracted exactly as the build does
        cur = given
        data = cur.data
    extractor = Extractor(source, gaz, cur, unresolved_bodies=unresolved_spans, divisions=detector.zone_divisions())
    try:
        extraction = extractor.run()
    except CurationError as err:
        raise IngestInputError(str(err)) from err
    except ValueError as err:  # a fact the text cannot give evidence for
        raise IngestInputError(f"{path}: the extractor cannot use this text: {err}") from err
    for line in extraction.warnings:
        detector.notes.append(line)
    for found in extraction.unresolved:
        index = int((found.body if found.body.startswith(UNRESOLVED) else found.recipient)[len(UNRESOLVED):])
        who = unknown_bodies[index].text
        role = f"reports to “{who}”" if found.recipient and found.recipient.startswith(UNRESOLVED) else found.role
        actor = who if found.body.startswith(UNRESOLVED) else gaz.bodies[found.body].name_en
        detector.not_added.append(
            f"responsibility of a body not in the gazetteer: “{actor}” {role} (cue “{source.quote(found.cue)}”) "
            f"in [{found.span.start}–{found.span.end}] “{_short(source.quote(found.span))}”"
        )
    graph = draft_graph(source.doc_id)
    extraction.facts.graph = graph
    local_used = draft_bodies(extraction.bodies_used, local)
    added = detector.draft_divisions(extraction.divisions_used | {b.jurisdiction for b in local_used})
    quads = fact_quads(extraction.facts) + [q for d in added.values() for q in division_quads(d, graph)]
    quads += draft_body_quads(local_used, graph)
    check_no_blank_nodes(quads)
    check_evidence(quads, {source.doc_id: source})
    report = validate_draft(quads, base_gaz, extraction.zones_used)
    return IngestResult(
        source=source,
        graph=graph,
        quads=quads,
        extraction=extraction,
        curation=data,
        found=_findings(extraction, Gazetteer(gaz.bodies, {**gaz.divisions, **added}, gaz.zones), _declaring_spans(cur)),
        unknown_bodies=unknown_bodies,
        unknown_places=unknown_places,
        not_added=detector.not_added,
        notes=detector.notes,
        report=report,
        ambiguous_places=ambiguous_places,
    )


def is_ingest_reading(cur: Curation) -> bool:
    """True for a curation written by ingest or saved from a review (``patterns: roles: lenient``):
    the build extracts its text as ``pilotkg ingest --curation`` does (:func:`extract_reviewed`)."""
    return cur.mapping("patterns").get("roles") == "lenient"


def extract_reviewed(source: SourceText, cur: Curation, gaz: Gazetteer, national: NationalGazetteer | None = None,
                     graph: URIRef | None = None) -> tuple[Extraction, list[Quad]]:
    """Extract a text with a curation that ingest wrote or a review saved, exactly as ``ingest
    --curation`` does: the seed bodies without their generic aliases, the text's own local bodies,
    and the national gazetteer's divisions for ``division:`` zones. The facts stay in the text's own
    graph; the returned quads are the local bodies and the divisions (with their parents up to the
    province) that the seed gazetteer lacks and the facts use, in ``graph`` (the build's reference
    graph). Raises CurationError on a bad entry, as the build's extraction does."""
    from ..namespaces import REFERENCE_GRAPH

    national = national or load_national_gazetteer()
    gaz = gaz.without_generic_aliases()
    local = BodyFinder(gaz, national).local_bodies(source.text)
    gaz = gaz.with_bodies(local)
    detector = _Detector(source, gaz, None, None, None, national)
    extraction = Extractor(source, gaz, cur, divisions=detector.zone_divisions()).run()
    local_used = draft_bodies(extraction.bodies_used, local)
    added = detector.draft_divisions(extraction.divisions_used | {b.jurisdiction for b in local_used})
    graph = graph if graph is not None else REFERENCE_GRAPH
    return extraction, [q for d in added.values() for q in division_quads(d, graph)] + draft_body_quads(local_used, graph)


def _explain_unresolved_local(unknown: list[Unresolved], unresolved: list[UnresolvedLocal]) -> list[Unresolved]:
    """Say why a local body's name is unknown: its place could not be resolved (ambiguous, no code)."""
    out = []
    for u in unknown:
        why = next((r for r in unresolved if r.start < u.end and u.start < r.end), None)
        if why is not None and not u.note:
            u = replace(u, note=f"a local body ({why.function}) whose place “{why.place}” is not resolved: {why.reason}")
        out.append(u)
    return out


def validate_draft(quads: list[Quad], gaz: Gazetteer, zones_used: set[str]) -> ValidationReport:
    """SHACL results for the draft's own nodes, validated with the reference graph
    (bodies, divisions, the coverage of gazetteer zones) after the OWL RL closure."""
    data = Graph()
    for s, p, o, _g in quads:
        data.add((s, p, o))
    for s, p, o, _g in reference_quads(gaz, zones_used):
        data.add((s, p, o))
    try:
        inferred = close(ontology_graph(), data)
    except InconsistentGraph as err:
        result = ValidationResult("Violation", "", None, None, str(err), None, None)
        return ValidationReport(conforms=False, results=[result], graph=Graph())
    for triple in inferred:
        data.add(triple)
    own = sorted({s for s, _p, _o, _g in quads}, key=str)
    return validate_graph(data, focus_nodes=own)


def _declaring_spans(cur: Curation) -> dict[URIRef, Span]:
    """The quote of each policy, programme and zone entry: where the text names it."""
    spans = {}
    for section, key, kind in (("policies", "id", "policy"), ("programmes", "id", "programme"), ("zones", "zone", "zone")):
        for where, entry in cur.section(section):
            spans.setdefault(iri(f"{kind}/{entry[key]}"), cur.span(entry, where))
    return spans


def _findings(extraction: Extraction, gaz: Gazetteer, declaring: dict[URIRef, Span]) -> dict[str, list[Finding]]:
    facts, source = extraction.facts, extraction.source

    def first(node: URIRef) -> Span:
        return declaring.get(node) or min(facts.evidence[node])

    def label(node: URIRef) -> str:
        labels = facts.objects(node, RDFS.label)
        return str(labels[0]) if labels else str(node).rsplit("/id/", 1)[-1]

    def finding(kind: str, node: URIRef, detail: str = "", span: Span | None = None) -> Finding:
        span = span or first(node)
        return Finding(kind, label(node), str(node), source.quote(span), span.start, span.end, detail)

    found: dict[str, list[Finding]] = {}
    for kind, cls in (("policy", PK.Policy), ("programme", PK.PilotProgramme), ("zones", PK.PilotZone)):
        found[kind] = []
        for node in facts.subjects_of_type(cls):
            detail = ""
            if cls == PK.PilotZone:
                detail = _zone_detail(node, facts, gaz)
            found[kind].append(finding(kind, node, detail))
    divisions = []
    for zone in facts.subjects_of_type(PK.PilotZone):
        slug = str(zone).rsplit("/", 1)[1]
        codes = [str(d).rsplit("/", 1)[1] for d in facts.objects(zone, PK.coversDivision) + facts.objects(zone, PK.coversPartOf)]
        codes += [code for code, _extent in gaz.zones[slug].covers] if slug in gaz.zones else []
        for code in codes:
            d = gaz.divisions[code]
            divisions.append(Finding("divisions", f"{d.name_en} ({d.code}, {d.level})", str(iri(f"division/{code}")),
                                     source.quote(first(zone)), first(zone).start, first(zone).end, f"covered by {str(zone).rsplit('/id/', 1)[1]}"))
    found["divisions"] = sorted(set(divisions), key=lambda f: (f.node, f.start))
    found["tasks"] = [finding("tasks", n, _task_detail(n, facts)) for n in sorted(facts.subjects_of_type(PK.ReformTask), key=lambda n: first(n))]
    found["objectives"] = [finding("objectives", n) for n in facts.subjects_of_type(PK.Objective)]
    doc = iri(f"source/{source.doc_id}")
    found["bodies"] = []
    for body in facts.objects(doc, PK.mentions):
        b = gaz.bodies[body_slug(body)]
        found["bodies"].append(Finding("bodies", b.name_en, str(body), source.quote(first(body)), first(body).start, first(body).end))
    found["responsibilities"] = [finding("responsibilities", n) for n in facts.subjects_of_type(PK.Responsibility)]
    found["dates"], found["counts"] = [], []
    for s, p, o in sorted(facts.triples):
        if p in _DATE_PROPS or p in _COUNT_PROPS:
            kind = "dates" if p in _DATE_PROPS else "counts"
            span = _value_span(source, facts.evidence[s], o, p in _DATE_PROPS)
            prop = "pk:" + str(p).rsplit("#", 1)[1]
            found[kind].append(Finding(kind, f"{prop} {o}", str(s), source.quote(span), span.start, span.end, f"of {label(s)}"))
    return found


def _value_span(source: SourceText, spans: set[Span], value: Literal, is_date: bool) -> Span:
    """The evidence span of a node that states ``value`` (a date or a count)."""
    for span in sorted(spans):
        if is_date:
            if any(d.value == value for d in patterns.find_dates(source.text, span)) or any(
                value in (p.start, p.end) for p in patterns.find_periods(source.text, span)
            ):
                return span
        elif any(c.value == int(value) and c.span == span for c in patterns.find_counts(source.text, span)):
            return span
    return min(spans)


def _zone_detail(zone: URIRef, facts, gaz: Gazetteer) -> str:
    slug = str(zone).rsplit("/", 1)[1]
    if slug in gaz.zones:
        codes = [code for code, _ in gaz.zones[slug].covers]
        how = "gazetteer zone"
    else:
        codes = [str(d).rsplit("/", 1)[1] for d in facts.objects(zone, PK.coversDivision) + facts.objects(zone, PK.coversPartOf)]
        how = "new zone"
    names = ", ".join(f"{gaz.divisions[c].name_en} {c}" for c in codes)
    province = gaz.province_of(codes[0]).name_en if codes else "?"
    return f"({how}; covers {names}; province {province})"


def _task_detail(task: URIRef, facts) -> str:
    number = facts.objects(task, PK.itemNumber)
    return f"(item {number[0]})" if number else ""


# --------------------------------------------------------------------------- staging


class StageError(RuntimeError):
    """A staged import that did not happen; ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def stage(trig: bytes, graph: str, server: str, token: str, *, timeout: float = 60) -> str:
    """POST a draft (TriG) to ``SERVER/imports?graph=GRAPH`` with a bearer token; return the import's URL.

    Raises :class:`StageError` naming the server's answer; a 404 means the
    server has no ``/imports`` endpoint (staged imports not implemented there).
    """
    base = server.rstrip("/")
    target = f"{base}/imports?{urllib.parse.urlencode({'graph': graph})}"
    request = urllib.request.Request(
        target,
        data=trig,
        method="POST",
        headers={"Content-Type": "application/trig", "Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            location = response.headers.get("Location")
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace").strip()
        if err.code == 404:
            raise StageError(
                f"{base} has no /imports endpoint (404 Not Found): staged imports are not implemented on that server yet",
                404,
            ) from err
        raise StageError(f"{base}/imports answered {err.code} {err.reason}" + (f": {detail[:2000]}" if detail else ""), err.code) from err
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise StageError(f"cannot reach {base}: {reason}") from err
    if location:
        return urllib.parse.urljoin(f"{base}/imports", location)
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    if isinstance(answer, dict):
        for key in ("url", "location", "href", "import"):
            if isinstance(answer.get(key), str):
                return urllib.parse.urljoin(f"{base}/imports", answer[key])
        if answer.get("id") is not None:
            return f"{base}/imports/{answer['id']}"
    raise StageError(f"{base}/imports accepted the draft but did not say where the import is (no Location header)")
