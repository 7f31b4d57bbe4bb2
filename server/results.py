"""Serialising query results in the worker: the SPARQL results formats (JSON,
XML, CSV, TSV) and RDF formats for graphs, with the row cap applied while
reading, so a huge result is never held whole.

CSV and TSV are written by :mod:`pilotkg.graph.tabular`, which neutralises
cells a spreadsheet would run as formulas; :func:`with_bom` gives the
UTF-8-with-BOM variant (``bom=1``) that Excel needs to read Chinese right."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from pilotkg.graph.tabular import UTF8_BOM, write_boolean, write_csv, write_tsv

from .negotiation import CANONICAL_MEDIA

GRAPH_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}


@dataclass
class Serialized:
    body: bytes
    media_type: str
    rows: int
    truncated: bool
    kind: str  # "solutions" | "boolean" | "graph"


def result_kind(result) -> str:
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    if isinstance(result, ox.QuerySolutions):
        return "solutions"
    return "graph"


def serialize(result, fmt: str, max_rows: int) -> Serialized:
    """Serialise a pyoxigraph result in format ``fmt``, keeping at most ``max_rows`` rows/triples."""
    kind = result_kind(result)
    media = CANONICAL_MEDIA[fmt]
    if fmt in ("csv", "tsv"):
        media += "; charset=utf-8"
    if kind == "boolean":
        return Serialized(_boolean(bool(result), fmt), media, 1, False, kind)
    if kind == "solutions":
        variables = [v.value for v in result.variables]
        rows, truncated = [], False
        for solution in result:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append([solution[v] for v in variables])
        body = {"json": _json, "xml": _xml, "csv": write_csv, "tsv": write_tsv}[fmt](variables, rows)
        return Serialized(body, media, len(rows), truncated, kind)
    triples, truncated = [], False
    for triple in result:
        if len(triples) >= max_rows:
            truncated = True
            break
        triples.append(triple)
    rdf_format = GRAPH_RDF_FORMATS[fmt]
    items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples] if fmt in ("trig", "nquads") else triples
    body = ox.serialize(items, format=rdf_format, prefixes=_prefixes() if fmt in ("turtle", "trig", "rdfxml") else None) or b""
    return Serialized(body, media if fmt != "ntriples" else media, len(triples), truncated, kind)


def _prefixes() -> dict[str, str]:
    from pilotkg.graph.namespaces import PREFIXES

    return {k: str(v) for k, v in PREFIXES.items()}


def _boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    return write_boolean(value)


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate), "object": _json_term(term.object)}}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _json(variables, rows) -> bytes:
    bindings = [{v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode("utf-8")


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    attrs = ""
    if term.language:
        attrs = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        attrs = f" datatype={quoteattr(term.datatype.value)}"
    return f"<literal{attrs}>{escape(term.value)}</literal>"


def _xml(variables, rows) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>" for v, t in zip(variables, row) if t is not None]
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode("utf-8")


def with_bom(body: bytes) -> bytes:
    """``body`` (UTF-8 CSV or TSV) with the UTF-8 byte order mark in front, so that Excel
    reads it as UTF-8 rather than the system's code page (Chinese would be garbled)."""
    return body if body.startswith(UTF8_BOM) else UTF8_BOM + body
