"""Bodies beyond the seeds: the national bodies file, the local-body patterns, collective
phrases as one node per document, and the reports-to shortcut (issue 10, deliverable 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from pilotkg.graph.extract.bodies import FUNCTIONS, BodyFinder, find_body_mentions
from pilotkg.graph.extract.curation import Curation
from pilotkg.graph.extract.divisions import load_national_gazetteer
from pilotkg.graph.extract.extractor import Extractor
from pilotkg.graph.extract.facts import body_slug, collective_body_iri
from pilotkg.graph.extract.gazetteer import (
    BODIES_FILE, BODIES_NATIONAL_FILE, Gazetteer, GazetteerError, is_abbreviation, load_gazetteer,
)
from pilotkg.graph.extract.ingest import ingest
from pilotkg.graph.extract.text import SourceText
from pilotkg.graph.namespaces import PK, PKR, REFERENCE_GRAPH, ROLE
from pilotkg.graph.rdf import reference_quads
from pilotkg.graph.reason import shortcuts
from pilotkg.graph.validate import ontology_graph

REFERENCE = Path(__file__).parents[1] / "graph" / "reference"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


@pytest.fixture(scope="module")
def finder(gaz) -> BodyFinder:
    return BodyFinder(gaz, load_national_gazetteer())


def found(finder: BodyFinder, text: str) -> list[tuple[str, str, str]]:
    """(kind, slug, text) of each body the finder reads in ``text``."""
    return [(f.kind, f.slug, f.text) for f in finder.find_body_mentions(text)]


# --------------------------------------------------------------------------- the national file


def test_the_national_file_loads_with_the_seed_file_and_shares_no_slug(gaz):
    national = {s for s, f in gaz.body_files.items() if f == BODIES_NATIONAL_FILE}
    seed = {s for s, f in gaz.body_files.items() if f == BODIES_FILE}
    assert len(national) >= 100 and not national & seed
    # the central organs the seeds also name are general knowledge: in the national file, slugs kept
    assert {"state-council", "ndrc", "mara", "moa", "cpc-central-committee", "central-rural-work-leading-group"} <= national
    # a seed's own wording of a national body stays in the seed file (extends:), here merged
    assert "Central Government of China***" in gaz.bodies["cpc-central-committee"].aliases
    again = Gazetteer.from_directory(REFERENCE)
    assert list(again.bodies) == list(gaz.bodies) and again.bodies == gaz.bodies  # deterministic


def test_the_state_council_has_its_26_constituent_departments(gaz):
    departments = {"mfa", "mnd", "ndrc", "moe", "most", "miit", "neac", "mps", "mss", "mca", "moj", "mof", "mohrss",
                   "mnr", "mee", "mohurd", "mot", "mwr", "mara", "mofcom", "mct", "nhc", "mva", "mem", "pboc", "nao"}
    assert len(departments) == 26
    for slug in departments:
        body = gaz.bodies[slug]
        assert body.parent == "state-council" and body.kind == "state" and body.succeeded_by is None, slug
        assert body.name_zh and body.zh_reference and body.references, slug
    assert gaz.bodies["state-council-general-office"].parent == "state-council"
    assert gaz.bodies["cpc-central-committee-general-office"].parent == "cpc-central-committee"
    assert gaz.bodies["nea"].parent == "ndrc" and gaz.bodies["caac"].parent == "mot" and gaz.bodies["nfga"].parent == "mnr"
    assert gaz.bodies["cac"].parent == "central-cyberspace-affairs-commission"


ABBREVIATIONS = {
    "MIIT": "miit", "MOFCOM": "mofcom", "NDRC": "ndrc", "CAC": "cac", "MOF": "mof", "MOE": "moe", "MEE": "mee",
    "MNR": "mnr", "MARA": "mara", "MOHURD": "mohurd", "NHC": "nhc", "MPS": "mps", "PBOC": "pboc", "SAMR": "samr",
    "NFRA": "nfra", "CSRC": "csrc", "GAC": "gac", "STA": "sta", "NBS": "nbs", "NHSA": "nhsa", "NRTA": "nrta",
    "CAAC": "caac", "NNSA": "nnsa", "NEA": "nea", "MOST": "most", "SASAC": "sasac", "CBIRC": "cbirc", "MoA": "moa",
    "SCIO": "scio",
}


@pytest.mark.parametrize(("abbreviation", "slug"), sorted(ABBREVIATIONS.items()))
def test_the_usual_abbreviations_name_their_body(gaz, abbreviation, slug):
    text = f"On Monday the {abbreviation} said it would act."
    (mention,) = gaz.find_mentions(text, kinds=("body",))
    assert (mention.slug_or_code, mention.text) == (slug, abbreviation)


def test_every_abbreviation_of_the_gazetteer_resolves_to_its_body_and_only_as_written(gaz):
    abbreviations = [(a, s) for s, b in gaz.bodies.items() for a in b.aliases if is_abbreviation(a)]
    assert len(abbreviations) >= 60
    for abbreviation, slug in abbreviations:
        mentions = gaz.find_mentions(f"({abbreviation}) and {abbreviation}s", kinds=("body",))
        assert [(m.slug_or_code, m.text) for m in mentions] == [(slug, abbreviation)], abbreviation
        assert not gaz.find_mentions(f"the {abbreviation.lower()} of it", kinds=("body",)), abbreviation


def test_full_names_and_chinese_names_are_found(gaz):
    text = ("The Ministry of Industry and Information Technology, the State Administration for Market Regulation "
            "and 国家金融监督管理总局 met the Central Commission for Comprehensively Deepening Reform.")
    assert [m.slug_or_code for m in gaz.find_mentions(text, kinds=("body",))] == [
        "miit", "samr", "nfra", "central-commission-for-deepening-reform"]


@pytest.mark.parametrize(("old", "new", "month"), [
    ("moa", "mara", "2018-03"), ("cbrc", "cbirc", "2018-03"), ("circ", "cbirc", "2018-03"), ("cbirc", "nfra", "2023-05"),
    ("mlr", "mnr", "2018-03"), ("mep", "mee", "2018-03"), ("nhfpc", "nhc", "2018-03"), ("saic", "samr", "2018-03"),
    ("aqsiq", "samr", "2018-03"), ("cfda", "samr", "2018-03"), ("nrra", "mara", "2023-03"),
    ("central-leading-group-for-deepening-reforms", "central-commission-for-deepening-reform", "2018-03"),
])
def test_successions_with_their_month(gaz, old, new, month):
    assert (gaz.bodies[old].succeeded_by, gaz.bodies[old].succeeded_on) == (new, month)


def test_the_banking_regulator_chain_in_the_reference_graph(gaz):
    quads = {(s, p, o) for s, p, o, _g in reference_quads(gaz, [])}
    b = lambda slug: PKR[f"body/{slug}"]  # noqa: E731
    assert (b("cbrc"), PK.succeededBy, b("cbirc")) in quads and (b("cbirc"), PK.succeededBy, b("nfra")) in quads
    assert (b("nfra"), PK.succeeds, b("cbirc")) in quads and (b("cbirc"), PK.succeeds, b("circ")) in quads
    assert (b("miit"), SKOS.altLabel, Literal("MIIT", lang="en")) in quads
    assert (b("miit"), RDFS.label, Literal("工业和信息化部", lang="zh")) in quads
    # collective bodies are per document: none in the reference graph
    assert not any(p == RDF.type and o == PK.CollectiveBody for _s, p, o in quads)
    assert (b("sichuan-provincial-government"), PK.jurisdiction, PKR["division/510000"]) in quads


# --------------------------------------------------------------------------- bad rows


@pytest.fixture()
def reference_copy(tmp_path: Path) -> Path:
    for name in (BODIES_FILE, BODIES_NATIONAL_FILE, "divisions.csv", "zones.yaml"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(path: Path, entry: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + entry, encoding="utf-8")


SEED_ENTRY = """- slug: {slug}
  name_en: Test body
  kind: state
  references: ["a test"]
