"""The SPARQL 1.1 Protocol on ``/sparql``: queries by GET, POST form and POST
``application/sparql-query``; updates by POST with a curator's bearer token
(role curator or admin, see :mod:`pilotkg.server.auth`), each recorded in the
audit log; the Service Description when no query is given.

A browser (``text/html`` ranked first, see :func:`wants_html`) that GETs
``/sparql`` gets the query editor instead, with ``?query=`` filled in and run on
load, so a shared link reproduces a result; ``format=`` (or ``download=``) in the
URL always means the results themselves. ``download=1`` adds
``Content-Disposition: attachment`` so that a download link saves a file."""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request

from pilotkg.graph.resources import queries_dir
from pilotkg.graph.store import StoreError, StoreNotDurable
from pilotkg.graph.sparql_safety import (QueryTooComplex, RemoteAccessRefused, check_untrusted, query_form,
                                         syntax_error_message)

from ..audit import AuditError
from ..auth import require
from ..examples import ExampleQueryError, load_examples
from pilotkg.graph.curate import WriteRefused
from pilotkg.graph.update_dataset import UpdateDatasetConflict, base_iri, with_update_dataset

from ..reports import refused
from ..negotiation import GRAPH_TYPES, SOLUTION_TYPES, NotAcceptable, bom_wanted, choose, format_overrides, wants_html
from ..results import with_bom
from ..service import Service
from ..service_description import service_description
from ..site import ONTOLOGY_NS, SHOWN_PREFIXES, SITE, page
from ..workers import PoolBusy, QueryTimeout, TooManyQueries, WorkerFailed

bp = Blueprint("sparql", __name__)
log = logging.getLogger("pilotkg.server")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "X-Pilotkg-Row-Limit, X-Pilotkg-Rows, X-Pilotkg-Truncated, X-Request-Id, Retry-After",
    "Access-Control-Max-Age": "600",
}
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


def service() -> Service:
    return current_app.extensions["pilotkg"]


def error(status: int, message: str, **headers) -> Response:
    """A plain-text error a person and a script can read (cross-origin clients too)."""
    headers = {"Access-Control-Allow-Origin": "*", **headers}
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


# What can stop the planning of a write in its worker (see Service.run_plan); nothing is changed then.
WRITE_JOB_FAILURES = (QueryTimeout, PoolBusy, TooManyQueries, WorkerFailed, MemoryError)


def write_job_failed(err: Exception) -> Response:
    """503 for a write whose planning did not finish in its worker (an update here, an upload or a
    graph deletion in the curation views): past --write-timeout, every worker busy, or the worker
    failed (e.g. past --worker-memory)."""
    if isinstance(err, QueryTimeout):
        return error(503, f"the write could not be planned in time and was stopped; nothing was changed ({err}; "
                          "setting write-timeout)")
    if isinstance(err, (PoolBusy, TooManyQueries)):
        return error(503, f"every worker is busy; nothing was changed; try again shortly ({err})", **{"Retry-After": "5"})
    log.error("a write's planning failed in its worker: %s", err)
    return error(503, f"the write could not be planned: its worker failed ({err}); nothing was changed")


@bp.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    if request.method == "OPTIONS":
        return Response(status=204, headers=CORS_HEADERS)
    if request.method == "GET":
        args = request.args
        if "update" in args:
            return error(405, "SPARQL Update must be sent by POST (form field 'update' or application/sparql-update)", Allow="POST")
        repeated = _repeated(args)
        if repeated is not None:
            return repeated
        query, update = args.get("query"), None
        default_graphs, named_graphs = args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
        if query is None:
            return _describe()
        if "format" not in args and "download" not in args and wants_html(request.headers.get("Accept")):
            return _editor(query)
    else:
        mimetype = request.mimetype
        using = request.args.getlist("using-graph-uri"), request.args.getlist("using-named-graph-uri")
        if mimetype == FORM:
            _check_form_encoding()
            form = request.form
            repeated = _repeated(form)
            if repeated is not None:
                return repeated
            query, update = form.get("query"), form.get("update")
            using = (form.getlist("using-graph-uri") or using[0], form.getlist("using-named-graph-uri") or using[1])
            default_graphs = form.getlist("default-graph-uri") or request.args.getlist("default-graph-uri")
            named_graphs = form.getlist("named-graph-uri") or request.args.getlist("named-graph-uri")
        elif mimetype == QUERY_TYPE:
            query, update = _body_text(), None
            default_graphs, named_graphs = request.args.getlist("default-graph-uri"), request.args.getlist("named-graph-uri")
        elif mimetype == UPDATE_TYPE:
            query, update = None, _body_text()
            default_graphs = named_graphs = []
        else:
            return error(
                415,
                f"unsupported content type {repr(request.mimetype) if request.mimetype else '(none given)'}; "
                f"send {QUERY_TYPE}, {UPDATE_TYPE} or {FORM}",
            )
        if query is not None and update is not None:
            return error(400, "give either 'query' or 'update', not both")
        if query is None and update is None:
            return error(400, "no 'query' (or 'update') in the request")
    if update is not None:
        return _update(update, *using)
    return _query(query, default_graphs, named_graphs)


