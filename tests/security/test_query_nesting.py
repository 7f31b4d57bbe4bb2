"""Deeply nested or very long queries get 400 "query too complex: ..." from a limit, instead of
crashing the query workers (the issue: 10,000 nested braces killed both workers, 500, on every
request). After each, an ordinary query still answers: the workers are alive."""

from __future__ import annotations

import pytest

from .harness import LIGHT_QUERY, assert_alive, get_query, post_direct, post_form, post_update

DEPTH = 10_000
EX = "http://example.org/"

NESTED_QUERIES = {
    "braces": "SELECT * WHERE " + "{" * DEPTH + "}" * DEPTH,
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * DEPTH + "1" + ")" * DEPTH + ") }",
    "100k-unions": "SELECT * WHERE { " + "UNION".join(["{}"] * 100_001) + " }",
    "blank-node-brackets": f"SELECT * WHERE {{ ?s <{EX}p> " + f"[ <{EX}p> " * DEPTH + f"<{EX}o>" + " ]" * DEPTH + " }",
    "filter-exists": "SELECT * WHERE { " + "FILTER EXISTS { " * 3000 + "" + "}" * 3000 + " }",
    "function-calls": "SELECT * WHERE { BIND(" + "STR(" * DEPTH + "1" + ")" * DEPTH + " AS ?x) }",
    "negations": "SELECT * WHERE { FILTER(" + "!" * 100_000 + "true) }",
}

# Nesting pyoxigraph itself survives (at this depth): answered, or refused by the same limit; never a 500.
TOLERATED_QUERIES = {
    "sub-selects": "SELECT * WHERE { " + "{ SELECT * WHERE " * 2000 + "{}" + " }" * 2000 + " }",
    "path-parentheses": "SELECT * WHERE { ?s " + "(" * DEPTH + f"<{EX}p>" + ")" * DEPTH + " ?o }",
    "unary-minus": "SELECT * WHERE { BIND(" + "- " * 100_000 + "1 AS ?x) }",
}


def _ordinary_query_answers(server) -> None:
    resp = post_form(server, LIGHT_QUERY)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.json()["boolean"] is True


@pytest.mark.parametrize("shape", sorted(NESTED_QUERIES))
def test_a_deeply_nested_query_is_refused_as_too_complex(server, shape):
    query = NESTED_QUERIES[shape]
    assert len(query.encode()) < 1_000_000  # under the body limit: the depth limit, not max-body, must refuse it
    resp = post_direct(server, query)
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text[:300]}"
    assert resp.text.startswith("query too complex: "), resp.text[:300]
    _ordinary_query_answers(server)
    assert_alive(server)


@pytest.mark.parametrize("shape", sorted(TOLERATED_QUERIES))
def test_nesting_the_engine_survives_is_answered_or_refused_never_a_500(server, shape):
    resp = post_direct(server, TOLERATED_QUERIES[shape])
    assert resp.status_code in (200, 400), f"{resp.status_code}: {resp.text[:300]}"
    _ordinary_query_answers(server)
    assert_alive(server)


@pytest.mark.parametrize("send", [get_query, post_form], ids=["GET", "POST-form"])
def test_nested_braces_are_refused_by_every_transport(server, send):
    resp = send(server, NESTED_QUERIES["braces"])
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text[:300]}"
    assert resp.text.startswith("query too complex: "), resp.text[:300]
    _ordinary_query_answers(server)
    assert_alive(server)


def test_a_deeply_nested_update_is_refused_and_the_workers_survive(server, curator):
    update = f"INSERT {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }} WHERE " + "{" * DEPTH + "}" * DEPTH
    resp = post_update(server, update, token=curator)
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text[:300]}"
    assert "too complex" in resp.text, resp.text[:300]
    _ordinary_query_answers(server)
    assert_alive(server)


def test_repeated_nesting_probes_leave_the_workers_answering(server):
    """The issue saw every such request kill both workers: ten in a row, then ordinary service."""
    for _ in range(10):
        resp = post_direct(server, NESTED_QUERIES["braces"])
        assert resp.status_code == 400, resp.text[:300]
    for _ in range(3):
        _ordinary_query_answers(server)
    assert_alive(server)
