"""Reading and writing RDF: parse errors with line and column, deterministic N-Quads.

Parsing goes through pyoxigraph, whose parsers report the position of an
error and never fetch anything (no remote JSON-LD contexts, no imports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
        self.source, self.message, self.line, self.column = source, message, line, column
        where = f" at line {line}, column {column}" if line else ""
        super().__init__(f"{source}{where}: {message}")

    def __reduce__(self):  # crosses from a worker process to the server
        return (self.__class__, (self.source, self.message, self.line, self.column))


class RdfRefused(RdfSyntaxError):
    """RDF that pilotkg will not read, whatever it says: RDF/XML with a DTD or entity
    declarations (an "entity expansion" document can grow a few hundred bytes into
    gigabytes), or XML that is not UTF-8."""


class ParseLimitExceeded(ValueError):
    """A document that expands past a limit (``setting`` names it: max-triples, max-literal)."""

    def __init__(self, message: str, setting: str):
        super().__init__(message)
        self.setting = setting

    def __reduce__(self):
        return (self.__class__, (self.args[0], self.setting))


@dataclass(frozen=True)
class ParseLimits:
    """What one untrusted document may expand to: the body limit bounds the bytes sent, these
    bound what the parser makes of them (``None``: no limit)."""

    max_triples: int | None = None
    max_literal: int | None = None  # characters of the longest literal or IRI


# An XML document type declaration or entity declaration, in any case (lenient parsers accept
# <!doctype>), with any whitespace after "<!".
_XML_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.I)


def refuse_xml_declarations(data: bytes, source: str) -> None:
    """Refuse RDF/XML with a DTD or entities (before any parser sees it), or not in UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise RdfRefused(source, "RDF/XML must be UTF-8 (UTF-16 and other encodings are not accepted)", None, None)
    m = _XML_DECLARATIONS.search(data)
    if m:
        line = data.count(b"\n", 0, m.start()) + 1
        column = m.start() - (data.rfind(b"\n", 0, m.start()) + 1) + 1
        raise RdfRefused(
            source,
            f"a DTD (<!{m.group(1).decode().upper()} ...>) is not accepted in RDF/XML: document type and entity "
            "declarations are refused, so that no entity can expand; write the values out instead",
            line, column,
        )


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


def parse_bytes(data: bytes, fmt: str, source: str = "<input>", base_iri: str | None = None,
                limits: ParseLimits | None = None) -> list[ox.Quad]:
    """Parse RDF bytes into oxigraph quads; :class:`RdfSyntaxError` with the position on bad input,
    :class:`RdfRefused` for RDF/XML with a DTD, :class:`ParseLimitExceeded` past ``limits``
    (checked while parsing, so a document stops as soon as it passes one)."""
    if fmt == "rdfxml":
        refuse_xml_declarations(data, source)
    try:
        parser = ox.parse(input=data, format=FORMATS[fmt], base_iri=base_iri)
        if limits is None or (limits.max_triples is None and limits.max_literal is None):
            return list(parser)
        return _limited(parser, limits, source)
    except SyntaxError as err:
        message = str(err.msg if hasattr(err, "msg") else err)
        line = err.lineno or None
        column = err.offset or None
        raise RdfSyntaxError(source, message, line, column) from err


def _limited(parser, limits: ParseLimits, source: str) -> list[ox.Quad]:
    quads: list[ox.Quad] = []
    most, longest = limits.max_triples, limits.max_literal
    for quad in parser:
        if most is not None and len(quads) >= most:
            raise ParseLimitExceeded(
                f"{source} has more than {most:,} triples, the most one document may hold (setting max-triples)",
                "max-triples",
            )
        if longest is not None:
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
                value = getattr(term, "value", "")
                if len(value) > longest:
                    kind = "literal" if isinstance(term, ox.Literal) else "IRI or name"
                    raise ParseLimitExceeded(
                        f"{source} holds a {kind} of {len(value):,} characters; at most {longest:,} are allowed "
                        "(setting max-literal)",
                        "max-literal",
                    )
        quads.append(quad)
    return quads


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