def _repeated(params) -> Response | None:
    """400 if ``query`` or ``update`` is given more than once (the protocol allows exactly one)."""
    for name in ("query", "update"):
        count = len(params.getlist(name))
        if count > 1:
            return error(400, f"the request gives {count} '{name}' parameters; give exactly one")
    return None


def _check_charset() -> None:
    """The protocol's bodies are UTF-8: refuse a declared charset that is not."""
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise _BadRequest(f"the request body must be UTF-8 (SPARQL 1.1 Protocol); charset={charset} is not accepted")


def _body_text() -> str:
    _check_charset()
    data = request.get_data(cache=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _BadRequest(f"the request body is not UTF-8 text (byte {err.start} is not); send UTF-8") from None


def _check_form_encoding() -> None:
    """A form body (and each value in it, once percent-decoded) must be UTF-8. The body is kept,
    so that ``request.form`` still reads it."""
    _check_charset()
    data = request.get_data(cache=True)
    try:
        urllib.parse.parse_qsl(data.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise _BadRequest("the form is not UTF-8 text (its bytes, or a percent-encoded value); send UTF-8") from None


class _BadRequest(Exception):
    pass


@bp.errorhandler(_BadRequest)
def _bad_request(err) -> Response:
    return error(400, str(err))


def _query(query: str, default_graphs: list[str], named_graphs: list[str]) -> Response:
    form = query_form(query)
    kind = "graph" if form in ("CONSTRUCT", "DESCRIBE") else "solutions"
    try:
        download = _download_wanted(request.values.get("download"))
    except ValueError as err:
        return error(400, str(err))
    try:
        fmt = format_overrides(request.values.getlist("format"), kind)  # SPARQLWrapper may send two
        if fmt is None and kind == "graph":
            fmt = choose(request.headers.get("Accept"), GRAPH_TYPES, "turtle")
        elif fmt is None:
            fmt = choose(request.headers.get("Accept"), SOLUTION_TYPES, "json")
    except NotAcceptable as err:
        return error(406, str(err))
    except ValueError as err:
        return error(400, str(err))
    try:
        bom = bom_wanted(request.values.get("bom"), fmt)
    except ValueError as err:
        return error(400, str(err))
    try:
        check_untrusted(query)
    except (RemoteAccessRefused, QueryTooComplex) as err:
        return error(400, str(err))
    g.query_form = form
    try:
        outcome = service().run_query(query, fmt, default_graphs, named_graphs, client=request.remote_addr or "",
                                      base_iri=base_iri(request.base_url))
    except QueryTimeout as err:
        return error(503, f"{err}; simplify the query or ask for fewer results")
    except TooManyQueries as err:
        return error(429, str(err), **{"Retry-After": str(err.retry_after)})
    except PoolBusy as err:
        return error(503, f"{err}; try again shortly", **{"Retry-After": "5"})
    except WorkerFailed as err:
        log.error("query worker failed: %s", err)
        return error(503, f"the query could not be run: it made its worker fail twice ({err}); it may need more "
                          "memory than a worker may use (setting worker-memory); simplify it")
    if outcome.status == "syntax":
        return error(400, f"malformed query: {syntax_error_message(SyntaxError(outcome.message))}")
    if outcome.status == "refused":
        return error(400, outcome.message)
    if outcome.status != "ok":
        log.error("query failed: %s", outcome.message)
        return error(500, "the query could not be run; the error has been logged")
    g.rows, g.truncated = outcome.rows, outcome.truncated
    headers = {
        **CORS_HEADERS,
        "X-Pilotkg-Row-Limit": str(service().config.max_rows),
        "X-Pilotkg-Rows": str(outcome.rows),
        "X-Pilotkg-Truncated": "true" if outcome.truncated else "false",
        "Vary": "Accept",
    }
    if download:
        headers["Content-Disposition"] = f"attachment; filename=results.{DOWNLOAD_EXTENSIONS[fmt]}"
    body = with_bom(outcome.body) if bom else outcome.body
    return Response(body, status=200, content_type=outcome.media_type, headers=headers)


# The file name a download link saves the results under, per format.
DOWNLOAD_EXTENSIONS = {
    "json": "json", "xml": "srx", "csv": "csv", "tsv": "tsv",
    "turtle": "ttl", "ntriples": "nt", "jsonld": "jsonld", "rdfxml": "rdf", "trig": "trig", "nquads": "nq",
}


def _download_wanted(value: str | None) -> bool:
    """``download=1`` (or ``true``) asks for the results as an attachment; ``0``/``false``/absent do not."""
    if value is None:
        return False
    flag = value.strip().lower()
    if flag in ("1", "true", "yes"):
        return True
    if flag in ("", "0", "false", "no"):
        return False
    raise ValueError(f"download={value!r} is not understood; use download=1 to save the results as a file")


def _update(update: str, using: list[str], using_named: list[str]) -> Response:
    """Apply an update for a curator (or admin) and record it in the audit log (see ``Service.run_update``);
    ``using``/``using_named`` are the protocol's using-graph-uri/using-named-graph-uri."""
    who = require("curator", "updates")
    if isinstance(who, Response):
        return who
    try:
        check_untrusted(update)
        update = with_update_dataset(update, using, using_named)
        service().run_update(update, who, request_id=g.get("request_id"), remote_addr=request.remote_addr,
                             base_iri=base_iri(request.base_url))
    except AuditError as err:
        log.critical("update by %r applied but not recorded: %s", who.name, err)
        return error(500, "the update was applied but could not be recorded in the audit log; the error has been logged")
    except (RemoteAccessRefused, QueryTooComplex, UpdateDatasetConflict) as err:
        return error(400, str(err))
    except WriteRefused as err:
        return refused(err)
    except SyntaxError as err:
        return error(400, f"malformed update: {syntax_error_message(err)}")
    except WRITE_JOB_FAILURES as err:
        return write_job_failed(err)
    except StoreNotDurable as err:
        log.critical("update by %r applied but not flushed to disk (not recorded): %s", who.name, err)
        return error(500, f"the update was applied but could not be made durable ({err.__cause__ or err}); "
                          "it may be lost on restart and is not in the audit log; check the data folder")
    except StoreError as err:
        log.error("update failed: %s", err)
        return error(500, f"the update could not be written; nothing was changed ({err.__cause__ or err}); "
                          "the error has been logged")
    except (RuntimeError, ValueError) as err:  # the store refused it (e.g. DROP of a graph that does not exist)
        return error(400, f"the update was refused: {err}")
    return Response(status=204)


def _describe() -> Response:
    if wants_html(request.headers.get("Accept")):
        return _editor(None)
    try:
        fmt = choose(request.headers.get("Accept"), GRAPH_TYPES, "turtle")
    except NotAcceptable as err:
        return error(406, str(err))
    body, media = service_description(service(), request.base_url, fmt)
    return Response(body, content_type=media, headers={**CORS_HEADERS, "Vary": "Accept"})


# The editor's query when none is given: the predeclared prefixes (written out, so a
# query copied elsewhere still runs) and a question every dataset of this shape answers.
DEFAULT_QUERY_BODY = """\
# The pilot zones of each programme, with the province each lies in.
# Edit the query and press Ctrl+Enter (Cmd+Enter on a Mac) to run it.
SELECT DISTINCT ?programme ?zone ?zoneName ?province WHERE {
  ?programme a pk:PilotProgramme ; pk:hasZone ?zone .
  ?zone rdfs:label ?zoneName .
  FILTER(LANG(?zoneName) = "en")
  OPTIONAL {
    ?zone pk:inProvince/rdfs:label ?province .
    FILTER(LANG(?province) = "en")
  }
}
ORDER BY ?programme ?zoneName
LIMIT 100
"""


def default_query() -> str:
    prologue = "".join(f"PREFIX {prefix}: <{ns}>\n" for prefix, ns in SHOWN_PREFIXES.items())
    return prologue + "\n" + DEFAULT_QUERY_BODY


# The example queries offered in the editor's menu, read again when a file changes.
_examples_cache: tuple[tuple, list[dict]] | None = None


def editor_examples() -> list[dict]:
    """Name, title, query text and parameter names of each example query (sorted by title),
    for the editor's menu; an empty list (and a logged error) if they cannot be read."""
    global _examples_cache
    folder = Path(queries_dir())
    try:
        key = tuple((path.name, path.stat().st_mtime_ns) for path in sorted(folder.glob("*.rq")))
        if _examples_cache is None or _examples_cache[0] != key:
            examples = [
                {"name": q.name, "title": q.title, "query": q.body, "params": [param.name for param in q.params]}
                for q in load_examples(folder).values()
            ]
            _examples_cache = (key, examples)
        return _examples_cache[1]
    except (OSError, ExampleQueryError) as err:
        log.error("the example queries could not be read for the editor: %s", err)
        return []


def _editor(query: str | None) -> Response:
    """The query editor page; a given (non-blank) query is filled in and run when the page loads."""
    given = query is not None and query.strip() != ""
    response = page(
        "editor.html",
        endpoint=request.base_url,
        query=query if given else default_query(),
        autorun=given,
        prefixes=SHOWN_PREFIXES,
        site_ns=SITE,
        ontology_ns=ONTOLOGY_NS,
        row_limit=service().config.max_rows,
        default_graphs=request.args.getlist("default-graph-uri"),
        named_graphs=request.args.getlist("named-graph-uri"),
        examples=editor_examples(),
    )
    response.headers["Vary"] = "Accept"
    return response
