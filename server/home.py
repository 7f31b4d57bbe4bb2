"""What the home page shows, read from the graph: counts, the programmes with their
periods, batches and zone counts, and where each pilot zone goes on the map.

All of it comes from a handful of fixed queries over the whole dataset (no query
per programme or per zone), and is kept until the store changes
(:attr:`Service.generation`). Nothing here knows the seeds: any data that fits
the ontology gives a home page, an empty store an empty one.

Periods. A programme's start and end are its ``pk:startDate`` and ``pk:endDate``
when the text states them. When no start is stated, the page shows the earliest
dated event of the programme instead, as the date by which it was running (an
upper bound on its start): a policy that establishes it issued (``pk:issuedOn``),
a policy with a task about it (``pk:concernsProgramme``) issued, one of its batches
or zones approved (``pk:approvedOn``), a policy designating one of its zones issued,
a source text reporting it published (``pk:publishedOn``). The example query
``programmes-in-year`` (``queries/programmes-in-year.rq``) applies the same rule.
An end that is not stated stays open. Dates keep the precision the text gives
(year, month or day); a day and month without a year (``xsd:gMonthDay``) cannot
be placed in time and is left out.

Map. A zone is placed at the centroid of the divisions it covers
(``pk:coversDivision``, and ``pk:coversPartOf``, its sub-property for a division
the zone covers only in part): the arithmetic mean of their ``wgs:lat`` and
``wgs:long``. A division covered only in part contributes its whole point, the
best the data offers. A zone none of whose divisions has coordinates is listed
as not placed, with the reason.
"""

from __future__ import annotations

import calendar
import re
import threading
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l

from .home_charts import AlbersConic, Landmark, MapZone, TimelineMarker, TimelineRow, timeline_svg, zone_map_svg

from .i18n import show_date
from .site import INFERRED_GRAPH, ONTOLOGY_NS, XSD, Term, labels_for, local_path, select, service

PK = ONTOLOGY_NS
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"

# The counts on the page: key, class, what one is called (singular, plural).
COUNTED_CLASSES: tuple[tuple[str, str, str, str], ...] = (
    ("programmes", PK + "PilotProgramme", "pilot programme", "pilot programmes"),
    ("zones", PK + "PilotZone", "pilot zone", "pilot zones"),
    ("tasks", PK + "ReformTask", "reform task", "reform tasks"),
    ("bodies", PK + "ResponsibleBody", "responsible body", "responsible bodies"),
    ("responsibilities", PK + "Responsibility", "responsibility", "responsibilities"),
    ("sources", PK + "SourceDocument", "source text", "source texts"),
    ("policies", PK + "Policy", "policy", "policies"),
    ("divisions", PK + "AdministrativeDivision", "administrative division", "administrative divisions"),
    ("evidence", PK + "Evidence", "evidence span", "evidence spans"),
)

# Where each count leads (a page to browse them; else the card's listing query in the editor).
COUNT_PAGES = {
    "programmes": "#programmes",
    "zones": "/browse/zones",
    "tasks": "/browse/tasks",
    "bodies": "/browse/bodies",
    "sources": "/sources",
}

# A query that lists the instances a card counts, opened in the editor from the card.
LISTING_QUERIES = {
    "responsibilities": """# Who is responsible for what: body, role, subject, and the policy that says so.
SELECT ?body ?role ?subject ?policy WHERE {
  ?r a pk:Responsibility ; pk:body ?body ; pk:role ?role ; pk:subject ?subject .
  OPTIONAL { ?r pk:assignedBy ?policy }
} ORDER BY ?body ?role""",
    "policies": """# The policies, with the date they were issued where the text gives it.
SELECT DISTINCT ?policy ?label ?issued WHERE {
  ?policy a pk:Policy ; rdfs:label ?label .
  OPTIONAL { ?policy pk:issuedOn ?issued }
  FILTER(LANG(?label) = "en" || LANG(?label) = "")
} ORDER BY ?issued ?label""",
    "divisions": """# The administrative divisions: code, name, level and coordinates.
SELECT DISTINCT ?division ?code ?name ?type ?lat ?long WHERE {
  ?division a pk:AdministrativeDivision ; pk:adcode ?code ; rdfs:label ?name .
  OPTIONAL { ?division pk:divisionType ?type }
  OPTIONAL { ?division wgs:lat ?lat ; wgs:long ?long }
  FILTER(LANG(?name) = "zh")
} ORDER BY ?code""",
    "evidence": """# Every evidence span: the source text, the character offsets and the exact quote.
SELECT ?evidence ?source ?start ?end ?quote WHERE {
  ?evidence a pk:Evidence ; oa:hasSource ?source ;
            oa:hasSelector [ a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end ] ,
                           [ a oa:TextQuoteSelector ; oa:exact ?quote ] .
} ORDER BY ?source ?start LIMIT 1000""",
}


