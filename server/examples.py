"""Example queries as data: one ``.rq`` file each, with a title, a description and
typed parameters, loaded from ``queries/`` (:func:`pilotkg.graph.resources.queries_dir`).

A file is a SPARQL SELECT query that runs as it is. It opens with a front matter
in comment lines that start with ``#+``; the text after ``#+`` is YAML::

    #+ title: Zones in a province
    #+ description: >
    #+   The pilot zones that lie in a province, with the divisions they cover.
    #+ params:
    #+   province:
    #+     type: province
    #+     label: Province
    #+     default: https://w3id.org/pilotkg/id/division/510000
    #+     description: Only provinces that hold a pilot zone are offered.
    PREFIX pk: <https://w3id.org/pilotkg/ontology#>
    SELECT ?zone WHERE { ?zone pk:inProvince $province }

A parameter appears in the query as a variable written with the ``$`` sigil
(``$province``): unfilled, it is an ordinary variable, so the file runs anywhere;
filled, each ``$province`` token — never text inside a string, an IRI or a
comment — is replaced by the chosen value, serialised by this module (an IRI in
angle brackets, an integer, a string literal). A value is accepted only if it is
one of the options the graph offers for the parameter's type (IRIs, years) or
lies in the declared range (integers) — see :data:`PARAM_TYPES`.

Loading checks each file and raises :class:`ExampleQueryError` naming it: a
front matter that is not YAML or has unknown keys, an unknown parameter type, a
``$name`` that is not declared, a declared parameter the query never uses, a
parameter also written ``?name`` (the same variable in SPARQL), a query that is
not a SELECT or does not parse, before or after filling in.

This module does not import Flask: the options are read through a ``select``
callable (``query → rows of Terms``) that the caller passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import pyoxigraph as ox
import yaml

from pilotkg.graph.sparql_safety import (
    RemoteAccessRefused,
    query_form,
    refuse_remote,
    replace_variables,
    syntax_error_message,
    variable_tokens,
)

from .site import sparql_iri, sparql_string

FRONT_MATTER_MARK = "#+"
QUERY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
TOP_KEYS = {"title", "description", "topic", "params"}
PARAM_KEYS = {"type", "label", "default", "description", "min", "max", "max_length", "source"}
DEFAULT_MAX_LENGTH = 200
HARD_MAX_LENGTH = 1000
IRI_OPTION_LIMIT = 5000  # far above any list a drop-down can show; a guard, not a page size

Select = Callable[[str], list]


class ExampleQueryError(ValueError):
    """A malformed example query file; the message names the file and what is wrong."""


class ParameterError(ValueError):
    """A value given for a parameter that the parameter does not allow (or an unknown parameter)."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


# --- Parameter types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamType:
    """A kind of value a parameter takes.

    ``kind`` is ``iri`` (one of the resources the graph offers), ``year`` (a year within the
    span of the programmes' periods), ``integer`` (within the parameter's own min/max) or
    ``string`` (any text up to ``max_length``). For ``iri`` types, ``members`` is a graph
    pattern binding ``?value`` to each resource offered.
    """

    name: str
    kind: str
    plural: str
    members: str = ""
    help: str = ""


_LABELLED_OPTIONS = """
SELECT ?value (SAMPLE(?en) AS ?label) (SAMPLE(?zh) AS ?zh) (SAMPLE(?any) AS ?fallback) WHERE {{
  {members}
  FILTER(isIRI(?value))
  OPTIONAL {{ ?value rdfs:label|skos:prefLabel ?en FILTER(LANGMATCHES(LANG(?en), "en")) }}
  OPTIONAL {{ ?value rdfs:label|skos:prefLabel ?zh FILTER(LANGMATCHES(LANG(?zh), "zh")) }}
  OPTIONAL {{ ?value rdfs:label ?any }}
}} GROUP BY ?value LIMIT {limit}
"""

# The evidence spans of one source, in text order: a researcher picks a sentence by its quote.
_SENTENCE_OPTIONS = """
SELECT DISTINCT ?value ?start ?end ?quote WHERE {{
  ?value a pk:Evidence ; oa:hasSource {source} ; oa:hasSelector ?position , ?quoteSelector .
  ?position oa:start ?start ; oa:end ?end .
  ?quoteSelector oa:exact ?quote .
}} LIMIT {limit}
"""

