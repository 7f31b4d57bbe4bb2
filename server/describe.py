"""What a resource page shows and what its RDF forms hold, read in a few batched queries.

:func:`describe` gathers, for one IRI of ours, its statements as subject and as
object with the named graphs each comes from (one query), its evidence with the
quotes and offsets (one query), the responsibilities and zones it takes part in
(one query each, only when it has any), and the labels and types of everything
it links to (one query). :func:`description_quads` gives the triples of its RDF
forms: its statements as subject in every graph, plus its evidence nodes and
their selectors, so the quotes travel with the description.

A statement is *inferred* when it is only in the graph of inferred triples; a
statement stated in a source, reference or curated graph and also inferred is
asserted.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

import pyoxigraph as ox

from pilotkg.graph.namespaces import sparql_prologue

from .results import GRAPH_RDF_FORMATS
from .i18n import current_lang, show_date
from .site import (ID, Label, INFERRED_GRAPH, ONTOLOGY_NS, SHOWN_PREFIXES, Term, compact, labels_for, local_path, select, service,
                   sparql_iri, sparql_string)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PK = ONTOLOGY_NS
RDFS_LABEL, RDFS_COMMENT = RDFS + "label", RDFS + "comment"
SKOS_PREF, SKOS_DEFINITION = SKOS + "prefLabel", SKOS + "definition"
SOURCE_PREFIX = ID + "source/"
GRAPH_PREFIX = ID + "graph/"

INBOUND_ROW_LIMIT = 5000  # rows read for "Referenced by"; beyond it the page says the list is cut
INBOUND_SHOWN = 25  # subjects shown per property before "… and N more"

# Property groups on the page, in order. A property not named here goes by its values:
# links → Relations, dates and numbers → Dates & counts, other text → Description.
IDENTITY = "Identity and labels"
DESCRIPTION = "Description"
RELATIONS = "Relations"
DATES = "Dates and counts"
PROVENANCE = "Provenance"
GROUP_ORDER = (IDENTITY, DESCRIPTION, RELATIONS, DATES, PROVENANCE)
GROUP_OF = {
    RDFS_LABEL: IDENTITY, SKOS_PREF: IDENTITY, SKOS + "altLabel": IDENTITY, SKOS + "hiddenLabel": IDENTITY,
    SKOS + "notation": IDENTITY, "http://purl.org/dc/terms/identifier": IDENTITY, PK + "adcode": IDENTITY,
    PK + "itemNumber": IDENTITY, PK + "batchNumber": IDENTITY, PK + "fileName": IDENTITY, PK + "sha256": IDENTITY,
    PK + "divisionType": IDENTITY, "http://purl.org/dc/terms/title": IDENTITY,
    RDFS_COMMENT: DESCRIPTION, SKOS_DEFINITION: DESCRIPTION, "http://purl.org/dc/terms/description": DESCRIPTION,
    PK + "derivedFrom": PROVENANCE, "http://www.w3.org/ns/prov#wasDerivedFrom": PROVENANCE,
    PK + "referenceSource": PROVENANCE, "http://purl.org/dc/terms/source": PROVENANCE, PK + "extractedBy": PROVENANCE,
    OA + "hasSource": PROVENANCE, OA + "hasSelector": PROVENANCE, RDFS + "isDefinedBy": PROVENANCE,
    PK + "evidence": PROVENANCE,
}
DATE_TYPES = {XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth", "gMonthDay", "gMonth", "gDay", "time")}
NUMBER_TYPES = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger",
                                  "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt")}
# Labels for standard properties the ontology reuses but does not declare (it never redeclares them).
STANDARD_LABELS = {
    RDF_TYPE: "type", RDFS_LABEL: "label", RDFS_COMMENT: "comment", SKOS_PREF: "preferred label",
    SKOS + "altLabel": "alternative label", SKOS + "hiddenLabel": "hidden label",
    "http://www.w3.org/2003/01/geo/wgs84_pos#lat": "latitude", "http://www.w3.org/2003/01/geo/wgs84_pos#long": "longitude",
    "http://purl.org/dc/terms/subject": "subject (Dublin Core)",
}


# --- what a page shows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """A named graph a statement comes from, as a page names it."""

    graph: str
    kind: str  # source | reference | curated | ontology | inferred | draft | other
    text: str
    href: str | None


def origin_of(graph: str) -> Origin:
    """How a page names the graph ``graph`` (and where it links: a source graph to its source)."""
    rest = graph[len(GRAPH_PREFIX):] if graph.startswith(GRAPH_PREFIX) else None
    if rest is None:
        return Origin(graph, "other", compact(graph), local_path(graph))
    if rest.startswith("source/"):
        doc = rest[len("source/"):]
        short = doc.split("-", 1)[0] if doc.split("-", 1)[0].isdigit() else (doc if len(doc) <= 14 else doc[:12] + "…")
        return Origin(graph, "source", f"source {short}", "/id/source/" + doc)
    if rest.startswith("curation"):
        return Origin(graph, "curated", "curated", local_path(graph))
    if rest.startswith("draft"):
        return Origin(graph, "draft", "draft", local_path(graph))
    if rest in ("reference", "ontology", "inferred"):
        return Origin(graph, rest, rest, local_path(graph))
    return Origin(graph, "other", rest, local_path(graph))


@dataclass
class Value:
    """One value of a property (or one subject linking here), with the graphs that state it."""

    term: Term
    graphs: set[str] = field(default_factory=set)

    @property
    def inferred(self) -> bool:
        """Only in the graph of inferred triples."""
        return self.graphs == {INFERRED_GRAPH}

    @property
    def origins(self) -> list[Origin]:
        """The graphs that assert it (the inferred graph only when nothing else states it)."""
        asserted = sorted(g for g in self.graphs if g != INFERRED_GRAPH)
        return [origin_of(g) for g in (asserted or sorted(self.graphs))]


@dataclass
class Property:
    iri: str
    label: str
    values: list[Value]
    total: int | None = None  # for inbound links: how many subjects in all (some may not be shown)

    @property
    def term(self) -> Term:
        return Term("iri", self.iri)

    @property
    def short(self) -> str:
        return compact(self.iri)

    @property
    def all_inferred(self) -> bool:
        return all(v.inferred for v in self.values)

    @property
    def hidden(self) -> int:
        return (self.total or len(self.values)) - len(self.values)


@dataclass
class Group:
    name: str
    properties: list[Property]


@dataclass
class Evidence:
    """One evidence node: the quote, where it is in which source, and the link to it there."""

    iri: str
    source: str | None
    start: int | None
    end: int | None
    exact: str | None
    prefix: str | None = None
    suffix: str | None = None

    @property
    def doc(self) -> str | None:
        """The source's name in /source/DOC (None for a source that is not one of ours)."""
        if self.source and self.source.startswith(SOURCE_PREFIX):
            return self.source[len(SOURCE_PREFIX):]
        return None

    @property
    def text_link(self) -> str | None:
        """``/source/DOC#char=START,END`` (RFC 5147), or the source page without a range if offsets are missing."""
        if self.doc is None:
            return None
        if self.start is None or self.end is None:
            return f"/source/{self.doc}"
        return f"/source/{self.doc}#char={self.start},{self.end}"

    @property
    def href(self) -> str | None:
        return local_path(self.iri)


