"""The data behind ``/browse``: zones, tasks and bodies with facets, read from the graph.

Each browser (:data:`BROWSERS`) lists the resources of one class. A facet is a SELECT giving
pairs (item, value); its values are whatever the graph holds, never a fixed list, and the items
without any value form one more value, ``none`` ("not stated"), so that gaps in the data show.

Selection semantics (the usual ones of faceted search): values of different facets combine with
AND, several values of one facet with OR. The count beside a value of facet F is the number of
items that would be listed if that value were selected too: items matching the selections of
every *other* facet and having the value. Selected values of F do not narrow F's own counts.

A browser's data (its items, their facet values and column cells) is read with a few batched
SELECTs on first use and kept until ``Service.generation`` changes (a write).
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from .negotiation import bom_wanted
from .search import has_han
from .site import Select, labels_for, store_select
from .site import ONTOLOGY_NS, Term, local_path

PK = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
NONE = "none"  # the value of the items that have no value for a facet
PAGE_SIZE = 200
EXCERPT_LENGTH = 160

PREFIXES = f"""PREFIX pk: <{PK}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# Date datatypes whose lexical form begins with the year (xsd:gMonthDay, "--07-03", has none).
DATED = {XSD + "date", XSD + "dateTime", XSD + "gYear", XSD + "gYearMonth", XSD + "dateTimeStamp"}
_YEAR = re.compile(r"^(-?\d{4,})")


def year_of(value: Term) -> str | None:
    """The year a date literal states (``2014-11`` → ``2014``); None for a date without a year."""
    if value is None or value.kind != "literal" or value.datatype not in DATED:
        return None
    match = _YEAR.match(value.value)
    return match.group(1) if match else None


def iri_value(value: Term) -> str | None:
    return value.value if value is not None and value.is_iri else None


def N_(message: str) -> str:
    """Marks a message for the catalogue (``pybabel extract -k N_``): the browsers keep English,
    which their JSON gives; the pages translate it where they show it (:mod:`..views.browse`)."""
    return message


@dataclass(frozen=True)
class Facet:
    """One facet: ``query`` selects ``?item ?value`` pairs; ``convert`` turns a value into its key."""

    name: str  # the URL parameter
    title: str
    query: str
    describe: str  # what a value is, for the message about a wrong one
    convert: Callable[[Term], str | None] = iri_value
    order: str = "count"  # "count": most items first; "newest": years, latest first
    none_label: str = N_("not stated")


@dataclass(frozen=True)
class Column:
    """A column of the results table. ``source`` is a facet name, or a SELECT of ``?item ?value``."""

    key: str
    title: str
    source: str
    kind: str = "links"  # links (IRIs as links, literals as text), number, excerpt
    missing: str | None = None  # shown where an item has no value (e.g. "0" for a count)


@dataclass(frozen=True)
class Browser:
    name: str
    title: str
    noun: str  # what the items are, plural ("zones")
    item_title: str  # the heading of the items' column ("Zone")
    intro: str
    item_class: str
    facets: tuple[Facet, ...]
    columns: tuple[Column, ...]

    def facet(self, name: str) -> Facet | None:
        return next((f for f in self.facets if f.name == name), None)

    @property
    def items_query(self) -> str:
        return PREFIXES + f"SELECT DISTINCT ?item WHERE {{ ?item a <{self.item_class}> . FILTER(isIRI(?item)) }}"


def _pairs(where: str) -> str:
    # A UNION repeats the item's type in each branch rather than joining it with the whole UNION:
    # oxigraph evaluates ``?item a C . { A } UNION { B }`` as the UNION unrestricted, then the join
    # (4.6 s at 1M quads for the zones' year facet; 60 ms with the type in each branch).
    return PREFIXES + f"SELECT DISTINCT ?item ?value WHERE {{ {where} }}"


