"""`pilotkg ingest`: the extraction pipeline on texts that are not in seeds/.

Three short texts of our own (tests/data/ingest/), written in the style of the
seeds and sharing no sentence with them:

* digital_countryside_pilot.txt — a new programme whose zones are divisions of
  the gazetteer (Nanjing, Jinan, Leshan) and one gazetteer zone (Nanbu County);
* highland_agriculture_pilot.txt — zones in Yunnan and Gansu, which the seed
  gazetteer does not know and the national gazetteer (graph/extract/divisions.py) does:
  five new zones covering those counties, with their parents in the draft;
* coastal_wetland_pilot.txt — a body the gazetteer does not know (the Ministry
  of Ecology and Environment) beside a known one (the NDRC), which keeps its
  own responsibilities and does not take the unknown body's.

Places that neither gazetteer knows, ambiguous names, datelines and locators:
tests/test_ingest_national.py.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import namespace as _ns

from pilotkg.graph.extract.curation import Curation
from pilotkg.graph.extract.extractor import Extractor, extract
from pilotkg.graph.extract.facts import body_slug
from pilotkg.graph.extract.gazetteer import Gazetteer, load_gazetteer
from pilotkg.graph.extract.ingest import (
    IngestInputError,
    draft_graph,
    find_body_names,
    find_place_names,
    find_programme_names,
    ingest,
)
from pilotkg.graph.namespaces import OA, PK, PKR, ROLE
from pilotkg.graph.rdf import fact_quads, reference_quads
from pilotkg.graph.rdfio import parse_bytes
from pilotkg.graph.reason import close
from pilotkg.graph.extract.outline import lines, sentences
from pilotkg.graph.extract.text import SourceText, Span
from pilotkg.graph.validate import ontology_graph
from support import console_script, free_port

DATA = Path(__file__).parent / "data" / "ingest"
SEEDS = Path(__file__).parents[1] / "seeds"
DIGITAL = DATA / "digital_countryside_pilot.txt"
HIGHLAND = DATA / "highland_agriculture_pilot.txt"
COASTAL = DATA / "coastal_wetland_pilot.txt"
TEXTS = [DIGITAL, HIGHLAND, COASTAL]


# plain values, not rdflib's closed namespaces at module level (pytest probes module attributes, they warn)
RDF_TYPE = _ns.RDF.type
RDFS_LABEL = _ns.RDFS.label
DATE, GYEAR, INTEGER = _ns.XSD.date, _ns.XSD.gYear, _ns.XSD.integer


def I(path: str) -> URIRef:  # noqa: E743 - an instance IRI, as the README writes them
    return PKR[path]


@pytest.fixture(scope="module")
def results():
    return {path.name: ingest(path) for path in TEXTS}


@pytest.fixture(scope="module")
def digital(results):
    return results[DIGITAL.name]


@pytest.fixture(scope="module")
def highland(results):
    return results[HIGHLAND.name]


@pytest.fixture(scope="module")
def coastal(results):
    return results[COASTAL.name]


def triples(result) -> set:
    return {(s, p, o) for s, p, o, _g in result.quads}


def objects(result, s, p) -> set:
    return {o for s2, p2, o, _g in result.quads if s2 == s and p2 == p}


def subjects_of_type(result, cls) -> set:
    return {s for s, p, o, _g in result.quads if p == RDF_TYPE and o == cls}


def responsibilities(result) -> set[tuple[str, str, str]]:
    """(body slug, role, subject path) of every responsibility in the draft."""
    out = set()
    for r in subjects_of_type(result, PK.Responsibility):
        (body,) = objects(result, r, PK.body)
        (role,) = objects(result, r, PK.role)
        (subject,) = objects(result, r, PK.subject)
        out.add((body_slug(body), str(role).rsplit("/", 1)[1], str(subject).split("/id/", 1)[1]))
    return out


def evidence_quotes(result, node) -> list[str]:
    """The exact quotes of a node's evidence, checked against the text at their offsets."""
    quotes = []
    for ev in objects(result, node, PK.evidence):
        (exact,) = objects(result, URIRef(f"{ev}/quote"), OA.exact)
        (start,) = objects(result, URIRef(f"{ev}/position"), OA.start)
        (end,) = objects(result, URIRef(f"{ev}/position"), OA.end)
        assert result.source.text[int(start) : int(end)] == str(exact)
        quotes.append(str(exact))
    return sorted(quotes)


