"""Facts with their evidence: what extraction produces and the RDF layer consumes.

A :class:`FactSet` is a set of triples for one named graph, plus, for every
fact-bearing resource, the spans of its source text that support it. Triples
about a resource can only be added together with a supporting span (or, for
reference data, a reference citation), so nothing enters the graph without a
source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ..namespaces import PK, PKR
from .text import SourceText, Span, clean_label

Term = URIRef | Literal
Triple = tuple[URIRef, URIRef, Term]


def iri(path: str) -> URIRef:
    """``"zone/hejiang-county"`` → ``pkr:zone/hejiang-county`` (checks the slug rule)."""
    if not path or path != path.strip("/") or any(c not in _IRI_PATH_CHARS for c in path):
        raise ValueError(f"not an instance path (lower-case ASCII, digits, '-', '/'): {path!r}")
    return PKR[path]


_IRI_PATH_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-/")


def collective_body_iri(slug: str, doc_id: str) -> URIRef:
    """The node of a collective body ("relevant departments") in one document:
    ``pkr:body/{slug}/{doc_id}``. Each text means other departments by the same
    words, so a collective phrase is one node per document, never one across texts."""
    return iri(f"body/{slug}/{doc_id}")


def body_slug(node: URIRef | str) -> str:
    """The gazetteer slug of a body node: ``body/ndrc`` → ``ndrc``,
    ``body/relevant-departments/002-...`` → ``relevant-departments``."""
    path = str(node).rsplit("/id/", 1)[-1]
    kind, _, rest = path.partition("/")
    if kind != "body" or not rest:
        raise ValueError(f"not a body node: {node}")
    return rest.split("/", 1)[0]


@dataclass
class FactSet:
    """Triples of one named graph, and the evidence spans of each resource."""

    graph: URIRef
    source: SourceText | None = None
    triples: set[Triple] = field(default_factory=set)
    evidence: dict[URIRef, set[Span]] = field(default_factory=lambda: defaultdict(set))

    def add(self, subject: URIRef, predicate: URIRef, obj: Term, *spans: Span) -> None:
        """Add a fact; with a source text, at least one span must support it."""
        if self.source is not None:
            if not spans:
                raise ValueError(f"fact without evidence: {subject} {predicate} {obj}")
            for span in spans:
                if span.start == span.end:
                    raise ValueError(f"{self.source.file_name}: empty span at {span.start} cannot be evidence")
                if span.end > len(self.source.text):
                    raise ValueError(f"{self.source.file_name}: span {span} past the end of the text")
                self.evidence[subject].add(span)
        self.triples.add((subject, predicate, obj))

    def declare(self, subject: URIRef, rdf_type: URIRef, label: str, *spans: Span, lang: str = "en") -> None:
        """Type and label a resource (the label cleaned of the text's noise)."""
        self.add(subject, RDF.type, rdf_type, *spans)
        self.add(subject, RDFS.label, Literal(clean_label(label), lang=lang), *spans)

    def support(self, subject: URIRef, spans: Iterable[Span]) -> None:
        """Record more evidence for a resource without adding a triple."""
        for span in spans:
            self.evidence[subject].add(span)

    def has(self, subject: URIRef, predicate: URIRef | None = None) -> bool:
        return any(s == subject and (predicate is None or p == predicate) for s, p, _ in self.triples)

    def objects(self, subject: URIRef, predicate: URIRef) -> list[Term]:
        return sorted(o for s, p, o in self.triples if s == subject and p == predicate)

    def subjects_of_type(self, rdf_type: URIRef) -> list[URIRef]:
        return sorted(s for s, p, o in self.triples if p == RDF.type and o == rdf_type)


FACT_BEARING = (
    PK.Policy,
    PK.PilotProgramme,
    PK.PilotBatch,
    PK.PilotZone,
    PK.ReformTask,
    PK.Responsibility,
    PK.Objective,
)
