"""What real clients send, in process (Flask's test client): the ``format=`` values of
SPARQLWrapper, rdflib, YASGUI and Comunica; HTTP Basic with the token as the password;
CORS for reads (any origin) and for writes (only the origins of ``cors-origins``); the
``X-Forwarded-*`` headers behind a proxy (``behind-proxy``); and graphs that a DROP or
CLEAR leaves empty, which must disappear. The real clients over HTTP are in
``test_real_clients.py``.

What each client sends (read in their sources: SPARQLWrapper 2.0 ``Wrapper.py``, rdflib 7
``sparqlconnector.py``, @triply/yasqe ``defaults.ts``, fetch-sparql-endpoint, which Comunica
uses, ``SparqlEndpointFetcher.ts``):

| client | query form | format= | Accept |
| --- | --- | --- | --- |
| SPARQLWrapper | SELECT/ASK | json, xml, csv, tsv+text/tab-separated-values | the format's media type |
| SPARQLWrapper | CONSTRUCT | xml, rdf, rdf+xml+application/rdf+xml, turtle, n3, json-ld+"application/ld+json,application/x-json+ld" | application/rdf+xml, application/turtle,text/turtle, ... |
| rdflib SPARQLStore | any | none | application/sparql-results+xml, application/xml (returnFormat xml) |
| YASGUI | SELECT / CONSTRUCT | none | application/sparql-results+json,*/*;q=0.9 / application/n-triples,*/*;q=0.9 |
| Comunica | SELECT / CONSTRUCT | none | application/sparql-results+json;q=1.0,application/sparql-results+xml;q=0.7 / text/turtle |

SPARQLWrapper also sends ``output=`` and ``results=`` with the same values (ignored here).
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from support import add_curator, bearer, fresh_copy, pilotkg, serving
from pilotkg.server.app import create_app
from pilotkg.server.config import ServerConfig
from pilotkg.server.cors import OriginsError, parse_origins
from pilotkg.server.negotiation import NotAcceptable, format_override, format_overrides

SELECT = "SELECT ?zone WHERE { ?zone a pk:PilotZone } LIMIT 2"
CONSTRUCT = "CONSTRUCT { ?zone a pk:PilotZone } WHERE { ?zone a pk:PilotZone } LIMIT 2"
GRAPH = "http://example.org/client-habits"
INSERT = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/s> <http://example.org/p> "from a client" }} }}'
UPDATE_TYPE = "application/sparql-update"
TOOL = "https://curator-tool.example"
LISTED_GRAPHS = "SELECT ?g WHERE { GRAPH ?g {} }"


def basic(name: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def habits(built, tmp_path_factory):
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("habits") / "data")
    tokens = {"alice": add_curator(data, "alice"), "root": add_curator(data, "root", "admin"),
              "gone": add_curator(data, "gone")}
    assert pilotkg("--data", str(data), "token", "revoke", "gone").returncode == 0
    with serving(data, cors_origins=f"{TOOL}, http://localhost:5173") as app:
        yield app, tokens


@pytest.fixture
def client(habits):
    return habits[0].test_client()


# --- format= -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, kind, expected", [
    (["json"], "solutions", "json"), (["xml"], "solutions", "xml"), (["csv"], "solutions", "csv"),
    (["tsv", "text/tab-separated-values"], "solutions", "tsv"),
    (["application/sparql-results+json"], "solutions", "json"), (["srx"], "solutions", "xml"),
    (["xml"], "graph", "rdfxml"), (["rdf"], "graph", "rdfxml"),
    (["rdf+xml", "application/rdf+xml"], "graph", "rdfxml"), (["rdf+xml", ""], "graph", "rdfxml"),
    (["turtle"], "graph", "turtle"), (["n3"], "graph", "turtle"), (["text/rdf+n3"], "graph", "turtle"),
    (["application/turtle"], "graph", "turtle"), (["json-ld", "application/ld+json"], "graph", "jsonld"),
    (["json-ld", "application/ld+json,application/x-json+ld"], "graph", "jsonld"),
    (["json"], "graph", "jsonld"), (["nt"], "graph", "ntriples"), (["text/turtle; charset=utf-8"], "graph", "turtle"),
    ([], "graph", None), ([""], "solutions", None),
])
def test_every_format_value_clients_send_is_understood(values, kind, expected):
    assert format_overrides(values, kind) == expected


def test_a_format_that_does_not_fit_or_formats_that_disagree_are_refused():
    with pytest.raises(NotAcceptable, match="rdf\\+xml"):
        format_override("rdf+xml", "solutions")
    with pytest.raises(NotAcceptable):
        format_overrides(["klingon"], "graph")
    with pytest.raises(ValueError, match="different formats"):
        format_overrides(["json", "xml"], "solutions")


# SPARQLWrapper's query strings, as _getRequestEncodedParameters writes them (format, output, results).
def _sparqlwrapper_params(query: str, fmt: str, media: str | None = None) -> str:
    pairs = [("query", query)]
    for key in ("format", "output", "results"):
        pairs += [(key, fmt)] + ([(key, media)] if media is not None else [])
    return urlencode(pairs)


@pytest.mark.parametrize("query, fmt, media, expected", [
    (CONSTRUCT, "rdf+xml", "application/rdf+xml", "application/rdf+xml"),
    (CONSTRUCT, "rdf", None, "application/rdf+xml"),
    (CONSTRUCT, "xml", None, "application/rdf+xml"),
    (CONSTRUCT, "n3", None, "text/turtle"),
    (CONSTRUCT, "json-ld", "application/ld+json,application/x-json+ld", "application/ld+json"),
    (SELECT, "tsv", "text/tab-separated-values", "text/tab-separated-values"),
    (SELECT, "xml", None, "application/sparql-results+xml"),
], ids=["rdf+xml", "rdf", "xml", "n3", "json-ld", "tsv", "select-xml"])
def test_sparqlwrapper_query_strings_by_get_and_post(client, query, fmt, media, expected):
    params = _sparqlwrapper_params(query, fmt, media)
    got = client.get("/sparql?" + params)
    assert got.status_code == 200, got.text
    assert got.mimetype == expected
    posted = client.post("/sparql", data=params, content_type="application/x-www-form-urlencoded")
    assert posted.status_code == 200 and posted.mimetype == expected


def test_format_values_that_disagree_are_a_400(client):
    resp = client.get("/sparql", query_string=[("query", SELECT), ("format", "json"), ("format", "csv")])
    assert resp.status_code == 400 and "different formats" in resp.text


# --- HTTP Basic ------------------------------------------------------------------------------------------
# A write takes ~10 s here (it is planned on the whole dataset, with reasoning and SHACL), so this file
# makes three: the insert of four graphs below (HTTP Basic), and their removal (see the last test).
# Whether a request passes authentication is seen otherwise: an update with LOAD is refused (400)
# after authentication, before any worker plans it.

PROBE = "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://example.org/never>"


@pytest.fixture(scope="module")
def four_graphs(habits):
    """Four graphs, inserted by one update with HTTP Basic (any user name, the token as password)."""
    app, tokens = habits
    graphs = [f"{GRAPH}/{i}" for i in range(4)]
    body = " ".join(f'GRAPH <{g}> {{ <http://example.org/s> <http://example.org/p> "from a client" }}' for g in graphs)
    resp = app.test_client().post("/sparql", data=f"INSERT DATA {{ {body} }}", content_type=UPDATE_TYPE,
                                  headers=basic("whoever", tokens["alice"]))
    assert resp.status_code == 204, resp.text
    return graphs


def test_basic_with_any_name_and_the_token_as_password_may_update(habits, client, four_graphs):
    _, tokens = habits
    whoami = client.get("/admin/whoami", headers=basic("", tokens["alice"]))
    assert whoami.status_code == 200 and whoami.get_json()["name"] == "alice"
    audit = client.get("/admin/audit", query_string={"limit": 1}, headers=basic("x", tokens["root"]))
    assert audit.status_code == 200 and audit.get_json()[0]["curator"] == "alice"
    assert client.get("/admin/audit", headers=basic("root", tokens["alice"])).status_code == 403  # roles hold
    for graph in four_graphs:
        assert client.get("/rdf-graphs", query_string={"graph": graph}).status_code == 200


@pytest.mark.parametrize("header", [
    "basic-wrong", "basic-revoked", "basic-empty-password", "Basic !!!", "Basic " + base64.b64encode(b"no colon").decode(),
])
def test_basic_with_a_bad_password_is_401_with_both_challenges(habits, client, header):
    _, tokens = habits
    headers = {"basic-wrong": basic("alice", "wrong"), "basic-revoked": basic("gone", tokens["gone"]),
               "basic-empty-password": basic(tokens["alice"], "")}.get(header, {"Authorization": header})
    resp = client.post("/sparql", data=PROBE, content_type=UPDATE_TYPE, headers=headers)
    assert resp.status_code == 401
    challenges = resp.headers.getlist("WWW-Authenticate")
    assert challenges[0] == 'Bearer realm="pilotkg"' and challenges[1].startswith('Basic realm="pilotkg"')


def test_a_browser_script_gets_no_basic_challenge(client):
    """A Basic challenge would open the browser's password dialog over the page."""
    resp = client.post("/sparql", data=PROBE, content_type=UPDATE_TYPE, headers={"Sec-Fetch-Mode": "cors"})
    assert resp.status_code == 401 and resp.headers.getlist("WWW-Authenticate") == ['Bearer realm="pilotkg"']