def unknown(items) -> list[tuple[str, int, int]]:
    return [(u.text, u.start, u.end) for u in items]


# --------------------------------------------------------------------------- the texts themselves


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_texts_are_short_and_share_no_sentence_with_the_seeds(path):
    text = path.read_text(encoding="utf-8")
    assert 200 <= len(text.split()) <= 600
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for line in lines(text):
        for sentence in sentences(text, line):
            words = sentence.of(text).split()
            if len(words) >= 4:
                assert not any(sentence.of(text) in seed for seed in seeds), sentence.of(text)


# --------------------------------------------------------------------------- every draft


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_draft_is_one_named_graph_without_blank_nodes_whose_evidence_slices_the_text(path, results):
    result = results[path.name]
    assert result.graph == URIRef(f"https://w3id.org/pilotkg/id/graph/draft/{result.source.doc_id}")
    assert result.graph == draft_graph(result.source.doc_id)
    assert {g for *_, g in result.quads} == {result.graph}
    assert not any(isinstance(t, BNode) for q in result.quads for t in q)
    starts, ends, exacts = {}, {}, {}
    for s, p, o, _g in result.quads:
        for prop, table in ((OA.start, starts), (OA.end, ends), (OA.exact, exacts)):
            if p == prop:
                table[str(s).rsplit("/", 1)[0]] = o
    assert exacts and exacts.keys() == starts.keys() == ends.keys()
    for node, exact in exacts.items():
        assert result.source.text[int(starts[node]) : int(ends[node])] == str(exact), node
    # every fact-bearing node has evidence from this text
    for cls in (PK.Policy, PK.PilotProgramme, PK.PilotZone, PK.ReformTask, PK.Responsibility, PK.Objective):
        for node in subjects_of_type(result, cls):
            assert evidence_quotes(result, node), node
            assert objects(result, node, PK.derivedFrom) == {I(f"source/{result.source.doc_id}")}


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_draft_conforms_and_its_report_findings_quote_the_text(path, results):
    result = results[path.name]
    assert result.conforms, result.report.as_text()
    for items in result.found.values():
        for f in items:
            assert result.source.text[f.start : f.end] == f.quote
    for u in result.unknown_bodies + result.unknown_places:
        assert result.source.text[u.start : u.end] == u.text


# --------------------------------------------------------------------------- (a) a new programme, zones that resolve


DIGITAL_POLICY = "policy/notice-on-launching-the-national-digital-countryside"
DIGITAL_PROGRAMME = "programme/national-digital-countryside-governance-pilot-zones"


def test_digital_policy_is_the_title_with_its_type_and_the_dateline(digital):
    policy = I(DIGITAL_POLICY)
    assert objects(digital, policy, RDFS_LABEL) == {Literal("Notice on Launching the National Digital Countryside Governance Pilot Zones", lang="en")}
    assert objects(digital, policy, PK.policyType) == {URIRef("https://w3id.org/pilotkg/policy-type/notice")}
    assert "Notice on Launching the National Digital Countryside Governance Pilot Zones" in evidence_quotes(digital, policy)
    doc = I("source/digital-countryside-pilot")
    assert (doc, PK.reports, policy) in triples(digital)
    assert objects(digital, doc, PK.publishedOn) == {Literal("2023-03-16", datatype=DATE)}
    assert not objects(digital, policy, PK.issuedOn)  # no --date given


def test_digital_programme_with_period_counts_and_establishing_policy(digital):
    prog = I(DIGITAL_PROGRAMME)
    assert objects(digital, prog, RDFS_LABEL) == {Literal("National Digital Countryside Governance Pilot Zones", lang="en")}
    assert objects(digital, prog, PK.establishedBy) == {I(DIGITAL_POLICY)}
    assert objects(digital, I(DIGITAL_POLICY), PK.establishes) == {prog}
    assert objects(digital, prog, PK.startDate) == {Literal("2023", datatype=GYEAR)}
    assert objects(digital, prog, PK.endDate) == {Literal("2026", datatype=GYEAR)}
    assert objects(digital, prog, PK.declaredZoneCount) == {Literal(4, datatype=INTEGER)}
    assert objects(digital, prog, PK.declaredProvinceCount) == {Literal(3, datatype=INTEGER)}
    quotes = evidence_quotes(digital, prog)
    assert {"2023—2026", "four areas", "three provinces"} <= set(quotes)
    counts = {f.label: f.quote for f in digital.found["counts"]}
    assert counts == {"pk:declaredProvinceCount 3": "three provinces", "pk:declaredZoneCount 4": "four areas"}


