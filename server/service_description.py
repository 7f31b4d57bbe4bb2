"""The SPARQL 1.1 Service Description of ``/sparql``, with a VoID summary of the
dataset (triples, entities per class, named graphs). No blank nodes: the
dataset, graphs and partitions are named by fragments of the endpoint's URL."""

from __future__ import annotations

import pyoxigraph as ox

from .negotiation import CANONICAL_MEDIA
from .results import GRAPH_RDF_FORMATS
from .service import Service

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def service_description(service: Service, endpoint: str, fmt: str) -> tuple[bytes, str]:
    """The description as bytes in an RDF format, and its media type."""
    summary = service.summary()
    sd, ds = _n(endpoint), _n(endpoint + "#dataset")
    default = _n(endpoint + "#default-graph")
    t: list[ox.Triple] = [
        ox.Triple(sd, RDF_TYPE, _n(SD + "Service")),
        ox.Triple(sd, _n(SD + "endpoint"), sd),
        ox.Triple(sd, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(sd, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")),
        ox.Triple(sd, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(sd, _n(SD + "defaultDataset"), ds),
        ox.Triple(ds, RDF_TYPE, _n(SD + "Dataset")),
        ox.Triple(ds, RDF_TYPE, _n(VOID + "Dataset")),
        ox.Triple(ds, DCT_TITLE, ox.Literal("pilotkg: China's reform pilot zones as linked data", language="en")),
        ox.Triple(ds, _n(SD + "defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _n(SD + "Graph")),
        ox.Triple(ds, _n(VOID + "triples"), ox.Literal(str(summary.triples), datatype=XSD_INTEGER)),
    ]
    t += [ox.Triple(sd, _n(SD + "resultFormat"), _n(FORMATS + f)) for f in RESULT_FORMATS]
    for i, graph in enumerate(summary.graphs):
        node = _n(f"{endpoint}#named-graph-{i + 1}")
        t += [
            ox.Triple(ds, _n(SD + "namedGraph"), node),
            ox.Triple(node, RDF_TYPE, _n(SD + "NamedGraph")),
            ox.Triple(node, _n(SD + "name"), _n(graph)),
        ]
    for i, (cls, n) in enumerate(sorted(summary.classes.items())):
        node = _n(f"{endpoint}#class-partition-{i + 1}")
        t += [
            ox.Triple(ds, _n(VOID + "classPartition"), node),
            ox.Triple(node, _n(VOID + "class"), _n(cls)),
            ox.Triple(node, _n(VOID + "entities"), ox.Literal(str(n), datatype=XSD_INTEGER)),
        ]
    items = [ox.Quad(x.subject, x.predicate, x.object, ox.DefaultGraph()) for x in t] if fmt in ("trig", "nquads") else t
    prefixes = {"sd": SD, "void": VOID, "dcterms": "http://purl.org/dc/terms/"} if fmt in ("turtle", "trig", "rdfxml") else None
    body = ox.serialize(items, format=GRAPH_RDF_FORMATS[fmt], prefixes=prefixes)
    return body, CANONICAL_MEDIA[fmt]
