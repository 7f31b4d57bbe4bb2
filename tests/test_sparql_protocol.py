"""The SPARQL 1.1 Protocol on ``/sparql``, through Flask's test client.

Three server flavours, one fixture each: ``app`` (the defaults, over the
session's built data folder, updates disabled), ``limits_app`` (a 2 s query
limit, 5 rows, a 4 KiB body; on a copy) and ``token_app`` (updates with a
bearer token; on a copy, since it writes). Expected rows come from the
in-process store of the same dataset (``dataset_store`` in conftest.py).

The Accept headers are the exact strings real clients send: YASGUI's defaults,
SPARQLWrapper 2.0 (``_SPARQL_JSON``, ``_CSV``... in ``SPARQLWrapper/Wrapper.py``),
rdflib's ``SPARQLConnector.response_mime_types()``, Comunica's
fetch-sparql-endpoint (``CONTENTTYPE_SPARQL``, ``CONTENTTYPE_TURTLE``) and its
RDF dereferencing header (the one quoted in node-solid-server issue 1618), curl.
"""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from support import fresh_copy
from support import serving as support_serving
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.query import Result

from pilotkg.graph import __version__
from pilotkg.graph.build import INFO_FILE
from pilotkg.graph.namespaces import PREFIXES
from pilotkg.graph.store_file import run_query

# rdflib's N-Quads, TriG and JSON-LD parsers use its deprecated Dataset/ConjunctiveGraph API.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

PKR = "https://w3id.org/pilotkg/id/"
GRAPH = PKR + "graph/"
ONE_SOURCE = GRAPH + "source/000-42920e4a0d4c72dd"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")

ZONES = "SELECT ?zone ?label WHERE { ?zone a pk:PilotZone ; rdfs:label ?label } ORDER BY ?zone ?label"
ZONE_FACTS = "CONSTRUCT { ?zone ?p ?o } WHERE { ?zone a pk:PilotZone ; ?p ?o }"
DESCRIBE_ZONE = f"DESCRIBE <{PKR}zone/hejiang-county>"
ASK_ZONE = "ASK { ?zone a pk:PilotZone }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOKEN = "test-token-7f3a"

# --- the Accept headers of real clients ------------------------------------------------------------
YASGUI_SELECT = "application/sparql-results+json,*/*;q=0.9"
YASGUI_CONSTRUCT = "text/turtle,*/*;q=0.9"
SPARQLWRAPPER_JSON = "application/sparql-results+json,application/json,text/javascript,application/javascript"
SPARQLWRAPPER_XML = "application/sparql-results+xml"
SPARQLWRAPPER_CSV = "text/csv"
SPARQLWRAPPER_TSV = "text/tab-separated-values"
SPARQLWRAPPER_TURTLE = "application/turtle,text/turtle"
SPARQLWRAPPER_N3 = "application/turtle,text/turtle,text/rdf+n3,application/n-triples,application/n3,text/n3"
SPARQLWRAPPER_JSONLD = "application/ld+json,application/x-json+ld"
SPARQLWRAPPER_RDFXML = "application/rdf+xml"
RDFLIB_SPARQLSTORE = "application/rdf+xml, application/sparql-results+xml"
COMUNICA_SELECT = "application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7"
COMUNICA_SELECT_LONG = ("application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7,"
                        "text/csv;q=0.5,text/tab-separated-values;q=0.3,*/*;q=0.1")
COMUNICA_CONSTRUCT = "text/turtle"
COMUNICA_DEREFERENCE = (
    "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,application/n-triples;q=0.8,"
    "text/turtle;q=0.6,application/rdf+xml;q=0.5,application/json;q=0.45,text/n3;q=0.35,application/xml;q=0.3,"
    "image/svg+xml;q=0.3,text/xml;q=0.3,text/html;q=0.2,application/xhtml+xml;q=0.18"
)
CURL = "*/*"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


# --- helpers ---------------------------------------------------------------------------------------


def _value(term) -> str:
    return "" if term is None else str(term.value if hasattr(term, "value") else term)


def expected_rows(store: ox.Store, query: str, default_graphs: list[str] | None = None) -> list[tuple[str, ...]]:
    """The rows the in-process store gives, as tuples of term values."""
    if default_graphs:
        prefixes = {k: str(v) for k, v in PREFIXES.items()}
        result = store.query(query, default_graph=[ox.NamedNode(g) for g in default_graphs], prefixes=prefixes)
    else:
        result = run_query(store, query)
    variables = result.variables
    return [tuple(_value(row[v]) for v in variables) for row in result]


