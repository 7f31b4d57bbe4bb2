"""Example queries as pages: ``/queries`` lists them, ``/queries/NAME`` runs one with the
parameters of its form and shows the result table, and the same URL with ``.csv`` or
``.json`` gives the rows to download (``.rq``: the query file itself). The CSV is
spreadsheet-safe (cells that would run as formulas are neutralised), and ``.csv?...&bom=1``
is the same CSV with a UTF-8 byte order mark, which Excel needs to show Chinese right.

A request names every parameter it sets in the query string (``?province=IRI``); the
ones it leaves out take their defaults. Values are checked against what the graph offers
before anything runs (see :mod:`pilotkg.server.examples`): a value that is not allowed, an
unknown parameter or one given twice is a 400 whose message names the parameter. The
query runs in the worker pool, under the time limit, like any query sent to ``/sparql``.

Tables: a column ``xLabel`` next to a column ``x`` of IRIs gives the link text of ``x``
and is not shown on its own (downloads keep both); an evidence IRI links to the source
text with its quote highlighted (``/source/DOC#char=START,END``).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request

from pilotkg.graph.resources import queries_dir

from ..exports import content_disposition, parameter_parts
from ..examples import ExampleQuery, ExampleQueryError, OptionSource, ParamState, load_examples, resolve
from ..negotiation import BOM_FORMATS, bom_wanted, parse_accept, wants_html
from ..results import with_bom
from ..site import ID, Term, labels_for, not_found_page, page, select, service, sparql_iri
from ..workers import PoolBusy, QueryTimeout, WorkerFailed

bp = Blueprint("queries", __name__)
log = logging.getLogger("pilotkg.server")

HTML_ROW_LIMIT = 2000  # rows drawn in the page; the downloads hold them all (up to max-rows)
DOWNLOADS = {"csv": "text/csv; charset=utf-8", "json": "application/sparql-results+json"}
BOM_PARAM = "bom"  # /queries/NAME.csv?...&bom=1: CSV with a UTF-8 byte order mark, for Excel
RQ_MEDIA = "application/sparql-query"
NUMERIC = {"integer", "decimal", "double", "float", "long", "int", "short", "nonNegativeInteger",
           "positiveInteger", "gYear"}
SOURCE_PAGE_PREFIX = ID + "source/"


# --- Loading --------------------------------------------------------------------------------------


def examples() -> dict[str, ExampleQuery]:
    """The example queries of ``queries_dir()``, parsed at first use and kept for the app's
    life. A malformed file raises ExampleQueryError (a 500 page that names the file)."""
    cached = current_app.extensions.get("pilotkg.examples")
    if cached is None:
        cached = load_examples(Path(queries_dir()))
        current_app.extensions["pilotkg.examples"] = cached
    return cached


def option_source() -> OptionSource:
    """Options read from the main process's store, cached until the next write."""
    generation = service().generation
    cached = current_app.extensions.get("pilotkg.example-options")
    if cached is None or cached[0] != generation:
        cached = (generation, {})
        current_app.extensions["pilotkg.example-options"] = cached
    return OptionSource(select, cached[1])


@bp.errorhandler(ExampleQueryError)
def _malformed(err: ExampleQueryError) -> Response:
    log.error("example query file malformed: %s", err)
    message = f"An example query file is malformed, so the examples cannot be shown: {err}"
    if wants_html(request.headers.get("Accept")):
        return page("query_page.html", status=500, query=None, fatal=message)
    return _plain(500, message)


def _plain(status: int, message: str, **headers) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


# --- The index ------------------------------------------------------------------------------------


@bp.route("/queries", methods=["GET"])
@bp.route("/queries.json", methods=["GET"], endpoint="index_json")
def index() -> Response:
    queries = list(examples().values())
    as_json = request.path.endswith(".json") or _wanted_download(request.headers.get("Accept")) == "json"
    if as_json:
        return jsonify([_describe(q) for q in queries])
    defaults = labels_for([p.default for q in queries for p in q.params if p.kind == "iri"])
    return page("queries_index.html", groups=_by_topic(queries), default_labels=defaults)


