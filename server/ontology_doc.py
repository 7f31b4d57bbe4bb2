"""The ontology and the shapes as documentation.

rdflib reads ``ontology/pilotkg.ttl`` and ``shapes/pilotkg-shapes.ttl`` into
plain objects that the templates of ``/ontology`` and ``/shapes`` render: every
term with its labels, comment, domain, range, hierarchy and alignment; every
shape with its targets and constraints. Each file is read once and again only
when it changes (its modification time and size key the cache). Terms keep the
order of the file, which groups them by topic under banner comments
(``# ===`` / ``# Topic`` / ``# ===``), so the page reads in the same order.

Also here: the files themselves in other RDF formats (Turtle is served as is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from pilotkg.graph.namespaces import PREFIXES, SH
from pilotkg.graph.resources import ontology_path, shapes_path

from .site import local_path

VANN = "http://purl.org/vocab/vann/"
SHAPES_NS = "https://w3id.org/pilotkg/shapes#"

# Namespaces for compact names, besides those the file declares.
KNOWN_PREFIXES: dict[str, str] = {
    **{prefix: str(ns) for prefix, ns in PREFIXES.items()},
    "pkshape": SHAPES_NS,
    "sh": str(SH),
    "vann": VANN,
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}

_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_MENTION = re.compile(r"(?<![\w/#:.-])([a-z][a-z0-9]*):([A-Za-z_](?:[\w-]*\w)?)(?![/\w-])")


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class Ref:
    """A link to an RDF term in a page: ``text`` is its compact name, ``href`` where it is
    documented (a page of this site for ours, the IRI itself for other vocabularies)."""

    iri: str
    text: str
    href: str | None
    external: bool = False
    title: str = ""


@dataclass(frozen=True)
class Text:
    """A literal as shown: its text and language tag (or datatype, compacted)."""

    value: str
    lang: str | None = None
    datatype: str | None = None


class TermNames:
    """Compact names and links for the IRIs of one file."""

    def __init__(self, graph: Graph, *more: Graph):
        declared = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
        self.prefixes = {**KNOWN_PREFIXES, **declared}
        self.labels: dict[str, str] = {}
        for source in (*more, graph):
            for s, o in source.subject_objects(RDFS.label):
                if isinstance(s, URIRef) and isinstance(o, Literal) and (o.language in (None, "en") or str(s) not in self.labels):
                    self.labels[str(s)] = str(o)

    def compact(self, iri: str) -> str:
        best: tuple[str, str] | None = None
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(iri) > len(ns) and (best is None or len(ns) > len(best[1])):
                best = (prefix, ns)
        if best is None or not _LOCAL_NAME.match(iri[len(best[1]):]):
            return iri
        return f"{best[0]}:{iri[len(best[1]):]}"

    def prose(self, text: str, known: set[str]) -> list:
        """``text`` as tokens, with the compact names it mentions (``pk:PilotZone``) as Refs.
        A name in one of our namespaces becomes a link only if ``known`` holds its IRI."""
        out: list = []
        last = 0
        for m in _MENTION.finditer(text or ""):
            ns = self.prefixes.get(m.group(1))
            if ns is None:
                continue
            iri = ns + m.group(2)
            if local_path(iri) is not None and iri not in known:
                continue
            out += [text[last:m.start()], self.ref(URIRef(iri))]
            last = m.end()
        out.append((text or "")[last:])
        return [t for t in out if t != ""]

    def ref(self, node) -> Ref:
        iri = str(node)
        if isinstance(node, BNode):
            return Ref(iri, "(an anonymous node)", None)
        href = local_path(iri)
        label = self.labels.get(iri, "")
        if href is not None:
            return Ref(iri, self.compact(iri), href, False, label or iri)
        return Ref(iri, self.compact(iri), iri, True, iri)


def _sorted_refs(refs) -> list[Ref]:
    return sorted(set(refs), key=lambda r: r.text.lower())


def _texts(graph: Graph, subject, predicate) -> list[Text]:
    """The literal values, English first, then Chinese, then the rest by tag."""
    order = {"en": 0, "zh": 1}
    out = []
    for o in graph.objects(subject, predicate):
        if isinstance(o, Literal):
            dt = str(o.datatype) if o.datatype is not None else None
            out.append(Text(str(o), o.language, dt))
    return sorted(out, key=lambda t: (order.get((t.lang or "").split("-")[0], 2 if t.lang else 3), t.lang or "", t.value))


def _english(graph: Graph, subject, predicate) -> str:
    """One value of ``predicate``: the English one, else an untagged one, else any."""
    texts = _texts(graph, subject, predicate)
    for want in ("en", None):
        for t in texts:
            if (t.lang or "").split("-")[0] == (want or "") or (want is None and t.lang is None):
                return t.value
    return texts[0].value if texts else ""


def _local(iri: str) -> str:
    """The anchor of a term: the part after ``#`` or the last ``/``."""
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def _file_order(path: Path, names: TermNames) -> tuple[dict[str, int], dict[str, str]]:
    """The position of each subject in the file and the topic banner it sits under.

    A subject is a line that holds only a prefixed name or an ``<IRI>`` (the style of
    both files); a topic is the comment between two banner lines (``# ===`` or ``# ---``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    positions: dict[str, int] = {}
    topics: dict[str, str] = {}
    topic = ""
    subject_line = re.compile(r"^(<[^>\s]+>|[A-Za-z][\w-]*:[\w.-]*)\s*$")
    banner = re.compile(r"^#\s*(={5,}|-{5,})\s*$")
    closing = -1
    for i, line in enumerate(lines):
        if banner.match(line) and i > closing:
            end = i + 1
            while end < len(lines) and lines[end].startswith("#") and not banner.match(lines[end]):
                end += 1
            if end < len(lines) and banner.match(lines[end]) and end > i + 1:
                topic = " ".join(x.lstrip("#").strip() for x in lines[i + 1:end])
                closing = end
            continue
        m = subject_line.match(line)
        if not m:
            continue
        token = m.group(1)
        if token.startswith("<"):
            iri = token[1:-1]
        else:
            prefix, local = token.split(":", 1)
            ns = names.prefixes.get(prefix)
            if ns is None:
                continue
            iri = ns + local
        positions.setdefault(iri, i)
        topics.setdefault(iri, topic)
    return positions, topics


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


# --------------------------------------------------------------------------- the ontology


@dataclass
class Header:
    iri: str
    title: str
    label: str
    description: str
    version: str
    version_iri: str
    license: Ref | None
    creators: list[str]
    created: str
    modified: str
    namespace: str
    prefix: str
    imports: list[Ref]


@dataclass
class Term:
    """A class, property or other term of the ontology."""

    iri: str
    anchor: str
    kind: str  # class | object | datatype | annotation | property | other
    name: str  # the compact name, pk:PilotZone
    labels: list[Text]
    comment: str
    topic: str
    position: int
    types: list[Ref] = field(default_factory=list)
    # classes
    superclasses: list[Ref] = field(default_factory=list)
    subclasses: list[Ref] = field(default_factory=list)
    equivalent: list[Ref] = field(default_factory=list)
    disjoint: list[Ref] = field(default_factory=list)
    domain_of: list[Ref] = field(default_factory=list)
    range_of: list[Ref] = field(default_factory=list)
    # properties
    domain: list[Ref] = field(default_factory=list)
    range: list[Ref] = field(default_factory=list)
    super_properties: list[Ref] = field(default_factory=list)
    sub_properties: list[Ref] = field(default_factory=list)
    inverse: list[Ref] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    # both: links to other vocabularies, as (relation, term)
    alignment: list[tuple[Ref, Ref]] = field(default_factory=list)
    defined_by: Ref | None = None
    other: list[tuple[Ref, list]] = field(default_factory=list)  # statements not shown above

    @property
    def label(self) -> str:
        for t in self.labels:
            if t.lang in (None, "en"):
                return t.value
        return self.labels[0].value if self.labels else self.name


@dataclass
class Concept:
    iri: str
    anchor: str
    name: str  # compact: theme:land
    href: str | None
    notation: str
    labels: list[Text]
    alt_labels: list[Text]
    definition: str
    broader: list[Ref]
    narrower: list[Ref]
    top: bool
    position: int

    @property
    def label(self) -> str:
        for t in self.labels:
            if t.lang in (None, "en"):
                return t.value
        return self.labels[0].value if self.labels else _local(self.iri)


@dataclass
class Scheme:
    iri: str
    anchor: str
    name: str
    label: str
    comment: str
    definition: str
    used_by: list[Ref]  # properties whose values are its concepts (from the definition and comments)
    used_by_said: bool  # the scheme's definition or comment names them already
    concepts: list[Concept]
    topic: str
    position: int


@dataclass
class Topic:
    title: str
    terms: list[Term]


@dataclass
class OntologyDoc:
    header: Header
    classes: list[Term]
    object_properties: list[Term]
    datatype_properties: list[Term]
    other_properties: list[Term]
    schemes: list[Scheme]
    others: list[Term]
    class_tree: list  # [(Ref, [children…])]
    prefixes: list[tuple[str, str]]
    triples: int
    names: TermNames = field(repr=False, compare=False, default=None)
    known: set = field(repr=False, compare=False, default_factory=set)

    def prose(self, text: str) -> list:
        """Text with the terms it names as links (see :meth:`TermNames.prose`)."""
        return self.names.prose(text, self.known)

    def by_topic(self, terms: list[Term]) -> list[Topic]:
        out: list[Topic] = []
        for t in terms:
            if not out or out[-1].title != t.topic:
                out.append(Topic(t.topic, []))
            out[-1].terms.append(t)
        return out

    @property
    def all_terms(self) -> list[Term]:
        return self.classes + self.object_properties + self.datatype_properties + self.other_properties + self.others


CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
    OWL.ReflexiveProperty: "reflexive",
    OWL.IrreflexiveProperty: "irreflexive",
}
PROPERTY_TYPES = {OWL.ObjectProperty: "object", OWL.DatatypeProperty: "datatype", OWL.AnnotationProperty: "annotation",
                  RDF.Property: "property", **{k: "object" for k in CHARACTERISTICS}}
ALIGNMENT_PREDICATES = (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty,
                        SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch,
                        OWL.sameAs, RDFS.seeAlso)
# What the term sections show by themselves; anything else a term states is listed under "also states".
SHOWN_PREDICATES = {RDF.type, RDFS.label, RDFS.comment, RDFS.isDefinedBy, RDFS.domain, RDFS.range, OWL.inverseOf,
                    OWL.disjointWith, *ALIGNMENT_PREDICATES}


def ontology_doc() -> OntologyDoc:
    """The documentation model of ``ontology/pilotkg.ttl`` (re-read when the file changes)."""
    return _ontology_doc(_file_key(ontology_path()))


def ontology_graph() -> Graph:
    return _graph(_file_key(ontology_path()))


@lru_cache(maxsize=4)
def _graph(key: tuple[str, int, int]) -> Graph:
    return Graph(bind_namespaces="none").parse(key[0], format="turtle")


@lru_cache(maxsize=2)
def _ontology_doc(key: tuple[str, int, int]) -> OntologyDoc:
    g = _graph(key)
    names = TermNames(g)
    positions, topics = _file_order(Path(key[0]), names)
    ns = _namespace(g)

    def is_ours(node) -> bool:
        return isinstance(node, URIRef) and str(node).startswith(ns)

    header = _header(g, names, ns)

    # classes and properties: what the file types as such (its own and, if any, others it describes)
    class_nodes = {s for s in g.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)}
    class_nodes |= {s for s in g.subjects(RDF.type, RDFS.Class) if isinstance(s, URIRef)}
    property_kinds: dict[URIRef, str] = {}
    for s in {s for t in PROPERTY_TYPES for s in g.subjects(RDF.type, t) if isinstance(s, URIRef)}:
        types = set(g.objects(s, RDF.type))
        property_kinds[s] = ("datatype" if OWL.DatatypeProperty in types else
                             "object" if OWL.ObjectProperty in types or types & set(CHARACTERISTICS) else
                             "annotation" if OWL.AnnotationProperty in types else "property")
    scheme_nodes = {s for s in g.subjects(RDF.type, SKOS.ConceptScheme) if isinstance(s, URIRef)}
    concept_nodes = {s for s in g.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}
    concept_nodes |= {s for s in g.subjects(SKOS.inScheme, None) if isinstance(s, URIRef)}
    ontology_nodes = {s for s in g.subjects(RDF.type, OWL.Ontology)}

    def term(node: URIRef, kind: str) -> Term:
        iri = str(node)
        t = Term(
            iri=iri, anchor=_local(iri), kind=kind, name=names.compact(iri), labels=_texts(g, node, RDFS.label),
            comment=_english(g, node, RDFS.comment), topic=topics.get(iri, ""), position=positions.get(iri, 10**9),
            types=_sorted_refs(names.ref(o) for o in g.objects(node, RDF.type) if o not in (OWL.Class, RDFS.Class)
                               and o not in PROPERTY_TYPES),
            defined_by=next((names.ref(o) for o in g.objects(node, RDFS.isDefinedBy)), None),
        )
        for p, o in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
            if p in ALIGNMENT_PREDICATES and not is_ours(o) and not isinstance(o, BNode):
                t.alignment.append((names.ref(p), names.ref(o)))
        extra: dict[URIRef, list] = {}
        for p, o in g.predicate_objects(node):
            if p not in SHOWN_PREDICATES:
                extra.setdefault(p, []).append(names.ref(o) if not isinstance(o, Literal) else
                                               Text(str(o), o.language, str(o.datatype) if o.datatype else None))
        t.other = [(names.ref(p), sorted(v, key=lambda x: getattr(x, "text", None) or getattr(x, "value", "")))
                   for p, v in sorted(extra.items(), key=lambda kv: str(kv[0]))]
        return t

    classes = {c: term(c, "class") for c in class_nodes}
    for c, t in classes.items():
        t.superclasses = _sorted_refs(names.ref(o) for o in g.objects(c, RDFS.subClassOf) if is_ours(o))
        t.subclasses = _sorted_refs(names.ref(s) for s in g.subjects(RDFS.subClassOf, c) if isinstance(s, URIRef))
        t.equivalent = _sorted_refs(names.ref(o) for o in g.objects(c, OWL.equivalentClass) if is_ours(o))
        t.equivalent += [r for r in _sorted_refs(names.ref(s) for s in g.subjects(OWL.equivalentClass, c)
                                                 if isinstance(s, URIRef)) if r not in t.equivalent]
        disjoint = {names.ref(o) for o in g.objects(c, OWL.disjointWith) if isinstance(o, URIRef)}
        disjoint |= {names.ref(s) for s in g.subjects(OWL.disjointWith, c) if isinstance(s, URIRef)}
        t.disjoint = _sorted_refs(disjoint)
        t.domain_of = _sorted_refs(names.ref(p) for p in g.subjects(RDFS.domain, c) if isinstance(p, URIRef))
        t.range_of = _sorted_refs(names.ref(p) for p in g.subjects(RDFS.range, c) if isinstance(p, URIRef))

    properties = {p: term(p, kind) for p, kind in property_kinds.items() if p not in class_nodes}
    for p, t in properties.items():
        t.domain = _sorted_refs(names.ref(o) for o in g.objects(p, RDFS.domain))
        t.range = _sorted_refs(names.ref(o) for o in g.objects(p, RDFS.range))
        t.super_properties = _sorted_refs(names.ref(o) for o in g.objects(p, RDFS.subPropertyOf) if is_ours(o))
        t.sub_properties = _sorted_refs(names.ref(s) for s in g.subjects(RDFS.subPropertyOf, p) if isinstance(s, URIRef))
        t.equivalent = _sorted_refs(
            [names.ref(o) for o in g.objects(p, OWL.equivalentProperty) if is_ours(o)]
            + [names.ref(s) for s in g.subjects(OWL.equivalentProperty, p) if isinstance(s, URIRef)])
        t.inverse = _sorted_refs([names.ref(o) for o in g.objects(p, OWL.inverseOf) if isinstance(o, URIRef)]
                                 + [names.ref(s) for s in g.subjects(OWL.inverseOf, p) if isinstance(s, URIRef)])
        t.characteristics = sorted(label for rdf_type, label in CHARACTERISTICS.items() if (p, RDF.type, rdf_type) in g)

    schemes = [_scheme(g, names, s, positions, topics, properties) for s in scheme_nodes]
    in_schemes = {c.iri for s in schemes for c in s.concepts}

    covered = set(classes) | set(properties) | scheme_nodes | ontology_nodes | {URIRef(i) for i in in_schemes}
    others = [term(s, "other") for s in {s for s in g.subjects() if is_ours(s)} - covered]
    others += [term(s, "other") for s in concept_nodes if str(s) not in in_schemes and s not in covered]

    def in_file_order(terms):
        return sorted(terms, key=lambda t: (t.position, t.name.lower()))

    prop_list = in_file_order(properties.values())
    return OntologyDoc(
        header=header,
        classes=in_file_order(classes.values()),
        object_properties=[t for t in prop_list if t.kind == "object"],
        datatype_properties=[t for t in prop_list if t.kind == "datatype"],
        other_properties=[t for t in prop_list if t.kind not in ("object", "datatype")],
        schemes=sorted(schemes, key=lambda s: (s.position, s.name)),
        others=in_file_order(others),
        class_tree=_class_tree(classes, names),
        prefixes=sorted((p, n) for p, n in g.namespaces() if p),
        triples=len(g),
        names=names,
        known={str(s) for s in g.subjects() if isinstance(s, URIRef)},
    )


def _namespace(g: Graph) -> str:
    """The ontology's namespace: vann:preferredNamespaceUri of its header, else pk:."""
    for o in g.objects(None, URIRef(VANN + "preferredNamespaceUri")):
        return str(o)
    return str(PREFIXES["pk"])


