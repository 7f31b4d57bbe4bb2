r"""No query or update reaches the network: SERVICE and LOAD are refused (400) however they
are written, by every transport of the protocol, and FROM / FROM NAMED / default-graph-uri /
named-graph-uri / DESCRIBE of an outside IRI only name graphs of the store. Every probe
checks with a listener that no connection was made, and that the server still answers.

The first variants are the issue's own findings: an escaped local name (``ex:a\#x``,
``ex:a\'``) made the old regular-expression check read the rest of the query as a comment or
a string, while pyoxigraph evaluated the SERVICE and POSTed to the listener.
"""

from __future__ import annotations

import pytest
import requests

from server_process import audit_entries

from .harness import (QUERY_TRANSPORTS, assert_alive, assert_refused, bearer, get_query, post_direct, post_form,
                      post_update)

PK = "https://w3id.org/pilotkg/ontology#"

# Queries that use SERVICE; {L} is the listener's URL. Each must be refused with 400 "SERVICE is not allowed".
SERVICE_QUERIES = {
    "escaped-hash-in-values": r"PREFIX ex: <http://ex/> SELECT * { VALUES ?x { ex:a\#x } SERVICE <{L}> { ?s ?p ?o } }",
    "escaped-quote-then-string": r"PREFIX ex: <http://ex/> SELECT * { VALUES ?x { ex:a\' } SERVICE <{L}> { ?s ?p ?o } VALUES ?y { 'x' } }",
    "escaped-quote-in-bind": r"PREFIX ex: <http://ex/> SELECT * { BIND(ex:a\' AS ?x) SERVICE <{L}> { ?s ?p ?o } BIND('x' AS ?y) }",
    "escaped-hash-in-bind": r"PREFIX ex: <http://ex/> SELECT * { BIND(ex:a\#x AS ?x) SERVICE <{L}> { ?s ?p ?o } }",
    "escaped-chars-in-local-name": r"PREFIX ex: <http://ex/> SELECT * { VALUES ?x { ex:a\(\)\;\,\/\?\#\@\!\$\&\*\+\=\~\. } SERVICE <{L}> { ?s ?p ?o } }",
    "percent-escape-in-local-name": r"PREFIX ex: <http://ex/> SELECT * { VALUES ?x { ex:a%23b%27 } SERVICE <{L}> { ?s ?p ?o } }",
    "codepoint-escape-u": r"SELECT * { \u0053ERVICE <{L}> { ?s ?p ?o } }",
    "codepoint-escape-U": r"SELECT * { \U00000053\U00000045RVICE <{L}> { ?s ?p ?o } }",
    "codepoint-escape-inside": r"SELECT * { SERV\u0049CE <{L}> { ?s ?p ?o } }",
    "lower-case": "select * { service <{L}> { ?s ?p ?o } }",
    "mixed-case": "SeLeCt * { sErViCe <{L}> { ?s ?p ?o } }",
    "silent": "SELECT * { SERVICE SILENT <{L}> { ?s ?p ?o } }",
    "no-whitespace": "SELECT*{SERVICE<{L}>{?s?p?o}}",
    "tabs-and-newlines": "SELECT *\n{\r\n\tSERVICE\t\n<{L}>\n{ ?s ?p ?o }\n}",
    "endpoint-from-variable": "SELECT * { VALUES ?endpoint { <{L}> } SERVICE ?endpoint { ?s ?p ?o } }",
    "endpoint-as-prefixed-name": "PREFIX remote: <{L}> SELECT * { SERVICE remote: { ?s ?p ?o } }",
    "endpoint-relative-to-base": "BASE <{L}> SELECT * { SERVICE <> { ?s ?p ?o } }",
    "after-a-comment": "SELECT * { # a comment with ' and \" and < in it\n SERVICE <{L}> { ?s ?p ?o } }",
    "after-a-comment-with-escaped-hash": "# ex:a\\#x '\nSELECT * { SERVICE <{L}> { ?s ?p ?o } }",
    "after-long-strings": "SELECT * { BIND(\"\"\"a \" '' \\\"\"\" b\"\"\" AS ?x) BIND('''it's '' ''' AS ?y) SERVICE <{L}> { ?s ?p ?o } }",
    "after-escaped-quotes-in-strings": r"""SELECT * { BIND("a\"b\\" AS ?x) BIND('c\'d\\' AS ?y) SERVICE <{L}> { ?s ?p ?o } }""",
    "in-a-sub-select": "SELECT * { { SELECT ?s WHERE { SERVICE <{L}> { ?s ?p ?o } } } }",
    "in-filter-exists": f"SELECT * {{ ?z a <{PK}PilotZone> FILTER EXISTS {{ SERVICE <{{L}}> {{ ?s ?p ?o }} }} }}",
    "in-filter-not-exists": f"ASK {{ ?z a <{PK}PilotZone> FILTER NOT EXISTS {{ SERVICE <{{L}}> {{ ?z ?p ?o }} }} }}",
    "in-minus": f"SELECT * {{ ?z a <{PK}PilotZone> MINUS {{ SERVICE <{{L}}> {{ ?z ?p ?o }} }} }} LIMIT 1",
    "in-optional": "SELECT * { OPTIONAL { SERVICE <{L}> { ?s ?p ?o } } }",
    "in-graph": "SELECT * { GRAPH ?g { SERVICE <{L}> { ?s ?p ?o } } }",
    "in-union": "SELECT * { { ?s ?p ?o } UNION { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "nested-service": "SELECT * { SERVICE <{L}> { SERVICE <{L}> { ?s ?p ?o } } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{L}> { ?s ?p ?o } }",
    "ask": "ASK { SERVICE <{L}> { ?s ?p ?o } }",
    "describe": "DESCRIBE ?s WHERE { SERVICE <{L}> { ?s ?p ?o } }",
}

