"""The query editor and the example query pages, driven as a person would: type, press
Ctrl+Enter, read the table, sort it, follow the downloads, fix a wrong query."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from browser_helpers import PREFIXES, assert_page, local_path, path_of, squash

ZONES_QUERY = """SELECT ?zone ?label WHERE {
  ?zone a pk:PilotZone ;
        rdfs:label ?label .
  FILTER(lang(?label) = "en")
}
ORDER BY ?zone"""

# Line 5 opens a FILTER that line 6 never closes.
BROKEN_QUERY = """SELECT ?zone WHERE {
  ?zone a pk:PilotZone ;
        rdfs:label ?label .
  FILTER(lang(?label) = "en"
}
"""


def run_in_editor(page, query: str) -> None:
    """Replace the editor's text with ``query`` and press Ctrl+Enter."""
    box = page.locator("textarea#query")
    box.fill(query)
    box.press("Control+Enter")


LANG_TAG = re.compile(r"\s*@[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def column_texts(page, index: int) -> list[str]:
    """The texts of one column, without the language tag a literal cell shows after its text."""
    cells = page.locator(f"table#results tbody tr td:nth-child({index + 1})").all_inner_texts()
    return [LANG_TAG.sub("", squash(t)) for t in cells]


def header_index(page, name: str) -> int:
    headers = [squash(t).lstrip("?").strip() for t in page.locator("table#results thead th").all_inner_texts()]
    matches = [i for i, h in enumerate(headers) if re.sub(r"[^\w]", "", h) == name]
    assert matches, f"no column {name!r} among the headers {headers}"
    return matches[0]


def test_editor_runs_a_query_and_links_iris(web, server):
    expected = server.select(PREFIXES + ZONES_QUERY)
    assert expected, "the graph has no zone with an English label"
    page = web.open("/sparql")
    assert_page(page, "/sparql")
    assert "PREFIX pk:" in page.locator("textarea#query").input_value() or "pk:" in page.locator("textarea#query").input_value(), \
        "the editor does not start with the ontology's prefixes"
    run_in_editor(page, ZONES_QUERY)
    page.locator("table#results tbody tr").first.wait_for()
    assert page.locator("table#results tbody tr").count() == len(expected)
    count = page.locator("#result-count")
    assert count.count() == 1 and str(len(expected)) in count.inner_text(), \
        f"#result-count does not say {len(expected)}: {count.all_inner_texts()}"

    # A row read in the page is the row the JSON endpoint gives, and its IRI links to the zone's page.
    first = expected[0]
    label_col, zone_col = header_index(page, "label"), header_index(page, "zone")
    labels = column_texts(page, label_col)
    assert labels == [squash(r["label"]) for r in expected]
    link = page.locator("table#results tbody tr").nth(0).locator(f"td:nth-child({zone_col + 1}) a")
    assert path_of(link.get_attribute("href")) == local_path(first["zone"])

    # The query is kept in the URL: opening that URL brings the same query back.
    kept = urlsplit(page.url)
    shared = parse_qs(kept.query).get("query", [None])[0] or parse_qs(unquote(kept.fragment)).get("query", [None])[0]
    assert shared is not None and squash(shared) == squash(ZONES_QUERY), f"the query is not in the URL: {page.url}"
    again = web.open(kept.path + "?" + kept.query + ("#" + kept.fragment if kept.fragment else ""))
    assert squash(again.locator("textarea#query").input_value()) == squash(ZONES_QUERY)

    # Following the IRI lands on the zone's page.
    link.click()
    page.wait_for_url(f"**{local_path(first['zone'])}")
    assert squash(first["label"]) in assert_page(page, local_path(first["zone"]))


def test_editor_sorts_by_a_column_header(web, server):
    query = ZONES_QUERY.replace("ORDER BY ?zone", "ORDER BY STRLEN(?label) ?zone")  # not the label order
    expected = server.select(PREFIXES + query)
    labels = [squash(r["label"]) for r in expected]
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True), "the sort would prove nothing"
    page = web.open("/sparql")
    run_in_editor(page, query)
    page.locator("table#results tbody tr").first.wait_for()
    assert column_texts(page, header_index(page, "label")) == labels, "the table is not in the query's order"
    index = header_index(page, "label")
    header = page.locator("table#results thead th").nth(index)
    header.click()
    ascending = column_texts(page, index)
    header.click()
    descending = column_texts(page, index)
    # Sorted as a person would expect (case-insensitive); allow either direction on the first click.
    by_text = sorted(labels, key=lambda t: (t.casefold(), t))
    assert {tuple(ascending), tuple(descending)} == {tuple(by_text), tuple(reversed(by_text))}, \
        f"clicking the label header does not sort the rows:\nfirst click {ascending[:5]}…\nsecond click {descending[:5]}…"
    assert header.get_attribute("aria-sort") in ("ascending", "descending"), "the sorted header has no aria-sort"


def test_editor_downloads_the_same_results(web, server):
    expected = server.select(PREFIXES + ZONES_QUERY)
    page = web.open("/sparql")
    run_in_editor(page, ZONES_QUERY)
    page.locator("table#results tbody tr").first.wait_for()
    for selector, kind in (("a#download-csv", "text/csv"), ("a#download-tsv", "text/tab-separated-values"),
                           ("a#download-json", "application/sparql-results+json")):
        link = page.locator(selector)
        assert link.count() == 1, f"no {selector}"
        resp = server.http.get(link.evaluate("a => a.href"), timeout=60)
        assert resp.status_code == 200, f"{selector}: {resp.status_code}"
        assert resp.headers["Content-Type"].startswith(kind), f"{selector}: {resp.headers['Content-Type']}"
        if kind == "application/sparql-results+json":
            assert len(resp.json()["results"]["bindings"]) == len(expected)
        else:
            assert len([line for line in resp.text.splitlines() if line]) == len(expected) + 1
            assert expected[0]["label"] in resp.text


def test_editor_shows_turtle_for_construct(web, server):
    zone = server.select(PREFIXES + ZONES_QUERY)[0]
    query = f"CONSTRUCT {{ <{zone['zone']}> rdfs:label ?l }} WHERE {{ <{zone['zone']}> rdfs:label ?l }}"
    page = web.open("/sparql")
    run_in_editor(page, query)
    turtle = page.locator("pre#turtle")
    turtle.wait_for()
    assert zone["label"] in turtle.inner_text()


def test_editor_reports_a_malformed_query_with_its_position(web, server):
    resp = server.http.get(server.url("/sparql"), params={"query": BROKEN_QUERY},
                           headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert resp.status_code == 400
    position = re.search(r"line (\d+), column (\d+)", resp.text)
    assert position, f"the endpoint's message gives no position: {resp.text}"
    line, column = position.groups()
    # Chromium itself logs "Failed to load resource: … 400" when a fetch() gets the 400 a malformed query must get.
    web.allow_console_error(r"Failed to load resource: the server responded with a status of 400")
    page = web.open("/sparql")
    run_in_editor(page, BROKEN_QUERY)
    error = page.locator("#query-error")
    error.wait_for(state="visible")
    text = squash(error.inner_text())
    assert re.search(rf"\bline {line}\b", text) and re.search(rf"\bcolumn {column}\b", text), \
        f"#query-error does not give line {line}, column {column}: {text!r}"
    assert page.locator("table#results tbody tr").count() == 0, "rows are shown for a malformed query"


def _query_pages(web) -> tuple[object, list[str]]:
    page = web.open("/queries")
    return page, list(dict.fromkeys(path_of(a.get_attribute("href")) for a in page.locator("a.example-query").all()))


def test_example_query_with_a_province_drop_down(web, server):
    """The zones of a programme by province: choose another province, submit, read its zones."""
    provinces = {r["p"]: r for r in server.select(PREFIXES + """
        SELECT ?p ?label (COUNT(DISTINCT ?z) AS ?n) WHERE {
          ?z a pk:PilotZone ; pk:inProvince ?p . ?p rdfs:label ?label FILTER(lang(?label) = "en") }
        GROUP BY ?p ?label""")}
    assert len(provinces) >= 2
    page, names = _query_pages(web)
    chosen = None
    for href in names:
        web.open(href, page=page)
        selects = page.locator("form#query-params select")
        for i in range(selects.count()):
            select = selects.nth(i)
            options = select.locator("option").all()
            values = [o.get_attribute("value") for o in options]
            texts = [squash(o.inner_text()) for o in options]
            matched = [(v, t) for v, t in zip(values, texts)
                       if v in provinces or any(v and v.endswith("/" + p.rsplit("/", 1)[1]) for p in provinces)
                       or t in {squash(r["label"]) for r in provinces.values()}]
            headers = page.locator("table#results thead th").all_inner_texts()
            if len(matched) >= 2 and any("zone" in h.lower() for h in headers):
                chosen = (href, select, matched)
                break
        if chosen:
            break
    assert chosen, f"no example query among {names} has a province drop-down in form#query-params and a zone column"
    href, select, matched = chosen
    name = select.get_attribute("name")
    current = select.input_value()
    checked = []
    for value, text in reversed(matched):
        if value == current:
            continue
        select.select_option(value=value)
        with page.expect_navigation():
            page.locator("form#query-params [type=submit], form#query-params button").first.click()
        assert parse_qs(urlsplit(page.url).query).get(name) == [value], f"the URL does not carry {name}={value}: {page.url}"
        assert page.locator("table#results").count() == 1, f"{href} with {name}={value}: no table#results"
        province = next(p for p, r in provinces.items()
                        if p == value or value.endswith("/" + p.rsplit("/", 1)[1]) or squash(r["label"]) == text)
        shown = {path_of(a.get_attribute("href")) for a in page.locator("table#results tbody a[href]").all()}
        in_province = {local_path(r["z"]) for r in server.select(PREFIXES + f"""
            SELECT ?z WHERE {{ ?z a pk:PilotZone ; pk:inProvince <{province}> }}""")}
        zones_shown = {h for h in shown if h.startswith("/id/zone/")}
        assert zones_shown <= in_province, \
            f"{href} with {name}={value} shows zones of other provinces: {sorted(zones_shown - in_province)}"
        checked.append(value)
        if zones_shown:
            return  # a row read: one of the province's zones, as the graph says
        select = page.locator(f"form#query-params select[name='{name}']")
    raise AssertionError(f"{href}: no province of {checked} gives a row with a zone of that province")


def test_example_query_page_changes_with_its_parameter(web):
    """Any example query with a drop-down: another option gives another result, kept in the permalink."""
    page, names = _query_pages(web)
    for href in names:
        web.open(href, page=page)
        select = page.locator("form#query-params select").first
        if select.count() and select.locator("option").count() >= 2:
            break
    else:
        raise AssertionError(f"no example query among {names} has a drop-down in form#query-params")
    page.locator("table#results").wait_for(state="attached")
    before = page.locator("table#results tbody").inner_text()
    name, current = select.get_attribute("name"), select.input_value()
    results = {}
    for option in select.locator("option").all():
        value = option.get_attribute("value")
        if value == current or not value:
            continue
        select.select_option(value=value)
        with page.expect_navigation():
            page.locator("form#query-params [type=submit], form#query-params button").first.click()
        assert parse_qs(urlsplit(page.url).query).get(name) == [value], f"the URL does not carry {name}={value}"
        permalink = page.locator("a#permalink").get_attribute("href")
        assert parse_qs(urlsplit(permalink).query).get(name) == [value], f"the permalink {permalink} lacks {name}={value}"
        results[value] = page.locator("table#results tbody").inner_text()
        if page.locator("table#results tbody tr").count() and results[value] != before:
            break
        select = page.locator(f"form#query-params select[name='{name}']")
    assert any(r != before for r in results.values()), f"{href}: no other value of {name} changes the results"


def test_example_query_opens_in_the_editor(web):
    """'Open in the editor' carries the query, parameters filled in, and the editor gives the same rows."""
    page, names = _query_pages(web)
    assert names, "/queries lists no a.example-query"
    web.open(names[0], page=page)
    page.locator("table#results tbody tr").first.wait_for(state="attached")
    rows = page.locator("table#results tbody tr").count()
    link = page.locator("a#open-in-editor")
    assert link.count() == 1, f"{names[0]}: no a#open-in-editor"
    link.click()
    page.wait_for_url("**/sparql?*")
    assert page.locator("textarea#query").input_value().strip(), "the editor opened without the query"
    if page.locator("table#results tbody tr").count() == 0:  # the editor may wait for Ctrl+Enter
        page.locator("textarea#query").press("Control+Enter")
    page.locator("table#results tbody tr").first.wait_for(state="attached")
    count = page.locator("#result-count")
    shown = int(re.search(r"\d+", count.inner_text().replace(",", "")).group()) if count.count() else \
        page.locator("table#results tbody tr").count()
    assert shown == rows, f"{names[0]} shows {rows} rows, the same query in the editor {shown}"