def test_digital_zones_cover_gazetteer_divisions_and_lie_in_their_provinces(digital):
    prog = I(DIGITAL_PROGRAMME)
    zones = {I("zone/nanjing"), I("zone/jinan"), I("zone/leshan"), I("zone/nanbu-county")}
    assert subjects_of_type(digital, PK.PilotZone) == zones
    assert objects(digital, prog, PK.hasZone) == zones
    for zone in zones:
        assert objects(digital, zone, PK.inProgramme) == {prog}
    # new zones cover their division wholly; the gazetteer zone's coverage comes from the reference graph
    assert objects(digital, I("zone/nanjing"), PK.coversDivision) == {I("division/320100")}
    assert objects(digital, I("zone/jinan"), PK.coversDivision) == {I("division/370100")}
    assert objects(digital, I("zone/leshan"), PK.coversDivision) == {I("division/511100")}
    assert not objects(digital, I("zone/nanbu-county"), PK.coversDivision)
    assert digital.extraction.zones_used == {"nanbu-county"}
    assert evidence_quotes(digital, I("zone/nanjing")) == ["Nanjing"]
    assert evidence_quotes(digital, I("zone/nanbu-county")) == ["Nanbu County"]
    # the province, as the build materialises it (closure over draft + reference graph)
    data = Graph()
    for s, p, o, _g in digital.quads + reference_quads(load_gazetteer(), digital.extraction.zones_used):
        data.add((s, p, o))
    inferred = close(ontology_graph(), data)
    provinces = {z: {o for s, p, o in inferred if s == z and p == PK.inProvince} for z in zones}
    assert provinces == {
        I("zone/nanjing"): {I("division/320000")},
        I("zone/jinan"): {I("division/370000")},
        I("zone/leshan"): {I("division/510000")},
        I("zone/nanbu-county"): {I("division/510000")},
    }
    details = {f.label: f.detail for f in digital.found["zones"]}
    assert details["Nanjing"] == "(new zone; covers Nanjing 320100; province Jiangsu)"
    assert details["Nanbu County"] == "(gazetteer zone; covers Nanbu County 511321; province Sichuan)"


def test_digital_outline_tasks_with_numbers_and_the_objective(digital):
    pid = DIGITAL_POLICY.split("/", 1)[1]
    section = I(f"task/{pid}/section-1")
    items = {I(f"task/{pid}/0{n}") for n in (1, 2, 3)}
    assert subjects_of_type(digital, PK.ReformTask) == items | {section}
    assert objects(digital, I(DIGITAL_POLICY), PK.hasTask) == {section}
    assert objects(digital, section, PK.hasTask) == items
    labels = {n: objects(digital, I(f"task/{pid}/0{n}"), RDFS_LABEL) for n in (1, 2, 3)}
    assert labels == {
        1: {Literal("Build a unified data platform for village affairs", lang="en")},
        2: {Literal("Improve online services for farmers", lang="en")},
        3: {Literal("Explore credit services based on rural data", lang="en")},
    }
    for n in (1, 2, 3):
        assert objects(digital, I(f"task/{pid}/0{n}"), PK.itemNumber) == {Literal(n, datatype=INTEGER)}
    objective = I(f"objective/{pid}/2026")
    assert objects(digital, objective, PK.targetYear) == {Literal("2026", datatype=GYEAR)}
    assert objects(digital, objective, PK.objectiveOf) == {I(DIGITAL_POLICY)}


