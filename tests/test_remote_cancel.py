"""A query that pilotkg stops over a remote store (``--store``) does not go on running there.

What each engine allows, and what these tests hold (see the README's table):

* Fuseki and Virtuoso take a per-request time limit (``timeout=``, seconds and milliseconds):
  :class:`RemoteStore` sends it when it knows pilotkg's limit (``query_timeout``), a little past
  it. No Fuseki or Virtuoso here: a loopback stand-in answers with their ``Server`` header and
  records what it was sent.
* Oxigraph server has no per-request limit. A real ``oxigraph serve`` on 127.0.0.1 shows that
  (1) a query that streams rows stops once the process that asked is killed (as pilotkg kills a
  worker past the limit) and its connection closes; (2) a query that writes nothing until it ends
  (an aggregate, or a FILTER no row passes) does *not* stop then, and keeps a core busy;
  (3) ``oxigraph serve --timeout-s N`` stops these queries after N seconds, and RemoteStore
  reports the cut-off answer as an error, never as a partial result; (4) but not a cross product
  of larger inputs (10,000 triples asked with ``default-graph-uri``), which runs on; (5) end to end, ``pilotkg serve --store``
  answers 503 and the store stops the query at its own ``--timeout-s``.

"Busy" is measured as the CPU time of the ``oxigraph`` process (``/proc/PID/stat``), so these
tests run on Linux only.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from support import console_script, free_port

from pilotkg.graph.store import StoreError
from pilotkg.graph.store_remote import MERGED_GRAPH, RemoteStore, StoreQueryStopped

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="measures CPU time in /proc (Linux)")

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
TRIPLES = 3000
# Three-way cross joins over 3000 triples: 2.7e10 combinations, far past any time limit.
COUNTING = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z }"
SILENT = "SELECT * WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z FILTER(?x + ?y + ?z = -1) }"  # no row ever
# About one combination in a thousand passes, evenly spread: rows keep coming, a few a millisecond.
STREAMING = 'SELECT * WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z FILTER(STRENDS(STR(?x + ?y + ?z), "000")) }'
HEAVY_GRAPH = "http://example.org/heavy"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"  # no shared variable
LIGHT = "ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_growth(pid: int, seconds: float = 1.5) -> float:
    """CPU seconds the process uses over the next ``seconds``."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before


class Oxigraph:
    """A real ``oxigraph serve`` (in memory) on 127.0.0.1 with 3000 integer-valued triples."""

    def __init__(self, *extra: str, triples: int = TRIPLES, graph: str | None = None):
        binary = console_script("oxigraph")
        if not binary:
            pytest.skip("needs the `oxigraph` server (pip install oxigraph)")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen([binary, "serve", "--bind", self.url[len("http://"):], *extra],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/query", params={"query": "ASK {}"}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "oxigraph serve did not start"
            time.sleep(0.1)
        data = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}"^^<{XSD_INTEGER}> .\n'
                       for i in range(triples))
        # without a graph: into the graph RemoteStore sends as the default graph (pilotkg's merged graph)
        target = urllib.parse.urlencode({"graph": graph or MERGED_GRAPH})
        requests.post(f"{self.url}/store?{target}", data=data.encode(),
                      headers={"Content-Type": "application/n-triples"}, timeout=30).raise_for_status()

    @property
    def pid(self) -> int:
        return self.process.pid

    def light_query_seconds(self) -> float:
        """How long a light query sent straight to the store takes to answer."""
        started = time.monotonic()
        response = requests.get(self.url + "/query", params={"query": LIGHT}, timeout=30,
                                headers={"Accept": "application/sparql-results+json"})
        assert response.ok and response.json()["boolean"] is True
        return time.monotonic() - started

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def oxigraph():
    started: list[Oxigraph] = []

    def start(*extra: str, **data) -> Oxigraph:
        server = Oxigraph(*extra, **data)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _ask_the_store(url: str, query: str) -> None:  # pragma: no cover - runs in the child
    """What a query worker does: send the query through RemoteStore and read the answer."""
    result = RemoteStore(url).query(query)
    for _ in result:
        pass


