"""OWL RL closure with owlrl, the materialised shortcuts, and the consistency check.

The closure runs over ontology + data only (no axiomatic triples), and what it
adds about instances (``pkr:`` subjects) goes to ``pkr:graph/inferred``; so do
the shortcuts ``pk:inProvince``, ``pk:responsibleBody``/``pk:responsibleFor``
and ``pk:partOfTask``, which are computed before the closure so that their
inverses and super-properties are inferred too.
"""

from __future__ import annotations

from dataclasses import dataclass

import datetime
import re

import owlrl
import owlrl.DatatypeHandling
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .namespaces import PKR

SHORTCUTS = """
PREFIX pk: <https://w3id.org/pilotkg/ontology#>
CONSTRUCT {
  ?zone pk:inProvince ?province .
  ?subject pk:responsibleBody ?body . ?body pk:responsibleFor ?subject .
  ?task pk:partOfTask ?ancestor .
}
WHERE {
  {
    ?zone a pk:PilotZone ; pk:coversDivision ?division .
    ?division pk:withinDivision* ?province .
    ?province a pk:ProvinceLevelDivision .
  } UNION {
    ?r a pk:Responsibility ; pk:subject ?subject ; pk:body ?body .
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


def close(ontology: Graph, data: Graph) -> Graph:
    """Return the triples about instances that OWL RL and the shortcuts add to ontology + data."""
    work = Graph()
    for triple in ontology:
        work.add(triple)
    for triple in data:
        work.add(triple)
    for triple in shortcuts(work):
        work.add(triple)
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    finally:
        # owlrl swaps rdflib's literal converters for its own, process-wide; put rdflib's back.
        owlrl.DatatypeHandling.use_RDFLib_lexical_conversions()
    check_consistency(work)
    inferred = Graph()
    for s, p, o in work:
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