ZONES = Browser(
    name="zones",
    title=N_("Pilot zones"),
    noun="zones",
    item_title=N_("Zone"),
    intro=N_("Every pilot zone, by the province it lies in, the programme that designated it and the year "
             "it was designated."),
    item_class=PK + "PilotZone",
    facets=(
        Facet("province", N_("Province"),
              _pairs("?item a pk:PilotZone ; pk:inProvince ?value ."),
              "the IRI of a province-level division that a zone lies in (pk:inProvince)"),
        Facet("programme", N_("Programme"),
              _pairs("{ ?item a pk:PilotZone ; pk:inProgramme ?value . ?value a pk:PilotProgramme } "
                     "UNION { ?item a pk:PilotZone ; pk:inProgramme ?batch . ?batch pk:batchOf|^pk:hasBatch ?value }"),
              "the IRI of a pilot programme that designated a zone (pk:inProgramme, directly or through a batch)"),
        Facet("year", N_("Year designated"),
              _pairs("{ ?item a pk:PilotZone ; pk:approvedOn ?value } "
                     "UNION { ?item a pk:PilotZone ; pk:inProgramme ?batch . ?batch a pk:PilotBatch ; pk:approvedOn ?value } "
                     "UNION { ?item a pk:PilotZone ; pk:designatedBy ?policy . ?policy pk:issuedOn ?value }"),
              "a year in which a zone was designated (four digits)",
              convert=year_of, order="newest"),
    ),
    columns=(
        Column("province", N_("Province"), "province"),
        Column("programme", N_("Programme"), "programme"),
        Column("batch", N_("Batch"), _pairs("?item a pk:PilotZone ; pk:inProgramme ?value . ?value a pk:PilotBatch .")),
        Column("year", N_("Designated"), "year"),
    ),
)

TASKS = Browser(
    name="tasks",
    title=N_("Reform tasks"),
    noun="tasks",
    item_title=N_("Task"),
    intro=N_("Every reform task at any depth of the texts, by its theme and by the policy or programme whose "
             "task tree it belongs to."),
    item_class=PK + "ReformTask",
    facets=(
        Facet("theme", N_("Theme"),
              _pairs("?item a pk:ReformTask ; pk:theme ?value ."),
              "the IRI of a reform theme given to a task (pk:theme)"),
        Facet("policy", N_("Policy or programme"),
              _pairs("?item a pk:ReformTask ; pk:taskOf+ ?value . "
                     "{ ?value a pk:Policy } UNION { ?value a pk:PilotProgramme }"),
              "the IRI of the policy or programme at the top of a task tree (pk:taskOf)"),
    ),
    columns=(
        Column("policy", N_("Policy or programme"), "policy"),
        Column("theme", N_("Theme"), "theme"),
        Column("item", N_("Item"), _pairs("?item a pk:ReformTask ; pk:itemNumber ?value ."), kind="number"),
        Column("text", N_("Text"), _pairs("?item a pk:ReformTask ; pk:taskText ?value ."), kind="excerpt"),
    ),
)

BODIES = Browser(
    name="bodies",
    title=N_("Responsible bodies"),
    noun="bodies",
    item_title=N_("Body"),
    intro=N_("Every body that issues a policy or is given a responsibility, by the roles it holds in the "
             "responsibilities the texts assign (and by its tier of government, where the data states one)."),
    item_class=PK + "ResponsibleBody",
    facets=(
        Facet("role", N_("Role"),
              _pairs("?item a pk:ResponsibleBody . ?responsibility pk:body ?item ; pk:role ?value ."),
              "the IRI of a role a body holds in a responsibility (pk:role)", none_label=N_("no responsibility")),
        Facet("level", N_("Level"),
              _pairs("?item a pk:ResponsibleBody ; pk:bodyLevel ?value ."),
              "the IRI of a tier of government (pk:bodyLevel)"),
    ),
    columns=(
        Column("chinese", N_("Chinese name"),
               PREFIXES + "SELECT DISTINCT ?item ?value WHERE { ?item a pk:ResponsibleBody ; "
                          "rdfs:label|skos:prefLabel ?value . FILTER(LANGMATCHES(LANG(?value), 'zh')) }"),
        Column("role", N_("Roles"), "role"),
        Column("responsibilities", N_("Responsibilities"),
               PREFIXES + "SELECT ?item (COUNT(DISTINCT ?responsibility) AS ?value) WHERE { "
                          "?item a pk:ResponsibleBody . ?responsibility pk:body ?item } GROUP BY ?item",
               kind="number", missing="0"),
    ),
)