# --- CORS ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/id/graph/inferred", "/queries.json", "/downloads",
                                  "/rdf-graphs?graph=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fid%2Fgraph%2Finferred",
                                  "/ontology", "/health"])
def test_every_read_is_open_to_every_origin_without_credentials(client, path):
    resp = client.get(path, headers={"Origin": "https://anyone.example", "Accept": "text/turtle, */*;q=0.1"})
    assert resp.status_code == 200, (path, resp.status_code)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers


def test_example_query_json_is_open_to_every_origin(client):
    name = client.get("/queries.json").get_json()[0]["name"]
    resp = client.get(f"/queries/{name}.json", headers={"Origin": "https://anyone.example"})
    assert resp.status_code in (200, 400), resp.text  # 400 when the query needs a parameter
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_curator_pages_have_no_cors_for_other_origins(client):
    for path in ("/admin/whoami", "/ingest"):
        assert "Access-Control-Allow-Origin" not in client.get(path, headers={"Origin": "https://anyone.example"}).headers


def test_a_listed_origin_may_send_a_token_and_gets_its_origin_back(habits, client):
    _, tokens = habits
    pre = client.options("/sparql", headers={"Origin": TOOL, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == TOOL
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in pre.headers and "Origin" in pre.headers["Vary"]
    pre = client.options("/rdf-graphs", headers={"Origin": TOOL, "Access-Control-Request-Method": "PUT",
                                                 "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status_code == 204 and "PUT" in pre.headers["Access-Control-Allow-Methods"]
    resp = client.post("/sparql", data=PROBE, content_type=UPDATE_TYPE, headers={"Origin": TOOL, **bearer(tokens["alice"])})
    assert resp.status_code == 400 and "LOAD" in resp.text  # authenticated; refused for what it asks
    assert resp.headers["Access-Control-Allow-Origin"] == TOOL and "Access-Control-Allow-Credentials" not in resp.headers


def test_an_unlisted_origin_may_not_send_a_token(habits, client):
    _, tokens = habits
    pre = client.options("/sparql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization"})
    assert "authorization" not in pre.headers.get("Access-Control-Allow-Headers", "").lower()
    assert pre.headers.get("Access-Control-Allow-Origin") in (None, "*")
    # a token the browser remembers (HTTP Basic) sent by a form on another site: refused, nothing written
    for headers in (basic("x", tokens["alice"]), bearer(tokens["alice"])):
        resp = client.post("/sparql", data={"update": INSERT}, headers={"Origin": "https://evil.example", **headers})
        assert resp.status_code == 403 and "cors-origins" in resp.text
        assert resp.headers.get("Access-Control-Allow-Origin") in (None, "*")
    resp = client.put("/rdf-graphs", query_string={"graph": GRAPH}, data="<http://example.org/s> <http://example.org/p> 1 .",
                      content_type="text/turtle", headers={"Origin": "null", **bearer(tokens["alice"])})
    assert resp.status_code == 403
    assert client.get("/sparql", query_string={"query": f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"}).get_json()["boolean"] is False


def test_the_same_origin_may_send_a_token(habits, client):
    _, tokens = habits
    for headers in ({"Origin": "http://localhost"}, {"Origin": "https://kg.example", "Sec-Fetch-Site": "same-origin"}):
        resp = client.post("/sparql", data=PROBE, content_type=UPDATE_TYPE, headers={**headers, **bearer(tokens["alice"])})
        assert resp.status_code == 400 and "LOAD" in resp.text, resp.text


@pytest.mark.parametrize("value, origins", [
    ("", set()), (" https://a.example , http://B.example:8080/ ", {"https://a.example", "http://b.example:8080"}),
    ("https://a.example:443", {"https://a.example"}),
])
def test_cors_origins_are_read_as_browsers_send_them(value, origins):
    assert parse_origins(value) == origins


@pytest.mark.parametrize("value", ["*", "null", "a.example", "https://a.example/path", "ftp://a.example",
                                   "https://user@a.example", "https://a.example:99999"])
def test_a_cors_origins_value_that_is_not_an_origin_is_refused(value):
    with pytest.raises(OriginsError, match="cors-origins"):
        parse_origins(value)


def test_serve_refuses_a_bad_cors_origins_before_starting(tmp_path):
    out = pilotkg("--data", str(tmp_path / "none"), "serve", "--cors-origins", "*")
    assert out.returncode == 2 and "cors-origins" in out.stderr


# --- behind a proxy --------------------------------------------------------------------------------------


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kg.example.org", "X-Forwarded-For": "203.0.113.7",
             "Accept": "text/turtle"}


def test_behind_a_proxy_the_service_description_says_https(habits):
    app, _ = habits
    proxied = create_app(ServerConfig(data=app.extensions["pilotkg"].config.data, behind_proxy=1),
                         service=app.extensions["pilotkg"])
    body = proxied.test_client().get("/sparql", headers=FORWARDED).text
    assert "<https://kg.example.org/sparql>" in body and "http://localhost" not in body
    void = proxied.test_client().get("/downloads/void.ttl", headers=FORWARDED)
    if void.status_code == 200:
        assert "https://kg.example.org/sparql" in void.text


def test_without_the_setting_forwarded_headers_are_ignored(client):
    body = client.get("/sparql", headers=FORWARDED).text
    assert "<http://localhost/sparql>" in body and "kg.example.org" not in body


# --- graphs a DROP or CLEAR empties ---------------------------------------------------------------------


def _listed(client) -> tuple[set, set]:
    """The graphs of `GRAPH ?g {}`, and those the Service Description names."""
    rows = client.get("/sparql", query_string={"query": LISTED_GRAPHS}).get_json()["results"]["bindings"]
    description = client.get("/sparql", headers={"Accept": "text/turtle"}).text
    return {row["g"]["value"] for row in rows}, {g for g in {row["g"]["value"] for row in rows} | {GRAPH + "/0"}
                                                  if f"<{g}>" in description}


def test_graphs_left_empty_disappear(habits, client, four_graphs):
    """DROP GRAPH, CLEAR GRAPH and DELETE WHERE (one update, from a listed origin) and a Graph Store
    DELETE each leave a graph without triples: it is no longer listed anywhere."""
    _, tokens = habits
    in_query, in_description = _listed(client)
    assert set(four_graphs) <= in_query and GRAPH + "/0" in in_description
    update = (f"DROP GRAPH <{four_graphs[0]}> ; CLEAR GRAPH <{four_graphs[1]}> ; "
              f"DELETE WHERE {{ GRAPH <{four_graphs[2]}> {{ ?s ?p ?o }} }}")
    resp = client.post("/sparql", data=update, content_type=UPDATE_TYPE, headers={"Origin": TOOL, **bearer(tokens["alice"])})
    assert resp.status_code == 204, resp.text
    resp = client.delete("/rdf-graphs", query_string={"graph": four_graphs[3]}, headers=basic("x", tokens["alice"]))
    assert resp.status_code == 204, resp.text
    in_query, in_description = _listed(client)
    assert not set(four_graphs) & in_query and GRAPH + "/0" not in in_description
    for graph in four_graphs:
        assert client.get("/rdf-graphs", query_string={"graph": graph}).status_code == 404
