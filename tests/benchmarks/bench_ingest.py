"""How well ``pilotkg ingest`` reads texts it was not tuned to: precision and recall per kind.

Run from the repository root::

    python tests/benchmarks/bench_ingest.py                  # all sets, summary table
    python tests/benchmarks/bench_ingest.py --set dev --verbose
    python -m tests.benchmarks.bench_ingest --set seeds --json

Sets:

``seeds``
    leave-one-out on the five seeds: each ``seeds/NAME.txt`` is ingested with no
    curation file and with a gazetteer from which every entry only that seed
    introduced is removed (:func:`reduce_gazetteer`); it is scored against the
    facts the build extracts from the seed with its curation file and the full
    gazetteer (:func:`curated_facts`).
``dev`` / ``eval``
    every ``NAME.txt`` with a ``NAME.expected.yaml`` beside it in
    ``tests/benchmarks/ingest_dev/`` (the development set) and
    ``tests/benchmarks/ingest_eval/`` (the evaluation set), ingested with the full
    gazetteer and no curation file, scored against the table a reader wrote.

The facts of a draft are read from its quads (``IngestResult.quads``) with
SPARQL, never from the printed report (:func:`graph_facts`). Kinds and matching
(see ``tests/benchmarks/README.md``, "Expected-facts tables"):

* zones: equal sets of covered division codes (``pk:coversDivision`` and
  ``pk:coversPartOf``; for a gazetteer zone, the coverage its reference entry
  gives, as the reference graph the draft is validated with states it); an
  expected zone without codes (a new area, a development zone) by its label, as
  programmes;
* programmes: normalised token-set overlap (Jaccard) of labels >= 0.5;
* policies: the same on the title, and the same ``pk:policyType`` when the
  expectation names one;
* issuers: ``pk:issuedBy`` or a responsibility with ``role:issues``; the body
  resolves through the gazetteer or by its normalised name;
* bodies: (body, role) for every other role;
* dates: (property, lexical value) of ``pk:issuedOn``, ``pk:publishedOn``,
  ``pk:startDate``, ``pk:endDate``, ``pk:approvedOn``, ``pk:targetYear``;
* counts: (property, value) of the ``pk:declared...Count`` properties.

Matching is one-to-one per text and kind: an expected fact matched is a true
positive, one unmatched a false negative, a draft item left unmatched a false
positive. Precision and recall are micro-averaged over the texts of a set.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import yaml
from rdflib import Graph, Literal, URIRef

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
SET_DIRS = {"dev": BENCH_DIR / "ingest_dev", "eval": BENCH_DIR / "ingest_eval"}
SEEDS_DIR = ROOT / "seeds"

KINDS = ("zones", "programmes", "policies", "issuers", "bodies", "dates", "counts")
THRESHOLD = 0.5  # Jaccard overlap of normalised token sets, programmes and policies
ROLES = ("leads", "coordinates", "approves", "implements", "supervises", "supports", "reports-to", "issues")
POLICY_TYPES = ("opinions", "notice", "reply-letter", "plan", "programme", "approval")
DATE_PROPERTIES = ("issuedOn", "publishedOn", "startDate", "endDate", "approvedOn", "targetYear")
COUNT_PROPERTIES = ("declaredZoneCount", "declaredProvinceCount", "declaredTaskCount")

PK = "https://w3id.org/pilotkg/ontology#"
PKR = "https://w3id.org/pilotkg/id/"
ROLE_NS = "https://w3id.org/pilotkg/role/"
PTYPE_NS = "https://w3id.org/pilotkg/policy-type/"


# --------------------------------------------------------------------------- normalising

_STOP = {"the", "of", "for", "on", "and", "in", "a", "an", "to", "at", "by", "with", "its", "s"}
_SPELLING = {"program": "programme", "programs": "programme", "centre": "center"}


def _stem(token: str) -> str:
    token = _SPELLING.get(token, token)
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(label: str) -> frozenset[str]:
    """The normalised token set of a label: lower case, split at anything not a
    letter or digit ("e-commerce" -> e, commerce), function words dropped, plural
    -s/-ies folded, "program" spelt "programme"."""
    words = re.findall(r"[a-z0-9]+", label.lower().replace("\u2019", "'").replace("'s", ""))
    return frozenset(_stem(w) for w in words if w not in _STOP)


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the normalised token sets of two labels (0..1)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def norm_name(name: str) -> str:
    """A body's name for exact comparison: lower case, no leading "the", no
    punctuation, single spaces."""
    text = re.sub(r"[\W_]+", " ", name.lower().replace("\u2019", "'").replace("'s ", "s ")).strip()
    return re.sub(r"^the ", "", text)


def _name_keys(names: Iterable[str]) -> set[str]:
    """``name:`` keys of the names that normalise to something (never an empty key)."""
    return {f"name:{key}" for key in (norm_name(n) for n in names if n) if key}


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Zone:
    codes: frozenset[str]
    label: str


@dataclass(frozen=True)
class Labelled:
    labels: tuple[str, ...]  # first is the main label, the rest aliases
    type: str | None = None  # policies only


@dataclass(frozen=True)
class BodyRef:
    keys: frozenset[str]  # "slug:ndrc" and "name:national development and reform commission" ...
    label: str
    role: str | None = None  # bodies only


@dataclass
class Facts:
    """The facts of one text, of the kinds the benchmark scores (expected or drafted)."""

    zones: list[Zone] = field(default_factory=list)
    programmes: list[Labelled] = field(default_factory=list)
    policies: list[Labelled] = field(default_factory=list)
    issuers: list[BodyRef] = field(default_factory=list)
    bodies: list[BodyRef] = field(default_factory=list)
    dates: set[tuple[str, str]] = field(default_factory=set)
    counts: set[tuple[str, int]] = field(default_factory=set)


class BodyResolver:
    """Resolves body names and body IRIs to comparable keys with the (full) gazetteer."""

    def __init__(self, gazetteer):
        self.gaz = gazetteer
        self.by_name: dict[str, str] = {}
        for slug, names in gazetteer.names_of("body").items():
            for name in names:
                if name and norm_name(name):
                    self.by_name.setdefault(norm_name(name), slug)

    def _slug_keys(self, slug: str) -> set[str]:
        return {f"slug:{slug}"} | _name_keys(self.gaz.names_of("body").get(slug, ()))

    def from_name(self, name: str, role: str | None = None) -> BodyRef:
        keys = _name_keys([name])
        slug = self.by_name.get(norm_name(name))
        if slug:
            keys |= self._slug_keys(slug)
        return BodyRef(frozenset(keys), name, role)

    def from_node(self, node: str, labels: Iterable[str], role: str | None = None) -> BodyRef:
        keys = _name_keys(labels)
        label = next(iter(sorted(labels)), node)
        if node.startswith(PKR + "body/"):
            slug = node[len(PKR + "body/"):]
            if slug in self.gaz.bodies:
                keys |= self._slug_keys(slug)
                label = self.gaz.bodies[slug].name_en
            else:
                keys.add(f"slug:{slug}")
        return BodyRef(frozenset(keys), label, role)


_Q_ZONES = f"""
PREFIX pk: <{PK}>
SELECT ?z ?label ?d ?code WHERE {{
  ?z a pk:PilotZone .
  OPTIONAL {{ ?z <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
  OPTIONAL {{ ?z pk:coversDivision|pk:coversPartOf ?d . OPTIONAL {{ ?d pk:adcode ?code }} }}
}}"""
_Q_LABELLED = f"""
PREFIX pk: <{PK}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?n ?label ?alt ?type WHERE {{
  ?n a ?class .
  OPTIONAL {{ ?n <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
  OPTIONAL {{ ?n skos:altLabel ?alt }}
  OPTIONAL {{ ?n pk:policyType ?type }}
}}"""
_Q_ISSUERS = f"""
PREFIX pk: <{PK}>
SELECT DISTINCT ?b WHERE {{
  {{ ?p pk:issuedBy ?b }} UNION {{ ?r pk:role <{ROLE_NS}issues> ; pk:body ?b }}
}}"""
_Q_BODIES = f"""
PREFIX pk: <{PK}>
SELECT DISTINCT ?b ?role WHERE {{
  ?r pk:body ?b ; pk:role ?role .
  FILTER (?role != <{ROLE_NS}issues>)
}}"""
_Q_BODY_LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?l WHERE { { ?b <http://www.w3.org/2000/01/rdf-schema#label> ?l } UNION { ?b skos:altLabel ?l } }"""


def graph_facts(own: Iterable[tuple], reference: Iterable[tuple], resolver: BodyResolver) -> Facts:
    """The scored facts of one text's graph, read with SPARQL.

    ``own`` are the quads (or triples) of the text's graph (a draft, or a seed's
    named graph); ``reference`` the reference quads it is read with (the coverage
    of gazetteer zones, the labels of gazetteer bodies). Only nodes typed in ``own``
    count as zones, programmes and policies; dates, counts and responsibilities are
    those ``own`` states."""
    g = Graph()
    for q in own:
        g.add(tuple(q[:3]))
    full = Graph()
    for t in g:
        full.add(t)
    for q in reference:
        full.add(tuple(q[:3]))
    facts = Facts()

    zones: dict[str, tuple[set[str], str]] = {}
    for row in g.query(_Q_ZONES):
        node = str(row.z)
        codes, label = zones.setdefault(node, (set(), str(row.label or node.rsplit("/", 1)[-1])))
    # coverage may come from the reference graph (gazetteer zones)
    for row in full.query(_Q_ZONES):
        node = str(row.z)
        if node not in zones or row.d is None:
            continue
        code = str(row.code) if row.code is not None else str(row.d).rsplit("/", 1)[-1]
        zones[node][0].add(code)
    facts.zones = [Zone(frozenset(codes), label) for _, (codes, label) in sorted(zones.items())]

    for cls, target in (("PilotProgramme", facts.programmes), ("Policy", facts.policies)):
        nodes: dict[str, dict[str, Any]] = {}
        for row in g.query(_Q_LABELLED, initBindings={"class": URIRef(PK + cls)}):
            entry = nodes.setdefault(str(row.n), {"label": None, "alts": set(), "type": None})
            if row.label is not None:
                entry["label"] = str(row.label)
            if row.alt is not None:
                entry["alts"].add(str(row.alt))
            if row.type is not None:
                entry["type"] = str(row.type)[len(PTYPE_NS):]
        for node, entry in sorted(nodes.items()):
            labels = tuple([entry["label"] or node.rsplit("/", 1)[-1]] + sorted(entry["alts"]))
            target.append(Labelled(labels, entry["type"] if cls == "Policy" else None))

    def labels_of(node) -> list[str]:
        return [str(r.l) for r in full.query(_Q_BODY_LABELS, initBindings={"b": node})]

    for row in g.query(_Q_ISSUERS):
        facts.issuers.append(resolver.from_node(str(row.b), labels_of(row.b)))
    for row in g.query(_Q_BODIES):
        facts.bodies.append(resolver.from_node(str(row.b), labels_of(row.b), str(row.role)[len(ROLE_NS):]))
    facts.issuers.sort(key=lambda b: b.label)
    facts.bodies.sort(key=lambda b: (b.label, b.role))

    for s, p, o in g:
        name = str(p)[len(PK):] if str(p).startswith(PK) else None
        if name in DATE_PROPERTIES and isinstance(o, Literal):
            facts.dates.add((name, str(o)))
        elif name in COUNT_PROPERTIES and isinstance(o, Literal):
            facts.counts.add((name, int(o)))
    return facts


# --------------------------------------------------------------------------- expected tables


class TableError(ValueError):
    """An expected-facts table that does not follow the format."""


_ENTRY_FIELDS = {
    "programmes": ({"label", "quote"}, {"aliases", "note"}),
    "policies": ({"title", "quote"}, {"type", "titled", "aliases", "note"}),
    "issuers": ({"body", "quote"}, {"policy", "note"}),
    "bodies": ({"body", "role", "quote"}, {"note"}),
    "zones": ({"name", "codes", "quote"}, {"extent", "province", "note"}),
    "dates": ({"property", "value", "quote"}, {"note"}),
    "counts": ({"property", "value", "quote"}, {"note"}),
}
_TOP_FIELDS = {"text", "dateline", "note", *_ENTRY_FIELDS}


def load_table(path: Path) -> dict[str, Any]:
    """Read and check an expected-facts table; raises :class:`TableError` naming the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise TableError(f"{path.name}: not YAML: {err}") from err
    if not isinstance(data, dict):
        raise TableError(f"{path.name}: a table is a mapping")
    for key in data:
        if key not in _TOP_FIELDS:
            raise TableError(f"{path.name}: unknown section {key!r}")
    for kind, (required, optional) in _ENTRY_FIELDS.items():
        entries = data.get(kind) or []
        if not isinstance(entries, list):
            raise TableError(f"{path.name}: {kind} must be a list")
        for i, entry in enumerate(entries):
            where = f"{path.name}: {kind}[{i}]"
            if not isinstance(entry, dict):
                raise TableError(f"{where}: an entry is a mapping")
            missing, extra = required - set(entry), set(entry) - required - optional
            if missing or extra:
                raise TableError(f"{where}: missing {sorted(missing)} / unknown {sorted(extra)}")
            if not isinstance(entry["quote"], str) or not entry["quote"]:
                raise TableError(f"{where}: quote must be a non-empty string")
            if kind == "bodies" and entry["role"] not in ROLES[:-1]:
                raise TableError(f"{where}: role {entry['role']!r} is not one of {ROLES[:-1]} (issues: use `issuers`)")
            if kind == "policies" and entry.get("type") is not None and entry["type"] not in POLICY_TYPES:
                raise TableError(f"{where}: type {entry['type']!r} is not one of {POLICY_TYPES} or null")
            if kind == "dates":
                if entry["property"] not in DATE_PROPERTIES:
                    raise TableError(f"{where}: property {entry['property']!r} is not one of {DATE_PROPERTIES}")
                if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?|--\d{2}-\d{2}", str(entry["value"])):
                    raise TableError(f"{where}: value {entry['value']!r} is not YYYY, YYYY-MM, YYYY-MM-DD or --MM-DD (quote it)")
            if kind == "counts":
                if entry["property"] not in COUNT_PROPERTIES:
                    raise TableError(f"{where}: property {entry['property']!r} is not one of {COUNT_PROPERTIES}")
                if not isinstance(entry["value"], int):
                    raise TableError(f"{where}: value must be an integer")
            if kind == "zones":
                codes = entry["codes"]
                if not isinstance(codes, list) or not all(re.fullmatch(r"\d{6}", str(c)) for c in codes):
                    raise TableError(f"{where}: codes must be a list of six-digit codes (quoted strings)")
    return data


def table_quotes(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, quote) for every entry of a table."""
    return [(f"{kind}[{i}]", entry["quote"]) for kind in _ENTRY_FIELDS for i, entry in enumerate(data.get(kind) or [])]


def table_facts(data: dict[str, Any], resolver: BodyResolver) -> Facts:
    """The expected facts of a table."""
    facts = Facts()
    for e in data.get("zones") or []:
        facts.zones.append(Zone(frozenset(str(c) for c in e["codes"]), e["name"]))
    for e in data.get("programmes") or []:
        facts.programmes.append(Labelled((e["label"], *(e.get("aliases") or ()))))
    for e in data.get("policies") or []:
        facts.policies.append(Labelled((e["title"], *(e.get("aliases") or ())), e.get("type")))
    seen_issuers = set()
    for e in data.get("issuers") or []:
        ref = resolver.from_name(e["body"])
        if ref.keys not in seen_issuers:  # one issuer per body: the draft's are distinct bodies too
            seen_issuers.add(ref.keys)
            facts.issuers.append(ref)
    seen_bodies = set()
    for e in data.get("bodies") or []:
        ref = resolver.from_name(e["body"], e["role"])
        if (ref.keys, ref.role) not in seen_bodies:
            seen_bodies.add((ref.keys, ref.role))
            facts.bodies.append(ref)
    facts.dates = {(e["property"], str(e["value"])) for e in data.get("dates") or []}
    facts.counts = {(e["property"], int(e["value"])) for e in data.get("counts") or []}
    return facts


# --------------------------------------------------------------------------- scoring


@dataclass
class KindScore:
    tp: list[str] = field(default_factory=list)
    fp: list[str] = field(default_factory=list)
    fn: list[str] = field(default_factory=list)

    def add(self, other: "KindScore") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    def counts(self) -> tuple[int, int, int]:
        return len(self.tp), len(self.fp), len(self.fn)


def _greedy(expected: list, drafted: list, score) -> tuple[list[tuple[int, int]], set[int], set[int]]:
    """One-to-one matching: pairs with a score (None: no match) taken best first,
    ties in the order of the lists. Returns matched pairs and unmatched indices."""
    pairs = []
    for i, e in enumerate(expected):
        for j, d in enumerate(drafted):
            s = score(e, d)
            if s is not None:
                pairs.append((-s, i, j))
    pairs.sort()
    used_e, used_d, matched = set(), set(), []
    for _, i, j in pairs:
        if i in used_e or j in used_d:
            continue
        used_e.add(i)
        used_d.add(j)
        matched.append((i, j))
    return matched, set(range(len(expected))) - used_e, set(range(len(drafted))) - used_d


def _labels_score(e: Labelled, d: Labelled) -> float | None:
    best = max(similarity(a, b) for a in e.labels for b in d.labels)
    if best < THRESHOLD:
        return None
    if e.type is not None and d.type != e.type:
        return None
    return best


def _zone_score(e: Zone, d: Zone) -> float | None:
    if e.codes:
        return 1.0 if e.codes == d.codes else None
    s = similarity(e.label, d.label)  # a zone without a division code: by its name
    return s if s >= THRESHOLD else None


def _body_score(e: BodyRef, d: BodyRef) -> float | None:
    if e.role != d.role or not (e.keys & d.keys):
        return None
    return 1.0


def _describe(kind: str, item: Any) -> str:
    if kind == "zones":
        return f"{item.label} [{','.join(sorted(item.codes)) or '-'}]"
    if kind in ("programmes", "policies"):
        return item.labels[0] + (f" ({item.type})" if kind == "policies" and item.type else "")
    if kind in ("issuers", "bodies"):
        return item.label + (f" —{item.role}" if item.role else "")
    return f"{item[0]}={item[1]}"


def score(expected: Facts, drafted: Facts) -> dict[str, KindScore]:
    """Score a draft against what is expected, per kind (see the module docstring)."""
    result: dict[str, KindScore] = {}
    for kind in KINDS:
        exp, dra = getattr(expected, kind), getattr(drafted, kind)
        ks = KindScore()
        if kind in ("dates", "counts"):
            ks.tp = [_describe(kind, x) for x in sorted(exp & dra)]
            ks.fn = [_describe(kind, x) for x in sorted(exp - dra)]
            ks.fp = [_describe(kind, x) for x in sorted(dra - exp)]
        else:
            fn = {"zones": _zone_score, "programmes": _labels_score, "policies": _labels_score,
                  "issuers": _body_score, "bodies": _body_score}[kind]
            matched, miss, extra = _greedy(exp, dra, fn)
            ks.tp = [_describe(kind, exp[i]) + (f"  ~ {_describe(kind, dra[j])}" if kind in ("programmes", "policies") else "")
                     for i, j in sorted(matched)]
            ks.fn = [_describe(kind, exp[i]) for i in sorted(miss)]
            ks.fp = [_describe(kind, dra[j]) for j in sorted(extra)]
        result[kind] = ks
    return result


# --------------------------------------------------------------------------- leave-one-out


def seed_paths() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))


def _seed_of(path_or_id: str) -> str:
    return Path(path_or_id).name[:3]


def seed_usage(gazetteer, seeds: list[Path] | None = None) -> dict[tuple[str, str], set[str]]:
    """Which seeds (by their three-digit number) use each gazetteer entry.

    An entry is used by a seed whose text names it (the gazetteer's matcher over the
    whole text), whose curated extraction refers to it (bodies, zones, divisions
    used), whose references name that seed ("seed 002_..."), or which uses a zone
    covering it or a division below it (so that a kept entry keeps what it needs).
    Keys are ("body", slug), ("zone", slug), ("division", code)."""
    from pilotkg.graph.extract import extract
    from pilotkg.graph.extract.text import SourceText

    usage: dict[tuple[str, str], set[str]] = {}
    for kind, entries in (("body", gazetteer.bodies), ("zone", gazetteer.zones), ("division", gazetteer.divisions)):
        for ident in entries:
            usage[(kind, ident)] = set()
    seed_ref = re.compile(r"\bseed (\d{3})", re.I)
    for slug, body in gazetteer.bodies.items():
        for ref in body.references:
            usage[("body", slug)].update(seed_ref.findall(ref))
    for slug, zone in gazetteer.zones.items():
        usage[("zone", slug)].update(seed_ref.findall(zone.reference))
    for path in seeds or seed_paths():
        seed = _seed_of(path.name)
        source = SourceText.load(path)
        extraction = extract(source, gazetteer)
        for m in gazetteer.find_mentions(source.text):
            usage[(m.kind, m.slug_or_code)].add(seed)
        for slug in extraction.bodies_used:
            usage[("body", slug)].add(seed)
        for slug in extraction.zones_used:
            usage[("zone", slug)].add(seed)
        for code in extraction.divisions_used:
            usage[("division", code)].add(seed)
    # a zone's coverage, and every division's parents, are used wherever the zone / division is
    for slug, zone in gazetteer.zones.items():
        for code, _ in zone.covers:
            usage[("division", code)] |= usage[("zone", slug)]
    for code in sorted(gazetteer.divisions, key=lambda c: -len(gazetteer.ancestors(c))):
        for parent in gazetteer.ancestors(code):
            usage[("division", parent.code)] |= usage[("division", code)]
    return usage


def reduce_gazetteer(gazetteer, seed: str, usage: dict[tuple[str, str], set[str]] | None = None):
    """The gazetteer without every entry only ``seed`` introduced (leave-one-out).

    ``seed`` is a seed's number ("003") or file name. An entry goes when the seeds
    that use it (:func:`seed_usage`) are exactly {seed}; entries no seed uses stay, and
    so do the bodies of ``bodies_national.yaml`` (general knowledge), less the wordings
    the seed gave them (its ``extends:`` variants).
    A kept body loses a parent or successor link to a removed body. Returns
    ``(reduced gazetteer, removed keys)``."""
    from pilotkg.graph.extract.gazetteer import Gazetteer

    seed = _seed_of(seed)
    usage = usage if usage is not None else seed_usage(gazetteer)
    removed = {key for key, seeds in usage.items() if seeds == {seed}}
    gone = lambda kind, ident: (kind, ident) in removed  # noqa: E731
    bodies = {}
    national = {slug for slug, file in getattr(gazetteer, "body_files", {}).items() if file == "bodies_national.yaml"}
    removed = {key for key in removed if not (key[0] == "body" and key[1] in national)}  # general knowledge stays
    for slug, body in gazetteer.bodies.items():
        if gone("body", slug):
            continue
        for aliases, references in getattr(gazetteer, "body_variants", {}).get(slug, ()):
            # a seed's own wording of a national body (bodies.yaml `extends:`) goes with that seed
            if {s for r in references for s in re.findall(r"\bseed (\d{3})", r, re.I)} == {seed}:
                body = replace(body, aliases=tuple(a for a in body.aliases if a not in aliases),
                               references=tuple(r for r in body.references if r not in references))
        if body.parent and gone("body", body.parent):
            body = replace(body, parent=None)
        if body.succeeded_by and gone("body", body.succeeded_by):
            body = replace(body, succeeded_by=None, succeeded_on=None)
        bodies[slug] = body
    divisions = {c: d for c, d in gazetteer.divisions.items() if not gone("division", c)}
    zones = {s: z for s, z in gazetteer.zones.items() if not gone("zone", s)}
    for slug, zone in zones.items():  # by construction of seed_usage
        assert all(code in divisions for code, _ in zone.covers), slug
    return Gazetteer(bodies, divisions, zones), removed


def curated_facts(path: Path, gazetteer, resolver: BodyResolver) -> Facts:
    """The expected facts of a seed: its curated extraction (the build's), with the
    full gazetteer's reference quads for the coverage of its zones."""
    from pilotkg.graph.extract import extract
    from pilotkg.graph.extract.text import SourceText
    from pilotkg.graph.rdf import fact_quads, reference_quads

    extraction = extract(SourceText.load(path), gazetteer)
    return graph_facts(fact_quads(extraction.facts), reference_quads(gazetteer, extraction.zones_used), resolver)


# --------------------------------------------------------------------------- running


@dataclass
class TextResult:
    set: str
    name: str
    scores: dict[str, KindScore]
    seconds: float
    error: str | None = None
    removed: int = 0  # leave-one-out: gazetteer entries removed


def _draft_facts(path: Path, gazetteer, resolver: BodyResolver) -> Facts:
    from pilotkg.graph.extract.ingest import ingest
    from pilotkg.graph.rdf import reference_quads

    result = ingest(path, gazetteer=gazetteer)
    return graph_facts(result.quads, reference_quads(gazetteer, result.extraction.zones_used), resolver)


def run_text(job: tuple[str, str]) -> TextResult:
    """Ingest and score one text (run in a worker process)."""
    from pilotkg.graph.extract.gazetteer import load_gazetteer

    set_name, path_str = job
    path = Path(path_str)
    t0 = time.perf_counter()
    full = load_gazetteer()
    resolver = BodyResolver(full)
    removed = 0
    try:
        if set_name == "seeds":
            expected = curated_facts(path, full, resolver)
            reduced, gone = reduce_gazetteer(full, path.name)
            removed = len(gone)
            drafted = _draft_facts(path, reduced, resolver)
        else:
            expected = table_facts(load_table(path.with_name(path.stem + ".expected.yaml")), resolver)
            drafted = _draft_facts(path, full, resolver)
    except Exception as err:  # noqa: BLE001 - a text that breaks ingest is reported, and scores nothing
        expected_or_none = locals().get("expected")
        scores = score(expected_or_none or Facts(), Facts())
        return TextResult(set_name, path.name, scores, time.perf_counter() - t0, f"{type(err).__name__}: {err}", removed)
    return TextResult(set_name, path.name, score(expected, drafted), time.perf_counter() - t0, None, removed)


def collect(sets: list[str], dirs: dict[str, Path] | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """The jobs of the chosen sets, and notes (texts without tables). ``dirs``
    overrides the folders of the sets (``--dev-dir``, ``--eval-dir``)."""
    dirs = {**SET_DIRS, **(dirs or {})}
    jobs, notes = [], []
    for set_name in sets:
        if set_name == "seeds":
            jobs += [("seeds", str(p)) for p in seed_paths()]
            continue
        folder = dirs[set_name]
        if not folder.is_dir():
            notes.append(f"{set_name}: no folder {folder}")
            continue
        for table in sorted(folder.glob("*.expected.yaml")):
            text = table.with_name(table.name[: -len(".expected.yaml")] + ".txt")
            if not text.is_file():
                raise SystemExit(f"{table}: no text {text.name} beside it")
        for text in sorted(folder.glob("*.txt")):
            if text.with_name(text.stem + ".expected.yaml").is_file():
                jobs.append((set_name, str(text)))
            else:
                notes.append(f"{set_name}: {text.name} has no expected-facts table (skipped)")
    return jobs, notes


def _pr(tp: int, fp: int, fn: int) -> tuple[float | None, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    return p, r


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


def totals(results: list[TextResult]) -> dict[str, KindScore]:
    out = {kind: KindScore() for kind in KINDS}
    for r in results:
        for kind in KINDS:
            out[kind].add(r.scores[kind])
    return out


def summary(results: list[TextResult], sets: list[str]) -> dict[str, Any]:
    """Per set and overall: tp, fp, fn, precision, recall per kind and all kinds."""
    out: dict[str, Any] = {}
    groups = [(s, [r for r in results if r.set == s]) for s in sets]
    if len([g for _, g in groups if g]) > 1:
        groups.append(("overall", results))
    for name, group in groups:
        if not group:
            continue
        kinds = totals(group)
        rows = {}
        for kind in (*KINDS, "all"):
            tp, fp, fn = (sum(kinds[k].counts()[i] for k in KINDS) for i in range(3)) if kind == "all" else kinds[kind].counts()
            p, r = _pr(tp, fp, fn)
            rows[kind] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r}
        out[name] = {"texts": len(group), "kinds": rows}
    return out


def table(summ: dict[str, Any]) -> str:
    """The Markdown table: one row per set and kind."""
    lines = ["| set | kind | TP | FP | FN | precision | recall |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, group in summ.items():
        for kind, row in group["kinds"].items():
            label = f"**{kind}**" if kind == "all" else kind
            set_label = f"{name} ({group['texts']} texts)" if kind == KINDS[0] else ""
            lines.append(f"| {set_label} | {label} | {row['tp']} | {row['fp']} | {row['fn']} | "
                         f"{_pct(row['precision'])} | {_pct(row['recall'])} |")
    return "\n".join(lines)


def per_text(results: list[TextResult], details: bool) -> str:
    lines = ["| set | text | " + " | ".join(KINDS) + " | s |", "| --- | --- |" + " ---: |" * (len(KINDS) + 1)]
    for r in results:
        cells = []
        for kind in KINDS:
            tp, fp, fn = r.scores[kind].counts()
            cells.append(f"{tp}/{fp}/{fn}")
        lines.append(f"| {r.set} | {r.name} | " + " | ".join(cells) + f" | {r.seconds:.1f} |")
    lines.append("")
    lines.append("cells: TP/FP/FN")
    if details:
        for r in results:
            lines.append("")
            lines.append(f"### {r.set}/{r.name}" + (f" — ERROR {r.error}" if r.error else "")
                         + (f" (leave-one-out: {r.removed} gazetteer entries removed)" if r.set == "seeds" else ""))
            for kind in KINDS:
                ks = r.scores[kind]
                for mark, items in (("TP", ks.tp), ("FP", ks.fp), ("FN", ks.fn)):
                    for item in items:
                        lines.append(f"- {kind} {mark}: {item}")
    return "\n".join(lines)


def run(sets: list[str], workers: int = 2, dirs: dict[str, Path] | None = None) -> tuple[list[TextResult], list[str]]:
    jobs, notes = collect(sets, dirs)
    if workers <= 1:
        results = [run_text(job) for job in jobs]
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run_text, jobs))
    return results, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="all", choices=["seeds", "dev", "eval", "all"])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="per-text rows and every TP, FP and FN")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--dev-dir", type=Path, help=f"folder of the dev set (default {SET_DIRS['dev'].relative_to(ROOT)})")
    parser.add_argument("--eval-dir", type=Path, help=f"folder of the eval set (default {SET_DIRS['eval'].relative_to(ROOT)})")
    args = parser.parse_args(argv)
    dirs = {name: folder for name, folder in (("dev", args.dev_dir), ("eval", args.eval_dir)) if folder}
    sets = ["seeds", "dev", "eval"] if args.set == "all" else [args.set]
    t0 = time.perf_counter()
    results, notes = run(sets, args.workers, dirs)
    summ = summary(results, sets)
    if args.json:
        print(json.dumps({
            "summary": summ,
            "texts": [{"set": r.set, "text": r.name, "seconds": round(r.seconds, 2), "error": r.error,
                       "removed": r.removed,
                       "kinds": {k: {"tp": v.tp, "fp": v.fp, "fn": v.fn} for k, v in r.scores.items()}}
                      for r in results],
            "notes": notes, "threshold": THRESHOLD,
        }, indent=2, ensure_ascii=False))
        return 0
    print(table(summ))
    if args.verbose:
        print()
        print(per_text(results, details=True))
    for r in results:
        if r.error:
            print(f"ERROR {r.set}/{r.name}: {r.error}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"\n{len(results)} texts in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
