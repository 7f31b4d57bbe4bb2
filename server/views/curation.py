"""Curation over HTTP: ``POST /validate`` (open to everyone; changes nothing),
staged imports on ``/imports`` and the Graph Store Protocol on
``/rdf-graphs`` (reads open, writes with a curator token), every write
validated against the shapes before it commits."""

from __future__ import annotations

import json
import logging
import re
from pathlib import PurePath

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from pilotkg.graph.curate import WriteRefused
from pilotkg.graph.rdfio import EXTENSIONS, FORMATS, ParseLimitExceeded, RdfSyntaxError
from pilotkg.graph.store import StoreError, StoreNotDurable

from .. import validation_pages
from ..audit import AuditError
from ..auth import require
from ..negotiation import GRAPH_TYPES, NotAcceptable, choose, wants_html
from ..workers import PoolBusy, QueryTimeout, ValidationJob, WorkerFailed
from ..reports import refused as _refused, report_dict
from .docs import unknown_parameters
from .sparql import WRITE_JOB_FAILURES, error, write_job_failed

bp = Blueprint("curation", __name__)
log = logging.getLogger("pilotkg.server")

# Content-Type → format name of pilotkg.graph.rdfio.FORMATS
RDF_CONTENT_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}


def service():
    return current_app.extensions["pilotkg"]


def _writes():
    return service().writes


