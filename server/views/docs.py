"""The ontology (``/ontology``) and the shapes (``/shapes``) as pages for people,
and as the RDF files themselves for programs.

``/ontology`` is the path of the ontology's IRI (``https://w3id.org/pilotkg/ontology``),
so its terms' IRIs (``…/ontology#PilotZone``) resolve to their anchors here; the
version IRI (``…/ontology/0.1.0``) resolves too. A browser gets HTML; ``Accept:
text/turtle`` (or no preference) gets the Turtle file exactly as it is on disk;
N-Triples, JSON-LD and RDF/XML are converted from it. The same files are at
``/ontology.ttl``, ``.nt``, ``.jsonld`` and ``.rdf`` (likewise for ``/shapes``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request

from pilotkg.graph.resources import ontology_path, shapes_path

from ..negotiation import CANONICAL_MEDIA, NotAcceptable, choose, wants_html
from ..ontology_doc import file_as, ontology_doc, shapes_doc
from ..site import DOC_LINKS, error_page, page, service

bp = Blueprint("docs", __name__)

# What the files can be had as: media type → format, and file extension → format.
DOC_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
}
DOC_EXTENSIONS = {"ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld", "rdf": "rdfxml"}
FORMAT_NAMES = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD", "rdfxml": "RDF/XML"}


def _text_error(status: int, message: str) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def unknown_parameters(allowed: tuple[str, ...] = ()) -> Response | None:
    """A 400 naming the query parameters this page does not take (None when all are known)."""
    unknown = sorted(set(request.args) - set(allowed))
    if not unknown:
        return None
    takes = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
    message = f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {request.path}; {takes}"
    if wants_html(request.headers.get("Accept")):
        return error_page(400, "Unknown parameter", message, DOC_LINKS)
    return _text_error(400, message)


def _rdf_file(path: Path, fmt: str, name: str) -> Response:
    body = file_as(path, fmt)
    media = CANONICAL_MEDIA[fmt]
    return Response(body, content_type=f"{media}; charset=utf-8", headers={
        "Vary": "Accept",
        "Access-Control-Allow-Origin": "*",
        "Content-Disposition": f'inline; filename="{name}.{next(e for e, f in DOC_EXTENSIONS.items() if f == fmt)}"',
    })


def _negotiated(path: Path, name: str, html) -> Response:
    """HTML for a browser, else the file in the format the Accept header prefers (Turtle by default)."""
    refusal = unknown_parameters()
    if refusal is not None:
        return refusal
    accept = request.headers.get("Accept")
    if wants_html(accept):
        response = html()
        response.headers["Vary"] = "Accept"
        return response
    try:
        fmt = choose(accept, DOC_TYPES, "turtle")
    except NotAcceptable as err:
        return _text_error(406, f"{err}; or text/html")
    return _rdf_file(path, fmt, name)


def _by_extension(path: Path, name: str, ext: str) -> Response:
    refusal = unknown_parameters()
    if refusal is not None:
        return refusal
    fmt = DOC_EXTENSIONS.get(ext)
    if fmt is None:
        offered = ", ".join(f"/{name}.{e}" for e in DOC_EXTENSIONS)
        return _text_error(404, f"no {name} file with the extension .{ext}; offered: {offered}")
    return _rdf_file(path, fmt, name)


# --------------------------------------------------------------------------- /ontology


def _ontology_page() -> Response:
    doc = ontology_doc()
    instances = service().summary().classes
    return page("ontology.html", doc=doc, instances=instances, formats=FORMAT_NAMES, extensions=DOC_EXTENSIONS)


@bp.route("/ontology")
def ontology() -> Response:
    return _negotiated(ontology_path(), "ontology", _ontology_page)


@bp.route("/ontology.<ext>")
def ontology_file(ext: str) -> Response:
    return _by_extension(ontology_path(), "ontology", ext)


@bp.route("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The version IRI (``…/ontology/0.1.0``): the ontology itself while that version is served."""
    current = ontology_doc().header.version
    if version != current:
        message = (f"version {version} of the ontology is not served here; this server has version {current} "
                   f"at /ontology (its version IRI is {ontology_doc().header.version_iri})")
        if wants_html(request.headers.get("Accept")):
            return error_page(404, "No such ontology version", message, DOC_LINKS)
        return _text_error(404, message)
    return _negotiated(ontology_path(), "ontology", _ontology_page)


# --------------------------------------------------------------------------- /shapes


def _shapes_page() -> Response:
    return page("shapes.html", doc=shapes_doc(), formats=FORMAT_NAMES, extensions=DOC_EXTENSIONS)


@bp.route("/shapes")
def shapes() -> Response:
    return _negotiated(shapes_path(), "shapes", _shapes_page)


@bp.route("/shapes.<ext>")
def shapes_file(ext: str) -> Response:
    return _by_extension(shapes_path(), "shapes", ext)