TOPIC_ORDER = ("Zones and programmes", "Tasks and responsibilities", "Bodies", "Policies and objectives",
               "Sources and evidence")


def _by_topic(queries: list[ExampleQuery]) -> list[tuple[str, list[ExampleQuery]]]:
    """The queries grouped by topic: the known topics in their order, then others by name."""
    groups: dict[str, list[ExampleQuery]] = {}
    for q in queries:
        groups.setdefault(q.topic or "Other questions", []).append(q)
    rank = {topic: i for i, topic in enumerate(TOPIC_ORDER)}
    return sorted(groups.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _describe(query: ExampleQuery) -> dict:
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "topic": query.topic,
        "url": f"/queries/{query.name}",
        "file": f"/queries/{query.name}.rq",
        "params": [
            {"name": p.name, "type": p.type.name, "label": p.label, "default": p.default,
             "description": p.description, **({"min": p.min} if p.min is not None else {}),
             **({"max": p.max} if p.max is not None else {}),
             **({"source": p.source} if p.source else {})}
            for p in query.params
        ],
    }


# --- One query ------------------------------------------------------------------------------------


@bp.after_request
def _vary(response: Response) -> Response:
    """The same URL answers HTML or data by the Accept header."""
    response.headers.add("Vary", "Accept")
    return response


@bp.route("/queries/<name>", methods=["GET"])
def query_page(name: str) -> Response:
    base, suffix = _split_suffix(name)
    query = examples().get(base)
    if query is None:
        return _not_found(base, suffix)
    if suffix == "rq":
        return Response(query.text, mimetype=RQ_MEDIA, headers={
            "Content-Disposition": f'inline; filename="{query.name}.rq"'})
    fmt = suffix or _wanted_download(request.headers.get("Accept"))
    given = {k: request.args.getlist(k) for k in request.args}
    bom = False
    if fmt in BOM_FORMATS and BOM_PARAM in given and query.param(BOM_PARAM) is None:
        try:
            bom = bom_wanted(given.pop(BOM_PARAM)[-1], fmt)
        except ValueError as err:
            return _plain(400, str(err))
    states, errors = resolve(query, given, option_source())
    links = _links(query, states)
    if errors:
        message = "; ".join(str(e) for e in errors)
        if fmt:
            return _plain(400, message)
        return page("query_page.html", status=400, query=query, states=states, errors=errors,
                    links=links, filled=None, result=None, **_page_assets())
    filled = query.fill({s.name: s.sparql for s in states})
    if fmt:
        return _download(query, filled, fmt, states, bom=bom)
    result, failure = _run(filled)
    status = failure[0] if failure else 200
    return page("query_page.html", status=status, query=query, states=states, errors=[], links=links,
                filled=filled, result=result, failure=failure[1] if failure else None, **_page_assets())


@bp.route("/queries/<name>/options/<param>", methods=["GET"])
def options(name: str, param: str) -> Response:
    """The options of one parameter as JSON ``[{value, label}]``, given the values of the
    parameters it depends on (the sentences of ``?source=IRI``): what the form's script
    loads when the source changes."""
    query = examples().get(name)
    if query is None:
        return _plain(404, f"there is no example query named {name!r}")
    target = query.param(param)
    if target is None:
        return _plain(404, f"the query {name!r} has no parameter {param!r}")
    if target.kind != "iri":
        return _plain(400, f"{param} is of type {target.type.name}, which has no list of options")
    given = {k: request.args.getlist(k) for k in request.args}
    deps = {target.source} if target.source else set()
    extra = sorted(set(given) - deps)
    if extra:
        return _plain(400, f"unknown parameter(s) {', '.join(extra)} for the options of {param}; "
                           f"give only: {', '.join(sorted(deps)) or 'nothing'}")
    states, errors = resolve(query, {k: v for k, v in given.items() if k in deps}, option_source())
    blocking = [e for e in errors if e.param in deps]
    if blocking:
        return _plain(400, "; ".join(str(e) for e in blocking))
    state = next(s for s in states if s.name == param)
    return jsonify([{"value": o.value, "label": o.label} for o in state.options or []])


