"""The endpoint as a real process on 127.0.0.1, driven by clients written by others.

One session fixture starts ``pilotkg --data COPY serve --port FREE --workers 2
--query-timeout 3`` (waitress, spawned query workers, the embedded store loaded
from a copy of the built data folder), waits for ``/health``, and at the end
stops it with SIGTERM, which must end it cleanly (exit 0 within 10 s).

Clients: SPARQLWrapper (JSON, XML, CSV, TSV; Turtle, JSON-LD and RDF/XML for CONSTRUCT;
an update with ``setCredentials``, HTTP Basic), rdflib's ``SPARQLStore`` used as a graph
and its ``SPARQLUpdateStore`` with ``auth=``, ``requests`` with hand-set headers, and curl.
The README's three example queries go through each and must give the rows the in-process
store gives. More of what clients send, in process: ``test_client_habits.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest
import requests
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from rdflib.query import Result
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, RDF as RDF_FORMAT, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, Unauthorized

from pilotkg.graph.store_file import run_query
from support import add_curator

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib"),
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),  # SPARQLWrapper's JSON-LD
]

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
README_QUERIES = re.findall(r"```sparql\n(.*?)```", README, flags=re.S)
PK = Namespace("https://w3id.org/pilotkg/ontology#")
ZONE_FACTS = "CONSTRUCT { ?zone ?p ?o } WHERE { ?zone a pk:PilotZone ; ?p ?o }"
ASK_ZONE = "ASK { ?zone a pk:PilotZone }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUERY_TIMEOUT = 3


# --- the server process ----------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path
    data: Path

    @property
    def url(self) -> str:
        return self.base + "/sparql"


def _pilotkg_command() -> str | None:
    beside = Path(sys.executable).with_name("pilotkg")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("pilotkg")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(built, tmp_path_factory):
    command = _pilotkg_command()
    if command is None:
        pytest.skip("the pilotkg command is not installed")
    work = tmp_path_factory.mktemp("serve")
    data = work / "data"
    shutil.copytree(built.data_dir, data, ignore=shutil.ignore_patterns("store", "store-dataset.sha256"))
    log = work / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [command, "--data", str(data), "serve", "--port", str(port), "--workers", "2",
             "--query-timeout", str(QUERY_TIMEOUT)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work, start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{port}", process, log, data)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"pilotkg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(srv.base + "/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"pilotkg serve did not answer /health within 60 s:\n{log.read_text()}")
        time.sleep(0.2)
    yield srv
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"pilotkg serve did not stop within 10 s of SIGTERM:\n{log.read_text()[-3000:]}")
    assert code == 0, f"pilotkg serve exited with {code} on SIGTERM:\n{log.read_text()[-3000:]}"
    assert "shutting down" in log.read_text()


# --- rows, however a client returns them -----------------------------------------------------------


def _value(term) -> str:
    return "" if term is None else str(term.value if hasattr(term, "value") else term)


def expected_rows(store, query: str) -> list[tuple[str, ...]]:
    result = run_query(store, query)
    return [tuple(_value(row[v]) for v in result.variables) for row in result]


def json_rows(data: dict) -> list[tuple[str, ...]]:
    names = data["head"]["vars"]
    return [tuple(b.get(v, {}).get("value", "") for v in names) for b in data["results"]["bindings"]]


def csv_rows(text: str) -> list[tuple[str, ...]]:
    return [tuple(r) for r in list(csv.reader(io.StringIO(text)))[1:]]


def tsv_rows(text: str) -> list[tuple[str, ...]]:
    return [tuple(_value(t) for t in row) for row in Result.parse(io.StringIO(text), format="tsv")]


def xml_dom_rows(doc) -> list[tuple[str, ...]]:
    """Rows of the minidom document SPARQLWrapper returns for XML."""
    names = [v.getAttribute("name") for v in doc.getElementsByTagName("variable")]
    rows = []
    for result in doc.getElementsByTagName("result"):
        values = {}
        for binding in result.getElementsByTagName("binding"):
            term = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
            values[binding.getAttribute("name")] = "".join(t.data for t in term.childNodes if t.nodeType == t.TEXT_NODE)
        rows.append(tuple(values.get(v, "") for v in names))
    return rows


# --- the clients -----------------------------------------------------------------------------------


def sparqlwrapper(fmt, method=GET):
    def run(url: str, query: str) -> list[tuple[str, ...]]:
        client = SPARQLWrapper(url)
        client.setQuery(query)
        client.setReturnFormat(fmt)
        client.setMethod(method)
        converted = client.query().convert()
        if fmt == JSON:
            return json_rows(converted)
        if fmt == XML:
            return xml_dom_rows(converted)
        text = converted.decode("utf-8")
        return csv_rows(text) if fmt == CSV else tsv_rows(text)
    return run


def rdflib_sparqlstore(url: str, query: str) -> list[tuple[str, ...]]:
    result = Graph(store=SPARQLStore(url)).query(query)
    return [tuple(_value(row[v]) for v in result.vars) for row in result]


def requests_get_json(url: str, query: str) -> list[tuple[str, ...]]:
    resp = requests.get(url, params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    resp.raise_for_status()
    return json_rows(resp.json())


def requests_post_form_csv(url: str, query: str) -> list[tuple[str, ...]]:
    resp = requests.post(url, data={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    resp.raise_for_status()
    assert resp.headers["Content-Type"].startswith("text/csv")
    return csv_rows(resp.text)


def requests_post_direct_tsv(url: str, query: str) -> list[tuple[str, ...]]:
    resp = requests.post(url, data=query.encode("utf-8"), timeout=30,
                         headers={"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"})
    resp.raise_for_status()
    return tsv_rows(resp.text)


def curl(accept: str | None):
    def run(url: str, query: str) -> list[tuple[str, ...]]:
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed")
        args = ["curl", "--silent", "--show-error", "--fail", "--get", "--data-urlencode", "query@-", url]
        if accept:
            args[1:1] = ["-H", f"Accept: {accept}"]
        out = subprocess.run(args, input=query, capture_output=True, text=True, timeout=30, check=True).stdout
        return csv_rows(out) if accept == "text/csv" else json_rows(json.loads(out))  # curl's own Accept is */*
    return run


CLIENTS = {
    "sparqlwrapper-json": sparqlwrapper(JSON),
    "sparqlwrapper-json-post": sparqlwrapper(JSON, POST),
    "sparqlwrapper-xml": sparqlwrapper(XML),
    "sparqlwrapper-csv": sparqlwrapper(CSV),
    "sparqlwrapper-tsv": sparqlwrapper(TSV),
    "rdflib-sparqlstore": rdflib_sparqlstore,
    "requests-get-json": requests_get_json,
    "requests-post-form-csv": requests_post_form_csv,
    "requests-post-direct-tsv": requests_post_direct_tsv,
    "curl-default-accept": curl(None),
    "curl-csv": curl("text/csv"),
}


def test_readme_has_three_example_queries():
    assert len(README_QUERIES) == 3


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("query", README_QUERIES, ids=["roles", "zones-by-province", "declared-zones"])
def test_readme_query_through_each_client(server, dataset_store, client, query):
    expected = expected_rows(dataset_store, query)
    assert expected, "a README example query returned no rows in process"
    rows = CLIENTS[client](server.url, query)
    assert len(rows) == len(expected)
    assert [r[0] for r in rows] == [r[0] for r in expected]  # the first column is the ORDER BY key


# --- graphs through SPARQLWrapper and rdflib -------------------------------------------------------


def _expected_triples(store, query: str) -> int:
    return len({str(t) for t in run_query(store, query)})


def test_sparqlwrapper_construct_as_turtle(server, dataset_store):
    client = SPARQLWrapper(server.url)
    client.setQuery(ZONE_FACTS)
    client.setReturnFormat(TURTLE)
    result = client.query()
    assert result.response.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=result.convert(), format="turtle")
    assert len(graph) == _expected_triples(dataset_store, ZONE_FACTS)


def test_sparqlwrapper_construct_as_jsonld(server, dataset_store):
    client = SPARQLWrapper(server.url)
    client.setQuery(ZONE_FACTS)
    client.setReturnFormat(JSONLD)
    graph = client.query().convert()
    assert len(graph) == _expected_triples(dataset_store, ZONE_FACTS)


def test_sparqlwrapper_construct_with_its_default_format(server, dataset_store):
    client = SPARQLWrapper(server.url)
    client.setQuery(ZONE_FACTS)  # returnFormat left at its default, XML
    graph = client.query().convert()
    assert len(graph) == _expected_triples(dataset_store, ZONE_FACTS)


@pytest.mark.filterwarnings("ignore:Sending Accept header:RuntimeWarning")  # SPARQLWrapper's, for RDF
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [RDFXML, RDF_FORMAT])
def test_sparqlwrapper_construct_as_rdfxml(server, dataset_store, fmt, method):
    """RDFXML sends format=rdf+xml&format=application/rdf+xml (and the same as output= and results=)."""
    client = SPARQLWrapper(server.url)
    client.setQuery(ZONE_FACTS)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    result = client.query()
    assert result.response.headers["Content-Type"].startswith("application/rdf+xml")
    assert len(result.convert()) == _expected_triples(dataset_store, ZONE_FACTS)


def _ask(server, query: str) -> bool:
    resp = requests.get(server.url, params={"query": query}, headers={"Accept": "application/sparql-results+json"},
                        timeout=30)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp.json()["boolean"]


def test_sparqlwrapper_and_rdflib_update_with_http_basic(server):
    """SPARQLWrapper's setCredentials and rdflib's auth= send HTTP Basic: any name, the token as password."""
    token = add_curator(server.data, "real-client")  # the running server reads the tokens file again
    graph = "http://example.org/real-client-graph"
    listed = f"ASK {{ GRAPH ?g {{}} FILTER(?g = <{graph}>) }}"
    writer = SPARQLWrapper(server.url)
    writer.setCredentials("real-client", "not-" + token)
    writer.setMethod(POST)
    writer.setQuery(f'INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> "by SPARQLWrapper" }} }}')
    with pytest.raises(Unauthorized):
        writer.query()
    writer.setCredentials("anyone", token)
    assert writer.query().response.status == 204
    assert _ask(server, listed) is True
    store = SPARQLUpdateStore(server.url, server.url, auth=("anyone", token))
    store.update(f"DROP GRAPH <{graph}>")
    assert _ask(server, listed) is False  # gone, not only empty
    assert f"<{graph}>" not in requests.get(server.url, headers={"Accept": "text/turtle"}, timeout=30).text


def test_sparqlwrapper_ask(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(ASK_ZONE)
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_reports_a_malformed_query_with_its_position(server):
    client = SPARQLWrapper(server.url)
    client.setQuery("SELECT ?zone WHERE {\n  ?zone a pk:PilotZone\n} LIMIT x")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match=r"line 3, column 9"):
        client.query()


def test_rdflib_sparqlstore_as_a_graph(server, dataset_store, built):
    graph = Graph(store=SPARQLStore(server.url))
    zones = set(graph.subjects(RDF.type, PK.PilotZone))
    expected = {URIRef(r[0]) for r in expected_rows(dataset_store, "SELECT ?z WHERE { ?z a pk:PilotZone }")}
    assert len(zones) == 21 and zones == expected
    triples = list(graph.triples((URIRef("https://w3id.org/pilotkg/id/zone/hejiang-county"), None, None)))
    assert len(triples) == _expected_triples(dataset_store, "CONSTRUCT WHERE { <https://w3id.org/pilotkg/id/zone/hejiang-county> ?p ?o }")
    assert graph.query(ASK_ZONE).askAnswer is True
    assert len(graph.query(ZONE_FACTS).graph) == _expected_triples(dataset_store, ZONE_FACTS)
    # the default graph is a set: a triple stated in two graphs counts once
    distinct = {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(built.nquads_path), format=ox.RdfFormat.N_QUADS)}
    assert len(graph) == len(distinct) < sum(1 for line in built.nquads_path.read_text("utf-8").splitlines() if line.strip())


# --- requests with the headers other clients send --------------------------------------------------


@pytest.mark.parametrize("accept, query, media", [
    ("application/sparql-results+json,*/*;q=0.9", ASK_ZONE, "application/sparql-results+json"),  # YASGUI
    ("text/turtle,*/*;q=0.9", ZONE_FACTS, "text/turtle"),  # YASGUI (older @triply/yasqe)
    ("application/n-triples,*/*;q=0.9", ZONE_FACTS, "application/n-triples"),  # YASGUI (yasqe defaults.ts today)
    ("application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7", ASK_ZONE,
     "application/sparql-results+json"),  # Comunica (fetch-sparql-endpoint)
    ("text/turtle", ZONE_FACTS, "text/turtle"),  # Comunica, CONSTRUCT
    ("application/sparql-results+xml", ASK_ZONE, "application/sparql-results+xml"),  # rdflib SPARQLStore
], ids=["yasgui-ask", "yasgui-construct", "yasgui-construct-ntriples", "comunica-ask", "comunica-construct", "rdflib-ask"])
def test_requests_with_client_headers(server, accept, query, media):
    resp = requests.post(server.url, data={"query": query}, timeout=30,
                         headers={"Accept": accept, "Origin": "https://example.org"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].split(";")[0] == media
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_service_description_and_health_over_http(server, built):
    sd = requests.get(server.url, headers={"Accept": "text/turtle"}, timeout=30)
    assert sd.status_code == 200 and sd.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=sd.text, format="turtle")
    assert (URIRef(server.url), URIRef("http://www.w3.org/ns/sparql-service-description#endpoint"),
            URIRef(server.url)) in graph
    health = requests.get(server.base + "/health", timeout=30).json()
    lines = sum(1 for line in built.nquads_path.read_text("utf-8").splitlines() if line.strip())
    assert health["status"] == "ok" and health["store_open"] is True and health["triples"] == lines


def test_preflight_over_http(server):
    resp = requests.options(server.url, timeout=30, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


# --- limits and safety on the real process ---------------------------------------------------------


def test_a_query_past_the_time_limit_is_stopped_while_another_is_answered(server):
    slow: dict = {}

    def run_slow():
        started = time.perf_counter()
        resp = requests.post(server.url, data={"query": CARTESIAN}, timeout=60)
        slow.update(status=resp.status_code, text=resp.text, seconds=time.perf_counter() - started)

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.5)
    started = time.perf_counter()
    quick = requests.get(server.url, params={"query": ASK_ZONE}, timeout=30)
    quick_seconds = time.perf_counter() - started
    thread.join(60)
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert quick_seconds < 1.0
    assert slow["status"] == 503
    assert f"time limit of {QUERY_TIMEOUT} s" in slow["text"]
    assert QUERY_TIMEOUT <= slow["seconds"] < QUERY_TIMEOUT + 5
    for _ in range(4):  # the killed worker was replaced
        assert requests.get(server.url, params={"query": ASK_ZONE}, timeout=30).status_code == 200


def test_service_never_opens_a_connection(server):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.1)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        accepted = []
        stop = threading.Event()

        def accept_loop():
            while not stop.is_set():
                try:
                    conn, addr = listener.accept()
                except (socket.timeout, OSError):
                    continue
                accepted.append(addr)
                conn.close()

        thread = threading.Thread(target=accept_loop, daemon=True)
        thread.start()
        resp = requests.get(server.url, timeout=30,
                            params={"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"})
        time.sleep(0.3)
        stop.set()
        thread.join(2)
    assert resp.status_code == 400
    assert "SERVICE is not allowed" in resp.text
    assert accepted == []