def test_digital_responsibilities_of_known_bodies(digital):
    pid = DIGITAL_POLICY.split("/", 1)[1]
    prog = DIGITAL_PROGRAMME
    assert responsibilities(digital) == {
        ("ndrc", "approves", prog),
        ("ndrc", "coordinates", prog),
        ("ndrc", "supervises", prog),
        ("provincial-governments", "supports", prog),
        ("local-governments", "implements", f"task/{pid}/03"),
        # a misreading the patterns make ("move the approval of common rural matters onto
        # mobile terminals" is not an approval): kept here so that a fix shows up
        ("county-level-governments", "approves", f"task/{pid}/02"),
    }
    ndrc = next(r for r in subjects_of_type(digital, PK.Responsibility) if str(r).endswith("/ndrc/coordinates/" + prog.replace("/", "-")))
    # the sentence, and the cue word of the role
    assert evidence_quotes(digital, ndrc) == [
        "The National Development and Reform Commission will coordinate the pilot work and evaluate the progress of each zone every year.",
        "coordinate",
    ]
    assert objects(digital, ndrc, PK.assignedBy) == {I(DIGITAL_POLICY)}


def test_digital_has_nothing_unknown(digital):
    assert digital.unknown_bodies == [] and digital.unknown_places == []
    assert digital.not_added == [] and digital.notes == []
    assert digital.counts() == {
        "policy": 1, "programme": 1, "zones": 4, "divisions": 4, "tasks": 4, "objectives": 1,
        "bodies": 4, "responsibilities": 6, "dates": 3, "counts": 2,
    }


def test_a_date_is_stated_only_when_the_text_states_it():
    found = ingest(DIGITAL, date="2023-03-16")
    assert objects(found, I(DIGITAL_POLICY), PK.issuedOn) == {Literal("2023-03-16", datatype=DATE)}
    assert "2023-03-16" in evidence_quotes(found, I(DIGITAL_POLICY))
    missing = ingest(DIGITAL, date="March 1, 2023")
    assert not objects(missing, I(DIGITAL_POLICY), PK.issuedOn)
    assert any(n.startswith("date given but not in the text: --date 2023-03-01") for n in missing.notes)
    with pytest.raises(IngestInputError, match="is not a date"):
        ingest(DIGITAL, date="2023-02-30")


# --------------------------------------------------------------------------- (b) zones in places only the national gazetteer knows

HIGHLAND_PROGRAMME = "programme/highland-agriculture-green-development-pilot-zones"


def test_highland_places_are_known_to_the_national_gazetteer(highland):
    # before the national gazetteer: nine unknown places (the five zones, their provinces, Linze County again)
    assert highland.unknown_places == [] and highland.ambiguous_places == []


def test_highland_zones_are_the_five_named_places(highland):
    zones = {f"zone/{slug}": code for slug, code in (
        ("tengchong-city", "530581"), ("yuanyang-county-532528", "532528"), ("mile-city", "532504"),
        ("linze-county", "620723"), ("dunhuang-city", "620982"))}
    assert subjects_of_type(highland, PK.PilotZone) == {I(z) for z in zones}
    assert objects(highland, I(HIGHLAND_PROGRAMME), PK.hasZone) == {I(z) for z in zones}
    for zone, code in zones.items():
        assert objects(highland, I(zone), PK.coversDivision) == {I(f"division/{code}")}
    # the provinces locate the zones, they are not zones; the declared count is met, and SHACL says nothing of it
    assert objects(highland, I(HIGHLAND_PROGRAMME), PK.declaredZoneCount) == {Literal(5, datatype=INTEGER)}
    assert not [r for r in highland.report.warnings if r.shape and r.shape.endswith("PilotProgrammeShape-namedZones")]
    assert highland.conforms


def test_highland_local_bodies_are_bodies_of_the_draft(highland):
    """Before the local-body patterns both names were reported as unknown bodies; now each
    is one node of its function and place, with its jurisdiction written into the draft."""
    assert highland.unknown_bodies == [] and highland.not_added == []
    gansu, linze = I("body/government-620000"), I("body/party-committee-620723")
    assert objects(highland, gansu, RDFS_LABEL) == {Literal("People's Government of Gansu Province", lang="en")}
    assert objects(highland, gansu, PK.jurisdiction) == {I("division/620000")}
    assert objects(highland, linze, RDFS_LABEL) == {Literal("CPC Linze County Committee", lang="en")}
    assert objects(highland, linze, URIRef("http://www.w3.org/2004/02/skos/core#altLabel")) == {Literal("Linze County Party Committee", lang="en")}
    assert objects(highland, linze, PK.jurisdiction) == {I("division/620723")}
    assert objects(highland, linze, PK.subOrganizationOf) == {I("body/cpc")}
    mentioned = objects(highland, I("source/highland-agriculture-pilot"), PK.mentions)
    assert {gansu, linze} <= mentioned
    assert highland.conforms