def _split_suffix(name: str) -> tuple[str, str | None]:
    for suffix in ("csv", "json", "rq"):
        if name.endswith("." + suffix):
            return name[: -len(suffix) - 1], suffix
    return name, None


def _not_found(name: str, suffix: str | None) -> Response:
    message = f"There is no example query named {name!r}; /queries lists them."
    if suffix is None and wants_html(request.headers.get("Accept")):
        return not_found_page(message)
    return _plain(404, message)


def _wanted_download(accept: str | None) -> str | None:
    """``csv`` or ``json`` when the client asks for a results type and not for HTML."""
    if not accept or wants_html(accept):
        return None
    for media in sorted(parse_accept(accept), key=lambda r: (-r.q, r.order)):
        if media.q <= 0:
            continue
        kind = f"{media.type}/{media.subtype}"
        if kind == "text/csv":
            return "csv"
        if kind in ("application/sparql-results+json", "application/json"):
            return "json"
    return None


def _links(query: ExampleQuery, states: list[ParamState]) -> dict[str, str]:
    args = [(s.name, s.value if not s.error else s.param.default) for s in states]
    qs = ("?" + urlencode(args)) if args else ""
    return {
        "page": f"/queries/{query.name}",
        "permalink": f"/queries/{query.name}{qs}",
        "csv": f"/queries/{query.name}.csv{qs}",
        "csv_excel": f"/queries/{query.name}.csv?" + urlencode([*args, (BOM_PARAM, "1")]),
        "json": f"/queries/{query.name}.json{qs}",
        "rq": f"/queries/{query.name}.rq",
    }


def _page_assets() -> dict:
    static = Path(current_app.static_folder or "")
    return {
        "highlight_js": (static / "js" / "sparql-highlight.js").is_file(),
        "highlight_css": (static / "sparql-highlight.css").is_file(),
    }


# --- Running --------------------------------------------------------------------------------------


def _execute(filled: str, fmt: str):
    """Run through the worker pool; returns (outcome, None) or (None, (status, message))."""
    try:
        outcome = service().run_query(filled, fmt)
    except QueryTimeout as err:
        return None, (503, f"The query was stopped: {err}. Try again with other values, or run it "
                           "from the editor with a LIMIT.")
    except PoolBusy as err:
        return None, (503, f"The server is busy ({err}); try again in a few seconds.")
    except WorkerFailed as err:
        log.error("query worker failed on an example query: %s", err)
        return None, (500, "The query could not be run (a query worker failed); the error has been logged.")
    if outcome.status != "ok":
        log.error("example query failed (%s): %s", outcome.status, outcome.message)
        return None, (500, "The query could not be run; the error has been logged.")
    return outcome, None


def _download(query: ExampleQuery, filled: str, fmt: str, states: list[ParamState], *, bom: bool = False) -> Response:
    """The rows as a file; CSV is spreadsheet-safe (see :mod:`pilotkg.graph.tabular`), and
    ``bom=1`` puts the UTF-8 byte order mark in front so that Excel reads Chinese right."""
    outcome, failure = _execute(filled, fmt)
    if failure:
        headers = {"Retry-After": "5"} if failure[0] == 503 else {}
        return _plain(failure[0], failure[1], **headers)
    body = with_bom(outcome.body) if bom else outcome.body
    return Response(body, status=200, content_type=DOWNLOADS[fmt], headers={
        # the parameters in force name the file: pilotkg-zones-in-province-province-510000.csv
        "Content-Disposition": content_disposition(
            [query.name, *parameter_parts((st.name, st.value) for st in states if st.value)], fmt),
        "X-Pilotkg-Rows": str(outcome.rows),
        "X-Pilotkg-Truncated": "true" if outcome.truncated else "false",
    })


