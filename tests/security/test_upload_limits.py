"""What an uploaded document expands to is limited, not only its size in bytes: the longest
literal (setting max-literal, in characters) and the number of triples (setting max-triples).
Past either, every way in answers 413 naming the setting; at the limit, the document is
accepted. A server of its own, with small limits: ``--max-literal 1000`` given as an option and
``PILOTKG_MAX_TRIPLES=50`` as an environment variable, so that both ways of setting them are used.
"""

from __future__ import annotations

import json

import pytest
import requests

from support import add_curator, fresh_copy

from .harness import assert_alive, bearer, start_guarded

MAX_LITERAL = 1000
MAX_TRIPLES = 50
NOTE = "https://w3id.org/pilotkg/id/note/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
GRAPH = "https://w3id.org/pilotkg/id/graph/curation/security-limits"


@pytest.fixture(scope="module")
def limited(built, tmp_path_factory):
    folder = fresh_copy(built.data_dir, tmp_path_factory.mktemp("limits") / "data")
    token = add_curator(folder, "limits-curator")
    server = start_guarded(folder, folder.parent / "serve.log", "--workers", "1", "--query-timeout", "10",
                           "--max-literal", str(MAX_LITERAL), env={"PILOTKG_MAX_TRIPLES": str(MAX_TRIPLES)})
    server.tokens = {"curator": token}
    yield server
    server.stop()


def turtle_with_literal(length: int, char: str = "x") -> bytes:
    return f'<{NOTE}long-literal> <{COMMENT}> "{char * length}" .\n'.encode("utf-8")


def turtle_with_triples(count: int) -> bytes:
    subject = f"<{NOTE}many-triples>"
    objects = ",\n    ".join(f'"comment {i}"' for i in range(count))
    return f"{subject} <{COMMENT}>\n    {objects} .\n".encode("utf-8")


def _send(server, way_in: str, body: bytes, content_type: str = "text/turtle") -> requests.Response:
    token = server.tokens["curator"]
    headers = {"Content-Type": content_type}
    if way_in == "validate":
        return requests.post(server.base + "/validate", data=body, headers=headers, timeout=60)
    if way_in == "validate-upload":
        return requests.post(server.base + "/validate", files={"file": ("upload.ttl", body, content_type)}, timeout=60)
    if way_in == "imports":
        return requests.post(server.base + "/imports", params={"graph": GRAPH}, data=body,
                             headers={**headers, **bearer(token)}, timeout=60)
    method = requests.put if way_in == "graph-store-PUT" else requests.post
    return method(server.base + "/rdf-graphs", params={"graph": GRAPH}, data=body, headers={**headers, **bearer(token)},
                  timeout=60)


WAYS_IN = ["validate", "validate-upload", "imports", "graph-store-PUT", "graph-store-POST"]


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_a_literal_longer_than_max_literal_is_refused_with_413(limited, way_in):
    resp = _send(limited, way_in, turtle_with_literal(MAX_LITERAL + 1))
    assert resp.status_code == 413, resp.text[:500]
    assert "max-literal" in resp.text
    assert requests.get(limited.base + "/rdf-graphs", params={"graph": GRAPH}, timeout=30).status_code == 404
    assert_alive(limited)


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_more_triples_than_max_triples_is_refused_with_413(limited, way_in):
    resp = _send(limited, way_in, turtle_with_triples(MAX_TRIPLES + 1))
    assert resp.status_code == 413, resp.text[:500]
    assert "max-triples" in resp.text
    assert requests.get(limited.base + "/rdf-graphs", params={"graph": GRAPH}, timeout=30).status_code == 404
    assert_alive(limited)


@pytest.mark.parametrize("fmt, content_type, body", [
    ("ntriples", "application/n-triples", f'<{NOTE}a> <{COMMENT}> "{"y" * (MAX_LITERAL + 1)}" .\n'.encode()),
    ("nquads", "application/n-quads", f'<{NOTE}a> <{COMMENT}> "{"y" * (MAX_LITERAL + 1)}" <{GRAPH}> .\n'.encode()),
    ("jsonld", "application/ld+json", json.dumps({"@id": NOTE + "a", COMMENT: "y" * (MAX_LITERAL + 1)}).encode()),
    ("rdfxml", "application/rdf+xml", (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">'
        f'<rdf:Description rdf:about="{NOTE}a"><rdfs:comment>{"y" * (MAX_LITERAL + 1)}</rdfs:comment></rdf:Description>'
        "</rdf:RDF>").encode()),
    ("turtle-long-string", "text/turtle", f'<{NOTE}a> <{COMMENT}> """{"y" * (MAX_LITERAL + 1)}""" .\n'.encode()),
    ("turtle-escapes", "text/turtle", f'<{NOTE}a> <{COMMENT}> "{chr(92) + "u0041" * 200 + "z" * (MAX_LITERAL - 199)}" .\n'.encode()),
], ids=["ntriples", "nquads", "jsonld", "rdfxml", "turtle-long-string", "turtle-escapes"])
def test_max_literal_holds_in_every_rdf_format(limited, fmt, content_type, body):
    resp = _send(limited, "validate", body, content_type)
    assert resp.status_code == 413, f"{fmt}: {resp.status_code} {resp.text[:300]}"
    assert "max-literal" in resp.text
    assert_alive(limited)


def test_a_literal_of_exactly_max_literal_characters_is_accepted_even_when_its_bytes_are_more(limited):
    """The limit counts characters: 1000 Chinese characters are 3000 bytes of UTF-8 and pass."""
    resp = _send(limited, "validate", turtle_with_literal(MAX_LITERAL, "试"))
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["triples"] == 1


def test_exactly_max_triples_are_accepted(limited):
    resp = _send(limited, "validate", turtle_with_triples(MAX_TRIPLES))
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["triples"] == MAX_TRIPLES
    assert_alive(limited)