def test_highland_known_body_programme_tasks(highland):
    assert responsibilities(highland) == {("mara", "leads", HIGHLAND_PROGRAMME),
                                          ("government-620000", "implements", HIGHLAND_PROGRAMME)}
    prog = I(HIGHLAND_PROGRAMME)
    assert objects(highland, prog, RDFS_LABEL) == {Literal("Highland Agriculture Green Development Pilot Zones", lang="en")}
    assert objects(highland, prog, PK.endDate) == {Literal("2027", datatype=GYEAR)}
    assert objects(highland, prog, PK.declaredTaskCount) == {Literal(3, datatype=INTEGER)}
    policy = I("policy/decision-on-the-highland-agriculture-green-development-pilot")
    # the text names no policy document and no approval: a policy only for the tasks it states,
    # described by the programme, never the headline
    assert subjects_of_type(highland, PK.Policy) == {policy}
    assert objects(highland, policy, RDFS_LABEL) == {Literal("Decision on the Highland Agriculture Green Development Pilot Zones", lang="en")}
    assert not objects(highland, policy, PK.policyType)
    # the headline labels the page, and its publication line gives the page's date
    assert objects(highland, I("source/highland-agriculture-pilot"), RDFS_LABEL) == {
        Literal("Yunnan and Gansu counties join highland agriculture pilot", lang="en")}
    assert objects(highland, I("source/highland-agriculture-pilot"), PK.publishedOn) == {Literal("2024-05-20", datatype=DATE)}
    tasks = {str(objects(highland, t, RDFS_LABEL).pop()): objects(highland, t, PK.itemNumber) for t in subjects_of_type(highland, PK.ReformTask)}
    assert tasks == {
        "Expand water-saving irrigation on dry land and in oases": {Literal(1, datatype=INTEGER)},
        "Protect terraced fields and restore degraded soil": {Literal(2, datatype=INTEGER)},
        "Build brands for green highland farm produce and link farmers to markets": {Literal(3, datatype=INTEGER)},
    }
    assert "no sentence names the programme with a verb such as launch, establish or approve: the policy is not linked to it" in highland.notes


# --------------------------------------------------------------------------- (c) a body the gazetteer does not know

COASTAL_POLICY = "policy/implementation-plan-for-the-coastal-wetland-restoration"
COASTAL_PROGRAMME = "programme/coastal-wetland-restoration-pilot-programme"


def test_coastal_bodies_are_all_known(coastal):
    """Before the national bodies and the local-body patterns, the ministry, the General
    Office of the State Council and the Fuzhou bureau were reported as unknown."""
    assert coastal.unknown_bodies == [] and coastal.not_added == []
    # Beihai City: unknown to the seed gazetteer, a zone by the national one (see test_coastal_zones_and_the_policy_date)
    assert coastal.unknown_places == []
    bodies = {str(o) for s, p, o, _g in coastal.quads if p in (PK.body, PK.mentions)}
    assert bodies == {str(I(f"body/{slug}")) for slug in (
        "ndrc", "mee", "state-council-general-office", "ecology-and-environment-350100",
        "local-governments/coastal-wetland-pilot")}
    # "Fuzhou" is two cities in China; the seed gazetteer's Fuzhou (Fujian) wins, as for zones
    bureau = I("body/ecology-and-environment-350100")
    assert objects(coastal, bureau, PK.jurisdiction) == {I("division/350100")}
    assert objects(coastal, bureau, PK.subOrganizationOf) == {I("body/government-350100")}
    assert objects(coastal, I("body/government-350100"), RDFS_LABEL) == {Literal("People's Government of Fuzhou City", lang="en")}


