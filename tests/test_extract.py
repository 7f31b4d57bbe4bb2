"""The extractor on the real seed texts with their curation files, and on broken
copies of those curation files.

``extract(SourceText.load(path), load_gazetteer())`` is what the build runs for
one text (no reasoning, no SHACL), so the facts checked here are the facts the
graph gets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib import namespace as _ns

from pilotkg.graph.extract.curation import Curation, CurationError
from pilotkg.graph.extract.extractor import Extraction, extract
from pilotkg.graph.extract.gazetteer import load_gazetteer
from pilotkg.graph.namespaces import PK, PKR, ROLE, THEME
from pilotkg.graph.extract.text import SourceText

_REPO_SEEDS = Path(__file__).parents[1] / "seeds"
SEEDS = _REPO_SEEDS if _REPO_SEEDS.is_dir() else Path("/work/shared/seeds")
PREFIXES = ("000", "001", "002", "003", "004")

RDF_TYPE = _ns.RDF.type
RDFS_LABEL = _ns.RDFS.label
XSD_DATE = _ns.XSD.date
XSD_GYEAR = _ns.XSD.gYear
XSD_GYEARMONTH = _ns.XSD.gYearMonth
XSD_INTEGER = _ns.XSD.integer


def seed_path(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def curation_path(prefix: str) -> Path:
    path = seed_path(prefix)
    return path.with_name(path.stem + ".curation.yaml")


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


_EXTRACTIONS: dict[str, Extraction] = {}


@pytest.fixture(scope="module")
def extraction(gazetteer):
    """``extraction("002")``: the extraction of one seed with its own curation file (cached)."""

    def get(prefix: str) -> Extraction:
        if prefix not in _EXTRACTIONS:
            _EXTRACTIONS[prefix] = extract(SourceText.load(seed_path(prefix)), gazetteer)
        return _EXTRACTIONS[prefix]

    return get


def objects(x: Extraction, subject: URIRef, predicate: URIRef) -> list:
    return x.facts.objects(subject, predicate)


def subjects(x: Extraction, predicate: URIRef, obj) -> list[URIRef]:
    return sorted(s for s, p, o in x.facts.triples if p == predicate and o == obj)


def label(x: Extraction, node: URIRef) -> str:
    (value,) = objects(x, node, RDFS_LABEL)
    return str(value)


def integer(value: int) -> Literal:
    return Literal(value, datatype=XSD_INTEGER)


def tasks_of(x: Extraction, parent: URIRef) -> list[URIRef]:
    found = subjects(x, PK.taskOf, parent)
    assert all((t, RDF_TYPE, PK.ReformTask) in x.facts.triples for t in found)
    assert all((parent, PK.hasTask, t) in x.facts.triples for t in found)
    return found


# --------------------------------------------------------------------------- seed 002: the Opinions


OPINIONS = PKR["policy/2019-urban-rural-opinions"]
# The items each of the seven sections of 002 holds, as the text numbers them.
SECTION_ITEMS_002 = {1: range(1, 4), 2: range(4, 13), 3: range(13, 19), 4: range(19, 22), 5: range(22, 28), 6: range(28, 33), 7: range(33, 37)}


def test_002_task_tree(extraction):
    x = extraction("002")
    sections = tasks_of(x, OPINIONS)
    assert sections == [PKR[f"task/2019-urban-rural-opinions/section-{k}"] for k in range(1, 8)]
    items = []
    for k, section in enumerate(sections, start=1):
        children = tasks_of(x, section)
        numbers = sorted(int(n) for t in children for n in objects(x, t, PK.itemNumber))
        assert numbers == list(SECTION_ITEMS_002[k]), f"section {k}"
        for t in children:
            (number,) = objects(x, t, PK.itemNumber)
            assert t == PKR[f"task/2019-urban-rural-opinions/{int(number):02d}"]
            assert objects(x, t, PK.taskOf) == [section]
        items += children
    assert len(items) == 36
    assert sorted(int(objects(x, t, PK.itemNumber)[0]) for t in items) == list(range(1, 37))
    assert objects(x, PKR["task/2019-urban-rural-opinions/13"], PK.itemNumber) == [integer(13)]


def test_002_task_labels_are_item_headings(extraction):
    x = extraction("002")
    task = URIRef("https://w3id.org/pilotkg/id/task/2019-urban-rural-opinions/06")
    assert (task, RDF_TYPE, PK.ReformTask) in x.facts.triples
    assert label(x, task).startswith("Reforming and improving the rural land contract system")
    assert label(x, PKR["task/2019-urban-rural-opinions/section-7"]) == "Organizational Guarantees"
    # the heading's evidence is the heading as the text writes it
    text = x.source.text
    start = text.index("(6) Reforming and improving")
    assert any(span.start == start for span in x.facts.evidence[task])


def test_002_themes_of_items(extraction):
    x = extraction("002")
    assert objects(x, PKR["task/2019-urban-rural-opinions/04"], PK.theme) == [THEME["household-registration"]]
    assert objects(x, PKR["task/2019-urban-rural-opinions/09"], PK.theme) == [THEME["capital-finance"]]
    assert objects(x, PKR["task/2019-urban-rural-opinions/13"], PK.theme) == [THEME["public-services"]]


def test_002_policy_issued(extraction):
    x = extraction("002")
    (issued,) = objects(x, OPINIONS, PK.issuedOn)
    assert issued == Literal("2019-04-15", datatype=XSD_DATE)
    assert issued.datatype == XSD_DATE
    assert objects(x, OPINIONS, PK.issuedBy) == [PKR["body/cpc-central-committee"], PKR["body/state-council"]]


def test_002_objectives(extraction):
    x = extraction("002")
    objectives = objects(x, OPINIONS, PK.hasObjective)
    assert len(objectives) == 3
    years = sorted(str(y) for o in objectives for y in objects(x, o, PK.targetYear))
    assert years == ["2022", "2035"]
    assert [str(t) for o in objectives for t in objects(x, o, PK.targetText)] == ["the middle of this century"]


def test_002_ndrc_leads_item_34(extraction):
    x = extraction("002")
    item = PKR["task/2019-urban-rural-opinions/34"]
    found = set()
    for r in objects(x, item, PK.responsibility):
        (body,) = objects(x, r, PK.body)
        (role,) = objects(x, r, PK.role)
        found.add((body, role))
    ndrc = PKR["body/ndrc"]
    assert {(ndrc, ROLE.leads), (ndrc, ROLE.coordinates), (ndrc, ROLE.supervises)} <= found
    assert (ndrc, ROLE.implements) not in found


# --------------------------------------------------------------------------- seed 004: the factor-allocation plan


PLAN = PKR["policy/factor-allocation-reform-pilot-plan"]


def _expected_measures_004(text: str) -> list[int]:
    """Measures per item, read off the text: every line after "Pilot content" that is
    neither an item "(..)" nor a section heading (the line just before an item (1)/(A))."""
    body = [line.strip() for line in text[text.index("Pilot content") :].splitlines() if line.strip()][1:]
    counts: list[int] = []
    for k, line in enumerate(body):
        if line.startswith("("):
            counts.append(0)
        elif k + 1 < len(body) and re.match(r"\((?:1|A)\)", body[k + 1]):
            continue
        else:
            counts[-1] += 1
    return counts


def test_004_task_tree(extraction):
    x = extraction("004")
    sections = tasks_of(x, PLAN)
    assert sections == [PKR[f"task/factor-allocation-reform-pilot-plan/section-{k}"] for k in range(1, 7)]
    items = [item for section in sections for item in tasks_of(x, section)]
    assert len(items) == 20
    assert [len(tasks_of(x, s)) for s in sections] == [5, 3, 3, 3, 4, 2]
    expected = _expected_measures_004(x.source.text)
    assert len(expected) == 20
    measures = [tasks_of(x, item) for item in items]
    assert [len(m) for m in measures] == expected
    for item, item_measures in zip(items, measures):
        assert item_measures, f"{item} has no measures"
        positions = sorted(int(p) for m in item_measures for p in objects(x, m, PK.position))
        assert positions == list(range(1, len(item_measures) + 1))
    # "(A) to support the exploration of land management system reform."
    assert label(x, items[0]) == "Support the exploration of land management system reform"
    first = PKR["task/factor-allocation-reform-pilot-plan/section-1/01/measure-1"]
    assert label(x, first).startswith("Reasonable division of land management authority")
    assert objects(x, first, PK.taskOf) == [PKR["task/factor-allocation-reform-pilot-plan/section-1/01"]]


def test_004_data_items_have_the_data_theme(extraction):
    x = extraction("004")
    data_section = PKR["task/factor-allocation-reform-pilot-plan/section-5"]
    assert label(x, data_section) == "Explore the establishment of data element circulation rules"
    for item in tasks_of(x, data_section):
        assert THEME.data in objects(x, item, PK.theme), item


def test_004_programme_period(extraction):
    x = extraction("004")
    programme = PKR["programme/factor-allocation-reform-pilot"]
    (start,) = objects(x, programme, PK.startDate)
    (end,) = objects(x, programme, PK.endDate)
    assert start == Literal("2021", datatype=XSD_GYEAR) and start.datatype == XSD_GYEAR
    assert end == Literal("2025", datatype=XSD_GYEAR) and end.datatype == XSD_GYEAR


# --------------------------------------------------------------------------- seed 000: the 2014 review


RURAL = PKR["programme/rural-reform-pilot-zones"]
RURAL_BATCH_1 = PKR["batch/rural-reform-pilot-zones/1"]
RURAL_BATCH_2 = PKR["batch/rural-reform-pilot-zones/2"]


def test_000_batch_2_approved_in_november_2014(extraction):
    x = extraction("000")
    (approved,) = objects(x, RURAL_BATCH_2, PK.approvedOn)
    assert approved == Literal("2014-11", datatype=XSD_GYEARMONTH)
    assert approved.datatype == XSD_GYEARMONTH
    assert objects(x, RURAL_BATCH_2, PK.batchNumber) == [integer(2)]
    assert objects(x, RURAL_BATCH_2, PK.batchOf) == [RURAL]
    assert objects(x, RURAL, PK.hasBatch) == [RURAL_BATCH_1, RURAL_BATCH_2]


def test_000_declared_counts(extraction):
    x = extraction("000")
    assert objects(x, RURAL, PK.declaredZoneCount) == [integer(58)]
    assert objects(x, RURAL, PK.declaredProvinceCount) == [integer(28)]
    assert objects(x, RURAL, PK.declaredTaskCount) == [integer(14)]
    assert objects(x, RURAL_BATCH_1, PK.declaredZoneCount) == [integer(9)]
    assert objects(x, RURAL_BATCH_2, PK.declaredZoneCount) == [integer(34)]
    assert not x.facts.has(RURAL_BATCH_1, PK.declaredTaskCount)


def test_000_tongzhou_in_batch_2(extraction):
    x = extraction("000")
    tongzhou = PKR["zone/tongzhou-district"]
    assert (tongzhou, RDF_TYPE, PK.PilotZone) in x.facts.triples
    assert RURAL_BATCH_2 in objects(x, tongzhou, PK.inProgramme)
    assert objects(x, RURAL_BATCH_2, PK.hasZone) == [tongzhou]
    assert not x.facts.has(RURAL_BATCH_1, PK.hasZone)


def test_000_five_aspect_tasks(extraction):
    x = extraction("000")
    tasks = tasks_of(x, RURAL)
    assert tasks == [PKR[f"task/rural-reform-pilot-zones/{i:02d}"] for i in range(1, 6)]
    text = x.source.text
    start = text.index("including deepening") + len("including ")
    aspects = text[start : text.index(" mechanism.", start) + len(" mechanism")]
    expected = re.split(r", | and (?=enhancing)", aspects)
    assert len(expected) == 5
    # labels are the aspects as written, capitalised
    assert [label(x, t) for t in tasks] == [a[0].upper() + a[1:] for a in expected]
    assert label(x, tasks[0]) == "Deepening rural land institutional reform"
    assert [objects(x, t, PK.position) for t in tasks] == [[integer(i)] for i in range(1, 6)]


def test_000_responsibilities_subjects(extraction):
    x = extraction("000")

    def holders(subject):
        return {
            (objects(x, r, PK.body)[0], objects(x, r, PK.role)[0]) for r in objects(x, subject, PK.responsibility)
        }

    # "approved by the Central Rural Work Leading Group, the MoA ..." is about batch 2 (subjects.within)
    assert holders(RURAL_BATCH_2) == {
        (PKR["body/central-rural-work-leading-group"], ROLE.approves),
        (PKR["body/moa"], ROLE.approves),
    }
    assert holders(RURAL) == {
        (PKR["body/central-rural-work-leading-group"], ROLE.leads),
        (PKR["body/rural-reform-pilot-office"], ROLE.coordinates),
    }


# --------------------------------------------------------------------------- seed 001: the reply letter


URBAN_RURAL = PKR["programme/national-urban-rural-integration-pilot-zones"]


def test_001_zones_each_approved_by_the_ndrc_general_office(extraction):
    x = extraction("001")
    zones = subjects(x, PK.inProgramme, URBAN_RURAL)
    assert len(zones) == 11
    assert objects(x, URBAN_RURAL, PK.hasZone) == zones
    for zone in zones:
        approvals = [
            r
            for r in objects(x, zone, PK.responsibility)
            if objects(x, r, PK.body) == [PKR["body/ndrc-general-office"]] and objects(x, r, PK.role) == [ROLE.approves]
        ]
        assert len(approvals) == 1, zone
        assert objects(x, approvals[0], PK.subject) == [zone]


def test_001_declared_counts(extraction):
    x = extraction("001")
    assert objects(x, URBAN_RURAL, PK.declaredZoneCount) == [integer(11)]
    assert objects(x, URBAN_RURAL, PK.declaredTaskCount) == [integer(11)]


def test_001_reports_to_the_ndrc(extraction):
    x = extraction("001")
    ndrc = PKR["body/ndrc"]
    reports = objects(x, ndrc, PK.responsibility)
    assert [(objects(x, r, PK.body), objects(x, r, PK.role)) for r in reports] == [
        # a collective body is this text's own node (body/SLUG/DOC)
        ([PKR["body/provincial-development-and-reform-commissions/001-e77d55302f611b21"]], [ROLE["reports-to"]])
    ]


def test_001_reject_entries_remove_findings(extraction):
    x = extraction("001")
    ndrc_roles = {objects(x, r, PK.role)[0] for r in subjects(x, PK.body, PKR["body/ndrc"])}
    assert ROLE.leads not in ndrc_roles  # rejected: "demonstration Leading role" is the zones'
    assert ROLE.coordinates in ndrc_roles


# --------------------------------------------------------------------------- seed 003: Sichuan county-level reform


SICHUAN = PKR["programme/sichuan-county-integrated-reform-pilot"]
SICHUAN_BATCH_1 = PKR["batch/sichuan-county-integrated-reform-pilot/1"]


def test_003_zones_in_batch_1(extraction):
    x = extraction("003")
    zones = objects(x, SICHUAN_BATCH_1, PK.hasZone)
    assert len(zones) == 9
    assert PKR["zone/hejiang-county"] in zones and PKR["zone/cuiping-district"] in zones
    assert subjects(x, PK.inProgramme, SICHUAN_BATCH_1) == zones
    assert objects(x, SICHUAN_BATCH_1, PK.declaredZoneCount) == [integer(9)]


def test_003_area_tasks_and_period(extraction):
    x = extraction("003")
    tasks = tasks_of(x, SICHUAN)
    assert len(tasks) == 8
    assert label(x, tasks[0]) == "Infrastructure connectivity"
    assert label(x, tasks[-1]) == "Community-level governance"
    (end,) = objects(x, SICHUAN, PK.endDate)
    assert end == Literal("2025", datatype=XSD_GYEAR) and end.datatype == XSD_GYEAR
    assert not x.facts.has(SICHUAN, PK.startDate)


# --------------------------------------------------------------------------- all seeds


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_evidence_span_is_inside_the_text(extraction, prefix):
    x = extraction(prefix)
    n = len(x.source.text)
    spans = [(node, span) for node, node_spans in x.facts.evidence.items() for span in node_spans]
    assert spans
    bad = [(str(node), span) for node, span in spans if not 0 <= span.start < span.end <= n]
    assert bad == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_labels_carry_no_lost_character_marks(extraction, prefix):
    x = extraction(prefix)
    labels = [o for s, p, o in x.facts.triples if p == RDFS_LABEL]
    assert labels
    assert [str(o) for o in labels if "***" in o] == []
    if prefix == "002":
        # the text has the marks; the labels are cleaned of them
        assert "***" in x.source.text
        assert "public **** cultural service system" in x.source.text
        assert label(x, PKR["task/2019-urban-rural-opinions/15"]) == "Improvement of the urban and rural public cultural service system"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_extraction_is_deterministic(gazetteer, extraction, prefix):
    first = extraction(prefix)
    again = extract(SourceText.load(seed_path(prefix)), gazetteer)
    assert again.facts.triples == first.facts.triples
    assert dict(again.facts.evidence) == dict(first.facts.evidence)


_DIGEST = """
import hashlib, sys
from pathlib import Path
from pilotkg.graph.extract.extractor import extract
from pilotkg.graph.extract.gazetteer import load_gazetteer
from pilotkg.graph.extract.text import SourceText
g = load_gazetteer()
h = hashlib.sha256()
for path in sys.argv[1:]:
    x = extract(SourceText.load(path), g)
    for t in sorted(tuple(map(repr, t)) for t in x.facts.triples):
        h.update(repr(t).encode())
    for node in sorted(x.facts.evidence):
        h.update(repr((str(node), sorted(x.facts.evidence[node]))).encode())