def count_query(class_iri: str) -> str:
    """The SPARQL that counts the instances of a class, as a card shows it."""
    return f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{class_iri}> }}"


def listing_query(key: str, class_iri: str) -> str:
    """A query listing what a card counts: a tailored one, or the instances with their labels."""
    if key in LISTING_QUERIES:
        return LISTING_QUERIES[key]
    return (f"SELECT DISTINCT ?x ?label WHERE {{\n  ?x a <{class_iri}> .\n"
            f"  OPTIONAL {{ ?x rdfs:label ?label FILTER(LANG(?label) = \"en\" || LANG(?label) = \"\") }}\n}} ORDER BY ?label")


# --------------------------------------------------------------------------- dates

_DATE = re.compile(r"^(-?\d{4,})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[0-9:.]+)?(?:Z|[+-]\d{2}:\d{2})?$")
DATE_TYPES = {XSD + "date", XSD + "dateTime", XSD + "gYear", XSD + "gYearMonth", XSD + "string", None}


@dataclass(frozen=True)
class PartialDate:
    """A date at the precision the text gives: a year, a month of a year, or a day.
    Dates order by the start of the period they name, then by its end (2014-11 < 2014-11-02)."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: Term | str | None) -> "PartialDate | None":
        """The date of an xsd:date, xsd:dateTime, xsd:gYearMonth or xsd:gYear literal (or a plain
        string in one of their forms); None for anything else, such as an xsd:gMonthDay."""
        if value is None:
            return None
        if isinstance(value, Term):
            if value.kind != "literal" or value.datatype not in DATE_TYPES:
                return None
            value = value.value
        m = _DATE.match(value.strip())
        if not m:
            return None
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
        try:
            if day is not None:
                date(year, int(month), int(day))
                return cls(year, int(month), int(day))
            if month is not None:
                return cls(year, int(month)) if 1 <= int(month) <= 12 else None
        except ValueError:
            return None
        return cls(year)

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def first(self) -> float:
        """The start of the period the date names, as a fractional year."""
        return _fraction(self.year, self.month or 1, self.day or 1)

    @property
    def last(self) -> float:
        """The end of the period the date names (the start of the next day, month or year)."""
        if self.day is not None:
            return _fraction(self.year, self.month, self.day) + 1 / (366 if calendar.isleap(self.year) else 365)
        if self.month is not None:
            return self.year + 1.0 if self.month == 12 else _fraction(self.year, self.month + 1, 1)
        return self.year + 1.0

    @property
    def middle(self) -> float:
        return (self.first + self.last) / 2

    def __lt__(self, other: "PartialDate") -> bool:
        return (self.first, -self.last) < (other.first, -other.last)

    def __gt__(self, other: "PartialDate") -> bool:
        return other < self


def date_text(value: Term | None) -> str:
    """A date as the page writes it: ``2020-07-07``, ``2014-11``; a day without a year says so."""
    if value is None:
        return ""
    parsed = PartialDate.parse(value)
    if parsed is not None:
        return str(parsed)
    return f"{value.value} (no year)" if re.fullmatch(r"--\d{2}-\d{2}", value.value) else value.value


def _fraction(year: int, month: int, day: int) -> float:
    if not 1 <= year <= 9999:
        return float(year) + (month - 1) / 12
    days = 366 if calendar.isleap(year) else 365
    return year + (date(year, month, day).timetuple().tm_yday - 1) / days


# What happened to a programme's dated event, in the reader's language (DatedEvent.kind).
EVENT_KINDS = {
    "policy issued": _l("policy issued"),
    "policy with a task about it issued": _l("policy with a task about it issued"),
    "batch approved": _l("batch approved"),
    "zone approved": _l("zone approved"),
    "zone's policy issued": _l("zone's policy issued"),
    "source published": _l("source published"),
}


@dataclass(frozen=True)
class DatedEvent:
    """Something dated that belongs to a programme: ``kind`` says what happened to ``label``."""

    date: PartialDate
    kind: str  # "policy issued", "policy with a task about it issued", "batch approved", "zone approved",
    #            "zone's policy issued", "source published"
    label: str
    iri: str


# --------------------------------------------------------------------------- the page's data


@dataclass
class Batch:
    iri: str
    label: str
    number: int | None = None
    approved: PartialDate | None = None
    declared_zones: int | None = None
    zones: set[str] = field(default_factory=set)

    @property
    def href(self) -> str | None:
        return local_path(self.iri)


@dataclass
class Programme:
    iri: str
    label: str
    colour_index: int = 0
    start: PartialDate | None = None  # the stated start, or the earliest dated event
    start_stated: bool = False
    start_basis: DatedEvent | None = None  # the event the start comes from when it is not stated
    end: PartialDate | None = None
    declared_zones: int | None = None
    policies: list[tuple[str, str]] = field(default_factory=list)  # (iri, label) of the establishing policies
    batches: list[Batch] = field(default_factory=list)
    zones: set[str] = field(default_factory=set)
    events: list[DatedEvent] = field(default_factory=list)

    @property
    def href(self) -> str | None:
        return local_path(self.iri)

    @property
    def period_text(self) -> str:
        """``2021 – 2025``, ``by 2014-11 – (no end stated)``, ``no date in the data`` (in the reader's
        language; dates the Chinese way in Chinese)."""
        if self.start is None and self.end is None:
            return _("no date in the data")
        start = (_("start not stated") if self.start is None
                 else (show_date(str(self.start)) if self.start_stated else _("by %(date)s", date=show_date(str(self.start)))))
        end = show_date(str(self.end)) if self.end is not None else _("no end stated")
        return f"{start} – {end}"

    @property
    def period_note(self) -> str:
        """Where the period comes from, in a sentence."""
        notes = []
        if self.start_stated:
            notes.append(_("start stated in the text"))
        elif self.start_basis is not None:
            notes.append(_("start not stated; earliest dated event: %(label)s, %(kind)s %(date)s",
                           label=self.start_basis.label, kind=EVENT_KINDS.get(self.start_basis.kind, self.start_basis.kind),
                           date=show_date(str(self.start_basis.date))))
        if self.end is not None:
            notes.append(_("end stated in the text"))
        return _("; ").join(notes)


@dataclass
class ZonePlace:
    """A pilot zone and where it goes on the map (lat/lon None: not placed, with ``reason``)."""

    iri: str
    label: str
    programmes: list[str] = field(default_factory=list)  # programme IRIs, in colour order
    divisions: list[tuple[str, str, float | None, float | None, bool]] = field(default_factory=list)
    lat: float | None = None
    lon: float | None = None
    reason: str = ""

    @property
    def href(self) -> str | None:
        return local_path(self.iri)


@dataclass
class HomeData:
    counts: dict[str, int]
    programmes: list[Programme]
    zones: list[ZonePlace]
    landmarks: list[Landmark]
    sources: list[dict]
    triples: int
    graphs: int
    inferred: int
    built_at: str | None
    timeline: str
    zone_map: str
    examples: dict[str, str]

    @property
    def placed(self) -> list[ZonePlace]:
        return [z for z in self.zones if z.lat is not None]

    @property
    def not_placed(self) -> list[ZonePlace]:
        return [z for z in self.zones if z.lat is None]

    @property
    def placed_by_programme(self) -> dict[str | None, int]:
        """The number of placed zones per first programme (the marker's colour; None: in no
        programme), counted once rather than by the template per programme (programmes × zones)."""
        counts = self.__dict__.get("_placed_by_programme")
        if counts is None:
            counts = {}
            for z in self.zones:
                if z.lat is not None:
                    key = z.programmes[0] if z.programmes else None
                    counts[key] = counts.get(key, 0) + 1
            self.__dict__["_placed_by_programme"] = counts
        return counts


# --------------------------------------------------------------------------- queries

Q_PROGRAMMES = """SELECT DISTINCT ?p ?prop ?o WHERE {
  ?p a pk:PilotProgramme .
  OPTIONAL { VALUES ?prop { pk:startDate pk:endDate pk:declaredZoneCount } ?p ?prop ?o }
}"""

Q_POLICIES = """SELECT DISTINCT ?p ?policy ?issued WHERE {
  ?p a pk:PilotProgramme .
  { ?p pk:establishedBy ?policy } UNION { ?policy pk:establishes ?p }
  OPTIONAL { ?policy pk:issuedOn ?issued }
}"""

Q_BATCHES = """SELECT DISTINCT ?p ?b ?prop ?o WHERE {
  ?p a pk:PilotProgramme .
  { ?p pk:hasBatch ?b } UNION { ?b pk:batchOf ?p }
  OPTIONAL { VALUES ?prop { pk:batchNumber pk:approvedOn pk:declaredZoneCount } ?b ?prop ?o }
}"""

# Zones of a programme directly, and through its batches (b is bound then). The zone's type is
# repeated in each branch: joined with the whole UNION, oxigraph evaluates the UNION unrestricted
# first (6.9 s at 1M quads; 0.15 s so).
Q_MEMBERS = """SELECT DISTINCT ?z ?p ?b WHERE {
  {
    ?z a pk:PilotZone .
    ?p a pk:PilotProgramme .
    { ?p pk:hasZone ?z } UNION { ?z pk:inProgramme ?p }
  } UNION {
    ?z a pk:PilotZone .
    ?b a pk:PilotBatch .
    { ?b pk:hasZone ?z } UNION { ?z pk:inProgramme ?b }
    { ?p pk:hasBatch ?b } UNION { ?b pk:batchOf ?p }
  }
}"""

Q_ZONE_DATES = """SELECT DISTINCT ?z ?prop ?o ?policy WHERE {
  ?z a pk:PilotZone .
  { ?z pk:approvedOn ?o . BIND(pk:approvedOn AS ?prop) }
  UNION
  { ?z pk:designatedBy ?policy . ?policy pk:issuedOn ?o . BIND(pk:issuedOn AS ?prop) }
}"""

Q_TASK_POLICIES = """SELECT DISTINCT ?p ?policy ?issued WHERE {
  ?p a pk:PilotProgramme .
  ?task pk:concernsProgramme ?p ; pk:taskOf+ ?policy .
  ?policy a pk:Policy ; pk:issuedOn ?issued .
}"""

Q_REPORTED = """SELECT DISTINCT ?p ?source ?published WHERE {
  ?p a pk:PilotProgramme .
  ?source pk:reports ?p ; pk:publishedOn ?published .
}"""

Q_ZONES = """SELECT DISTINCT ?z ?d ?part ?lat ?long WHERE {
  ?z a pk:PilotZone .
  OPTIONAL {
    { ?z pk:coversDivision ?d } UNION { ?z pk:coversPartOf ?d }
    BIND(EXISTS { ?z pk:coversPartOf ?d } AS ?part)
    OPTIONAL { ?d wgs:lat ?lat ; wgs:long ?long }
  }
}"""

Q_LANDMARKS = """SELECT DISTINCT ?d ?lat ?long WHERE {
  ?d a pk:ProvinceLevelDivision ; wgs:lat ?lat ; wgs:long ?long .
}"""

Q_SOURCES = """SELECT DISTINCT ?s ?file ?published WHERE {
  ?s a pk:SourceDocument .
  OPTIONAL { ?s pk:fileName ?file }
  OPTIONAL { ?s pk:publishedOn ?published }
}"""

Q_EXAMPLE_ZH = """SELECT ?l WHERE {
  ?x a pk:PilotZone ; pk:inProvince ?province . ?province rdfs:label ?l . FILTER(LANG(?l) = "zh")
} ORDER BY ?l LIMIT 1"""


def _int(t: Term | None) -> int | None:
    try:
        return int(t.value) if t is not None and t.kind == "literal" else None
    except ValueError:
        return None


def coordinate(t: Term | None, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (limit 180) in degrees from a literal, None if unusable."""
    if t is None or t.kind != "literal":
        return None
    try:
        value = float(t.value)
    except ValueError:
        return None
    return value if -limit <= value <= limit and value == value else None