@dataclass
class EvidenceGroup:
    source: str | None
    items: list[Evidence]

    @property
    def source_term(self) -> Term | None:
        return Term("iri", self.source) if self.source else None


@dataclass
class Responsibility:
    iri: str
    body: Term | None
    role: Term | None
    subject: Term | None
    text: str | None
    graphs: set[str] = field(default_factory=set)

    @property
    def href(self) -> str | None:
        return local_path(self.iri)


@dataclass
class ZoneRow:
    zone: Term
    provinces: list[Term]
    batches: list[Term]


@dataclass
class Description:
    iri: str
    outgoing: dict[str, dict[tuple, Value]]
    incoming: dict[str, dict[tuple, Value]]  # the subjects shown, per property
    incoming_totals: dict[str, int]  # how many subjects link with each property
    inbound_truncated: bool
    labels: dict[str, str]
    zh_labels: dict[str, str]
    types_of: dict[str, set[str]]
    comments: dict[str, str]
    property_labels: dict[str, str]
    evidence: list[Evidence]
    responsibilities: list[Responsibility]
    zones: list[ZoneRow]
    order_of: dict[str, float | None] = field(default_factory=dict)  # a linked task's place in its text

    # ---- what the page shows

    @property
    def term(self) -> Term:
        return Term("iri", self.iri)

    @property
    def label(self) -> str:
        return self.labels.get(self.iri) or compact(self.iri)

    @property
    def zh_label(self) -> str | None:
        """The name in the other language (Chinese beside English, English beside Chinese), if any."""
        return getattr(self.labels.get(self.iri), "other", None)

    @property
    def other_lang(self) -> str | None:
        return getattr(self.labels.get(self.iri), "other_lang", None)

    @cached_property
    def types(self) -> list[Value]:
        values = list(self.outgoing.get(RDF_TYPE, {}).values())
        return sorted(values, key=lambda v: (v.inferred, not v.term.value.startswith(PK), self.name(v.term.value)))

    def has_type(self, iri: str) -> bool:
        return iri in self.types_of.get(self.iri, set())

    @property
    def about(self) -> tuple[str, str] | None:
        """(class label, first sentence of its comment) for the first asserted type of ours with a comment."""
        for value in self.types:
            comment = self.comments.get(value.term.value)
            if comment and not value.inferred:
                return self.name(value.term.value), first_sentence(comment)
        schemes = self.values(SKOS + "inScheme")
        if schemes:  # a concept of a scheme the ontology declares (a theme, a role, a policy type)
            names = ", ".join(self.name(v.term.value) for v in schemes)
            return "Concept", f"one of the values of the scheme {names}."
        return None

    def name(self, iri: str) -> str:
        return self.labels.get(iri) or compact(iri)

    def property_label(self, iri: str) -> str:
        return self.property_labels.get(iri) or STANDARD_LABELS.get(iri) or words_of(iri)

    def values(self, prop: str) -> list[Value]:
        return list(self.outgoing.get(prop, {}).values())

    def values_of_type(self, prop: str, cls: str) -> list[Value]:
        return [v for v in self.outgoing.get(prop, {}).values() if cls in self.types_of.get(v.term.value, set())]

    @cached_property
    def groups(self) -> list[Group]:
        """The statements about the resource, grouped, each property labelled; types and evidence are shown apart."""
        grouped: dict[str, list[Property]] = defaultdict(list)
        for prop, values in self.outgoing.items():
            if prop in (RDF_TYPE, PK + "evidence"):
                continue
            vals = sorted(values.values(), key=self._value_order)
            grouped[self._group_of(prop, vals)].append(Property(prop, self.property_label(prop), vals))
        ordered = []
        for name in GROUP_ORDER:
            props = sorted(grouped.get(name, []), key=lambda p: (p.all_inferred, not p.iri.startswith(PK), p.label))
            if props:
                ordered.append(Group(name, props))
        return ordered

    @cached_property
    def inbound(self) -> list[Property]:
        props = []
        for prop, values in self.incoming.items():
            vals = sorted(values.values(), key=self._value_order)
            props.append(Property(prop, self.property_label(prop), vals, total=self.incoming_totals.get(prop, len(vals))))
        return sorted(props, key=lambda p: (p.all_inferred, -(p.total or 0), p.label))

    @property
    def inbound_count(self) -> int:
        return sum(self.incoming_totals.values())

    @cached_property
    def evidence_groups(self) -> list[EvidenceGroup]:
        groups: dict[str | None, list[Evidence]] = defaultdict(list)
        for ev in self.evidence:
            groups[ev.source].append(ev)
        return [EvidenceGroup(src, items) for src, items in sorted(groups.items(), key=lambda kv: kv[0] or "")]

    @cached_property
    def summary(self) -> list[tuple[str, list[Value]]]:
        """Key facts for a kind of resource, shown first ("At a glance"); empty for the rest."""
        rows: list[tuple[str, list[Value]]] = []

        def add(caption: str, values: list[Value]) -> None:
            if values:
                rows.append((caption, sorted(values, key=self._value_order)))

        if self.has_type(PK + "PilotZone"):
            add("Programme", self.values_of_type(PK + "inProgramme", PK + "PilotProgramme"))
            add("Batch", self.values_of_type(PK + "inProgramme", PK + "PilotBatch"))
            add("Province", self.values(PK + "inProvince"))
            add("Covers", self.values(PK + "coversDivision"))
            add("Covers part of", self.values(PK + "coversPartOf"))
            add("Designated by", self.values(PK + "designatedBy"))
        if self.has_type(PK + "ReformTask"):
            add("Part of", self.values(PK + "taskOf") or self.values(PK + "partOfTask"))
            add("Theme", self.values(PK + "theme"))
            add("Sub-tasks", self.values(PK + "hasTask"))
        if self.has_type(PK + "PilotBatch"):
            add("Programme", self.values(PK + "batchOf"))
        if self.has_type(PK + "PilotProgramme"):
            add("Established by", self.values(PK + "establishedBy"))
            add("Batches", self.values(PK + "hasBatch"))
        return rows

    @cached_property
    def sorted_zones(self) -> list[ZoneRow]:
        """The zones table's rows: by province, then by name."""
        return sorted(self.zones, key=lambda z: ([natural_key(self.name(p.value)) for p in z.provinces],
                                                 natural_key(self.name(z.zone.value))))

    @property
    def zones_have_batches(self) -> bool:
        return any(z.batches for z in self.zones)

    @property
    def is_source(self) -> bool:
        return self.iri.startswith(SOURCE_PREFIX) and (self.has_type(PK + "SourceDocument") or PK + "fileName" in self.outgoing)

    @property
    def doc(self) -> str | None:
        return self.iri[len(SOURCE_PREFIX):] if self.iri.startswith(SOURCE_PREFIX) else None

    def _group_of(self, prop: str, values: list[Value]) -> str:
        if prop in GROUP_OF:
            return GROUP_OF[prop]
        kinds = {v.term.kind for v in values}
        if kinds == {"iri"}:
            return RELATIONS
        if all(v.term.kind == "literal" and (v.term.datatype in DATE_TYPES or v.term.datatype in NUMBER_TYPES) for v in values):
            return DATES
        return DESCRIPTION if kinds == {"literal"} else RELATIONS

    def _value_order(self, value: Value):
        t = value.term
        numeric = t.kind == "literal" and t.datatype in NUMBER_TYPES
        text = self.labels.get(t.value) or t.value if t.is_iri else t.value
        # Numbers sort as numbers, names naturally (item 9 before item 10); English before other languages.
        if t.is_iri and self.order_of.get(t.value) is not None:
            order = (0, self.order_of[t.value], ())
        else:
            order = (0, float_or(t.value), ()) if numeric else (1, 0.0, natural_key(text))
        return (value.inferred, t.lang not in (None, "en"), order)


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return m.group(1) if m else text.strip()