print(h.hexdigest())
"""


def test_extraction_does_not_depend_on_hash_order():
    """Set iteration order changes with PYTHONHASHSEED; the facts must not."""
    paths = [str(seed_path(p)) for p in PREFIXES]
    digests = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _DIGEST, *paths], env=env, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


# --------------------------------------------------------------------------- broken curation files


def broken_copy(tmp_path: Path, prefix: str, old: str, new: str) -> Path:
    """A copy of a real curation file (same name, in tmp_path) with one change."""
    real = curation_path(prefix)
    yaml_text = real.read_text(encoding="utf-8")
    assert yaml_text.count(old) == 1, f"{old!r} must occur once in {real.name}"
    copy = tmp_path / real.name
    copy.write_text(yaml_text.replace(old, new), encoding="utf-8")
    return copy


def extract_with(gazetteer, prefix: str, curation_file: Path) -> Extraction:
    source = SourceText.load(seed_path(prefix))
    return extract(source, gazetteer, Curation.load(source, path=curation_file))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_unchanged_copy_extracts_the_same(gazetteer, extraction, tmp_path, prefix):
    # the control for the tests below: copying alone changes nothing
    copy = tmp_path / curation_path(prefix).name
    copy.write_bytes(curation_path(prefix).read_bytes())
    assert extract_with(gazetteer, prefix, copy).facts.triples == extraction(prefix).facts.triples


def test_quote_not_in_text(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "001", 'quote: "Guangdong Guangqing Joint District"}', 'quote: "Guangdong Guangqing Joint Zone"}')
    name = curation_path("001").name
    with pytest.raises(CurationError, match=re.escape(name) + r": zones\[2\]: .*'Guangdong Guangqing Joint Zone'") as err:
        extract_with(gazetteer, "001", copy)
    assert "not found in the text" in str(err.value)


def test_unknown_body(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "002", "- body: cpc-central-committee\n        quote", "- body: cpc-centre\n        quote")
    with pytest.raises(CurationError, match=re.escape("policies[0].issued_by[0]: unknown body 'cpc-centre'; add it to graph/reference/bodies.yaml")) as err:
        extract_with(gazetteer, "002", copy)
    assert str(err.value).startswith(curation_path("002").name)


def test_unknown_section(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "003", "\nsubjects:\n", "\nsubject:\n")
    with pytest.raises(CurationError, match=re.escape(f"{curation_path('003').name}: unknown section(s) ['subject']; allowed: [")) as err:
        extract_with(gazetteer, "003", copy)
    assert "'subjects'" in str(err.value)


def test_invalid_yaml_names_line_and_column(gazetteer, tmp_path):
    old = "  - id: rural-reform-pilot-zones/2\n"
    bad = "    programme: programme/x: y\n"
    copy = broken_copy(tmp_path, "000", old, old + bad)
    broken = copy.read_text(encoding="utf-8")
    line = broken[: broken.index(bad)].count("\n") + 1
    column = bad.index(": y") + 1
    with pytest.raises(CurationError, match=re.escape(f"{copy.name} at line {line}, column {column}: not valid YAML")):
        extract_with(gazetteer, "000", copy)


def test_reject_that_matches_nothing(gazetteer, tmp_path):
    copy = broken_copy(
        tmp_path,
        "003",
        "reject:\n  - body: municipal-and-provincial-departments-concerned\n    role: implements",
        "reject:\n  - body: municipal-and-provincial-departments-concerned\n    role: supervises",
    )
    with pytest.raises(
        CurationError,
        match=re.escape("reject[0]: rejects 'municipal-and-provincial-departments-concerned supervises', but no pattern finds it")
        + r".*remove the entry",
    ):
        extract_with(gazetteer, "003", copy)


def test_task_count_disagrees_with_the_enumeration(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "003", "    count: 8\n", "    count: 7\n")
    with pytest.raises(CurationError, match=re.escape("tasks[0]: the enumeration has 8 items, the entry says 7")):
        extract_with(gazetteer, "003", copy)


def test_issued_on_quote_without_a_date(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "002", 'quote: "(April 15, 2019)"', 'quote: "Traditional Culture Encyclopedia"')
    with pytest.raises(
        CurationError,
        match=re.escape(f"{curation_path('002').name}: policies[0].issued_on: no date found in the quote 'Traditional Culture Encyclopedia'"),
    ):
        extract_with(gazetteer, "002", copy)


def test_misspelt_key_is_an_error(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "002", "    occurrence: 2\n    issued_by:", "    occurence: 2\n    issued_by:")
    with pytest.raises(CurationError, match=r"policies\[0\].*occurence"):
        extract_with(gazetteer, "002", copy)


def test_non_integer_occurrence_is_a_curation_error(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "002", "    occurrence: 2\n    issued_by:", "    occurrence: two\n    issued_by:")
    with pytest.raises(CurationError, match=re.escape(curation_path("002").name) + r".*policies\[0\].*occurrence"):
        extract_with(gazetteer, "002", copy)


def test_unknown_theme_is_a_curation_error(gazetteer, tmp_path):
    copy = broken_copy(tmp_path, "002", "- theme: regional-coordination\n", "- theme: regional-coordinaton\n")
    with pytest.raises(CurationError, match=r"programmes\[0\]\.themes\[0\].*'regional-coordinaton'"):
        extract_with(gazetteer, "002", copy)