def centroid(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """The centroid of (lat, lon) points: the mean latitude and the mean longitude (None for no point)."""
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _programmes() -> list[Programme]:
    found: dict[str, Programme] = {}
    for row in select(Q_PROGRAMMES):
        p = found.setdefault(row["p"].value, Programme(row["p"].value, ""))
        prop, value = row["prop"], row["o"]
        if prop is None:
            continue
        if prop.value == PK + "startDate":
            d = PartialDate.parse(value)
            if d and (p.start is None or d < p.start):
                p.start, p.start_stated = d, True
        elif prop.value == PK + "endDate":
            d = PartialDate.parse(value)
            if d and (p.end is None or d > p.end):
                p.end = d
        elif prop.value == PK + "declaredZoneCount":
            n = _int(value)
            if n is not None:
                p.declared_zones = max(n, p.declared_zones or 0)
    return list(found.values())


def _batches(programmes: dict[str, Programme]) -> dict[str, Batch]:
    """The batches of the programmes, each added to its programme's ``batches``."""
    batches: dict[str, Batch] = {}
    for row in select(Q_BATCHES):
        p = programmes.get(row["p"].value)
        if p is None:
            continue
        b = batches.get(row["b"].value)
        if b is None:
            b = batches[row["b"].value] = Batch(row["b"].value, "")
        if not any(other is b for other in p.batches):
            p.batches.append(b)
        prop, value = row["prop"], row["o"]
        if prop is None:
            continue
        if prop.value == PK + "batchNumber":
            b.number = _int(value)
        elif prop.value == PK + "approvedOn":
            d = PartialDate.parse(value)
            if d and (b.approved is None or d < b.approved):
                b.approved = d
        elif prop.value == PK + "declaredZoneCount":
            n = _int(value)
            if n is not None:
                b.declared_zones = max(n, b.declared_zones or 0)
    return batches


def load_home_data(lang: str = "en") -> HomeData:
    """Read everything the home page shows from the store (about a dozen queries)."""
    svc = service()
    summary = svc.summary()
    counts = {key: summary.classes.get(iri, 0) for key, iri, _one, _many in COUNTED_CLASSES}

    programme_list = _programmes()
    programmes = {p.iri: p for p in programme_list}
    batches = _batches(programmes)

    for row in select(Q_POLICIES):
        p = programmes.get(row["p"].value)
        if p is None:
            continue
        policy = row["policy"].value
        if policy not in [iri for iri, _ in p.policies]:
            p.policies.append((policy, ""))
        d = PartialDate.parse(row["issued"])
        if d:
            p.events.append(DatedEvent(d, "policy issued", "", policy))

    zone_programmes: dict[str, set[str]] = {}
    for row in select(Q_MEMBERS):
        zone, p = row["z"].value, programmes.get(row["p"].value)
        if p is None:
            continue
        p.zones.add(zone)
        zone_programmes.setdefault(zone, set()).add(p.iri)
        if row["b"] is not None and row["b"].value in batches:
            batches[row["b"].value].zones.add(zone)

    for p in programme_list:
        for b in p.batches:
            if b.approved:
                p.events.append(DatedEvent(b.approved, "batch approved", "", b.iri))

    for row in select(Q_ZONE_DATES):
        d = PartialDate.parse(row["o"])
        if not d:
            continue
        zone = row["z"].value
        kind, subject = (("zone approved", zone) if row["prop"].value == PK + "approvedOn"
                         else ("zone's policy issued", row["policy"].value))
        for p_iri in zone_programmes.get(zone, ()):
            programmes[p_iri].events.append(DatedEvent(d, kind, "", subject))

    for row in select(Q_TASK_POLICIES):
        d = PartialDate.parse(row["issued"])
        if d and row["p"].value in programmes:
            programmes[row["p"].value].events.append(DatedEvent(d, "policy with a task about it issued", "",
                                                                row["policy"].value))

    for row in select(Q_REPORTED):
        d = PartialDate.parse(row["published"])
        if d and row["p"].value in programmes:
            programmes[row["p"].value].events.append(DatedEvent(d, "source published", "", row["source"].value))

    # zones and their divisions; a division with several coordinate pairs keeps the smallest (deterministic)
    zones: dict[str, ZonePlace] = {}
    covered: dict[str, dict[str, tuple[set[tuple[float, float]], bool]]] = {}
    for row in select(Q_ZONES):
        zone = row["z"].value
        zones.setdefault(zone, ZonePlace(zone, ""))
        if row["d"] is None:
            continue
        pairs, part = covered.setdefault(zone, {}).get(row["d"].value, (set(), False))
        lat, lon = coordinate(row["lat"], 90), coordinate(row["long"], 180)
        if lat is not None and lon is not None:
            pairs.add((lat, lon))
        part = part or (row["part"] is not None and row["part"].value == "true")
        covered[zone][row["d"].value] = (pairs, part)
    for zone, divisions in covered.items():
        zones[zone].divisions = [(d, "", *(min(pairs) if pairs else (None, None)), part)
                                 for d, (pairs, part) in divisions.items()]

    landmark_rows = []
    for row in select(Q_LANDMARKS):
        lat, lon = coordinate(row["lat"], 90), coordinate(row["long"], 180)
        if lat is not None and lon is not None:
            landmark_rows.append((row["d"].value, lat, lon))
    landmark_rows = sorted({r[0]: r for r in sorted(landmark_rows)}.values())

    source_rows = select(Q_SOURCES)

    # labels: one query for English (or any), one for Chinese
    iris = set(programmes) | set(batches) | set(zones) | {r[0] for r in landmark_rows}
    iris |= {policy for p in programme_list for policy, _ in p.policies}
    iris |= {e.iri for p in programme_list for e in p.events}
    iris |= {d[0] for z in zones.values() for d in z.divisions}
    iris |= {r["s"].value for r in source_rows}
    labels = labels_for(iris, lang=lang)
    chinese = labels_for({r[0] for r in landmark_rows}, lang="zh")

    def label(iri: str) -> str:
        return labels.get(iri) or iri.rsplit("/", 1)[-1]

    for p in programme_list:
        p.label = label(p.iri)
        p.policies = sorted(((iri, label(iri)) for iri, _ in p.policies), key=lambda x: x[1])
        p.batches.sort(key=lambda b: (b.number is None, b.number or 0, b.iri))
        for b in p.batches:
            b.label = label(b.iri)
        p.events = sorted({DatedEvent(e.date, e.kind, label(e.iri), e.iri) for e in p.events},
                          key=lambda e: (e.date.first, e.kind, e.label))
        if p.start is None and p.events:
            p.start_basis = min(p.events, key=lambda e: (e.date.first, e.date.last))
            p.start = p.start_basis.date
    programme_list.sort(key=lambda p: (p.start is None and p.end is None, (p.start or p.end or PartialDate(9999)).first,
                                       p.label, p.iri))
    for i, p in enumerate(programme_list):
        p.colour_index = i
    order = {p.iri: i for i, p in enumerate(programme_list)}

    for z in zones.values():
        z.label = label(z.iri)
        z.programmes = sorted(zone_programmes.get(z.iri, ()), key=order.__getitem__)
        z.divisions = sorted(((d, label(d), lat, lon, part) for d, _, lat, lon, part in z.divisions), key=lambda d: d[1])
        point = centroid([(lat, lon) for _, _, lat, lon, _ in z.divisions if lat is not None])
        if point is not None:
            z.lat, z.lon = point
        elif not z.divisions:
            z.reason = _("covers no administrative division in the data")
        else:
            z.reason = _("none of its divisions has coordinates")
    zone_list = sorted(zones.values(), key=lambda z: (z.label, z.iri))

    landmarks = [Landmark(label(iri), local_path(iri),
                          f"{label(iri)}{' ' + chinese[iri] if iri in chinese and chinese[iri] != label(iri) else ''}: "
                          f"the province-level division's point in the data ({lat:.2f}°N, {lon:.2f}°E)", lon, lat)
                 for iri, lat, lon in landmark_rows]

    sources: dict[str, dict] = {}
    for row in source_rows:
        iri = row["s"].value
        if iri in sources:
            continue
        published = row["published"]
        sources[iri] = {"iri": iri, "label": label(iri), "text_href": f"/source/{iri.rsplit('/', 1)[-1]}",
                        "href": local_path(iri), "file": row["file"].value if row["file"] else None,
                        "published": date_text(published), "published_value": published.value if published else ""}

    inferred = select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")
    zh_rows = select(Q_EXAMPLE_ZH)
    examples = {"zone": zone_list[0].label if zone_list else "",
                "chinese": zh_rows[0]["l"].value if zh_rows else ""}

    data = HomeData(
        counts=counts, programmes=programme_list, zones=zone_list, landmarks=landmarks,
        sources=[sources[iri] for iri in sorted(sources)],
        triples=summary.triples, graphs=len(summary.graphs), inferred=_int(inferred[0]["n"]) or 0 if inferred else 0,
        built_at=summary.built_at, timeline="", zone_map="", examples=examples,
    )
    data.timeline = timeline_svg(timeline_rows(programme_list))
    data.zone_map = zone_map_svg(map_zones(data, order), landmarks, MAP_PROJECTION)
    return data


MAP_PROJECTION = AlbersConic()


def timeline_rows(programmes: list[Programme]) -> list[TimelineRow]:
    """The timeline's rows: one per programme, with its batches' approvals and its
    establishing policies' issue dates as markers."""
    rows = []
    for p in programmes:
        markers = []
        for b in p.batches:
            if b.approved:
                markers.append(TimelineMarker(b.approved.middle, "batch", _("%(label)s: approved %(date)s", label=b.label, date=show_date(str(b.approved))), b.href))
        for e in p.events:
            if e.kind == "policy issued":
                markers.append(TimelineMarker(e.date.middle, "policy", _("%(label)s: issued %(date)s", label=e.label, date=show_date(str(e.date))), local_path(e.iri)))
        zones = ngettext("%(num)d zone named", "%(num)d zones named", len(p.zones))
        if p.declared_zones is not None:
            zones += _(" (%(n)s declared)", n=p.declared_zones)
        title = f"{p.label}\n{p.period_text}" + (f" ({p.period_note})" if p.period_note else "") + f"\n{zones}"
        if p.batches:
            title += ngettext(", %(num)d batch", ", %(num)d batches", len(p.batches))
        rows.append(TimelineRow(
            label=p.label, href=p.href, title=title, colour_index=p.colour_index,
            start=p.start.first if p.start else None, end=p.end.last if p.end else None,
            start_stated=p.start_stated, markers=tuple(markers), period=p.period_text))
    return rows


def map_zones(data: HomeData, order: dict[str, int]) -> list[MapZone]:
    """The placed zones as map markers, coloured by their first programme in the colour order."""
    names = {p.iri: p.label for p in data.programmes}
    out = []
    for z in data.placed:
        with_point = [d for d in z.divisions if d[2] is not None]
        parts = _(", ").join(f"{name}{_(' (part)') if part else ''}" for _d, name, _lat, _lon, part in with_point)
        title = f"{z.label}\n" + (_("; ").join(names[p] for p in z.programmes) or _("in no programme")) + \
                "\n" + _("placed at the centroid of: %(parts)s", parts=parts)
        if len(with_point) < len(z.divisions):
            title += _(" (%(n)s division(s) without coordinates left out)", n=len(z.divisions) - len(with_point))
        out.append(MapZone(z.label, z.href, title, z.lon, z.lat, order[z.programmes[0]] if z.programmes else None, z.iri))
    return out


_cache_lock = threading.Lock()


def home_data(lang: str = "en") -> HomeData:
    """The home page's data with names in ``lang`` (its charts drawn in ``lang``), computed once per
    state of the store (``Service.generation``) and language."""
    svc = service()
    cache = current_app.extensions.setdefault("pilotkg.home", {})
    key = (id(svc), svc.generation)
    hit = cache.get(lang)
    if hit is not None and hit[0] == key:
        return hit[1]
    with _cache_lock:
        hit = cache.get(lang)
        if hit is not None and hit[0] == key:
            return hit[1]
        with force_locale(lang):
            data = load_home_data(lang)
        cache[lang] = (key, data)
        return data