def _header(g: Graph, names: TermNames, ns: str) -> Header:
    node = next(iter(g.subjects(RDF.type, OWL.Ontology)), None)
    if node is None:
        return Header("", "", "", "", "", "", None, [], "", "", ns, "", [])
    license = next(iter(g.objects(node, DCTERMS.license)), None)
    return Header(
        iri=str(node),
        title=_english(g, node, DCTERMS.title) or _english(g, node, RDFS.label),
        label=_english(g, node, RDFS.label),
        description=_english(g, node, DCTERMS.description) or _english(g, node, RDFS.comment),
        version=_english(g, node, OWL.versionInfo),
        version_iri=str(next(iter(g.objects(node, OWL.versionIRI)), "")),
        license=names.ref(license) if isinstance(license, URIRef) else None,
        creators=sorted(str(o) for o in g.objects(node, DCTERMS.creator)),
        created=_english(g, node, DCTERMS.created),
        modified=_english(g, node, DCTERMS.modified),
        namespace=_english(g, node, URIRef(VANN + "preferredNamespaceUri")) or ns,
        prefix=_english(g, node, URIRef(VANN + "preferredNamespacePrefix")),
        imports=_sorted_refs(names.ref(o) for o in g.objects(node, OWL.imports)),
    )


def _scheme(g: Graph, names: TermNames, node: URIRef, positions, topics, properties) -> Scheme:
    members = {c for c in g.subjects(SKOS.inScheme, node) if isinstance(c, URIRef)}
    members |= {c for c in g.subjects(SKOS.topConceptOf, node) if isinstance(c, URIRef)}
    members |= {c for c in g.objects(node, SKOS.hasTopConcept) if isinstance(c, URIRef)}
    tops = {c for c in g.objects(node, SKOS.hasTopConcept)} | {c for c in g.subjects(SKOS.topConceptOf, node)}
    concepts = []
    for c in members:
        iri = str(c)
        path = local_path(iri)
        concepts.append(Concept(
            iri=iri,
            anchor=(path or iri).strip("/").replace("/", "-").replace("#", "-"),
            name=names.compact(iri),
            href=path,
            notation=_english(g, c, SKOS.notation),
            labels=_texts(g, c, SKOS.prefLabel) or _texts(g, c, RDFS.label),
            alt_labels=_texts(g, c, SKOS.altLabel),
            definition=_english(g, c, SKOS.definition),
            broader=_sorted_refs(names.ref(o) for o in g.objects(c, SKOS.broader)),
            narrower=_sorted_refs(names.ref(o) for o in g.objects(c, SKOS.narrower)),
            top=c in tops,
            position=positions.get(iri, 10**9),
        ))
    iri = str(node)
    used_by = [names.ref(p) for p in properties if _mentions(_english(g, node, SKOS.definition), names.compact(str(p)))
               or _mentions(_english(g, p, RDFS.comment), names.compact(iri))]
    own_words = _english(g, node, SKOS.definition) + " " + _english(g, node, RDFS.comment)
    said = all(_mentions(own_words, r.text) for r in used_by)
    return Scheme(
        iri=iri, anchor=_local(iri), name=names.compact(iri),
        label=_english(g, node, SKOS.prefLabel) or _english(g, node, RDFS.label) or names.compact(iri),
        comment=_english(g, node, RDFS.comment), definition=_english(g, node, SKOS.definition),
        used_by=_sorted_refs(used_by),
        used_by_said=said,
        concepts=sorted(concepts, key=lambda c: (c.position, c.iri)),
        topic=topics.get(iri, ""), position=positions.get(iri, 10**9),
    )