# A programme's period, as the example query programmes-in-year.rq reads it: it starts at
# its stated pk:startDate, else at the earliest dated act about it; it ends at the latest
# stated pk:endDate (of the programme or a batch), else it is open.
PROGRAMME_PERIODS = """
SELECT ?programme (COALESCE(?stated, ?earliestAct) AS ?start) ?end WHERE {
  { SELECT ?programme (MIN(?statedYear) AS ?stated) (MIN(?actYear) AS ?earliestAct) (MAX(?endYear) AS ?end) WHERE {
      ?programme a pk:PilotProgramme .
      OPTIONAL { ?programme pk:startDate ?startDate BIND(YEAR(?startDate) AS ?statedYear) FILTER(BOUND(?statedYear)) }
      OPTIONAL { ?programme pk:endDate|pk:hasBatch/pk:endDate ?endDate BIND(YEAR(?endDate) AS ?endYear) FILTER(BOUND(?endYear)) }
      OPTIONAL {
        { ?programme (pk:establishedBy|^pk:establishes)/pk:issuedOn ?act }
        UNION { ?task pk:concernsProgramme ?programme ; pk:taskOf+ ?policy . ?policy a pk:Policy ; pk:issuedOn ?act }
        UNION { ?programme pk:hasBatch/pk:approvedOn|pk:hasZone/pk:approvedOn ?act }
        UNION { ?programme pk:hasZone|pk:hasBatch/pk:hasZone ?zone . ?zone pk:designatedBy/pk:issuedOn ?act }
        UNION { ?report pk:reports ?programme ; pk:publishedOn ?act }
        BIND(YEAR(?act) AS ?actYear)
        FILTER(BOUND(?actYear))  # a month and day without a year dates nothing
      }
    } GROUP BY ?programme }
}
"""

YEAR_SPAN = (
    "SELECT (MIN(?start) AS ?first) (MAX(COALESCE(?end, ?start)) AS ?last) WHERE { { "
    + PROGRAMME_PERIODS.strip()
    + " } FILTER(BOUND(?start)) }"
)

PARAM_TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType("province", "iri", "provinces that hold a pilot zone",
                  "?zone a pk:PilotZone ; pk:inProvince ?value .",
                  "a province-level division that holds at least one pilot zone (pk:inProvince)"),
        ParamType("programme", "iri", "pilot programmes", "?value a pk:PilotProgramme .",
                  "a pilot programme (pk:PilotProgramme)"),
        ParamType("policy", "iri", "policies", "?value a pk:Policy .", "a policy (pk:Policy)"),
        ParamType("body", "iri", "responsible bodies", "?value a pk:ResponsibleBody .",
                  "a responsible body (pk:ResponsibleBody)"),
        ParamType("theme", "iri", "reform themes", "?value skos:inScheme pk:ReformThemes .",
                  "a reform theme (a concept of pk:ReformThemes)"),
        ParamType("role", "iri", "responsibility roles", "?value skos:inScheme pk:ResponsibilityRoles .",
                  "a responsibility role (a concept of pk:ResponsibilityRoles)"),
        ParamType("zone", "iri", "pilot zones", "?value a pk:PilotZone .", "a pilot zone (pk:PilotZone)"),
        ParamType("source", "iri", "source documents", "?value a pk:SourceDocument .",
                  "a source text (pk:SourceDocument)"),
        ParamType("sentence", "iri", "evidence quotes of the chosen source", "",
                  "an evidence span (pk:Evidence) of the source chosen in the parameter named by `source`"),
        ParamType("year", "year", "years of the programmes' periods", "",
                  "a year from the earliest start to the latest end of the pilot programmes' periods"),
        ParamType("integer", "integer", "integers", "", "a whole number within the declared min and max"),
        ParamType("string", "string", "texts", "", "any text up to max_length characters"),
    )
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


# --- The model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParamType
    label: str
    default: str
    description: str = ""
    min: int | None = None
    max: int | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    source: str | None = None  # for type sentence: the name of the source parameter

    @property
    def kind(self) -> str:
        return self.type.kind