def expected_triples(store: ox.Store, query: str) -> int:
    return len({str(t) for t in run_query(store, query)})


def rows_of(resp) -> list[tuple[str, ...]]:
    """The rows of a SELECT response as tuples of term values, whatever the results format."""
    text = resp.get_data(as_text=True)
    media = resp.mimetype
    if media == "application/sparql-results+json":
        data = json.loads(text)
        names = data["head"]["vars"]
        return [tuple(b.get(v, {}).get("value", "") for v in names) for b in data["results"]["bindings"]]
    if media == "application/sparql-results+xml":
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(text)
        names = [v.get("name") for v in root.findall("r:head/r:variable", ns)]
        out = []
        for result in root.findall("r:results/r:result", ns):
            values = {b.get("name"): b[0].text or "" for b in result.findall("r:binding", ns)}
            out.append(tuple(values.get(v, "") for v in names))
        return out
    if media == "text/csv":
        return [tuple(r) for r in list(csv.reader(io.StringIO(text)))[1:]]
    if media == "text/tab-separated-values":
        return [tuple(_value(t) for t in row) for row in Result.parse(io.StringIO(text), format="tsv")]
    raise AssertionError(f"not a SPARQL results type: {resp.content_type}")


def triple_count(resp) -> int:
    """Parse an RDF response with rdflib and count its triples (quads, for TriG and N-Quads)."""
    ds = Dataset()
    ds.parse(data=resp.get_data(), format=RDFLIB_FORMAT[resp.mimetype])
    return sum(1 for _ in ds.quads((None, None, None, None)))


def line_count(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def serving(data_dir: Path, **settings):
    """support.serving with two query workers (the parallel tests need a second one)."""
    return support_serving(data_dir, workers=2, **settings)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.accepted: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted.append(addr)
            conn.close()

    def connections_after(self, seconds: float = 0.3) -> list:
        time.sleep(seconds)  # a connection attempt made late would still be counted
        return list(self.accepted)

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


# --- fixtures: one per server flavour --------------------------------------------------------------


@pytest.fixture(scope="module")
def app(built):
    with serving(built.data_dir, query_timeout=10) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def limits_app(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("limits") / "data")
    with serving(data, query_timeout=2, max_rows=5, max_body=4096) as application:
        yield application


@pytest.fixture(scope="module")
def token_app(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("token") / "data")
    with serving(data, query_timeout=10, update_token=TOKEN) as application:
        yield application


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


# --- queries by GET, POST form and POST application/sparql-query -----------------------------------


def test_query_by_get(client, dataset_store):
    resp = client.get("/sparql", query_string={"query": ZONES})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)
    assert len(rows_of(resp)) >= 21


def test_query_by_post_form(client, dataset_store):
    resp = client.post("/sparql", data={"query": ZONES})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)


def test_query_by_post_sparql_query(client, dataset_store):
    resp = client.post("/sparql", data=ZONES.encode(), content_type="application/sparql-query; charset=utf-8")
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)


# --- the RDF dataset: default-graph-uri and named-graph-uri ----------------------------------------


def test_default_graph_uri_limits_the_rows_to_that_graph(client, dataset_store):
    everywhere = expected_rows(dataset_store, ZONES)
    in_one = expected_rows(dataset_store, ZONES, default_graphs=[ONE_SOURCE])
    assert 0 < len(in_one) < len(everywhere)
    resp = client.get("/sparql", query_string={"query": ZONES, "default-graph-uri": ONE_SOURCE})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == in_one


@pytest.mark.parametrize("how", ["post form", "post direct"])
def test_default_graph_uri_by_post(client, dataset_store, how):
    if how == "post form":
        resp = client.post("/sparql", data={"query": ZONES, "default-graph-uri": ONE_SOURCE})
    else:
        resp = client.post("/sparql", query_string={"default-graph-uri": ONE_SOURCE}, data=ZONES,
                           content_type="application/sparql-query")
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == expected_rows(dataset_store, ZONES, default_graphs=[ONE_SOURCE])


