"""``/search?q=``: labels, aliases, Chinese names, pinyin and texts, grouped by class, the
matches highlighted, each reform task with the policy it belongs to; ``format=json`` (or
``Accept: application/json``) gives the same hits as JSON, ``format=csv`` (``&bom=1`` for
Excel) one spreadsheet-safe CSV row per hit."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from markupsafe import escape

from ..exports import csv_download
from ..negotiation import bom_wanted, parse_accept, wants_html
from ..search import GROUPS, GROUP_KEYS, MAX_QUERY_LENGTH, Hit, QueryTooLong, Results, has_han, index_for
from ..site import page, service

bp = Blueprint("search", __name__)

HITS_PER_GROUP = 50  # on the page; the JSON and ``group=KEY`` give every hit
PARAMETERS = ("q", "format", "group", "bom")
FORMATS = ("html", "json", "csv")


class BadSearch(ValueError):
    pass


def response_format(args, offered: tuple[str, ...] = ("html", "json")) -> str:
    """``json`` or ``html`` (or another of ``offered``): the ``format`` parameter, else what the
    Accept header prefers (a browser gets HTML; a client asking for application/json, JSON).
    Raises ValueError."""
    fmt = args.get("format")
    if fmt is not None:
        if fmt not in offered:
            others = [f for f in offered if f != "html"]
            raise ValueError(f"format={fmt!r} is not offered: use format=" + ", ".join(others) + " (or html)")
        return fmt
    accept = request.headers.get("Accept")
    if wants_html(accept):
        return "html"
    json_q = max((r.q for r in parse_accept(accept) if (r.type, r.subtype) == ("application", "json")), default=0.0)
    return "json" if json_q > 0 else "html"


def _check(args) -> None:
    for name in args:
        if name not in PARAMETERS:
            raise BadSearch(f"unknown parameter {name!r}: /search takes q (the words to find), "
                            "group (one of " + ", ".join(GROUP_KEYS) + "), format (json, csv or html) "
                            "and bom (bom=1 with format=csv, for Excel)")
        if len(args.getlist(name)) > 1:
            raise BadSearch(f"the parameter {name!r} is given more than once")
    try:
        bom = bom_wanted(args.get("bom"), "csv")
    except ValueError as err:
        raise BadSearch(str(err)) from None
    if bom and args.get("format") != "csv":
        raise BadSearch("bom=1 is for the CSV (format=csv), which Excel then opens as UTF-8")
    group = args.get("group")
    if group is not None and group not in GROUP_KEYS:
        raise BadSearch(f"group={group!r} is not a group of results: use one of " + ", ".join(GROUP_KEYS))
    if len(args.get("q", "")) > MAX_QUERY_LENGTH:
        raise BadSearch(f"the query is {len(args.get('q', ''))} characters long; "
                        f"the limit is {MAX_QUERY_LENGTH}: search for fewer words")


@bp.get("/search")
def search_page() -> Response:
    args = request.args
    q = args.get("q", "")
    try:
        fmt = response_format(args, FORMATS)
    except ValueError as err:
        return _error(str(err), q, "html")
    try:
        _check(args)
    except BadSearch as err:
        return _error(str(err), q[:MAX_QUERY_LENGTH], fmt)
    group = args.get("group")
    index = index_for(service())
    if not q.strip():
        if fmt == "csv":
            return _as_csv(q, group, [])
        if fmt == "json":
            return jsonify({"query": q, "total": 0, "groups": []})
        return page("search.html", query="", search_q="", examples=_examples(index), results=None)
    try:
        results = index.search(q)
    except QueryTooLong as err:  # the check above already refuses these
        return _error(str(err), q[:MAX_QUERY_LENGTH], fmt)
    if group:
        results.groups = [(g, hits) for g, hits in results.groups if g.key == group]
        results.total = sum(len(hits) for _, hits in results.groups)
    if fmt == "csv":
        return _as_csv(q, group, results.groups)
    if fmt == "json":
        return jsonify(_as_json(results))
    per_group = None if group else HITS_PER_GROUP
    groups = []
    for g, hits in results.groups:
        views = [hit_view(h) for h in hits[:per_group]]
        if len({h.document.kind_label for h in hits}) == 1:  # one kind in the group: its title says it
            for view in views:
                view["kind"] = None
        groups.append((g, len(hits), views))
    return page("search.html", query=q, search_q=q, results=results, groups=groups, group=group)


def hit_view(hit: Hit) -> dict:
    """A hit as the page shows it: the label and Chinese name at its head, highlighted when they are
    what matched, and a line for each other matched field."""
    doc = hit.document
    view = {"path": doc.path, "kind": doc.kind_label, "label_html": escape(_truncate(doc.label)),
            "chinese_html": escape(doc.chinese) if doc.chinese else None, "tags": [], "lines": [],
            "policy": _policy(doc)}
    for f in hit.fields:
        if f.kind == "label" and f.text == doc.label:
            view["label_html"] = f.html
            view["tags"].append(f.name)
        elif f.kind in ("zh", "pinyin") and f.text == doc.chinese:
            view["chinese_html"] = f.html
            if f.kind == "zh":
                view["tags"].append(f.name)
            else:
                view["lines"].append({"name": f.name, "html": f.pinyin_html, "lang": "zh-Latn-pinyin"})
        else:
            line = {"name": f.name, "html": f.html, "lang": "zh" if has_han(f.text) else None}
            if f.pinyin_html:
                line["pinyin_html"] = f.pinyin_html
            view["lines"].append(line)
    return view


def _policy(doc) -> dict | None:
    """The policy a reform task belongs to, as the page and the JSON show it."""
    policy = doc.policy
    if policy is None:
        return None
    return {"iri": policy.iri, "path": policy.path, "label": policy.label, "chinese": policy.chinese}


def _truncate(text: str, limit: int = 240) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit] + " …"


def _error(message: str, q: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(message + "\n", status=400, mimetype="text/plain")
    if fmt == "json":
        response = jsonify({"error": message})
        response.status_code = 400
        return response
    return page("search.html", status=400, query=q, search_q=q, error=message, results=None)


def _examples(index) -> list[tuple[str, str]]:
    """Searches to try, taken from the data: a zone, a Chinese name, its pinyin, a theme word."""
    examples: list[tuple[str, str]] = []
    zone = next((d for d in index.documents if d.group == "zones"), None)
    if zone:
        word = max(zone.label.replace(",", " ").split(), key=len)
        examples.append((word, f"finds {zone.label} by its label"))
    chinese = next((f for f in index.fields if f.kind == "pinyin" and index.documents[f.doc].group == "bodies"), None)
    chinese = chinese or next((f for f in index.fields if f.kind == "pinyin"), None)
    if chinese:
        doc = index.documents[chinese.doc]
        examples.append((chinese.text, f"the Chinese name of {doc.label}"))
        reading = " ".join(s.toned for s in chinese.syllables[:4])
        examples.append((reading, "pinyin, with or without tone marks and spaces"))
    return examples


CSV_HEADERS = ("Group", "Label", "Chinese name", "Kind", "IRI", "Policy", "Policy IRI", "Matched in")


def _as_csv(q: str, group: str | None, groups) -> Response:
    """One row per hit, the groups in the JSON's order; English headers whatever the page's language."""
    order = {g.key: n for n, g in enumerate(GROUPS)}
    rows = []
    for grp, hits in sorted(groups, key=lambda gh: order[gh[0].key]):
        for hit in hits:
            doc, policy = hit.document, hit.document.policy
            matched = list(dict.fromkeys(f.name for f in hit.fields))
            rows.append([grp.title, doc.label, doc.chinese or "", doc.kind_label or "", doc.iri,
                         policy.label if policy else "", policy.iri if policy else "", " | ".join(matched)])
    parts = ["search", q] + (["group", group] if group else [])
    return csv_download(CSV_HEADERS, rows, parts, bom=bom_wanted(request.args.get("bom"), "csv"),
                        extra_headers={"X-Pilotkg-Rows": str(len(rows))})


def _as_json(results: Results) -> dict:
    order = {g.key: n for n, g in enumerate(GROUPS)}
    return {
        "query": results.query.text,
        "total": results.total,
        "took_ms": round(results.seconds * 1000, 2),
        "groups": [
            {
                "key": group.key,
                "title": group.title,
                "count": len(hits),
                "hits": [
                    {
                        "iri": hit.document.iri,
                        "path": hit.document.path,
                        "label": hit.document.label,
                        "chinese": hit.document.chinese,
                        "kind": hit.document.kind_label,
                        **({"policy": _policy(hit.document)} if hit.document.policy else {}),
                        "matches": [
                            {"field": f.name, "text": f.text, "html": str(f.html),
                             **({"pinyin_html": str(f.pinyin_html)} if f.pinyin_html else {})}
                            for f in hit.fields
                        ],
                    }
                    for hit in hits
                ],
            }
            for group, hits in sorted(results.groups, key=lambda gh: order[gh[0].key])
        ],
    }