def words_of(iri: str) -> str:
    """``containedInPlace`` → ``contained in place``: a readable name when no label is known."""
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").lower() or iri


def natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


def float_or(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("inf")


# --- reading ---------------------------------------------------------------------------------------


def _query(body: str) -> list[dict[str, Term | None]]:
    return select(sparql_prologue() + body)


def _key(t: Term) -> tuple:
    return (t.kind, t.value, t.lang, t.datatype)


def describe(iri: str) -> Description | None:
    """Everything a resource page shows about ``iri``; None if no triple has it as subject or object."""
    ref = sparql_iri(iri)
    rows = _query(f"""SELECT ?dir ?p ?x ?g WHERE {{
        {{ GRAPH ?g {{ {ref} ?p ?x }} BIND("out" AS ?dir) }}
        UNION {{ {{ SELECT ?p ?x ?g WHERE {{ GRAPH ?g {{ ?x ?p {ref} }} }} LIMIT {INBOUND_ROW_LIMIT} }} BIND("in" AS ?dir) }}
    }}""")
    if not rows:
        return None
    outgoing: dict[str, dict[tuple, Value]] = defaultdict(dict)
    incoming: dict[str, dict[tuple, Value]] = defaultdict(dict)
    in_rows = 0
    for row in rows:
        x, p, g = row["x"], row["p"].value, row["g"].value
        if x.kind == "bnode":
            continue
        target = outgoing if row["dir"].value == "out" else incoming
        in_rows += row["dir"].value == "in"
        value = target[p].setdefault(_key(x), Value(x))
        value.graphs.add(g)

    evidence = _evidence(ref, is_evidence=OA + "hasSelector" in outgoing)
    responsibilities = _responsibilities(incoming)
    zones = _zones(ref) if PK + "hasZone" in outgoing else []

    # Many subjects may link here with one property (every task of a theme): keep the first few, by IRI.
    incoming_totals = {p: len(values) for p, values in incoming.items()}
    for p, values in incoming.items():
        if len(values) > INBOUND_SHOWN:
            kept = sorted(values.items(), key=lambda kv: (kv[1].inferred, natural_key(kv[1].term.value)))[:INBOUND_SHOWN]
            incoming[p] = dict(kept)

    iris = {iri} | set(outgoing) | set(incoming)
    for values in (*outgoing.values(), *incoming.values()):
        iris.update(v.term.value for v in values.values() if v.term.is_iri)
    iris.update(ev.source for ev in evidence if ev.source)
    for r in responsibilities:
        iris.update(t.value for t in (r.body, r.role, r.subject) if t is not None)
    for z in zones:
        iris.update(t.value for t in (z.zone, *z.provinces, *z.batches))
    typed = {iri} | {v.term.value for values in outgoing.values() for v in values.values() if v.term.is_iri}
    labels, zh_labels, types_of, comments, order_of = _labels(
        iris, typed, {v.term.value for v in outgoing.get(RDF_TYPE, {}).values()})
    property_labels = {p: labels[p] for p in set(outgoing) | set(incoming) if p in labels}
    return Description(iri, dict(outgoing), dict(incoming), incoming_totals, in_rows >= INBOUND_ROW_LIMIT, labels,
                       zh_labels, types_of, comments, property_labels, evidence, responsibilities, zones, order_of)


def _evidence(ref: str, *, is_evidence: bool) -> list[Evidence]:
    """The evidence of the resource (and the resource itself when it is an evidence node)."""
    own = f"UNION {{ BIND({ref} AS ?ev) }}" if is_evidence else ""
    rows = _query(f"""SELECT ?ev ?src ?exact ?prefix ?suffix ?start ?end WHERE {{
        {{ {ref} pk:evidence ?ev }} {own}
        OPTIONAL {{ ?ev oa:hasSource ?src }}
        OPTIONAL {{ ?ev oa:hasSelector ?q . ?q oa:exact ?exact
                   OPTIONAL {{ ?q oa:prefix ?prefix }} OPTIONAL {{ ?q oa:suffix ?suffix }} }}
        OPTIONAL {{ ?ev oa:hasSelector ?pos . ?pos oa:start ?start ; oa:end ?end }}
    }}""")
    found: dict[str, Evidence] = {}
    for row in rows:
        ev = row["ev"]
        if ev is None or not ev.is_iri or ev.value in found:
            continue
        found[ev.value] = Evidence(
            ev.value, row["src"].value if row["src"] else None, int_or_none(row["start"]), int_or_none(row["end"]),
            row["exact"].value if row["exact"] else None,
            row["prefix"].value if row["prefix"] else None, row["suffix"].value if row["suffix"] else None)
    return sorted(found.values(), key=lambda e: (e.source or "", e.start if e.start is not None else -1, e.end or 0, e.iri))


def int_or_none(t: Term | None) -> int | None:
    if t is None:
        return None
    try:
        return int(t.value)
    except ValueError:
        return None


def _responsibilities(incoming: dict[str, dict[tuple, Value]]) -> list[Responsibility]:
    """The qualified responsibilities naming the resource as their body or their subject."""
    holders = {v.term.value for p in (PK + "body", PK + "subject") for v in incoming.get(p, {}).values() if v.term.is_iri}
    if not holders:
        return []
    values = " ".join(sparql_iri(r) for r in sorted(holders))
    rows = _query(f"""SELECT ?r ?body ?role ?subject ?text ?g WHERE {{ VALUES ?r {{ {values} }}
        GRAPH ?g {{ ?r pk:body ?body }}
        OPTIONAL {{ ?r pk:role ?role }} OPTIONAL {{ ?r pk:subject ?subject }} OPTIONAL {{ ?r pk:responsibilityText ?text }}
    }}""")
    found: dict[str, Responsibility] = {}
    for row in rows:
        r = found.setdefault(row["r"].value, Responsibility(row["r"].value, row["body"], row["role"], row["subject"],
                                                             row["text"].value if row["text"] else None))
        r.graphs.add(row["g"].value)
    return sorted(found.values(), key=lambda r: (r.role.value if r.role else "", r.body.value if r.body else "", r.iri))


def _zones(ref: str) -> list[ZoneRow]:
    """The zones of a programme or batch, with their provinces and (for a programme) batches."""
    rows = _query(f"""SELECT ?zone ?province ?batch WHERE {{
        {ref} pk:hasZone ?zone .
        OPTIONAL {{ ?zone pk:inProvince ?province }}
        OPTIONAL {{ ?batch pk:hasZone ?zone ; pk:batchOf {ref} }}
    }}""")
    found: dict[str, ZoneRow] = {}
    for row in rows:
        z = found.setdefault(row["zone"].value, ZoneRow(row["zone"], [], []))
        for t, bucket in ((row["province"], z.provinces), (row["batch"], z.batches)):
            if t is not None and t not in bucket:
                bucket.append(t)
    return list(found.values())


def _labels(iris: set[str], typed: set[str], types: set[str]) -> tuple[dict, dict, dict, dict, dict]:
    """English (else any) and Chinese labels of ``iris``, the types and text order (pk:position,
    pk:itemNumber) of ``typed`` and the comments of ``types``, in one query."""
    iris = {i for i in iris if i}
    if not iris:
        return {}, {}, {}, {}, {}
    values = " ".join(sparql_iri(i) for i in sorted(iris))
    parts = [f"{{ VALUES ?s {{ {values} }} ?s rdfs:label ?v BIND(rdfs:label AS ?p) }}",
             f"{{ VALUES ?s {{ {values} }} ?s skos:prefLabel ?v BIND(skos:prefLabel AS ?p) }}"]
    if typed:
        typed_values = " ".join(sparql_iri(i) for i in sorted(typed))
        parts.append(f"{{ VALUES ?s {{ {typed_values} }} ?s a ?v BIND(rdf:type AS ?p) }}")
        parts.append(f"{{ VALUES ?s {{ {typed_values} }} VALUES ?p {{ pk:position pk:itemNumber }} ?s ?p ?v }}")
    if types:
        parts.append(f"{{ VALUES ?s {{ {' '.join(sparql_iri(i) for i in sorted(types))} }} ?s rdfs:comment ?v BIND(rdfs:comment AS ?p) }}")
    rows = _query(f"SELECT ?s ?p ?v WHERE {{ {' UNION '.join(parts)} }}")
    best_en: dict[str, tuple] = {}
    best_zh: dict[str, tuple] = {}
    types_of: dict[str, set[str]] = defaultdict(set)
    comments: dict[str, tuple] = {}
    order: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        s, p, v = row["s"].value, row["p"].value, row["v"]
        if p == RDF_TYPE:
            types_of[s].add(v.value)
            continue
        if p in (PK + "position", PK + "itemNumber"):
            order[s][p] = float_or(v.value)
            continue
        if p == RDFS_COMMENT:
            rank = (0 if v.lang == "en" else 1 if not v.lang else 2, v.value)
            if s not in comments or rank < comments[s]:
                comments[s] = rank
            continue
        lang = (v.lang or "").lower()
        kind = 0 if p == RDFS_LABEL else 1
        if lang == "zh" or lang.startswith("zh-"):
            rank = (kind, lang != "zh", v.value)
            if s not in best_zh or rank < best_zh[s]:
                best_zh[s] = rank
            en_rank = (3, kind, v.value)
        else:
            en_rank = (0 if lang == "en" else 1 if not lang else 2, kind, v.value)
        if s not in best_en or en_rank < best_en[s]:
            best_en[s] = en_rank
    # Tasks keep the text's order: by position among siblings, else by item number.
    order_of = {s: o.get(PK + "position", o.get(PK + "itemNumber")) for s, o in order.items()}
    en = {s: r[-1] for s, r in best_en.items()}
    zh = {s: r[-1] for s, r in best_zh.items()}
    # Names in the reader's language, each knowing the other language's name (shown beside it).
    first, second, second_tag = (zh, en, "en") if current_lang() == "zh" else (en, zh, "zh")
    labels: dict[str, str] = {}
    for s in set(en) | set(zh):
        label = Label(first.get(s) or second[s])
        if second.get(s) and second[s] != label:
            label.other, label.other_lang = second[s], second_tag
        labels[s] = label
    return labels, zh, dict(types_of), {s: r[-1] for s, r in comments.items()}, order_of


def source_counts(iri: str) -> tuple[int, int]:
    """(triples in the source's own graph, evidence nodes quoting it) for a source ``/id/source/DOC``."""
    doc = iri[len(SOURCE_PREFIX):]
    rows = _query(f"""SELECT ?facts ?spans WHERE {{
        {{ SELECT (COUNT(*) AS ?facts) WHERE {{ GRAPH {sparql_iri(GRAPH_PREFIX + "source/" + doc)} {{ ?s ?p ?o }} }} }}
        {{ SELECT (COUNT(DISTINCT ?ev) AS ?spans) WHERE {{ ?ev oa:hasSource {sparql_iri(iri)} }} }}
    }}""")
    return int(rows[0]["facts"].value), int(rows[0]["spans"].value)


# --- named graphs ----------------------------------------------------------------------------------


@dataclass
class GraphSummary:
    iri: str
    origin: Origin
    triples: int
    subjects: int
    classes: list[tuple[Term, int]]
    labels: dict[str, str]


def is_named_graph(iri: str) -> bool:
    return iri in service().store.graphs()


def graph_summary(iri: str) -> GraphSummary | None:
    """Counts of a named graph of the store (None if the store has no such graph)."""
    if not is_named_graph(iri):
        return None
    ref = sparql_iri(iri)
    counts = _query(f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) WHERE {{ GRAPH {ref} {{ ?s ?p ?o }} }}")
    classes = _query(f"""SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {ref} {{ ?s a ?c }} }}
        GROUP BY ?c ORDER BY DESC(?n) ?c""")
    pairs = [(row["c"], int(row["n"].value)) for row in classes]
    return GraphSummary(iri, origin_of(iri), int(counts[0]["n"].value), int(counts[0]["subjects"].value), pairs,
                        labels_for(t.value for t, _ in pairs))


# --- RDF forms -------------------------------------------------------------------------------------


def description_quads(iri: str) -> list[ox.Quad]:
    """The quads of the resource's RDF forms: its statements as subject in every graph, and those of
    its evidence nodes and their selectors (and of its own selectors, for an evidence node). No blank nodes."""
    ref = sparql_iri(iri)
    result = service().store.query(sparql_prologue() + f"""SELECT ?s ?p ?o ?g WHERE {{
        {{ BIND({ref} AS ?s) }}
        UNION {{ {ref} pk:evidence ?s }}
        UNION {{ {ref} oa:hasSelector ?s }}
        UNION {{ {ref} pk:evidence ?ev . ?ev oa:hasSelector ?s }}
        GRAPH ?g {{ ?s ?p ?o }}
    }}""")
    return _quads(result)


def graph_quads(iri: str) -> list[ox.Quad]:
    """Every quad of the named graph ``iri``."""
    ref = sparql_iri(iri)
    result = service().store.query(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ {ref} }} }}")
    return _quads(result)


