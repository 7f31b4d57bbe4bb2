"""The default graph is a set: a triple stated in several named graphs is seen once in the
default graph (the union), on the embedded store, the command line's in-memory store and
through the server's write path; ``GRAPH ?g`` still sees each graph's copy."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.graph.store import DEFAULT_DATA_GRAPH, EmbeddedStore
from pilotkg.graph.store_file import run_query

ZONES_PER_PROGRAMME = """
SELECT ?prog (COUNT(?z) AS ?zones) WHERE { ?prog a pk:PilotProgramme ; pk:hasZone ?z } GROUP BY ?prog
"""
URBAN_RURAL = "https://w3id.org/pilotkg/id/programme/national-urban-rural-integration-pilot-zones"
EX = "http://example.org/"
A, B = f"{EX}graph/a", f"{EX}graph/b"
COUNT_T = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{EX}s> <{EX}p> ?o }}"
GRAPHS_T = f"SELECT ?g WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}"


def quad(graph: str | None, obj: str = "o") -> ox.Quad:
    g = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}{obj}"), g)


def number(result) -> int:
    return int(next(iter(result))["n"].value)


def zones(result) -> dict[str, int]:
    return {row["prog"].value: int(row["zones"].value) for row in result}


@pytest.fixture
def embedded(tmp_path, built):
    store = EmbeddedStore(tmp_path / "store")
    store.replace_all(built.nquads_path)
    yield store
    store.close()


def test_zone_count_of_the_seed_data_counts_each_zone_once(embedded, dataset_store, built):
    # the same hasZone triple is in a source graph and in the inferred graph (or two source graphs)
    doubled = ox.Store()
    doubled.bulk_load(path=str(built.nquads_path), format=ox.RdfFormat.N_QUADS)
    from pilotkg.graph.store import _prefixes
    bag = zones(doubled.query(ZONES_PER_PROGRAMME, use_default_graph_as_union=True, prefixes=_prefixes()))
    assert bag[URBAN_RURAL] == 22  # what pyoxigraph 0.5.13's union default graph says
    distinct = number(embedded.query(
        f"SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE {{ <{URBAN_RURAL}> pk:hasZone ?z }}"))
    assert distinct == 11
    assert zones(embedded.query(ZONES_PER_PROGRAMME))[URBAN_RURAL] == 11
    assert zones(run_query(dataset_store, ZONES_PER_PROGRAMME))[URBAN_RURAL] == 11  # `pilotkg query`
    # every programme: the plain count is the distinct count
    for prog, n in zones(embedded.query(ZONES_PER_PROGRAMME)).items():
        assert n == number(embedded.query(f"SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE {{ <{prog}> pk:hasZone ?z }}"))


def test_a_triple_in_two_graphs_is_counted_once(embedded):
    before = embedded.count()
    embedded.write([], [quad(A), quad(B)])
    assert number(embedded.query(COUNT_T)) == 1
    assert sorted(r["g"].value for r in embedded.query(GRAPHS_T)) == [A, B]
    assert embedded.count() == before + 2  # quads of the dataset: one per graph
    # SUM, a plain SELECT and a property path see it once too
    assert len(list(embedded.query(f"SELECT ?o WHERE {{ <{EX}s> <{EX}p> ?o }}"))) == 1
    assert len(list(embedded.query(f"SELECT ?o WHERE {{ <{EX}s> <{EX}p>+ ?o }}"))) == 1
    assert number(embedded.query(f"SELECT (SUM(1) AS ?n) WHERE {{ <{EX}s> <{EX}p> ?o }}")) == 1
    # default-graph-uri naming both graphs is outside our control (pyoxigraph merges them as a bag)

    embedded.write([quad(A)], [])
    assert number(embedded.query(COUNT_T)) == 1
    assert [r["g"].value for r in embedded.query(GRAPHS_T)] == [B]
    embedded.write([quad(B)], [])
    assert number(embedded.query(COUNT_T)) == 0
    assert embedded.count() == before


def test_a_write_that_moves_a_triple_keeps_it(embedded):
    embedded.write([], [quad(A)])
    embedded.write([quad(A)], [quad(B)])  # one transaction: removed from A, added to B
    assert number(embedded.query(COUNT_T)) == 1
    assert [r["g"].value for r in embedded.query(GRAPHS_T)] == [B]


def test_the_default_graphs_own_triples_are_the_default_graph_not_a_named_graph(embedded):
    graphs = embedded.graphs()
    embedded.write([], [quad(None), quad(A)])
    assert number(embedded.query(COUNT_T)) == 1
    assert [r["g"].value for r in embedded.query(GRAPHS_T)] == [A]
    assert DEFAULT_DATA_GRAPH not in embedded.graphs() and embedded.graphs() == sorted(graphs + [A])
    assert f"<{EX}s> <{EX}p> <{EX}o> .\n".encode() in embedded.dump()  # a default-graph quad in the dump
    assert DEFAULT_DATA_GRAPH.encode() not in embedded.dump()
    embedded.write([quad(A)], [])
    assert number(embedded.query(COUNT_T)) == 1  # still in the default graph
    embedded.write([quad(None)], [])
    assert number(embedded.query(COUNT_T)) == 0


def test_dump_and_restore_keep_the_set(embedded, tmp_path, built):
    embedded.write([], [quad(A), quad(B), quad(None, "d")])
    dump = embedded.dump()
    lines = dump.decode("utf-8").splitlines()
    assert len(lines) == embedded.count()  # the merged graph's copies are not in a backup
    path = tmp_path / "backup.nq"
    path.write_bytes(dump)
    other = EmbeddedStore(tmp_path / "restored")
    try:
        other.replace_all(path)
        assert other.dump() == dump
        assert other.count() == embedded.count()
        assert number(other.query(COUNT_T)) == 2  # o (in A and B) once, d once
        assert zones(other.query(ZONES_PER_PROGRAMME))[URBAN_RURAL] == 11
        other.write([quad(A), quad(B)], [])
        assert number(other.query(COUNT_T)) == 1
    finally:
        other.close()
    assert built.nquads_path.read_bytes() != dump  # (the build's own file is untouched)


def test_a_store_written_before_the_merged_graph_is_converted(tmp_path):
    path = tmp_path / "old"
    raw = ox.Store(str(path))  # the old layout: no merged graph, own default-graph triples in the default graph
    raw.extend([quad(A), quad(B), quad(None, "d")])
    raw.flush()
    del raw
    store = EmbeddedStore(path)
    try:
        assert store.adopt_default_graph() == 1
        assert number(store.query(COUNT_T)) == 2
        assert store.count() == 3
        assert f"<{EX}s> <{EX}p> <{EX}d> .".encode() in store.dump()
        assert store.adopt_default_graph() == 0  # safe to run again
        assert number(store.query(COUNT_T)) == 2 and store.count() == 3
    finally:
        store.close()


def test_raw_updates_keep_the_merged_graph_in_step(embedded):
    embedded.update(f"INSERT DATA {{ GRAPH <{A}> {{ <{EX}s> <{EX}p> <{EX}o> }} GRAPH <{B}> {{ <{EX}s> <{EX}p> <{EX}o> }} }}")
    assert number(embedded.query(COUNT_T)) == 1
    embedded.update(f"DROP GRAPH <{A}>")
    assert number(embedded.query(COUNT_T)) == 1
    embedded.update(f"CLEAR GRAPH <{B}>")
    assert number(embedded.query(COUNT_T)) == 0


# -- through the server: SPARQL Update and the Graph Store Protocol ---------------------------


@pytest.fixture(scope="module")
def curator_app(built, tmp_path_factory):
    from support import add_curator, fresh_copy, serving

    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("union") / "data")
    token = add_curator(data, "union")
    with serving(data) as application:
        yield application, {"Authorization": f"Bearer {token}"}


def _count(client, query=COUNT_T) -> int:
    resp = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.text
    return int(resp.get_json()["results"]["bindings"][0]["n"]["value"])


def test_the_servers_writes_keep_the_default_graph_a_set(curator_app):
    app, auth = curator_app
    client = app.test_client()
    both = (f"INSERT DATA {{ GRAPH <{A}> {{ <{EX}s> <{EX}p> <{EX}o> }} "
            f"GRAPH <{B}> {{ <{EX}s> <{EX}p> <{EX}o> }} }}")
    assert client.post("/sparql", data={"update": both}, headers=auth).status_code == 204
    assert _count(client) == 1
    assert _count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}") == 2
    # the 22-vs-11 query, through the endpoint
    resp = client.get("/sparql", query_string={"query": ZONES_PER_PROGRAMME})
    assert {b["prog"]["value"]: int(b["zones"]["value"]) for b in resp.get_json()["results"]["bindings"]}[URBAN_RURAL] == 11
    # a plain update into the default graph keeps its meaning: the default graph, not a named graph
    own = f"INSERT DATA {{ <{EX}s> <{EX}p> <{EX}o> }}"
    assert client.post("/sparql", data={"update": own}, headers=auth).status_code == 204
    assert _count(client) == 1
    assert _count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ <{EX}s> <{EX}p> ?o }} }}") == 2
    # the Graph Store Protocol: DELETE one graph, PUT the other empty
    assert client.delete("/rdf-graphs", query_string={"graph": A}, headers=auth).status_code in (200, 204)
    assert _count(client) == 1
    resp = client.put("/rdf-graphs", query_string={"graph": B}, data=f"<{EX}s> <{EX}p> <{EX}other> .\n",
                      content_type="application/n-triples", headers=auth)
    assert resp.status_code in (200, 201, 204), resp.text
    assert _count(client) == 2  # o (still in the default graph's own triples) and other
    drop = f"DELETE DATA {{ <{EX}s> <{EX}p> <{EX}o> }}"
    assert client.post("/sparql", data={"update": drop}, headers=auth).status_code == 204
    assert _count(client) == 1
    # the graph holding the default graph's own triples cannot be written as a named graph
    sneaky = f"INSERT DATA {{ GRAPH <{DEFAULT_DATA_GRAPH}> {{ <{EX}s> <{EX}p> <{EX}x> }} }}"
    resp = client.post("/sparql", data={"update": sneaky}, headers=auth)
    assert resp.status_code == 403 and _count(client) == 1


def test_serve_converts_a_store_of_the_old_layout(built, tmp_path):
    """A data folder served before the merged default graph (its stamp names only the dataset's digest,
    its default graph holds a curator's default-graph triple): `serve` converts it and keeps that triple."""
    import hashlib

    from support import fresh_copy

    from pilotkg.server.cli import STAMP_FILE, prepare_store
    from pilotkg.server.config import ServerConfig

    data = fresh_copy(built.data_dir, tmp_path / "data")
    raw = ox.Store(str(data / "store"))
    raw.bulk_load(path=str(built.nquads_path), format=ox.RdfFormat.N_QUADS)
    raw.extend([quad(None, "own"), quad(A)])
    raw.flush()
    del raw
    digest = hashlib.sha256(built.nquads_path.read_bytes()).hexdigest()
    (data / STAMP_FILE).write_text(digest + "\n")
    prepare_store(ServerConfig(data=data, workers=1))
    assert (data / STAMP_FILE).read_text().split() == [digest, "merged-default-graph"]
    store = EmbeddedStore(data / "store")
    try:
        assert zones(store.query(ZONES_PER_PROGRAMME))[URBAN_RURAL] == 11
        assert number(store.query(COUNT_T)) == 2  # own (the default graph's) and o (graph A)
        assert f"<{EX}s> <{EX}p> <{EX}own> .".encode() in store.dump()
        assert store.count() == len(built.nquads_path.read_bytes().splitlines()) + 2
    finally:
        store.close()
    prepare_store(ServerConfig(data=data, workers=1))  # converted once: nothing more to do
    assert (data / STAMP_FILE).read_text().split() == [digest, "merged-default-graph"]
