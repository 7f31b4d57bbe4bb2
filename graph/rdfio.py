"""Reading and writing RDF: parse errors with line and column, deterministic N-Quads.

Parsing goes through pyoxigraph, whose parsers report the position of an
error and never fetch anything (no remote JSON-LD contexts, no imports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
EXTENSIONS = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}


class RdfSyntaxError(ValueError):
    """RDF that does not parse; ``line`` and ``column`` are 1-based (None if unknown)."""

    def __init__(self, source: str, message: str, line: int | None, column: int | None):
        self.source, self.line, self.column = source, line, column
        where = f" at line {line}, column {column}" if line else ""
        super().__init__(f"{source}{where}: {message}")


def guess_format(path: str | Path, explicit: str | None = None) -> str:
    """The format name for a file: ``explicit`` if given, else from its extension."""
    if explicit:
        if explicit not in FORMATS:
            raise ValueError(f"unknown RDF format {explicit!r}; use one of {', '.join(FORMATS)}")
        return explicit
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise ValueError(
            f"cannot tell the RDF format of {Path(path).name!r} from its extension; "
            f"pass --format ({', '.join(FORMATS)})"
        )
    return EXTENSIONS[ext]


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph) -> URIRef | BNode | Literal | None:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return None  # the default graph


def to_oxigraph(term: URIRef | BNode | Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def parse_bytes(data: bytes, fmt: str, source: str = "<input>", base_iri: str | None = None) -> list[ox.Quad]:
    """Parse RDF bytes into oxigraph quads; :class:`RdfSyntaxError` with the position on bad input."""
    try:
        return list(ox.parse(input=data, format=FORMATS[fmt], base_iri=base_iri))
    except SyntaxError as err:
        message = str(err.msg if hasattr(err, "msg") else err)
        line = err.lineno or None
        column = err.offset or None
        raise RdfSyntaxError(source, message, line, column) from err


def parse_file(path: str | Path, fmt: str | None = None) -> Graph:
    """Parse an RDF file (any format) into one rdflib graph (all its graphs merged)."""
    path = Path(path)
    name = guess_format(path, fmt)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RdfSyntaxError(str(path), f"cannot read the file: {err.strerror}", None, None) from err
    graph = Graph()
    for quad in parse_bytes(data, name, source=str(path), base_iri=path.resolve().as_uri()):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def nquads_lines(quads: Iterable[tuple]) -> list[str]:
    """Sorted, de-duplicated N-Quads lines for (s, p, o, g) rdflib quads."""
    out = set()
    for s, p, o, g in quads:
        quad = ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g) if g is not None else ox.DefaultGraph())
        out.add(str(quad) + " .")
    return sorted(out)


def dataset_from_nquads(path: Path) -> Dataset:
    """Load an N-Quads file into an rdflib Dataset."""
    ds = Dataset()
    for quad in parse_bytes(path.read_bytes(), "nquads", source=str(path)):
        ds.graph(to_rdflib(quad.graph_name)).add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return ds


def turtle_from_ntriples(lines: list[str]) -> str:
    """Turtle, with the project's prefixes, for N-Triples lines."""
    from .namespaces import PREFIXES

    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    graph.parse(data="\n".join(lines), format="nt")
    return graph.serialize(format="turtle")
