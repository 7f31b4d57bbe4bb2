"""The store interface, run against both implementations with the same tests.

``embedded`` is :class:`EmbeddedStore` (pyoxigraph on RocksDB in a temp folder);
``remote`` is :class:`RemoteStore` talking HTTP to a real ``oxigraph serve``
process that a session fixture starts on 127.0.0.1 (PyPI package ``oxigraph``).
Each test starts from the built dataset, loaded with ``replace_all``.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.graph import store_remote
from pilotkg.graph.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, REFERENCE_GRAPH
from pilotkg.graph.sparql_safety import RemoteAccessRefused
from pilotkg.graph.store import EmbeddedStore, StoreError, open_store
from pilotkg.graph.store_remote import RemoteStore

PKR = "https://w3id.org/pilotkg/id/"
PK = "https://w3id.org/pilotkg/ontology#"
URBAN_RURAL = PKR + "programme/national-urban-rural-integration-pilot-zones"
URBAN_RURAL_SOURCE = PKR + "graph/source/001-e77d55302f611b21"  # where its zones' inProgramme facts are
NEW_GRAPH = "http://example.org/graph/test"

ZONES_WITH_PROVINCES = f"""
SELECT ?zone ?province WHERE {{
  ?zone pk:inProgramme <{URBAN_RURAL}> ;
        pk:inProvince ?province .
}} ORDER BY ?zone ?province
"""
# inProgramme is in a source graph, inProvince in the inferred graph, the label in the reference graph.
ZONES_WITH_PROVINCE_LABELS = f"""
SELECT ?zone ?label WHERE {{
  ?zone pk:inProgramme <{URBAN_RURAL}> ;
        pk:inProvince ?province .
  ?province rdfs:label ?label .
  FILTER(LANG(?label) = "en")
}} ORDER BY ?zone
"""
ZONES_OF_PROGRAMME = f"SELECT ?zone WHERE {{ ?zone pk:inProgramme <{URBAN_RURAL}> }} ORDER BY ?zone"
INSERT_ONE = f"INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ <http://example.org/a> rdfs:label \"added\"@en }} }}"
TURTLE = b"""@prefix ex: <http://example.org/> .
ex:zone ex:name "Test zone"@en , "\xe8\xaf\x95\xe7\x82\xb9"@zh ;
        ex:count 3 .
"""


# -- the oxigraph server -------------------------------------------------------


def _oxigraph_command() -> str | None:
    """The `oxigraph` console script beside this Python first, then PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