@dataclass(frozen=True)
class ExampleQuery:
    """One example query: its file name (without ``.rq``) is its ``name`` and its URL path."""

    name: str
    title: str
    description: str
    params: tuple[Parameter, ...]
    text: str  # the whole file, front matter included
    path: Path = field(compare=False)
    topic: str = ""  # a heading the list of queries groups it under

    @property
    def body(self) -> str:
        """The query without its front matter lines."""
        return strip_front_matter(self.text)

    def param(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)

    def fill(self, serialised: Mapping[str, str]) -> str:
        """The query body with each ``$param`` replaced by its serialised value."""
        return replace_variables(self.body, dict(serialised))


def strip_front_matter(text: str) -> str:
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines) and _is_front_matter(lines[index]):
        index += 1
    return "".join(lines[index:]).lstrip("\r\n")


def _is_front_matter(line: str) -> bool:
    return line.startswith(FRONT_MATTER_MARK) and (len(line) == 2 or line[2] in " \t\r\n")


def _front_matter(text: str) -> str:
    out = []
    for line in text.splitlines():
        if not _is_front_matter(line):
            break
        out.append(line[3:] if len(line) > 2 else "")
    return "\n".join(out)


# --- Loading ----------------------------------------------------------------------------------


def load_examples(folder: Path) -> dict[str, ExampleQuery]:
    """Every ``*.rq`` file of ``folder``, checked, by name (sorted by title).
    Raises :class:`ExampleQueryError` for the first malformed file."""
    queries = [parse_example(path) for path in sorted(Path(folder).glob("*.rq"))]
    return {q.name: q for q in sorted(queries, key=lambda q: (q.title.lower(), q.name))}


def parse_example(path: Path) -> ExampleQuery:
    """Read and check one ``.rq`` file (see the module docstring for what is checked)."""
    path = Path(path)
    where = path.name

    def fail(message: str) -> ExampleQueryError:
        return ExampleQueryError(f"{where}: {message}")

    name = path.stem
    if not QUERY_NAME.match(name):
        raise fail("the file name must be lower-case letters, digits and hyphens (it is the query's URL)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise fail(f"not UTF-8 text ({err})") from None
    if not _is_front_matter(text.split("\n", 1)[0]):
        raise fail(f"no front matter: the file must start with '{FRONT_MATTER_MARK} title: ...' lines")
    try:
        meta = yaml.safe_load(_front_matter(text))
    except yaml.YAMLError as err:
        raise fail(f"the front matter is not valid YAML: {err}") from None
    if not isinstance(meta, dict):
        raise fail("the front matter must be a YAML mapping with title, description and params")
    unknown = sorted(set(map(str, meta)) - TOP_KEYS)
    if unknown:
        raise fail(f"unknown front matter key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TOP_KEYS))}")
    title, description = meta.get("title"), meta.get("description")
    if not isinstance(title, str) or not title.strip():
        raise fail("the front matter needs a title (a line of text)")
    if not isinstance(description, str) or not description.strip():
        raise fail("the front matter needs a description (text)")
    topic = meta.get("topic") or ""
    if not isinstance(topic, str):
        raise fail("topic must be a line of text")
    raw_params = meta.get("params") or {}
    if not isinstance(raw_params, dict):
        raise fail("params must be a mapping from parameter name to its settings")
    params = tuple(_parse_param(str(key), spec, fail) for key, spec in raw_params.items())
    _check_sentence_sources(params, fail)

    query = ExampleQuery(name, " ".join(title.split()), " ".join(description.split()), params, text, path,
                         " ".join(topic.split()))
    _check_query(query, fail)
    return query


def _parse_param(name: str, spec, fail) -> Parameter:
    if not PARAM_NAME.match(name):
        raise fail(f"parameter name {name!r} must start with a letter and hold only letters, digits and _")
    if not isinstance(spec, dict):
        raise fail(f"parameter {name}: its settings must be a mapping (type, label, default, description)")
    unknown = sorted(set(map(str, spec)) - PARAM_KEYS)
    if unknown:
        raise fail(f"parameter {name}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(PARAM_KEYS))}")
    type_name = spec.get("type")
    if type_name not in PARAM_TYPES:
        raise fail(f"parameter {name}: unknown type {type_name!r}; known types: {', '.join(PARAM_TYPES)}")
    ptype = PARAM_TYPES[type_name]
    if "default" not in spec or spec["default"] is None or str(spec["default"]).strip() == "":
        raise fail(f"parameter {name}: a default is required (the query must run without a choice)")
    default = str(spec["default"]).strip()
    label = str(spec.get("label") or name.replace("_", " ").capitalize())
    description = " ".join(str(spec.get("description") or "").split())
    for key in ("min", "max", "max_length"):
        if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool)):
            raise fail(f"parameter {name}: {key} must be an integer")
    if ("min" in spec or "max" in spec) and ptype.kind != "integer":
        raise fail(f"parameter {name}: min and max apply to type integer only")
    if "max_length" in spec and ptype.kind != "string":
        raise fail(f"parameter {name}: max_length applies to type string only")
    if ("source" in spec) != (ptype.name == "sentence"):
        raise fail(f"parameter {name}: type sentence needs 'source' (the name of a source parameter), "
                   "and only type sentence takes it")
    param = Parameter(name, ptype, label, default, description, spec.get("min"), spec.get("max"),
                      spec.get("max_length", DEFAULT_MAX_LENGTH), spec.get("source"))
    if ptype.kind == "integer":
        if param.min is not None and param.max is not None and param.min > param.max:
            raise fail(f"parameter {name}: min {param.min} is above max {param.max}")
        try:
            check_integer(param, default)
        except ParameterError as err:
            raise fail(f"parameter {name}: the default is not allowed: {err}") from None
    if ptype.kind == "year" and not re.fullmatch(r"\d{4}", default):
        raise fail(f"parameter {name}: the default must be a four-digit year")
    if ptype.kind == "string" and not 1 <= param.max_length <= HARD_MAX_LENGTH:
        raise fail(f"parameter {name}: max_length must be between 1 and {HARD_MAX_LENGTH}")
    if ptype.kind == "string" and len(default) > param.max_length:
        raise fail(f"parameter {name}: the default is longer than max_length")
    if ptype.kind == "iri":
        try:
            serialise_iri(default)
        except ValueError:
            raise fail(f"parameter {name}: the default must be a full IRI, not {default!r}") from None
    return param


