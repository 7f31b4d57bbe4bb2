"""What else an attacker sends: bodies over the limit (also chunked, also compressed), floods of
parameters, path traversal, oversized and odd headers, charset tricks, and every way to write
without a valid token. Each gets a 4xx (or an ordinary answer), never a 500, reads no file
outside the app, connects nowhere, and leaves the server answering."""

from __future__ import annotations

import gzip
import time

import pytest
import requests

from support import pilotkg

from .harness import (LIGHT_QUERY, QUERY_TIMEOUT, RssSampler, assert_alive, bearer, mib, post_direct, post_form,
                      post_update, raw_request, MAIN_RSS_LIMIT)

MAX_BODY = 1_048_576  # the default of --max-body
GRAPH = "https://w3id.org/pilotkg/id/graph/curation/security-tricks"
TURTLE = b'<https://w3id.org/pilotkg/id/note/t> <http://www.w3.org/2000/01/rdf-schema#comment> "t" .\n'


# --------------------------------------------------------------------------- bodies


def _big_turtle(size: int) -> bytes:
    line = TURTLE
    return line * (size // len(line) + 1)


@pytest.mark.parametrize("target", ["sparql-query", "sparql-update", "validate", "imports", "graph-store-PUT"])
def test_a_body_over_max_body_is_refused_with_413(server, curator, target):
    body = _big_turtle(MAX_BODY + 1024)
    headers = {**bearer(curator)}
    if target == "sparql-query":
        resp = requests.post(server.base + "/sparql", data=b"ASK {} #" + body,
                             headers={"Content-Type": "application/sparql-query"}, timeout=60)
    elif target == "sparql-update":
        resp = requests.post(server.base + "/sparql", data=b"INSERT DATA { " + body + b" }",
                             headers={**headers, "Content-Type": "application/sparql-update"}, timeout=60)
    elif target == "validate":
        resp = requests.post(server.base + "/validate", data=body, headers={"Content-Type": "text/turtle"}, timeout=60)
    elif target == "imports":
        resp = requests.post(server.base + "/imports", params={"graph": GRAPH}, data=body,
                             headers={**headers, "Content-Type": "text/turtle"}, timeout=60)
    else:
        resp = requests.put(server.base + "/rdf-graphs", params={"graph": GRAPH}, data=body,
                            headers={**headers, "Content-Type": "text/turtle"}, timeout=60)
    assert resp.status_code == 413, resp.text[:300]
    assert "max-body" in resp.text
    assert_alive(server)


def test_a_chunked_body_over_max_body_is_refused_with_413(server):
    """No Content-Length to check up front: the limit must hold on what is read."""

    def chunks():
        piece = _big_turtle(64 * 1024)
        for _ in range(MAX_BODY // len(piece) + 2):
            yield piece

    resp = requests.post(server.base + "/validate", data=chunks(), headers={"Content-Type": "text/turtle"}, timeout=60)
    assert resp.status_code == 413, resp.text[:300]
    assert_alive(server)


def test_a_compressed_body_is_not_inflated_past_the_limit(server):
    """A gzip bomb (100 MB of zeros in ~100 KB) sent with Content-Encoding: gzip: refused or read as
    the bytes it is; the main process never inflates it."""
    bomb = gzip.compress(b"0" * 100_000_000, compresslevel=9)
    assert len(bomb) < MAX_BODY
    with RssSampler(server.pid) as memory:
        resp = requests.post(server.base + "/validate", data=bomb,
                             headers={"Content-Type": "text/turtle", "Content-Encoding": "gzip"}, timeout=60)
    assert 400 <= resp.status_code < 500, resp.text[:300]
    assert memory.peak_main < MAIN_RSS_LIMIT, mib(memory.peak_main)
    assert_alive(server)


def test_a_content_length_larger_than_the_body_does_not_hold_a_thread_forever(server):
    """A client announces 1 MB and sends 10 bytes, then waits: the server answers or closes in bounded
    time, and keeps serving others meanwhile."""
    import socket

    with socket.create_connection(("127.0.0.1", server.process.port), timeout=5) as sock:
        sock.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\nContent-Length: 1000000\r\n\r\n0123456789")
        resp = post_form(server, LIGHT_QUERY)  # another client is served meanwhile
        assert resp.status_code == 200, resp.text[:300]
    assert_alive(server)


# --------------------------------------------------------------------------- parameters and headers


def test_a_flood_of_parameters_is_answered_quickly(server):
    params = [("x", str(i)) for i in range(20_000)] + [("query", LIGHT_QUERY)]
    started = time.monotonic()
    resp = requests.post(server.base + "/sparql", data=params, timeout=60)
    assert time.monotonic() - started < QUERY_TIMEOUT
    assert resp.status_code in (200, 400, 413), resp.text[:300]
    assert_alive(server)


def test_many_query_parameters_are_refused_or_answered_never_a_500(server):
    params = [("query", LIGHT_QUERY)] * 500
    resp = requests.get(server.base + "/sparql", params=params, timeout=60)
    assert resp.status_code in (200, 400, 414, 431), resp.text[:300]
    assert_alive(server)


def test_a_huge_accept_header_is_answered_quickly(server):
    accept = ", ".join(f"application/x-type-{i};q=0.{i % 10}" for i in range(6000)) + ", text/csv;q=0.01"
    assert len(accept) > 150_000
    started = time.monotonic()
    resp = requests.get(server.base + "/sparql", params={"query": LIGHT_QUERY}, headers={"Accept": accept}, timeout=60)
    assert time.monotonic() - started < 3, "negotiating the Accept header took too long"
    assert resp.status_code in (200, 400, 406, 431), resp.text[:300]
    assert_alive(server)


def test_a_header_past_the_servers_limit_is_refused_not_crashed(server):
    resp = requests.get(server.base + "/health", headers={"X-Padding": "a" * 2_000_000}, timeout=60)
    assert resp.status_code in (400, 413, 431), resp.status_code
    assert_alive(server)


@pytest.mark.parametrize("charset, body", [
    ("utf-16", "SELECT * { SERVICE <{L}> { ?s ?p ?o } }".encode("utf-16")),
    ("utf-7", b"SELECT * { +AFM-ERVICE <{L}> { ?s ?p ?o } }"),
    ("latin-1", "SELECT * { SERVICE <{L}> { ?s ?p ?o } } # é".encode("latin-1")),
    ("no-such-charset", b"SELECT * { SERVICE <{L}> { ?s ?p ?o } }"),
    ("utf-8", b"SELECT * { SERVICE <{L}> { ?s ?p ?o } } \xff\xfe"),
    ("utf-8-bom", "\ufeffSELECT * { SERVICE <{L}> { ?s ?p ?o } }".encode("utf-8")),
])
def test_charset_tricks_never_smuggle_a_service(server, listener, charset, body):
    """Whatever the declared charset, the text the check reads is the text that would run: SERVICE
    is refused (or the body is refused as unreadable), and nothing connects."""
    url = listener.url
    if charset == "utf-16":
        body = body.decode("utf-16").replace("{L}", url).encode("utf-16")
    else:
        body = body.replace(b"{L}", url.encode())
    declared = {"utf-8-bom": "utf-8"}.get(charset, charset)
    resp = requests.post(server.base + "/sparql", data=body, timeout=60,
                         headers={"Content-Type": f"application/sparql-query; charset={declared}"})
    listener.assert_no_connection()
    assert resp.status_code in (400, 415), resp.text[:300]
    assert_alive(server)


# --------------------------------------------------------------------------- paths


TRAVERSALS = [
    "/source/../../../../etc/passwd",
    "/source/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/source/%2e%2e/%2e%2e/%2e%2e/etc/passwd.txt",
    "/source/....//....//etc/passwd.txt",
    "/source/%252e%252e%252fetc%252fpasswd.txt",
    "/source/..%5c..%5c..%5cetc%5cpasswd.txt",
    "/source/%00../../etc/passwd.txt",
    "/queries/..%2f..%2fpyproject.toml",
    "/queries/../../README.md",
    "/queries/..%2fqueries%2fbodies.rq%00.csv",
    "/queries/%2e%2e%2f%2e%2e%2fserver%2fapp.py.rq",
    "/queries/bodies/options/..%2f..%2f..%2fetc%2fpasswd",
    "/static/../server/app.py",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/downloads/..%2ftokens.toml",
    "/downloads/../audit.jsonl",
    "/downloads/%2e%2e%2fdataset.nq",
    "/id/dataset/..%2f..%2ftokens.toml",
    "/ontology.%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/shapes.ttl%2f..%2f..%2fpyproject.toml",
]
SECRETS = [b"root:x:", b"token_sha256", b"[project]", b"import ", b'"curator"', b"create_app"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_reads_no_file_outside_the_app(server, path):
    status, _headers, body = raw_request(server, "GET", path, headers={"Accept": "*/*"})
    assert status in (200, 301, 302, 308, 400, 404, 405), (status, body[:300])
    for secret in SECRETS:
        assert secret not in body, f"{path} answered {status} with {secret!r}: {body[:300]!r}"
    assert_alive(server)


# --------------------------------------------------------------------------- tokens


def _store_count(server) -> int:
    resp = post_form(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(resp.json()["results"]["bindings"][0]["n"]["value"])


UPDATE = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://w3id.org/pilotkg/id/note/t> <http://www.w3.org/2000/01/rdf-schema#comment> \"t\" }} }}"


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer wrong-token", "Basic dXNlcjpwYXNz", "bearer  ", "Bearer " + "a" * 100_000,
    "Bearer \x00", "Token abc",
], ids=["none", "empty", "scheme-only", "scheme-space", "wrong", "basic", "lower-case-blank", "100k", "nul", "other-scheme"])
def test_writes_without_a_valid_token_get_401_and_change_nothing(server, authorization):
    before = _store_count(server)
    headers = {} if authorization is None else {"Authorization": authorization}
    try:
        update = requests.post(server.base + "/sparql", data={"update": UPDATE}, headers=headers, timeout=60)
        put = requests.put(server.base + "/rdf-graphs", params={"graph": GRAPH}, data=TURTLE,
                           headers={**headers, "Content-Type": "text/turtle"}, timeout=60)
        stage = requests.post(server.base + "/imports", params={"graph": GRAPH}, data=TURTLE,
                              headers={**headers, "Content-Type": "text/turtle"}, timeout=60)
    except requests.exceptions.InvalidHeader:
        pytest.skip("requests refuses to send this header")
    malformed = authorization is not None and ("\x00" in authorization or len(authorization) > 10_000)
    allowed = (400, 401, 431) if malformed else (401,)  # a header the HTTP server itself rejects may get 400/431
    for resp in (update, put, stage):
        assert resp.status_code in allowed, f"{resp.status_code}: {resp.text[:300]}"
    if update.status_code == 401:
        assert update.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert _store_count(server) == before
    assert_alive(server)


def test_a_revoked_token_is_refused_on_the_next_request(server, listener):
    name = "security-revoked"
    out = pilotkg("--data", str(server.data), "token", "add", name, "--role", "curator")
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert requests.get(server.base + "/admin/whoami", headers=bearer(token), timeout=30).status_code == 200
    out = pilotkg("--data", str(server.data), "token", "revoke", name)
    assert out.returncode == 0, out.stderr
    whoami = requests.get(server.base + "/admin/whoami", headers=bearer(token), timeout=30)
    assert whoami.status_code == 401, whoami.text[:300]
    before = _store_count(server)
    resp = post_update(server, f"LOAD <{listener.url}> INTO GRAPH <{GRAPH}>", token=token)
    assert resp.status_code in (400, 401), resp.text[:300]
    resp = post_update(server, UPDATE, token=token)
    assert resp.status_code == 401, resp.text[:300]
    listener.assert_no_connection()
    assert _store_count(server) == before
    assert_alive(server)


def test_a_curator_cannot_read_the_audit_log_and_credentials_are_never_shared_cross_origin(server, curator, admin):
    assert requests.get(server.base + "/admin/audit", headers=bearer(curator), timeout=30).status_code == 403
    assert requests.get(server.base + "/admin/audit", headers=bearer(admin), timeout=30).status_code == 200
    for resp in (
        requests.options(server.base + "/sparql", headers={"Origin": "http://evil.example",
                                                           "Access-Control-Request-Method": "POST",
                                                           "Access-Control-Request-Headers": "Authorization"}, timeout=30),
        requests.post(server.base + "/sparql", data={"update": UPDATE}, timeout=30,
                      headers={"Origin": "http://evil.example", **bearer("wrong")}),
        requests.get(server.base + "/admin/whoami", headers={"Origin": "http://evil.example", **bearer(curator)}, timeout=30),
    ):
        assert resp.headers.get("Access-Control-Allow-Credentials", "").lower() != "true"
        assert resp.headers.get("Access-Control-Allow-Origin") in (None, "*")
        assert "authorization" not in resp.headers.get("Access-Control-Allow-Headers", "").lower()
    assert_alive(server)


def test_a_method_override_header_does_not_turn_a_read_into_a_write(server):
    for header in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"):
        resp = requests.post(server.base + "/rdf-graphs", params={"graph": GRAPH}, data=TURTLE,
                             headers={header: "PUT", "Content-Type": "text/turtle"}, timeout=30)
        assert resp.status_code == 401, resp.text[:300]
        resp = requests.get(server.base + "/rdf-graphs", params={"graph": GRAPH}, headers={header: "DELETE"}, timeout=30)
        assert resp.status_code == 404, resp.text[:300]
    assert_alive(server)


def test_ordinary_queries_still_answer_after_the_tricks(server):
    """The server still runs an ordinary query by each transport."""
    assert post_direct(server, LIGHT_QUERY).status_code == 200
    assert post_form(server, LIGHT_QUERY).status_code == 200
    assert_alive(server)
