"""From one source text (and its curation file) to facts with evidence.

What the patterns find (outline tasks, themes, bodies named, responsibilities,
objectives, dates, periods, counts) is combined with what the curation file
adds: the policies, programmes, batches and zones a text reports, and the
corrections the patterns need. Every fact is added with the span that states
it; see :mod:`pilotkg.graph.extract.facts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from . import patterns
from .curation import Curation, CurationError
from .facts import FactSet, collective_body_iri, iri
from .facts import body_slug as body_slug_of
from .gazetteer import Division, Gazetteer
from ..namespaces import PK, POLICY_TYPE, ROLE, THEME, source_graph
from .outline import OutlineNode, lines, parse_outline, sentences
from .text import SourceText, Span, clean_label, slugify

# Properties a curation file's `links` may state, with the kinds of subject and object.
LINKS = {
    "pk:concernsProgramme": ({"task"}, {"programme"}),
    "pk:designatedBy": ({"zone"}, {"policy"}),
}
ROLES = ("leads", "coordinates", "approves", "implements", "supervises", "supports", "reports-to", "issues")
POLICY_TYPES = ("opinions", "notice", "reply-letter", "plan", "programme", "approval")


@dataclass
class Extraction:
    """What one text yields: its facts, and the reference entries it uses."""

    source: SourceText
    facts: FactSet
    bodies_used: set[str] = field(default_factory=set)
    zones_used: set[str] = field(default_factory=set)
    divisions_used: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    # responsibilities the patterns found for names the gazetteer does not know
    # (see Extractor's ``unresolved_bodies``): reported, never added as facts
    unresolved: list[patterns.ResponsibilityMention] = field(default_factory=list)


# Slug prefix of a body mention that is not in the gazetteer ("?0", "?1", ...: the
# index into Extractor.unresolved_bodies).
UNRESOLVED = "?"


class Extractor:
    """Runs the patterns and the curation of one text. Use :func:`extract`."""

    def __init__(self, source: SourceText, gazetteer: Gazetteer, curation: Curation | None = None,
                 *, unresolved_bodies: Iterable[Span] = (), divisions: Mapping[str, Division] | None = None):
        """``divisions``: divisions beyond the gazetteer's (the national gazetteer's,
        written as the gazetteer writes them) that a ``zones`` entry with ``division:``
        may cover. ``unresolved_bodies``: spans of organisation names the gazetteer does not
        know. They take part in the responsibility patterns like known bodies (so a
        known body's clause ends where theirs begins), but what they are found to do
        goes to ``Extraction.unresolved``, never into the facts."""
        self.unresolved_bodies = tuple(unresolved_bodies)
        self.extra_divisions = dict(divisions or {})
        self.source = source
        self.text = source.text
        self.gaz = gazetteer
        self.cur = curation or Curation.load(source)
        self.facts = FactSet(graph=source_graph(source.doc_id), source=source)
        self.out = Extraction(source=source, facts=self.facts)
        self.doc = iri(f"source/{source.doc_id}")
        self.labels: dict[URIRef, str] = {}
        # collective bodies the text names: slug -> the spans that name them or give them a role
        self.collective_spans: dict[str, set[Span]] = {}
        self.task_spans: list[tuple[Span, URIRef]] = []  # (block, task) for subject resolution

    # ------------------------------------------------------------------ helpers

    def _err(self, where: str, message: str) -> CurationError:
        return CurationError(f"{self.cur.path.name}: {where}: {message}")

    def _declare(self, node: URIRef, rdf_type: URIRef, label: str, *spans: Span) -> None:
        self.facts.declare(node, rdf_type, label, *spans)
        self.facts.add(node, PK.derivedFrom, self.doc, *spans)
        self.labels.setdefault(node, clean_label(label))

    def _ref(self, value: str, where: str, kinds: Iterable[str] | None = None) -> URIRef:
        """A reference to another entity, written as its path: ``policy/ID``, ``zone/SLUG``, ..."""
        kind = value.split("/", 1)[0]
        if kinds is not None and kind not in kinds:
            raise self._err(where, f"{value!r} must name one of {sorted(kinds)} (e.g. 'programme/my-programme')")
        if kind == "body":
            return self._body(value.split("/", 1)[1], where)
        try:
            return iri(value)
        except ValueError as err:
            raise self._err(where, str(err)) from err

    def _body(self, slug: str, where: str, span: Span | None = None) -> URIRef:
        """The node of a gazetteer body in this text: ``body/{slug}``, or for a collective
        body the document's own node ``body/{slug}/{doc}`` (see :meth:`_collective_bodies`)."""
        if slug not in self.gaz.bodies:
            raise self._err(where, f"unknown body {slug!r}; add it to graph/reference/bodies.yaml")
        self.out.bodies_used.add(slug)
        if self.gaz.bodies[slug].collective:
            spans = self.collective_spans.setdefault(slug, set())
            if span is not None:
                spans.add(span)
            return collective_body_iri(slug, self.source.doc_id)
        return iri(f"body/{slug}")

    def _collective_bodies(self) -> None:
        """Declare the document's collective bodies in its graph: type, label, variants and
        parent from the gazetteer, with the spans that name them (or give them a role) as evidence."""
        for slug in sorted(self.collective_spans):
            body, node = self.gaz.bodies[slug], collective_body_iri(slug, self.source.doc_id)
            spans = sorted(self.collective_spans[slug] | self.facts.evidence.get(node, set()))
            if not spans:
                raise self._err("bodies", f"the collective body {slug!r} is used with no passage of the text naming it")
            self.facts.declare(node, PK.ResponsibleBody, body.name_en, *spans)
            self.facts.add(node, RDF.type, PK.CollectiveBody, *spans)
            self.facts.add(node, PK.derivedFrom, self.doc, *spans)
            for alias in body.aliases:
                if alias != body.name_en and "*" not in alias:
                    self.facts.add(node, SKOS.altLabel, Literal(alias, lang="en"), *spans)
            if body.parent:
                parent = self.gaz.bodies[body.parent]
                target = collective_body_iri(parent.slug, self.source.doc_id) if parent.collective else iri(f"body/{parent.slug}")
                self.facts.add(node, PK.subOrganizationOf, target, *spans)

    def _date(self, entry: dict[str, Any], where: str) -> tuple[Literal, Span]:
        span = self.cur.span(entry, where)
        if "value" in entry:
            value = str(entry["value"])
            datatype = {10: XSD.date, 7: XSD.gYearMonth, 4: XSD.gYear}.get(len(value))
            if value.startswith("--"):
                datatype = XSD.gMonthDay if len(value) == 7 else None  # "--08-26": a dateline without a year
            if datatype is None:
                raise self._err(where, f"date value {value!r} must be YYYY-MM-DD, YYYY-MM, YYYY or --MM-DD")
            return Literal(value, datatype=datatype), span
        dates = patterns.find_dates(self.text, span)
        if not dates:
            raise self._err(where, f"no date found in the quote {self.source.quote(span)!r}")
        return dates[0].value, span

    def _declared_counts(self, node: URIRef, entries: list[Any], where: str) -> None:
        props = {"zones": PK.declaredZoneCount, "tasks": PK.declaredTaskCount, "provinces": PK.declaredProvinceCount}
        for i, entry in enumerate(entries or []):
            w = f"{where}.declared[{i}]"
            span = self.cur.span(entry, w)
            counts = patterns.find_counts(self.text, span)
            if not counts:  # "bringing the total to 11": a total of zones
                counts = patterns.find_totals(self.text, span)
            if len(counts) != 1:
                raise self._err(w, f"the quote must state exactly one count of zones, tasks or provinces; found {len(counts)}")
            count = counts[0]
            self.facts.add(node, props[count.kind], Literal(count.value, datatype=XSD.integer), count.span)

    # ------------------------------------------------------------------ the document

    def run(self) -> Extraction:
        self._source()
        for where, entry in self.cur.section("policies"):
            self._policy(entry, where)
        for where, entry in self.cur.section("programmes"):
            self._programme(entry, where)
        for where, entry in self.cur.section("batches"):
            self._batch(entry, where)
        for where, entry in self.cur.section("zones"):
            self._zone(entry, where)
        for where, entry in self.cur.section("tasks"):
            self._task_list(entry, where)
        for where, entry in self.cur.section("links"):
            self._link(entry, where)
        self._mentions()
        self._responsibilities()
        self._collective_bodies()
        self._label_responsibilities()
        return self.out

    def _source(self) -> None:
        meta = self.cur.mapping("source")
        title_span = self.cur.span(meta, "source") if meta.get("quote") else Span(0, min(len(self.text), self.text.find("\n") if "\n" in self.text else len(self.text)) or 1)
        label = meta.get("label") or self.source.quote(title_span)
        self.facts.declare(self.doc, PK.SourceDocument, label, title_span)
        self.labels[self.doc] = clean_label(label)
        self.facts.add(self.doc, PK.fileName, Literal(self.source.file_name), title_span)
        self.facts.add(self.doc, PK.sha256, Literal(self.source.sha256), title_span)
        if meta.get("published"):
            value, span = self._date(meta["published"], "source.published")
            self.facts.add(self.doc, PK.publishedOn, value, span)
        if meta.get("publisher"):
            pub = meta["publisher"]
            pub_span = self.cur.span(pub, "source.publisher")
            self.facts.add(self.doc, PK.publisher, self._body(self.cur.require(pub, "body", "source.publisher"), "source.publisher", pub_span), pub_span)
        if meta.get("url"):
            self.facts.add(self.doc, DCTERMS.source, URIRef(meta["url"]), title_span)

    def _policy(self, entry: dict[str, Any], where: str) -> None:
        pid = self.cur.require(entry, "id", where)
        node = self._ref(f"policy/{pid}", where)
        span = self.cur.span(entry, where)
        self._declare(node, PK.Policy, entry.get("label") or self.source.quote(span), span)
        self.facts.add(self.doc, PK.reports, node, span)
        if entry.get("type"):
            if entry["type"] not in POLICY_TYPES:
                raise self._err(where, f"type {entry['type']!r} is not one of {POLICY_TYPES}")
            self.facts.add(node, PK.policyType, POLICY_TYPE[entry["type"]], span)
        for i, issuer in enumerate(entry.get("issued_by") or []):
            w = f"{where}.issued_by[{i}]"
            ispan = self.cur.span(issuer, w)
            body = self._body(self.cur.require(issuer, "body", w), w, ispan)
            self.facts.add(node, PK.issuedBy, body, ispan)
            self._responsibility(issuer["body"], "issues", node, ispan, None, origin="curation")
        if entry.get("issued_on"):
            value, dspan = self._date(entry["issued_on"], f"{where}.issued_on")
            self.facts.add(node, PK.issuedOn, value, dspan)
        if entry.get("tasks") == "outline":
            self._outline_tasks(node, pid)
        if entry.get("objectives") in ("patterns", "sentences"):
            self._objectives(node, pid, anywhere=entry["objectives"] == "sentences")
        for i, rel in enumerate(entry.get("establishes") or []):
            w = f"{where}.establishes[{i}]"
            prog = self._ref(self.cur.require(rel, "programme", w), w, {"programme"})
            self.facts.add(node, PK.establishes, prog, self.cur.span(rel, w))

    def _programme(self, entry: dict[str, Any], where: str) -> None:
        pid = self.cur.require(entry, "id", where)
        node = self._ref(f"programme/{pid}", where)
        span = self.cur.span(entry, where)
        self._declare(node, PK.PilotProgramme, entry.get("label") or self.source.quote(span), span)
        self.facts.add(self.doc, PK.reports, node, span)
        for i, rel in enumerate(entry.get("established_by") or []):
            w = f"{where}.established_by[{i}]"
            policy = self._ref(self.cur.require(rel, "policy", w), w, {"policy"})
            self.facts.add(node, PK.establishedBy, policy, self.cur.span(rel, w))
        if entry.get("period"):
            self._period(node, entry["period"], f"{where}.period")
        if entry.get("started_on"):
            value, dspan = self._date(entry["started_on"], f"{where}.started_on")
            self.facts.add(node, PK.startDate, value, dspan)
        self._declared_counts(node, entry.get("declared"), where)
        for i, theme in enumerate(entry.get("themes") or []):
            w = f"{where}.themes[{i}]"
            slug = self.cur.require(theme, "theme", w)
            if slug not in patterns.THEME_CUES:
                raise self._err(w, f"unknown theme {slug!r}; the pk:ReformThemes concepts are {sorted(patterns.THEME_CUES)}")
            self.facts.add(node, PK.theme, THEME[slug], self.cur.span(theme, w))
        if entry.get("objectives") in ("patterns", "sentences"):
            self._objectives(node, pid, anywhere=entry["objectives"] == "sentences")

    def _period(self, node: URIRef, entry: dict[str, Any], where: str) -> None:
        span = self.cur.span(entry, where)
        found = patterns.find_periods(self.text, span)
        if not found:
            raise self._err(where, f"no period (e.g. '2021–2025', 'completed by 2025') in {self.source.quote(span)!r}")
        for period in found:
            if period.start is not None:
                self.facts.add(node, PK.startDate, period.start, period.span)
            if period.end is not None:
                self.facts.add(node, PK.endDate, period.end, period.span)

    def _batch(self, entry: dict[str, Any], where: str) -> None:
        bid = self.cur.require(entry, "id", where)
        node = self._ref(f"batch/{bid}", where)
        span = self.cur.span(entry, where)
        self._declare(node, PK.PilotBatch, entry.get("label") or self.source.quote(span), span)
        prog = self._ref(self.cur.require(entry, "programme", where), where, {"programme"})
        self.facts.add(node, PK.batchOf, prog, span)
        self.facts.add(prog, PK.hasBatch, node, span)
        number = entry.get("number")  # a batch the text does not number ("six new zones, bringing the total to 18")
        if number is not None:
            self.facts.add(node, PK.batchNumber, Literal(int(number), datatype=XSD.integer), span)
        if entry.get("approved_on"):
            value, dspan = self._date(entry["approved_on"], f"{where}.approved_on")
            self.facts.add(node, PK.approvedOn, value, dspan)
        self._declared_counts(node, entry.get("declared"), where)

    def _zone(self, entry: dict[str, Any], where: str) -> None:
        slug = self.cur.require(entry, "zone", where)
        span = self.cur.span(entry, where)
        if entry.get("division") is not None:
            # a zone the gazetteer lacks, covering one division wholly ("zone/ordos", division 150600)
            code = str(entry["division"])
            division = self.gaz.divisions.get(code) or self.extra_divisions.get(code)
            if division is None:
                raise self._err(where, f"unknown division {code!r}: not a GB/T 2260 code of the gazetteer")
            if slug in self.gaz.zones and self.gaz.zones[slug].covers != ((code, "whole"),):
                raise self._err(where, f"zone {slug!r} is the gazetteer's zone of another place; choose another slug")
            try:
                node = iri(f"zone/{slug}")
            except ValueError as err:
                raise self._err(where, str(err)) from err
            extent = entry.get("extent", "whole")
            if extent not in ("whole", "part"):
                raise self._err(where, f"extent {extent!r} must be 'whole' or 'part'")
            self._declare(node, PK.PilotZone, entry.get("label") or division.name_en, span)
            self.facts.add(node, PK.coversPartOf if extent == "part" else PK.coversDivision, iri(f"division/{code}"), span)
            self.out.divisions_used.add(code)
        else:
            if slug not in self.gaz.zones:
                raise self._err(where, f"unknown zone {slug!r}; add it to graph/reference/zones.yaml, or give the division it covers")
            ref = self.gaz.zones[slug]
            node = iri(f"zone/{slug}")
            self._declare(node, PK.PilotZone, entry.get("label") or ref.name_en, span)
            self.out.zones_used.add(slug)
        for target in self.cur.require(entry, "in", where):
            group = self._ref(target, where, {"programme", "batch"})
            self.facts.add(node, PK.inProgramme, group, span)
            self.facts.add(group, PK.hasZone, node, span)
        if entry.get("designated_by"):
            policy = self._ref(entry["designated_by"], where, {"policy"})
            self.facts.add(node, PK.designatedBy, policy, span)
        if entry.get("approved_on"):
            value, dspan = self._date(entry["approved_on"], f"{where}.approved_on")
            self.facts.add(node, PK.approvedOn, value, dspan)

    # ------------------------------------------------------------------ tasks

    def _outline_tasks(self, policy: URIRef, pid: str) -> None:
        outline = parse_outline(self.text)
        items = [item for section in outline for item in ([section] if section.kind == "item" else section.children)]
        numbers = [item.number for item in items]
        unique_items = len(numbers) == len(set(numbers))
        for k, section in enumerate(outline, start=1):
            if section.kind == "item":
                self._task(section, policy, f"{pid}/{section.number:02d}")
                continue
            path = f"{pid}/section-{section.number if section.number is not None else k}"
            node = self._task(section, policy, path, measures=False)
            if node is None:
                continue
            for item in section.children:
                item_path = f"{pid}/{item.number:02d}" if unique_items else f"{path}/{item.number:02d}"
                self._task(item, node, item_path, section_heading=section.heading)

    def _rejected(self, key: str) -> set[str]:
        """The instance paths a curation's ``reject`` entries name under ``key`` ("task", "objective")."""
        found = set()
        for where, entry in self.cur.section("reject"):
            if entry.get(key):
                self.cur.span(entry, where)  # the quote must be in the text
                found.add(str(entry[key]))
        return found

    def _task(self, n: OutlineNode, parent: URIRef, path: str, section_heading: Span | None = None, measures: bool = True) -> URIRef | None:
        if f"task/{path}" in self._rejected("task"):
            return None  # a task the curator rejected, with its measures
        node = iri(f"task/{path}")
        heading = task_label(self.source.quote(n.heading))
        self._declare(node, PK.ReformTask, heading, n.heading)
        self.facts.add(node, PK.taskOf, parent, n.heading)
        self.facts.add(parent, PK.hasTask, node, n.heading)
        if n.number is not None and n.kind != "measure":
            self.facts.add(node, PK.itemNumber, Literal(n.number, datatype=XSD.integer), Span(n.block.start, n.heading.end))
        if n.kind == "measure":
            self.facts.add(node, PK.position, Literal(n.number, datatype=XSD.integer), n.heading)
        if n.block != n.heading:
            self.facts.add(node, PK.taskText, Literal(clean_label(self.source.quote(n.block))), n.block)
        themes = patterns.find_themes(self.text, n.heading)
        if not themes and section_heading is not None:
            themes = patterns.find_themes(self.text, section_heading)
        for theme in themes:
            self.facts.add(node, PK.theme, THEME[theme.theme], theme.span)
        self.task_spans.append((n.block, node))
        if measures:
            for i, child in enumerate(n.children, start=1):
                self._task(child, node, f"{path}/measure-{i}", section_heading=n.heading)
        return node

    def _task_list(self, entry: dict[str, Any], where: str) -> None:
        """Tasks written as an enumeration inside a sentence ("including A, B, C and D")."""
        parent = self._ref(self.cur.require(entry, "parent", where), where, {"policy", "programme", "task"})
        prefix = self.cur.require(entry, "id", where)
        span = self.cur.span(entry, where)
        items = enumeration(self.text, span)
        if entry.get("count") is not None and len(items) != int(entry["count"]):
            raise self._err(where, f"the enumeration has {len(items)} items, the entry says {entry['count']}")
        for i, item in enumerate(items, start=1):
            node = iri(f"task/{prefix}/{i:02d}")
            self._declare(node, PK.ReformTask, task_label(self.source.quote(item)), item)
            self.facts.add(node, PK.taskOf, parent, item)
            self.facts.add(parent, PK.hasTask, node, item)
            self.facts.add(node, PK.position, Literal(i, datatype=XSD.integer), item)
            for theme in patterns.find_themes(self.text, item):
                self.facts.add(node, PK.theme, THEME[theme.theme], theme.span)

    def _link(self, entry: dict[str, Any], where: str) -> None:
        """A link between two entities that a quote states (only the properties in LINKS)."""
        prop = self.cur.require(entry, "property", where)
        if prop not in LINKS:
            raise self._err(where, f"property {prop!r} is not one curation may link with; use one of {sorted(LINKS)}")
        subject_kinds, object_kinds = LINKS[prop]
        subject = self._ref(self.cur.require(entry, "subject", where), where, subject_kinds)
        obj = self._ref(self.cur.require(entry, "object", where), where, object_kinds)
        self.facts.add(subject, PK[prop.split(":", 1)[1]], obj, self.cur.span(entry, where))

    def _objectives(self, owner: URIRef, owner_id: str, anywhere: bool = False) -> None:
        for objective in patterns.find_objectives(self.text, anywhere=anywhere):
            key = objective.target_year or slugify(objective.target_text)
            node = iri(f"objective/{owner_id}/{slugify(str(key))}")
            if f"objective/{owner_id}/{slugify(str(key))}" in self._rejected("objective"):
                continue
            self._declare(node, PK.Objective, self.source.quote(objective.span), objective.span)
            self.facts.add(node, PK.objectiveOf, owner, objective.span)
            self.facts.add(owner, PK.hasObjective, node, objective.span)
            if objective.target_year is not None:
                self.facts.add(node, PK.targetYear, objective.target_year, objective.span)
            else:
                self.facts.add(node, PK.targetText, Literal(objective.target_text), objective.span)

    # ------------------------------------------------------------------ bodies and responsibilities

    def _mentions(self) -> None:
        for m in self.gaz.find_mentions(self.text, kinds=("body",)):
            span = Span(m.start, m.end)
            body = self._body(m.slug_or_code, "mentions", span)
            self.facts.add(self.doc, PK.mentions, body, span)
            self.facts.support(body, [span])

    def _subject_rules(self) -> list[tuple[Span, URIRef]]:
        """The curation's ``subjects.within`` rules: (passage, subject)."""
        rules = []
        for i, rule in enumerate(self.cur.mapping("subjects").get("within") or []):
            w = f"subjects.within[{i}]"
            rules.append((self.cur.span(rule, w), self._ref(self.cur.require(rule, "subject", w), w)))
        return rules

    def _subject_for(self, span: Span, rules: list[tuple[Span, URIRef]]) -> URIRef | None:
        """What a responsibility found in ``span`` is about: a curated passage's subject,
        else the innermost task whose text contains it, else the curation's default."""
        subjects = self.cur.mapping("subjects")
        for passage, subject in rules:
            if span in passage or passage in span:
                return subject
        containing = [(block, task) for block, task in self.task_spans if span in block]
        if containing:
            return min(containing, key=lambda bt: bt[0].end - bt[0].start)[1]
        default = subjects.get("default")
        return self._ref(default, "subjects.default") if default else None

    def _responsibilities(self) -> None:
        rejected = []
        for where, entry in self.cur.section("reject"):
            if entry.get("task") or entry.get("objective"):
                continue  # rejected tasks and objectives (see _rejected)
            rejected.append((self.cur.require(entry, "body", where), self.cur.require(entry, "role", where), self.cur.span(entry, where), where))
        used_rejections: set[str] = set()
        bodies = [patterns.BodyMention(m.slug_or_code, Span(m.start, m.end), self.gaz.bodies[m.slug_or_code].collective)
                  for m in self.gaz.find_mentions(self.text, kinds=("body",))]
        bodies += [patterns.BodyMention(f"{UNRESOLVED}{i}", span) for i, span in enumerate(self.unresolved_bodies)]
        # a phrase that names several bodies named before ("the three departments"): a mention of each
        for i, group in enumerate(self.cur.mapping("patterns").get("groups") or []):
            where = f"patterns.groups[{i}]"
            span = self.cur.span(group, where)
            for slug in self.cur.require(group, "bodies", where):
                self._body(slug, where)
                bodies.append(patterns.BodyMention(slug, span))
        rules = self._subject_rules()
        reading = self.cur.mapping("patterns").get("roles", "seeds")
        if reading not in ("seeds", "lenient"):
            raise self._err("patterns.roles", f"{reading!r} must be 'seeds' or 'lenient'")
        for paragraph in lines(self.text):
            for sentence in sentences(self.text, paragraph):
                for found in patterns.find_responsibilities(self.text, sentence, bodies, lenient=reading == "lenient"):
                    if found.body.startswith(UNRESOLVED) or (found.recipient or "").startswith(UNRESOLVED):
                        self.out.unresolved.append(found)
                        continue
                    hit = next((w for b, r, s, w in rejected if b == found.body and r == found.role and (s in found.span or found.span in s or (s.start < found.span.end and found.span.start < s.end))), None)
                    if hit:
                        used_rejections.add(hit)
                        continue
                    if found.role == "reports-to":
                        subject = self._body(found.recipient, "responsibilities", found.span)
                    else:
                        subject = self._subject_for(found.span, rules)
                    if subject is None:
                        self.out.warnings.append(
                            f"{self.source.file_name}: no subject for '{found.body} {found.role}' in {self.source.quote(found.span)[:80]!r}; "
                            "add subjects.default or subjects.within to the curation file"
                        )
                        continue
                    self._responsibility(found.body, found.role, subject, found.span, found.cue, origin="pattern")
        for b, r, s, w in rejected:
            if w not in used_rejections:
                raise self._err(w, f"rejects '{b} {r}', but no pattern finds it in that quote; remove the entry")
        for where, entry in self.cur.section("responsibilities"):
            span = self.cur.span(entry, where)
            role = self.cur.require(entry, "role", where)
            subject = self._ref(self.cur.require(entry, "subject", where), where)
            self._responsibility(self.cur.require(entry, "body", where), role, subject, span, None, origin="curation", where=where)

    def _responsibility(self, body_slug: str, role: str, subject: URIRef, span: Span, cue: Span | None, *, origin: str, where: str = "responsibilities") -> None:
        if role not in ROLES:
            raise self._err(where, f"role {role!r} is not one of {ROLES}")
        body = self._body(body_slug, where, span)
        subject_path = str(subject).rsplit("/id/", 1)[1]
        if subject_path.startswith("body/") and self.gaz.bodies.get(body_slug_of(subject)) and self.gaz.bodies[body_slug_of(subject)].collective:
            self.collective_spans[body_slug_of(subject)].add(span)
            subject_path = f"body/{body_slug_of(subject)}"  # the id keeps the slug: the document is in it already
        node = iri(f"responsibility/{self.source.doc_id}/{body_slug}/{role}/{slugify(subject_path)}")
        self.facts.add(node, RDF.type, PK.Responsibility, span)
        self.facts.add(node, PK.derivedFrom, self.doc, span)
        self.facts.add(node, PK.body, body, span)
        self.facts.add(node, PK.role, ROLE[role], *( [cue] if cue else [span]))
        self.facts.add(node, PK.subject, subject, span)
        self.facts.add(subject, PK.responsibility, node, span)
        self.facts.add(node, PK.responsibilityText, Literal(clean_label(self.source.quote(span))), span)
        self.facts.add(node, PK.extractedBy, Literal(origin), span)
        assigned_by = self.cur.mapping("subjects").get("assigned_by")
        policies = [self._ref(assigned_by, "subjects.assigned_by", {"policy"})] if assigned_by else self.facts.subjects_of_type(PK.Policy)
        if len(policies) == 1:
            self.facts.add(node, PK.assignedBy, policies[0], span)

    def _label_responsibilities(self) -> None:
        """Label each responsibility "body — role — subject" from the labels known here or in the gazetteer."""
        for s, p, o in list(self.facts.triples):
            if p == RDF.type and o == PK.Responsibility:
                body = self.facts.objects(s, PK.body)[0]
                role = str(self.facts.objects(s, PK.role)[0]).rsplit("/", 1)[1]
                subject = self.facts.objects(s, PK.subject)[0]
                body_label = self.gaz.bodies[body_slug_of(body)].name_en
                subject_label = self.labels.get(subject) or self._reference_label(subject)
                self.facts.triples.add((s, RDFS.label, Literal(f"{body_label} — {role} — {subject_label}", lang="en")))

    def _reference_label(self, node: URIRef) -> str:
        path = str(node).rsplit("/id/", 1)[1]
        kind, _, slug = path.partition("/")
        if kind == "body" and body_slug_of(node) in self.gaz.bodies:
            return self.gaz.bodies[body_slug_of(node)].name_en
        if kind == "zone" and slug in self.gaz.zones:
            return self.gaz.zones[slug].name_en
        return path


def task_label(heading: str) -> str:
    """A task heading as a label: cleaned, without a leading "to ", capitalised."""
    label = clean_label(heading)
    if label.lower().startswith("to "):
        label = label[3:]
    return label[:1].upper() + label[1:]


_ENUM_SPLIT = re.compile(r",\s*(?:and\s+)?|;\s*")
_ENUM_LEAD = re.compile(r"(?:including|such as|namely)\s+", re.I)


def enumeration(text: str, span: Span) -> list[Span]:
    """Split "A, B, C, and D" (or "including A, B and C") into the spans of A, B, C, D.

    Commas separate items; in the last comma-separated piece a single " and "
    separates the last two items when there was no serial comma.
    """
    body_start = span.start
    lead = _ENUM_LEAD.match(text, span.start, span.end)
    if lead:
        body_start = lead.end()
    pieces: list[Span] = []
    cursor = body_start
    for m in _ENUM_SPLIT.finditer(text, body_start, span.end):
        pieces.append(Span(cursor, m.start()))
        cursor = m.end()
    last = Span(cursor, span.end)
    serial_comma = bool(re.match(r",\s*and\s", text[pieces[-1].end : last.start + 4])) if pieces else False
    if not serial_comma:
        and_at = text.rfind(" and ", last.start, last.end)
        if and_at > last.start:
            pieces.append(Span(last.start, and_at))
            last = Span(and_at + len(" and "), last.end)
    pieces.append(last)
    out = []
    for piece in pieces:
        raw = text[piece.start : piece.end]
        left = len(raw) - len(raw.lstrip(" ,.;"))
        right = len(raw.rstrip(" ,.;"))
        out.append(Span(piece.start + left, piece.start + right))
    return out


def extract(source: SourceText, gazetteer: Gazetteer, curation: Curation | None = None) -> Extraction:
    """Extract the facts of one text; raises CurationError on a bad curation entry."""
    return Extractor(source, gazetteer, curation).run()
