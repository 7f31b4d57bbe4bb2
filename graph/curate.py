"""Curating: validating submitted data, and planning and committing writes that
keep the dataset valid.

Every write — a SPARQL Update, a Graph Store Protocol request, a staged
import — is planned on a copy of the data first: the change is applied in
memory, the reasoning re-run, and the shapes checked on every node the change
touches (the data conformed before, so nothing else can have become wrong).
Only a plan without violations is committed, in one transaction that writes
the data and the inferred graph together; a refused write changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef

from .namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, PKR
from .rdfio import FORMATS, ParseLimits, RdfSyntaxError, parse_bytes, to_oxigraph, to_rdflib
from .reason import InconsistentGraph, close
from .sparql_safety import check_untrusted, standard_tokens, tokens
from .validate import ValidationReport, ontology_graph, validate_graph

# DEFAULT_DATA_GRAPH: where the embedded store keeps the default graph's own triples (write them without GRAPH)
PROTECTED_GRAPHS = {str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH), str(PKR["graph/default-graph"])}
def _clears_all(update: str) -> bool:
    """True if ``update`` holds CLEAR ALL or DROP ALL (SILENT or not) in either reading of its text
    (as Oxigraph reads it, and with codepoint escapes decoded, as the standard does)."""
    for reading in (tokens(update), standard_tokens(update)):
        words = [t.text.upper() if t.kind == "WORD" else "" for t in reading]
        for i, word in enumerate(words):
            if word in ("CLEAR", "DROP"):
                following = words[i + 1:i + 3]
                if following[:1] == ["SILENT"]:
                    following = following[1:]
                if following[:1] == ["ALL"]:
                    return True
    return False


def _cleared_graphs(update: str) -> list[ox.NamedNode]:
    """The graphs ``update`` clears by ``CLEAR GRAPH <IRI>`` (absolute IRIs written out).

    The store keeps no empty graphs: a graph exists while it holds a triple. Clearing a graph that
    holds nothing is clearing an empty graph, which succeeds (Oxigraph would say it does not exist;
    the W3C protocol suite's update_base_uri starts with such a CLEAR); DROP of one still fails."""
    out, words = [], tokens(update)
    for i, token in enumerate(words):
        if token.kind != "WORD" or token.text.upper() != "CLEAR":
            continue
        rest = words[i + 1:i + 4]
        if rest and rest[0].kind == "WORD" and rest[0].text.upper() == "SILENT":
            rest = rest[1:]
        if len(rest) >= 2 and rest[0].kind == "WORD" and rest[0].text.upper() == "GRAPH" and rest[1].kind == "IRI":
            try:
                out.append(ox.NamedNode(rest[1].text[1:-1]))
            except ValueError:  # relative or escaped: left to the update (as before)
                pass
    return out


class WriteRefused(ValueError):
    """A write that cannot be made; ``report`` holds the SHACL report when shapes refused it."""

    def __init__(self, message: str, report: ValidationReport | None = None, status: int = 422):
        super().__init__(message)
        self.report = report
        self.status = status

    def __reduce__(self):  # planned in a worker process, raised in the server
        return (self.__class__, (self.args[0], self.report, self.status))


def _key(quad: ox.Quad) -> str:
    return str(quad)


@dataclass
class Diff:
    """Quads added and removed, with counts per named graph."""

    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name, quads in (("added", self.added), ("removed", self.removed)):
            for graph, n in Counter(_graph_name(q) for q in quads).items():
                out.setdefault(graph, {"added": 0, "removed": 0})[name] = n
        return dict(sorted(out.items()))

    def listing(self, limit: int = 1000) -> dict[str, list[str]]:
        return {
            "added": sorted(_key(q) + " ." for q in self.added)[:limit],
            "removed": sorted(_key(q) + " ." for q in self.removed)[:limit],
        }

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def _graph_name(quad: ox.Quad) -> str:
    g = quad.graph_name
    return g.value if isinstance(g, ox.NamedNode) else "default"


@dataclass
class WritePlan:
    """What a write would do: the data diff, the inferred diff, the validation report,
    and the evidence quotes that do not sit at their offsets in their text."""

    data: Diff
    inferred: Diff
    report: ValidationReport
    evidence_problems: list[str] = field(default_factory=list)
    evidence_unchecked: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.report.conforms and not self.evidence_problems

    def summary(self) -> dict:
        return {
            "conforms": self.report.conforms,
            "violations": len(self.report.violations),
            "warnings": len(self.report.warnings),
            "graphs": self.data.counts(),
            "inferred": {"added": len(self.inferred.added), "removed": len(self.inferred.removed)},
            "evidence_problems": self.evidence_problems,
            "evidence_unchecked": self.evidence_unchecked,
        }


# --------------------------------------------------------------------------- parsing submitted data


def parse_submission(data: bytes, fmt: str, source: str = "the submitted data",
                     limits: ParseLimits | None = None) -> list[ox.Quad]:
    """Parse submitted RDF: no remote JSON-LD contexts or imports are ever fetched, RDF/XML with a DTD
    is refused, and ``limits`` bound what the document may expand to."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(FORMATS)}")
    return parse_bytes(data, fmt, source=source, limits=limits)


def refuse_blank_nodes(quads: Iterable[ox.Quad]) -> None:
    """pilotkg's graph has no blank nodes: writes must name every node with an IRI."""
    for q in quads:
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) or isinstance(q.graph_name, ox.BlankNode):
            raise WriteRefused(
                f"blank nodes are not allowed (first one in: {q} .); give every node an IRI, "
                "e.g. https://w3id.org/pilotkg/id/{kind}/{slug}",
                status=400,
            )


