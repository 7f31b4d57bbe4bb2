"""`pilotkg serve --store URL`: the endpoint over a remote SPARQL store (a real
`oxigraph serve` on 127.0.0.1), loaded with the built dataset by `serve`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest
import requests

from support import console_script, free_port, wait_for_url
from pilotkg.graph.store_file import open_store, run_query

ZONES = """SELECT ?zone ?province WHERE {
  ?zone a pk:PilotZone ; pk:inProvince/rdfs:label ?province . FILTER(LANG(?province) = "en")
} ORDER BY ?zone"""




def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.fixture(scope="module")
def remote_served(built, tmp_path_factory):
    oxigraph, pilotkg = console_script("oxigraph"), console_script("pilotkg")
    if not oxigraph or not pilotkg:
        pytest.skip("needs the `oxigraph` server (pip install oxigraph) and the `pilotkg` command")
    work = tmp_path_factory.mktemp("remote")
    ox_port, pk_port = free_port(), free_port()
    ox_log, pk_log = work / "oxigraph.log", work / "serve.log"
    data = work / "data"
    shutil.copytree(built.data_dir, data, ignore=shutil.ignore_patterns("store", "store-dataset.sha256"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    with open(ox_log, "wb") as out:
        ox = subprocess.Popen([oxigraph, "serve", "--location", str(work / "db"), "--bind", f"127.0.0.1:{ox_port}"],
                              stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_url(f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D", ox, ox_log)
        with open(pk_log, "wb") as out:
            pk = subprocess.Popen([pilotkg, "--data", str(data), "serve", "--port", str(pk_port),
                                   "--store", f"http://127.0.0.1:{ox_port}", "--workers", "1"],
                                  stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_url(f"http://127.0.0.1:{pk_port}/health", pk, pk_log)
            yield f"http://127.0.0.1:{pk_port}", pk_log
        finally:
            assert _stop(pk) == 0
    finally:
        _stop(ox)


def test_serve_loads_the_dataset_into_the_remote_store_and_answers(remote_served, built):
    base, log = remote_served
    health = requests.get(base + "/health", timeout=10).json()
    assert health["store"] == "remote"
    assert health["triples"] == len(built.nquads_path.read_text(encoding="utf-8").splitlines())
    assert "loading" in log.read_text()
    resp = requests.post(base + "/sparql", data=ZONES.encode(), timeout=30,
                         headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert resp.status_code == 200, resp.text
    got = [(b["zone"]["value"], b["province"]["value"]) for b in resp.json()["results"]["bindings"]]
    local = open_store(built.data_dir)
    expected = [(s["zone"].value, s["province"].value) for s in run_query(local, ZONES)]
    assert got == expected and len(got) == 21


def test_service_is_refused_over_the_remote_store_too(remote_served):
    base, _ = remote_served
    resp = requests.get(base + "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
                        timeout=10)
    assert resp.status_code == 400
    assert "SERVICE is not allowed" in resp.text


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_pages_work_over_the_remote_store(remote_served, built):
    """The pages for people read through the same store interface: over a remote store they
    show the same data (a zone and its evidence, browse counts, search, an example query,
    downloads with the dump's hash)."""
    base, _ = remote_served
    local = open_store(built.data_dir)
    zone = next(iter(run_query(local, "SELECT ?z WHERE { ?z a pk:PilotZone ; pk:evidence ?e } ORDER BY ?z LIMIT 1")))["z"].value
    label = next(iter(run_query(local, f'SELECT ?l WHERE {{ <{zone}> rdfs:label ?l FILTER(LANG(?l) = "en") }}')))["l"].value
    pages = {
        "/": "svg",
        zone[len("https://w3id.org/pilotkg"):]: "evidence-link",
        "/browse/zones": label,
        "/search?q=" + label.split()[0]: 'href="' + zone[len("https://w3id.org/pilotkg"):] + '"',
        "/queries/zones-in-province": "<table",
        "/sources": "/source/",
        "/downloads": "sha256",
    }
    for path, expected in pages.items():
        resp = requests.get(base + path, headers={"Accept": BROWSER}, timeout=60)
        assert resp.status_code == 200, (path, resp.text[:500])
        assert resp.headers["Content-Type"].startswith("text/html")
        assert expected.lower() in resp.text.lower(), (path, expected)
