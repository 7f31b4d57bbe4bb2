"""Dataset downloads (/downloads): each file's size and SHA-256 as the page states
them, the same quads in every format, the same bytes for the same data, files
made again after a write, and a VoID + DCAT description whose numbers match."""

from __future__ import annotations

import hashlib
import html
import re

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from pilotkg.graph import __version__
from pilotkg.server.downloads import FORMATS, Downloads, _write_release

from support import fresh_copy, serving

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
PK = "https://w3id.org/pilotkg/ontology#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def app(built, tmp_path_factory):
    """An app over a copy of the data: these tests write DATA/downloads and change the store."""
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("downloads") / "data")
    with serving(data, query_timeout=60) as application:
        yield application


@pytest.fixture
def client(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT"] = BROWSER
    return c


def store_quads(app) -> set:
    return set(app.extensions["pilotkg"].store.quads())


def listed(page: str) -> dict[str, dict]:
    """What the page says of each file: {file name: {size, sha256, text}}."""
    out = {}
    for key, size, sha, row in re.findall(r'<tr id="file-(\w+)" data-size="(\d+)" data-sha256="([0-9a-f]{64})">(.*?)</tr>', page, re.S):
        name = re.search(r'href="/downloads/([^"]+)"', row).group(1)
        out[name] = {"size": int(size), "sha256": sha, "text": " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())}
    return out


def test_page_lists_every_file_with_the_size_and_sha256_of_what_is_served(client):
    resp = client.get("/downloads")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    files = listed(resp.text)
    assert set(files) == {f.file for f in FORMATS} == {"pilotkg.nq", "pilotkg.trig", "pilotkg.ttl", "pilotkg.jsonld"}
    for fmt in FORMATS:
        stated = files[fmt.file]
        assert stated["sha256"] in stated["text"] and f"{stated['size']:,} bytes" in stated["text"]
        got = client.get(f"/downloads/{fmt.file}")
        assert got.status_code == 200 and got.mimetype == fmt.media_type
        assert len(got.data) == stated["size"] and hashlib.sha256(got.data).hexdigest() == stated["sha256"]
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and f"pilotkg-{__version__}-{files['pilotkg.nq']['sha256'][:12]}" in disposition
        assert got.headers["ETag"].strip('"') == stated["sha256"]
        again = client.get(f"/downloads/{fmt.file}", headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304


def test_every_file_holds_the_store_quads(app, client):
    quads = store_quads(app)
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert len(quads) > 10_000 and not any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object))
    nq = client.get("/downloads/pilotkg.nq").data
    assert nq == app.extensions["pilotkg"].store.dump()  # the canonical file is the store's sorted dump
    assert set(ox.parse(nq, format=ox.RdfFormat.N_QUADS)) == quads
    assert set(ox.parse(client.get("/downloads/pilotkg.trig").data, format=ox.RdfFormat.TRIG)) == quads
    assert set(ox.parse(client.get("/downloads/pilotkg.jsonld").data, format=ox.RdfFormat.JSON_LD)) == quads
    turtle = set(ox.parse(client.get("/downloads/pilotkg.ttl").data, format=ox.RdfFormat.TURTLE))
    assert {(t.subject, t.predicate, t.object) for t in turtle} == triples  # the union, each triple once
    assert len(turtle) == len(triples)


def test_rdflib_reads_the_files_too(client, app):
    n_quads = len(store_quads(app))
    trig = Dataset()
    trig.parse(data=client.get("/downloads/pilotkg.trig").data, format="trig")
    assert len(list(trig.quads((None, None, None, None)))) == n_quads
    turtle = Graph().parse(data=client.get("/downloads/pilotkg.ttl").data, format="turtle")
    assert len(turtle) == len({(q.subject, q.predicate, q.object) for q in store_quads(app)})


def test_page_states_the_counts_and_a_citation_naming_the_version(client, app):
    page = client.get("/downloads").text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    quads = store_quads(app)
    assert f"{len(quads):,} quads" in text
    assert f"{len({(q.subject, q.predicate, q.object) for q in quads}):,} distinct triples" in text
    citation = " ".join(html.unescape(re.search(r'<p class="citation" id="citation">(.*?)</p>', page, re.S).group(1)).split())
    sha = listed(page)["pilotkg.nq"]["sha256"]
    built_at = app.extensions["pilotkg"].summary().built_at
    assert f"version {__version__}" in citation and sha[:12] in citation and f"built {built_at[:10]}" in citation
    assert citation.startswith(f"pilotkg developers ({built_at[:4]}).") and "https://w3id.org/pilotkg/" in citation
    bibtex = html.unescape(re.search(r'<pre class="bibtex" id="bibtex">(.*?)</pre>', page, re.S).group(1))
    assert bibtex.startswith("@misc{") and f"version      = {{{__version__}}}" in bibtex and sha in bibtex


def test_the_same_data_gives_the_same_bytes(app, tmp_path):
    dump = app.extensions["pilotkg"].store.dump()
    digest = hashlib.sha256(dump).hexdigest()
    one = _write_release(dump, digest, tmp_path / "one", 0.0)
    two = _write_release(dump, digest, tmp_path / "two", 0.0)
    for fmt in FORMATS:
        assert (one.folder / fmt.file).read_bytes() == (two.folder / fmt.file).read_bytes(), fmt.file
        assert one.files[fmt.key].sha256 == two.files[fmt.key].sha256
    assert not [p for p in (tmp_path / "one").iterdir() if p.name.startswith(".tmp-")]  # written by rename, nothing left over


def test_files_are_cached_on_disk_and_reused_after_a_restart(app, client):
    client.get("/downloads")
    service = app.extensions["pilotkg"]
    release = app.extensions["pilotkg.downloads"].current()
    assert release.folder.parent == service.config.data / "downloads"
    assert release.folder.name == hashlib.sha256(service.store.dump()).hexdigest()
    mtime = (release.folder / "pilotkg.ttl").stat().st_mtime_ns
    again = Downloads(service).current()  # what a restarted server finds
    assert again.reused and again.folder == release.folder and (again.folder / "pilotkg.ttl").stat().st_mtime_ns == mtime
    assert {k: v.sha256 for k, v in again.files.items()} == {k: v.sha256 for k, v in release.files.items()}


def test_description_is_void_and_dcat_without_blank_nodes_and_its_numbers_match(client, app):
    resp = client.get("/downloads/void.ttl")
    assert resp.status_code == 200 and resp.mimetype == "text/turtle"
    g = Graph().parse(data=resp.data, format="turtle", publicID="http://localhost/downloads/void.ttl")
    assert not any(isinstance(t, BNode) for triple in g for t in triple)
    dataset = URIRef("https://w3id.org/pilotkg/id/dataset/pilotkg")
    assert (dataset, RDF.type, DCAT.Dataset) in g and (dataset, RDF.type, VOID.Dataset) in g
    for p in (DCT.title, DCT.description, DCT.license, DCAT.version, DCT.issued, DCT.modified, DCT.publisher):
        assert g.value(dataset, p) is not None, p
    assert str(g.value(dataset, DCAT.version)) == __version__
    assert str(g.value(dataset, VOID.sparqlEndpoint)).endswith("/sparql")
    for s in set(g.subjects()) - {URIRef("http://localhost/downloads/void.ttl")}:
        assert str(s).startswith("https://w3id.org/pilotkg/id/dataset/"), s

    quads = store_quads(app)
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert int(g.value(dataset, VOID.triples)) == len(triples)

    distributions = set(g.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(FORMATS)
    for dist in distributions:
        url = str(g.value(dist, DCAT.downloadURL))
        body = client.get(url.replace("http://localhost", "")).data
        assert int(g.value(dist, DCAT.byteSize)) == len(body)
        checksum = g.value(dist, SPDX.checksum)
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(g.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        assert str(g.value(dist, DCAT.mediaType)).endswith("/" + client.get(url.replace("http://localhost", "")).mimetype)

    rdf_type = ox.NamedNode(str(RDF.type))
    for part in g.objects(dataset, VOID.classPartition):
        cls = ox.NamedNode(str(g.value(part, VOID["class"])))
        assert int(g.value(part, VOID.entities)) == len({s for s, p, o in triples if p == rdf_type and o == cls})
    zone_parts = [p for p in g.objects(dataset, VOID.classPartition) if str(g.value(p, VOID["class"])) == PK + "PilotZone"]
    assert len(zone_parts) == 1
    for part in g.objects(dataset, VOID.propertyPartition):
        prop = ox.NamedNode(str(g.value(part, VOID.property)))
        assert int(g.value(part, VOID.triples)) == sum(1 for t in triples if t[1] == prop)
    graphs = {str(g.value(part, SD.name)): int(g.value(part, VOID.triples)) for part in g.objects(dataset, VOID.subset)}
    assert sum(graphs.values()) == len(quads)
    assert graphs == {name: sum(1 for q in quads if getattr(q.graph_name, "value", None) == name) for name in graphs}


def test_a_write_makes_new_files_and_removes_the_old(app, client):
    before = listed(client.get("/downloads").text)
    old_folder = app.extensions["pilotkg.downloads"].current().folder
    zone = next(iter(app.extensions["pilotkg"].store.query(
        "SELECT ?z WHERE { ?z a pk:PilotZone } ORDER BY ?z LIMIT 1")))["z"].value
    app.extensions["pilotkg"].run_update(
        "INSERT DATA { GRAPH <https://w3id.org/pilotkg/id/graph/curation/downloads-test> { "
        f"<{zone}> <http://www.w3.org/2004/02/skos/core#altLabel> \"download test\"@en }} }}")
    after = listed(client.get("/downloads").text)
    assert after["pilotkg.nq"]["sha256"] != before["pilotkg.nq"]["sha256"]
    nq = client.get("/downloads/pilotkg.nq").data
    assert b'"download test"@en <https://w3id.org/pilotkg/id/graph/curation/downloads-test>' in nq
    assert hashlib.sha256(nq).hexdigest() == after["pilotkg.nq"]["sha256"]
    assert not old_folder.exists()
    page = client.get("/downloads").text
    assert "modified" in re.search(r'<p class="citation" id="citation">(.*?)</p>', page, re.S).group(1)


def test_machine_readable_listing_and_description_by_content_negotiation(app):
    c = app.test_client()
    listing = c.get("/downloads", headers={"Accept": "application/json"}).get_json()
    assert {f["url"].rsplit("/", 1)[1] for f in listing["files"]} == {f.file for f in FORMATS}
    for f in listing["files"]:
        assert hashlib.sha256(c.get(f["url"].replace("http://localhost", "")).data).hexdigest() == f["sha256"]
    resp = c.get("/downloads", headers={"Accept": "text/turtle"})
    assert resp.mimetype == "text/turtle" and b"void:classPartition" in resp.data


def test_bad_requests(client):
    resp = client.get("/downloads/pilotkg.csv")
    assert resp.status_code == 404 and "pilotkg.nq" in resp.text
    resp = client.get("/downloads?format=zip")
    assert resp.status_code == 400 and "format" in resp.text
    assert client.get("/downloads/pilotkg.nq?x=1").status_code == 400


def test_the_dataset_iris_resolve(client):
    resp = client.get("/id/dataset/pilotkg")
    assert resp.status_code == 303 and resp.location.endswith("/downloads")
    resp = client.get("/id/dataset/pilotkg/class/pk-PilotZone", headers={"Accept": "text/turtle"})
    assert resp.status_code == 303 and resp.location.endswith("/downloads/void.ttl")
    assert client.get("/id/dataset/another").status_code == 404


def test_files_that_cannot_be_written_are_a_clear_503(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the downloads folder should be")
    saved = app.extensions["pilotkg.downloads"]
    broken = Downloads(app.extensions["pilotkg"])
    broken.base = blocker / "downloads"
    app.extensions["pilotkg.downloads"] = broken
    try:
        resp = client.get("/downloads")
        assert resp.status_code == 503 and "cannot be made" in resp.text and "writable" in resp.text
        assert client.get("/downloads/pilotkg.nq", headers={"Accept": "*/*"}).status_code == 503
    finally:
        app.extensions["pilotkg.downloads"] = saved
    assert client.get("/downloads").status_code == 200