OXIGRAPH = _oxigraph_command()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    pristine: bool = False  # holds exactly the built dataset (no test wrote since the last replace_all)


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory):
    """A fresh `oxigraph serve` on 127.0.0.1 (RocksDB in a temp folder), for the whole session."""
    if not OXIGRAPH:
        pytest.skip("the `oxigraph` server binary is not installed (pip install oxigraph)")
    folder = tmp_path_factory.mktemp("oxigraph")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oxigraph serve exited with {proc.returncode}:\n{(folder / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"oxigraph serve did not answer on {url} within 30 s")
                time.sleep(0.1)
        yield Server(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# -- the stores ----------------------------------------------------------------
#
# Every store holds the built dataset when a test starts. An embedded store is
# new for each test. The server is shared, and reloading it is not free (Oxigraph
# keeps the deletions of each replace_all in its memtable, so each reload is
# slower than the last), so it is reloaded only after a test that writes: read
# tests use `store`/`both`, tests that write use `writable`/`both_writable`.


def _make(kind: str, request, tmp_path: Path, nquads: Path, *, writes: bool):
    if kind == "embedded":
        store = EmbeddedStore(tmp_path / f"store-{kind}")
        store.replace_all(nquads)
        return store
    server: Server = request.getfixturevalue("oxigraph")
    store = RemoteStore(server.url)
    if writes or not server.pristine:
        store.replace_all(nquads)
    server.pristine = not writes
    return store


@pytest.fixture(params=["embedded", "remote"])
def store(request, tmp_path, built):
    """Each implementation in turn, holding the built dataset; for tests that only read."""
    s = _make(request.param, request, tmp_path, built.nquads_path, writes=False)
    yield s
    s.close()


@pytest.fixture(params=["embedded", "remote"])
def writable(request, tmp_path, built):
    """Each implementation in turn, holding the built dataset; for tests that write."""
    s = _make(request.param, request, tmp_path, built.nquads_path, writes=True)
    yield s
    s.close()


def _both(request, tmp_path, built, writes: bool):
    stores = tuple(_make(kind, request, tmp_path, built.nquads_path, writes=writes) for kind in ("embedded", "remote"))
    yield stores
    for s in stores:
        s.close()


@pytest.fixture
def both(request, tmp_path, built):
    """(embedded, remote), both holding the built dataset; for tests that only read."""
    yield from _both(request, tmp_path, built, writes=False)


@pytest.fixture
def both_writable(request, tmp_path, built):
    """(embedded, remote), both holding the built dataset; for tests that write."""
    yield from _both(request, tmp_path, built, writes=True)


def rows(result) -> list[tuple[str, ...]]:
    names = [v.value for v in result.variables]
    return [tuple(str(sol[n]) for n in names) for sol in result]


def dataset_graphs(nquads: Path) -> set[str]:
    return {re.search(r"<([^>]*)> \.$", line).group(1) for line in nquads.read_text("utf-8").splitlines() if line}


# -- reading -------------------------------------------------------------------


def test_count_is_the_number_of_quads(store, built):
    lines = [line for line in built.nquads_path.read_text("utf-8").splitlines() if line.strip()]
    assert store.count() == len(lines)


def test_graphs_are_the_eight_named_graphs(store, built):
    graphs = store.graphs()
    assert graphs == sorted(graphs)
    assert len(graphs) == 8
    assert set(graphs) == dataset_graphs(built.nquads_path)
    assert {str(ONTOLOGY_GRAPH), str(REFERENCE_GRAPH), str(INFERRED_GRAPH)} < set(graphs)
    assert sum(g.startswith(PKR + "graph/source/") for g in graphs) == 5


def test_same_select_gives_the_same_rows(both):
    embedded, remote = both
    got = [rows(s.query(ZONES_WITH_PROVINCES)) for s in both]
    assert len(got[0]) == 11
    assert got[0] == got[1]
    assert all(isinstance(s.query(ZONES_WITH_PROVINCES), ox.QuerySolutions) for s in both)


def test_default_graph_is_the_union_of_the_named_graphs(store):
    # The three facts of each row live in three different graphs ...
    where = store.query(
        f"""SELECT DISTINCT ?g1 ?g2 ?g3 WHERE {{
          GRAPH ?g1 {{ ?zone pk:inProgramme <{URBAN_RURAL}> }}
          GRAPH ?g2 {{ ?zone pk:inProvince ?province }}
          GRAPH ?g3 {{ ?province rdfs:label ?label }}
        }}"""
    )
    assert {(s["g1"].value, s["g2"].value, s["g3"].value) for s in where} == {
        (URBAN_RURAL_SOURCE, str(INFERRED_GRAPH), str(REFERENCE_GRAPH))
    }
    # ... and the default graph joins them.
    result = rows(store.query(ZONES_WITH_PROVINCE_LABELS))
    assert len(result) == 11
    assert (f"<{PKR}zone/zhejiang-jiahu>", '"Zhejiang"@en') in result


def test_default_graphs_limit_the_default_graph(store):
    assert len(rows(store.query(ZONES_OF_PROGRAMME, default_graphs=[URBAN_RURAL_SOURCE]))) == 11
    # pk:inProvince is in the inferred graph, outside this default graph
    assert rows(store.query(ZONES_WITH_PROVINCES, default_graphs=[URBAN_RURAL_SOURCE])) == []
    assert rows(store.query(ZONES_OF_PROGRAMME, default_graphs=[str(REFERENCE_GRAPH)])) == []


def test_named_graphs_limit_graph_patterns(store):
    result = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=[str(REFERENCE_GRAPH)])
    assert rows(result) == [(f"<{REFERENCE_GRAPH}>",)]


def test_query_with_from_uses_its_own_dataset(store, request):
    query = f"SELECT ?zone ?province FROM <{URBAN_RURAL_SOURCE}> WHERE {{ ?zone pk:inProgramme <{URBAN_RURAL}> ; pk:inProvince ?province }}"
    assert rows(store.query(query)) == []


def test_ask(store):
    yes = store.query(f"ASK {{ ?zone pk:inProgramme <{URBAN_RURAL}> }}")
    no = store.query("ASK { ?s pk:noSuchProperty ?o }")
    assert isinstance(yes, ox.QueryBoolean) and isinstance(no, ox.QueryBoolean)
    assert bool(yes) is True and bool(no) is False


def test_construct(both):
    query = f"CONSTRUCT {{ ?zone pk:inProvince ?p }} WHERE {{ ?zone pk:inProgramme <{URBAN_RURAL}> ; pk:inProvince ?p }}"
    results = [s.query(query) for s in both]
    assert all(isinstance(r, ox.QueryTriples) for r in results)
    triples = [sorted(str(t) for t in r) for r in results]
    assert len(triples[0]) == 11
    assert triples[0] == triples[1]
    assert all(isinstance(t, ox.Triple) for t in both[1].query(query))
    nt = both[1].query(query).serialize(format=ox.RdfFormat.N_TRIPLES).decode()
    assert sorted(nt.splitlines()) == sorted(t + " ." for t in triples[0])


def test_declared_prefix_wins_over_the_predeclared_one(store):
    result = store.query("PREFIX pk: <http://example.org/other#>\nSELECT (pk:x AS ?x) WHERE {}")
    assert rows(result) == [("<http://example.org/other#x>",)]


# -- bad queries -----------------------------------------------------------------


def test_malformed_query_raises_syntax_error_with_the_position(both):
    query = "SELECT ?zone\nWHERE {\n  ?zone pk:inProgramme }\n"
    messages = []
    for s in both:
        with pytest.raises(SyntaxError) as err:
            s.query(query)
        messages.append(str(err.value))
    positions = [re.search(r"error at (\d+:\d+)", m) for m in messages]
    assert all(positions), messages
    # the position points into the query as written (the remote store's PREFIX lines are not counted)
    assert positions[0].group(1) == positions[1].group(1)
    assert positions[0].group(1).startswith("3:")


def test_malformed_update_raises_syntax_error(writable):
    with pytest.raises(SyntaxError):
        writable.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> ")


@pytest.fixture
def listener():
    """A TCP socket on 127.0.0.1 that records whether anything connected to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.3)

    def connected() -> bool:
        try:
            conn, _ = sock.accept()
        except (TimeoutError, socket.timeout):
            return False
        conn.close()
        return True

    yield sock.getsockname()[1], connected
    sock.close()


def test_service_and_load_are_refused_without_any_connection(store, listener):
    port, connected = listener
    with pytest.raises(RemoteAccessRefused):
        store.query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}")
    with pytest.raises(RemoteAccessRefused):
        store.update(f"LOAD <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <{NEW_GRAPH}>")
    assert not connected()


def test_remote_store_refuses_before_sending(listener):
    port, connected = listener
    s = RemoteStore(f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(RemoteAccessRefused):
        s.query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(RemoteAccessRefused):
        s.update("LOAD <http://example.org/data.ttl>")
    assert not connected()


def test_remote_store_where_nothing_listens():
    url = f"http://127.0.0.1:{_free_port()}"
    s = RemoteStore(url, timeout=5)
    for call in (lambda: s.query("ASK {}"), s.count, s.graphs, s.dump, lambda: s.update(INSERT_ONE)):
        with pytest.raises(StoreError) as err:
            call()
        assert url in str(err.value)


# -- writing ---------------------------------------------------------------------


def test_update_adds_a_quad(writable):
    before = writable.count()
    writable.update(INSERT_ONE)
    assert writable.count() == before + 1
    assert NEW_GRAPH in writable.graphs()
    assert bool(writable.query('ASK { <http://example.org/a> rdfs:label "added"@en }'))  # seen in the union


def test_a_graph_whose_last_triple_is_removed_is_no_longer_listed(writable):
    """pyoxigraph and Oxigraph keep a named graph after its last triple is removed; the store
    forgets it (embedded: a write removes it; remote: graphs() lists only graphs with triples)."""
    quad = ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("x"),
                   ox.NamedNode(NEW_GRAPH))
    writable.write([], [quad])
    assert NEW_GRAPH in writable.graphs()
    writable.write([quad], [])
    assert NEW_GRAPH not in writable.graphs()
    listed = {str(row["g"].value) for row in writable.query("SELECT ?g WHERE { GRAPH ?g {} }")}
    assert NEW_GRAPH not in listed


def test_load_turtle_into_a_graph(writable):
    before = writable.count()
    writable.load(TURTLE, "turtle", NEW_GRAPH)
    assert writable.count() == before + 3
    assert NEW_GRAPH in writable.graphs()
    result = writable.query('SELECT ?n WHERE { ?z <http://example.org/name> ?n } ORDER BY ?n', default_graphs=[NEW_GRAPH])
    assert rows(result) == [('"Test zone"@en',), ('"试点"@zh',)]


def test_load_bad_turtle_raises_syntax_error(writable):
    before = writable.count()
    with pytest.raises(SyntaxError):
        writable.load(b"<http://example.org/a> <http://example.org/b> ", "turtle", NEW_GRAPH)
    assert writable.count() == before


def test_replace_all_forgets_what_was_added(writable, built):
    before = writable.count()
    writable.update(INSERT_ONE)
    writable.replace_all(built.nquads_path)
    assert writable.count() == before
    assert NEW_GRAPH not in writable.graphs()


def test_dump_is_sorted_nquads_and_equal_between_stores(both_writable, built):
    initial = [s.dump() for s in both_writable]
    assert initial[0] == initial[1]
    assert initial[0] == built.nquads_path.read_bytes()  # the build writes sorted N-Quads too
    for s in both_writable:
        s.update(INSERT_ONE)
        s.load(TURTLE, "turtle", NEW_GRAPH)
        s.load(b'<http://example.org/q> <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> <http://example.org/graph/q> .\n', "nquads")
        # a dataset format with a target graph: default-graph triples go there, named graphs stay
        s.load(b'<http://example.org/t> <http://example.org/p> "in the default graph" .\n'
               b'<http://example.org/graph/t> { <http://example.org/t> <http://example.org/p> "named" . }\n', "trig", NEW_GRAPH)
    dumps = [s.dump() for s in both_writable]
    assert dumps[0] == dumps[1]
    lines = dumps[0].decode("utf-8").splitlines()
    assert lines == sorted(lines)
    assert len(lines) == both_writable[0].count() == both_writable[1].count()
    assert len(list(ox.parse(dumps[0], format=ox.RdfFormat.N_QUADS))) == len(lines)
    assert f'<http://example.org/t> <http://example.org/p> "in the default graph" <{NEW_GRAPH}> .' in lines
    assert '<http://example.org/t> <http://example.org/p> "named" <http://example.org/graph/t> .' in lines


def test_literals_are_canonicalised_alike(both_writable):
    """Oxigraph (server and pyoxigraph alike) stores "01"^^xsd:integer as "1" and lowercases language tags."""
    data = b'<http://example.org/s> <http://example.org/p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> , "x"@EN .\n'
    for s in both_writable:
        s.load(data, "turtle", NEW_GRAPH)
    result = [rows(s.query("SELECT ?o WHERE { <http://example.org/s> ?p ?o } ORDER BY STR(?o)")) for s in both_writable]
    assert result[0] == result[1] == [('"1"^^<http://www.w3.org/2001/XMLSchema#integer>',), ('"x"@en',)]


# -- the embedded store's read-only handle ---------------------------------------------


def test_read_only_handle_sees_writes_after_reopen(tmp_path, built):
    writer = EmbeddedStore(tmp_path / "store")
    writer.load(built.nquads_path.read_bytes(), "nquads")  # a transactional load: see the next test for replace_all
    reader = EmbeddedStore(tmp_path / "store", read_only=True)
    before = reader.count()
    writer.update(INSERT_ONE)
    assert writer.count() == before + 1
    assert reader.count() == before
    assert NEW_GRAPH not in reader.graphs()
    reader.reopen()
    assert reader.count() == before + 1
    assert NEW_GRAPH in reader.graphs()
    assert bool(reader.query('ASK { <http://example.org/a> rdfs:label "added"@en }'))
    reader.close()
    writer.close()


def test_read_only_handle_right_after_replace_all(tmp_path, built):
    for attempt in range(10):
        writer = EmbeddedStore(tmp_path / f"store-{attempt}")
        writer.replace_all(built.nquads_path)
        reader = EmbeddedStore(tmp_path / f"store-{attempt}", read_only=True)
        assert reader.count() == writer.count()
        assert reader.graphs() == writer.graphs()
        assert len(list(reader.query("SELECT * WHERE { ?s ?p ?o }"))) > 0
        reader.close()
        writer.close()


# -- the remote store's HTTP details ----------------------------------------------------


def test_endpoints_are_derived():
    root = RemoteStore("http://127.0.0.1:7878", engine="oxigraph")
    assert (root.query_url, root.update_url, root.store_url) == (
        "http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store")
    assert RemoteStore("http://h:7878/query", engine="oxigraph").store_url == "http://h:7878/store"
    fuseki = RemoteStore("http://h:3030/ds/sparql", engine="fuseki")
    assert (fuseki.update_url, fuseki.store_url) == ("http://h:3030/ds/update", "http://h:3030/ds/data")
    virtuoso = RemoteStore("http://h:8890/sparql", engine="virtuoso")
    assert (virtuoso.query_url, virtuoso.update_url, virtuoso.store_url) == (
        "http://h:8890/sparql", "http://h:8890/sparql", "http://h:8890/sparql-graph-crud")
    assert RemoteStore("http://h:8890", engine="virtuoso").query_url == "http://h:8890/sparql"
    other = RemoteStore("http://h/endpoint", update_url="http://h/u", store_url="http://h/gsp", engine="other")
    assert (other.query_url, other.update_url, other.store_url) == ("http://h/endpoint", "http://h/u", "http://h/gsp")
    given = RemoteStore("http://h:8890/sparql", engine="virtuoso", store_url="http://h:8890/sparql-graph-crud-auth")
    assert (given.update_url, given.store_url) == ("http://h:8890/sparql", "http://h:8890/sparql-graph-crud-auth")
    with pytest.raises(StoreError, match="--store-update"):
        RemoteStore("http://h/endpoint", engine="other").update(INSERT_ONE)
    with pytest.raises(ValueError, match="unknown engine"):
        RemoteStore("http://h/endpoint", engine="blazegraph")
    with pytest.raises(ValueError, match="update URL"):
        RemoteStore("http://h/endpoint", update_url="ftp://h/u")
    assert isinstance(open_store("http://127.0.0.1:7878"), RemoteStore)


def test_long_graph_lists_go_as_a_form(both, monkeypatch):
    embedded, remote = both
    monkeypatch.setattr(store_remote, "MAX_URL", 50)
    assert rows(remote.query(ZONES_WITH_PROVINCE_LABELS)) == rows(embedded.query(ZONES_WITH_PROVINCE_LABELS))


def test_token_is_sent_and_errors_name_the_status():
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen["authorization"] = self.headers.get("Authorization")
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(401)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"no entry")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        s = RemoteStore(url, token="s3cret", timeout=5, engine="oxigraph")
        with pytest.raises(StoreError) as err:
            s.update(INSERT_ONE)
        assert seen["authorization"] == "Bearer s3cret"
        assert "401" in str(err.value) and f"{url}/update" in str(err.value)
        assert "s3cret" not in str(err.value)
    finally:
        server.shutdown()
        server.server_close()
