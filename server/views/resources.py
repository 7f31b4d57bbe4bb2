"""Resource pages: every IRI of ours (``/id/…``, ``/theme/…``, ``/role/…``,
``/policy-type/…``) dereferences to its description.

Content negotiation: a browser gets the HTML page; ``Accept`` (or a suffix
``.ttl``, ``.jsonld``, ``.nt``, ``.nq``, ``.trig``, ``.rdf``) picks Turtle,
JSON-LD, N-Triples, N-Quads, TriG or RDF/XML; an ``Accept`` nothing fits gets
406. The RDF holds the resource's statements as subject in every graph (the
quad forms keep the graph names) and its evidence nodes with their selectors.
An IRI no triple mentions is 404. A named graph's IRI (``/id/graph/…``)
dereferences to a summary page, its RDF forms to the graph's content.

``.csv`` (``.csv?bom=1`` for Excel) gives the resource's facts as a spreadsheet-safe table:
one row per property and value, labels beside IRIs, and whether the fact is only inferred.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from ..describe import (Description, describe, description_quads, graph_quads, graph_summary, is_named_graph, serialize_quads,
                        source_counts)
from ..exports import csv_download
from ..negotiation import CANONICAL_MEDIA, GRAPH_TYPES, NotAcceptable, bom_wanted, choose, wants_html
from ..site import SITE, ask, iri_of_path, not_found_page, page, sparql_iri

bp = Blueprint("resources", __name__)

# The forms of a resource, in the order pages list them: short name → (suffix, media type, name shown).
FORMS = {
    "turtle": (".ttl", "text/turtle", "Turtle"),
    "jsonld": (".jsonld", "application/ld+json", "JSON-LD"),
    "ntriples": (".nt", "application/n-triples", "N-Triples"),
    "nquads": (".nq", "application/n-quads", "N-Quads (with graph names)"),
    "trig": (".trig", "application/trig", "TriG (with graph names)"),
    "rdfxml": (".rdf", "application/rdf+xml", "RDF/XML"),
}
SUFFIXES = {suffix: name for name, (suffix, _, _) in FORMS.items()} | {".html": "html"}
OFFERED = {"text/html": "html", "application/xhtml+xml": "html", **GRAPH_TYPES}
MEDIA = {**CANONICAL_MEDIA, "turtle": "text/turtle; charset=utf-8", "trig": "application/trig; charset=utf-8"}
PREFIXES_SERVED = ("id", "theme", "role", "policy-type")


def _plain(status: int, message: str, **headers) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def _not_found(iri: str, explicit_form: bool) -> Response:
    message = f"Nothing in the dataset is described by {iri}: no triple has it as subject or object."
    if not explicit_form and wants_html(request.headers.get("Accept")):
        response = not_found_page(message)
    else:
        response = _plain(404, message)
    response.headers["Vary"] = "Accept"
    return response


def alternates(path: str) -> list[dict]:
    """The RDF forms of the resource at ``path``, for links in the page and the Link header."""
    return [{"name": name, "label": label, "media": media, "href": quote(path) + suffix}
            for name, (suffix, media, label) in FORMS.items()]


def _link_header(path: str) -> str:
    links = [f'<{alt["href"]}>; rel="alternate"; type="{alt["media"]}"' for alt in alternates(path)]
    links.append(f'<{quote(path)}>; rel="alternate"; type="text/html"')
    return ", ".join(links)


@bp.route("/id/<path:rest>", methods=["GET"])
def resource_id(rest: str) -> Response:
    return _resource("id/" + rest)


@bp.route("/theme/<path:rest>", methods=["GET"])
def theme(rest: str) -> Response:
    return _resource("theme/" + rest)


@bp.route("/role/<path:rest>", methods=["GET"])
def role(rest: str) -> Response:
    return _resource("role/" + rest)


@bp.route("/policy-type/<path:rest>", methods=["GET"])
def policy_type(rest: str) -> Response:
    return _resource("policy-type/" + rest)


def _split_suffix(path: str) -> tuple[str, str | None]:
    for suffix, name in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)], name
    return path, None


def _exists(iri: str) -> bool:
    ref = sparql_iri(iri)
    return ask(f"ASK {{ {{ {ref} ?p ?o }} UNION {{ ?s ?p {ref} }} }}")


def _resource(path: str) -> Response:
    """Answer for the resource at ``/PATH`` (its IRI is ``https://w3id.org/pilotkg/PATH``)."""
    iri = iri_of_path(path)
    try:
        sparql_iri(iri)
    except ValueError:
        return _plain(400, f"/{path} cannot be the path of an IRI: it holds a space or one of <>\"{{}}|^`\\",
                      Vary="Accept")
    if path.endswith(".csv") and not path.startswith("id/graph/") and _exists(iri_of_path(path[:-4])):
        return _facts_csv(path[:-4])
    fmt = None
    stem, suffix_form = _split_suffix(path)
    is_graph = path.startswith("id/graph/")
    if suffix_form and (is_graph and is_named_graph(iri_of_path(stem)) or _exists(iri_of_path(stem))):
        path, iri, fmt = stem, iri_of_path(stem), suffix_form
    if fmt is None:
        try:
            fmt = choose(request.headers.get("Accept"), OFFERED, "turtle")
        except NotAcceptable:
            offered = ", ".join(["text/html", *(media for _, media, _ in FORMS.values())])
            return _plain(406, f"None of the types in Accept: {request.headers.get('Accept')} is offered for {iri}. "
                               f"Offered: {offered} (or add .ttl, .jsonld, .nt, .nq, .trig or .rdf to the path).",
                          Vary="Accept", Link=_link_header("/" + path))
    headers = {"Vary": "Accept", "Link": _link_header("/" + path)}
    if path.startswith("id/graph/") and not _exists(iri):
        return _graph(iri, path, fmt, headers, explicit=suffix_form is not None)
    if fmt != "html":
        quads = description_quads(iri)
        if not quads and not _exists(iri):
            return _not_found(iri, explicit_form=True)
        return Response(serialize_quads(quads, fmt), headers={**headers, "Content-Type": MEDIA[fmt]})
    description = describe(iri)
    if description is None:
        return _not_found(iri, explicit_form=suffix_form is not None)
    counts = source_counts(iri) if description.is_source else None
    response = page("resource.html", d=description, path="/" + path, alternates=alternates("/" + path),
                    source_counts=counts, sparql_link=sparql_link, facts_csv=quote("/" + path) + ".csv")
    response.headers.update(headers)
    return response


FACT_HEADERS = ("Property", "Property IRI", "Value", "Value IRI", "Language", "Datatype", "Inferred only", "Graphs")


def _facts_csv(path: str) -> Response:
    """``/PATH.csv``: the resource's statements as subject, one row per property and value."""
    try:
        bom = bom_wanted(request.args.get("bom"), "csv")
    except ValueError as err:
        return _plain(400, str(err))
    description = describe(iri_of_path(path))
    if description is None:
        return _not_found(iri_of_path(path), explicit_form=True)
    rows = _fact_rows(description)
    stem = path[len("id/"):] if path.startswith("id/") else path
    return csv_download(FACT_HEADERS, rows, [stem, "facts"], bom=bom,
                        extra_headers={"X-Pilotkg-Rows": str(len(rows)), "Vary": "Accept"})


def _fact_rows(d: Description) -> list[list[str]]:
    rows = []
    for prop in sorted(d.outgoing, key=lambda p: (d.property_label(p).casefold(), p)):
        values = sorted(d.outgoing[prop].values(), key=lambda v: (v.inferred, d.name(v.term.value) if v.term.is_iri
                                                                   else v.term.value))
        for v in values:
            t = v.term
            rows.append([d.property_label(prop), prop,
                         d.name(t.value) if t.is_iri else t.value, t.value if t.is_iri else "",
                         t.lang or "", t.datatype or "", "yes" if v.inferred else "no",
                         " ".join(sorted(v.graphs))])
    return rows


def _graph(iri: str, path: str, fmt: str, headers: dict, explicit: bool) -> Response:
    summary = graph_summary(iri)
    if summary is None:
        return _not_found(iri, explicit_form=explicit or fmt != "html")
    if fmt != "html":
        return Response(serialize_quads(graph_quads(iri), fmt), headers={**headers, "Content-Type": MEDIA[fmt]})
    doc = iri[len(SITE + "id/graph/source/"):] if iri.startswith(SITE + "id/graph/source/") else None
    response = page("resource.html", d=None, graph=summary, path="/" + path, alternates=alternates("/" + path), doc=doc,
                    sparql_link=sparql_link)
    response.headers.update(headers)
    return response


def sparql_link(query: str) -> str:
    """A link to the query editor with ``query`` filled in."""
    return "/sparql?query=" + quote(query, safe="")