def test_two_default_graph_uris_make_their_union(client, dataset_store):
    graphs = [GRAPH + "ontology", ONE_SOURCE]
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    resp = client.get("/sparql", query_string=[("query", query)] + [("default-graph-uri", g) for g in graphs])
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == expected_rows(dataset_store, query, default_graphs=graphs)


def test_named_graph_uri_restricts_graph_patterns(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    resp = client.get("/sparql", query_string={"query": query, "named-graph-uri": GRAPH + "reference"})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == [(GRAPH + "reference",)]


def test_from_named_in_the_query_restricts_graph_patterns(client):
    query = f"SELECT DISTINCT ?g FROM NAMED <{GRAPH}ontology> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == [(GRAPH + "ontology",)]


def test_from_in_the_query_limits_the_default_graph(client, built):
    ontology_quads = sum(1 for line in built.nquads_path.read_text("utf-8").splitlines()
                         if line.endswith(f"<{GRAPH}ontology> ."))
    query = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}ontology> WHERE {{ ?s ?p ?o }}"
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == [(str(ontology_quads),)]  # actual: every quad of the dataset


# --- result formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("media", ["application/sparql-results+json", "application/sparql-results+xml",
                                   "text/csv", "text/tab-separated-values"])
def test_select_in_each_results_format(client, dataset_store, media):
    resp = client.get("/sparql", query_string={"query": ZONES}, headers={"Accept": media})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)


@pytest.mark.parametrize("media, body", [
    ("application/sparql-results+json", '"boolean": true'),
    ("application/sparql-results+xml", "<boolean>true</boolean>"),
    ("text/csv", "true"),
    ("text/tab-separated-values", "true"),
])
def test_ask_in_each_results_format(client, media, body):
    resp = client.get("/sparql", query_string={"query": ASK_ZONE}, headers={"Accept": media})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert body in resp.text
    if media == "application/sparql-results+json":
        assert json.loads(resp.text)["boolean"] is True
    no = client.get("/sparql", query_string={"query": "ASK { ?z a pk:NoSuchClass }"}, headers={"Accept": media})
    assert "false" in no.text


@pytest.mark.parametrize("media", list(RDFLIB_FORMAT))
@pytest.mark.parametrize("query", [ZONE_FACTS, DESCRIBE_ZONE], ids=["construct", "describe"])
def test_graph_results_in_each_rdf_format_parse_back(client, dataset_store, query, media):
    resp = client.get("/sparql", query_string={"query": query}, headers={"Accept": media})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    expected = expected_triples(dataset_store, query)
    assert expected > 10
    assert triple_count(resp) == expected
    assert resp.headers["X-Pilotkg-Rows"] == str(expected)