"""


@pytest.mark.parametrize(("file", "edit", "message"), [
    (BODIES_FILE, ("append", SEED_ENTRY.format(slug="ndrc")),
     r"^bodies\.yaml, entry \d+ \(slug 'ndrc'\): slug 'ndrc' is already a body of bodies_national\.yaml"),
    (BODIES_FILE, ("append", "- extends: ndrcc\n  aliases: [\"the Commission\"]\n  references: [\"a test\"]\n"),
     r"^bodies\.yaml, entry \d+ \(extends 'ndrcc'\): extends unknown body 'ndrcc'"),
    (BODIES_NATIONAL_FILE, ("replace", "  parent: state-council\n", "  parent: sichuan-provincial-government\n"),
     r"^bodies_national\.yaml, entry \d+ \(slug '[a-z-]+'\): unknown parent 'sichuan-provincial-government' "
     r"\(bodies_national\.yaml may refer only to its own entries\)"),
    (BODIES_NATIONAL_FILE, ("replace", "succeeded_by: nfra\n", "succeeded_by: cbrc\n"),
     r"^bodies_national\.yaml, entry \d+ \(slug '(cbrc|circ|cbirc)'\): succession loops at"),
    (BODIES_NATIONAL_FILE, ("replace", "succeeded_on: 2023-05", "succeeded_on: May 2023"),
     r"^bodies_national\.yaml, entry \d+ \(slug 'cbirc'\): succeeded_on 'May 2023' must be YYYY, YYYY-MM or YYYY-MM-DD"),
    (BODIES_FILE, ("replace", 'jurisdiction: "510000"', 'jurisdiction: "519999"'),
     r"^bodies\.yaml, entry \d+ \(slug 'cpc-sichuan-provincial-committee'\): jurisdiction '519999' is not in divisions\.csv"),
    (BODIES_NATIONAL_FILE, ("replace", "  kind: commission\n", "  kind: ministry\n"),
     r"^bodies_national\.yaml, entry \d+ \(slug '[a-z-]+'\): kind 'ministry' must be one of"),
    (BODIES_NATIONAL_FILE, ("replace", "  - MIIT\n", "  - MOFCOM\n"),
     r"^bodies_national\.yaml, body '(miit|mofcom)': name 'MOFCOM' is already a name of '(miit|mofcom)'"),
])
def test_a_bad_row_is_refused_naming_file_entry_and_problem(reference_copy, file, edit, message):
    path = reference_copy / file
    if edit[0] == "append":
        _append(path, edit[1])
    else:
        _edit(path, edit[1], edit[2])
    with pytest.raises(GazetteerError, match=message):
        Gazetteer.from_directory(reference_copy)


def test_a_national_file_without_references_is_refused(reference_copy):
    _append(reference_copy / BODIES_NATIONAL_FILE, "- slug: test-body\n  name_en: Test\n  kind: state\n  references: []\n")
    with pytest.raises(GazetteerError, match=r"bodies_national\.yaml, entry \d+ \(slug 'test-body'\): references must not be empty"):
        Gazetteer.from_directory(reference_copy)


# --------------------------------------------------------------------------- local bodies


@pytest.mark.parametrize(("text", "expected"), [
    ("The Beijing Municipal Commission of Development and Reform issued the notice.",
     [("development-and-reform-110000", "Beijing Municipal Commission of Development and Reform")]),
    ("It was drafted by the Development and Reform Commission of Guangdong Province last year.",
     [("development-and-reform-440000", "Development and Reform Commission of Guangdong Province")]),
    ("The Industry and Information Technology Department of Hebei Province will guide the work.",
     [("industry-and-information-technology-130000", "Industry and Information Technology Department of Hebei Province")]),
    ("The Zhejiang Provincial Department of Commerce and the Department of Finance of Hunan Province agreed.",
     [("commerce-330000", "Zhejiang Provincial Department of Commerce"), ("finance-430000", "Department of Finance of Hunan Province")]),
    ("It was approved by the people's government of Hebei Province on Monday.",
     [("government-130000", "people's government of Hebei Province")]),
    ("The Hangzhou Municipal People's Government and the Xi'an Municipal Bureau of Natural Resources and Planning met.",
     [("government-330100", "Hangzhou Municipal People's Government"),
      ("natural-resources-610100", "Xi'an Municipal Bureau of Natural Resources and Planning")]),
    ("The Shenzhen Municipal Market Supervision Administration and the Guangxi Zhuang Autonomous Regional Health Commission act.",
     [("market-regulation-440300", "Shenzhen Municipal Market Supervision Administration"),
      ("health-450000", "Guangxi Zhuang Autonomous Regional Health Commission")]),
    ("The Jilin Municipal Bureau of Commerce reported to the Jilin Provincial Department of Finance.",
     [("commerce-220200", "Jilin Municipal Bureau of Commerce"), ("finance-220000", "Jilin Provincial Department of Finance")]),
    ("CPC Beijing Municipal Committee and the Zhejiang Provincial Party Committee; the Anhui provincial government.",
     [("party-committee-110000", "CPC Beijing Municipal Committee"), ("party-committee-330000", "Zhejiang Provincial Party Committee"),
      ("government-340000", "Anhui provincial government")]),
    ("It was issued by the General Office of the Hebei Provincial People's Government and the Guangdong Provincial "
     "Government General Office.",
     [("general-office-130000", "General Office of the Hebei Provincial People's Government"),
      ("general-office-440000", "Guangdong Provincial Government General Office")]),
    ("Hosted by the General Office of the People's Government of Sichuan Province.",  # the seed gazetteer's own entry
     [("sichuan-provincial-government-general-office", "General Office of the People's Government of Sichuan Province")]),
    ("The Nanbu County Bureau of Agriculture and Rural Affairs and the Sichuan Provincial People's Government.",
     [("agriculture-and-rural-affairs-511321", "Nanbu County Bureau of Agriculture and Rural Affairs"),
      ("sichuan-provincial-government", "Sichuan Provincial People's Government")]),
])
def test_local_bodies_resolve_to_one_node_per_function_and_place(finder, text, expected):
    assert [(slug, name) for kind, slug, name in found(finder, text) if kind == "local"] == expected


@pytest.mark.parametrize("text", [
    "The Suzhou Industrial Park Development Zone Management Committee approved it.",  # no function of the table
    "Xinhua News Agency reported that the Commission approved the plan.",  # a news agency; "the Commission" bare
    "The Development and Reform Commission said the Department of Commerce will help.",  # no place
    "The Ministry of Commerce and the National Development and Reform Commission agreed.",  # central, not local
    "The Smart Valley Municipal Bureau of Commerce opened.",  # no such place
    "The Zhejiang University Education Department and the Beijing Olympic Organizing Committee met.",  # no place; no function
    "The State Council Information Office held a press conference.",  # central (SCIO), not local
])
def test_what_is_not_a_local_body(finder, text):
    assert [f for f in found(finder, text) if f[0] == "local"] == []


def test_an_ambiguous_place_gives_no_body_but_says_why(finder):
    assert found(finder, "The Taizhou Municipal Bureau of Commerce held a meeting.") == []
    (why,) = finder.unresolved
    assert (why.text, why.function, why.place) == ("Taizhou Municipal Bureau of Commerce", "commerce", "Taizhou")
    assert "321200" in why.reason and "331000" in why.reason
    # told apart by the sentence: Zhejiang is named beside it
    assert [s for _k, s, _t in found(finder, "The Taizhou Municipal Bureau of Commerce in Zhejiang held a meeting.")] == ["commerce-331000"]


def test_one_node_for_two_wordings_with_the_government_it_belongs_to(finder):
    text = ("The Hebei Provincial Department of Commerce will lead. Later the Department of Commerce of Hebei Province "
            "reported to the MOFCOM.")
    local = finder.local_bodies(text)
    assert sorted(local) == ["commerce-130000", "government-130000"]
    commerce = local["commerce-130000"]
    assert commerce.name_en == "Hebei Provincial Department of Commerce"
    assert commerce.aliases == ("Department of Commerce of Hebei Province",)
    assert (commerce.jurisdiction, commerce.function, commerce.parent) == ("130000", "commerce", "government-130000")
    assert local["government-130000"].name_en == "People's Government of Hebei Province"
    assert {f.slug for f in FUNCTIONS} >= {"development-and-reform", "commerce", "finance", "industry-and-information-technology",
                                           "ecology-and-environment", "natural-resources", "agriculture-and-rural-affairs",
                                           "housing-and-urban-rural-development", "transport", "education", "health",
                                           "market-regulation"}


def test_central_local_and_collective_bodies_with_their_spans(finder):
    text = "The MIIT, the Hebei Provincial Development and Reform Commission and relevant departments shall act."
    mentions = finder.find_body_mentions(text)
    assert [(m.kind, m.slug, text[m.start:m.end]) for m in mentions] == [
        ("central", "miit", "MIIT"),
        ("local", "development-and-reform-130000", "Hebei Provincial Development and Reform Commission"),
        ("collective", "relevant-departments", "relevant departments"),
    ]
    # a window of the text, with the packaged gazetteers; offsets stay those of the text
    window = find_body_mentions(text, text.index("the Hebei"), text.index(" and relevant"))
    assert [(m.slug, m.start) for m in window] == [("development-and-reform-130000", text.index("Hebei"))]


def test_an_ingested_draft_holds_its_local_bodies_and_validates(tmp_path):
    path = tmp_path / "hebei-trade-pilot.txt"
    path.write_text(
        "Notice on the Hebei Cross-border Trade Pilot Zones\n\n"
        "The Hebei Provincial Department of Commerce will lead the Hebei Cross-border Trade Pilot Zones, and the "
        "people's government of Hebei Province shall support them. Relevant departments should coordinate.\n",
        encoding="utf-8")
    result = ingest(path)
    assert result.conforms, result.report.as_text()
    assert result.unknown_bodies == []
    triples = {(s, p, o) for s, p, o, _g in result.quads}
    commerce, government = PKR["body/commerce-130000"], PKR["body/government-130000"]
    assert (commerce, PK.jurisdiction, PKR["division/130000"]) in triples
    assert (commerce, PK.subOrganizationOf, government) in triples
    assert (PKR["division/130000"], RDF.type, PK.ProvinceLevelDivision) in triples  # the division, written too
    roles = {(body_slug(b), str(r).rsplit("/", 1)[1]) for s, p, b in triples if p == PK.body
             for s2, p2, r in triples if s2 == s and p2 == PK.role}
    assert {("commerce-130000", "leads"), ("government-130000", "supports")} <= roles
    assert (collective_body_iri("relevant-departments", result.source.doc_id), RDF.type, PK.CollectiveBody) in triples


# --------------------------------------------------------------------------- collective phrases


def test_collective_phrases_are_one_node_per_document(gaz, tmp_path):
    nodes = {}
    for name in ("first-notice", "second-notice"):
        path = tmp_path / f"{name}.txt"
        path.write_text("Relevant departments should strengthen coordination and all regions shall report.\n", encoding="utf-8")
        source = SourceText.load(path)
        cur = Curation(path=tmp_path / f"{name}.curation.yaml", data={"subjects": {"default": "body/ndrc"}}, source=source)
        facts = Extractor(source, gaz, cur).run().facts
        nodes[name] = {s for s, p, o in facts.triples if p == RDF.type and o == PK.CollectiveBody}
        doc = PKR[f"source/{source.doc_id}"]
        for node in nodes[name]:
            assert (node, PK.derivedFrom, doc) in facts.triples and facts.evidence[node]
    assert nodes["first-notice"] == {PKR["body/relevant-departments/first-notice"], PKR["body/all-regions/first-notice"]}
    assert nodes["second-notice"] == {PKR["body/relevant-departments/second-notice"], PKR["body/all-regions/second-notice"]}


def test_local_bodies_of_one_level_named_together_are_collective(finder):
    text = ("Provincial commerce departments and the municipal people's governments shall act; county party committees "
            "and governments lead, with provincial governments and county-level development and reform commissions.")
    assert [(f.kind, f.slug) for f in finder.find_body_mentions(text)] == [
        ("collective", "provincial-commerce-departments"),
        ("collective", "municipal-peoples-governments"),
        ("collective", "county-party-committees-and-governments"),
        ("collective", "provincial-governments"),  # the gazetteer's own entry
        ("collective", "county-level-development-and-reform-commissions"),
    ]
    local = finder.local_bodies(text)
    assert local["provincial-commerce-departments"].collective and local["provincial-commerce-departments"].jurisdiction is None
    assert "provincial-governments" not in local
    # no government is made for them, and the draft writes none of them: the extractor declares them per document
    assert not [s for s in local if s.startswith("government-")]


# --------------------------------------------------------------------------- the reports-to shortcut


def test_reports_to_is_a_body_to_body_shortcut_not_a_responsible_body():
    """The provincial DRCs report to the NDRC: the graph must say that the DRCs report to
    the NDRC, never that the NDRC is responsible for the DRCs (the old shortcut did)."""
    drcs, ndrc, prog = PKR["body/provincial-drcs/doc"], PKR["body/ndrc"], PKR["programme/p"]
    data = Graph()
    for r, role, subject in ((PKR["responsibility/doc/drcs/reports-to"], ROLE["reports-to"], ndrc),
                             (PKR["responsibility/doc/drcs/supervises"], ROLE.supervises, prog)):
        data.add((r, RDF.type, PK.Responsibility))
        data.add((r, PK.body, drcs))
        data.add((r, PK.role, role))
        data.add((r, PK.subject, subject))
    found = set(shortcuts(ontology_graph() + data))
    assert (drcs, PK.reportsTo, ndrc) in found
    assert (ndrc, PK.responsibleBody, drcs) not in found and (drcs, PK.responsibleFor, ndrc) not in found
    assert (prog, PK.responsibleBody, drcs) in found and (drcs, PK.responsibleFor, prog) in found
    assert (URIRef(str(drcs)), PK.reportsTo, prog) not in found
