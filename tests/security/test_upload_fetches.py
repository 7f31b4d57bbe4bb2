"""Uploaded documents never make the server fetch anything: a JSON-LD remote ``@context`` (as
a string, in an array, through ``@import``), ``@base`` and relative IRIs in Turtle and TriG,
``xml:base`` in RDF/XML, and ``owl:imports`` / ``sh:shapesGraph`` pointing at the listener. The
status may be anything the server finds right (a parse error, a report, a refusal), but not a
500, and no connection reaches the listener."""

from __future__ import annotations

import json

import pytest
import requests

from .harness import assert_alive, bearer

NOTE = "https://w3id.org/pilotkg/id/note/"
GRAPH = "https://w3id.org/pilotkg/id/graph/curation/security-fetch"


def jsonld_remote_context(listener) -> tuple[str, bytes]:
    return "application/ld+json", json.dumps(
        {"@context": listener.url + "context.jsonld", "@id": NOTE + "ctx", "comment": "x"}).encode()


def jsonld_context_array(listener) -> tuple[str, bytes]:
    return "application/ld+json", json.dumps(
        {"@context": [{"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, listener.url + "context.jsonld"],
         "@id": NOTE + "ctx", "rdfs:comment": "x"}).encode()


def jsonld_context_import(listener) -> tuple[str, bytes]:
    return "application/ld+json", json.dumps(
        {"@context": {"@version": 1.1, "@import": listener.url + "context.jsonld"}, "@id": NOTE + "ctx"}).encode()


def jsonld_nested_context(listener) -> tuple[str, bytes]:
    return "application/ld+json", json.dumps(
        {"@id": NOTE + "ctx", "http://ex/p": {"@context": listener.url + "inner.jsonld", "@id": NOTE + "inner"}}).encode()


def turtle_base(listener) -> tuple[str, bytes]:
    return "text/turtle", (f"@base <{listener.url}> .\n"
                           "<note/relative> <http://www.w3.org/2000/01/rdf-schema#comment> \"relative\" ;\n"
                           "    <http://www.w3.org/2000/01/rdf-schema#seeAlso> <../other> .\n").encode()


def turtle_relative_without_base(_listener) -> tuple[str, bytes]:
    return "text/turtle", b"<relative> <http://www.w3.org/2000/01/rdf-schema#comment> \"no base\" .\n"


def trig_base(listener) -> tuple[str, bytes]:
    return "application/trig", (f"BASE <{listener.url}>\n"
                                "<graph> { <note/relative> <http://www.w3.org/2000/01/rdf-schema#comment> \"in a graph\" . }\n"
                                ).encode()


def rdfxml_base(listener) -> tuple[str, bytes]:
    return "application/rdf+xml", (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xml:base="{listener.url}">'
        '<rdf:Description rdf:about="note/relative"><rdfs:seeAlso rdf:resource="other"/></rdf:Description>'
        "</rdf:RDF>").encode()


def rdfxml_xinclude(listener) -> tuple[str, bytes]:
    return "application/rdf+xml", (
        f'<?xml-stylesheet href="{listener.url}style.xsl"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{listener.url}included.rdf"/>'
        "</rdf:RDF>").encode()


def owl_imports(listener) -> tuple[str, bytes]:
    return "text/turtle", (
        f"<{NOTE}ontology> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
        f"    <http://www.w3.org/2002/07/owl#imports> <{listener.url}ontology.ttl> ;\n"
        f"    <http://www.w3.org/ns/shacl#shapesGraph> <{listener.url}shapes.ttl> .\n").encode()


DOCUMENTS = {
    "jsonld-remote-context": jsonld_remote_context,
    "jsonld-context-array": jsonld_context_array,
    "jsonld-context-import": jsonld_context_import,
    "jsonld-nested-context": jsonld_nested_context,
    "turtle-base": turtle_base,
    "turtle-relative-without-base": turtle_relative_without_base,
    "trig-base": trig_base,
    "rdfxml-xml-base": rdfxml_base,
    "rdfxml-xinclude-and-stylesheet": rdfxml_xinclude,
    "owl-imports-and-shapes-graph": owl_imports,
}


def _validate(server, content_type, body, **params):
    return requests.post(server.base + "/validate", params=params, data=body, headers={"Content-Type": content_type},
                         timeout=60)


@pytest.mark.parametrize("with_graph", [False, True], ids=["alone", "with-graph"])
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_validating_a_document_that_points_outside_connects_nowhere(server, listener, document, with_graph):
    content_type, body = DOCUMENTS[document](listener)
    resp = _validate(server, content_type, body, **({"with": "graph"} if with_graph else {}))
    listener.assert_no_connection()
    assert resp.status_code != 500 and resp.status_code < 600, resp.text[:500]
    assert_alive(server)


@pytest.mark.parametrize("way_in", ["imports", "graph-store-PUT", "graph-store-POST"])
@pytest.mark.parametrize("document", ["jsonld-remote-context", "jsonld-context-import", "turtle-base", "owl-imports-and-shapes-graph"])
def test_writing_a_document_that_points_outside_connects_nowhere(server, curator, listener, document, way_in):
    content_type, body = DOCUMENTS[document](listener)
    headers = {**bearer(curator), "Content-Type": content_type}
    graph = f"{GRAPH}-{document}-{way_in}".lower()
    if way_in == "imports":
        resp = requests.post(server.base + "/imports", params={"graph": graph}, data=body, headers=headers, timeout=60)
    else:
        method = requests.put if way_in == "graph-store-PUT" else requests.post
        resp = method(server.base + "/rdf-graphs", params={"graph": graph}, data=body, headers=headers, timeout=60)
    listener.assert_no_connection()
    assert resp.status_code != 500, resp.text[:500]
    assert_alive(server)
