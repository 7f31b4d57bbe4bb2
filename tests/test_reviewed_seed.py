"""A text added through ingest (and its review) becomes a seed: its curation file, saved as
ingest or the review page writes it, next to it in the seeds folder, and ``pilotkg build``
gives the facts of the draft, with the national gazetteer's divisions and the text's local
bodies in the reference graph (issue 10, deliverable 6: "the reviewed result can be saved as
the text's curation file so a build reproduces it")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import URIRef

from pilotkg.graph.build import build
from pilotkg.graph.extract.ingest import draft_graph, ingest
from pilotkg.graph.extract.review import curation_yaml
from pilotkg.graph.namespaces import REFERENCE_GRAPH, source_graph
from pilotkg.graph.resources import seeds_dir

DATA = Path(__file__).parent / "data" / "ingest"
TEXT = DATA / "elderly_care_pilot.txt"  # Shenyang, Ordos, Honghe: divisions only the national gazetteer knows


@pytest.fixture(scope="module")
def reviewed_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds")
    for path in seeds_dir().iterdir():
        if path.suffix in (".txt", ".yaml"):
            shutil.copy(path, folder / path.name)
    text = folder / "005_elderly_care_pilot.txt"
    shutil.copy(TEXT, text)
    draft = ingest(text)
    (folder / "005_elderly_care_pilot.curation.yaml").write_text(curation_yaml(draft.curation), encoding="utf-8")
    return draft, build(folder)


def test_the_build_reproduces_the_drafts_facts_in_the_texts_graph(reviewed_build):
    draft, built = reviewed_build
    doc = draft.source.doc_id
    own = draft_graph(doc)
    facts = {(s, p, o) for s, p, o, g in draft.quads if g == own and not str(s).startswith(str(URIRef("https://w3id.org/pilotkg/id/division/")))}
    in_build = {(s, p, o) for s, p, o, g in built.quads if g == source_graph(doc)}
    assert facts, "the draft has facts"
    missing = facts - in_build
    assert not missing, sorted(missing)[:5]


def test_divisions_and_local_bodies_go_to_the_reference_graph(reviewed_build):
    draft, built = reviewed_build
    reference = {s for s, _p, _o, g in built.quads if g == REFERENCE_GRAPH}
    own = draft_graph(draft.source.doc_id)
    added = {s for s, _p, _o, g in draft.quads if g == own and "/division/" in str(s)}
    assert added, "the draft adds divisions of the national gazetteer (Ordos, Honghe...)"
    assert added <= reference


def test_the_seed_texts_read_as_before(reviewed_build, built):
    """The five seeds' own graphs are those of the plain build (the session's dataset)."""
    _draft, with_review = reviewed_build

    def own_graphs(lines):
        return {line for line in lines if "/graph/source/00" in line and "/graph/source/005-" not in line}

    plain = (built.data_dir / "dataset.nq").read_text(encoding="utf-8").splitlines()
    assert own_graphs(plain) == own_graphs(with_review.nquads().splitlines())
