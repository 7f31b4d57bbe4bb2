"""Content negotiation for SPARQL results: ``Accept`` with q-values and
wildcards, the ``format=`` override, and the formats each query form has."""

from __future__ import annotations

import re
from dataclasses import dataclass

# media type → short name, per kind of result; the first of each list is the default.
SOLUTION_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
    "text/plain": "ntriples",
    "application/x-turtle": "turtle",
    "application/json": "jsonld",
    "application/xml": "rdfxml",
}
CANONICAL_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "trig": "application/trig",
    "nquads": "application/n-quads",
}
SOLUTION_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads")


class NotAcceptable(ValueError):
    """No format the client accepts fits the result; the message lists what is offered."""


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media: str) -> bool:
        t, s = media.split("/", 1)
        return (self.type in ("*", t)) and (self.subtype in ("*", s))

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


_Q = re.compile(r"^q=([0-9.]+)$")


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header (an empty or missing header accepts anything)."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            m = _Q.match(param.replace(" ", ""))
            if m:
                try:
                    q = max(0.0, min(1.0, float(m.group(1))))
                except ValueError:
                    q = 0.0
        t, s = media.split("/", 1)
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def choose(accept: str | None, offered: dict[str, str], default: str) -> str:
    """The short format name to answer with.

    For every offered media type, its quality is that of the most specific
    range matching it; the best quality wins, ties go to the client's order,
    then to the server's order (the default first). Raises NotAcceptable.
    """
    ranges = parse_accept(accept)
    media_types = [CANONICAL_MEDIA[default]] + [m for m in offered if m != CANONICAL_MEDIA[default]]
    best: tuple | None = None
    for position, media in enumerate(media_types):
        matching = [r for r in ranges if r.matches(media)]
        if not matching:
            continue
        top = max(matching, key=lambda r: (r.specificity, r.q))
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -top.order, -position)
        if best is None or key > best[0]:
            best = (key, offered[media])
    if best is None:
        names = ", ".join(sorted(set(offered)))
        raise NotAcceptable(f"none of the accepted types ({accept}) fits this result; offered: {names}")
    return best[1]


def wants_html(accept: str | None) -> bool:
    """True when a browser asks: text/html ranks above every RDF and results type.

    Other types do not count: Chromium asks for ``text/html,...,image/avif,image/webp,image/apng,
    */*;q=0.8,application/signed-exchange;v=b3;q=0.7`` when it opens a page."""
    ranges = parse_accept(accept)
    html = max((r.q for r in ranges if r.type == "text" and r.subtype == "html"), default=0.0)
    data_types = set(SOLUTION_TYPES) | set(GRAPH_TYPES)
    return html > 0 and all(r.q < html for r in ranges if f"{r.type}/{r.subtype}" in data_types)


# The values of ``format=`` clients send, beyond the short names and the media types above:
# SPARQLWrapper's return formats (json, xml, csv, tsv, turtle, n3, rdf, rdf+xml, json-ld, each
# with its media type as a second format= when it is tsv, rdf+xml or json-ld), the names
# Virtuoso and Fuseki take (srj, srx, ttl, nt, text/rdf+n3 ...), and the file extensions.
FORMAT_ALIASES = {
    **{name: name for name in CANONICAL_MEDIA},
    "n-triples": "ntriples",
    "nt": "ntriples",
    "ttl": "turtle",
    "json-ld": "jsonld",
    "rdf": "rdfxml",
    "rdf/xml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf-xml": "rdfxml",
    "nq": "nquads",
    "n-quads": "nquads",
    "srj": "json",
    "srx": "xml",
    "sparql-results+json": "json",
    "sparql-results+xml": "xml",
    "ld+json": "jsonld",
}
# Media types clients name besides the canonical ones (older or unregistered spellings).
EXTRA_GRAPH_MEDIA = {
    "application/turtle": "turtle",
    "text/n3": "turtle",
    "text/rdf+n3": "turtle",
    "application/n3": "turtle",
    "application/x-json+ld": "jsonld",
    "application/x-trig": "trig",
    "text/x-nquads": "nquads",
}


# What a short format name means for a graph result (SPARQLWrapper sends format=xml
# or format=json whatever the query form, meaning RDF/XML or JSON-LD for graphs).
GRAPH_ALIASES = {"xml": "rdfxml", "json": "jsonld", "n3": "turtle"}


def format_override(value: str, kind: str) -> str:
    """The ``format=`` parameter (a short name, a media type, or a comma-separated list of media
    types, the first that fits winning, as SPARQLWrapper sends for JSON-LD) for a result kind."""
    value = value.strip().lower()
    offered = SOLUTION_FORMATS if kind == "solutions" else GRAPH_FORMATS
    media_map = SOLUTION_TYPES if kind == "solutions" else {**GRAPH_TYPES, **EXTRA_GRAPH_MEDIA}
    aliases = {**FORMAT_ALIASES, **GRAPH_ALIASES} if kind == "graph" else FORMAT_ALIASES
    for item in value.split(","):
        name = media_map.get(item.split(";", 1)[0].strip()) or aliases.get(item.strip())
        if name in offered:
            return name
    raise NotAcceptable(f"format={value!r} does not fit this result; use one of {', '.join(offered)}")


def format_overrides(values: list[str], kind: str) -> str | None:
    """The format that every non-empty ``format=`` value names (None if none is given).

    SPARQLWrapper sends two for some formats (``format=rdf+xml&format=application/rdf+xml``,
    and an empty one when its Accept is ``*/*``); values that name different formats are an
    error (NotAcceptable, or ValueError when each is understood but they disagree)."""
    given = [v for v in values if v.strip()]
    if not given:
        return None
    names = {format_override(v, kind) for v in given}
    if len(names) > 1:
        raise ValueError(f"format= is given {len(given)} times naming different formats ({', '.join(sorted(names))}); give one")
    return names.pop()


# Formats that have a UTF-8-with-BOM variant (``bom=1``), for spreadsheets.
BOM_FORMATS = ("csv", "tsv")


def bom_wanted(value: str | None, fmt: str) -> bool:
    """``bom=1`` (or ``true``/``yes``) asks for CSV or TSV with the UTF-8 byte order mark, which
    Excel needs to read UTF-8 (Chinese) right; absent/``0``/``false``/``no`` does not.

    Raises ValueError (a 400) for any other value, or for ``bom=1`` with a format that has no
    BOM variant (a BOM would make JSON, XML and RDF invalid for many parsers)."""
    if value is None:
        return False
    flag = value.strip().lower()
    if flag in ("", "0", "false", "no"):
        return False
    if flag not in ("1", "true", "yes"):
        raise ValueError(f"bom={value!r} is not understood; use bom=1 for CSV or TSV that Excel opens as UTF-8")
    if fmt not in BOM_FORMATS:
        raise ValueError(f"bom=1 is for CSV and TSV results (spreadsheets), not {fmt}")
    return True
