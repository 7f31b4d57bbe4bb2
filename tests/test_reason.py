"""The two reasoners behind :func:`pilotkg.graph.reason.close` agree.

``reasonable`` (the default) and owlrl (the reference) must give the same
inferred triples on the real seed data, triple for triple, with the same
shortcuts, and both must refuse an inconsistent graph. The data is the built
dataset minus its inferred and ontology graphs; the ontology is the packaged one.
"""

from __future__ import annotations

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF

from pilotkg.graph.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, PK, PKR
from pilotkg.graph.reason import DEFAULT_REASONER, REASONERS, InconsistentGraph, close, shortcuts
from pilotkg.graph.validate import ontology_graph

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")  # its N-Quads parser

SHOWN = 20


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return ontology_graph()


@pytest.fixture(scope="module")
def seed_graphs(built) -> tuple[Graph, Graph]:
    """(data, inferred) of the built dataset: data is every quad in neither the inferred nor the ontology graph."""
    ds = Dataset()
    ds.parse(built.nquads_path, format="nquads")
    data, inferred = Graph(), Graph()
    for s, p, o, g in ds.quads():
        if g == INFERRED_GRAPH:
            inferred.add((s, p, o))
        elif g != ONTOLOGY_GRAPH:
            data.add((s, p, o))
    assert len(data) > 10_000 and len(inferred) > 1_000
    return data, inferred


@pytest.fixture(scope="module")
def closures(ontology, seed_graphs) -> dict[str, Graph]:
    """The closure of the seed data by each reasoner (owlrl takes ~9 s)."""
    data, _ = seed_graphs
    return {name: close(ontology, data, name) for name in REASONERS}


def _diff(left: Graph, right: Graph, left_name: str, right_name: str) -> str:
    """A readable difference: the first triples (N-Triples) found only on each side."""
    lines = []
    for name, only in ((left_name, set(left) - set(right)), (right_name, set(right) - set(left))):
        lines.append(f"{len(only)} triples only from {name}:")
        lines += [f"  {s.n3()} {p.n3()} {o.n3()} ." for s, p, o in sorted(only)[:SHOWN]]
    return "\n".join(lines)


def test_default_reasoner_is_reasonable():
    assert DEFAULT_REASONER == "reasonable"


def test_unknown_reasoner_is_refused(ontology):
    with pytest.raises(ValueError, match="unknown reasoner"):
        close(ontology, Graph(), "hermit")


def test_reasonable_and_owlrl_agree_on_the_seed_data(closures):
    fast, reference = closures["reasonable"], closures["owlrl"]
    assert set(fast) == set(reference), _diff(fast, reference, "reasonable", "owlrl")


def test_the_build_stores_the_closure(closures, seed_graphs):
    """The inferred graph of `pilotkg build` is exactly the closure (of the default reasoner)."""
    _, stored = seed_graphs
    closed = closures[DEFAULT_REASONER]
    assert set(closed) == set(stored), _diff(closed, stored, "close()", "the built inferred graph")


def test_the_closure_keeps_only_new_triples_about_instances(closures, seed_graphs, ontology):
    data, _ = seed_graphs
    for name, inferred in closures.items():
        for s, p, o in inferred:
            assert isinstance(s, URIRef) and str(s).startswith(str(PKR)), (name, s)
            assert (s, p, o) not in data and (s, p, o) not in ontology, (name, s, p, o)
            assert not isinstance(o, BNode), (name, s, p, o)
            assert not (p == OWL.sameAs and s == o), (name, s)
            assert not (p == RDF.type and (o == OWL.Thing or isinstance(o, Literal))), (name, s, o)


