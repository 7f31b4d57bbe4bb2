"""Facts and reference data as RDF quads: one named graph per source text, plus
the ontology and reference (gazetteer) graphs. No blank nodes: every evidence
and selector has an IRI derived from its offsets.
"""

from __future__ import annotations

from typing import Iterable

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from .extract.facts import FactSet, iri
from .extract.gazetteer import Body, Division, Gazetteer
from .namespaces import OA, ONTOLOGY_GRAPH, PK, PREFIXES, REFERENCE_GRAPH, WGS
from .extract.text import Span

QUOTE_LABEL_CHARS = 60


def canonical_decimal(value: float) -> str:
    """The canonical xsd:decimal form of a coordinate ("108.93977", not "108.939770"), the
    form RDF stores keep, so the dump and a store loaded from it hold the same literal."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text

Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]


def evidence_quads(facts: FactSet) -> list[Quad]:
    """The pk:Evidence nodes of a fact set, with a quote and a position selector each."""
    source = facts.source
    assert source is not None
    doc = iri(f"source/{source.doc_id}")
    g = facts.graph
    quads: list[Quad] = []
    seen: set[Span] = set()
    for subject, spans in sorted(facts.evidence.items()):
        for span in sorted(spans):
            node = iri(f"evidence/{source.doc_id}/{span.start}-{span.end}")
            quads.append((subject, PK.evidence, node, g))
            if span in seen:
                continue
            seen.add(span)
            exact = source.quote(span)
            quote_sel = URIRef(f"{node}/quote")
            pos_sel = URIRef(f"{node}/position")
            short = " ".join(exact.split())
            short = short if len(short) <= QUOTE_LABEL_CHARS else short[: QUOTE_LABEL_CHARS - 1] + "…"
            quads += [
                (node, RDF.type, PK.Evidence, g),
                (node, RDF.type, OA.SpecificResource, g),
                (node, RDFS.label, Literal(f"“{short}” ({source.file_name} {span.start}–{span.end})", lang="en"), g),
                (node, OA.hasSource, doc, g),
                (node, OA.hasSelector, quote_sel, g),
                (node, OA.hasSelector, pos_sel, g),
                (quote_sel, RDF.type, OA.TextQuoteSelector, g),
                (quote_sel, OA.exact, Literal(exact), g),
                (quote_sel, OA.prefix, Literal(source.prefix(span)), g),
                (quote_sel, OA.suffix, Literal(source.suffix(span)), g),
                (pos_sel, RDF.type, OA.TextPositionSelector, g),
                (pos_sel, OA.start, Literal(span.start, datatype=XSD.integer), g),
                (pos_sel, OA.end, Literal(span.end, datatype=XSD.integer), g),
            ]
    return quads


def fact_quads(facts: FactSet) -> list[Quad]:
    """The facts of a source graph, followed by their evidence."""
    return [(s, p, o, facts.graph) for s, p, o in sorted(facts.triples)] + evidence_quads(facts)


def reference_quads(gaz: Gazetteer, zones: Iterable[str]) -> list[Quad]:
    """The gazetteer as quads of ``pkr:graph/reference``: every body (but the collective
    ones, which are per document: see :func:`.facts.collective_body_iri`) and division, and the
    coverage of the zones the sources name."""
    g = REFERENCE_GRAPH
    q: list[Quad] = []
    for body in sorted(gaz.bodies.values(), key=lambda b: b.slug):
        if not body.collective:  # a collective body is one node per document, in its source graph
            q += body_quads(body, g)
    for div in sorted(gaz.divisions.values(), key=lambda d: d.code):
        q += division_quads(div, g)
    for slug in sorted(zones):
        zone = gaz.zones[slug]
        node = iri(f"zone/{slug}")
        for code, extent in zone.covers:
            prop = PK.coversPartOf if extent == "part" else PK.coversDivision
            q.append((node, prop, iri(f"division/{code}"), g))
            if prop != PK.coversDivision:
                q.append((node, PK.coversDivision, iri(f"division/{code}"), g))
        for alias in zone.aliases:
            if alias != zone.name_en:
                q.append((node, SKOS.altLabel, Literal(alias, lang="en"), g))
        q.append((node, PK.referenceSource, Literal(zone.reference), g))
    return q


def body_quads(body: Body, g: URIRef) -> list[Quad]:
    """One body of the gazetteer as quads of graph ``g``: its class, English and Chinese
    labels, abbreviations and variants, parent, successor (both ways), jurisdiction and
    references."""
    node = iri(f"body/{body.slug}")
    q: list[Quad] = [(node, RDF.type, PK.ResponsibleBody, g)]
    if body.collective:
        q.append((node, RDF.type, PK.CollectiveBody, g))
    q.append((node, RDFS.label, Literal(body.name_en, lang="en"), g))
    if body.name_zh:
        q.append((node, RDFS.label, Literal(body.name_zh, lang="zh"), g))
    for alias in body.aliases:
        if alias != body.name_en and "*" not in alias:
            q.append((node, SKOS.altLabel, Literal(alias, lang="en"), g))
    if body.parent:
        q.append((node, PK.subOrganizationOf, iri(f"body/{body.parent}"), g))
    if body.succeeded_by:
        q.append((node, PK.succeededBy, iri(f"body/{body.succeeded_by}"), g))
        q.append((iri(f"body/{body.succeeded_by}"), PK.succeeds, node, g))
    if body.jurisdiction:
        q.append((node, PK.jurisdiction, iri(f"division/{body.jurisdiction}"), g))
    for ref in body.references:
        q.append((node, PK.referenceSource, Literal(ref), g))
    if body.zh_reference:
        q.append((node, PK.referenceSource, Literal(body.zh_reference), g))
    return q


_LEVEL_CLASS = {
    "province": PK.ProvinceLevelDivision,
    "prefecture": PK.PrefectureLevelDivision,
    "county": PK.CountyLevelDivision,
}


def division_quads(div: Division, g: URIRef) -> list[Quad]:
    """One administrative division as quads of graph ``g``: its level class, English and
    Chinese labels, code, type, reference, parent and (when known) coordinates."""
    node = iri(f"division/{div.code}")
    q: list[Quad] = [
        (node, RDF.type, PK.AdministrativeDivision, g),
        (node, RDF.type, _LEVEL_CLASS[div.level], g),
        (node, RDFS.label, Literal(div.name_en, lang="en"), g),
        (node, RDFS.label, Literal(div.name_zh, lang="zh"), g),
        (node, PK.adcode, Literal(div.code), g),
        (node, PK.divisionType, Literal(div.type), g),
        (node, PK.referenceSource, Literal(div.reference), g),
    ]
    if div.parent:
        q.append((node, PK.withinDivision, iri(f"division/{div.parent}"), g))
    if div.latitude is not None and div.longitude is not None:
        q.append((node, WGS.lat, Literal(canonical_decimal(div.latitude), datatype=XSD.decimal), g))
        q.append((node, WGS.long, Literal(canonical_decimal(div.longitude), datatype=XSD.decimal), g))
    return q


def ontology_quads(ontology: Graph) -> list[Quad]:
    return [(s, p, o, ONTOLOGY_GRAPH) for s, p, o in ontology]


def to_dataset(quads: Iterable[Quad]) -> Dataset:
    """An rdflib Dataset holding the quads, with the project's prefixes bound."""
    ds = Dataset()
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns)
    for s, p, o, g in quads:
        ds.graph(g).add((s, p, o))
    return ds