def _to_graph(quads: Iterable[ox.Quad]) -> Graph:
    g = Graph()
    for q in quads:
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


# --------------------------------------------------------------------------- validation service


def validate_submission(quads: list[ox.Quad], context: Iterable[ox.Quad] | None = None) -> ValidationReport:
    """Validate submitted quads against the shapes, after the same reasoning a write gets.

    With ``context`` (the current dataset), references to existing bodies,
    divisions and zones resolve, and only results whose focus node is a
    subject of the submitted data are reported.
    """
    submitted = _to_graph(quads)
    subjects = sorted({s for s in submitted.subjects() if not isinstance(s, BNode)}, key=str)
    data = Graph()
    if context is not None:
        for q in context:
            if _graph_name(q) not in PROTECTED_GRAPHS:
                data.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    for triple in submitted:
        data.add(triple)
    if context is not None:
        # As writes are checked: reason over and validate the region around the submitted
        # subjects (NEIGHBOURHOOD_HOPS either way), not the whole dataset (~6 s → well under 1 s).
        data = neighbourhood(data, set(subjects), hops=NEIGHBOURHOOD_HOPS)
        for triple in submitted:
            data.add(triple)
    try:
        inferred = close(ontology_graph(), data)
    except InconsistentGraph:
        inferred = Graph()  # the shapes still report what is wrong
    for triple in inferred:
        data.add(triple)
    if context is None:
        return validate_graph(data)
    return validate_graph(data, focus_nodes=subjects, only_focus=True)


# --------------------------------------------------------------------------- planning writes


def _split(quads: Iterable[ox.Quad]) -> tuple[list[ox.Quad], list[ox.Quad]]:
    data, inferred = [], []
    for q in quads:
        (inferred if _graph_name(q) == str(INFERRED_GRAPH) else data).append(q)
    return data, inferred


def _diff(before: Iterable[ox.Quad], after: Iterable[ox.Quad]) -> Diff:
    old = {_key(q): q for q in before}
    new = {_key(q): q for q in after}
    return Diff(
        added=[new[k] for k in sorted(new.keys() - old.keys())],
        removed=[old[k] for k in sorted(old.keys() - new.keys())],
    )


def _touched(*diffs: Diff) -> set:
    nodes = set()
    for diff in diffs:
        for q in diff.added + diff.removed:
            for term in (q.subject, q.object):
                if isinstance(term, ox.NamedNode):
                    nodes.add(to_rdflib(term))
    return nodes