def _quads(solutions) -> list[ox.Quad]:
    quads = []
    for row in solutions:
        s, p, o, g = row["s"], row["p"], row["o"], row["g"]
        if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
            continue
        quads.append(ox.Quad(s, p, o, g))
    return quads


RDF_SERIALIZERS = GRAPH_RDF_FORMATS  # the endpoint's graph formats, one table for both
QUAD_FORMATS = ("trig", "nquads")


def serialize_quads(quads: list[ox.Quad], fmt: str) -> bytes:
    """The quads in format ``fmt``: with their graph names for TriG and N-Quads, else as
    de-duplicated triples; sorted, so the same data always gives the same bytes."""
    if fmt in QUAD_FORMATS:
        items = sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    else:
        items = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads},
                       key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    prefixes = SHOWN_PREFIXES if fmt in ("turtle", "trig", "rdfxml") else None
    return ox.serialize(items, format=RDF_SERIALIZERS[fmt], prefixes=prefixes) or b""



# --- sources and their texts -----------------------------------------------------------------------


SOURCE_FIELDS = {
    RDFS_LABEL: "label", PK + "fileName": "file", PK + "sha256": "sha256", PK + "publisher": "publisher",
    PK + "publishedOn": "published", "http://purl.org/dc/terms/source": "url", PK + "reports": "reports",
}


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def readable_date(t: Term) -> str:
    """A date literal as a reader says it, keeping its precision: ``--02-08`` (xsd:gMonthDay) →
    ``8 February (year not stated)``, ``2014-11`` → ``November 2014``; other values as they are.
    In Chinese: 2019年4月15日, 2014年11月, 2月8日（年份未说明）."""
    if current_lang() == "zh":
        return show_date(t.value)
    m = re.fullmatch(r"--(\d\d)-(\d\d)", t.value) if t.datatype == XSD + "gMonthDay" else None
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(2))} {MONTHS[int(m.group(1)) - 1]} (year not stated)"
    m = re.fullmatch(r"(\d{4})-(\d\d)", t.value) if t.datatype == XSD + "gYearMonth" else None
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}"
    return t.value