# Malformed text built to confuse a check that is not the grammar's: refused with 400 (as
# SERVICE or as a syntax error), and never evaluated.
TRICKY_QUERIES = {
    # \u0022 is '"' once codepoint escapes are decoded: a check that decodes before it reads IRIs
    # would see a string opening inside the IRI and running over the SERVICE.
    "escaped-quote-in-iri": r'SELECT * { BIND(<http://ex/\u0022> AS ?x) SERVICE <{L}> { ?s ?p ?o } BIND("x" AS ?y) }',
    "unclosed-string-after": "SELECT * { SERVICE <{L}> { ?s ?p ?o } } #\n'",
    "comment-without-newline-before": "SELECT * { SERVICE <{L}> { ?s ?p ?o } } # SERVICE",
    "nul-byte": "SELECT * { SERVICE <{L}> { ?s ?p ?o } }\x00",
}

# Updates that use LOAD or SERVICE, sent with a curator's token: 400 naming the keyword, the store unchanged.
REMOTE_UPDATES = {
    "chained-load-after-escaped-hash": ("LOAD", r"PREFIX ex: <http://ex/> INSERT DATA { ex:a ex:b\#x ex:c } ; LOAD <{L}> INTO GRAPH <http://ex/g>"),
    "chained-load-between-quotes": ("LOAD", r"PREFIX ex: <http://ex/> INSERT DATA { ex:a ex:b\' ex:c } ; LOAD <{L}> INTO GRAPH <http://ex/g> ; INSERT DATA { ex:a ex:b 'x' }"),
    "load": ("LOAD", "LOAD <{L}>"),
    "load-silent-into-graph": ("LOAD", "LOAD SILENT <{L}> INTO GRAPH <http://ex/g>"),
    "load-lower-case": ("LOAD", "load <{L}> into graph <http://ex/g>"),
    "load-codepoint-escaped": ("LOAD", r"\u004COAD <{L}> INTO GRAPH <http://ex/g>"),
    "load-after-a-comment": ("LOAD", "# LOAD is not here ' \" \nLOAD <{L}>"),
    "service-in-insert-where": ("SERVICE", "INSERT { GRAPH <http://ex/g> { ?s ?p ?o } } WHERE { SERVICE <{L}> { ?s ?p ?o } }"),
    "service-silent-in-delete-where": ("SERVICE", "DELETE { ?s ?p ?o } WHERE { SERVICE SILENT <{L}> { ?s ?p ?o } }"),
    "service-after-escaped-hash": ("SERVICE", r"PREFIX ex: <http://ex/> INSERT { GRAPH <http://ex/g> { ex:a ex:b\#x ?o } } WHERE { SERVICE <{L}> { ?s ?p ?o } }"),
}