@dataclass
class Cell:
    term: Term | None
    source_link: str | None = None  # for evidence: /source/DOC#char=START,END

    @property
    def numeric(self) -> bool:
        t = self.term
        return bool(t and t.kind == "literal" and t.datatype and t.datatype.rsplit("#", 1)[-1] in NUMERIC)


@dataclass
class Column:
    name: str
    heading: str


@dataclass
class Result:
    columns: list[Column]
    rows: list[list[Cell]]
    labels: dict[str, str]
    count: int
    truncated: bool  # the worker's row cap (max-rows) cut the result
    shown: int  # rows drawn in the page
    seconds: float


def _run(filled: str) -> tuple[Result | None, tuple[int, str] | None]:
    outcome, failure = _execute(filled, "json")
    if failure:
        return None, failure
    data = json.loads(outcome.body)
    variables = data.get("head", {}).get("vars", [])
    bindings = data.get("results", {}).get("bindings", [])
    folded = {f"{v}Label" for v in variables if f"{v}Label" in variables}
    shown_vars = [v for v in variables if v not in folded]
    labels: dict[str, str] = {}
    rows = []
    for binding in bindings[:HTML_ROW_LIMIT]:
        row = {v: _term(binding.get(v)) for v in variables}
        for v in shown_vars:
            label = row.get(f"{v}Label")
            if label is not None and row[v] is not None and row[v].is_iri:
                labels.setdefault(row[v].value, label.value)
        rows.append(row)
    iris = {t.value for row in rows for t in row.values() if t is not None and t.is_iri}
    labels = {**labels_for(iris - set(labels)), **labels}
    evidence = _evidence_links(iris)
    cells = [[Cell(row[v], evidence.get(row[v].value) if row[v] is not None and row[v].is_iri else None)
              for v in shown_vars] for row in rows]
    result = Result([Column(v, _heading(v)) for v in shown_vars], cells, labels, outcome.rows,
                    outcome.truncated, len(rows), outcome.seconds)
    return result, None


def _term(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = binding.get("type")
    if kind == "uri":
        return Term("iri", binding["value"])
    if kind == "bnode":
        return Term("bnode", binding["value"])
    return Term("literal", binding["value"], binding.get("xml:lang"), binding.get("datatype"))


def _evidence_links(iris: set[str]) -> dict[str, str]:
    """Evidence IRIs among ``iris`` → the source page with the quote highlighted."""
    candidates = sorted(i for i in iris if i.startswith(ID))
    if not candidates:
        return {}
    values = " ".join(sparql_iri(i) for i in candidates)
    pattern = "?e a pk:Evidence ; oa:hasSource ?source ; oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end"
    if service().config.store:  # a remote SPARQL 1.1 store: standard SPARQL only
        where = f"VALUES ?e {{ {values} }} {pattern}"
    else:
        # pyoxigraph's LATERAL (not SPARQL 1.1) looks each candidate up, rather than join every
        # pk:Evidence of the graph with the VALUES: 3.3 s → 0.1 s for 460 rows at 1M quads.
        where = f"VALUES ?e {{ {values} }} LATERAL {{ {pattern} }}"
    rows = select(f"SELECT DISTINCT ?e ?source ?start ?end WHERE {{ {where} }}")
    links = {}
    for row in rows:
        source = row["source"].value
        if source.startswith(SOURCE_PAGE_PREFIX):
            links[row["e"].value] = f"/source/{source[len(SOURCE_PAGE_PREFIX):]}#char={row['start'].value},{row['end'].value}"
    return links


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _heading(variable: str) -> str:
    """``responsibleBodies`` → ``responsible bodies``; ``min_divisions`` → ``min divisions``."""
    return _CAMEL.sub(" ", variable).replace("_", " ").lower()