def _submitted() -> tuple[bytes, str, str]:
    """The submitted RDF: (bytes, format name, a name for messages), from a body or a multipart upload."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.read()
            fmt = request.form.get("format") or EXTENSIONS.get(PurePath(upload.filename).suffix.lower())
            name = upload.filename
        else:
            data = (request.form.get("data") or "").encode("utf-8")
            fmt, name = request.form.get("format"), "the submitted data"
        if not fmt:
            raise _Unusable(415, "say the data's format: a file extension (.ttl, .nt, .nq, .trig, .rdf, .jsonld) or a 'format' field")
    elif request.mimetype == "application/x-www-form-urlencoded":
        data = (request.form.get("data") or "").encode("utf-8")
        fmt, name = request.form.get("format") or "turtle", "the submitted data"
    else:
        fmt = RDF_CONTENT_TYPES.get(request.mimetype)
        if fmt is None:
            raise _Unusable(
                415,
                f"unsupported content type {request.mimetype or '(none given)'}; send one of "
                + ", ".join(sorted(RDF_CONTENT_TYPES)) + ", or multipart/form-data with a 'file'",
            )
        data, name = request.get_data(cache=False), "the request body"
    if fmt not in FORMATS:
        raise _Unusable(415, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not data.strip():
        raise _Unusable(400, "no data was submitted")
    return data, fmt, name


class _Unusable(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.errorhandler(_Unusable)
def _unusable(err: _Unusable) -> Response:
    return error(err.status, str(err))


@bp.errorhandler(RdfSyntaxError)
def _does_not_parse(err: RdfSyntaxError) -> Response:
    return error(400, f"the data does not parse: {err}")


@bp.errorhandler(ParseLimitExceeded)
def _too_big(err: ParseLimitExceeded) -> Response:
    return error(413, str(err))


for _failure in WRITE_JOB_FAILURES:
    bp.register_error_handler(_failure, write_job_failed)


@bp.errorhandler(StoreError)
def _not_written(err: StoreError) -> Response:
    """The store could not write (a full disk, a read-only data folder): the transaction did not commit,
    or (StoreNotDurable) it did but could not be flushed to disk."""
    if isinstance(err, StoreNotDurable):
        log.critical("write applied but not flushed to disk (not recorded in the audit log): %s", err)
        return error(500, f"the write was applied but could not be made durable ({err.__cause__ or err}); "
                          "it may be lost on restart and is not in the audit log; check the data folder")
    log.error("write failed: %s", err)
    return error(500, f"the write could not be written to the store; nothing was changed ({err.__cause__ or err}); "
                      "the error has been logged")


@bp.errorhandler(AuditError)
def _not_recorded(err: AuditError) -> Response:
    log.critical("write applied but not recorded: %s", err)
    return error(500, "the write was applied but could not be recorded in the audit log; the error has been logged")


# --------------------------------------------------------------------------- /validate


@bp.route("/validate", methods=["GET", "POST"])
def validate() -> Response:
    if request.method == "GET":
        return _validate_form()
    html = _report_format() == "html"
    try:
        data, fmt, _name = _submitted()
    except _Unusable as err:
        if html:  # the form again, with what was sent and what is wrong with it
            return validation_pages.form_page(status=err.status, error=validation_pages.input_error(str(err)),
                                              **_form_fields())
        raise
    except RequestEntityTooLarge:
        if html:
            return validation_pages.form_page(status=413, error=validation_pages.input_error(
                f"the submitted data is larger than the limit of {service().config.max_body:,} bytes "
                "(setting max-body); validate a smaller part, or split the file"))
        raise
    with_graph = request.args.get("with") == "graph" or request.form.get("with") == "graph"
    try:
        outcome = service().pool.run(ValidationJob(data, fmt, with_graph))
    except QueryTimeout as err:
        return _validation_error(html, 503, f"validation ran past the time limit and was stopped: {err}", data, fmt, with_graph)
    except (PoolBusy, WorkerFailed) as err:
        return _validation_error(html, 503, str(err), data, fmt, with_graph)
    if outcome.status == "syntax":
        return _validation_error(html, 400, f"the data does not parse: {outcome.message}", data, fmt, with_graph)
    if outcome.status == "raised" and isinstance(outcome.value, ParseLimitExceeded):
        return _validation_error(html, 413, str(outcome.value), data, fmt, with_graph)
    if outcome.status == "raised" and isinstance(outcome.value, MemoryError):
        return _validation_error(html, 503, str(outcome.value), data, fmt, with_graph)
    if outcome.status != "ok":
        return _validation_error(html, 500, "validation failed; the error has been logged", data, fmt, with_graph)
    report = json.loads(outcome.body)
    return _render_report(report, submitted=(data, fmt, with_graph))


def _report_format() -> str:
    """What the report is wanted as: ``turtle``, ``html`` or ``json`` (``format=`` first, then Accept)."""
    wanted = request.args.get("format") or ""
    accept = request.headers.get("Accept", "")
    if wanted == "turtle" or (not wanted and "text/turtle" in accept and "application/json" not in accept):
        return "turtle"
    if wanted == "html" or (not wanted and wants_html(accept)):
        return "html"
    return "json"


def _render_report(report: dict, status: int = 200, submitted: tuple | None = None) -> Response:
    wanted = _report_format()
    if wanted == "turtle":
        return Response(report["turtle"], status=status, mimetype="text/turtle")
    if wanted == "html":
        data, fmt, with_graph = submitted or (b"", "turtle", bool(report.get("with_graph")))
        return validation_pages.report_page(report, status=status, text=validation_pages.submitted_text(data),
                                            fmt=fmt, with_graph=with_graph)
    body = {k: v for k, v in report.items() if k != "turtle"}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), status=status, mimetype="application/json")


def _validate_form() -> Response:
    """GET /validate: the page to paste or upload data (it takes no parameters)."""
    refusal = unknown_parameters()
    if refusal is not None:
        return refusal
    return validation_pages.form_page()


def _form_fields() -> dict:
    """What the form sent besides the data, to show it again (the form is parsed by now)."""
    return {"text": request.form.get("data") or "", "fmt": request.form.get("format") or "turtle",
            "with_graph": request.form.get("with") == "graph"}


def _validation_error(html: bool, status: int, message: str, data: bytes, fmt: str, with_graph: bool) -> Response:
    if not html:
        return error(status, message)
    text = validation_pages.submitted_text(data)
    return validation_pages.form_page(status=status, error=validation_pages.input_error(message, text), text=text,
                                      fmt=fmt, with_graph=with_graph)


# --------------------------------------------------------------------------- auth (curators)


def _curator(role: str = "curator"):
    """(the authenticated curator, None), or (None, the 401/403 response to return)."""
    who = require(role, "curation")
    return (None, who) if isinstance(who, Response) else (who, None)


def _graph_param() -> str:
    graph = request.args.get("graph") or request.form.get("graph")
    if not graph:
        raise _Unusable(400, "say which named graph: ?graph=IRI")
    if not graph.startswith(("http://", "https://", "urn:")) or _NOT_IN_IRI.search(graph):
        raise _Unusable(400, f"the graph must be an absolute IRI (http, https or urn; no spaces or <>\"{{}}|^`\\), not {graph!r}")
    return graph


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


# --------------------------------------------------------------------------- /imports


@bp.route("/imports", methods=["POST"])
def create_import() -> Response:
    curator, refusal = _curator()
    if refusal is not None:
        return refusal
    graph = _graph_param()
    replace = (request.args.get("mode") or request.form.get("mode") or "add") == "replace"
    data, fmt, name = _submitted()
    try:
        item = _writes().stage(graph, data, fmt, replace=replace, curator=curator.name, source=name)
    except WriteRefused as err:
        return _refused(err)
    location = url_for("curation.show_import", import_id=item.id)
    body = {**item.summary(), "url": location, "commit": location + "/commit"}
    return Response(json.dumps(body, indent=2), status=201, mimetype="application/json", headers={"Location": location})


def _import_or_404(import_id: str):
    item = _writes().imports.get(import_id)
    if item is None:
        raise _Unusable(404, f"no import {import_id}")
    return item


@bp.route("/imports/<import_id>", methods=["GET", "DELETE"])
def show_import(import_id: str) -> Response:
    curator, refusal = _curator()
    if refusal is not None:
        return refusal
    item = _import_or_404(import_id)
    if request.method == "DELETE":
        try:
            _writes().discard(item)
        except WriteRefused as err:
            return _refused(err)
        return Response(status=204)
    limit = min(int(request.args.get("limit", 1000)), 100_000)
    body = {
        **item.summary(),
        "report": {k: v for k, v in report_dict(item.plan.report).items() if k != "turtle"},
        "diff": item.plan.data.listing(limit),
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")


@bp.route("/imports/<import_id>/commit", methods=["POST"])
def commit_import(import_id: str) -> Response:
    curator, refusal = _curator()
    if refusal is not None:
        return refusal
    item = _import_or_404(import_id)
    try:
        _writes().commit_import(item, curator=curator.name, role=curator.role, request_id=g.get("request_id", ""))
    except WriteRefused as err:
        return _refused(err)
    return jsonify(item.summary())


# --------------------------------------------------------------------------- Graph Store Protocol


@bp.route("/rdf-graphs", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    if "default" in request.args:  # the Graph Store Protocol's default graph
        if "graph" in request.args:
            raise _Unusable(400, "give either ?default or ?graph=IRI, not both")
        if request.method != "GET":
            return error(405, "the default graph (the union of the graphs, as queries see it) is read-only here; "
                              "write a named graph with ?graph=IRI, or the default graph with a SPARQL Update",
                         Allow="GET")
        return _get_graph(None)
    graph = _graph_param()
    if request.method == "GET":
        return _get_graph(graph)
    curator, refusal = _curator()
    if refusal is not None:
        return refusal
    writes = _writes()
    request_id = g.get("request_id", "")
    try:
        if request.method == "DELETE":
            writes.commit(lambda: writes.plan_drop(graph), curator=curator.name, role=curator.role,
                          action="graph-delete", request_id=request_id)
            return Response(status=204)
        data, fmt, name = _submitted()
        existed = _graph_exists(graph)
        replace = request.method == "PUT"
        writes.commit(lambda: writes.plan_document(graph, data, fmt, replace=replace, source=name)[0],
                      curator=curator.name, role=curator.role,
                      action="graph-put" if replace else "graph-post", request_id=request_id)
    except WriteRefused as err:
        return _refused(err)
    return Response(status=204 if existed else 201)


def _graph_exists(graph: str) -> bool:
    outcome = service().run_query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", "json")
    return outcome.status == "ok" and json.loads(outcome.body)["boolean"]


def _get_graph(graph: str | None) -> Response:
    """A named graph, or (``None``) the default graph as queries see it (the union of the graphs)."""
    if graph is not None and not _graph_exists(graph):
        return error(404, f"there is no graph {graph}")
    try:
        fmt = choose(request.headers.get("Accept"), GRAPH_TYPES, "turtle")
    except NotAcceptable as err:
        return error(406, str(err))
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph is not None else "?s ?p ?o"
    outcome = service().run_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}", fmt)
    if outcome.status != "ok":
        return error(500, "the graph could not be read")
    return Response(outcome.body, content_type=outcome.media_type, headers={"Access-Control-Allow-Origin": "*"})
