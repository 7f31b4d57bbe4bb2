"""The home page ``/``: what the dataset is and where it comes from, its counts, the
programmes with their periods, a timeline and a map (see :mod:`pilotkg.server.home`),
and links to every other page. ``/favicon.ico`` points browsers to the SVG icon.

``/`` answers in the form the client asks for: HTML for a browser, JSON
(``Accept: application/json``) with the same data, and a plain-text summary with
absolute links for anything else (``curl`` sends ``*/*``). ``?format=html|json|text``
overrides ``Accept``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..home import COUNT_PAGES, COUNTED_CLASSES, EVENT_KINDS, HomeData, count_query, home_data, listing_query
from ..home_charts import programme_style
from ..i18n import current_lang
from ..negotiation import parse_accept, wants_html
from ..site import error_page, local_path, page

bp = Blueprint("home", __name__)

FORMATS = {"html": "text/html", "json": "application/json", "text": "text/plain"}

# Every other page, in the order the home page lists them: (path, name, what it is for).
SECTIONS = (
    ("/sparql", "Query editor", "write SPARQL with highlighting and the ontology's prefixes; results as a table, CSV, JSON or TSV"),
    ("/queries", "Example queries", "researchers' questions with a form for their parameters, a permalink and downloads"),
    ("/browse", "Browse", "zones by province, programme and year; tasks by theme and policy; bodies by role"),
    ("/search", "Search", "labels, aliases, Chinese names, pinyin and task text, in English or Chinese"),
    ("/sources", "Sources", "the texts the facts come from, with every quote highlighted at its offsets"),
    ("/ontology", "Ontology", "the classes and properties, with their comments, domains, ranges and alignments"),
    ("/shapes", "Shapes", "the SHACL shapes every record must pass"),
    ("/validate", "Validate", "paste or upload RDF and read its validation report"),
    ("/downloads", "Downloads", "the whole dataset as N-Quads, TriG, Turtle or JSON-LD, with checksums and a citation"),
)
# SECTIONS as the page shows them, in the reader's language (the JSON and text forms keep English).
SECTIONS_SHOWN = (
    ("/sparql", _l("Query editor"), _l("write SPARQL with highlighting and the ontology's prefixes; results as a table, CSV, JSON or TSV")),
    ("/queries", _l("Example queries"), _l("researchers' questions with a form for their parameters, a permalink and downloads")),
    ("/browse", _l("Browse"), _l("zones by province, programme and year; tasks by theme and policy; bodies by role")),
    ("/search", _l("Search"), _l("labels, aliases, Chinese names, pinyin and task text, in English or Chinese")),
    ("/sources", _l("Sources"), _l("the texts the facts come from, with every quote highlighted at its offsets")),
    ("/ontology", _l("Ontology"), _l("the classes and properties, with their comments, domains, ranges and alignments")),
    ("/shapes", _l("Shapes"), _l("the SHACL shapes every record must pass")),
    ("/validate", _l("Validate"), _l("paste or upload RDF and read its validation report")),
    ("/downloads", _l("Downloads"), _l("the whole dataset as N-Quads, TriG, Turtle or JSON-LD, with checksums and a citation")),
)

# What each card counts, in the reader's language: (singular, plural) by card key.
CARD_NOUNS = {
    "programmes": (_l("pilot programme"), _l("pilot programmes")),
    "zones": (_l("pilot zone"), _l("pilot zones")),
    "tasks": (_l("reform task"), _l("reform tasks")),
    "bodies": (_l("responsible body"), _l("responsible bodies")),
    "responsibilities": (_l("responsibility"), _l("responsibilities")),
    "sources": (_l("source text"), _l("source texts")),
    "policies": (_l("policy"), _l("policies")),
    "divisions": (_l("administrative division"), _l("administrative divisions")),
    "evidence": (_l("evidence span"), _l("evidence spans")),
}


def chosen_format() -> str | None:
    """html, json or text, from ``?format=`` or else ``Accept``; None when the client accepts none of them.

    Each offered type takes the quality of the most specific range that matches it; the best
    quality wins, then a type the client named over one it reached by a wildcard, then
    text before JSON before HTML (so ``*/*`` gets text). A browser gets HTML."""
    override = request.args.get("format")
    if override is not None:
        return override.strip().lower()
    accept = request.headers.get("Accept")
    if wants_html(accept):
        return "html"
    ranges = parse_accept(accept)
    best: tuple | None = None
    for order, name in enumerate(("text", "json", "html")):
        matching = [r for r in ranges if r.matches(FORMATS[name])]
        if not matching:
            continue
        top = max(matching, key=lambda r: (r.specificity, r.q))
        if top.q <= 0:
            continue
        key = (top.q, top.specificity, -order)
        if best is None or key > best[0]:
            best = (key, name)
    return best[1] if best else None


def _problem(status: int, message: str, html: bool) -> Response:
    if html:
        return error_page(status, _("Bad request"), message, (("/", _("The home page")),))
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.route("/", methods=["GET", "HEAD"])
def home() -> Response:
    # Other parameters (?utm_source=wechat, ?lang=zh on a shared link) are ignored.
    browser = wants_html(request.headers.get("Accept"))
    fmt = chosen_format()
    if fmt is None:
        return Response(f"none of the accepted types ({request.headers.get('Accept')}) is offered here; "
                        f"offered: {', '.join(FORMATS.values())}\n", status=406, mimetype="text/plain")
    if fmt not in FORMATS:
        return _problem(400, f"unknown format {fmt!r}: use format=html, format=json or format=text", browser)
    if fmt == "json":  # data: the same in every language
        with force_locale("en"):
            response = jsonify(as_json(home_data("en")))
    elif fmt == "text":
        with force_locale("en"):
            response = Response(as_text(home_data("en")), mimetype="text/plain")
    else:
        data = home_data(current_lang())
        response = page("home.html", data=data, cards=cards(data), swatch=swatch, sections=SECTIONS_SHOWN,
                        endpoint=absolute("/sparql"), timeline=Markup(data.timeline), zone_map=Markup(data.zone_map),
                        path_of=local_path, event_kind=lambda kind: EVENT_KINDS.get(kind, kind))
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/favicon.ico", methods=["GET", "HEAD"])
def favicon() -> Response:
    """Browsers that ask for /favicon.ico get the SVG icon the pages link to."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


# --------------------------------------------------------------------------- renderers


def absolute(path: str) -> str:
    return request.url_root.rstrip("/") + path


def cards(data: HomeData) -> list[dict]:
    """One card per counted class: the number, what it counts, where to see them, the counting query."""
    out = []
    for key, class_iri, one, many in COUNTED_CLASSES:
        n = data.counts.get(key, 0)
        listing = url_for("sparql.sparql", query=listing_query(key, class_iri))
        nouns = CARD_NOUNS.get(key, (one, many))
        out.append({"key": key, "n": n, "noun": nouns[0] if n == 1 else nouns[1], "href": COUNT_PAGES.get(key, listing),
                    "listing": listing, "count_href": url_for("sparql.sparql", query=count_query(class_iri)),
                    "class_iri": class_iri})
    return out


def swatch(colour_index: int | None, size: int = 12) -> Markup:
    """A small inline SVG circle in a programme's colour (hollow past the palette's end)."""
    colour, filled = programme_style(colour_index)
    fill, stroke = (colour, "#fff") if filled else ("#fff", colour)
    r = size / 2 - 1
    return Markup(f'<svg class="swatch" width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true">'
                  f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/></svg>')


def as_json(data: HomeData) -> dict:
    """The home page's data as JSON: the same numbers, periods and placements the page draws."""
    return {
        "counts": {key: {"n": data.counts.get(key, 0), "class": iri} for key, iri, _one, _many in COUNTED_CLASSES},
        "triples": data.triples,
        "named_graphs": data.graphs,
        "inferred_triples": data.inferred,
        "built_at": data.built_at,
        "sources": [{"iri": s["iri"], "label": s["label"], "file": s["file"], "published": s["published"] or None,
                     "text": absolute(s["text_href"])} for s in data.sources],
        "programmes": [{
            "iri": p.iri, "label": p.label, "page": absolute(p.href) if p.href else None,
            "start": str(p.start) if p.start else None, "start_stated": p.start_stated,
            "start_basis": ({"kind": p.start_basis.kind, "iri": p.start_basis.iri, "label": p.start_basis.label,
                             "date": str(p.start_basis.date)} if p.start_basis else None),
            "end": str(p.end) if p.end else None, "period": p.period_text,
            "zones_named": len(p.zones), "declared_zone_count": p.declared_zones,
            "policies": [{"iri": iri, "label": label} for iri, label in p.policies],
            "batches": [{"iri": b.iri, "label": b.label, "number": b.number,
                         "approved": str(b.approved) if b.approved else None,
                         "declared_zone_count": b.declared_zones, "zones_named": len(b.zones)} for b in p.batches],
        } for p in data.programmes],
        "zones": [{
            "iri": z.iri, "label": z.label, "page": absolute(z.href) if z.href else None,
            "programmes": z.programmes, "lat": z.lat, "long": z.lon, "placed": z.lat is not None,
            "reason_not_placed": z.reason or None,
            "divisions": [{"iri": d, "label": name, "lat": lat, "long": lon, "covers_part": part}
                          for d, name, lat, lon, part in z.divisions],
        } for z in data.zones],
        "links": {name: absolute(path) for path, name, _ in SECTIONS} | {"SPARQL endpoint": absolute("/sparql")},
    }


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def as_text(data: HomeData) -> str:
    """A plain-text summary for terminals: counts, programmes, and where to go next (absolute URLs)."""
    lines = ["pilotkg: China's reform pilot zones as linked data", ""]
    lines.append(f"{data.triples} triples in {data.graphs} named graphs, from {data.counts.get('sources', 0)} source texts; "
                 "every fact carries the quote and the character offsets of the sentence that states it.")
    lines += ["", "Counts:"]
    width = max(len(many) for *_rest, many in COUNTED_CLASSES)
    for key, _iri, _one, many in COUNTED_CLASSES:
        target = COUNT_PAGES.get(key, "")
        where = absolute("/" + target if target.startswith("#") else target) if target else ""
        lines.append(f"  {many:<{width}}  {data.counts.get(key, 0):>7}  {where}".rstrip())
    lines += ["", "Programmes:"]
    if not data.programmes:
        lines.append("  (none in the data)")
    for p in data.programmes:
        declared = f", {p.declared_zones} declared" if p.declared_zones is not None else ""
        lines.append(f"  {p.label}")
        lines.append(f"      {p.period_text}; {plural(len(p.zones), 'zone')} named{declared}; "
                     f"{plural(len(p.batches), 'batch', 'batches')}")
        if p.href:
            lines.append(f"      {absolute(p.href)}")
    lines += ["", "Pages:"]
    for path, name, what in SECTIONS:
        lines.append(f"  {name:<16} {absolute(path):<40} {what}")
    lines += ["", f"SPARQL endpoint: {absolute('/sparql')}",
              f"  curl -G {absolute('/sparql')} --data-urlencode 'query=SELECT * WHERE {{ ?s a pk:PilotZone }} LIMIT 5'",
              f"JSON of this page: {absolute('/?format=json')}", ""]
    return "\n".join(lines)