# How far from a touched node the validated subgraph reaches: a zone → its division
# → the division's type and parent (a position selector's type sits two hops from
# its evidence, a zone's province two hops from the zone).
NEIGHBOURHOOD_HOPS = 3
INSTANCE_NS = "https://w3id.org/pilotkg/id/"


def neighbourhood(graph: Graph, nodes: set, hops: int) -> Graph:
    """The triples within ``hops`` of ``nodes`` (either direction), for validating what a write touched
    without validating the whole dataset."""
    out = Graph()
    frontier, seen = set(nodes), set()
    for _ in range(hops):
        nxt = set()
        for node in frontier - seen:
            seen.add(node)
            for triple in graph.triples((node, None, None)):
                out.add(triple)
                nxt.add(triple[2])
            for triple in graph.triples((None, None, node)):
                out.add(triple)
                nxt.add(triple[0])
        # walk through instances only: a class or a concept would pull in every instance of it
        frontier = {n for n in nxt if isinstance(n, URIRef) and str(n).startswith(INSTANCE_NS)}
    return out


def plan(current: Iterable[ox.Quad], new_data: list[ox.Quad]) -> WritePlan:
    """Plan replacing the current data (all graphs but the inferred one) by ``new_data``."""
    before_data, before_inferred = _split(current)
    data_diff = _diff(before_data, new_data)
    if any(_graph_name(q) in PROTECTED_GRAPHS for q in data_diff.added + data_diff.removed):
        raise WriteRefused(
            "the ontology and inferred graphs are maintained by pilotkg and cannot be written", status=403
        )
    ontology = ontology_graph()
    data_graph = _to_graph(q for q in new_data if _graph_name(q) != str(ONTOLOGY_GRAPH))
    try:
        inferred = close(ontology, data_graph)
    except InconsistentGraph as err:
        raise WriteRefused(f"the write would make the data inconsistent: {err}") from err
    inferred_graph = ox.NamedNode(str(INFERRED_GRAPH))
    inferred_quads = [ox.Quad(*(to_oxigraph(t) for t in triple), inferred_graph) for triple in inferred]
    inferred_diff = _diff(before_inferred, inferred_quads)
    whole = data_graph
    for triple in inferred:
        whole.add(triple)
    touched = _touched(data_diff, inferred_diff)
    report = validate_graph(neighbourhood(whole, touched, hops=NEIGHBOURHOOD_HOPS), focus_nodes=sorted(touched, key=str),
                            only_focus=True)
    problems, unchecked = check_evidence(new_data, data_diff)
    return WritePlan(data_diff, inferred_diff, report, problems, unchecked)


def check_evidence(data: list[ox.Quad], diff: Diff, texts_dir=None) -> tuple[list[str], list[str]]:
    """Every added position selector must slice exactly its quote out of its source text.

    Texts are found by the source's pk:fileName in ``seeds/``; a source whose text
    this server does not hold is listed as unchecked (and reported, not refused).
    """
    from pathlib import Path

    from .namespaces import OA, PK
    from .resources import seeds_dir

    folder = Path(texts_dir) if texts_dir else seeds_dir()
    values: dict[str, dict[str, str]] = {}
    for q in data:
        p = q.predicate.value
        if p in (str(OA.exact), str(OA.start), str(OA.end), str(OA.hasSelector), str(OA.hasSource), str(PK.fileName)):
            values.setdefault(q.subject.value, {}).setdefault(p, []).append(q.object.value)
    added_selectors = {q.subject.value for q in diff.added if q.predicate.value in (str(OA.start), str(OA.end), str(OA.exact))}
    problems, unchecked = [], []
    for evidence, props in values.items():
        selectors = props.get(str(OA.hasSelector), [])
        if not any(sel in added_selectors for sel in selectors):
            continue
        exact = next((values[s][str(OA.exact)][0] for s in selectors if str(OA.exact) in values.get(s, {})), None)
        pos = next((values[s] for s in selectors if str(OA.start) in values.get(s, {})), None)
        source = (props.get(str(OA.hasSource)) or [None])[0]
        name = (values.get(source, {}).get(str(PK.fileName)) or [None])[0] if source else None
        if exact is None or pos is None or name is None or not (folder / name).is_file():
            unchecked.append(f"{evidence}: its source text is not held by this server")
            continue
        text = (folder / name).read_bytes().decode("utf-8")
        start, end = int(pos[str(OA.start)][0]), int(pos[str(OA.end)][0])
        if text[start:end] != exact:
            problems.append(f"{evidence}: offsets {start}..{end} of {name} hold {text[start:end]!r}, not the quote {exact!r}")
    return problems, unchecked


