"""Curating over HTTP: /validate reports, staged imports with their diff, validated
writes (SPARQL Update and the Graph Store Protocol) that are refused whole."""

from __future__ import annotations

import json
import time

import pytest

from support import add_curator, bearer, fresh_copy, serving

ID = "https://w3id.org/pilotkg/id/"
PROGRAMME = ID + "programme/national-urban-rural-integration-pilot-zones"
SOURCE_001 = ID + "source/001-e77d55302f611b21"
EVIDENCE_XUCHANG = ID + "evidence/001-e77d55302f611b21/663-676"  # "Henan Xuchang", already in the graph
CURATION_GRAPH = ID + "graph/curation/test"

# A new zone a curator adds: every fact with its source and evidence.
GOOD_ZONE = f"""
@prefix pk: <https://w3id.org/pilotkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{ID}zone/test-xuchang-north> a pk:PilotZone ;
    rdfs:label "Xuchang North test area"@en ;
    pk:inProgramme <{PROGRAMME}> ;
    pk:coversDivision <{ID}division/411000> ;
    pk:derivedFrom <{SOURCE_001}> ;
    pk:evidence <{EVIDENCE_XUCHANG}> .
"""
# The same zone without any covered division: the zone shape must catch it.
BROKEN_ZONE = GOOD_ZONE.replace(f"    pk:coversDivision <{ID}division/411000> ;\n", "").replace("test-xuchang-north", "test-broken")
TURTLE = "text/turtle"
UPDATE = "application/sparql-update"


@pytest.fixture(scope="module")
def curating(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("curation") / "data")
    token = add_curator(data, "curie")
    with serving(data, query_timeout=30) as app:
        yield app, data, token


def dump(app) -> bytes:
    return app.extensions["pilotkg"].store.dump()


def test_validate_names_shape_focus_node_and_fix(curating):
    app, _, _ = curating
    resp = app.test_client().post("/validate?with=graph", data=BROKEN_ZONE, content_type=TURTLE)
    assert resp.status_code == 200
    report = resp.get_json()
    assert report["conforms"] is False
    violations = [r for r in report["results"] if r["severity"] == "Violation"]
    assert {r["focus_node"] for r in violations} == {f"{ID}zone/test-broken"}
    covers = [r for r in violations if r["shape"].endswith("PilotZoneShape-coversDivision")]
    assert covers and "needs at least one covered administrative division" in covers[0]["message"]


def test_validate_good_record_with_graph_conforms_and_without_graph_does_not(curating):
    client = curating[0].test_client()
    assert client.post("/validate?with=graph", data=GOOD_ZONE, content_type=TURTLE).get_json()["conforms"] is True
    alone = client.post("/validate", data=GOOD_ZONE, content_type=TURTLE).get_json()
    assert alone["conforms"] is False  # the programme, division and evidence are not in the submitted data


def test_validate_reports_as_turtle_and_html(curating):
    client = curating[0].test_client()
    ttl = client.post("/validate?with=graph&format=turtle", data=BROKEN_ZONE, content_type=TURTLE)
    assert ttl.mimetype == "text/turtle" and "sh:ValidationReport" in ttl.text
    html = client.post("/validate?with=graph", data=BROKEN_ZONE, content_type=TURTLE, headers={"Accept": "text/html"})
    assert html.mimetype == "text/html" and "Does not conform" in html.text and "zone/test-broken" in html.text


