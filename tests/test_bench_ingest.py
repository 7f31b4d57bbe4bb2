"""The ingest benchmark's scorer, its leave-one-out gazetteer and its expected-facts
tables (tests/benchmarks/bench_ingest.py). Fast: no ingest is run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from pilotkg.graph.extract.gazetteer import load_gazetteer

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_ingest", ROOT / "tests" / "benchmarks" / "bench_ingest.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_ingest"] = bench
_spec.loader.exec_module(bench)

PK = "https://w3id.org/pilotkg/ontology#"
ID = "https://w3id.org/pilotkg/id/"
G = URIRef(ID + "graph/draft/test")


def pk(name):
    return URIRef(PK + name)


def node(path):
    return URIRef(ID + path)


def _draft_quads():
    """A hand-made draft: per kind one fact that is expected (TP), one that is not (FP);
    the table below expects one more per kind that the draft lacks (FN)."""
    t = []
    add = lambda s, p, o: t.append((s, p, o, G))  # noqa: E731
    # zones: one right by coverage (label differs), one wrong; the gazetteer zone
    # nanbu-county gets its coverage from the reference quads
    add(node("zone/jinan"), RDF.type, pk("PilotZone"))
    add(node("zone/jinan"), RDFS.label, Literal("Jinan City", lang="en"))
    add(node("zone/jinan"), pk("coversDivision"), node("division/370100"))
    add(node("zone/guiyang"), RDF.type, pk("PilotZone"))
    add(node("zone/guiyang"), RDFS.label, Literal("Guiyang", lang="en"))
    add(node("zone/guiyang"), pk("coversDivision"), node("division/520100"))
    # programmes
    add(node("programme/a"), RDF.type, pk("PilotProgramme"))
    add(node("programme/a"), RDFS.label, Literal("China (Jinan) Cross-border E-commerce Comprehensive Pilot Zones", lang="en"))
    add(node("programme/b"), RDF.type, pk("PilotProgramme"))
    add(node("programme/b"), RDFS.label, Literal("Pilot Zones", lang="en"))
    # policies: the right title and type; a headline
    add(node("policy/reply"), RDF.type, pk("Policy"))
    add(node("policy/reply"), RDFS.label, Literal("Reply of the State Council on Agreeing to Set Up Cross-border E-commerce Comprehensive Pilot Zones", lang="en"))
    add(node("policy/reply"), pk("policyType"), URIRef("https://w3id.org/pilotkg/policy-type/reply-letter"))
    add(node("policy/headline"), RDF.type, pk("Policy"))
    add(node("policy/headline"), RDFS.label, Literal("China unveils new zones to deepen opening-up", lang="en"))
    # issuers: State Council by pk:issuedBy (right), the NDRC by role issues (wrong)
    add(node("policy/reply"), pk("issuedBy"), node("body/state-council"))
    add(node("responsibility/x"), pk("body"), node("body/ndrc"))
    add(node("responsibility/x"), pk("role"), URIRef("https://w3id.org/pilotkg/role/issues"))
    # bodies with role: NDRC coordinates (right: the table names it "NDRC"); State Council supervises (wrong)
    add(node("responsibility/y"), pk("body"), node("body/ndrc"))
    add(node("responsibility/y"), pk("role"), URIRef("https://w3id.org/pilotkg/role/coordinates"))
    add(node("responsibility/z"), pk("body"), node("body/state-council"))
    add(node("responsibility/z"), pk("role"), URIRef("https://w3id.org/pilotkg/role/supervises"))
    # dates and counts
    add(node("policy/reply"), pk("issuedOn"), Literal("2019-12-15", datatype=XSD.date))
    add(node("source/test"), pk("publishedOn"), Literal("2019-12-16", datatype=XSD.date))
    add(node("programme/a"), pk("declaredZoneCount"), Literal(24, datatype=XSD.integer))
    add(node("programme/a"), pk("declaredTaskCount"), Literal(5, datatype=XSD.integer))
    return t


TABLE = {
    "text": "test.txt",
    "programmes": [
        {"label": "cross-border e-commerce comprehensive pilot zones", "quote": "q"},
        {"label": "carbon emission trading pilots", "quote": "q"},
    ],
    "policies": [
        {"title": "Reply of the State Council on Agreeing to Set Up Cross-border E-commerce Comprehensive Pilot Zones in 24 Cities",
         "type": "reply-letter", "titled": True, "quote": "q"},
        {"title": "Overall plans for the six new pilot free trade zones", "type": "plan", "titled": False, "quote": "q"},
    ],
    "issuers": [{"body": "the State Council", "quote": "q"}, {"body": "Ministry of Commerce", "quote": "q"}],
    "bodies": [
        {"body": "NDRC", "role": "coordinates", "quote": "q"},
        {"body": "relevant departments", "role": "supports", "quote": "q"},
    ],
    "zones": [
        {"name": "Jinan", "codes": ["370100"], "quote": "q"},
        {"name": "Yantai", "codes": ["370600"], "quote": "q"},
    ],
    "dates": [
        {"property": "issuedOn", "value": "2019-12-15", "quote": "q"},
        {"property": "targetYear", "value": "2025", "quote": "q"},
    ],
    "counts": [
        {"property": "declaredZoneCount", "value": 24, "quote": "q"},
        {"property": "declaredProvinceCount", "value": 16, "quote": "q"},
    ],
}


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_scorer_counts_one_tp_fp_fn_per_kind(gaz):
    resolver = bench.BodyResolver(gaz)
    drafted = bench.graph_facts(_draft_quads(), [], resolver)
    expected = bench.table_facts(TABLE, resolver)
    scores = bench.score(expected, drafted)
    for kind in bench.KINDS:
        assert scores[kind].counts() == (1, 1, 1), (kind, scores[kind])
    assert scores["zones"].fp == ["Guiyang [520100]"]
    assert scores["issuers"].fp == ["National Development and Reform Commission"]
    assert scores["bodies"].fn == ["relevant departments —supports"]
    assert scores["dates"].fp == ["publishedOn=2019-12-16"]
    summ = bench.summary([bench.TextResult("dev", "test.txt", scores, 0.0)], ["dev"])
    row = summ["dev"]["kinds"]["all"]
    assert (row["tp"], row["fp"], row["fn"]) == (7, 7, 7) and row["precision"] == row["recall"] == 0.5


def test_scorer_rules(gaz):
    resolver = bench.BodyResolver(gaz)
    # a wrong policy type is no match, even with the same title
    e = bench.Labelled(("Notice on Launching the Pilot",), "notice")
    assert bench._labels_score(e, bench.Labelled(("Notice on Launching the Pilot",), "plan")) is None
    assert bench._labels_score(e, bench.Labelled(("Notice on Launching the Pilot",), "notice")) == 1.0
    # the threshold: "Pilot Zones" alone is not the programme
    assert bench.similarity("Pilot Zones", "national big data comprehensive pilot zones") < bench.THRESHOLD
    assert bench.similarity("Pilot Program", "pilot programmes") == 1.0
    # a joint zone matches only with all its divisions; a zone without codes by its name
    joint = bench.Zone(frozenset({"110000", "120000", "130000"}), "Beijing-Tianjin-Hebei")
    assert bench._zone_score(joint, bench.Zone(frozenset({"110000"}), "Beijing")) is None
    assert bench._zone_score(bench.Zone(frozenset(), "Xixian New Area"), bench.Zone(frozenset(), "Xixian New Area")) == 1.0
    # a body by abbreviation, alias or its name; unknown bodies by normalised name
    assert resolver.from_name("NDRC").keys & resolver.from_node(ID + "body/ndrc", []).keys
    assert resolver.from_name("the People's Government of Henan Province").keys & \
        resolver.from_node(ID + "body/henan-government", ["People's Government of Henan Province"]).keys
    assert not resolver.from_name("Ministry of Commerce").keys & resolver.from_node(ID + "body/ndrc", []).keys
    # each expected body-role pair counts once
    twice = dict(TABLE, bodies=[{"body": "NDRC", "role": "leads", "quote": "q"},
                                {"body": "National Development and Reform Commission", "role": "leads", "quote": "q"}])
    assert len(bench.table_facts(twice, resolver).bodies) == 1


def test_table_format_errors(tmp_path):
    bad = tmp_path / "x.expected.yaml"
    bad.write_text("bodies:\n  - {body: NDRC, role: issues, quote: q}\n")
    with pytest.raises(bench.TableError, match="issuers"):
        bench.load_table(bad)
    bad.write_text("dates:\n  - {property: issuedOn, value: 'Monday', quote: q}\n")
    with pytest.raises(bench.TableError, match="YYYY"):
        bench.load_table(bad)
    bad.write_text("zone:\n  - {name: Jinan, codes: ['370100'], quote: q}\n")
    with pytest.raises(bench.TableError, match="unknown section"):
        bench.load_table(bad)


def _tables():
    return sorted(p for d in bench.SET_DIRS.values() if d.is_dir() for p in d.glob("*.expected.yaml"))


def test_dev_set_has_ten_texts():
    texts = [p for p in (bench.SET_DIRS["dev"]).glob("*.txt")]
    assert len(texts) >= 10
    for text in texts:
        assert 200 <= len(text.read_text(encoding="utf-8").split()) <= 900, text.name


@pytest.mark.parametrize("table", _tables(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_quote_is_in_its_text(table):
    data = bench.load_table(table)
    text_path = table.with_name(table.name[: -len(".expected.yaml")] + ".txt")
    assert text_path.is_file()
    if "text" in data:
        assert data["text"] == text_path.name
    text = text_path.read_text(encoding="utf-8")
    missing = [(where, quote) for where, quote in bench.table_quotes(data) if quote not in text]
    assert not missing, missing


def test_leave_one_out_gazetteer(gaz):
    usage = bench.seed_usage(gaz)
    reduced, removed = bench.reduce_gazetteer(gaz, "003_3e4a61702f265df0.txt", usage)
    # seed 003's own zones, bodies and divisions go ...
    assert ("zone", "hejiang-county") in removed and "hejiang-county" not in reduced.zones
    assert ("body", "sichuan-provincial-government") in removed
    assert ("division", "510522") in removed and "510522" not in reduced.divisions
    # ... what other seeds use stays
    assert "state-council" in reduced.bodies and "ndrc" in reduced.bodies
    assert ("body", "state-council") not in removed
    # every removed entry is used by seed 003 alone; every kept one is not, or is a national body
    assert all(usage[key] == {"003"} for key in removed)
    national = {("body", slug) for slug, file in gaz.body_files.items() if file == "bodies_national.yaml"}
    assert not any(seeds == {"003"} for key, seeds in usage.items() if key not in removed and key not in national)
    # a national body only 003 names stays (general knowledge), less 003's own wording of it
    ccfea = "central-commission-for-financial-and-economic-affairs"
    assert usage[("body", ccfea)] == {"003"} and ccfea in reduced.bodies
    assert "Central Committee for Financial and Economic Affairs" in gaz.bodies[ccfea].aliases
    assert "Central Committee for Financial and Economic Affairs" not in reduced.bodies[ccfea].aliases
    # the gazetteer still holds together: zones cover known divisions, parents are known
    for zone in reduced.zones.values():
        assert all(code in reduced.divisions for code, _ in zone.covers)
    for division in reduced.divisions.values():
        assert division.parent is None or division.parent in reduced.divisions
    for body in reduced.bodies.values():
        assert body.parent is None or body.parent in reduced.bodies
    # the other seeds' texts name none of the removed entries
    others = [p for p in bench.seed_paths() if not p.name.startswith("003")]
    for path in others:
        mentioned = {(m.kind, m.slug_or_code) for m in gaz.find_mentions(path.read_text(encoding="utf-8"))}
        assert not mentioned & removed, path.name
