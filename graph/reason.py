"""OWL RL closure (``reasonable`` by default, or owlrl), the materialised shortcuts, and the consistency check.

The closure runs over ontology + data only (no axiomatic triples), and what it
adds about instances (``pkr:`` subjects) goes to ``pkr:graph/inferred``; so do
the shortcuts ``pk:inProvince``, ``pk:responsibleBody``/``pk:responsibleFor``
(from every responsibility but one whose role is ``role:reports-to``: its subject
is the body reported to, which the reporting body is not responsible for),
``pk:reportsTo`` (from those) and ``pk:partOfTask``, which are computed before the closure so that their
inverses and super-properties are inferred too.

Two reasoners compute the closure, with the same pre-step (the shortcuts), the
same consistency check and the same post-filter, and give the same triples on
the seed data (``tests/test_reason.py`` checks it, triple for triple):

``reasonable`` (the default; Rust, ~0.2 s on the seed data where owlrl takes ~9 s)
    ``PyReasoner.reason()`` returns a list of rdflib triples holding *all*
    triples, the loaded ones and the inferred ones, not only the new ones, so
    "new" is worked out here against ontology + data. Its OWL 2 RL rules are
    built in, but it takes no separate schema: the ontology's axioms must be
    loaded into the same reasoner as the data (``from_graph`` appends). Its
    terms are rebuilt on the way out: a blank node comes back under a fresh
    label, and a literal is rebuilt from its lexical form, so a plain literal
    returns as ``xsd:string``, a non-canonical form in rdflib's canonical one
    (``"05"^^xsd:integer`` as ``"5"``) and a language tag in lower case; such a
    triple no longer matches its input triple and would pass for inferred. It
    does no datatype reasoning either (no literal typing, no check of lexical
    forms). So every literal and blank node goes in as a stand-in IRI and is
    mapped back afterwards: the output holds exactly the terms that went in.
    It also adds ``owl:Thing`` types (and ``owl:Thing``/``owl:Nothing a
    owl:Class``), which the post-filter drops as it drops owlrl's.
``owlrl`` (pure Python, the reference)
    ``DeductiveClosure.expand`` adds the closure to the graph in place. It types
    literals with their datatypes (literal subjects, dropped by the filter) and
    records an ill-typed literal as an error-message triple on a blank node,
    which :func:`check_consistency` does not read: with either reasoner, a bad
    lexical form is left to SHACL (``sh:datatype``). It swaps rdflib's literal
    converters process-wide; they are put back.

The closed graph (for reasonable: its input ∪ its output) goes to
:func:`check_consistency`; then only new triples about ``pkr:`` instances are
kept, with no blank nodes, no reflexive ``owl:sameAs``, no ``owl:Thing``/
``rdfs:Resource``/``owl:NamedIndividual`` types and no literal types.
"""

from __future__ import annotations

from dataclasses import dataclass

import datetime
import re
import typing
import uuid

import owlrl
import owlrl.DatatypeHandling
import reasonable
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .namespaces import PKR

SHORTCUTS = """
PREFIX pk: <https://w3id.org/pilotkg/ontology#>
CONSTRUCT {
  ?zone pk:inProvince ?province .
  ?subject pk:responsibleBody ?body . ?body pk:responsibleFor ?subject .
  ?reporter pk:reportsTo ?recipient .
  ?task pk:partOfTask ?ancestor .
}
WHERE {
  {
    ?zone a pk:PilotZone ; pk:coversDivision ?division .
    ?division pk:withinDivision* ?province .
    ?province a pk:ProvinceLevelDivision .
  } UNION {
    ?r a pk:Responsibility ; pk:subject ?subject ; pk:body ?body .
    FILTER NOT EXISTS { ?r pk:role <https://w3id.org/pilotkg/role/reports-to> }
  } UNION {
    ?r a pk:Responsibility ; pk:subject ?recipient ; pk:body ?reporter ;
       pk:role <https://w3id.org/pilotkg/role/reports-to> .
  } UNION {
    ?task a pk:ReformTask ; pk:taskOf+ ?ancestor .
    ?ancestor a pk:ReformTask .
  }
}
"""

_NOISE_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}


def _gmonthday(value: str) -> str:
    """Check an xsd:gMonthDay ("--02-08"); owlrl 7.6's own converter rejects every valid one."""
    m = re.fullmatch(r"--(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?", value)
    if not m:
        raise ValueError(f"invalid xsd:gMonthDay {value!r}")
    datetime.date(2000, int(m.group(1)), int(m.group(2)))  # 2000 is a leap year: --02-29 is valid
    return value


owlrl.DatatypeHandling.AltXSDToPYTHON[XSD.gMonthDay] = _gmonthday


