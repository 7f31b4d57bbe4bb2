"""using-graph-uri / using-named-graph-uri written into an update's text (graph/update_dataset.py)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pilotkg.graph.update_dataset import UpdateDatasetConflict, with_update_dataset

G1, G2 = "http://example.org/g1", "http://example.org/g2"


def test_without_parameters_the_update_is_unchanged():
    text = "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert with_update_dataset(text, [], []) == text


def test_the_clauses_go_before_each_top_level_where_of_a_modify():
    text = ("INSERT { GRAPH <http://x/t> { ?s ?p \"WHERE\" } } WHERE { ?s ?p ?o { SELECT * WHERE { ?s ?p ?o } } } ;\n"
            "DELETE { ?s ?p ?o } where { ?s ?p ?o } ; DELETE WHERE { ?s ?p ?o } ; INSERT DATA { <http://x/a> <http://x/b> 1 }")
    out = with_update_dataset(text, [G1], [G2])
    assert out.count(f"USING <{G1}> USING NAMED <{G2}>") == 2
    assert "DELETE WHERE" in out  # no dataset clause there (the grammar has none)
    assert out.index("USING") < out.index("WHERE {")
    ox.Store().update(out)  # still parses


def test_the_clauses_change_what_where_matches():
    store = ox.Store()
    store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <http://x/a> a <http://x/C> }} GRAPH <{G2}> {{ <http://x/b> a <http://x/C> }} }}")
    update = "INSERT { GRAPH <http://x/out> { ?s a <http://x/D> } } WHERE { ?s a <http://x/C> }"
    store.update(with_update_dataset(update, [G1], []))
    got = {str(q.subject) for q in store.quads_for_pattern(None, None, None, ox.NamedNode("http://x/out"))}
    assert got == {"<http://x/a>"}


@pytest.mark.parametrize("text", [
    "WITH <http://x/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <http://x/g> WHERE { ?s ?p ?o }",
    "delete { ?s ?p ?o } using named <http://x/g> WHERE { ?s ?p ?o }",
])
def test_using_or_with_in_the_update_conflicts_with_the_parameters(text):
    with pytest.raises(UpdateDatasetConflict):
        with_update_dataset(text, [], [G1])


def test_the_words_inside_strings_and_iris_are_no_conflict():
    text = 'INSERT { <http://x/WITH> <http://x/p> "USING" } WHERE { }'
    assert "USING <" in with_update_dataset(text, [G1], [])


@pytest.mark.parametrize("bad", ["relative", "http://x/a>b", "http://x/ y"])
def test_a_parameter_that_is_not_an_absolute_iri_is_refused(bad):
    with pytest.raises(ValueError, match="using-graph-uri"):
        with_update_dataset("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", [bad], [])


def test_a_request_url_that_is_no_iri_gives_no_base():
    from pilotkg.graph.update_dataset import base_iri

    assert base_iri("http://127.0.0.1:8080/sparql") == "http://127.0.0.1:8080/sparql"
    assert base_iri("http://a>b/sparql") is None and base_iri("http://[::1/sparql") is None
