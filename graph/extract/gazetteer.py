"""The gazetteer: bodies, administrative divisions and pilot zones, and finding their names in text.

Reference data lives beside this module in ``reference/``:

* ``bodies_national.yaml``  the central organs of the Party and the state (the
  CPC Central Committee, its General Office and commissions; the State Council,
  its General Office, ministries, commissions and agencies) with their
  abbreviations, Chinese names and successions, and general collective phrases:
  general knowledge, never taken from the seeds;
* ``bodies.yaml``    the other bodies the seed texts name (leading groups, joint
  meetings, offices, Sichuan's bodies, the bodies they name collectively), and
  ``extends:`` entries adding a seed's wording to a national body;
* ``divisions.csv``  administrative divisions with GB/T 2260 codes, parents up to
  the province, coordinates and a per-row source (written by
  ``reference/make_divisions.py``);
* ``zones.yaml``     pilot zones with the divisions they cover.

``load_gazetteer()`` reads and checks all three (every parent and covered code
exists, codes have six digits, no name of one kind points at two entries) and
raises :class:`GazetteerError` naming the file, the row or entry, and the problem.

How :meth:`Gazetteer.find_mentions` matches names
---------------------------------------------------
* Names searched: for a body its ``name_en``, ``aliases`` and ``name_zh``; for a
  zone its ``name_en`` and ``aliases``; for a division its ``name_en``, its
  ``name_zh``, and one derived form: "X City" for a prefecture-level city named
  "X" ("Mianyang City"), "X Province" for a province, "X Municipality" for a
  municipality.
* Case: an abbreviation (one word with two or more capital letters: "NDRC",
  "MoA", "CPC") matches only as written. Any other name matches with its first
  letter in either case and the rest exactly as written ("relevant departments"
  also finds "Relevant departments", not "RELEVANT departments").
* Whitespace: a space in a name matches any run of whitespace (line breaks too).
* Word boundaries: a match may not begin right after, or end right before, an
  ASCII letter or digit ("MoA" is not found in "MoAs"). Chinese names need no
  boundary.
* Overlaps: the longest match wins ("Zhejiang Jiahu District" is one zone, not
  the province Zhejiang). Between matches of equal length the kind listed first
  in ``kinds`` wins, so ``kinds=('zone', 'division')`` reads "Hejiang County" as
  the pilot zone and ``kinds=('division', 'zone')`` as the county. Mentions never
  overlap and come sorted by position.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable

import yaml

REFERENCE_DIR = Path(__file__).parent.parent / "reference"
BODIES_FILE = "bodies.yaml"
BODIES_NATIONAL_FILE = "bodies_national.yaml"
DIVISIONS_FILE = "divisions.csv"
ZONES_FILE = "zones.yaml"

DIVISION_COLUMNS = ("code", "level", "type", "name_zh", "name_en", "parent", "longitude", "latitude", "reference")
LEVELS = ("province", "prefecture", "county")  # from the top down
BODY_KINDS = frozenset(
    {"party", "state", "government", "leading-group", "office", "joint-meeting", "commission", "collective", "media"}
)
EXTENTS = frozenset({"whole", "part"})
MENTION_KINDS = ("body", "division", "zone")

_CODE = re.compile(r"^[0-9]{6}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PARTIAL_DATE = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?$")


class GazetteerError(ValueError):
    """Bad reference data: which file, which row or entry, and what is wrong."""

    def __init__(self, file: str, where: str, problem: str):
        self.file, self.where, self.problem = file, where, problem
        super().__init__(f"{file}, {where}: {problem}" if where else f"{file}: {problem}")


@dataclass(frozen=True)
class Body:
    """A responsible body (or a set of bodies named together) from ``bodies.yaml``."""

    slug: str
    name_en: str
    name_zh: str | None
    zh_reference: str | None
    aliases: tuple[str, ...]
    parent: str | None
    kind: str
    collective: bool
    succeeded_by: str | None
    succeeded_on: str | None
    references: tuple[str, ...]
    jurisdiction: str | None = None  # a local body's division (GB/T 2260 code)
    function: str | None = None  # a local body's function ("government", "commerce", ...)


def _common_noun_phrase(name: str) -> bool:
    """"the provincial government", "the government": no word but the article is capitalised."""
    words = name.split()
    if words and words[0] in ("The", "the"):
        words = words[1:]
    return bool(words) and all(w[:1].islower() for w in words)


@dataclass(frozen=True)
class Division:
    """An administrative division from ``divisions.csv``; ``parent`` is None for a province-level division."""

    code: str
    level: str
    type: str
    name_zh: str
    name_en: str
    parent: str | None
    longitude: float | None
    latitude: float | None
    reference: str


@dataclass(frozen=True)
class ZoneEntry:
    """A pilot zone from ``zones.yaml``: ``covers`` holds ``(code, extent)`` pairs."""

    slug: str
    name_en: str
    aliases: tuple[str, ...]
    covers: tuple[tuple[str, str], ...]
    province: str
    reference: str


@dataclass(frozen=True)
class Mention:
    """A name found in a text: ``text[start:end]`` names the entry ``slug_or_code`` of ``kind``."""

    kind: str
    slug_or_code: str
    start: int
    end: int
    text: str


# --------------------------------------------------------------------------- matching


def is_abbreviation(name: str) -> bool:
    """True for one-word names with two or more capitals ("NDRC", "MoA"), matched case-sensitively."""
    return " " not in name.strip() and sum(ch.isupper() for ch in name) >= 2


def name_key(name: str) -> str:
    """The form under which two names count as the same for the matcher."""
    collapsed = " ".join(name.split())
    if is_abbreviation(collapsed) or not collapsed:
        return collapsed
    return collapsed[0].lower() + collapsed[1:]


def _name_pattern(name: str) -> re.Pattern[str]:
    words = name.split()
    body = r"\s+".join(re.escape(word) for word in words)
    first = words[0][0]
    if not is_abbreviation(name) and first.lower() != first.upper():
        body = f"[{re.escape(first.upper())}{re.escape(first.lower())}]" + body[len(re.escape(first)) :]
    if first.isascii() and first.isalnum():
        body = r"(?<![A-Za-z0-9])" + body
    return re.compile(body)


def _ends_word(text: str, end: int) -> bool:
    return end >= len(text) or not (text[end].isascii() and text[end].isalnum())


class Gazetteer:
    """The checked reference data and a matcher over it."""

    def __init__(self, bodies: dict[str, Body], divisions: dict[str, Division], zones: dict[str, ZoneEntry],
                 body_files: dict[str, str] | None = None):
        self.bodies = bodies
        self.body_files = body_files or {}  # slug -> the file that holds it (for error messages)
        # slug -> the seed file's `extends:` variants of a national body: (aliases, references) each
        self.body_variants: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {}
        self.divisions = divisions
        self.zones = zones
        self._patterns: dict[str, list[tuple[re.Pattern[str], str, bool]]] = {}
        names = {kind: self.names_of(kind) for kind in MENTION_KINDS}
        for kind, entries in names.items():
            compiled = []
            for ident, entry_names in entries.items():
                for name in entry_names:
                    last = name.rstrip()[-1]
                    compiled.append((_name_pattern(name), ident, last.isascii() and last.isalnum()))
            self._patterns[kind] = compiled

    @classmethod
    def from_directory(cls, directory: str | Path) -> "Gazetteer":
        """Read and check ``bodies.yaml``, ``divisions.csv`` and ``zones.yaml`` from a folder (uncached)."""
        directory = Path(directory)
        divisions = _read_divisions(directory / DIVISIONS_FILE)
        bodies, body_files, variants = _read_all_bodies(directory, divisions)
        zones = _read_zones(directory / ZONES_FILE, divisions)
        gazetteer = cls(bodies, divisions, zones, body_files)
        gazetteer.body_variants = variants
        gazetteer._check_names()
        return gazetteer

    def without_generic_aliases(self) -> "Gazetteer":
        """This gazetteer without the aliases of single bodies that are common-noun phrases
        ("the provincial government" for one seed's provincial government): a text the
        gazetteer was not written for means its own province by them. Collective bodies keep
        theirs ("provincial governments")."""
        bodies = {}
        changed = False
        for slug, body in self.bodies.items():
            kept = body.aliases if body.collective else tuple(a for a in body.aliases if not _common_noun_phrase(a))
            changed |= kept != body.aliases
            bodies[slug] = replace(body, aliases=kept) if kept != body.aliases else body
        return Gazetteer(bodies, self.divisions, self.zones, self.body_files) if changed else self

    def with_bodies(self, extra: dict[str, Body]) -> "Gazetteer":
        """This gazetteer with more bodies (the local bodies a text names, read by
        :mod:`.bodies`): a new matcher over them all; this one is left as it is."""
        if not extra:
            return self
        clash = sorted(set(extra) & set(self.bodies))
        if clash:
            raise ValueError(f"bodies already in the gazetteer: {', '.join(clash)}")
        gazetteer = Gazetteer({**self.bodies, **extra}, self.divisions, self.zones, self.body_files)
        gazetteer.body_variants = self.body_variants
        return gazetteer

    # ---------------------------------------------------------------- names

    def names_of(self, kind: str) -> dict[str, tuple[str, ...]]:
        """Every name the matcher searches for, per entry of one kind (see the module docstring)."""
        result: dict[str, tuple[str, ...]] = {}
        if kind == "body":
            for slug, body in self.bodies.items():
                result[slug] = _unique([body.name_en, *body.aliases, body.name_zh])
        elif kind == "zone":
            for slug, zone in self.zones.items():
                result[slug] = _unique([zone.name_en, *zone.aliases])
        elif kind == "division":
            for code, division in self.divisions.items():
                derived = {
                    "prefecture-level-city": f"{division.name_en} City",
                    "province": f"{division.name_en} Province",
                    "municipality": f"{division.name_en} Municipality",
                }.get(division.type)
                if derived and division.name_en.endswith((" City", " Province", " Municipality")):
                    derived = None
                result[code] = _unique([division.name_en, division.name_zh, derived])
        else:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(MENTION_KINDS)}")
        return result

    def _check_names(self) -> None:
        files = {"body": BODIES_FILE, "division": DIVISIONS_FILE, "zone": ZONES_FILE}
        for kind in MENTION_KINDS:
            owner: dict[str, str] = {}
            for ident, names in self.names_of(kind).items():
                for name in names:
                    key = name_key(name)
                    if key in owner and owner[key] != ident:
                        file = self.body_files.get(ident, files[kind]) if kind == "body" else files[kind]
                        raise GazetteerError(
                            file, f"{kind} {ident!r}",
                            f"name {name!r} is already a name of {owner[key]!r}; one name must point at one entry",
                        )
                    owner[key] = ident

    # ---------------------------------------------------------------- finding

    def find_mentions(
        self, text: str, start: int = 0, end: int | None = None, kinds: Iterable[str] = MENTION_KINDS
    ) -> list[Mention]:
        """Return the names of bodies, divisions and zones in ``text[start:end]``, longest first, no overlaps.

        Offsets are positions in ``text`` itself. See the module docstring for the rules.
        """
        kinds = tuple(kinds)
        for kind in kinds:
            if kind not in MENTION_KINDS:
                raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(MENTION_KINDS)}")
        end = len(text) if end is None else min(end, len(text))
        candidates: list[tuple[int, int, int, int, str, str]] = []
        for rank, kind in enumerate(kinds):
            for pattern, ident, needs_boundary in self._patterns[kind]:
                for match in pattern.finditer(text, start, end):
                    if needs_boundary and not _ends_word(text, match.end()):
                        continue
                    candidates.append((-(match.end() - match.start()), rank, match.start(), match.end(), kind, ident))
        candidates.sort()
        taken = bytearray(max(end - start, 0))
        chosen: list[Mention] = []
        for _, _, m_start, m_end, kind, ident in candidates:
            if any(taken[m_start - start : m_end - start]):
                continue
            taken[m_start - start : m_end - start] = b"\x01" * (m_end - m_start)
            chosen.append(Mention(kind, ident, m_start, m_end, text[m_start:m_end]))
        chosen.sort(key=lambda m: (m.start, m.end))
        return chosen

    # ---------------------------------------------------------------- hierarchy

    def division(self, code: str) -> Division:
        """Return the division with this code; KeyError names an unknown code."""
        try:
            return self.divisions[code]
        except KeyError:
            raise KeyError(f"unknown division code {code!r}") from None

    def ancestors(self, code: str) -> list[Division]:
        """Return the divisions above ``code``, nearest first, ending with its province (empty for a province)."""
        chain: list[Division] = []
        current = self.division(code)
        while current.parent:
            current = self.division(current.parent)
            chain.append(current)
        return chain

    def province_of(self, code: str) -> Division:
        """Return the province-level division ``code`` lies in (itself for a province or municipality)."""
        chain = self.ancestors(code)
        return chain[-1] if chain else self.division(code)

    def zones_covering(self, code: str) -> list[ZoneEntry]:
        """Return the zones that cover ``code`` (wholly or in part), in slug order."""
        return [zone for slug, zone in sorted(self.zones.items()) if any(c == code for c, _ in zone.covers)]


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str) -> Gazetteer:
    return Gazetteer.from_directory(directory)


def load_gazetteer(directory: str | Path | None = None) -> Gazetteer:
    """Return the gazetteer read from ``graph/reference`` (or ``directory``); cached per folder.

    Raises GazetteerError, naming the file, row or entry and the problem, on bad data.
    """
    return _load_cached(str(Path(directory or REFERENCE_DIR).resolve()))


# --------------------------------------------------------------------------- reading


def _unique(names: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in names:
        if name and name.strip():
            seen.setdefault(" ".join(name.split()), None)
    return tuple(seen)


def _read_divisions(path: Path) -> dict[str, Division]:
    file = path.name
    if not path.is_file():
        raise GazetteerError(file, "", f"file not found: {path}")
    divisions: dict[str, Division] = {}
    rows: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != DIVISION_COLUMNS:
            raise GazetteerError(file, "row 1 (header)", f"columns must be {','.join(DIVISION_COLUMNS)}")
        for row in reader:
            line = reader.line_num
            where = f"row {line} (code {row.get('code')!r})"
            if None in row or any(value is None for value in row.values()):
                raise GazetteerError(file, where, f"expected {len(DIVISION_COLUMNS)} columns")
            row = {key: value.strip() for key, value in row.items()}
            code = row["code"]
            if not _CODE.match(code):
                raise GazetteerError(file, where, "code must be 6 digits (GB/T 2260)")
            if code in divisions:
                raise GazetteerError(file, where, f"duplicate code (first on row {rows[code]})")
            if row["level"] not in LEVELS:
                raise GazetteerError(file, where, f"level must be one of {', '.join(LEVELS)}, not {row['level']!r}")
            for column in ("type", "name_zh", "name_en", "reference"):
                if not row[column]:
                    raise GazetteerError(file, where, f"{column} is empty")
            if row["parent"] and not _CODE.match(row["parent"]):
                raise GazetteerError(file, where, f"parent {row['parent']!r} must be 6 digits")
            if (row["level"] == "province") != (not row["parent"]):
                raise GazetteerError(file, where, "a province has no parent; every other division has one")
            coordinates = []
            for column, limit in (("longitude", 180.0), ("latitude", 90.0)):
                if not row[column]:
                    coordinates.append(None)
                    continue
                try:
                    value = float(row[column])
                except ValueError:
                    raise GazetteerError(file, where, f"{column} {row[column]!r} is not a number") from None
                if not math.isfinite(value) or abs(value) > limit:
                    raise GazetteerError(file, where, f"{column} {value} is out of range")
                coordinates.append(value)
            if (coordinates[0] is None) != (coordinates[1] is None):
                raise GazetteerError(file, where, "give both longitude and latitude, or neither")
            rows[code] = line
            divisions[code] = Division(
                code, row["level"], row["type"], row["name_zh"], row["name_en"], row["parent"] or None,
                coordinates[0], coordinates[1], row["reference"],
            )
    for code, division in divisions.items():
        where = f"row {rows[code]} (code {code!r})"
        if division.parent is None:
            continue
        parent = divisions.get(division.parent)
        if parent is None:
            raise GazetteerError(file, where, f"unknown parent {division.parent!r}")
        if LEVELS.index(parent.level) >= LEVELS.index(division.level):
            raise GazetteerError(file, where, f"parent {parent.code} ({parent.level}) is not above a {division.level}")
        if parent.code[:2] != code[:2]:
            raise GazetteerError(file, where, f"parent {parent.code} is in another province")
    return divisions


def _read_yaml_list(path: Path) -> list[Any]:
    file = path.name
    if not path.is_file():
        raise GazetteerError(file, "", f"file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise GazetteerError(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, list):
        raise GazetteerError(file, "", "the file must be a YAML list of entries")
    return data


def _fields(file: str, where: str, entry: Any, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise GazetteerError(file, where, "an entry must be a mapping")
    missing = sorted(required - entry.keys())
    if missing:
        raise GazetteerError(file, where, f"missing field(s): {', '.join(missing)}")
    unknown = sorted(entry.keys() - required - optional)
    if unknown:
        raise GazetteerError(file, where, f"unknown field(s): {', '.join(map(str, unknown))}")
    return entry


def _text(file: str, where: str, entry: dict, field: str, *, optional: bool = False) -> str | None:
    value = entry.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise GazetteerError(file, where, f"{field} must be a non-empty string")
    return value.strip()


def _texts(file: str, where: str, entry: dict, field: str, *, non_empty: bool = False) -> tuple[str, ...]:
    value = entry.get(field) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GazetteerError(file, where, f"{field} must be a list of non-empty strings")
    if non_empty and not value:
        raise GazetteerError(file, where, f"{field} must not be empty")
    return tuple(v.strip() for v in value)


def _slug(file: str, where: str, entry: dict, seen: dict[str, int], index: int) -> str:
    slug = entry.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise GazetteerError(file, where, f"slug {slug!r} must be lower-case ASCII words joined by hyphens")
    if slug in seen:
        raise GazetteerError(file, where, f"duplicate slug (first at entry {seen[slug]})")
    seen[slug] = index
    return slug


_BODY_FIELDS = ({"slug", "name_en", "kind", "references"},
                {"name_zh", "zh_reference", "aliases", "parent", "collective", "succeeded_by", "succeeded_on",
                 "jurisdiction", "function"})


def _read_bodies(path: Path, *, allow_extends: bool = False) -> tuple[dict[str, Body], dict[str, str], list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]]:
    """The entries of one bodies file, checked one by one (links are checked by :func:`_read_all_bodies`).

    Returns the bodies, where each is (``entry N (slug ...)``), and the ``extends:``
    entries as (where, slug, aliases, references)."""
    file = path.name
    required, optional = _BODY_FIELDS
    bodies: dict[str, Body] = {}
    seen: dict[str, int] = {}
    places: dict[str, str] = {}
    extends: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = []
    for index, entry in enumerate(_read_yaml_list(path), start=1):
        if isinstance(entry, dict) and "extends" in entry:
            where = f"entry {index} (extends {entry.get('extends')!r})"
            if not allow_extends:
                raise GazetteerError(file, where, f"extends: is for {BODIES_FILE} only")
            _fields(file, where, entry, {"extends", "aliases", "references"}, set())
            target = entry["extends"]
            if not isinstance(target, str) or not _SLUG.match(target):
                raise GazetteerError(file, where, f"extends {target!r} must be the slug of a body of {BODIES_NATIONAL_FILE}")
            extends.append((where, target, _texts(file, where, entry, "aliases", non_empty=True),
                            _texts(file, where, entry, "references", non_empty=True)))
            continue
        slug_hint = entry.get("slug") if isinstance(entry, dict) else None
        where = f"entry {index} (slug {slug_hint!r})"
        _fields(file, where, entry, required, optional)
        slug = _slug(file, where, entry, seen, index)
        kind = entry["kind"]
        if kind not in BODY_KINDS:
            raise GazetteerError(file, where, f"kind {kind!r} must be one of {', '.join(sorted(BODY_KINDS))}")
        collective = entry.get("collective", False)
        if not isinstance(collective, bool):
            raise GazetteerError(file, where, "collective must be true or false")
        name_zh = _text(file, where, entry, "name_zh", optional=True)
        zh_reference = _text(file, where, entry, "zh_reference", optional=True)
        if name_zh and not zh_reference:
            raise GazetteerError(file, where, "name_zh needs a zh_reference")
        succeeded_on = entry.get("succeeded_on")
        if succeeded_on is not None:
            succeeded_on = str(succeeded_on)
            if not _PARTIAL_DATE.match(succeeded_on):
                raise GazetteerError(file, where, f"succeeded_on {succeeded_on!r} must be YYYY, YYYY-MM or YYYY-MM-DD")
            if not entry.get("succeeded_by"):
                raise GazetteerError(file, where, "succeeded_on without succeeded_by")
        jurisdiction = entry.get("jurisdiction")
        if jurisdiction is not None:
            jurisdiction = _code(file, where, jurisdiction, "jurisdiction")
        function = entry.get("function")
        if function is not None and (not isinstance(function, str) or not _SLUG.match(function)):
            raise GazetteerError(file, where, f"function {function!r} must be lower-case ASCII words joined by hyphens")
        if function is not None and jurisdiction is None:
            raise GazetteerError(file, where, "function is for local bodies: give their jurisdiction too")
        if collective and jurisdiction is not None:
            raise GazetteerError(file, where, "a collective body has no jurisdiction")
        bodies[slug] = Body(
            slug=slug,
            name_en=_text(file, where, entry, "name_en"),
            name_zh=name_zh,
            zh_reference=zh_reference,
            aliases=_texts(file, where, entry, "aliases"),
            parent=_text(file, where, entry, "parent", optional=True),
            kind=kind,
            collective=collective,
            succeeded_by=_text(file, where, entry, "succeeded_by", optional=True),
            succeeded_on=succeeded_on,
            references=_texts(file, where, entry, "references", non_empty=True),
            jurisdiction=jurisdiction,
            function=function,
        )
        places[slug] = where
    return bodies, places, extends


def _read_all_bodies(directory: Path, divisions: dict[str, Division]) -> tuple[
        dict[str, Body], dict[str, str], dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]]:
    """``bodies_national.yaml`` (if present) and ``bodies.yaml``, merged and checked.

    The national file may refer (parent, succeeded_by) only to its own entries; the seed
    file to both. A slug in both files, an ``extends:`` of an unknown body, an unknown
    parent or successor, a parent chain or succession that loops, and a jurisdiction not
    in ``divisions.csv`` are errors naming the file and the entry."""
    national_path = directory / BODIES_NATIONAL_FILE
    national, national_places, _ = (_read_bodies(national_path) if national_path.is_file() else ({}, {}, []))
    seed, seed_places, extends = _read_bodies(directory / BODIES_FILE, allow_extends=True)
    files = {slug: BODIES_NATIONAL_FILE for slug in national}
    places = {slug: (BODIES_NATIONAL_FILE, where) for slug, where in national_places.items()}
    for slug, where in seed_places.items():
        if slug in national:
            raise GazetteerError(BODIES_FILE, where, f"slug {slug!r} is already a body of {BODIES_NATIONAL_FILE} "
                                                     f"(its {national_places[slug]}); use `extends: {slug}` to add the text's wording")
        files[slug] = BODIES_FILE
        places[slug] = (BODIES_FILE, where)
    bodies = {**national, **seed}
    variants: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {}
    for where, target, aliases, references in extends:
        if target not in national:
            raise GazetteerError(BODIES_FILE, where, f"extends unknown body {target!r} (not in {BODIES_NATIONAL_FILE})")
        body = bodies[target]
        bodies[target] = replace(body, aliases=_unique([*body.aliases, *aliases]), references=body.references + references)
        variants[target] = variants.get(target, ()) + ((aliases, references),)
    for slug, body in bodies.items():
        file, where = places[slug]
        scope = national if file == BODIES_NATIONAL_FILE else bodies
        for field in ("parent", "succeeded_by"):
            target = getattr(body, field)
            if target is None:
                continue
            if target == slug:
                raise GazetteerError(file, where, f"{field} is the body itself")
            if target not in scope:
                hint = f" ({BODIES_NATIONAL_FILE} may refer only to its own entries)" if target in bodies else ""
                raise GazetteerError(file, where, f"unknown {field} {target!r}{hint}")
        if body.jurisdiction is not None and body.jurisdiction not in divisions:
            raise GazetteerError(file, where, f"jurisdiction {body.jurisdiction!r} is not in {DIVISIONS_FILE}")
    for slug, body in bodies.items():
        file, where = places[slug]
        for field in ("parent", "succeeded_by"):
            chain, current = {slug}, body
            while getattr(current, field):
                nxt = getattr(current, field)
                if nxt in chain:
                    raise GazetteerError(file, where, f"{'parent chain' if field == 'parent' else 'succession'} loops at {nxt!r}")
                chain.add(nxt)
                current = bodies[nxt]
    return bodies, files, variants


def _code(file: str, where: str, value: Any, field: str) -> str:
    code = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(code, str) or not _CODE.match(code):
        raise GazetteerError(file, where, f"{field} {value!r} must be a 6-digit code")
    return code


def _read_zones(path: Path, divisions: dict[str, Division]) -> dict[str, ZoneEntry]:
    file = path.name
    zones: dict[str, ZoneEntry] = {}
    seen: dict[str, int] = {}
    for index, entry in enumerate(_read_yaml_list(path), start=1):
        slug_hint = entry.get("slug") if isinstance(entry, dict) else None
        where = f"entry {index} (slug {slug_hint!r})"
        _fields(file, where, entry, {"slug", "name_en", "covers", "province", "reference"}, {"aliases"})
        slug = _slug(file, where, entry, seen, index)
        province = _code(file, where, entry["province"], "province")
        if province not in divisions:
            raise GazetteerError(file, where, f"unknown province {province!r} (not in {DIVISIONS_FILE})")
        if divisions[province].level != "province":
            raise GazetteerError(file, where, f"province {province!r} is a {divisions[province].level}")
        covers_raw = entry["covers"]
        if not isinstance(covers_raw, list) or not covers_raw:
            raise GazetteerError(file, where, "covers must be a non-empty list of {code, extent}")
        covers: list[tuple[str, str]] = []
        for item in covers_raw:
            if not isinstance(item, dict) or set(item) != {"code", "extent"}:
                raise GazetteerError(file, where, "each covers item must have exactly code and extent")
            code = _code(file, where, item["code"], "covered code")
            if code not in divisions:
                raise GazetteerError(file, where, f"covered code {code!r} is not in {DIVISIONS_FILE}")
            if item["extent"] not in EXTENTS:
                raise GazetteerError(file, where, f"extent {item['extent']!r} must be whole or part")
            top = divisions[code]
            while top.parent:
                top = divisions[top.parent]
            if top.code != province:
                raise GazetteerError(file, where, f"covered code {code!r} lies in {top.code}, not in province {province}")
            if any(code == c for c, _ in covers):
                raise GazetteerError(file, where, f"covered code {code!r} is listed twice")
            covers.append((code, item["extent"]))
        zones[slug] = ZoneEntry(
            slug=slug,
            name_en=_text(file, where, entry, "name_en"),
            aliases=_texts(file, where, entry, "aliases"),
            covers=tuple(covers),
            province=province,
            reference=_text(file, where, entry, "reference"),
        )
    return zones