def run_and_kill(url: str, query: str, after: float) -> None:
    """Send ``query`` from a child process and kill the child after ``after`` seconds, as the
    query pool kills a worker past its time limit (its connection closes with it)."""
    child = mp.get_context("spawn").Process(target=_ask_the_store, args=(url, query), daemon=True)
    child.start()
    time.sleep(after)
    assert child.is_alive(), "the query ended by itself; it is not heavy enough for this test"
    os.kill(child.pid, signal.SIGKILL)
    child.join(5)


# --- what pilotkg sends: the engine's own time limit ----------------------------------------------------


class _StandIn(BaseHTTPRequestHandler):
    """Answers every query with an empty result, under the configured Server header."""

    server_header = "Apache Jena Fuseki (5.1.0)"
    extra_headers: dict[str, str] = {}
    seen: list[tuple[str, dict]] = []

    def version_string(self) -> str:
        return self.server_header

    def do_GET(self):  # noqa: N802 - the engine probe: a GET of the query URL
        self.seen.append(("GET", {}))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):  # noqa: N802 - the http.server name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            params.update(urllib.parse.parse_qs(body))
            body = params.pop("query", [""])[0]
        self.seen.append((body, params))
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        payload = (b'{"head":{},"boolean":true}' if "ASK" in body
                   else b'{"head":{"vars":["x"]},"results":{"bindings":[]}}')
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stand_in():
    """A loopback HTTP server posing as an engine; yields (url, handler class)."""
    handler = type("Handler", (_StandIn,), {"seen": [], "extra_headers": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ds/sparql", handler
    finally:
        server.shutdown()
        server.server_close()


GRAPHS = {"default_graphs": ["http://example.org/g"], "named_graphs": ["http://example.org/g"]}


@pytest.mark.parametrize("server_header, expected", [
    ("Apache Jena Fuseki (5.1.0)", ["11"]),  # seconds: pilotkg's 10 s + 1 s
    ("Virtuoso/08.03.3330 (Linux) x86_64-generic-linux-glibc25  VDB", ["11000"]),  # milliseconds
    ("Oxigraph/0.5.13", None),  # no per-request limit
    ("nginx", None),  # unknown engine: nothing that could mean the wrong unit
])
def test_the_engine_gets_its_own_time_limit(stand_in, server_header, expected):
    url, handler = stand_in
    handler.server_header = server_header
    store = RemoteStore(url, query_timeout=10)
    list(store.query("SELECT ?x WHERE { ?x ?p ?o }", **GRAPHS))
    probe, (query, params) = handler.seen[0], handler.seen[-1]
    assert probe[0] == "GET"  # the engine is learnt once, from the Server header of a GET
    assert "SELECT ?x" in query
    assert params.get("timeout") == expected
    assert params["default-graph-uri"] == ["http://example.org/g"]
    list(store.query("SELECT ?x WHERE { ?x ?p ?o }", **GRAPHS))
    assert len(handler.seen) == 3  # no second probe


def test_no_time_limit_is_sent_without_query_timeout(stand_in):
    url, handler = stand_in
    list(RemoteStore(url).query("SELECT ?x WHERE { ?x ?p ?o }", **GRAPHS))
    assert [body for body, _ in handler.seen][0] == "GET"  # the probe: queries go as the engine needs them
    assert len(handler.seen) == 2 and "timeout" not in handler.seen[1][1]


def test_a_partial_virtuoso_answer_is_an_error(stand_in):
    url, handler = stand_in
    handler.server_header = "Virtuoso/08.03.3330 (Linux)"
    handler.extra_headers = {"X-SQL-State": "S1TAT",
                             "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout."}
    with pytest.raises(StoreQueryStopped, match="incomplete results"):
        RemoteStore(url, query_timeout=5).query("SELECT ?x WHERE { ?x ?p ?o }", **GRAPHS)


# --- Oxigraph server: what stops a query --------------------------------------------------------------


def test_oxigraph_stops_a_streaming_query_when_the_worker_is_killed(oxigraph):
    server = oxigraph()
    run_and_kill(server.url, STREAMING, after=2.0)
    time.sleep(1.0)  # the store notices the closed connection at its next write
    assert cpu_growth(server.pid) < 0.3
    assert server.light_query_seconds() < 1.0


@pytest.mark.parametrize("query", [COUNTING, SILENT], ids=["aggregate", "filter-without-rows"])
def test_oxigraph_without_timeout_keeps_running_a_query_that_writes_nothing(oxigraph, query):
    """The limit of closing the connection: Oxigraph only notices when it writes. This is why
    the README asks for ``oxigraph serve --timeout-s``."""
    server = oxigraph()
    run_and_kill(server.url, query, after=2.0)
    time.sleep(1.0)
    assert cpu_growth(server.pid) > 0.7  # still a core busy with a query nobody waits for


@pytest.mark.parametrize("query", [COUNTING, SILENT], ids=["aggregate", "filter-without-rows"])
def test_oxigraph_timeout_stops_every_query_and_the_cut_answer_is_an_error(oxigraph, query):
    server = oxigraph("--timeout-s", "2")
    store = RemoteStore(server.url)
    started = time.monotonic()
    with pytest.raises(StoreQueryStopped, match="cancelled"):
        list(store.query(query))
    assert 1.5 < time.monotonic() - started < 6
    assert cpu_growth(server.pid) < 0.3
    assert server.light_query_seconds() < 1.0


def test_oxigraph_timeout_does_not_stop_every_query(oxigraph):
    """The limit of ``--timeout-s`` (measured with Oxigraph 0.5.13): a three-way cross product
    (no shared variable) over 10,000 triples of a named graph, asked with ``default-graph-uri`` as
    pilotkg asks (its union default graph), runs on past the store's time limit, while the same
    query over 3,000 triples stops. Only stopping the store ends it."""
    server = oxigraph("--timeout-s", "1", triples=10_000, graph=HEAVY_GRAPH)
    store = RemoteStore(server.url, timeout=4)
    with pytest.raises(StoreError, match="no answer within 4 s"):
        store.query(CROSS_PRODUCT, default_graphs=[HEAVY_GRAPH], named_graphs=[HEAVY_GRAPH])
    assert cpu_growth(server.pid) > 0.5


# --- end to end: pilotkg serve --store over oxigraph serve --timeout-s -------------------------------------

def test_pilotkg_answers_503_and_the_store_stops_the_query(oxigraph, built, tmp_path):
    pilotkg = console_script("pilotkg")
    if not pilotkg:
        pytest.skip("needs the `pilotkg` command")
    # The store holds a named graph, so serve does not load the dataset into it.
    server = oxigraph("--timeout-s", "4", graph=HEAVY_GRAPH)
    data = tmp_path / "data"
    shutil.copytree(built.data_dir, data, ignore=shutil.ignore_patterns("store", "store-dataset.sha256"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        serve = subprocess.Popen([pilotkg, "--data", str(data), "serve", "--port", str(port), "--store", server.url,
                                  "--workers", "1", "--query-timeout", "2"], stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert serve.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(base + "/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        heavy = COUNTING.replace(" WHERE", f" FROM <{HEAVY_GRAPH}> WHERE")
        started = time.monotonic()
        response = requests.get(base + "/sparql", params={"query": heavy}, timeout=60)
        answered = time.monotonic() - started
        assert response.status_code == 503 and "time limit" in response.text
        assert answered < 4  # pilotkg's own limit (2 s) answers, before the store's (4 s)
        time.sleep(max(0.0, 4.5 - answered))  # the store's --timeout-s has passed
        assert cpu_growth(server.pid) < 0.3
        assert server.light_query_seconds() < 1.0
        ok = requests.get(base + "/sparql", params={"query": f"ASK FROM <{HEAVY_GRAPH}> {{ ?s ?p ?o }}"}, timeout=30)
        assert ok.status_code == 200 and ok.json()["boolean"] is True
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(15)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