def _check_sentence_sources(params: tuple[Parameter, ...], fail) -> None:
    names = {p.name: p for p in params}
    for p in params:
        if p.source is None:
            continue
        source = names.get(p.source)
        if source is None or source.type.name != "source":
            raise fail(f"parameter {p.name}: source {p.source!r} must name a parameter of type source")
        if [q.name for q in params].index(p.source) > [q.name for q in params].index(p.name):
            raise fail(f"parameter {p.name}: its source parameter {p.source} must come before it")


_PLACEHOLDER = {"iri": "<urn:pilotkg:placeholder>", "year": "2000", "integer": "1", "string": '"placeholder"'}


def _check_query(query: ExampleQuery, fail) -> None:
    body = query.body
    declared = {p.name for p in query.params}
    used, question = set(), set()
    for sigil, name, _start, _end in variable_tokens(body):
        (used if sigil == "$" else question).add(name)
    undeclared = sorted(used - declared)
    if undeclared:
        raise fail(f"${undeclared[0]} is used in the query but not declared under params "
                   f"(declared: {', '.join(sorted(declared)) or 'none'})")
    for m in re.finditer(r"<[^<>\"{}|^`\\\s]*>", body):
        if re.match(r"<[A-Za-z][A-Za-z0-9+.-]*:", m.group(0)):
            continue  # an absolute IRI: a $ in it is part of the IRI
        for name in declared:
            if re.search(rf"\${re.escape(name)}(?![\w])", m.group(0)):
                raise fail(f"${name} sits inside what reads as an IRI ({m.group(0)}); "
                           "put spaces around < and > in comparisons")
    unused = sorted(declared - used)
    if unused:
        raise fail(f"parameter {unused[0]} is declared but the query never uses ${unused[0]}")
    both = sorted(declared & question)
    if both:
        raise fail(f"parameter {both[0]} is also written ?{both[0]}: ?{both[0]} and ${both[0]} are the same "
                   f"variable in SPARQL, so write ${both[0]} everywhere")
    form = query_form(body)
    if form != "SELECT":
        raise fail(f"an example query must be a SELECT query (this one is {form or 'not a query'})")
    try:
        refuse_remote(body)
    except RemoteAccessRefused as err:
        raise fail(str(err)) from None
    for label, text in (("as written", body),
                        ("with its parameters filled in", query.fill({p.name: _PLACEHOLDER[p.kind] for p in query.params}))):
        try:
            ox.Store().query(text)  # parses it (no predeclared prefixes: the file declares its own)
        except SyntaxError as err:
            raise fail(f"the query does not parse {label}: {_file_position(query.text, err)}") from None