def _mentions(text: str, name: str) -> bool:
    """Whether prose names a term (``pk:theme`` in "values for pk:theme.", not in "pk:themes")."""
    return bool(text) and re.search(r"(?<![\w:])" + re.escape(name) + r"(?![\w-])", text) is not None


def _class_tree(classes: dict, names: TermNames) -> list:
    """The subclass tree of the ontology's classes: [(Ref, children)], roots first in file order."""
    order = {c: t.position for c, t in classes.items()}
    children: dict = {c: [] for c in classes}
    roots = []
    for c, t in classes.items():
        parents = [URIRef(r.iri) for r in t.superclasses if URIRef(r.iri) in classes]
        for p in parents:
            children[p].append(c)
        if not parents:
            roots.append(c)

    def node(c, seen):
        kids = [] if c in seen else [node(k, seen | {c}) for k in sorted(children[c], key=lambda k: (order[k], str(k)))]
        return names.ref(c), kids

    return [node(c, frozenset()) for c in sorted(roots, key=lambda k: (order[k], str(k)))]


# --------------------------------------------------------------------------- the shapes


@dataclass
class Constraint:
    """One constraint of a shape: its SHACL parameter, a reading in words, and its values."""

    parameter: Ref
    reading: str
    values: list  # Ref | Text