def test_validate_accepts_a_multipart_upload(curating):
    client = curating[0].test_client()
    import io

    resp = client.post("/validate?with=graph", data={"file": (io.BytesIO(BROKEN_ZONE.encode()), "zone.ttl")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["conforms"] is False


def test_validate_unparseable_data_is_400_with_line_and_column(curating):
    resp = curating[0].test_client().post("/validate", data="@prefix pk: <http://example.org/#> .\n<http://example.org/a> pk:b ", content_type=TURTLE)
    assert resp.status_code == 400
    assert "line 2" in resp.text and "column" in resp.text


def test_validate_unknown_content_type_is_415(curating):
    assert curating[0].test_client().post("/validate", data="x", content_type="application/x-foo").status_code == 415


def test_imports_need_a_curator(curating):
    resp = curating[0].test_client().post(f"/imports?graph={CURATION_GRAPH}", data=GOOD_ZONE, content_type=TURTLE)
    assert resp.status_code == 401


def test_import_shows_its_diff_commits_and_is_queryable_at_once(curating):
    app, data, token = curating
    client = app.test_client()
    created = client.post(f"/imports?graph={CURATION_GRAPH}", data=GOOD_ZONE, content_type=TURTLE, headers=bearer(token))
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    shown = client.get(url, headers=bearer(token)).get_json()
    assert shown["status"] == "staged" and shown["conforms"] is True
    assert shown["graphs"] == {CURATION_GRAPH: {"added": 6, "removed": 0}}
    assert len(shown["diff"]["added"]) == 6 and shown["diff"]["removed"] == []
    assert any("test-xuchang-north" in line and "coversDivision" in line for line in shown["diff"]["added"])
    committed = client.post(url + "/commit", headers=bearer(token))
    assert committed.status_code == 200, committed.text
    ask = client.get("/sparql", query_string={"query": f"ASK {{ <{ID}zone/test-xuchang-north> pk:inProvince <{ID}division/410000> }}"})
    assert ask.get_json()["boolean"] is True  # committed, reasoned (province materialised) and visible to the workers
    entry = json.loads((data / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "import-commit" and entry["import_id"] == shown["id"] and entry["added"] == {CURATION_GRAPH: 6}
    assert client.post(url + "/commit", headers=bearer(token)).status_code == 409  # not twice


def test_a_violating_import_cannot_be_committed(curating):
    app, _, token = curating
    client = app.test_client()
    before = dump(app)
    created = client.post(f"/imports?graph={CURATION_GRAPH}-broken", data=BROKEN_ZONE, content_type=TURTLE, headers=bearer(token))
    assert created.status_code == 201
    assert created.get_json()["conforms"] is False
    resp = client.post(created.headers["Location"] + "/commit", headers=bearer(token))
    assert resp.status_code == 422
    assert "PilotZoneShape-coversDivision" in resp.text
    assert dump(app) == before


def test_a_discarded_import_is_gone(curating):
    app, _, token = curating
    client = app.test_client()
    created = client.post(f"/imports?graph={CURATION_GRAPH}-discard", data=GOOD_ZONE, content_type=TURTLE, headers=bearer(token))
    url = created.headers["Location"]
    assert client.delete(url, headers=bearer(token)).status_code == 204
    assert client.post(url + "/commit", headers=bearer(token)).status_code == 409


def test_a_violating_update_is_refused_and_the_store_is_unchanged(curating):
    app, _, token = curating
    before = dump(app)
    update = f"DELETE WHERE {{ GRAPH ?g {{ <{ID}zone/hejiang-county> pk:coversDivision ?d }} }}"
    resp = app.test_client().post("/sparql", data=update, content_type=UPDATE, headers=bearer(token))
    assert resp.status_code == 422, resp.text
    body = resp.get_json()
    assert body["conforms"] is False
    assert any(r["focus_node"].endswith("zone/hejiang-county") and "coversDivision" in (r["path"] or "") for r in body["results"])
    assert dump(app) == before  # byte for byte


@pytest.mark.parametrize("update", ["CLEAR ALL", "DROP ALL", "LOAD <http://127.0.0.1:9/x.ttl>"])
def test_wholesale_and_remote_updates_are_refused(curating, update):
    app, _, token = curating
    before = dump(app)
    resp = app.test_client().post("/sparql", data=update, content_type=UPDATE, headers=bearer(token))
    assert resp.status_code in (400, 403)
    assert dump(app) == before


def test_the_ontology_and_inferred_graphs_cannot_be_written(curating):
    app, _, token = curating
    update = f"INSERT DATA {{ GRAPH <{ID}graph/inferred> {{ <{ID}zone/x> a pk:PilotZone }} }}"
    resp = app.test_client().post("/sparql", data=update, content_type=UPDATE, headers=bearer(token))
    assert resp.status_code == 403 and "maintained by pilotkg" in resp.text


def test_evidence_at_the_wrong_offsets_is_refused(curating):
    app, _, token = curating
    wrong = f"""
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix pk: <https://w3id.org/pilotkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{ID}evidence/001-e77d55302f611b21/10-23> a pk:Evidence, oa:SpecificResource ; rdfs:label "wrong"@en ;
  oa:hasSource <{SOURCE_001}> ;
  oa:hasSelector <{ID}evidence/001-e77d55302f611b21/10-23/quote>, <{ID}evidence/001-e77d55302f611b21/10-23/position> .
<{ID}evidence/001-e77d55302f611b21/10-23/quote> a oa:TextQuoteSelector ; oa:exact "Henan Xuchang" ; oa:prefix "" ; oa:suffix "" .
<{ID}evidence/001-e77d55302f611b21/10-23/position> a oa:TextPositionSelector ; oa:start 10 ; oa:end 23 .
"""
    before = dump(app)
    resp = app.test_client().put(f"/rdf-graphs?graph={CURATION_GRAPH}-evidence", data=wrong, content_type=TURTLE,
                                 headers=bearer(token))
    assert resp.status_code == 422 and "not the quote 'Henan Xuchang'" in resp.text
    assert dump(app) == before


def test_graph_store_protocol_put_get_delete(curating):
    app, _, token = curating
    client = app.test_client()
    graph = CURATION_GRAPH + "-gsp"
    assert client.put(f"/rdf-graphs?graph={graph}", data=GOOD_ZONE.replace("test-xuchang-north", "test-gsp"),
                      content_type=TURTLE).status_code == 401
    put = client.put(f"/rdf-graphs?graph={graph}", data=GOOD_ZONE.replace("test-xuchang-north", "test-gsp"),
                     content_type=TURTLE, headers=bearer(token))
    assert put.status_code == 201, put.text
    got = client.get(f"/rdf-graphs?graph={graph}", headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and got.text.count("\n") == 6
    assert client.delete(f"/rdf-graphs?graph={graph}", headers=bearer(token)).status_code == 204
    assert client.get(f"/rdf-graphs?graph={graph}").status_code == 404
    broken = client.put(f"/rdf-graphs?graph={graph}", data=BROKEN_ZONE, content_type=TURTLE, headers=bearer(token))
    assert broken.status_code == 422


def test_blank_nodes_are_refused(curating):
    app, _, token = curating
    resp = app.test_client().post(f"/rdf-graphs?graph={CURATION_GRAPH}-bnode", data="[] <http://x/p> 1 .",
                                  content_type=TURTLE, headers=bearer(token))
    assert resp.status_code == 400 and "blank nodes are not allowed" in resp.text


@pytest.mark.parametrize("graph", ["relative/graph", "http://x> } } ; DROP GRAPH <http://y", "http://a b"])
def test_graph_parameter_must_be_an_absolute_iri(curating, graph):
    resp = curating[0].test_client().get("/rdf-graphs", query_string={"graph": graph})
    assert resp.status_code == 400 and "absolute IRI" in resp.text


# --- the same from the command line -----------------------------------------------------------------


def test_cli_import_dry_run_refusal_and_commit(built, tmp_path):
    from support import pilotkg

    data = fresh_copy(built.data_dir, tmp_path / "data")
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(GOOD_ZONE.replace("test-xuchang-north", "cli-zone"))
    bad.write_text(BROKEN_ZONE)
    graph = CURATION_GRAPH + "-cli"
    dry = pilotkg("--data", str(data), "import", str(good), "--graph", graph, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"{graph}: +6 -0 triples" in dry.stdout and "Dry run: nothing was changed." in dry.stderr
    refused = pilotkg("--data", str(data), "import", str(bad), "--graph", graph)
    assert refused.returncode == 1
    assert "PilotZoneShape-coversDivision" in refused.stdout and "nothing was changed" in refused.stderr
    done = pilotkg("--data", str(data), "import", str(good), "--graph", graph)
    assert done.returncode == 0, done.stderr
    from pilotkg.graph.store import EmbeddedStore

    store = EmbeddedStore(data / "store", read_only=True)
    assert bool(store.query(f"ASK {{ GRAPH <{graph}> {{ <{ID}zone/cli-zone> a pk:PilotZone }} }}"))
    assert bool(store.query(f"ASK {{ <{ID}zone/cli-zone> pk:inProvince <{ID}division/410000> }}"))  # reasoned
    store.close()
    entry = json.loads((data / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["action"] == "import-commit" and entry["curator"].startswith("cli:")
    syntax = tmp_path / "broken.ttl"
    syntax.write_text("<http://a> <http://b> .\n")
    bad_input = pilotkg("--data", str(data), "import", str(syntax), "--graph", graph)
    assert bad_input.returncode == 2 and "line 1" in bad_input.stderr


def test_a_rebuild_keeps_what_curators_committed(built, tmp_path):
    """serve reloads the store when the dataset changes; curated graphs survive, re-reasoned."""
    from pilotkg.graph.store import EmbeddedStore
    from pilotkg.server.cli import prepare_store
    from pilotkg.server.config import ServerConfig

    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "keeper")
    graph = CURATION_GRAPH + "-kept"
    with serving(data) as app:
        resp = app.test_client().put(f"/rdf-graphs?graph={graph}", data=GOOD_ZONE.replace("test-xuchang-north", "kept"),
                                     content_type=TURTLE, headers=bearer(token))
        assert resp.status_code == 201, resp.text
    (data / "store-dataset.sha256").write_text("0" * 64 + "\n")  # as if the seeds had changed and were rebuilt
    prepare_store(ServerConfig(data=data))
    store = EmbeddedStore(data / "store", read_only=True)
    assert bool(store.query(f"ASK {{ GRAPH <{graph}> {{ <{ID}zone/kept> a pk:PilotZone }} }}"))
    assert bool(store.query(f"ASK {{ <{ID}zone/kept> pk:inProvince <{ID}division/410000> }}"))
    store.close()


def test_a_write_past_its_planning_time_limit_is_503_and_changes_nothing(built, tmp_path):
    """The planning of a write runs in a worker with --write-timeout: past it, the update, the Graph
    Store write and the staged import each get 503 naming the setting, and the store is unchanged."""
    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "slowpoke")
    with serving(data, query_timeout=30, write_timeout=0.01) as app:
        client = app.test_client()
        before = dump(app)
        insert = (f"INSERT DATA {{ GRAPH <{CURATION_GRAPH}> {{ <{ID}zone/test-slow> "
                  f"<http://www.w3.org/2000/01/rdf-schema#label> \"slow\"@en }} }}")
        pool = app.extensions["pilotkg"].pool

        def when_a_worker_is_back(send):
            """Each timed-out plan kills its worker: send the next write once its replacement is ready
            (else it would meet "every worker is busy", another 503)."""
            deadline = time.monotonic() + 60
            while pool.general.idle.qsize() < pool.general.size and time.monotonic() < deadline:
                time.sleep(0.05)
            return send()

        answers = [
            when_a_worker_is_back(lambda: client.post("/sparql", data=insert, content_type=UPDATE, headers=bearer(token))),
            when_a_worker_is_back(lambda: client.put(f"/rdf-graphs?graph={CURATION_GRAPH}", data=GOOD_ZONE,
                                                     content_type=TURTLE, headers=bearer(token))),
            when_a_worker_is_back(lambda: client.post(f"/imports?graph={CURATION_GRAPH}", data=GOOD_ZONE,
                                                      content_type=TURTLE, headers=bearer(token))),
        ]
        for answer in answers:
            text = answer.get_data(as_text=True)
            assert answer.status_code == 503, text
            assert "could not be planned in time" in text and "setting write-timeout" in text, text
            assert "nothing was changed" in text
        assert dump(app) == before