BROWSERS: dict[str, Browser] = {b.name: b for b in (ZONES, TASKS, BODIES)}


# --- the data of one browser -------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    iri: str | None = None
    number: float | None = None
    lang: str | None = None


@dataclass
class Catalogue:
    """A browser's items, each item's facet values and its cells, as read from the graph."""

    browser: Browser
    generation: int
    items: list[str]
    labels: dict[str, str]
    memberships: dict[str, dict[str, frozenset[str]]]  # facet → item → value keys (NONE if none)
    cells: dict[str, dict[str, list[Cell]]]  # column → item → cells
    _values: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def values(self, facet: Facet) -> frozenset[str]:
        """Every value of ``facet`` that some item has (NONE included when an item has none)."""
        if facet.name not in self._values:
            self._values[facet.name] = frozenset().union(*self.memberships[facet.name].values())
        return self._values[facet.name]

    def label(self, facet: Facet, key: str) -> str:
        if key == NONE:
            return facet.none_label
        return self.labels.get(key, key)

    def has_values(self, facet: Facet) -> bool:
        """Whether any item has a value for the facet (a facet of gaps only is not shown)."""
        return any(v != NONE for v in self.values(facet))


def load_catalogue(browser: Browser, select: Select, generation: int = 0) -> Catalogue:
    """Read a browser's items, facet values and columns (one SELECT each, and one for labels)."""
    items = sorted({row["item"].value for row in select(browser.items_query) if row["item"]})
    known = set(items)
    memberships: dict[str, dict[str, frozenset[str]]] = {}
    to_label: set[str] = set(items)
    for facet in browser.facets:
        found: dict[str, set[str]] = {}
        for row in select(facet.query):
            item, key = row["item"].value, facet.convert(row["value"])
            if item in known and key is not None:
                found.setdefault(item, set()).add(key)
                if row["value"].is_iri:
                    to_label.add(key)
        memberships[facet.name] = {item: frozenset(found.get(item) or {NONE}) for item in items}
    raw_cells: dict[str, dict[str, list[Term]]] = {}
    for column in browser.columns:
        if browser.facet(column.source):
            continue
        per_item: dict[str, list[Term]] = {}
        for row in select(column.source):
            if row["item"] and row["item"].value in known and row["value"] is not None:
                per_item.setdefault(row["item"].value, []).append(row["value"])
                if row["value"].is_iri:
                    to_label.add(row["value"].value)
        raw_cells[column.key] = per_item
    labels = labels_for(to_label, select=select)
    cells: dict[str, dict[str, list[Cell]]] = {}
    for column in browser.columns:
        facet = browser.facet(column.source)
        per_item: dict[str, list[Cell]] = {}
        for item in items:
            if facet:
                keys = [k for k in memberships[facet.name][item] if k != NONE]
                row_cells = [_cell_of_key(k, labels) for k in keys]
            else:
                row_cells = [_cell(t, column, labels) for t in raw_cells[column.key].get(item, [])]
            row_cells.sort(key=lambda c: (c.number if c.number is not None else math.inf, c.text.casefold()))
            if not row_cells and column.missing is not None:
                row_cells = [Cell(column.missing, number=float(column.missing) if column.kind == "number" else None)]
            per_item[item] = row_cells
        cells[column.key] = per_item
    items.sort(key=lambda i: (labels.get(i, i).casefold(), i))
    return Catalogue(browser, generation, items, labels, memberships, cells)


