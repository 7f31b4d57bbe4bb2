"""Reviewing a draft: every finding of an ingested text, a curator's decision on
each, and the curation file those decisions give.

A *finding* is one thing the draft states (a policy, programme, zone,
responsibility with its role, date, declared count, task or objective), with
its quote and offsets and the curation entry it comes from: an entry of the
curation the generic rules wrote (``zones[2]``, ``programmes[0].declared[1]``),
or, for what the patterns find in the text (outline tasks, objectives,
responsibilities), the rule that produces it. Ids are stable: the same text and
curation give the same ids.

Decisions are ``accept``, ``reject`` or ``correct`` (a label; the place of a zone,
as a GB/T 2260 division code of the national gazetteer; the role of a
responsibility). :func:`reviewed_curation` turns them into a curation (the
curation-file format of :mod:`.curation`) holding only the accepted and
corrected findings; ingesting the text with it gives the draft with only those
facts, and written as ``NAME.curation.yaml`` it makes a build (or ``pilotkg
ingest --curation``) give exactly that draft.

What is not accepted is left out: a curation entry is dropped; a pattern-found
responsibility goes to the ``reject`` section (as do outline tasks and
objectives, by their instance path). A finding whose requirement is left out
goes with it, whatever its own decision: the zones, counts, dates and
responsibilities of a rejected programme, the tasks and objectives of a
rejected policy (:func:`inclusion` says which, and why).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef
from rdflib.namespace import RDFS

from ..namespaces import PK
from .curation import Curation, CurationError
from .divisions import NationalGazetteer, load_national_gazetteer
from .extractor import ROLES
from .facts import iri
from .gazetteer import Gazetteer, load_gazetteer
from .ingest import IngestResult, _anchor, ingest
from .text import SourceText, Span, clean_label, slugify

KINDS = ("policy", "programme", "batch", "zone", "responsibility", "date", "count", "task", "objective")
DECISIONS = ("accept", "reject", "correct")
DATE_KEYS = ("issued_on", "period", "started_on", "approved_on")  # entry keys that state a date
CORRECTABLE = {"policy": ("label",), "programme": ("label",), "batch": ("label",), "zone": ("label", "division"),
               "responsibility": ("role",)}


class ReviewError(ValueError):
    """A decision that cannot be applied: names the finding and what is wrong."""


@dataclass
class ReviewFinding:
    """One finding of a draft, with where it comes from and what it cannot stand without."""

    id: str
    kind: str
    label: str
    node: str  # the IRI the finding is about
    quote: str
    start: int
    end: int
    detail: str = ""
    origin: str = "curation"  # "curation" (an entry) or "pattern" (what a rule finds in the text)
    entry: str = ""  # the entry ("zones[2]") or rule ("policies[0].tasks: outline") it comes from
    path: list = field(default_factory=list)  # where that entry sits in the curation (keys and indexes)
    requires: list[str] = field(default_factory=list)  # ids of findings this one goes with
    correctable: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)  # body, role, subject, division, spans...

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReviewFinding":
        data = dict(data)
        data["correctable"] = tuple(data.get("correctable") or ())
        return cls(**data)


@dataclass
class Decision:
    decision: str
    label: str | None = None
    division: str | None = None
    role: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


# --------------------------------------------------------------------------- building a review


def _finding_id(kind: str, node: str, start: int, end: int, extra: str = "") -> str:
    digest = hashlib.sha256(f"{kind}|{node}|{start}|{end}|{extra}".encode("utf-8")).hexdigest()
    return f"{kind}-{digest[:10]}"


def _path(node: str) -> str:
    return node.rsplit("/id/", 1)[-1]


def lift_division_zones(result: IngestResult) -> dict[str, Any]:
    """The curation of ``result`` with every zone of the draft as a ``zones`` entry.

    Zones the rules made of divisions (not written as curation entries by every
    version of the rules) become entries with their division code and label, so
    that the curation alone gives them; entries already there are kept as they are."""
    data = copy.deepcopy(result.curation)
    facts, source = result.extraction.facts, result.source
    present = {str(e.get("zone")) for e in data.get("zones") or [] if isinstance(e, dict)}
    for node in facts.subjects_of_type(PK.PilotZone):
        slug = _path(str(node)).split("/", 1)[1]
        if slug in present:
            continue
        covers = [str(d).rsplit("/", 1)[1] for d in facts.objects(node, PK.coversDivision)]
        groups = [_path(str(g)) for g in facts.objects(node, PK.inProgramme)]
        if len(covers) != 1 or not groups:
            continue
        span = min(facts.evidence[node])
        label = facts.objects(node, RDFS.label)
        entry = {"zone": slug, "division": covers[0], "label": str(label[0]) if label else slug, "in": groups,
                 **_anchor(source, span)}
        data.setdefault("zones", []).append(entry)
    return data


def review_text(path: str | Path, *, title: str | None = None, date: str | None = None, url: str | None = None,
                gazetteer: Gazetteer | None = None, national: NationalGazetteer | None = None) -> dict[str, Any]:
    """Ingest the text at ``path`` and list its findings for review.

    The generic rules write a curation; the text is then ingested again with that
    curation, as a build would, and the findings are read from that draft, so
    that what is reviewed is exactly what the curation gives. Returns a dict
    (JSON-able): ``curation``, ``findings``, the reports of the first pass
    (unknown and ambiguous names, what was not added, notes) and the draft's
    validation summary. Raises :class:`~.ingest.IngestInputError` on unusable input."""
    gaz = gazetteer or load_gazetteer()
    national = national or load_national_gazetteer()
    first = ingest(path, title=title, date=date, url=url, gazetteer=gaz, national=national)
    data = lift_division_zones(first)
    draft = ingest_with(path, data, gazetteer=gaz, national=national)
    findings = findings_of(draft, data)
    findings += ambiguous_zones(first, findings)
    report = first.as_dict()
    return {
        "doc_id": draft.source.doc_id,
        "file_name": draft.source.file_name,
        "graph": str(draft.graph),
        "curation": data,
        "findings": [f.as_dict() for f in findings],
        "unknown_bodies": report["unknown_bodies"],
        "unknown_places": report["unknown_places"],
        "ambiguous_places": report["ambiguous_places"],
        "not_added": first.not_added,
        "notes": first.notes,
        "validation": _validation(draft),
    }


def ingest_with(path: str | Path, data: dict[str, Any], **kwargs) -> IngestResult:
    """Ingest the text at ``path`` with the curation ``data`` (a dict in the curation-file format)."""
    source = SourceText.load(path)
    name = Path(path).with_name(Path(path).stem + ".curation.yaml")
    return ingest(path, curation=Curation(path=name, data=data, source=source), **kwargs)


def _validation(result: IngestResult) -> dict[str, Any]:
    return {"conforms": result.report.conforms, "violations": len(result.report.violations),
            "warnings": len(result.report.warnings),
            "results": [asdict(r) for r in result.report.results][:50]}


def findings_of(result: IngestResult, data: dict[str, Any]) -> list[ReviewFinding]:
    """The findings of a draft made with the curation ``data``, each tied to its entry or rule."""
    facts, source = result.extraction.facts, result.source
    cur = Curation(path=Path(result.source.file_name), data=data, source=source)
    out: list[ReviewFinding] = []
    by_node: dict[str, str] = {}  # node IRI → the id of the finding that declares it

    def add(f: ReviewFinding) -> ReviewFinding:
        out.append(f)
        return f

    def label_of(node: str) -> str:
        labels = facts.objects(URIRef(node), RDFS.label)
        return str(labels[0]) if labels else _path(node)

    def entity(kind: str, node: str, span: Span, entry: str, path: list, requires: list[str], detail: str = "",
               values: dict | None = None) -> ReviewFinding:
        f = add(ReviewFinding(_finding_id(kind, node, span.start, span.end), kind, label_of(node), node,
                              source.quote(span), span.start, span.end, detail, "curation", entry, path, requires,
                              CORRECTABLE.get(kind, ()), values or {}))
        by_node[node] = f.id
        return f

    found_zone_detail = {f.node: f.detail for f in result.found.get("zones", [])}
    for i, (where, e) in enumerate(cur.section("policies")):
        entity("policy", str(iri(f"policy/{e['id']}")), cur.span(e, where), where, ["policies", i], [])
    for i, (where, e) in enumerate(cur.section("programmes")):
        entity("programme", str(iri(f"programme/{e['id']}")), cur.span(e, where), where, ["programmes", i], [])
    for i, (where, e) in enumerate(cur.section("batches")):
        entity("batch", str(iri(f"batch/{e['id']}")), cur.span(e, where), where, ["batches", i],
               [by_node[str(iri(e["programme"]))]] if str(iri(e["programme"])) in by_node else [])
    for i, (where, e) in enumerate(cur.section("zones")):
        node = str(iri(f"zone/{e['zone']}"))
        groups = [by_node[str(iri(g))] for g in e.get("in") or [] if str(iri(g)) in by_node]
        values = {"division": str(e["division"])} if e.get("division") is not None else {}
        entity("zone", node, cur.span(e, where), where, ["zones", i], groups, found_zone_detail.get(node, ""), values)
    for i, (where, e) in enumerate(cur.section("tasks")):
        span = cur.span(e, where)
        parent = by_node.get(str(iri(e["parent"])))
        node = str(iri(f"task/{e['id']}"))
        add(ReviewFinding(_finding_id("task", node, span.start, span.end), "task", f"tasks listed in “{source.quote(span)[:60]}”",
                          node, source.quote(span), span.start, span.end, "", "curation", where, ["tasks", i],
                          [parent] if parent else []))

    # outline tasks and objectives: found by the patterns for the policy (or programme) that asks for them
    owners = {}
    for section, kind in (("policies", "policy"), ("programmes", "programme")):
        for i, (where, e) in enumerate(cur.section(section)):
            owners[e["id"]] = (kind, i, where, e)
    for f in result.found.get("tasks", []):
        task_path = _path(f.node)[len("task/"):]
        owner = owners.get(task_path.split("/", 1)[0])
        if owner is None or owner[3].get("tasks") != "outline":
            continue
        parent = facts.objects(URIRef(f.node), PK.taskOf)
        requires = [by_node[str(p)] for p in parent if str(p) in by_node]
        g = add(ReviewFinding(_finding_id("task", f.node, f.start, f.end), "task", f.label, f.node, f.quote, f.start,
                              f.end, f.detail, "pattern", f"{owner[2]}.tasks: outline", [], requires))
        by_node[f.node] = g.id
    for f in result.found.get("objectives", []):
        owner_id = _path(f.node).split("/")[1]
        owner = owners.get(owner_id)
        if owner is None:
            continue
        add(ReviewFinding(_finding_id("objective", f.node, f.start, f.end), "objective", f.label, f.node, f.quote,
                          f.start, f.end, "", "pattern", f"{owner[2]}.objectives: patterns", [],
                          [by_node[str(iri(f'{owner[0]}/{owner_id}'))]]))

    # responsibilities: a curation entry (responsibilities[i], policies[i].issued_by[k]) or a pattern finding
    entries = {}
    for i, (where, e) in enumerate(cur.section("responsibilities")):
        entries[(e.get("body"), e.get("role"), str(iri(e["subject"])) if e.get("subject") else "")] = (where, ["responsibilities", i])
    for i, (where, e) in enumerate(cur.section("policies")):
        for k, issuer in enumerate(e.get("issued_by") or []):
            entries[(issuer.get("body"), "issues", str(iri(f"policy/{e['id']}")))] = (
                f"{where}.issued_by[{k}]", ["policies", i, "issued_by", k])
    for node in facts.subjects_of_type(PK.Responsibility):
        body = _path(str(facts.objects(node, PK.body)[0])).split("/")[1]  # body/SLUG, or body/SLUG/DOC (collective)
        role = str(facts.objects(node, PK.role)[0]).rsplit("/", 1)[1]
        subject = str(facts.objects(node, PK.subject)[0])
        origins = {str(o) for o in facts.objects(node, PK.extractedBy)} or {"pattern"}
        origin = "curation" if "curation" in origins else "pattern"
        spans = _outer_spans(facts.evidence[node])
        span = spans[0]
        requires = [by_node[subject]] if subject in by_node else []
        values = {"body": body, "role": role, "subject": _path(subject),
                  "spans": [[s.start, s.end] for s in spans]}
        # a report to another body names its recipient as subject: not a role to correct
        correctable = CORRECTABLE["responsibility"] if role != "reports-to" else ()
        if origin == "curation" and (body, role, subject) in entries:
            where, path = entries[(body, role, subject)]
            kind_origin, entry = "curation", where
            if "issued_by" in path:
                correctable = ()  # the issuer of a policy: its role is "issues"
            if "pattern" in origins:  # the patterns find it too: where, so that leaving it out rejects them there
                entry_span = cur.span(_get(data, path), where)
                values["pattern_spans"] = [[s.start, s.end] for s in spans if s != entry_span] or [
                    [entry_span.start, entry_span.end]]
        else:
            kind_origin, entry, path = "pattern", "responsibility patterns", []
        add(ReviewFinding(_finding_id("responsibility", str(node), span.start, span.end), "responsibility",
                          label_of(str(node)), str(node), source.quote(span), span.start, span.end,
                          f"{body} {role} {_path(subject)}", kind_origin, entry, path, requires,
                          correctable, values))

    # dates and counts: the entry key that states them (a period's start and end are one finding)
    out.extend(_dates_and_counts(result, cur, by_node))
    return out


def ambiguous_zones(result: IngestResult, findings: list[ReviewFinding]) -> list[ReviewFinding]:
    """A finding for each place named as a pilot zone that the national gazetteer could not tell
    apart ("Taizhou": Jiangsu or Zhejiang): never written as found, only when a curator corrects
    it with its place (one of the candidates' codes, or another), as a zone of the programme."""
    programme = next((f for f in findings if f.kind == "programme"), None)
    if programme is None:
        return []
    out = []
    for place in result.ambiguous_places:
        if place.note != "named as a pilot zone":
            continue
        could_be = "; ".join(f"{c['name']} {c['code']} ({c['province']})" for c in place.candidates)
        out.append(ReviewFinding(
            _finding_id("zone", f"ambiguous:{place.text}", place.start, place.end), "zone", place.text, "",
            result.source.quote(Span(place.start, place.end)), place.start, place.end,
            f"(ambiguous: could be {could_be}; correct it with its place to add it)", "candidate",
            "ambiguous places", [], [programme.id], ("label", "division"),
            {"candidates": [c["code"] for c in place.candidates], "in": [_path(programme.node)]}))
    return out


def _outer_spans(spans) -> list[Span]:
    """The spans not inside another one (a pattern's sentence, not its cue word), in text order."""
    ordered = sorted(spans)
    return [s for s in ordered if not any(o != s and s in o for o in ordered)]


def _dates_and_counts(result: IngestResult, cur: Curation, by_node: dict[str, str]) -> list[ReviewFinding]:
    source = result.source
    keyed: list[tuple[Span, str, list, str]] = []  # (span of the entry's quote, where, path, owner node)
    meta = cur.mapping("source")
    doc = str(iri(f"source/{source.doc_id}"))
    if meta.get("published"):
        keyed.append((cur.span(meta["published"], "source.published"), "source.published", ["source", "published"], doc))
    for section, kind, key in (("policies", "policy", "id"), ("programmes", "programme", "id"), ("batches", "batch", "id"),
                               ("zones", "zone", "zone")):
        for i, (where, e) in enumerate(cur.section(section)):
            node = str(iri(f"{kind}/{e[key]}"))
            for name in DATE_KEYS:
                if e.get(name):
                    keyed.append((cur.span(e[name], f"{where}.{name}"), f"{where}.{name}", [section, i, name], node))
            for j, d in enumerate(e.get("declared") or []):
                keyed.append((cur.span(d, f"{where}.declared[{j}]"), f"{where}.declared[{j}]", [section, i, "declared", j], node))
    grouped: dict[str, ReviewFinding] = {}
    for kind, items in (("date", result.found.get("dates", [])), ("count", result.found.get("counts", []))):
        for f in items:
            match = next((k for k in keyed if k[3] == f.node and Span(f.start, f.end) in k[0]), None)
            if match is None:
                match = next((k for k in keyed if k[3] == f.node and k[0].start <= f.start < k[0].end), None)
            if match is None:
                continue
            span, where, path, owner = match
            if where in grouped:
                grouped[where].label += f"; {f.label}"
                continue
            requires = [by_node[owner]] if owner in by_node else []
            grouped[where] = ReviewFinding(_finding_id(kind, owner, span.start, span.end, where.split(".")[-1]), kind,
                                           f.label, owner, source.quote(span), span.start, span.end, f.detail,
                                           "curation", where, path, requires)
    return list(grouped.values())


# --------------------------------------------------------------------------- decisions


def check_decision(finding: ReviewFinding, raw: dict[str, Any], national: NationalGazetteer | None = None) -> Decision:
    """A decision on ``finding`` from what a curator sent; :class:`ReviewError` says what is wrong."""
    if not isinstance(raw, dict):
        raise ReviewError(f"finding {finding.id}: a decision is an object with 'decision' (accept, reject or correct)")
    unknown = set(raw) - {"decision", "label", "division", "role"}
    if unknown:
        raise ReviewError(f"finding {finding.id}: unknown field(s) {sorted(unknown)}; use decision, label, division, role")
    what = raw.get("decision")
    if what not in DECISIONS:
        raise ReviewError(f"finding {finding.id}: decision must be one of {', '.join(DECISIONS)}, not {what!r}")
    if finding.origin == "candidate" and (what == "accept" or (what == "correct" and not raw.get("division"))):
        raise ReviewError(f"finding {finding.id}: “{finding.label}” is ambiguous; correct it with its place "
                          f"(one of {', '.join(finding.values.get('candidates') or [])}) to add it, or reject it")
    if what != "correct":
        return Decision(what)
    fields = {k: raw.get(k) for k in ("label", "division", "role") if raw.get(k) not in (None, "")}
    if not fields:
        allowed = " or ".join(finding.correctable) or "nothing"
        raise ReviewError(f"finding {finding.id} ({finding.kind}): say what to correct: {allowed}")
    for key, value in fields.items():
        if key not in finding.correctable:
            allowed = ", ".join(finding.correctable) or "nothing"
            raise ReviewError(f"finding {finding.id}: the {key} of a {finding.kind} cannot be corrected here "
                              f"(a {finding.kind} takes: {allowed})")
        if not isinstance(value, str):
            raise ReviewError(f"finding {finding.id}: {key} must be text")
    if "label" in fields:
        fields["label"] = clean_label(fields["label"])
        if not fields["label"] or len(fields["label"]) > 300:
            raise ReviewError(f"finding {finding.id}: a label must have 1 to 300 characters")
    if "role" in fields and fields["role"] not in ROLES:
        raise ReviewError(f"finding {finding.id}: role {fields['role']!r} is not one of {', '.join(ROLES)}")
    if "division" in fields:
        code = fields["division"].strip()
        national = national or load_national_gazetteer()
        division = national.get(code) if code.isdigit() and len(code) == 6 else None
        if division is None:
            raise ReviewError(f"finding {finding.id}: {code!r} is not a division code of the national gazetteer "
                              "(six digits, GB/T 2260, e.g. 210100 for Shenyang)")
        if division.level == "province":
            raise ReviewError(f"finding {finding.id}: {code} is a province ({division.name_en}); a pilot zone is a "
                              "prefecture- or county-level division")
        fields["division"] = code
    return Decision("correct", **fields)


def inclusion(findings: list[ReviewFinding], decisions: dict[str, Decision]) -> dict[str, tuple[bool, str]]:
    """For each finding: (written?, why not). A finding is written if it is accepted or
    corrected and every finding it requires is written."""
    by_id = {f.id: f for f in findings}
    memo: dict[str, tuple[bool, str]] = {}

    def visit(fid: str, seen: frozenset) -> tuple[bool, str]:
        if fid in memo:
            return memo[fid]
        f = by_id[fid]
        d = decisions.get(fid)
        if d is None:
            answer = (False, "not decided yet")
        elif d.decision == "reject":
            answer = (False, "rejected")
        else:
            answer = (True, "")
            for req in f.requires:
                if req in seen or req not in by_id:
                    continue
                ok, _ = visit(req, seen | {fid})
                if not ok:
                    answer = (False, f"left out with the {by_id[req].kind} “{by_id[req].label}”")
                    break
        memo[fid] = answer
        return answer

    return {f.id: visit(f.id, frozenset()) for f in findings}


_GONE = object()


def _get(data: Any, path: list) -> Any:
    for key in path:
        if data is _GONE:
            return _GONE
        data = data[key]
    return data


def _purge(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _purge(v) for k, v in data.items() if v is not _GONE}
    if isinstance(data, list):
        return [_purge(v) for v in data if v is not _GONE]
    return data


def reviewed_curation(curation: dict[str, Any], findings: list[ReviewFinding], decisions: dict[str, Decision], *,
                      text: str, gazetteer: Gazetteer | None = None,
                      national: NationalGazetteer | None = None) -> dict[str, Any]:
    """The curation holding only the accepted and corrected findings (see the module's docstring)."""
    data = copy.deepcopy(curation)
    written = inclusion(findings, decisions)
    gone_nodes = {f.node for f in findings if not written[f.id][0] and f.kind in ("policy", "programme", "batch", "zone")}
    renamed: dict[str, str] = {}
    rejects: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    extra_zones: list[dict[str, Any]] = []
    source = SourceText(path=Path("review.txt"), text=text, sha256="")
    for f in findings:
        ok = written[f.id][0]
        d = decisions.get(f.id)
        if f.origin == "candidate":
            if ok and d and d.division:
                slug, name = _division_zone(d.division, gazetteer, national)
                extra_zones.append({"zone": slug, "division": d.division, "label": d.label or name,
                                    "in": list(f.values["in"]), **_anchor(source, Span(f.start, f.end))})
            continue
        if f.origin == "curation":
            if not ok:
                _drop(data, f.path)
            elif d and d.decision == "correct":
                extra += _correct_entry(data, f, d, renamed, gazetteer, national)
            if f.values.get("pattern_spans") and (not ok or (d and d.decision == "correct")):
                rejects += [{"body": f.values["body"], "role": f.values["role"], **_anchor(source, Span(a, b))}
                            for a, b in f.values["pattern_spans"]]
            continue
        # what the patterns find: rejected by its instance path, or (responsibilities) by body, role and quote
        if f.kind in ("task", "objective"):
            owner_written = all(written.get(r, (True, ""))[0] for r in f.requires)
            if not ok and owner_written:
                rejects.append({f.kind: _path(f.node), **_anchor(source, Span(f.start, f.end))})
        elif f.kind == "responsibility":
            spans = [Span(a, b) for a, b in f.values.get("spans") or [[f.start, f.end]]]
            if not ok or (d and d.decision == "correct"):
                rejects += [{"body": f.values["body"], "role": f.values["role"], **_anchor(source, s)} for s in spans]
            if ok and d and d.decision == "correct":
                extra += [{"body": f.values["body"], "role": d.role, "subject": f.values["subject"], **_anchor(source, s)}
                          for s in spans]
    data = _purge(data)
    _unlink(data, {_path(n) for n in gone_nodes}, renamed)
    if rejects:
        data.setdefault("reject", []).extend(rejects)
    if extra:
        data.setdefault("responsibilities", []).extend(extra)
    if extra_zones:
        data.setdefault("zones", []).extend(extra_zones)
    return {k: v for k, v in data.items() if v not in ([], {}, None)}


def _drop(data: dict[str, Any], path: list) -> None:
    parent = _get(data, path[:-1])
    if parent is not _GONE:  # else it goes with the entry it is part of
        parent[path[-1]] = _GONE


def _correct_entry(data: dict[str, Any], f: ReviewFinding, d: Decision, renamed: dict[str, str],
                   gazetteer: Gazetteer | None, national: NationalGazetteer | None) -> list:
    entry = _get(data, f.path)
    if d.role:
        entry["role"] = d.role
    if d.division:
        slug, name = _division_zone(d.division, gazetteer, national)
        old = f"zone/{entry['zone']}"
        entry.update({"zone": slug, "division": d.division, "label": name})
        renamed[old] = f"zone/{slug}"
    if d.label:
        entry["label"] = d.label
    return []


def _division_zone(code: str, gazetteer: Gazetteer | None, national: NationalGazetteer | None) -> tuple[str, str]:
    """(slug, label) of the zone that is the division ``code`` wholly: its name, with the code in the slug
    when the name is not unique in China or is the seed gazetteer's zone of another place."""
    gaz = gazetteer or load_gazetteer()
    national = national or load_national_gazetteer()
    seed = gaz.divisions.get(code)
    division = national.get(code)
    name = seed.name_en if seed else division.name_en_full
    slug = slugify(name)
    unique = (seed is not None and slug not in gaz.zones) or _unique(national, division.name_en, code)
    if not unique or slug in gaz.zones:
        slug = f"{slug}-{code}"
    return slug, name


def _unique(national: NationalGazetteer, name: str, code: str) -> bool:
    resolution = national.resolve(name)
    return resolution is not None and resolution.status == "resolved" and resolution.division.code == code


def _unlink(data: dict[str, Any], gone: set[str], renamed: dict[str, str]) -> None:
    """Remove references to entries that were left out; follow renamed zones."""

    def keep(ref: Any) -> bool:
        return not (isinstance(ref, str) and ref in gone)

    def name(ref: Any) -> Any:
        return renamed.get(ref, ref) if isinstance(ref, str) else ref

    for e in data.get("programmes") or []:
        if e.get("established_by"):
            e["established_by"] = [r for r in e["established_by"] if keep(r.get("policy"))]
            if not e["established_by"]:
                del e["established_by"]
    for e in data.get("policies") or []:
        if e.get("establishes"):
            e["establishes"] = [r for r in e["establishes"] if keep(r.get("programme"))]
            if not e["establishes"]:
                del e["establishes"]
    for e in data.get("zones") or []:
        if e.get("designated_by") and not keep(e["designated_by"]):
            del e["designated_by"]
    if data.get("links"):
        data["links"] = [dict(e, subject=name(e.get("subject")), object=name(e.get("object")))
                         for e in data["links"] if keep(e.get("subject")) and keep(e.get("object"))]
    for e in data.get("responsibilities") or []:
        e["subject"] = name(e.get("subject"))
    subjects = data.get("subjects")
    if isinstance(subjects, dict):
        if subjects.get("within"):
            subjects["within"] = [dict(r, subject=name(r.get("subject"))) for r in subjects["within"] if keep(r.get("subject"))]
            if not subjects["within"]:
                del subjects["within"]
        if subjects.get("assigned_by") and not keep(subjects["assigned_by"]):
            del subjects["assigned_by"]
        if subjects.get("default") and not keep(subjects["default"]):
            fallback = [f"programme/{e['id']}" for e in data.get("programmes") or []] + [
                f"policy/{e['id']}" for e in data.get("policies") or []]
            if fallback:
                subjects["default"] = fallback[0]
            else:
                del subjects["default"]
        subjects["default"] = name(subjects.get("default")) if subjects.get("default") else None
        if subjects.get("default") is None:
            subjects.pop("default", None)
        if not subjects:
            del data["subjects"]


def curation_yaml(data: dict[str, Any], *, name: str = "") -> str:
    """The curation as the text of a ``NAME.curation.yaml`` file."""
    head = f"# Curation of {name}, written by the pilotkg review page.\n" if name else ""
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


# --------------------------------------------------------------------------- staging a review on a server


def review_endpoint(server: str, token: str, *, timeout: float = 30) -> bool:
    """Whether the pilotkg server at ``server`` takes reviews (``/ingest``): True if it answers as one,
    False if it has no such endpoint (404, 405, 501); :class:`~.ingest.StageError` if it refuses the
    token or cannot be reached."""
    import json
    import urllib.error
    import urllib.request

    from .ingest import StageError

    base = server.rstrip("/")
    request = urllib.request.Request(f"{base}/ingest", headers={"Accept": "application/json",
                                                               "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as err:
        if err.code in (404, 405, 501):
            return False
        detail = err.read().decode("utf-8", "replace").strip()
        raise StageError(f"{base}/ingest answered {err.code} {err.reason}" + (f": {detail[:500]}" if detail else ""),
                         err.code) from err
    except (urllib.error.URLError, OSError) as err:
        raise StageError(f"cannot reach {base}: {getattr(err, 'reason', err)}") from err
    try:
        return isinstance(json.loads(body.decode("utf-8")).get("reviews"), list)
    except (UnicodeDecodeError, ValueError, AttributeError):
        return False


def stage_review(path: str | Path, server: str, token: str, *, title: str | None = None, date: str | None = None,
                 url: str | None = None, timeout: float = 120) -> str:
    """POST the text at ``path`` to ``SERVER/ingest/reviews`` (JSON, bearer token); return the review page's URL.
    The server ingests the text itself, in a worker. :class:`~.ingest.StageError` names the server's answer."""
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    from .ingest import StageError

    base = server.rstrip("/")
    body = {"text": Path(path).read_text(encoding="utf-8"), "name": Path(path).name, "title": title, "date": date,
            "url": url}
    request = urllib.request.Request(
        f"{base}/ingest/reviews", data=json.dumps({k: v for k, v in body.items() if v is not None}).encode("utf-8"),
        method="POST", headers={"Content-Type": "application/json", "Accept": "application/json",
                                "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            location = response.headers.get("Location")
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace").strip()
        try:
            detail = json.loads(detail).get("error", detail)
        except (ValueError, AttributeError):
            pass
        raise StageError(f"{base}/ingest/reviews answered {err.code} {err.reason}" + (f": {detail[:2000]}" if detail else ""),
                         err.code) from err
    except (urllib.error.URLError, OSError) as err:
        raise StageError(f"cannot reach {base}: {getattr(err, 'reason', err)}") from err
    if not location:
        raise StageError(f"{base}/ingest/reviews accepted the text but did not say where the review is (no Location header)")
    return urllib.parse.urljoin(f"{base}/ingest/reviews", location)
