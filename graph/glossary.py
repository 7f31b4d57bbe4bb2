"""The bilingual glossary (``reference/glossary.yaml``) as a SKOS concept scheme.

``pkr:glossary`` is a ``skos:ConceptScheme``; each term ``pkr:glossary/{slug}`` is a
``skos:Concept`` in it with ``skos:prefLabel`` and ``rdfs:label`` in English and Chinese,
``skos:altLabel`` for its other names, and a mapping to the reform theme it falls under
(``skos:exactMatch``, ``skos:broadMatch`` or ``skos:relatedMatch`` to ``theme:{slug}``). The
quads go into the reference graph; search reads them to expand a query across languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .extract.gazetteer import REFERENCE_DIR, GazetteerError
from .namespaces import PK, PKR, REFERENCE_GRAPH, THEME

GLOSSARY_FILE = "glossary.yaml"
SCHEME = PKR["glossary"]
MATCHES = {"exact": SKOS.exactMatch, "broad": SKOS.broadMatch, "related": SKOS.relatedMatch}
THEMES = frozenset({
    "land", "labour", "capital-finance", "technology", "data", "resources-environment", "public-services",
    "infrastructure", "rural-economy", "farmer-income", "governance", "household-registration", "culture",
    "poverty-alleviation", "regional-coordination", "urban-rural-planning", "party-leadership"})
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
FIELDS = {"slug", "en", "zh", "alt_en", "alt_zh", "theme", "match"}


@dataclass(frozen=True)
class Term:
    slug: str
    en: str
    zh: str
    alt_en: tuple[str, ...] = ()
    alt_zh: tuple[str, ...] = ()
    theme: str | None = None
    match: str = "broad"


@dataclass(frozen=True)
class Glossary:
    en: str
    zh: str
    reference: str
    terms: tuple[Term, ...]


def _text(value, where: str, name: str, *, chinese: bool) -> str:
    if not isinstance(value, str) or not value.strip() or value != " ".join(value.split()):
        raise GazetteerError(GLOSSARY_FILE, where, f"{name} must be a non-empty string without extra spaces, not {value!r}")
    if chinese != bool(_HAN.search(value)):
        raise GazetteerError(GLOSSARY_FILE, where, f"{name} {value!r} " + (
            "must be written in Chinese characters" if chinese else "must not hold Chinese characters"))
    return value


def parse_glossary(text: str) -> Glossary:
    """Read and check the glossary: every field known, slugs unique and well-formed, names in
    the right script, no name given twice, themes that exist. Raises :class:`GazetteerError`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise GazetteerError(GLOSSARY_FILE, "", f"not valid YAML: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("scheme"), dict) or not isinstance(data.get("terms"), list):
        raise GazetteerError(GLOSSARY_FILE, "", "expected a mapping with 'scheme' (en, zh, reference) and a list 'terms'")
    scheme = data["scheme"]
    en = _text(scheme.get("en"), "scheme", "en", chinese=False)
    zh = _text(scheme.get("zh"), "scheme", "zh", chinese=True)
    reference = " ".join(str(scheme.get("reference") or "").split())
    if not reference:
        raise GazetteerError(GLOSSARY_FILE, "scheme", "reference (where the wording comes from) is required")
    terms: list[Term] = []
    slugs: set[str] = set()
    for number, entry in enumerate(data["terms"], 1):
        where = f"term {number}"
        if not isinstance(entry, dict):
            raise GazetteerError(GLOSSARY_FILE, where, "expected a mapping")
        unknown = set(entry) - FIELDS
        if unknown:
            raise GazetteerError(GLOSSARY_FILE, where, f"unknown field(s) {sorted(unknown)}: use {sorted(FIELDS)}")
        slug = entry.get("slug")
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise GazetteerError(GLOSSARY_FILE, where, f"slug {slug!r} must be lower-case ASCII words joined by hyphens")
        where = f"term {slug!r}"
        if slug in slugs:
            raise GazetteerError(GLOSSARY_FILE, where, "the slug is used twice")
        slugs.add(slug)
        names_en = [_text(entry.get("en"), where, "en", chinese=False)]
        names_zh = [_text(entry.get("zh"), where, "zh", chinese=True)]
        for key, names, chinese in (("alt_en", names_en, False), ("alt_zh", names_zh, True)):
            values = entry.get(key) or []
            if not isinstance(values, list):
                raise GazetteerError(GLOSSARY_FILE, where, f"{key} must be a list")
            names += [_text(v, where, key, chinese=chinese) for v in values]
        folded = [n.casefold() for n in names_en + names_zh]
        if len(set(folded)) != len(folded):
            raise GazetteerError(GLOSSARY_FILE, where, "a name is given twice")
        theme = entry.get("theme")
        if theme is not None and theme not in THEMES:
            raise GazetteerError(GLOSSARY_FILE, where, f"theme {theme!r} is not a reform theme: use one of {sorted(THEMES)}")
        match = entry.get("match", "broad")
        if match not in MATCHES:
            raise GazetteerError(GLOSSARY_FILE, where, f"match {match!r} must be one of {sorted(MATCHES)}")
        if match != "broad" and theme is None:
            raise GazetteerError(GLOSSARY_FILE, where, "match without a theme")
        terms.append(Term(slug, names_en[0], names_zh[0], tuple(names_en[1:]), tuple(names_zh[1:]), theme, match))
    if not terms:
        raise GazetteerError(GLOSSARY_FILE, "", "the glossary has no terms")
    return Glossary(en, zh, reference, tuple(terms))


@lru_cache(maxsize=4)
def _load(path: str) -> Glossary:
    return parse_glossary(Path(path).read_text(encoding="utf-8"))


def load_glossary(directory: Path | None = None) -> Glossary:
    """The glossary of the reference folder (read once)."""
    return _load(str((Path(directory or REFERENCE_DIR) / GLOSSARY_FILE).resolve()))


def term_iri(slug: str) -> URIRef:
    return PKR[f"glossary/{slug}"]


def glossary_quads(glossary: Glossary | None = None, g: URIRef = REFERENCE_GRAPH) -> list[tuple]:
    """The glossary as quads of graph ``g``, in a stable order, with no blank nodes."""
    glossary = glossary or load_glossary()
    q: list[tuple] = [
        (SCHEME, RDF.type, SKOS.ConceptScheme, g),
        (SCHEME, RDFS.label, Literal(glossary.en, lang="en"), g),
        (SCHEME, RDFS.label, Literal(glossary.zh, lang="zh"), g),
        (SCHEME, SKOS.prefLabel, Literal(glossary.en, lang="en"), g),
        (SCHEME, SKOS.prefLabel, Literal(glossary.zh, lang="zh"), g),
        (SCHEME, PK.referenceSource, Literal(glossary.reference), g),
    ]
    for term in glossary.terms:
        node = term_iri(term.slug)
        q += [
            (node, RDF.type, SKOS.Concept, g),
            (node, SKOS.inScheme, SCHEME, g),
            (node, SKOS.topConceptOf, SCHEME, g),
            (SCHEME, SKOS.hasTopConcept, node, g),
            (node, SKOS.notation, Literal(term.slug), g),
        ]
        for lang, name in (("en", term.en), ("zh", term.zh)):
            q += [(node, SKOS.prefLabel, Literal(name, lang=lang), g), (node, RDFS.label, Literal(name, lang=lang), g)]
        q += [(node, SKOS.altLabel, Literal(name, lang="en"), g) for name in term.alt_en]
        q += [(node, SKOS.altLabel, Literal(name, lang="zh"), g) for name in term.alt_zh]
        if term.theme:
            q.append((node, MATCHES[term.match], THEME[term.theme], g))
    return q