def _cell_of_key(key: str, labels: Mapping[str, str]) -> Cell:
    if ":" in key:  # an IRI
        return Cell(labels.get(key, key), local_path(key), key)
    return Cell(key, number=float(key) if key.lstrip("-").isdigit() else None)


def _cell(value: Term, column: Column, labels: Mapping[str, str]) -> Cell:
    if value.is_iri:
        return Cell(labels.get(value.value, value.value), value.href, value.value)
    text = " ".join(value.value.split())
    lang = value.lang or ("zh" if has_han(text) else None)
    if column.kind == "number":
        try:
            return Cell(text, number=float(text))
        except ValueError:
            return Cell(text)
    if column.kind == "excerpt" and len(text) > EXCERPT_LENGTH:
        cut = text.rfind(" ", 0, EXCERPT_LENGTH)
        return Cell(text[: cut if cut > EXCERPT_LENGTH // 2 else EXCERPT_LENGTH] + " …", lang=lang)
    return Cell(text, lang=lang)


# --- selections, counts, results ---------------------------------------------------------------


class BadParameter(ValueError):
    """A parameter of a browse page that is unknown or has a value it cannot take."""


@dataclass
class Request:
    """What a browse page was asked for: selected values per facet, the sort and the page."""

    selection: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "label"
    descending: bool = False
    page: int = 1
    format: str | None = None
    bom: bool = False  # format=csv&bom=1: the CSV with a UTF-8 byte order mark (for Excel)


GENERAL_PARAMETERS = ("sort", "page", "format", "bom")


def parse_request(catalogue: Catalogue, args: Iterable[tuple[str, str]]) -> Request:
    """A :class:`Request` from the query string's (name, value) pairs; raises :class:`BadParameter`
    naming the parameter, the value and what would be accepted."""
    browser = catalogue.browser
    request = Request()
    seen_general: set[str] = set()
    for name, value in args:
        facet = browser.facet(name)
        if facet is None and name not in GENERAL_PARAMETERS:
            continue  # not ours (?utm_source=wechat, ?lang=zh on a shared link): ignored
        if facet is None:
            if name in seen_general:
                raise BadParameter(f"the parameter {name!r} is given more than once")
            seen_general.add(name)
            _set_general(request, catalogue, name, value)
            continue
        if value not in catalogue.values(facet):
            shown = value if len(value) <= 120 else value[:120] + "…"
            example = _example(catalogue, facet)
            raise BadParameter(
                f"{shown!r} is not a value of the facet {name!r}: expected {facet.describe}"
                + (f", for example {example}" if example else "")
                + (f", or {NONE!r} for {browser.noun} without one" if NONE in catalogue.values(facet) else "")
                + ". The values are the ones listed on the page.")
        chosen = request.selection.setdefault(name, [])
        if value not in chosen:
            chosen.append(value)
    return request


def _example(catalogue: Catalogue, facet: Facet) -> str | None:
    values = sorted(v for v in catalogue.values(facet) if v != NONE)
    return values[0] if values else None


def _set_general(request: Request, catalogue: Catalogue, name: str, value: str) -> None:
    if name == "format":
        if value not in ("html", "json", "csv"):
            raise BadParameter(f"format={value!r} is not offered: use format=json, csv (or html)")
        request.format = value
    elif name == "bom":
        try:
            request.bom = bom_wanted(value, "csv")
        except ValueError as err:
            raise BadParameter(str(err)) from None
    elif name == "sort":
        key = value[1:] if value.startswith("-") else value
        keys = ["label"] + [c.key for c in catalogue.browser.columns]
        if key not in keys:
            raise BadParameter(f"cannot sort by {value!r}: sort by one of {', '.join(keys)} "
                               "(a leading '-' sorts in descending order)")
        request.sort, request.descending = key, value.startswith("-")
    elif name == "page":
        if not value.isdigit() or int(value) < 1:
            raise BadParameter(f"page={value!r} is not a page number (1, 2, ...)")
        request.page = int(value)


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetCounts:
    facet: Facet
    values: list[FacetValue]


@dataclass
class Listing:
    """One browse page's content: the facets with counts and the page of matching items."""

    catalogue: Catalogue
    request: Request
    facets: list[FacetCounts]
    items: list[str]  # the items on this page, sorted
    total: int
    pages: int


def _matches(catalogue: Catalogue, item: str, selection: Mapping[str, list[str]], skip: str | None = None) -> bool:
    for name, chosen in selection.items():
        if name != skip and catalogue.memberships[name][item].isdisjoint(chosen):
            return False
    return True


def listing(catalogue: Catalogue, request: Request, *, whole: bool = False) -> Listing:
    """Counts per facet value for the current selection, and the page of items it selects
    (every item it selects with ``whole``, for the CSV). Raises :class:`BadParameter` for a
    page past the last."""
    browser = catalogue.browser
    selection = request.selection
    facets = []
    for facet in browser.facets:
        if not catalogue.has_values(facet) and facet.name not in selection:
            continue
        counts: dict[str, int] = {key: 0 for key in catalogue.values(facet)}
        for item in catalogue.items:
            if _matches(catalogue, item, selection, skip=facet.name):
                for key in catalogue.memberships[facet.name][item]:
                    counts[key] += 1
        chosen = set(selection.get(facet.name, ()))
        values = [FacetValue(k, catalogue.label(facet, k), n, k in chosen) for k, n in counts.items()]
        if facet.order == "newest":
            values.sort(key=lambda v: (v.key == NONE, _negated_year(v.key), v.label))
        else:
            values.sort(key=lambda v: (v.key == NONE, -v.count, v.label.casefold(), v.key))
        facets.append(FacetCounts(facet, values))
    matching = [item for item in catalogue.items if _matches(catalogue, item, selection)]
    matching = _sorted(catalogue, matching, request)
    pages = max(1, math.ceil(len(matching) / PAGE_SIZE))
    if request.page > pages:
        raise BadParameter(f"page={request.page} is past the last page ({pages}) of this selection")
    if whole:
        return Listing(catalogue, request, facets, matching, len(matching), pages)
    start = (request.page - 1) * PAGE_SIZE
    return Listing(catalogue, request, facets, matching[start:start + PAGE_SIZE], len(matching), pages)


def _negated_year(key: str) -> int:
    return -int(key) if key.lstrip("-").isdigit() else 0


def _sorted(catalogue: Catalogue, items: list[str], request: Request) -> list[str]:
    """Items in the requested order (items without a value last, whichever the direction)."""
    if request.sort == "label":
        ordered = sorted(items, key=lambda i: (catalogue.labels.get(i, i).casefold(), i))
        return ordered[::-1] if request.descending else ordered
    cells = catalogue.cells[request.sort]
    having = [i for i in items if cells[i]]
    lacking = [i for i in items if not cells[i]]

    def key(item: str):
        first = cells[item][0]
        return (first.number if first.number is not None else math.inf, first.text.casefold(),
                catalogue.labels.get(item, item).casefold())

    having.sort(key=key, reverse=request.descending)
    return having + lacking


# --- one catalogue per service and browser, rebuilt after writes -------------------------------

_catalogues: "weakref.WeakKeyDictionary[object, dict[str, Catalogue]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def catalogue_for(service, browser: Browser) -> Catalogue:
    """The browser's data over ``service``'s store: read on first use, again after a write."""
    cached = _catalogues.get(service, {}).get(browser.name)
    if cached is not None and cached.generation == service.generation:
        return cached
    with _lock:
        per_service = _catalogues.setdefault(service, {})
        cached = per_service.get(browser.name)
        generation = service.generation
        if cached is None or cached.generation != generation:
            cached = load_catalogue(browser, store_select(service), generation)
            per_service[browser.name] = cached
    return cached