TASK = PKR["task/factor-allocation-reform-pilot-plan/section-2/02/measure-2"]
SHORTCUT_TRIPLES = [
    # a zone's province, from its covered divisions and their pk:withinDivision chain
    (PKR["zone/zhejiang-jiahu"], PK.inProvince, PKR["division/330000"]),
    # a pk:Responsibility's body, both ways
    (PKR["zone/chongqing-west"], PK.responsibleBody, PKR["body/ndrc-general-office"]),
    (PKR["body/ndrc-general-office"], PK.responsibleFor, PKR["zone/chongqing-west"]),
    # enclosing tasks at any distance, and the super-property dcterms:isPartOf
    (TASK, PK.partOfTask, PKR["task/factor-allocation-reform-pilot-plan/section-2/02"]),
    (TASK, PK.partOfTask, PKR["task/factor-allocation-reform-pilot-plan/section-2"]),
    (TASK, DCTERMS.isPartOf, PKR["task/factor-allocation-reform-pilot-plan/section-2"]),
]


@pytest.mark.parametrize("reasoner", REASONERS)
@pytest.mark.parametrize("triple", SHORTCUT_TRIPLES, ids=lambda t: t[1].n3().rsplit("/", 1)[-1][:-1])
def test_shortcuts_are_inferred(closures, reasoner, triple):
    assert triple in closures[reasoner]


@pytest.mark.parametrize("reasoner", REASONERS)
def test_every_shortcut_is_kept(closures, seed_graphs, ontology, reasoner):
    data, _ = seed_graphs
    work = ontology + data
    expected = {t for t in shortcuts(work) if t not in data}
    assert {PK.inProvince, PK.responsibleBody, PK.responsibleFor, PK.reportsTo, PK.partOfTask} == {p for _, p, _ in expected}
    missing = expected - set(closures[reasoner])
    assert not missing, sorted(missing)[:SHOWN]


def _disjoint_pair(ontology: Graph) -> tuple[URIRef, URIRef]:
    return min((a, b) for a, b in ontology.subject_objects(OWL.disjointWith) if a != b)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_two_disjoint_classes_are_inconsistent(ontology, reasoner):
    a, b = _disjoint_pair(ontology)
    x = PKR["zone/contradiction"]
    data = Graph()
    data.add((x, RDF.type, a))
    data.add((x, RDF.type, b))
    with pytest.raises(InconsistentGraph, match="disjoint") as err:
        close(ontology, data, reasoner)
    assert str(x) in str(err.value)


@pytest.mark.parametrize("reasoner", REASONERS)
def test_an_inferred_disjointness_is_inconsistent(ontology, reasoner):
    """A county used as a zone's province becomes a province (the range of pk:inProvince)."""
    county, zone = PKR["division/999901"], PKR["zone/contradiction"]
    assert (PK.CountyLevelDivision, OWL.disjointWith, PK.ProvinceLevelDivision) in ontology
    data = Graph()
    data.add((county, RDF.type, PK.CountyLevelDivision))
    data.add((zone, RDF.type, PK.PilotZone))
    data.add((zone, PK.inProvince, county))
    with pytest.raises(InconsistentGraph, match=str(county)):
        close(ontology, data, reasoner)


def test_literals_and_blank_nodes_come_back_as_they_went_in(ontology):
    """reasonable rebuilds literals (plain → xsd:string, "05" → "5", lower-case tags): close() must not."""
    from rdflib.namespace import XSD  # not at module level: pytest's collection probes it and XSD warns

    body = PKR["body/literals"]
    values = [
        Literal("a plain string"),
        Literal("a typed string", datatype=XSD.string),
        Literal("中文", lang="zh-Hans"),
        Literal("05", datatype=XSD.integer, normalize=False),
        Literal("--02-29", datatype=XSD.gMonthDay),
    ]
    data = Graph()
    data.add((body, RDF.type, PK.ResponsibleBody))
    for value in values:
        data.add((body, PK.referenceSource, value))
    data.add((body, PK.responsibleFor, BNode()))
    results = {name: close(ontology, data, name) for name in REASONERS}
    assert set(results["reasonable"]) == set(results["owlrl"]), _diff(results["reasonable"], results["owlrl"], "reasonable", "owlrl")
    got = sorted(results["reasonable"].objects(body, DCTERMS.source))
    key = lambda lit: (str(lit), str(lit.datatype), lit.language or "")  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, values))