@dataclass
class SourceRecord:
    """What the graph says about one source document (``doc`` is its name in ``/source/DOC``)."""

    iri: str
    fields: dict[str, list[Term]]
    labels: dict[str, str]
    spans: int = 0
    facts: int = 0

    @property
    def doc(self) -> str:
        return self.iri[len(SOURCE_PREFIX):]

    def first(self, name: str) -> Term | None:
        values = self.fields.get(name) or []
        return values[0] if values else None

    @property
    def label(self) -> str:
        labels = self.fields.get("label") or []
        english = [t for t in labels if t.lang in (None, "en")]
        return (english or labels)[0].value if labels else self.doc

    @property
    def published(self) -> list[str]:
        return [readable_date(t) for t in self.fields.get("published", [])]

    @property
    def file_name(self) -> str | None:
        t = self.first("file")
        return t.value if t else None

    @property
    def sha256(self) -> str | None:
        t = self.first("sha256")
        return t.value if t else None


def _source_records(where: str) -> dict[str, SourceRecord]:
    fields = " ".join(sparql_iri(p) for p in SOURCE_FIELDS)
    rows = _query(f"""SELECT DISTINCT ?src ?p ?o WHERE {{ {where} VALUES ?p {{ {fields} }} ?src ?p ?o
        FILTER(STRSTARTS(STR(?src), {sparql_string(SOURCE_PREFIX)})) }}""")
    records: dict[str, SourceRecord] = {}
    for row in rows:
        record = records.setdefault(row["src"].value, SourceRecord(row["src"].value, defaultdict(list), {}))
        bucket = record.fields[SOURCE_FIELDS[row["p"].value]]
        if row["o"] not in bucket:
            bucket.append(row["o"])
    return records


