"""RDF/XML with a DTD or entity declarations is refused (400 naming the DTD) on every way in
for an uploaded document: Graph Store PUT and POST, staged imports, /validate (as a body and as
a form upload). The refusal comes within the query time limit, the server's main process stays
under 1 GB while it happens (sampled every 20 ms) and after, nothing is committed or staged, and
an external entity or DTD never makes a connection.

The issue's billion laughs grew the server to 22.7 GB; the one here expands to 1 GB of text
(10 characters, 9 levels of tenfold references), enough to break the 1 GB line if it were
expanded, and bounded should it be. The suite's memory guard kills a server that passes 2.5 GB
(see harness.py), so an undefended server fails this test instead of taking the machine down.
"""

from __future__ import annotations

import time

import pytest
import requests

from .harness import (MAIN_RSS_LIMIT, QUERY_TIMEOUT, RssSampler, assert_alive, bearer, mib, rss_bytes)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
GRAPH = "https://w3id.org/pilotkg/id/graph/curation/security-entity-"


def _document(doctype: str, label: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{doctype}\n"
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:rdfs="{RDFS}">\n'
        '  <rdf:Description rdf:about="https://w3id.org/pilotkg/id/note/entity-bomb">\n'
        f"    <rdfs:label>{label}</rdfs:label>\n"
        "  </rdf:Description>\n"
        "</rdf:RDF>\n"
    ).encode("utf-8")


def _nested_entities(base: str, levels: int) -> str:
    lines = [f'  <!ENTITY e0 "{base}">']
    lines += [f'  <!ENTITY e{i} "{("&e%d;" % (i - 1)) * 10}">' for i in range(1, levels + 1)]
    return "<!DOCTYPE rdf:RDF [\n" + "\n".join(lines) + "\n]>"


def billion_laughs(_listener) -> bytes:
    """10 characters x 10^8 = 1 GB of text from under 1 KB."""
    return _document(_nested_entities("lol lol lo", 8), "&e8;")


def small_bomb(_listener) -> bytes:
    """The issue's small bomb: a few hundred bytes that expand to a 3,000,000-character literal
    (three times the 1 MiB body limit)."""
    return _document(_nested_entities("x" * 30, 5), "&e5;")


def external_entity(listener) -> bytes:
    return _document(f'<!DOCTYPE rdf:RDF [\n  <!ENTITY ext SYSTEM "{listener.url}x">\n]>', "&ext;")


def external_parameter_entity(listener) -> bytes:
    return _document(f'<!DOCTYPE rdf:RDF [\n  <!ENTITY % ext SYSTEM "{listener.url}dtd">\n  %ext;\n]>', "plain")


def external_dtd(listener) -> bytes:
    return _document(f'<!DOCTYPE rdf:RDF SYSTEM "{listener.url}rdf.dtd">', "plain")


def harmless_internal_entity(_listener) -> bytes:
    """Even a harmless entity is refused: the rule is "no DTD", not "no big DTD"."""
    return _document('<!DOCTYPE rdf:RDF [\n  <!ENTITY name "Xuchang">\n]>', "&name;")


BOMBS = {
    "billion-laughs": billion_laughs,
    "3M-character-literal": small_bomb,
    "external-entity": external_entity,
    "external-parameter-entity": external_parameter_entity,
    "external-dtd": external_dtd,
    "harmless-internal-entity": harmless_internal_entity,
}


def _graph_put(server, token, graph, body):
    return requests.put(server.base + "/rdf-graphs", params={"graph": graph}, data=body,
                        headers={**bearer(token), "Content-Type": "application/rdf+xml"}, timeout=QUERY_TIMEOUT + 30)


def _graph_post(server, token, graph, body):
    return requests.post(server.base + "/rdf-graphs", params={"graph": graph}, data=body,
                         headers={**bearer(token), "Content-Type": "application/rdf+xml"}, timeout=QUERY_TIMEOUT + 30)


def _stage(server, token, graph, body):
    return requests.post(server.base + "/imports", params={"graph": graph}, data=body,
                         headers={**bearer(token), "Content-Type": "application/rdf+xml"}, timeout=QUERY_TIMEOUT + 30)


def _validate(server, _token, _graph, body):
    return requests.post(server.base + "/validate", data=body, headers={"Content-Type": "application/rdf+xml"},
                         timeout=QUERY_TIMEOUT + 30)


def _validate_with_graph(server, _token, _graph, body):
    return requests.post(server.base + "/validate", params={"with": "graph"}, data=body,
                         headers={"Content-Type": "application/rdf+xml"}, timeout=QUERY_TIMEOUT + 30)


def _validate_upload(server, _token, _graph, body):
    return requests.post(server.base + "/validate", files={"file": ("bomb.rdf", body, "application/rdf+xml")},
                         timeout=QUERY_TIMEOUT + 30)


WAYS_IN = {
    "graph-store-PUT": _graph_put,
    "graph-store-POST": _graph_post,
    "imports": _stage,
    "validate": _validate,
    "validate-with-graph": _validate_with_graph,
    "validate-upload": _validate_upload,
}


@pytest.mark.parametrize("way_in", sorted(WAYS_IN))
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_rdfxml_with_a_dtd_is_refused_quickly_without_memory_growth_or_fetch(server, curator, listener, bomb, way_in):
    graph = GRAPH + f"{bomb}-{way_in}".lower()
    body = BOMBS[bomb](listener)
    assert len(body) < 2048
    started = time.monotonic()
    with RssSampler(server.pid) as memory:
        try:
            resp = WAYS_IN[way_in](server, curator, graph, body)
        except requests.RequestException as err:
            pytest.fail(f"no answer ({err}); server deaths: {server.deaths}")
        elapsed = time.monotonic() - started
        time.sleep(0.2)  # keep sampling a moment after the answer
    after = rss_bytes(server.pid)

    listener.assert_no_connection()
    assert 400 <= resp.status_code < 500, f"{resp.status_code}: {resp.text[:500]}"
    assert resp.status_code == 400 and "DTD" in resp.text, f"{resp.status_code}: {resp.text[:500]}"
    assert elapsed <= QUERY_TIMEOUT, f"answered after {elapsed:.1f} s, past the {QUERY_TIMEOUT} s time limit"
    assert memory.samples > 0
    assert memory.peak_main < MAIN_RSS_LIMIT, f"the main process reached {mib(memory.peak_main)}"
    assert after < MAIN_RSS_LIMIT, f"the main process holds {mib(after)} after the answer"
    assert "Location" not in resp.headers, "something was staged"
    assert requests.get(server.base + "/rdf-graphs", params={"graph": graph}, timeout=30).status_code == 404
    assert_alive(server)