class InconsistentGraph(ValueError):
    """The closure found a contradiction; the message lists each one."""


@dataclass
class Reasoned:
    inferred: Graph
    seconds_closure: float


def shortcuts(data: Graph) -> Graph:
    """The materialised shortcut triples of ``data`` (ontology + facts)."""
    out = Graph()
    for triple in data.query(SHORTCUTS):
        out.add(triple)
    return out


REASONERS = ("reasonable", "owlrl")
DEFAULT_REASONER = "reasonable"
Reasoner = typing.Literal["reasonable", "owlrl"]


def _closed_owlrl(work: Graph) -> Graph:
    """Ontology + data + shortcuts, closed in place by owlrl."""
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    finally:
        # owlrl swaps rdflib's literal converters for its own, process-wide; put rdflib's back.
        owlrl.DatatypeHandling.use_RDFLib_lexical_conversions()
    return work


def _closed_reasonable(work: Graph) -> Graph:
    """Ontology + data + shortcuts ∪ what reasonable infers from them.

    Literals and blank nodes go in as stand-in IRIs and come back as the very
    terms they stood for (reasonable rebuilds them otherwise; see the module
    docstring). The stand-ins share a fresh ``urn:uuid:`` prefix, so none can
    be an IRI of the input; none reaches the output.
    """
    prefix = f"urn:uuid:{uuid.uuid4()}#"
    stand_in: dict = {}
    original: dict[URIRef, object] = {}

    def encode(term):
        if isinstance(term, URIRef):
            return term
        iri = stand_in.get(term)
        if iri is None:
            iri = stand_in[term] = URIRef(f"{prefix}{len(stand_in)}")
            original[iri] = term
        return iri

    given = set(work)
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph([(encode(s), encode(p), encode(o)) for s, p, o in given])
    output = reasoner.reason()  # every triple, loaded and inferred
    # A PyReasoner may only be dropped on the thread that made it: drop it here, not
    # when a frame a profiler took (a Dask worker samples its threads) is freed elsewhere.
    del reasoner
    triples = given | {(original.get(s, s), original.get(p, p), original.get(o, o)) for s, p, o in output}
    closed = Graph()
    closed.addN((s, p, o, closed) for s, p, o in triples)
    return closed


def close(ontology: Graph, data: Graph, reasoner: Reasoner = DEFAULT_REASONER) -> Graph:
    """Return the triples about instances that OWL RL and the shortcuts add to ontology + data.

    ``reasoner`` is ``"reasonable"`` (the default) or ``"owlrl"``; both give the
    same triples (see the module docstring). Raises :class:`InconsistentGraph`.
    """
    if reasoner not in REASONERS:
        raise ValueError(f"unknown reasoner {reasoner!r}; known: {', '.join(REASONERS)}")
    work = Graph()
    for triple in ontology:
        work.add(triple)
    for triple in data:
        work.add(triple)
    for triple in shortcuts(work):
        work.add(triple)
    closed = _closed_reasonable(work) if reasoner == "reasonable" else _closed_owlrl(work)
    check_consistency(closed)
    inferred = Graph()
    for s, p, o in closed:
        if (s, p, o) in data or (s, p, o) in ontology:
            continue
        if not isinstance(s, URIRef) or not str(s).startswith(str(PKR)):
            continue
        if isinstance(o, BNode) or (p == OWL.sameAs and s == o):
            continue
        if p == RDF.type and o in _NOISE_TYPES:
            continue
        if isinstance(o, Literal) and p == RDF.type:
            continue
        inferred.add((s, p, o))
    return inferred


def check_consistency(closed: Graph) -> None:
    """Raise :class:`InconsistentGraph` on owl:Nothing members, individuals of
    disjoint classes, and owl:sameAs between distinct instances (pilotkg
    never asserts identity, so any inferred one means two things were merged)."""
    problems = []
    for s in closed.subjects(RDF.type, OWL.Nothing):
        problems.append(f"{s} is a member of owl:Nothing")
    for a, b in closed.subject_objects(OWL.disjointWith):
        for s in closed.subjects(RDF.type, a):
            if (s, RDF.type, b) in closed:
                problems.append(f"{s} is both a {a} and a {b}, which are disjoint")
    for s, o in closed.subject_objects(OWL.sameAs):
        if s != o and str(s).startswith(str(PKR)) and isinstance(o, URIRef):
            problems.append(f"{s} owl:sameAs {o}")
        if (s, OWL.differentFrom, o) in closed:
            problems.append(f"{s} is both owl:sameAs and owl:differentFrom {o}")
    if problems:
        raise InconsistentGraph("the OWL RL closure is inconsistent:\n  " + "\n  ".join(sorted(set(problems))))