def source_record(iri: str) -> SourceRecord | None:
    """The source ``iri`` (None if the graph neither describes it nor quotes it)."""
    ref = sparql_iri(iri)
    records = _source_records(f"VALUES ?src {{ {ref} }}")
    record = records.get(iri)
    if record is None:
        if not select(f"SELECT ?ev WHERE {{ ?ev <{OA}hasSource> {ref} }} LIMIT 1"):
            return None
        record = SourceRecord(iri, defaultdict(list), {})
    record.labels = labels_for(t.value for values in record.fields.values() for t in values if t.is_iri)
    return record


def source_records() -> list[SourceRecord]:
    """Every source of ours (typed pk:SourceDocument or quoted by evidence), with its counts."""
    records = _source_records(f"{{ ?src a <{PK}SourceDocument> }} UNION {{ ?ev <{OA}hasSource> ?src }}")
    spans = _query("SELECT ?src (COUNT(DISTINCT ?ev) AS ?n) WHERE { ?ev oa:hasSource ?src } GROUP BY ?src")
    for row in spans:
        src = row["src"].value
        if src.startswith(SOURCE_PREFIX):
            records.setdefault(src, SourceRecord(src, defaultdict(list), {})).spans = int(row["n"].value)
    if records:
        graphs = " ".join(sparql_iri(GRAPH_PREFIX + "source/" + r.doc) for r in records.values())
        facts = _query(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g")
        by_graph = {row["g"].value: int(row["n"].value) for row in facts}
        for record in records.values():
            record.facts = by_graph.get(GRAPH_PREFIX + "source/" + record.doc, 0)
    labels = labels_for(t.value for r in records.values() for values in r.fields.values() for t in values if t.is_iri)
    for record in records.values():
        record.labels = labels
    return sorted(records.values(), key=lambda r: natural_key(r.doc))


@dataclass
class Span:
    """One evidence node quoting a source: its offsets, quote and the resources it supports."""

    iri: str
    start: int | None
    end: int | None
    exact: str | None
    supports: list[Term] = field(default_factory=list)

    @property
    def href(self) -> str | None:
        return local_path(self.iri)


def source_spans(iri: str) -> tuple[list[Span], dict[str, str]]:
    """The evidence nodes quoting the source ``iri``, by position, and the labels of what they support."""
    rows = _query(f"""SELECT ?ev ?start ?end ?exact ?res WHERE {{
        ?ev oa:hasSource {sparql_iri(iri)} .
        OPTIONAL {{ ?ev oa:hasSelector ?pos . ?pos oa:start ?start ; oa:end ?end }}
        OPTIONAL {{ ?ev oa:hasSelector ?q . ?q oa:exact ?exact }}
        OPTIONAL {{ ?res pk:evidence ?ev }}
    }}""")
    spans: dict[str, Span] = {}
    for row in rows:
        span = spans.setdefault(row["ev"].value, Span(row["ev"].value, int_or_none(row["start"]), int_or_none(row["end"]),
                                                      row["exact"].value if row["exact"] else None))
        if row["res"] is not None and row["res"] not in span.supports:
            span.supports.append(row["res"])
    labels = labels_for(t.value for s in spans.values() for t in s.supports)
    for span in spans.values():
        span.supports.sort(key=lambda t: natural_key(labels.get(t.value, t.value)))
    ordered = sorted(spans.values(), key=lambda s: (s.start if s.start is not None else -1, -(s.end or 0), s.iri))
    return ordered, labels