def test_coastal_bodies_keep_their_own_responsibilities(coastal):
    pid = COASTAL_POLICY.split("/", 1)[1]
    assert responsibilities(coastal) == {
        ("ndrc", "issues", COASTAL_POLICY),
        ("ndrc", "supports", f"task/{pid}/section-2"),
        ("mee", "issues", COASTAL_POLICY),
        ("mee", "supervises", f"task/{pid}/section-2"),
        ("ecology-and-environment-350100", "implements", f"task/{pid}/02"),
        ("local-governments", "implements", f"task/{pid}/section-2"),
    }


def test_unknown_bodies_end_the_clause_of_a_known_body():
    """Without the unknown body as a boundary, the NDRC would take its "monitor" (supervises).
    (A gazetteer without the ministry stands for one that does not know it.)"""
    source = SourceText.load(COASTAL)
    full = load_gazetteer()
    gaz = Gazetteer({k: v for k, v in full.bodies.items() if k != "mee"}, full.divisions, full.zones)
    cur = Curation(path=COASTAL.with_suffix(".yaml"), data={"subjects": {"default": "body/ndrc"}}, source=source)
    blind = Extractor(source, gaz, cur).run()
    roles = {(s, o) for s, p, o in blind.facts.triples if p == PK.role}
    assert any(o == ROLE.supervises and "/ndrc/" in str(s) for s, o in roles)
    mee = [Span(m.start(), m.end()) for m in re.finditer("Ministry of Ecology and Environment", source.text)]
    assert len(mee) == 2
    seeing = Extractor(source, gaz, Curation(path=cur.path, data=cur.data, source=source), unresolved_bodies=mee).run()
    roles = {(s, o) for s, p, o in seeing.facts.triples if p == PK.role}
    assert not any(o == ROLE.supervises and "/ndrc/" in str(s) for s, o in roles)
    assert {(f.body, f.role) for f in seeing.unresolved} >= {("?0", "issues"), ("?1", "supervises")}


def test_coastal_zones_and_the_policy_date(coastal):
    assert subjects_of_type(coastal, PK.PilotZone) == {I("zone/qingdao"), I("zone/fuzhou"), I("zone/beihai")}
    # "Fuzhou" is two cities in the national gazetteer; the seed gazetteer's Fuzhou (Fujian) wins
    assert objects(coastal, I("zone/fuzhou"), PK.coversDivision) == {I("division/350100")}
    assert objects(coastal, I("zone/beihai"), PK.coversDivision) == {I("division/450500")}
    assert coastal.ambiguous_places == []
    assert objects(coastal, I(COASTAL_POLICY), PK.policyType) == {URIRef("https://w3id.org/pilotkg/policy-type/plan")}
    dated = ingest(COASTAL, date="2022-06-08", url="https://example.org/wetland-plan")
    assert objects(dated, I(COASTAL_POLICY), PK.issuedOn) == {Literal("2022-06-08", datatype=DATE)}
    doc = I("source/coastal-wetland-pilot")
    assert objects(dated, doc, URIRef("http://purl.org/dc/terms/source")) == {URIRef("https://example.org/wetland-plan")}


def test_a_title_not_in_the_text_labels_the_policy_whose_evidence_is_the_title_line():
    result = ingest(COASTAL, title="Coastal wetland plan (2022)")
    (policy,) = subjects_of_type(result, PK.Policy)
    assert objects(result, policy, RDFS_LABEL) == {Literal("Coastal wetland plan (2022)", lang="en")}
    assert "Implementation Plan for the Coastal Wetland Restoration Pilot Programme" in evidence_quotes(result, policy)
    assert any(n.startswith("the title given by --title is not in the text") and "[13–84]" in n for n in result.notes)


# --------------------------------------------------------------------------- the name finders and other texts