def apply_update_in_memory(current: Iterable[ox.Quad], update: str, *, base_iri: str | None = None,
                           allow_clear_all: bool = False) -> list[ox.Quad]:
    """The data after a SPARQL Update, computed on an in-memory copy. Relative IRIs resolve against
    ``base_iri`` (the request's URL; never fetched). CLEAR ALL and DROP ALL are refused unless
    ``allow_clear_all`` (``pilotkg serve --empty``)."""
    check_untrusted(update)
    if not allow_clear_all and _clears_all(update):
        raise WriteRefused("CLEAR ALL and DROP ALL are not allowed; clear named graphs one by one", status=403)
    data, _ = _split(current)
    memory = ox.Store()
    memory.extend(data)
    for graph in _cleared_graphs(update):
        memory.add_graph(graph)
    from .namespaces import PREFIXES

    memory.update(update, prefixes={k: str(v) for k, v in PREFIXES.items()}, base_iri=base_iri)
    after = list(memory)
    refuse_blank_nodes(after)
    return after


def replace_graph(current: Iterable[ox.Quad], graph: str, quads: list[ox.Quad], *, replace: bool) -> list[ox.Quad]:
    """The data after putting ``quads`` into ``graph`` (replacing it, or adding to it)."""
    if graph in PROTECTED_GRAPHS:
        raise WriteRefused(f"graph {graph} is maintained by pilotkg and cannot be written", status=403)
    refuse_blank_nodes(quads)
    data, _ = _split(current)
    target = ox.NamedNode(graph)
    kept = [q for q in data if not (replace and q.graph_name == target)]
    moved = [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads]
    return kept + moved


def drop_graph(current: Iterable[ox.Quad], graph: str) -> list[ox.Quad]:
    if graph in PROTECTED_GRAPHS:
        raise WriteRefused(f"graph {graph} is maintained by pilotkg and cannot be deleted", status=403)
    data, _ = _split(current)
    target = ox.NamedNode(graph)
    if not any(q.graph_name == target for q in data):
        raise WriteRefused(f"there is no graph {graph}", status=404)
    return [q for q in data if q.graph_name != target]


def commit_removed_added(plan_: WritePlan) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The quads a plan removes and adds (its data and inferred diffs)."""
    return plan_.data.removed + plan_.inferred.removed, plan_.data.added + plan_.inferred.added


def commit_update_text(plan_: WritePlan) -> str:
    """One SPARQL Update (one transaction) that applies a plan's data and inferred diffs."""
    from .store import quads_update_text

    return quads_update_text(*commit_removed_added(plan_))


def commit(store, plan_: WritePlan) -> None:
    """Apply a plan to a store in one transaction (the embedded store keeps its merged default
    graph in step, see :meth:`pilotkg.graph.store.EmbeddedStore.write`)."""
    removed, added = commit_removed_added(plan_)
    if removed or added:
        store.write(removed, added)


__all__ = [
    "Diff",
    "RdfSyntaxError",
    "WritePlan",
    "WriteRefused",
    "apply_update_in_memory",
    "commit",
    "commit_update_text",
    "drop_graph",
    "parse_submission",
    "plan",
    "refuse_blank_nodes",
    "replace_graph",
    "validate_submission",
]
