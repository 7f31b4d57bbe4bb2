"""What every page for people shares: reading the store into plain rows, IRIs
turned into links on this server, labels, and rendering a template.

Pages read through :func:`select` (the main process's store handle: the pages'
own queries are small and fixed) or, for SPARQL a person wrote or parameterised,
through the worker pool (``Service.run_query``), which can stop a slow query.
Views never touch pyoxigraph terms: :func:`select` gives :class:`Term` values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pyoxigraph as ox
from flask import Response, current_app, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from pilotkg.graph import __version__
from pilotkg.graph.namespaces import PREFIXES

from .i18n import current_lang, other_lang

SITE = "https://w3id.org/pilotkg/"
ID = SITE + "id/"
ONTOLOGY_NS = "https://w3id.org/pilotkg/ontology#"
INFERRED_GRAPH = ID + "graph/inferred"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Prefixes shown in pages and pre-filled in the editor (the ontology's own first).
SHOWN_PREFIXES: dict[str, str] = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


@dataclass(frozen=True)
class Term:
    """An RDF term as pages use it: ``kind`` is ``iri``, ``literal`` or ``bnode``."""

    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"

    @property
    def href(self) -> str | None:
        """The link to this term's page on this server, if it is one of ours (else None)."""
        return local_path(self.value) if self.is_iri else None

    @property
    def short(self) -> str:
        """``pk:PilotZone`` for an IRI in a known namespace, else the IRI or the literal's text."""
        return compact(self.value) if self.is_iri else self.value

    def __str__(self) -> str:
        return self.value


def term(node: Any) -> Term | None:
    """A :class:`Term` from a pyoxigraph term (None stays None)."""
    if node is None:
        return None
    if isinstance(node, ox.NamedNode):
        return Term("iri", node.value)
    if isinstance(node, ox.Literal):
        dt = node.datatype.value if node.datatype is not None else None
        return Term("literal", node.value, node.language, None if dt == RDF_LANGSTRING else dt)
    if isinstance(node, ox.BlankNode):
        return Term("bnode", node.value)
    return Term("literal", str(node))


def sparql_iri(iri: str) -> str:
    """``<iri>`` for pasting into a query, refusing relative IRIs and characters an IRIREF cannot hold."""
    # IRIREF ::= '<' ([^<>"{}|^`\]-[#x00-#x20])* '>'
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri) or any(c in '<>"{}|^`\\' or c <= " " for c in iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


def sparql_string(text: str) -> str:
    """A SPARQL string literal holding ``text`` exactly."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return f'"{escaped}"'


def service():
    return current_app.extensions["pilotkg"]


Select = Callable[[str], list[dict[str, "Term | None"]]]


def store_select(svc) -> Select:
    """A select function over the main-process store of the Service ``svc``, for code that runs
    outside a request (e.g. building the search index or the browse catalogues)."""
    def run(query: str) -> list[dict[str, Term | None]]:
        solutions = svc.store.query(query)
        names = [v.value for v in solutions.variables]
        return [{name: term(row[name]) for name in names} for row in solutions]

    return run


def select(query: str) -> list[dict[str, Term | None]]:
    """Run a SELECT over the whole dataset (default graph = union of the named graphs)
    and return its rows as dicts of :class:`Term` (None where a variable is unbound)."""
    return store_select(service())(query)


def ask(query: str) -> bool:
    return bool(service().store.query(query))


def local_path(iri: str) -> str | None:
    """The path of an IRI of ours on this server: ``https://w3id.org/pilotkg/id/zone/x``
    → ``/id/zone/x``; ontology terms → ``/ontology#Term``. Other IRIs: None."""
    if iri.startswith(ONTOLOGY_NS):
        return "/ontology#" + iri[len(ONTOLOGY_NS):]
    if iri == ONTOLOGY_NS[:-1]:
        return "/ontology"
    if iri.startswith(SITE):
        return "/" + iri[len(SITE):]
    return None


def iri_of_path(path: str) -> str:
    """The inverse of :func:`local_path` for resource paths (``id/zone/x`` → its IRI)."""
    return SITE + path.lstrip("/")


def compact(iri: str) -> str:
    """``pk:PilotZone`` for IRIs in a known namespace (longest namespace wins), else the IRI."""
    best = None
    for prefix, ns in SHOWN_PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    if best is None:
        return iri
    local = iri[len(best[1]):]
    if not local or any(c in local for c in "/#?"):
        return iri if best[0] != "pkr" else "pkr:" + local
    return f"{best[0]}:{local}"


class Label(str):
    """A label in the reader's language that also knows the name in the other language
    (``other``, with its tag ``other_lang``), shown beside it on the pages."""

    other: str | None = None
    other_lang: str | None = None


def labels_for(iris: Iterable[str], lang: str | None = None, select: Select | None = None) -> dict[str, str]:
    """rdfs:label (or skos:prefLabel) in ``lang`` (else untagged, else any) of each IRI, in one
    SELECT (through ``select``, by default this request's store); IRIs without one are left out.
    ``lang`` defaults to the reader's language in a request through this request's store, else
    English. Each label is a :class:`Label` whose ``other`` is the name in the other language
    (zh beside en, en beside zh) when the data has one that differs."""
    if lang is None:
        lang = current_lang() if select is None else "en"
    other_tag = other_lang(lang)
    iris = sorted({i for i in iris if i})
    if not iris:
        return {}
    values = " ".join(sparql_iri(i) for i in iris)
    run = select if select is not None else store_select(service())
    rows = run(f"""SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }}
        {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }} UNION {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }} }}""")
    best: dict[str, tuple[int, str]] = {}
    others: dict[str, str] = {}
    for row in rows:
        s, lab = row["s"].value, row["l"]
        rank = 0 if (lab.lang or "").split("-")[0] == lang else (1 if not lab.lang else 2)
        if s not in best or (rank, lab.value) < best[s]:
            best[s] = (rank, lab.value)
        if (lab.lang or "").split("-")[0] == other_tag and (s not in others or lab.value < others[s]):
            others[s] = lab.value
    result: dict[str, str] = {}
    for s, (_, v) in best.items():
        label = Label(v)
        if others.get(s) and others[s] != v:
            label.other, label.other_lang = others[s], other_tag
        result[s] = label
    return result


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Render ``templates/TEMPLATE`` inside the site's layout."""
    html = render_template(template, version=__version__, **context)
    return Response(html, status=status, mimetype="text/html")


DEFAULT_ERROR_LINKS = (("/", _l("Home")), ("/search", _l("Search")), ("/browse", _l("Browse")))
DOC_LINKS = (("/ontology", _l("The ontology")), ("/shapes", _l("the shapes")), ("/validate", _l("validate data")),
             ("/downloads", _l("downloads")))


def error_page(status: int, title: str, message: str, links=DEFAULT_ERROR_LINKS, error_id: str | None = None) -> Response:
    """The one error page of the site: a title, what is wrong, and where to go from here."""
    return page("error.html", status=status, title=title, message=message, links=links, error_id=error_id)


def not_found_page(message: str) -> Response:
    return error_page(404, gettext("Not found"), message)


# The pages fetch nothing from another host: scripts, styles and images come from this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