def test_name_finders_on_sentences():
    text = "The Ministry of Finance and the State Council Leading Group Office approved it, and the National Development and Reform Commission and Ministry of Natural Resources of China agreed."
    assert [text[s.start : s.end] for s in find_body_names(text)] == [
        "Ministry of Finance",
        "State Council Leading Group Office",
        "National Development and Reform Commission",
        "Ministry of Natural Resources of China",
    ]
    text = "In Lancang Lahu Autonomous County and the Pilot County-level Reform, Xining City of Qinghai Province joined."
    assert [text[s.start : s.end] for s in find_place_names(text)] == ["Lancang Lahu Autonomous County", "Xining City", "Qinghai Province"]
    text = "the Notice on the National Urban Renewal Pilot Programme for Small Cities, not the Pilot Zones."
    assert [text[s.start : s.end] for s in find_programme_names(text)] == ["National Urban Renewal Pilot Programme for Small Cities"]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_on_the_seeds_every_name_is_known_and_the_curated_draft_is_the_build(path):
    """The seeds' bodies and places are all in the gazetteer: the finders report none;
    with its curation file, a seed is extracted exactly as the build extracts it."""
    generic = ingest(path)
    assert generic.unknown_bodies == [] and generic.unknown_places == []
    assert generic.conforms, generic.report.as_text()
    curated = ingest(path, curation=path.with_name(path.stem + ".curation.yaml"))
    built = extract(SourceText.load(path), load_gazetteer())
    assert {(s, p, o) for s, p, o, _g in curated.quads} == {t for t in triples_of(built)}


def triples_of(extraction):
    return {(s, p, o) for s, p, o, _g in fact_quads(extraction.facts)}


def test_a_text_with_two_objectives_for_one_year_does_not_conform(tmp_path):
    text = tmp_path / "grain.txt"
    text.write_text(
        "Opinions on the Grain Storage Pilot Areas\n\nBy 2025, every pilot area should run a modern grain depot.\n\n"
        "By 2025, grain losses in storage should fall by half.\n",
        encoding="utf-8",
    )
    result = ingest(text)
    assert not result.conforms
    assert any(r.shape.endswith("LabelledShape-label") for r in result.report.violations)


def test_an_outline_heading_without_words_leaves_the_tasks_out_with_a_note(tmp_path):
    text = tmp_path / "odd.txt"
    text.write_text("Notice on the Seed Industry Pilot Zones of Hainan\n\nI.\n(1)\n(2) Breed new rice.\n", encoding="utf-8")
    result = ingest(text)
    assert result.counts()["tasks"] == 0 and result.conforms
    at = result.source.text.index("(1)")
    assert f"the outline has a heading with no words (“(1)” at {at}): no tasks are taken from it" in result.notes


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"\xff\xfe not utf-8", "not UTF-8 at byte 0"), (b"  \n\n", "the text is empty")],
)
def test_unusable_input_raises(tmp_path, content, message):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(IngestInputError, match=message):
        ingest(path)
    with pytest.raises(IngestInputError, match="not an http"):
        ingest(DIGITAL, url="ftp://example.org/x")
    with pytest.raises(IngestInputError, match="no such curation file"):
        ingest(DIGITAL, curation=tmp_path / "missing.curation.yaml")


# --------------------------------------------------------------------------- the command


PILOTKG = console_script("pilotkg")


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    if PILOTKG:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")} | (env or {})
        return subprocess.run([PILOTKG, *map(str, args)], capture_output=True, text=True, encoding="utf-8", cwd=cwd, env=environ, timeout=300)
    from click.testing import CliRunner

    from pilotkg.graph.cli import main

    res = CliRunner().invoke(main, list(map(str, args)), env=env)
    return subprocess.CompletedProcess(args, res.exit_code, res.stdout, res.stderr if res.stderr_bytes is not None else "")