def _fill(text: str, listener) -> str:
    return text.replace("{L}", listener.url)


# --------------------------------------------------------------------------- anonymous queries


@pytest.mark.parametrize("transport", sorted(QUERY_TRANSPORTS))
@pytest.mark.parametrize("variant", sorted(SERVICE_QUERIES))
def test_a_query_using_service_is_refused_and_connects_nowhere(server, listener, variant, transport):
    resp = QUERY_TRANSPORTS[transport](server, _fill(SERVICE_QUERIES[variant], listener))
    listener.assert_no_connection()
    assert_refused(resp, 400, "SERVICE is not allowed")
    assert_alive(server)


@pytest.mark.parametrize("variant", sorted(TRICKY_QUERIES))
def test_malformed_text_around_service_is_refused_and_connects_nowhere(server, listener, variant):
    resp = post_direct(server, _fill(TRICKY_QUERIES[variant], listener))
    listener.assert_no_connection()
    assert resp.status_code == 400, resp.text[:500]
    assert_alive(server)


@pytest.mark.parametrize("transport", ["form", "direct"])
@pytest.mark.parametrize("variant", ["chained-load-after-escaped-hash", "service-in-insert-where"])
def test_an_anonymous_update_using_load_or_service_connects_nowhere(server, listener, variant, transport):
    keyword, update = REMOTE_UPDATES[variant]
    resp = post_update(server, _fill(update, listener), token=None, transport=transport)
    listener.assert_no_connection()
    assert resp.status_code in (400, 401), resp.text[:500]
    if resp.status_code == 400:
        assert f"{keyword} is not allowed" in resp.text
    assert_alive(server)


# --------------------------------------------------------------------------- a curator's updates


