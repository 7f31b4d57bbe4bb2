"""The built dataset as a whole: determinism, no blank nodes, evidence that slices
its text, provenance of every fact, the named graphs, the materialised shortcuts,
conformance, and a build that stops on a broken curation quote."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.graph.build import INFO_FILE, BuildError, build, seeds_fingerprint
from pilotkg.graph.extract.curation import CurationError
from pilotkg.graph.namespaces import PKR
from pilotkg.graph.resources import seeds_dir
from pilotkg.graph.store_file import run_query
from pilotkg.graph.extract.text import slugify

FACT_CLASSES = ["Policy", "PilotProgramme", "PilotBatch", "PilotZone", "ReformTask", "Responsibility", "Objective"]


def rows(store, query: str) -> list[dict[str, str]]:
    res = run_query(store, query)
    return [{v.value: (sol[v].value if sol[v] is not None else None) for v in res.variables} for sol in res]


def seed_text(file_name: str) -> str:
    with open(seeds_dir() / file_name, encoding="utf-8", newline="") as f:  # offsets count the text as stored
        return f.read()


# --- determinism and form ----------------------------------------------------------------------


def test_build_is_deterministic(built):
    """A second build (in this process) gives, byte for byte, the N-Quads the session's build wrote."""
    again = built.result if built.build_output is not None else build()  # without the command, built.result wrote it
    assert built.nquads_path.read_bytes() == again.nquads().encode("utf-8")


def test_nquads_are_sorted_and_unique(built):
    lines = built.nquads_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10_000
    assert lines == sorted(set(lines))


def test_no_blank_nodes(built):
    quads = list(ox.parse(path=str(built.nquads_path), format=ox.RdfFormat.N_QUADS))
    blank = [q for q in quads if any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object, q.graph_name))]
    assert quads and not blank, blank[:3]
    assert all(isinstance(q.graph_name, ox.NamedNode) for q in quads), "every quad is in a named graph"


def test_build_info_describes_the_dataset(built):
    info = json.loads((built.data_dir / INFO_FILE).read_text(encoding="utf-8"))
    assert info["dataset_sha256"] == hashlib.sha256(built.nquads_path.read_bytes()).hexdigest()
    assert info["seeds_sha256"] == seeds_fingerprint()
    assert info["counts"]["class:PilotZone"] == 21
    assert info["reasoner"] == "reasonable"  # the default


def test_owlrl_builds_the_same_dataset_as_the_default(built, run_cli, tmp_path):
    """`pilotkg build --reasoner owlrl` (the pure-Python reference, ~4x slower) writes the very bytes
    the default (reasonable) wrote for the session, and says so in build-info.json."""
    out = run_cli("build", "--quiet", "--reasoner", "owlrl", "--data", tmp_path)  # after `build`: beats the session's --data
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "dataset.nq").read_bytes() == built.nquads_path.read_bytes()
    info = json.loads((tmp_path / INFO_FILE).read_text(encoding="utf-8"))
    assert info["reasoner"] == "owlrl"


# --- evidence --------------------------------------------------------------------------------------

SELECTORS = """
SELECT ?ev ?file ?sha ?start ?end ?exact ?prefix ?suffix WHERE {
  ?ev a pk:Evidence ; oa:hasSource ?doc ; oa:hasSelector ?pos, ?quote .
  ?doc pk:fileName ?file ; pk:sha256 ?sha .
  ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
  ?quote a oa:TextQuoteSelector ; oa:exact ?exact ; oa:prefix ?prefix ; oa:suffix ?suffix .
}"""


def test_every_position_selector_slices_its_quote(dataset_store):
    found = rows(dataset_store, SELECTORS)
    n_evidence = len(rows(dataset_store, "SELECT ?e WHERE { ?e a pk:Evidence }"))
    assert len(found) == n_evidence > 500, "one position and one quote selector per evidence"
    texts: dict[str, str] = {}
    problems = []
    for r in found:
        if r["file"] not in texts:
            texts[r["file"]] = seed_text(r["file"])
            assert hashlib.sha256(texts[r["file"]].encode("utf-8")).hexdigest() == r["sha"], r["file"]
        text, start, end = texts[r["file"]], int(r["start"]), int(r["end"])
        if text[start:end] != r["exact"]:
            problems.append(f"{r['ev']}: text[{start}:{end}] = {text[start:end]!r}, oa:exact = {r['exact']!r}")
        elif not (text[:start].endswith(r["prefix"]) and text[end:].startswith(r["suffix"])):
            problems.append(f"{r['ev']}: oa:prefix/oa:suffix do not surround the quote")
    assert len(texts) == 5
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("cls", FACT_CLASSES)
def test_every_fact_has_evidence_and_a_source(cls, dataset_store):
    members = rows(dataset_store, f"SELECT ?s WHERE {{ ?s a pk:{cls} }}")
    assert members, f"no pk:{cls} in the dataset"
    lacking = rows(dataset_store, f"""
        SELECT ?s WHERE {{
          ?s a pk:{cls} .
          FILTER NOT EXISTS {{ ?s pk:evidence ?e . ?e a pk:Evidence ; oa:hasSource ?doc . ?s pk:derivedFrom ?doc .
                               ?doc a pk:SourceDocument }}
        }}""")
    assert not lacking, f"pk:{cls} without pk:evidence from a pk:derivedFrom source: {[r['s'] for r in lacking][:5]}"


