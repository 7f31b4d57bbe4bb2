"""``/browse``: zones, tasks and bodies with facets and counts (data in :mod:`..facets`);
``format=json`` (or ``Accept: application/json``) gives the same page as JSON, and
``format=csv`` (``&bom=1`` for Excel) every row of the selection in its sort order as a
spreadsheet-safe CSV, with English headers and the IRIs in columns of their own."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext

from ..exports import csv_download, parameter_parts
from ..facets import BROWSERS, NONE, BadParameter, Browser, Listing, Request, catalogue_for, listing, parse_request
from ..site import error_page, local_path, not_found_page, page, service
from .search import response_format

bp = Blueprint("browse", __name__)

TOP_VALUES = 5  # facet values shown per facet on /browse


def browse_url(browser: Browser, selection: dict[str, list[str]], *, sort: str | None = None,
               page_number: int | None = None) -> str:
    """The path and query string of a browse page (facets in the browser's order)."""
    pairs = [(f.name, v) for f in browser.facets for v in selection.get(f.name, ())]
    if sort and sort != "label":
        pairs.append(("sort", sort))
    if page_number and page_number > 1:
        pairs.append(("page", str(page_number)))
    return f"/browse/{browser.name}" + (("?" + urlencode(pairs)) if pairs else "")


def _toggled(selection: dict[str, list[str]], facet: str, key: str) -> dict[str, list[str]]:
    """The selection with ``key`` added to ``facet``'s values, or removed if it was there."""
    changed = {name: list(values) for name, values in selection.items()}
    values = changed.setdefault(facet, [])
    if key in values:
        values.remove(key)
    else:
        values.append(key)
    return {name: values for name, values in changed.items() if values}


def _sort_param(req: Request) -> str:
    return ("-" if req.descending else "") + req.sort


@bp.get("/browse")
def browse_index() -> Response:
    try:
        fmt = response_format(request.args)
    except ValueError as err:
        return _error(None, str(err), "html")
    # other parameters (?utm_source=wechat on a shared link) are ignored
    cards = []
    for browser in BROWSERS.values():
        catalogue = catalogue_for(service(), browser)
        shown = listing(catalogue, Request())
        facets = []
        for counts in shown.facets:
            top = [v for v in counts.values if v.key != NONE and v.count][:TOP_VALUES]
            top += [v for v in counts.values if v.key == NONE and v.count]
            facets.append({
                "name": counts.facet.name,
                "title": counts.facet.title,
                "values": len([v for v in counts.values if v.key != NONE]),
                "top": [{"label": v.label, "count": v.count, "value": v.key, "none": v.key == NONE,
                         "href": browse_url(browser, {counts.facet.name: [v.key]})} for v in top],
            })
        cards.append({"name": browser.name, "title": browser.title, "intro": browser.intro,
                      "count": len(catalogue.items), "href": f"/browse/{browser.name}", "facets": facets})
    if fmt == "json":
        return jsonify({"browsers": cards})  # in English whatever the page's language
    return page("browse.html", cards=[_translated_card(card) for card in cards])


def _translated_card(card: dict) -> dict:
    """A card of /browse in the page's language (the browsers' English texts are in the catalogue)."""
    facets = [{**f, "title": gettext(f["title"]),
               "top": [{**v, "label": gettext(v["label"]) if v["none"] else v["label"]} for v in f["top"]]}
              for f in card["facets"]]
    return {**card, "title": gettext(card["title"]), "intro": gettext(card["intro"]), "facets": facets}


@bp.get("/browse/<name>")
def browse_page(name: str) -> Response:
    browser = BROWSERS.get(name)
    if browser is None:
        return not_found_page(f"There is no browser called {name!r}; the browsers are "
                              + ", ".join(f"/browse/{b}" for b in BROWSERS) + ".")
    try:
        fmt = response_format(request.args, offered=("html", "json", "csv"))
    except ValueError as err:
        return _error(browser, str(err), "html")
    catalogue = catalogue_for(service(), browser)
    try:
        req = parse_request(catalogue, request.args.items(multi=True))
        if req.bom and fmt != "csv":
            raise BadParameter("bom=1 is for the CSV (format=csv), which Excel then opens as UTF-8")
        shown = listing(catalogue, req, whole=fmt == "csv")
    except BadParameter as err:
        return _error(browser, str(err), fmt)
    if fmt == "csv":
        return _as_csv(shown)
    if fmt == "json":
        return jsonify(_as_json(shown))
    return page("browse_results.html", browser=browser, title=gettext(browser.title), intro=gettext(browser.intro),
                **_view(shown))


def _error(browser: Browser | None, message: str, fmt: str) -> Response:
    if fmt == "csv":
        return Response(message + "\n", status=400, mimetype="text/plain")
    if fmt == "json":
        response = jsonify({"error": message})
        response.status_code = 400
        return response
    return error_page(400, "Bad request", message, error_id="browse-error", links=(
        *([(f"/browse/{browser.name}", f"{browser.title} without a selection")] if browser else []),
        ("/browse", "Browse"), ("/search", "Search")))


def _view(shown: Listing) -> dict:
    """What the template needs: facets with links, the selection as chips, rows of cells, headers."""
    catalogue, req, browser = shown.catalogue, shown.request, shown.catalogue.browser
    sort = _sort_param(req)
    facets = []
    for counts in shown.facets:
        values = []
        for v in counts.values:
            href = browse_url(browser, _toggled(req.selection, counts.facet.name, v.key), sort=sort)
            values.append({"label": gettext(v.label) if v.key == NONE else v.label, "count": v.count, "selected": v.selected, "none": v.key == NONE,
                           "value": v.key, "href": href if (v.count or v.selected) else None})
        facets.append({"name": counts.facet.name, "title": gettext(counts.facet.title), "values": values})
    chips = []
    for facet in browser.facets:
        for key in req.selection.get(facet.name, ()):
            label = catalogue.label(facet, key)
            chips.append({"facet": gettext(facet.title), "label": gettext(label) if key == NONE else label,
                          "href": browse_url(browser, _toggled(req.selection, facet.name, key), sort=sort)})
    headers = []
    for key, title, numeric in [("label", browser.item_title, False)] + [
            (c.key, c.title, c.kind == "number") for c in browser.columns]:
        current = req.sort == key
        next_sort = ("-" + key) if current and not req.descending else key
        headers.append({"key": key, "title": gettext(title), "numeric": numeric,
                        "aria_sort": ("descending" if req.descending else "ascending") if current else "none",
                        "href": browse_url(browser, req.selection, sort=next_sort)})
    rows = []
    for item in shown.items:
        rows.append({
            "iri": item,
            "label": catalogue.labels.get(item, item),
            "href": local_path(item),
            "cells": [(column, catalogue.cells[column.key][item]) for column in browser.columns],
        })
    pager = None
    if shown.pages > 1:
        pager = {
            "page": req.page, "pages": shown.pages,
            "previous": browse_url(browser, req.selection, sort=sort, page_number=req.page - 1) if req.page > 1 else None,
            "next": browse_url(browser, req.selection, sort=sort, page_number=req.page + 1) if req.page < shown.pages else None,
        }
    json_url = browse_url(browser, req.selection, sort=sort, page_number=req.page)
    json_url += ("&" if "?" in json_url else "?") + "format=json"
    csv_url = browse_url(browser, req.selection, sort=sort)
    csv_url += ("&" if "?" in csv_url else "?") + "format=csv"
    return {"csv_url": csv_url, "csv_excel_url": csv_url + "&bom=1","facets": facets, "chips": chips, "headers": headers, "rows": rows, "total": shown.total,
            "all_count": len(catalogue.items), "pager": pager, "json_url": json_url,
            "clear_url": browse_url(browser, {}, sort=sort)}


def _as_json(shown: Listing) -> dict:
    catalogue, req, browser = shown.catalogue, shown.request, shown.catalogue.browser
    return {
        "browser": browser.name,
        "title": browser.title,
        "selection": {f.name: req.selection[f.name] for f in browser.facets if f.name in req.selection},
        "sort": _sort_param(req),
        "total": shown.total,
        "page": req.page,
        "pages": shown.pages,
        "facets": [
            {"name": c.facet.name, "title": c.facet.title,
             "values": [{"value": v.key, "label": v.label, "count": v.count, "selected": v.selected} for v in c.values]}
            for c in shown.facets
        ],
        "results": [
            {
                "iri": item,
                "path": local_path(item),
                "label": catalogue.labels.get(item, item),
                **{column.key: [_cell_json(c) for c in catalogue.cells[column.key][item]] for column in browser.columns},
            }
            for item in shown.items
        ],
    }


MULTIPLE = " | "  # between the values of one cell in the CSV


def _as_csv(shown: Listing) -> Response:
    """Every row of the selection, in its order: the item's label and IRI, then each column as
    shown (values joined by `` | ``) and, for a column of links, the IRIs in a column beside it."""
    catalogue, req, browser = shown.catalogue, shown.request, shown.catalogue.browser
    linked = {c.key for c in browser.columns
              if any(cell.iri for cells in catalogue.cells[c.key].values() for cell in cells)}
    headers = [browser.item_title, "IRI"]
    for column in browser.columns:
        headers.append(column.title)
        if column.key in linked:
            headers.append(f"{column.title} IRI")
    rows = []
    for item in shown.items:
        row = [catalogue.labels.get(item, item), item]
        for column in browser.columns:
            cells = catalogue.cells[column.key][item]
            row.append(MULTIPLE.join(c.text for c in cells))
            if column.key in linked:
                row.append(MULTIPLE.join(c.iri or "" for c in cells))
        rows.append(row)
    pairs = [(f.name, v) for f in browser.facets for v in req.selection.get(f.name, ())]
    sort = _sort_param(req)
    if sort != "label":
        pairs.append(("sort", sort))
    return csv_download(headers, rows, [browser.name, *parameter_parts(pairs)], bom=req.bom,
                        extra_headers={"X-Pilotkg-Rows": str(len(rows))})


def _cell_json(cell) -> dict | str | float:
    if cell.iri:
        return {"iri": cell.iri, "label": cell.text}
    if cell.number is not None:
        return int(cell.number) if cell.number.is_integer() else cell.number
    return cell.text