@dataclass
class PropertyShape:
    iri: str
    anchor: str
    path: list  # tokens: Ref or str (a SHACL path written as a SPARQL property path)
    name: str
    description: str
    order: float | None
    severity: str
    message: str
    constraints: list[Constraint]
    deactivated: bool

    @property
    def order_text(self) -> str:
        if self.order is None:
            return ""
        return str(int(self.order)) if self.order == int(self.order) else str(self.order)


@dataclass
class NodeShape:
    iri: str
    anchor: str
    name: str
    label: str
    description: str
    targets: list[tuple[str, Ref]]
    severity: str  # declared on the node shape ("" if not)
    severities: dict[str, int]  # how many of its property shapes have each severity
    constraints: list[Constraint]  # on the node itself (sh:class, sh:sparql, …)
    properties: list[PropertyShape]
    used_by: list[Ref]  # property shapes that apply it with sh:node / sh:qualifiedValueShape
    deactivated: bool
    topic: str
    position: int


@dataclass
class SparqlConstraint:
    iri: str
    anchor: str
    name: str
    label: str
    comment: str
    message: str
    select: str
    used_by: list[Ref]


@dataclass
class ShapesDoc:
    iri: str
    title: str
    description: str
    license: Ref | None
    node_shapes: list[NodeShape]
    sparql_constraints: list[SparqlConstraint]
    property_shape_count: int
    triples: int
    names: TermNames = field(repr=False, compare=False, default=None)
    known: set = field(repr=False, compare=False, default_factory=set)

    def prose(self, text: str) -> list:
        """Text with the terms and shapes it names as links (see :meth:`TermNames.prose`)."""
        return self.names.prose(text, self.known)