def _file_position(text: str, err: SyntaxError) -> str:
    """pyoxigraph's error, its line counted in the whole file (front matter included)."""
    skipped = text[: len(text) - len(strip_front_matter(text))].count("\n")
    m = re.match(r"^error at (\d+):(\d+): ", str(err))
    if not m:
        return syntax_error_message(err)
    return f"line {int(m.group(1)) + skipped}, column {m.group(2)}: {str(err)[m.end():]}"


# --- Values ---------------------------------------------------------------------------------------


serialise_iri = sparql_iri  # absolute IRIs only, as SPARQL text
serialise_string = sparql_string


def check_integer(param: Parameter, value: str) -> int:
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise ParameterError(param.name, f"{param.label} ({param.name}): must be a whole number; got {value!r}")
    number = int(text)
    if (param.min is not None and number < param.min) or (param.max is not None and number > param.max):
        raise ParameterError(param.name, f"{param.label} ({param.name}): must be {_range_text(param)}; got {number}")
    return number


def _range_text(param: Parameter) -> str:
    if param.min is not None and param.max is not None:
        return f"between {param.min} and {param.max}"
    if param.min is not None:
        return f"at least {param.min}"
    return f"at most {param.max}"


# --- Options from the graph -----------------------------------------------------------------------


def iri_options(ptype: ParamType, select: Select, source: str | None = None) -> list[Option]:
    """The resources the graph offers for an IRI type, as (IRI, label), sorted by label
    (the sentences of a source: in text order, labelled with their offsets and quote)."""
    if ptype.name == "sentence":
        if source is None:
            return []
        rows = select(_SENTENCE_OPTIONS.format(source=serialise_iri(source), limit=IRI_OPTION_LIMIT))
        spans = sorted({(int(r["start"].value), int(r["end"].value), r["value"].value, r["quote"].value)
                        for r in rows if r["start"] and r["end"]}, key=lambda s: (s[0], -s[1], s[2]))
        return [Option(iri, f"{start}–{end}: {_shorten(quote, 110)}") for start, end, iri, quote in spans]
    rows = select(_LABELLED_OPTIONS.format(members=ptype.members, limit=IRI_OPTION_LIMIT))
    options = []
    for row in rows:
        iri = row["value"].value
        label = (row["label"] or row["fallback"])
        text = label.value if label else _local_name(iri)
        zh = row["zh"].value if row["zh"] else None
        if zh and zh != text:
            text = f"{text} ({zh})"
        options.append(Option(iri, text))
    return sorted(options, key=lambda o: (o.label.casefold(), o.value))


def year_span(select: Select) -> tuple[int, int] | None:
    """The first and last year of the pilot programmes' periods (None if none can be dated)."""
    rows = select(YEAR_SPAN)
    if not rows or rows[0]["first"] is None or rows[0]["last"] is None:
        return None
    return int(rows[0]["first"].value), int(rows[0]["last"].value)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


# --- Resolving a request --------------------------------------------------------------------------


@dataclass
class ParamState:
    """One parameter as a request sets it: the value in force, its SPARQL form and the
    options to show (None for free-form types)."""

    param: Parameter
    value: str
    sparql: str | None
    options: list[Option] | None
    error: str | None = None
    note: str | None = None  # e.g. the default was not in the graph, the first option was used

    @property
    def name(self) -> str:
        return self.param.name


class OptionSource:
    """Options of each parameter type, read once per request through ``select``."""

    def __init__(self, select: Select, cache: dict | None = None):
        self.select = select
        self.cache = cache if cache is not None else {}

    def iri(self, ptype: ParamType, source: str | None = None) -> list[Option]:
        key = (ptype.name, source)
        if key not in self.cache:
            self.cache[key] = iri_options(ptype, self.select, source)
        return self.cache[key]

    def years(self) -> tuple[int, int] | None:
        if ("year", None) not in self.cache:
            self.cache[("year", None)] = year_span(self.select)
        return self.cache[("year", None)]