def test_cli_writes_the_draft_beside_the_text_and_prints_the_report(tmp_path):
    text = tmp_path / "coastal.txt"
    text.write_bytes(COASTAL.read_bytes())
    out = run_cli("ingest", text, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    draft = tmp_path / "coastal.draft.trig"
    assert draft.is_file()
    quads = parse_bytes(draft.read_bytes(), "trig", source=str(draft))
    assert {q.graph_name.value for q in quads} == {"https://w3id.org/pilotkg/id/graph/draft/coastal"}
    assert len(quads) == len(ingest(text).quads)
    assert "Unknown bodies (not in the gazetteer; reported, not added): 0" in out.stdout
    assert "bodies: Ministry of Ecology and Environment  [189–224] “Ministry of Ecology and Environment”" in out.stdout
    assert "zones: Beihai (new zone; covers Beihai 450500; province Guangxi)  [375–386] “Beihai City”" in out.stdout
    assert "Unknown places (in neither the seed nor the national gazetteer; reported, not added): 0" in out.stdout
    assert re.search(r"^  responsibilities\s+6$", out.stdout, re.M)
    assert "Conforms: 0 violation(s)" in out.stdout
    assert f"wrote {draft}" in out.stderr


def test_cli_json_report_and_output_option(tmp_path):
    target = tmp_path / "out" / "digital.trig"
    target.parent.mkdir()
    out = run_cli("ingest", DIGITAL, "--output", target, "--report", "json", "--date", "2023-03-16")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["graph"] == "https://w3id.org/pilotkg/id/graph/draft/digital-countryside-pilot"
    assert report["counts"]["zones"] == 4 and report["counts"]["dates"] == 4
    assert report["validation"]["conforms"] is True and report["validation"]["violations"] == 0
    assert report["unknown_bodies"] == [] and report["unknown_places"] == []
    assert report["curation"]["policies"][0]["issued_on"] == {"quote": "2023-03-16"}
    assert target.is_file()


def test_cli_exit_1_when_the_draft_has_violations(tmp_path):
    text = tmp_path / "grain.txt"
    text.write_text("Opinions on the Grain Storage Pilot Areas\n\nBy 2025, every pilot area should run a depot.\n\nBy 2025, losses should halve.\n", encoding="utf-8")
    out = run_cli("ingest", text)
    assert out.returncode == 1
    assert "Does not conform: 1 violation(s)" in out.stdout


def test_cli_exit_2_on_a_missing_file_naming_it(tmp_path):
    missing = tmp_path / "no-such-text.txt"
    out = run_cli("ingest", missing)
    assert out.returncode == 2
    assert str(missing) in out.stderr and "no such file" in out.stderr


def test_cli_exit_2_on_text_that_is_not_utf8_and_on_a_bad_date(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Pilot zones in Lüneburg".encode("latin-1"))
    out = run_cli("ingest", bad)
    assert out.returncode == 2 and "not UTF-8" in out.stderr
    out = run_cli("ingest", DIGITAL, "--date", "someday", "--output", tmp_path / "x.trig")
    assert out.returncode == 2 and "--date 'someday' is not a date" in out.stderr


class _ImportsHandler(http.server.BaseHTTPRequestHandler):
    answer = 404
    seen: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        type(self).seen.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(self.answer)
        if self.answer == 201:
            self.send_header("Location", "/imports/42")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def imports_server():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _ImportsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ImportsHandler.seen = []
    yield f"http://127.0.0.1:{port}", _ImportsHandler
    server.shutdown()
    server.server_close()


def test_cli_stage_says_when_the_server_has_no_imports_endpoint(tmp_path, imports_server):
    url, handler = imports_server
    handler.answer = 404
    out = run_cli("ingest", DIGITAL, "--output", tmp_path / "d.trig", "--stage", "--server", url, "--token", "secret")
    assert out.returncode == 2
    assert f"{url} has no /imports endpoint (404 Not Found): staged imports are not implemented on that server yet" in out.stderr


def test_cli_stage_posts_the_draft_and_prints_the_import_url(tmp_path, imports_server):
    url, handler = imports_server
    handler.answer = 201
    out = run_cli("ingest", DIGITAL, "--output", tmp_path / "d.trig", "--stage", "--server", url, env={"PILOTKG_TOKEN": "secret"})
    assert out.returncode == 0, out.stderr
    assert f"Staged import: {url}/imports/42" in out.stdout
    ((path, headers, body),) = handler.seen
    assert path == "/imports?graph=https%3A%2F%2Fw3id.org%2Fpilotkg%2Fid%2Fgraph%2Fdraft%2Fdigital-countryside-pilot"
    assert headers["Content-Type"] == "application/trig"
    assert headers["Authorization"] == "Bearer secret"
    assert body == (tmp_path / "d.trig").read_bytes()


def test_cli_stage_needs_server_and_token(tmp_path):
    out = run_cli("ingest", DIGITAL, "--output", tmp_path / "d.trig", "--stage")
    assert out.returncode == 2
    assert "--stage needs --server URL and --token TOKEN" in out.stderr