# The parameters of SHACL Core and SHACL-SPARQL, read aloud.
READINGS = {
    "minCount": "at least (values)", "maxCount": "at most (values)", "datatype": "datatype", "class": "instance of",
    "nodeKind": "node kind", "pattern": "matches the pattern", "flags": "pattern flags", "in": "one of",
    "hasValue": "has the value", "minInclusive": "at least (≥)", "maxInclusive": "at most (≤)",
    "minExclusive": "more than (>)", "maxExclusive": "less than (<)", "minLength": "at least (characters)",
    "maxLength": "at most (characters)", "languageIn": "language among", "uniqueLang": "one value per language",
    "equals": "equals the values of", "disjoint": "shares no value with", "lessThan": "less than the value of",
    "lessThanOrEquals": "at most the value of", "node": "each value conforms to", "not": "does not conform to",
    "and": "conforms to all of", "or": "conforms to one or more of", "xone": "conforms to exactly one of",
    "qualifiedValueShape": "counting the values that conform to", "qualifiedMinCount": "at least (such values)",
    "qualifiedMaxCount": "at most (such values)", "qualifiedValueShapesDisjoint": "qualified shapes disjoint",
    "closed": "closed (no other properties)", "ignoredProperties": "ignoring the properties",
    "sparql": "SPARQL constraint", "property": "property shape",
}
SHAPE_METADATA = {RDF.type, RDFS.label, RDFS.comment, SH.path, SH.name, SH.description, SH.order, SH.severity,
                  SH.message, SH.deactivated, SH.group, SH.defaultValue, SH.property, SH.targetClass, SH.targetNode,
                  SH.targetSubjectsOf, SH.targetObjectsOf, SH.target}
SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}
TARGETS = ((SH.targetClass, "class"), (SH.targetNode, "node"), (SH.targetSubjectsOf, "subjects of"),
           (SH.targetObjectsOf, "objects of"))


def shapes_doc() -> ShapesDoc:
    """The documentation model of ``shapes/pilotkg-shapes.ttl`` (re-read when the file changes)."""
    return _shapes_doc(_file_key(shapes_path()))


def shapes_graph() -> Graph:
    return _graph(_file_key(shapes_path()))


def _severity(g: Graph, node) -> str:
    sev = g.value(node, SH.severity)
    return _local(str(sev)) if sev is not None else ""


def _number(node) -> float | None:
    try:
        return float(node.toPython()) if isinstance(node, Literal) else None
    except (TypeError, ValueError):
        return None


def _values(g: Graph, names: TermNames, node) -> list:
    """A constraint's value(s) as shown: a term, a literal, or the members of an RDF list."""
    if isinstance(node, Literal):
        return [Text(str(node), node.language, str(node.datatype) if node.datatype else None)]
    if isinstance(node, BNode) and (node, RDF.first, None) in g:
        out = []
        for item in Collection(g, node):
            out += _values(g, names, item)
        return out
    return [names.ref(node)]


def _path(g: Graph, names: TermNames, node) -> list:
    """A SHACL path as SPARQL property-path tokens (Refs and operator strings)."""
    if isinstance(node, URIRef):
        return [names.ref(node)]
    if (node, RDF.first, None) in g:  # a sequence
        out: list = []
        for i, step in enumerate(Collection(g, node)):
            out += (["/"] if i else []) + _path(g, names, step)
        return out
    for predicate, op in ((SH.inversePath, "^"), (SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = g.value(node, predicate)
        if inner is not None:
            return ["^"] + _path(g, names, inner) if op == "^" else ["("] + _path(g, names, inner) + [")" + op]
    alternatives = g.value(node, SH.alternativePath)
    if alternatives is not None:
        out = ["("]
        for i, step in enumerate(Collection(g, alternatives)):
            out += (["|"] if i else []) + _path(g, names, step)
        return out + [")"]
    return ["(a path this page cannot show)"]


def _constraints(g: Graph, names: TermNames, node) -> list[Constraint]:
    out = []
    for p in sorted({p for p in g.predicates(node, None) if p not in SHAPE_METADATA}, key=str):
        local = _local(str(p)) if str(p).startswith(str(SH)) else ""
        values = []
        for o in sorted(g.objects(node, p), key=str):
            values += _values(g, names, o)
        out.append(Constraint(names.ref(p), READINGS.get(local, names.compact(str(p))), values))
    return out


@lru_cache(maxsize=2)
def _shapes_doc(key: tuple[str, int, int]) -> ShapesDoc:
    g = _graph(key)
    names = TermNames(g, ontology_graph())
    positions, topics = _file_order(Path(key[0]), names)
    header = next(iter(g.subjects(RDF.type, OWL.Ontology)), None)

    property_shapes: dict = {}
    for node in set(g.subjects(RDF.type, SH.PropertyShape)) | set(g.objects(None, SH.property)):
        path = g.value(node, SH.path)
        property_shapes[node] = PropertyShape(
            iri=str(node), anchor=_local(str(node)) if isinstance(node, URIRef) else "",
            path=_path(g, names, path) if path is not None else ["(no sh:path)"],
            name=_english(g, node, SH.name), description=_english(g, node, SH.description),
            order=_number(g.value(node, SH.order)), severity=_severity(g, node) or "Violation",
            message=_english(g, node, SH.message), constraints=_constraints(g, names, node),
            deactivated=str(g.value(node, SH.deactivated) or "").lower() == "true",
        )

    applied_by: dict = {}
    for p in (SH.node, SH.qualifiedValueShape, SH["not"]):
        for s, o in g.subject_objects(p):
            applied_by.setdefault(o, set()).add(names.ref(s))

    node_shapes = []
    nodes = {s for s in g.subjects(RDF.type, SH.NodeShape)}
    nodes |= {s for p, _ in TARGETS for s in g.subjects(p, None) if s not in property_shapes}
    for node in nodes:
        props = [property_shapes[p] for p in g.objects(node, SH.property) if p in property_shapes]
        props.sort(key=lambda ps: (ps.order is None, ps.order or 0, ps.name, ps.iri))
        severities: dict[str, int] = {}
        for ps in sorted(props, key=lambda ps: (SEVERITY_RANK.get(ps.severity, 9), ps.severity)):
            severities[ps.severity] = severities.get(ps.severity, 0) + 1
        iri = str(node)
        node_shapes.append(NodeShape(
            iri=iri, anchor=_local(iri) if isinstance(node, URIRef) else "", name=names.compact(iri),
            label=_english(g, node, RDFS.label) or _english(g, node, SH.name),
            description=_english(g, node, SH.description) or _english(g, node, RDFS.comment),
            targets=[(kind, names.ref(o)) for p, kind in TARGETS for o in sorted(g.objects(node, p), key=str)],
            severity=_severity(g, node), severities=severities,
            constraints=_constraints(g, names, node), properties=props,
            used_by=_sorted_refs(applied_by.get(node, ())),
            deactivated=str(g.value(node, SH.deactivated) or "").lower() == "true",
            topic=topics.get(iri, ""), position=positions.get(iri, 10**9),
        ))
    node_shapes.sort(key=lambda n: (n.position, n.name))

    used: dict = {}
    for s, o in g.subject_objects(SH.sparql):
        used.setdefault(o, set()).add(names.ref(s))
    sparql = []
    for node in set(g.subjects(RDF.type, SH.SPARQLConstraint)) | set(g.objects(None, SH.sparql)):
        iri = str(node)
        sparql.append(SparqlConstraint(
            iri=iri, anchor=_local(iri) if isinstance(node, URIRef) else "", name=names.compact(iri),
            label=_english(g, node, RDFS.label), comment=_english(g, node, RDFS.comment),
            message=_english(g, node, SH.message), select=_dedent(str(g.value(node, SH.select) or "")),
            used_by=_sorted_refs(used.get(node, ())),
        ))
    sparql.sort(key=lambda c: (positions.get(c.iri, 10**9), c.name))

    license = g.value(header, DCTERMS.license) if header is not None else None
    return ShapesDoc(
        iri=str(header or ""),
        title=_english(g, header, DCTERMS.title) if header is not None else "",
        description=_english(g, header, DCTERMS.description) if header is not None else "",
        license=names.ref(license) if isinstance(license, URIRef) else None,
        node_shapes=node_shapes, sparql_constraints=sparql,
        property_shape_count=len(property_shapes), triples=len(g),
        names=names,
        known={str(s) for s in g.subjects() if isinstance(s, URIRef)}
        | {str(s) for s in ontology_graph().subjects() if isinstance(s, URIRef)},
    )


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines).rstrip()


# --------------------------------------------------------------------------- the files in other formats


RDF_FORMATS = {"ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def file_as(path: Path, fmt: str) -> bytes:
    """The file in ``fmt``: Turtle as it is on disk (byte for byte), other formats converted."""
    if fmt == "turtle":
        return path.read_bytes()
    return _converted(_file_key(path), fmt)


@lru_cache(maxsize=8)
def _converted(key: tuple[str, int, int], fmt: str) -> bytes:
    path = Path(key[0])
    triples = sorted(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE), key=str)
    prefixes = {p: str(n) for p, n in _graph(key).namespaces() if p} if fmt == "rdfxml" else None
    return ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=prefixes)
