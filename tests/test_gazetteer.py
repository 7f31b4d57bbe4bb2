"""The gazetteer: its reference data, and the names it finds in real sentences of the seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilotkg.graph.extract.gazetteer import GazetteerError, Gazetteer, load_gazetteer

_REPO_SEEDS = Path(__file__).parents[1] / "seeds"
SEEDS = _REPO_SEEDS if _REPO_SEEDS.is_dir() else Path("/work/shared/seeds")
REFERENCE = Path(__file__).parents[1] / "graph" / "reference"

NINE_SICHUAN_PILOTS = {
    "510522": "Hejiang County", "511321": "Nanbu County", "511623": "Linshui County",
    "511723": "Kaijiang County", "511181": "Emeishan City", "511083": "Longchang City",
    "510704": "Youxian District", "510903": "Chuanshan District", "511502": "Cuiping District",
}


def read_seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def sentence_with(text: str, fragment: str) -> tuple[int, int]:
    """The offsets of the sentence (or line) of ``text`` that contains ``fragment``."""
    at = text.index(fragment)
    start = max(text.rfind(". ", 0, at) + 2, text.rfind("\n", 0, at) + 1)
    end = text.find(".", at + len(fragment))
    return start, (end + 1 if end != -1 else len(text))


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def slugs(mentions, kind=None):
    return [m.slug_or_code for m in mentions if kind is None or m.kind == kind]


# ---------------------------------------------------------------- the reference data


def test_loads_every_file_and_is_cached(gazetteer):
    assert load_gazetteer() is gazetteer
    assert len(gazetteer.bodies) >= 30
    assert len(gazetteer.divisions) >= 40
    assert len(gazetteer.zones) == 21  # 1 rural reform zone, 11 urban-rural zones, 9 Sichuan county pilots


def test_hejiang_county_lies_in_luzhou_in_sichuan(gazetteer):
    hejiang = gazetteer.divisions["510522"]
    assert (hejiang.name_en, hejiang.name_zh, hejiang.level, hejiang.type) == ("Hejiang County", "合江县", "county", "county")
    assert [d.code for d in gazetteer.ancestors("510522")] == ["510500", "510000"]
    sichuan = gazetteer.province_of("510522")
    assert (sichuan.code, sichuan.name_en, sichuan.name_zh) == ("510000", "Sichuan", "四川省")


def test_municipalities_are_province_level_and_parent_their_districts(gazetteer):
    chongqing = gazetteer.divisions["500000"]
    assert (chongqing.level, chongqing.type, chongqing.parent) == ("province", "municipality", None)
    assert gazetteer.province_of("500000") is chongqing
    tongzhou = gazetteer.divisions["110112"]
    assert (tongzhou.name_en, tongzhou.parent) == ("Tongzhou District", "110000")
    assert gazetteer.divisions["110000"].type == "municipality"


def test_longchang_has_its_current_code_and_its_predecessors_coordinates(gazetteer):
    longchang = gazetteer.divisions["511083"]
    assert (longchang.name_en, longchang.name_zh, longchang.type) == ("Longchang City", "隆昌市", "county-level-city")
    assert "511028" not in gazetteer.divisions
    assert longchang.longitude is not None and longchang.latitude is not None
    assert "511028" in longchang.reference and "cpca 0.5.5" in longchang.reference


def test_every_division_names_its_source_and_every_county_has_a_prefecture_or_municipality(gazetteer):
    for division in gazetteer.divisions.values():
        assert "cpca" in division.reference and "MIT" in division.reference
        if division.level == "county":
            parent = gazetteer.divisions[division.parent]
            assert parent.level == "prefecture" or parent.type == "municipality"


def test_english_names_are_written_the_way_the_texts_write_them(gazetteer):
    names = {code: d.name_en for code, d in gazetteer.divisions.items()}
    for code, name in NINE_SICHUAN_PILOTS.items():
        assert names[code] == name
    assert names["610100"] == "Xi'an"
    assert names["610000"] == "Shaanxi"
    assert names["220200"] == "Jilin City" and names["220000"] == "Jilin"
    assert names["330400"] == "Jiaxing"


def test_moa_is_succeeded_by_mara_in_march_2018(gazetteer):
    moa = gazetteer.bodies["moa"]
    assert (moa.succeeded_by, moa.succeeded_on) == ("mara", "2018-03")
    assert any("succession" in ref for ref in moa.references)
    assert gazetteer.bodies["mara"].name_en == "Ministry of Agriculture and Rural Affairs"


def test_chinese_names_only_with_a_reference(gazetteer):
    for body in gazetteer.bodies.values():
        if body.name_zh:
            assert body.zh_reference
        assert body.references


def test_zones_cover_the_cities_in_their_names(gazetteer):
    zones = gazetteer.zones
    assert zones["zhejiang-jiahu"].covers == (("330400", "whole"), ("330500", "whole"))
    assert zones["jiangsu-ningxichang"].covers == (("320100", "part"), ("320200", "part"), ("320400", "part"))
    assert zones["chongqing-west"].covers == (("500000", "part"),)
    assert zones["hejiang-county"].covers == (("510522", "whole"),)
    for zone in zones.values():
        for code, _ in zone.covers:
            assert gazetteer.province_of(code).code == zone.province
    assert [z.slug for z in gazetteer.zones_covering("510100")] == ["sichuan-chengdu-west"]


# ---------------------------------------------------------------- finding names in the seeds


def test_the_nine_sichuan_pilots_of_seed_003(gazetteer):
    text = read_seed("003")
    start, end = sentence_with(text, "nine counties and districts in Sichuan")
    zones = gazetteer.find_mentions(text, start, end, kinds=("zone",))
    assert len(zones) == 9
    assert {gazetteer.zones[z].covers[0][0] for z in slugs(zones)} == set(NINE_SICHUAN_PILOTS)
    divisions = gazetteer.find_mentions(text, start, end, kinds=("division",))
    counties = [m.slug_or_code for m in divisions if gazetteer.divisions[m.slug_or_code].level == "county"]
    assert sorted(counties) == sorted(NINE_SICHUAN_PILOTS)
    for mention in zones + divisions:
        assert text[mention.start : mention.end] == mention.text
        assert start <= mention.start < mention.end <= end


def test_the_eleven_urban_rural_pilot_zones_of_seed_001(gazetteer):
    text = read_seed("001")
    start, end = sentence_with(text, "The reply stated that it was agreed in principle")
    mentions = gazetteer.find_mentions(text, start, end)
    assert [m.kind for m in mentions] == ["zone"] * 11
    assert slugs(mentions) == [
        "zhejiang-jiahu", "fujian-fuzhou-east", "guangdong-guangqing", "jiangsu-ningxichang", "shandong-jiqing",
        "henan-xuchang", "jiangxi-yingtan", "sichuan-chengdu-west", "chongqing-west", "shaanxi-xixian", "jilin-changji",
    ]


def test_the_moa_and_other_related_departments(gazetteer):
    text = read_seed("000")
    at = text.index("the MoA and other related departments")
    mentions = gazetteer.find_mentions(text, at, at + len("the MoA and other related departments"))
    assert slugs(mentions) == ["moa", "relevant-departments"]
    assert [m.text for m in mentions] == ["MoA", "related departments"]


def test_who_approved_the_second_batch_in_seed_000(gazetteer):
    text = read_seed("000")
    start, end = sentence_with(text, "Following the guidance and requirements")
    assert slugs(gazetteer.find_mentions(text, start, end)) == [
        "cpc-central-committee", "state-council", "rural-reform-pilot-zones-joint-meeting",
        "central-rural-work-leading-group", "moa", "relevant-departments", "tongzhou-district",
    ]


def test_the_garbled_title_of_seed_002_names_the_cpc_central_committee(gazetteer):
    text = read_seed("002")
    first_line = text.splitlines()[0]
    mentions = gazetteer.find_mentions(first_line, kinds=("body",))
    assert slugs(mentions) == ["cpc-central-committee", "state-council"]
    assert mentions[0].text == "Central Government of China***"


def test_division_of_labour_in_seed_002(gazetteer):
    text = read_seed("002")
    start = text.index("(34) Strengthening the division of labor.")
    end = text.index("(35)")
    assert slugs(gazetteer.find_mentions(text, start, end, kinds=("body",))) == [
        "ndrc", "relevant-departments", "cpc-central-committee", "state-council",
    ]
    start, end = sentence_with(text, "Local party committees and governments should")
    assert slugs(gazetteer.find_mentions(text, start, end)) == ["local-party-committees-and-governments"]


def test_the_sichuan_commission_is_one_mention_not_the_provincial_committee(gazetteer):
    text = read_seed("003")
    start, end = sentence_with(text, "The Deepening Reforms Commission")
    mentions = gazetteer.find_mentions(text, start, end)
    # "...under Chengdu-Chongqing Economic Circle Construction" also names the two cities
    assert slugs(mentions) == ["sichuan-deepening-reforms-commission", "510100", "500000"]
    commission = gazetteer.bodies["sichuan-deepening-reforms-commission"]
    assert commission.parent == "cpc-sichuan-provincial-committee"
    assert gazetteer.bodies["sichuan-provincial-government-general-office"].parent == "sichuan-provincial-government"


def test_collective_bodies_of_seed_001(gazetteer):
    text = read_seed("001")
    found = {m.slug_or_code for m in gazetteer.find_mentions(text, kinds=("body",))}
    assert {"relevant-provinces", "provincial-development-and-reform-commissions",
            "pilot-area-cities-counties-districts", "urbanization-joint-meeting", "ndrc-general-office"} <= found
    assert all(gazetteer.bodies[s].collective for s in
               ("relevant-provinces", "provincial-development-and-reform-commissions", "pilot-area-cities-counties-districts"))


def test_ties_go_to_the_kind_listed_first(gazetteer):
    text = "Hejiang County"
    assert gazetteer.find_mentions(text, kinds=("zone", "division"))[0].kind == "zone"
    assert gazetteer.find_mentions(text, kinds=("division", "zone"))[0].kind == "division"


def test_case_and_word_boundaries():
    gazetteer = load_gazetteer()
    assert slugs(gazetteer.find_mentions("Relevant departments shall act.")) == ["relevant-departments"]
    assert gazetteer.find_mentions("RELEVANT DEPARTMENTS") == []
    assert gazetteer.find_mentions("the moa and the MoAs") == []
    assert slugs(gazetteer.find_mentions("the\nNational  Development and Reform\nCommission")) == ["ndrc"]
    assert slugs(gazetteer.find_mentions("合江县与四川省")) == ["510522", "510000"]
    with pytest.raises(ValueError):
        gazetteer.find_mentions("x", kinds=("place",))


# ---------------------------------------------------------------- bad data is refused with its place


@pytest.fixture()
def reference_copy(tmp_path: Path) -> Path:
    for name in ("bodies.yaml", "bodies_national.yaml", "divisions.csv", "zones.yaml"):
        shutil.copy(REFERENCE / name, tmp_path / name)
    return tmp_path


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_broken_division_row_is_named(reference_copy):
    csv_path = reference_copy / "divisions.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("510522,"))
    replace_in(csv_path, "510522,county", "51052,county")
    with pytest.raises(GazetteerError) as info:
        load_gazetteer(reference_copy)
    message = str(info.value)
    assert "divisions.csv" in message and f"row {row}" in message and "6 digits" in message


def test_an_unknown_division_parent_is_named(reference_copy):
    replace_in(reference_copy / "divisions.csv", "Hejiang County,510500", "Hejiang County,510599")
    with pytest.raises(GazetteerError, match=r"divisions\.csv, row \d+ \(code '510522'\): unknown parent '510599'"):
        load_gazetteer(reference_copy)


def test_a_zone_covering_an_unknown_code_is_named(reference_copy):
    replace_in(reference_copy / "zones.yaml", 'code: "510522"', 'code: "510523"')
    with pytest.raises(GazetteerError, match=r"zones\.yaml, entry \d+ \(slug 'hejiang-county'\): covered code '510523'"):
        load_gazetteer(reference_copy)


def test_one_alias_for_two_bodies_is_refused(reference_copy):
    replace_in(reference_copy / "bodies.yaml", 'aliases: ["relevant provinces"]', 'aliases: ["relevant provinces", "MoA"]')
    with pytest.raises(GazetteerError, match=r"^bodies\.yaml.*'MoA' is already a name of 'moa'"):
        load_gazetteer(reference_copy)


def test_an_unknown_body_parent_is_named(reference_copy):
    replace_in(reference_copy / "bodies.yaml", "parent: sichuan-provincial-government\n", "parent: sichuan-provincal-government\n")
    with pytest.raises(GazetteerError, match=r"bodies\.yaml, entry \d+ \(slug 'sichuan-provincial-government-general-office'\): "
                                             r"unknown parent 'sichuan-provincal-government'"):
        load_gazetteer(reference_copy)


def test_other_texts_do_not_read_a_single_bodys_common_noun_aliases(gazetteer):
    """"the provincial government" is Sichuan's government in seed 003's entry; another text means
    its own province by it, so ingest reads the gazetteer without such aliases. Collective bodies
    ("provincial governments") and names with a proper noun ("the Party") keep theirs."""
    text = "The provincial government will lead the pilot, and provincial governments shall support it. the Party leads."
    full = {m.text: m.slug_or_code for m in gazetteer.find_mentions(text, kinds=("body",))}
    plain = gazetteer.without_generic_aliases()
    kept = {m.text: m.slug_or_code for m in plain.find_mentions(text, kinds=("body",))}
    assert "The provincial government" in full and "The provincial government" not in kept
    assert kept.get("provincial governments") == full.get("provincial governments") is not None
    assert kept.get("the Party") == full.get("the Party") is not None
    assert plain.without_generic_aliases() is plain  # nothing left to drop: the same gazetteer
    assert gazetteer.find_mentions(text, kinds=("body",))  # the full gazetteer is left as it was