# --- graphs and reasoning --------------------------------------------------------------------------


def test_named_graphs_are_the_sources_plus_three(dataset_store):
    docs = sorted(slugify(p.stem) for p in seeds_dir().glob("*.txt"))
    assert len(docs) == 5
    expected = {str(PKR[f"graph/source/{d}"]) for d in docs} | {str(PKR[g]) for g in ("graph/ontology", "graph/reference", "graph/inferred")}
    graphs = {r["g"] for r in rows(dataset_store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == expected


@pytest.mark.parametrize("prop", ["pk:inProvince", "pk:responsibleBody", "pk:responsibleFor", "pk:reportsTo", "pk:partOfTask"])
def test_shortcuts_are_in_the_inferred_graph(prop, dataset_store):
    where = rows(dataset_store, f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s {prop} ?o }} }} GROUP BY ?g")
    assert {r["g"] for r in where} == {str(PKR["graph/inferred"])}, where
    assert int(where[0]["n"]) > 0


def test_every_responsibility_has_its_shortcut(dataset_store):
    missing = rows(dataset_store, """
        SELECT ?r WHERE { ?r a pk:Responsibility ; pk:body ?b ; pk:subject ?s .
                          FILTER NOT EXISTS { ?r pk:role role:reports-to }
                          FILTER NOT EXISTS { ?s pk:responsibleBody ?b . ?b pk:responsibleFor ?s } }""")
    assert not missing, missing[:5]


def test_reports_to_gives_reports_to_and_no_responsible_body(dataset_store):
    """A reports-to responsibility's subject is the body reported to: the reporting body
    reports to it (pk:reportsTo); the body reported to is not responsible for the reporter."""
    reports = rows(dataset_store, """
        SELECT ?b ?s WHERE { ?r a pk:Responsibility ; pk:role role:reports-to ; pk:body ?b ; pk:subject ?s }""")
    assert len(reports) == 3
    wrong = rows(dataset_store, """
        SELECT ?r WHERE { ?r a pk:Responsibility ; pk:role role:reports-to ; pk:body ?b ; pk:subject ?s .
                          { ?s pk:responsibleBody ?b } UNION { ?b pk:responsibleFor ?s } UNION { ?r pk:body ?x . FILTER NOT EXISTS { ?b pk:reportsTo ?s } } }""")
    assert not wrong, wrong


def test_every_zone_has_a_province(dataset_store):
    zones = rows(dataset_store, """
        SELECT ?z (COUNT(DISTINCT ?p) AS ?n) WHERE {
          ?z a pk:PilotZone .
          OPTIONAL { ?z pk:inProvince ?p . ?p a pk:ProvinceLevelDivision }
        } GROUP BY ?z""")
    assert len(zones) == 21
    assert [z["z"] for z in zones if z["n"] != "1"] == [], "each zone lies in exactly one province"


def test_zone_province_follows_its_divisions(dataset_store):
    """pk:inProvince agrees with pk:coversDivision + pk:withinDivision* in the gazetteer."""
    wrong = rows(dataset_store, """
        SELECT ?z ?p WHERE { ?z a pk:PilotZone ; pk:inProvince ?p .
          FILTER NOT EXISTS { ?z pk:coversDivision ?d . ?d pk:withinDivision* ?p } }""")
    assert not wrong, wrong


def test_built_report_conforms(built):
    report = built.result.report
    assert report.conforms, report.as_text()
    assert report.violations == []


# --- a broken curation quote stops the build ---------------------------------------------------------

BROKEN_FROM, BROKEN_TO = 'quote: "Hejiang County"}', 'quote: "Hejiang Kounty"}'


@pytest.fixture
def broken_seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in seeds_dir().iterdir():
        if path.suffix in (".txt", ".yaml"):
            shutil.copyfile(path, folder / path.name)
    curation = folder / "003_3e4a61702f265df0.curation.yaml"
    text = curation.read_text(encoding="utf-8")
    assert text.count(BROKEN_FROM) == 1
    curation.write_text(text.replace(BROKEN_FROM, BROKEN_TO), encoding="utf-8")
    return folder


def test_broken_quote_stops_the_build_naming_file_entry_and_quote(broken_seeds):
    with pytest.raises((BuildError, CurationError)) as err:
        build(folder=broken_seeds)
    message = str(err.value)
    assert "003_3e4a61702f265df0.curation.yaml" in message
    assert "zones[0]" in message
    assert "Hejiang Kounty" in message


def test_broken_quote_raises_build_error(broken_seeds):
    with pytest.raises(BuildError, match="Hejiang Kounty"):
        build(folder=broken_seeds)