def _store_state(server) -> tuple[int, list[str]]:
    """(quads in named graphs, the sorted list of named graphs)."""
    count = post_form(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    graphs = post_form(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert count.status_code == 200 and graphs.status_code == 200, (count.text, graphs.text)
    return (int(count.json()["results"]["bindings"][0]["n"]["value"]),
            sorted(b["g"]["value"] for b in graphs.json()["results"]["bindings"]))


@pytest.mark.parametrize("transport", ["form", "direct"])
@pytest.mark.parametrize("variant", sorted(REMOTE_UPDATES))
def test_a_curators_update_using_load_or_service_is_refused_and_changes_nothing(server, curator, listener, variant, transport):
    keyword, update = REMOTE_UPDATES[variant]
    before, audit_before = _store_state(server), audit_entries(server.data)
    resp = post_update(server, _fill(update, listener), token=curator, transport=transport)
    listener.assert_no_connection()
    assert_refused(resp, 400, f"{keyword} is not allowed")
    assert _store_state(server) == before
    assert audit_entries(server.data) == audit_before, "the audit log gained an entry for a refused update"
    assert post_form(server, f'ASK {{ ?s ?p "{listener.marker}" }}').json()["boolean"] is False
    assert_alive(server)


def test_a_using_clause_naming_an_outside_graph_connects_nowhere(server, curator, listener):
    update = f"DELETE {{ ?s ?p ?o }} USING <{listener.url}> USING NAMED <{listener.url}g> WHERE {{ ?s ?p ?o FILTER(false) }}"
    before = _store_state(server)
    resp = post_update(server, update, token=curator)
    listener.assert_no_connection()
    assert resp.status_code != 500, resp.text[:500]
    assert _store_state(server) == before
    assert_alive(server)


# --------------------------------------------------------------------------- dataset clauses name store graphs only


DATASET_QUERIES = {
    "from": "SELECT * FROM <{L}> WHERE { ?s ?p ?o } LIMIT 1",
    "from-named": "SELECT * FROM NAMED <{L}> WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
    "from-and-from-named": "SELECT * FROM <{L}a> FROM NAMED <{L}b> WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } LIMIT 1",
    "graph-iri": "SELECT * WHERE { GRAPH <{L}> { ?s ?p ?o } } LIMIT 1",
    "describe": "DESCRIBE <{L}>",
    "describe-with-from": "DESCRIBE <{L}> FROM <{L}>",
    "construct-where": "CONSTRUCT WHERE { <{L}> ?p ?o }",
    "iri-functions": "SELECT (IRI(\"{L}\") AS ?i) (STRLEN(STR(<{L}>)) AS ?n) WHERE {}",
}


@pytest.mark.parametrize("transport", sorted(QUERY_TRANSPORTS))
@pytest.mark.parametrize("variant", sorted(DATASET_QUERIES))
def test_dataset_clauses_and_describe_of_an_outside_iri_connect_nowhere(server, listener, variant, transport):
    resp = QUERY_TRANSPORTS[transport](server, _fill(DATASET_QUERIES[variant], listener))
    listener.assert_no_connection()
    assert resp.status_code != 500, resp.text[:500]
    assert_alive(server)


@pytest.mark.parametrize("send", [get_query, post_form, post_direct], ids=["GET", "POST-form", "POST-direct"])
def test_default_and_named_graph_uri_parameters_naming_an_outside_host_connect_nowhere(server, listener, send):
    resp = send(server, "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } LIMIT 1",
                **{"default-graph-uri": listener.url, "named-graph-uri": listener.url + "named"})
    listener.assert_no_connection()
    assert resp.status_code != 500, resp.text[:500]
    assert_alive(server)


def test_a_query_in_the_url_and_another_in_the_form_connect_nowhere(server, listener):
    """The protocol allows one query per request; whichever the server reads, neither may fetch."""
    harmless = f"ASK {{ ?s a <{PK}PilotZone> }}"
    hostile = _fill(SERVICE_QUERIES["escaped-hash-in-values"], listener)
    for params, form in (({"query": hostile}, {"query": harmless}), ({"query": harmless}, {"query": hostile})):
        resp = requests.post(server.base + "/sparql", params=params, data=form, timeout=60)
        assert resp.status_code in (200, 400), resp.text[:500]
    resp = requests.get(server.base + "/sparql", params=[("query", harmless), ("query", hostile)], timeout=60)
    assert resp.status_code in (200, 400), resp.text[:500]
    resp = requests.get(server.base + "/sparql", params=[("query", hostile), ("query", harmless)], timeout=60)
    assert resp.status_code == 400, resp.text[:500]
    listener.assert_no_connection()
    assert_alive(server)


INJECTIONS = [
    "/rdf-graphs?graph=http://ex/g>{?s?p?o}}SERVICE<{L}>{?s?p?o}}%23",
    "/rdf-graphs?graph=http://ex/g%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D%20SERVICE%20%3C{L}%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D%20%23",
    "/id/zone/x%3E%20%3Fp%20%3Fo%20%7D%20SERVICE%20%3C{L}%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%23",
    "/id/zone/x%5C%23%3E%7DSERVICE%3C{L}%3E%7B%3Fs%3Fp%3Fo%7D",
    "/search?q=%22)%20%7D%20SERVICE%20%3C{L}%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%23",
    "/search?q=%5C%22%27%20SERVICE%20%3C{L}%3E%20%7B%7D",
    "/queries/zones-in-province?province=%3C{L}%3E%20%7D%20SERVICE%20%3C{L}%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%23",
    "/queries/zones-in-province?province={L}",
    "/queries/zones-in-province.csv?province={L}%3E%20%7D%20SERVICE%20%3C{L}",
    "/browse?type=%3C{L}%3E%20%7D%20SERVICE%20%3C{L}%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%23",
]


@pytest.mark.parametrize("path", INJECTIONS, ids=lambda p: p.split("?")[0].strip("/").replace("/", "-") or "root")
def test_sparql_injection_through_page_parameters_connects_nowhere(server, listener, path):
    from .harness import raw_request

    status, _headers, body = raw_request(server, "GET", path.replace("{L}", listener.url),
                                         headers={"Accept": "text/html"})
    listener.assert_no_connection()
    assert status < 500, body[:500]
    assert_alive(server)


def test_an_update_through_a_get_request_is_not_applied(server, curator, listener):
    """Updates need POST: a GET with ``update=`` (even with a token) changes nothing and fetches nothing."""
    before = _store_state(server)
    resp = requests.get(server.base + "/sparql", params={"update": _fill("LOAD <{L}> INTO GRAPH <http://ex/g>", listener)},
                        headers=bearer(curator), timeout=30)
    listener.assert_no_connection()
    assert resp.status_code in (400, 405), resp.text[:300]
    assert _store_state(server) == before
    assert_alive(server)