def resolve(query: ExampleQuery, args: Mapping[str, list[str]], options: OptionSource) -> tuple[list[ParamState], list[ParameterError]]:
    """The state of every parameter of ``query`` for request arguments ``args`` (name → the
    list of values given). Returns the states (defaults where a parameter is not given) and the
    errors: unknown parameters, repeated ones, values outside the options or range. The query
    may run only when the error list is empty."""
    errors: list[ParameterError] = []
    known = {p.name for p in query.params}
    for name in args:
        if name not in known:
            allowed = ", ".join(sorted(known)) if known else "none (this query takes no parameters)"
            errors.append(ParameterError(name, f"unknown parameter {name!r}; this query's parameters: {allowed}"))
    states: list[ParamState] = []
    chosen: dict[str, str] = {}
    for param in query.params:
        given = list(args.get(param.name, []))
        if len(given) > 1:
            err = ParameterError(param.name, f"{param.label} ({param.name}): given {len(given)} times; give it once")
            errors.append(err)
            given = given[:1]
        state = _resolve_one(param, given[0] if given else None, options, chosen)
        if state.error and not any(e.param == param.name for e in errors):
            errors.append(ParameterError(param.name, state.error))
        if state.sparql is not None:
            chosen[param.name] = state.value
        states.append(state)
    return states, errors


def _resolve_one(param: Parameter, given: str | None, options: OptionSource, chosen: dict[str, str]) -> ParamState:
    kind = param.kind
    if kind == "iri":
        source = chosen.get(param.source) if param.source else None
        if param.source and source is None:
            return ParamState(param, given or "", None, [], error=f"{param.label} ({param.name}): needs a valid "
                              f"{param.source} first")
        offered = options.iri(param.type, source)
        values = {o.value for o in offered}
        if given is None:
            if param.default in values:
                return ParamState(param, param.default, serialise_iri(param.default), offered)
            if offered:  # the graph lacks the default (another dataset, or another source chosen)
                first = offered[0].value
                return ParamState(param, first, serialise_iri(first), offered,
                                  note=f"the default {param.default} is not in the graph; the first option is used")
            return ParamState(param, "", None, offered, error=f"the graph holds no {param.type.plural}, "
                              f"so {param.label} ({param.name}) has no value to take")
        value = given.strip()
        if value not in values:
            where = f" of {source}" if source else " in the graph"
            return ParamState(param, value, None, offered, error=(
                f"{param.label} ({param.name}): {_shorten(value, 120)!r} is not one of the {len(offered)} "
                f"{param.type.plural}{where}; pick one from the list"))
        return ParamState(param, value, serialise_iri(value), offered)
    if kind == "year":
        span = options.years()
        offered = [Option(str(y), str(y)) for y in range(span[0], span[1] + 1)] if span else []
        if given is None:
            value = param.default if any(o.value == param.default for o in offered) else (offered[0].value if offered else "")
            if not value:
                return ParamState(param, "", None, offered, error="no pilot programme in the graph has a dated period, "
                                  f"so {param.label} ({param.name}) has no year to take")
            return ParamState(param, value, value, offered)
        value = given.strip()
        if not re.fullmatch(r"\d{4}", value):
            return ParamState(param, value, None, offered, error=(
                f"{param.label} ({param.name}): must be a four-digit year{_year_range(span)}; got {_shorten(value, 60)!r}"))
        if not any(o.value == value for o in offered):
            return ParamState(param, value, None, offered, error=(
                f"{param.label} ({param.name}): {value} is outside the programmes' periods{_year_range(span)}"))
        return ParamState(param, value, value, offered)
    if kind == "integer":
        value = param.default if given is None else given.strip()
        try:
            number = check_integer(param, value)
        except ParameterError as err:
            return ParamState(param, value, None, None, error=str(err))
        return ParamState(param, str(number), str(number), None)
    # string
    value = param.default if given is None else given
    if not value.strip():
        return ParamState(param, value, None, None, error=f"{param.label} ({param.name}): must not be empty")
    if len(value) > param.max_length:
        return ParamState(param, value[: param.max_length], None, None,
                          error=f"{param.label} ({param.name}): longer than {param.max_length} characters")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        return ParamState(param, "", None, None, error=f"{param.label} ({param.name}): holds control characters")
    return ParamState(param, value, serialise_string(value), None)


def _year_range(span: tuple[int, int] | None) -> str:
    return f" from {span[0]} to {span[1]}" if span else ""