def test_construct_turtle_keeps_language_tags(client):
    resp = client.get("/sparql", query_string={"query": ZONE_FACTS}, headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=resp.text, format="turtle")
    hejiang = URIRef(PKR + "zone/hejiang-county")
    labels = set(graph.objects(hejiang, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert Literal("Hejiang County", lang="en") in labels


# --- content negotiation: the Accept headers real clients send, q-values, wildcards, format= ----


@pytest.mark.parametrize("accept, media", [
    (YASGUI_SELECT, "application/sparql-results+json"),
    (SPARQLWRAPPER_JSON, "application/sparql-results+json"),
    (SPARQLWRAPPER_XML, "application/sparql-results+xml"),
    (SPARQLWRAPPER_CSV, "text/csv"),
    (SPARQLWRAPPER_TSV, "text/tab-separated-values"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),  # rdflib SPARQLStore, returnFormat xml
    (RDFLIB_SPARQLSTORE, "application/sparql-results+xml"),
    (COMUNICA_SELECT, "application/sparql-results+json"),
    (COMUNICA_SELECT_LONG, "application/sparql-results+json"),
    (CURL, "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    # A browser's navigation Accept gets the editor with the query (tests/test_editor_page.py);
    # the same header with format= gets results: see test_browser_accept_with_format_gets_results.
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("application/sparql-results+json;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    ("text/*;q=0.4, application/*;q=0.5", "application/sparql-results+json"),
    ("image/png;q=1.0, text/csv; q=0.2", "text/csv"),
], ids=lambda v: repr(v)[:50])
def test_select_negotiation(client, dataset_store, accept, media):
    headers = {} if accept is None else {"Accept": accept}
    resp = client.get("/sparql", query_string={"query": ZONES}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)
    assert resp.headers["Vary"] == "Accept"


@pytest.mark.parametrize("accept, media", [
    (YASGUI_CONSTRUCT, "text/turtle"),
    (SPARQLWRAPPER_TURTLE, "text/turtle"),
    (SPARQLWRAPPER_N3, "text/turtle"),
    (SPARQLWRAPPER_JSONLD, "application/ld+json"),
    (SPARQLWRAPPER_RDFXML, "application/rdf+xml"),
    (RDFLIB_SPARQLSTORE, "application/rdf+xml"),
    (COMUNICA_CONSTRUCT, "text/turtle"),
    (COMUNICA_DEREFERENCE, "application/n-quads"),
    (CURL, "text/turtle"),
    (None, "text/turtle"),
    ("application/n-triples;q=0.5, application/trig", "application/trig"),
    ("application/*", "application/n-triples"),
], ids=lambda v: repr(v)[:50])
def test_construct_negotiation(client, dataset_store, accept, media):
    headers = {} if accept is None else {"Accept": accept}
    resp = client.get("/sparql", query_string={"query": ZONE_FACTS}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert triple_count(resp) == expected_triples(dataset_store, ZONE_FACTS)


@pytest.mark.parametrize("query, accept", [
    (ZONES, "image/png"),
    (ZONES, "text/turtle"),
    (ZONE_FACTS, "application/sparql-results+json"),
    (ZONE_FACTS, "text/csv"),
    (ZONES, "application/sparql-results+json;q=0, application/sparql-results+xml;q=0, text/*;q=0"),
])
def test_unsupported_accept_is_406_naming_what_is_offered(client, query, accept):
    resp = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert resp.status_code == 406
    assert "offered:" in resp.text
    offered = "application/sparql-results+json" if query == ZONES else "text/turtle"
    assert offered in resp.text


@pytest.mark.parametrize("query, fmt, media", [
    (ZONES, "csv", "text/csv"),
    (ZONES, "tsv", "text/tab-separated-values"),
    (ZONES, "xml", "application/sparql-results+xml"),
    (ZONES, "application/sparql-results+xml", "application/sparql-results+xml"),
    (ZONE_FACTS, "nt", "application/n-triples"),
    (ZONE_FACTS, "json-ld", "application/ld+json"),
    (ZONE_FACTS, "trig", "application/trig"),
    (ZONE_FACTS, "text/turtle", "text/turtle"),
])
def test_format_parameter_overrides_accept(client, query, fmt, media):
    resp = client.get("/sparql", query_string={"query": query, "format": fmt},
                      headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media


def test_format_parameter_in_a_post_form(client):
    resp = client.post("/sparql", data={"query": ZONES, "format": "csv"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"


@pytest.mark.parametrize("query, fmt", [(ZONES, "bogus"), (ZONES, "turtle"), (ZONE_FACTS, "csv")])
def test_format_parameter_that_does_not_fit_is_406(client, query, fmt):
    resp = client.get("/sparql", query_string={"query": query, "format": fmt})
    assert resp.status_code == 406
    assert f"format='{fmt}'" in resp.text


# --- the Service Description, the HTML page, /health -----------------------------------------------


def test_get_without_query_is_the_service_description(client, built):
    resp = client.get("/sparql")
    assert resp.status_code == 200
    assert resp.mimetype == "text/turtle"
    graph = Graph().parse(data=resp.text, format="turtle")
    endpoint = URIRef("http://localhost/sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    (dataset,) = graph.objects(endpoint, SD.defaultDataset)
    assert int(graph.value(dataset, VOID.triples)) == line_count(built.nquads_path)
    names = {str(graph.value(g, SD.name)) for g in graph.objects(dataset, SD.namedGraph)}
    assert len(names) == 8
    assert names == {line.rsplit(" ", 2)[-2].strip("<>") for line in built.nquads_path.read_text("utf-8").splitlines()}
    zones = [p for p in graph.objects(dataset, VOID.classPartition)
             if graph.value(p, VOID["class"]) == URIRef("https://w3id.org/pilotkg/ontology#PilotZone")]
    assert [int(graph.value(p, VOID.entities)) for p in zones] == [21]


def test_service_description_for_comunica_is_nquads(client):
    resp = client.get("/sparql", headers={"Accept": COMUNICA_DEREFERENCE})
    assert resp.status_code == 200
    assert resp.mimetype == "application/n-quads"
    ds = Dataset()
    ds.parse(data=resp.text, format="nquads")  # rdflib 7.1.1 (the floor) returns a Graph from Dataset.parse
    assert any(p == SD.endpoint for _, p, _, _ in ds.quads((None, None, None, None)))


def test_browser_accept_with_format_gets_results(client, dataset_store):
    resp = client.get("/sparql", query_string={"query": ZONES, "format": "xml"}, headers={"Accept": BROWSER})
    assert resp.status_code == 200
    assert resp.mimetype == "application/sparql-results+xml"
    assert rows_of(resp) == expected_rows(dataset_store, ZONES)


def test_get_without_query_from_a_browser_is_an_html_page(client):
    resp = client.get("/sparql", headers={"Accept": BROWSER})
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert "<form" in resp.text and 'name="query"' in resp.text
    assert "http://localhost/sparql" in resp.text


def test_root_is_the_home_page_and_links_the_endpoint(client):
    resp = client.get("/", headers={"Accept": BROWSER})
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert 'href="/sparql"' in resp.text


def test_health(client, built):
    resp = client.get("/health")
    assert resp.status_code == 200
    health = resp.get_json()
    info = json.loads((built.data_dir / INFO_FILE).read_text("utf-8"))
    assert health["status"] == "ok"
    assert health["store_open"] is True
    assert health["triples"] == line_count(built.nquads_path)
    assert health["version"] == __version__
    assert health["built_at"] == info["built_at"]


# --- safety: nothing reaches the network -----------------------------------------------------------


@pytest.mark.parametrize("case", ["SERVICE", "service silent"])
def test_service_is_refused_without_a_connection(client, listener, case):
    query = f"SELECT * WHERE {{ {case} <{listener.url}> {{ ?s ?p ?o }} }}"
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 400
    assert "SERVICE is not allowed" in resp.text
    assert listener.connections_after() == []


def test_service_by_post_is_refused_without_a_connection(client, listener):
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    resp = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert resp.status_code == 400
    assert "SERVICE is not allowed" in resp.text
    assert listener.connections_after() == []


@pytest.mark.parametrize("how", ["FROM", "FROM NAMED", "default-graph-uri", "named-graph-uri"])
def test_dataset_iris_are_never_fetched(client, listener, how):
    remote = listener.url + "x"
    query, params = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {}
    if how == "FROM":
        query = f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }} LIMIT 1"
    elif how == "FROM NAMED":
        query = f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    elif how == "default-graph-uri":
        query, params = "SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": remote}
    else:
        params = {"named-graph-uri": remote}
    resp = client.get("/sparql", query_string={"query": query, **params})
    assert resp.status_code == 200, resp.text
    if how != "FROM":  # see test_from_in_the_query_limits_the_default_graph
        assert rows_of(resp) == []
    assert listener.connections_after() == []


def test_service_after_a_comment_ending_in_carriage_return_is_refused(client, listener):
    query = f"SELECT * WHERE {{ #x\rSERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    resp = client.get("/sparql", query_string={"query": query})
    assert listener.connections_after() == []
    assert resp.status_code == 400 and "SERVICE is not allowed" in resp.text


def test_a_variable_named_service_is_not_a_service_clause(client):
    query = "SELECT ?service WHERE { ?service a pk:ResponsibleBody } LIMIT 3"
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 200, resp.text  # actual: 400 "SERVICE is not allowed"
    assert len(rows_of(resp)) == 3


def test_the_word_service_in_strings_iris_and_comments_is_allowed(client):
    query = ('SELECT DISTINCT ?b WHERE { ?b a pk:ResponsibleBody ; rdfs:label ?l . # no SERVICE here\n'
             f'  FILTER(?b = <{PKR}body/china-news-service> || CONTAINS(?l, "SERVICE")) }}')
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 200, resp.text
    assert rows_of(resp) == [(PKR + "body/china-news-service",)]


# --- updates: bearer token, LOAD refused -----------------------------------------------------------

INSERT = "INSERT DATA { <http://example.org/s> <http://example.org/p> \"inserted\" }"
ASK_INSERTED = "ASK { <http://example.org/s> <http://example.org/p> \"inserted\" }"


def test_update_without_a_configured_token_is_401(client):
    resp = client.post("/sparql", data={"update": INSERT})
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "no update token is configured" in resp.text
    assert "false" in client.get("/sparql", query_string={"query": ASK_INSERTED}).text


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN, "Bearer "])
def test_update_without_the_right_token_is_401(token_app, authorization):
    client = token_app.test_client()
    before = client.get("/health").get_json()["triples"]
    headers = {} if authorization is None else {"Authorization": authorization}
    resp = client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer TOKEN" in resp.text
    assert client.get("/health").get_json()["triples"] == before


def test_update_with_the_token_is_204_and_the_next_query_sees_it(token_app):
    client = token_app.test_client()
    before = client.get("/health").get_json()["triples"]
    resp = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 204, resp.text
    for _ in range(3):  # every worker, not just the first, sees the write
        answer = client.get("/sparql", query_string={"query": ASK_INSERTED})
        assert json.loads(answer.text)["boolean"] is True
    assert client.get("/health").get_json()["triples"] == before + 1


def test_update_by_form_into_a_named_graph(token_app):
    client = token_app.test_client()
    update = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s2> <http://example.org/p> "x" } }'
    resp = client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 204, resp.text
    query = "SELECT ?g WHERE { GRAPH ?g { <http://example.org/s2> ?p ?o } }"
    assert rows_of(client.get("/sparql", query_string={"query": query})) == [("http://example.org/g",)]


def test_update_by_get_is_405(token_app):
    resp = token_app.test_client().get("/sparql", query_string={"update": INSERT})
    assert resp.status_code == 405
    assert "must be sent by POST" in resp.text


def test_load_is_refused_even_with_the_token(token_app, listener):
    client = token_app.test_client()
    resp = client.post("/sparql", data={"update": f"LOAD <{listener.url}data.ttl>"},
                       headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 400
    assert "LOAD is not allowed" in resp.text
    assert listener.connections_after() == []


def test_load_after_a_comment_ending_in_carriage_return_is_refused(token_app, listener):
    resp = token_app.test_client().post("/sparql", data={"update": f"#x\rLOAD <{listener.url}data.ttl>"},
                                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert listener.connections_after() == []
    assert resp.status_code == 400 and "LOAD is not allowed" in resp.text


def test_update_that_cannot_be_applied_is_400_with_the_reason(token_app):
    resp = token_app.test_client().post("/sparql", data={"update": "DROP GRAPH <http://example.org/no-such-graph>"},
                                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 400, resp.status_code  # actual: 500
    assert resp.mimetype == "text/plain"
    assert "does not exist" in resp.text


def test_load_without_the_token_is_401(client, listener):
    resp = client.post("/sparql", data={"update": f"LOAD <{listener.url}data.ttl>"})
    assert resp.status_code == 401
    assert listener.connections_after() == []


def test_malformed_update_is_400_with_its_position(token_app):
    resp = token_app.test_client().post("/sparql", data={"update": "INSERT DATA {\n  <http://example.org/s> <http://example.org/p> \n}"},
                                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 400
    assert re.search(r"malformed update: line \d+, column \d+", resp.text), resp.text


def test_query_and_update_together_is_400(token_app):
    resp = token_app.test_client().post("/sparql", data={"query": ASK_ZONE, "update": INSERT},
                                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 400
    assert "not both" in resp.text


# --- limits: time, rows, body ----------------------------------------------------------------------


def test_a_query_past_the_time_limit_is_503_while_others_are_answered(limits_app):
    slow: dict = {}

    def run_slow():
        started = time.perf_counter()
        resp = limits_app.test_client().post("/sparql", data={"query": CARTESIAN})
        slow.update(status=resp.status_code, text=resp.text, seconds=time.perf_counter() - started)

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.5)  # the cartesian product now holds one worker
    started = time.perf_counter()
    quick = limits_app.test_client().get("/sparql", query_string={"query": ASK_ZONE})
    quick_seconds = time.perf_counter() - started
    thread.join(30)
    assert quick.status_code == 200 and json.loads(quick.text)["boolean"] is True
    assert quick_seconds < 1.0
    assert slow["status"] == 503
    assert "time limit of 2 s" in slow["text"]
    assert 2.0 <= slow["seconds"] < 8.0
    # the stopped worker was replaced: both workers answer again
    for _ in range(4):
        again = limits_app.test_client().get("/sparql", query_string={"query": ASK_ZONE})
        assert again.status_code == 200, again.text


def test_rows_are_capped_and_the_cap_is_said(limits_app):
    resp = limits_app.test_client().get("/sparql", query_string={"query": ZONES})
    assert resp.status_code == 200
    assert len(rows_of(resp)) == 5
    assert resp.headers["X-Pilotkg-Row-Limit"] == "5"
    assert resp.headers["X-Pilotkg-Truncated"] == "true"
    assert resp.headers["X-Pilotkg-Rows"] == "5"


def test_triples_are_capped_too(limits_app):
    resp = limits_app.test_client().get("/sparql", query_string={"query": ZONE_FACTS},
                                        headers={"Accept": "application/n-triples"})
    assert resp.status_code == 200
    assert triple_count(resp) == 5
    assert resp.headers["X-Pilotkg-Truncated"] == "true"


def test_a_result_within_the_cap_is_not_truncated(limits_app):
    query = "SELECT ?zone WHERE { ?zone a pk:PilotZone } ORDER BY ?zone LIMIT 3"
    resp = limits_app.test_client().get("/sparql", query_string={"query": query})
    assert len(rows_of(resp)) == 3
    assert resp.headers["X-Pilotkg-Truncated"] == "false"


@pytest.mark.parametrize("how", ["form", "direct"])
def test_a_body_over_max_body_is_413_naming_the_limit(limits_app, how):
    client = limits_app.test_client()
    query = ASK_ZONE + " #" + "x" * 5000
    if how == "form":
        resp = client.post("/sparql", data={"query": query})
    else:
        resp = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert resp.status_code == 413
    assert "4096 bytes" in resp.text and "max-body" in resp.text
    small = client.post("/sparql", data=ASK_ZONE, content_type="application/sparql-query")
    assert small.status_code == 200


# --- bad requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["get", "post"])
def test_malformed_query_is_400_with_line_and_column(client, how):
    query = "SELECT ?zone WHERE {\n  ?zone a pk:PilotZone\n} LIMIT x"
    if how == "get":
        resp = client.get("/sparql", query_string={"query": query})
    else:
        resp = client.post("/sparql", data=query, content_type="application/sparql-query")
    assert resp.status_code == 400
    assert resp.mimetype == "text/plain"
    assert "malformed query: line 3, column 9" in resp.text


def test_undeclared_prefix_is_400_on_its_line(client):
    query = "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s nope:thing ?o .\n}"
    resp = client.get("/sparql", query_string={"query": query})
    assert resp.status_code == 400
    assert re.search(r"line 3, column \d+: .*Prefix not found", resp.text), resp.text


@pytest.mark.parametrize("content_type, named", [("text/plain", "'text/plain'"), (None, "(none given)"),
                                                 ("application/json", "'application/json'")])
def test_unsupported_content_type_is_415(client, content_type, named):
    resp = client.post("/sparql", data=ZONES.encode(), content_type=content_type)
    assert resp.status_code == 415
    assert f"unsupported content type {named}" in resp.text
    assert "application/sparql-query" in resp.text


def test_post_form_without_query_is_400(client):
    resp = client.post("/sparql", data={"format": "json"})
    assert resp.status_code == 400
    assert "no 'query'" in resp.text


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(client, method):
    resp = getattr(client, method)("/sparql", data=ZONES, content_type="application/sparql-query")
    assert resp.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in resp.headers["Allow"].split(",")}
    assert f"method {method.upper()} is not allowed" in resp.text


# --- CORS ------------------------------------------------------------------------------------------


def test_query_responses_allow_any_origin_without_credentials(client):
    resp = client.get("/sparql", query_string={"query": ASK_ZONE}, headers={"Origin": "https://yasgui.org"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers
    assert "X-Pilotkg-Truncated" in resp.headers["Access-Control-Expose-Headers"]


def test_preflight_is_204(client):
    resp = client.options("/sparql", headers={"Origin": "https://yasgui.org",
                                              "Access-Control-Request-Method": "POST",
                                              "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert "content-type" in resp.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_error_responses_allow_any_origin_too(client):
    resp = client.get("/sparql", query_string={"query": "SELECT * WHERE {"}, headers={"Origin": "https://yasgui.org"})
    assert resp.status_code == 400
    assert resp.headers.get("Access-Control-Allow-Origin") == "*"
