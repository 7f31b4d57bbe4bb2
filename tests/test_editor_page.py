"""The query editor at /sparql for browsers: the page, its query in the URL, its downloads, its
static files, and that SPARQL clients still get results from the same URL.

The editor's behaviour in a browser (highlighting, Ctrl+Enter, sorting) is tested in headless
Chromium by the browser tests; here the Flask test client checks what the server sends."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pilotkg.graph.namespaces import PREFIXES
from pilotkg.graph.resources import queries_dir
from pilotkg.server.examples import load_examples
from pilotkg.server.site import CONTENT_SECURITY_POLICY

STATIC = Path(__file__).resolve().parent.parent / "server" / "static"

# What browsers send when they open a page: Chromium (images at q=1, signed exchanges) and Firefox.
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
            "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON_RESULTS = "application/sparql-results+json"

ZONES = """SELECT DISTINCT ?zone ?label WHERE {
  ?zone a pk:PilotZone ; rdfs:label ?label . FILTER(LANG(?label) = "en")
} ORDER BY ?label"""
ZONE_LABELS = "CONSTRUCT { ?zone rdfs:label ?label } WHERE { ?zone a pk:PilotZone ; rdfs:label ?label }"


# --- reading the page ------------------------------------------------------------------------------


class Page(HTMLParser):
    """The elements of an HTML page (tag, attributes) in order, and the text of each textarea and script."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[int, str] = {}
        self._open: int | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("textarea", "script", "option", "style"):
            self._open = len(self.elements) - 1
            self.texts[self._open] = ""

    def handle_endtag(self, tag):
        if self._open is not None and self.elements[self._open][0] == tag:
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self.texts[self._open] += data

    def find(self, tag: str | None = None, **attrs) -> list[tuple[int, dict]]:
        return [(i, a) for i, (t, a) in enumerate(self.elements)
                if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, tag: str | None = None, **attrs) -> dict:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0][1]

    def text_of(self, tag: str, **attrs) -> str:
        (index, _), = self.find(tag, **attrs)
        return self.texts[index]

    @property
    def query(self) -> str:
        """The textarea's value as a browser reads it (one newline right after <textarea> is dropped)."""
        text = self.text_of("textarea", id="query")
        return text[1:] if text.startswith("\n") else text


def editor(site, **params) -> tuple:
    resp = site.get("/sparql", query_string=params) if params else site.get("/sparql")
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == "text/html"
    return resp, Page(resp.text)


def json_rows(resp) -> list[tuple[str, ...]]:
    data = json.loads(resp.text)
    names = data["head"]["vars"]
    return [tuple(b[n]["value"] if n in b else "" for n in names) for b in data["results"]["bindings"]]


def store_rows(site_app, query: str) -> list[tuple[str, ...]]:
    """The rows the app's own store gives for ``query`` (predeclared prefixes added)."""
    from pilotkg.graph.namespaces import sparql_prologue

    solutions = site_app.extensions["pilotkg"].store.query(sparql_prologue() + query)
    names = [v.value for v in solutions.variables]
    return [tuple("" if row[n] is None else row[n].value for n in names) for row in solutions]


# --- the page ------------------------------------------------------------------------------------


def test_the_editor_has_every_prefix_of_the_ontology_in_its_default_query(site):
    resp, page = editor(site)
    query = page.query
    for prefix, namespace in PREFIXES.items():
        assert f"PREFIX {prefix}: <{namespace}>\n" in query
    assert query.index("PREFIX pk:") < query.index("SELECT")
    assert page.one("div", id="editor")["data-autorun"] == "false"
    assert "Accept" in [v.strip() for v in resp.headers["Vary"].split(",")]  # and Accept-Language: the page's language
    # the predeclared prefixes are listed too, and the endpoint's address for other clients
    assert all(f"<code>{prefix}:</code>" in resp.text for prefix in PREFIXES)
    assert "http://localhost/sparql" in resp.text


def test_the_default_query_runs_and_gives_the_store_s_rows(site, site_app):
    _, page = editor(site)
    resp = site.post("/sparql", data={"query": page.query}, headers={"Accept": JSON_RESULTS})
    assert resp.status_code == 200, resp.text
    rows = json_rows(resp)
    assert rows, "the default query should show something"
    assert rows == store_rows(site_app, page.query)


def test_the_page_has_the_elements_the_browser_tests_use(site):
    _, page = editor(site)
    page.one("textarea", id="query", name="query")
    assert page.one("button", id="run")["type"] == "submit"
    page.one("table", id="results")
    page.one("pre", id="turtle")
    page.one(id="query-error")
    page.one(id="result-count")
    for fmt in ("csv", "json", "tsv", "turtle", "ntriples", "jsonld"):
        page.one("a", id=f"download-{fmt}")
    form = page.one("form", id="query-form")
    assert form["method"] == "get" and form["action"] == "/sparql"


def test_a_query_in_the_url_is_filled_in_and_run(site):
    _, page = editor(site, query=ZONES)
    assert page.query == ZONES
    assert page.one("div", id="editor")["data-autorun"] == "true"


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s rdfs:label "</textarea><script>alert(1)</script>" }',
    "SELECT ?x WHERE { ?x ?p \"a & b < c > d ' \\\" \" } # </TEXTAREA ><script src=//evil.example/x.js></script>",
    "\n\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n",  # leading newlines survive the textarea
    "SELECT ?名 WHERE { ?s rdfs:label ?名 } # 试点 &amp; &lt;",
])
def test_a_query_in_the_url_is_escaped_in_the_page(site, query):
    resp, page = editor(site, query=query)
    assert page.query == query
    assert "<script>alert" not in resp.text and "evil.example/x.js></script>" not in resp.text
    assert len(page.find("textarea")) == 1
    scripts = page.find("script")
    assert [a["src"] for _, a in scripts] == ["/static/js/sparql-highlight.js", "/static/js/editor.js"]


def test_a_blank_query_in_the_url_gives_the_default_query_without_running(site):
    _, page = editor(site, query="  \n ")
    assert "PREFIX pk:" in page.query and "SELECT" in page.query
    assert page.one("div", id="editor")["data-autorun"] == "false"


def test_chromium_s_accept_header_gets_the_editor(site_app):
    client = site_app.test_client()
    for params in ({}, {"query": ZONES}):
        resp = client.get("/sparql", query_string=params, headers={"Accept": CHROMIUM})
        assert resp.status_code == 200
        assert resp.mimetype == "text/html"
        assert 'id="query"' in resp.text


def test_the_dataset_of_a_shared_link_is_kept(site):
    graph = "https://w3id.org/pilotkg/id/graph/ontology"
    resp, page = editor(site, **{"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": graph})
    assert page.one("input", type="hidden", name="default-graph-uri")["value"] == graph
    assert graph in resp.text


def test_the_example_queries_menu_offers_each_example_with_its_text(site):
    examples = load_examples(queries_dir())
    assert examples
    _, page = editor(site)
    options = [(i, a) for i, a in page.find("option") if a.get("data-query") is not None]
    assert [a["value"] for _, a in options] == list(examples)
    for index, attrs in options:
        example = examples[attrs["value"]]
        assert attrs["data-query"] == example.body
        assert page.texts[index] == example.title
        assert attrs["data-params"].split() == [p.name for p in example.params]


# --- SPARQL clients on the same URL keep getting results -----------------------------------------


@pytest.mark.parametrize("accept, media", [
    (None, JSON_RESULTS),
    ("*/*", JSON_RESULTS),
    (JSON_RESULTS, JSON_RESULTS),
    ("text/csv", "text/csv"),
    ("application/sparql-results+json,*/*;q=0.9", JSON_RESULTS),  # YASGUI
    ("text/html;q=0.2, application/sparql-results+xml;q=0.7", "application/sparql-results+xml"),
    ("application/sparql-results+json, text/html", JSON_RESULTS),  # html not ranked first
], ids=repr)
def test_clients_that_do_not_ask_for_html_first_get_results(site_app, accept, media):
    headers = {} if accept is None else {"Accept": accept}
    resp = site_app.test_client().get("/sparql", query_string={"query": ZONES}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media


@pytest.mark.parametrize("accept", [FIREFOX, CHROMIUM])
def test_a_browser_that_names_a_format_gets_the_results(site_app, accept):
    client = site_app.test_client()
    resp = client.get("/sparql", query_string={"query": ZONES, "format": "json"}, headers={"Accept": accept})
    assert resp.mimetype == JSON_RESULTS
    assert "Content-Disposition" not in resp.headers
    resp = client.post("/sparql", data={"query": ZONES}, headers={"Accept": accept})  # a POST is never the page
    assert resp.status_code == 200 and resp.mimetype != "text/html"


def test_the_editor_s_own_request_gets_json_for_select_and_turtle_for_construct(site, site_app):
    accept = "application/sparql-results+json, text/turtle;q=0.9"  # what js/editor.js sends
    resp = site.post("/sparql", data={"query": ZONES}, headers={"Accept": accept})
    assert resp.mimetype == JSON_RESULTS
    assert json_rows(resp) == store_rows(site_app, ZONES)
    assert resp.headers["X-Pilotkg-Truncated"] == "false"
    assert resp.headers["X-Pilotkg-Row-Limit"] == str(site_app.extensions["pilotkg"].config.max_rows)
    resp = site.post("/sparql", data={"query": ZONE_LABELS}, headers={"Accept": accept})
    assert resp.mimetype == "text/turtle"
    assert int(resp.headers["X-Pilotkg-Rows"]) == len(store_rows(site_app, ZONE_LABELS.replace(
        "CONSTRUCT { ?zone rdfs:label ?label }", "SELECT ?zone ?label")))


def test_a_malformed_query_says_where_as_the_editor_reads_it(site):
    resp = site.post("/sparql", data={"query": "SELECT * WHERE {\n  ?s ?p ?o\n  FILTER(\n}"},
                     headers={"Accept": JSON_RESULTS})
    assert resp.status_code == 400
    m = re.match(r"malformed query: line (\d+), column (\d+): ", resp.text)
    assert m, resp.text
    assert int(m.group(1)) >= 3


# --- downloads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, media, filename", [
    ("csv", "text/csv", "results.csv"),
    ("tsv", "text/tab-separated-values", "results.tsv"),
    ("json", JSON_RESULTS, "results.json"),
    ("xml", "application/sparql-results+xml", "results.srx"),
])
def test_a_download_link_saves_the_results_as_a_file(site, site_app, fmt, media, filename):
    resp = site.get("/sparql", query_string={"query": ZONES, "format": fmt, "download": "1"})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert resp.headers["Content-Disposition"] == f"attachment; filename={filename}"
    expected = store_rows(site_app, ZONES)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(resp.text)))
        assert rows[0] == ["zone", "label"]
        assert [tuple(r) for r in rows[1:]] == expected
    elif fmt == "json":
        assert json_rows(resp) == expected
    else:
        assert int(resp.headers["X-Pilotkg-Rows"]) == len(expected)


@pytest.mark.parametrize("fmt, media, filename", [
    ("turtle", "text/turtle", "results.ttl"),
    ("ntriples", "application/n-triples", "results.nt"),
    ("jsonld", "application/ld+json", "results.jsonld"),
])
def test_construct_results_download_as_rdf(site, fmt, media, filename):
    resp = site.get("/sparql", query_string={"query": ZONE_LABELS, "format": fmt, "download": "1"})
    assert resp.status_code == 200, resp.text
    assert resp.mimetype == media
    assert resp.headers["Content-Disposition"] == f"attachment; filename={filename}"


def test_download_in_a_post_form_and_download_0(site):
    resp = site.post("/sparql", data={"query": ZONES, "format": "csv", "download": "1"})
    assert resp.headers["Content-Disposition"] == "attachment; filename=results.csv"
    resp = site.get("/sparql", query_string={"query": ZONES, "format": "csv", "download": "0"})
    assert resp.status_code == 200 and "Content-Disposition" not in resp.headers


@pytest.mark.parametrize("value", ["yes please", "2", "attachment"])
def test_a_download_value_that_is_not_understood_is_400(site, value):
    resp = site.get("/sparql", query_string={"query": ZONES, "format": "csv", "download": value})
    assert resp.status_code == 400
    assert f"download={value!r}" in resp.text and "download=1" in resp.text


def test_a_failing_download_is_an_error_message_not_a_file(site):
    resp = site.get("/sparql", query_string={"query": "SELECT * WHERE {", "format": "csv", "download": "1"})
    assert resp.status_code == 400
    assert "Content-Disposition" not in resp.headers
    assert resp.text.startswith("malformed query: line 1")


# --- static files and the Content-Security-Policy ------------------------------------------------


@pytest.mark.parametrize("path, media", [
    ("/static/js/editor.js", "text/javascript"),
    ("/static/js/sparql-highlight.js", "text/javascript"),
    ("/static/editor.css", "text/css"),
    ("/static/sparql-highlight.css", "text/css"),
])
def test_the_editor_s_static_files_are_served_and_linked(site, path, media):
    resp = site.get(path)
    assert resp.status_code == 200
    assert resp.mimetype in (media, "application/javascript")
    assert resp.data == (STATIC / path.removeprefix("/static/")).read_bytes()
    page = site.get("/sparql").text
    assert f'"{path}"' in page


def test_the_page_has_no_inline_script_or_style(site):
    resp, page = editor(site, query='SELECT * WHERE { ?s ?p "x" } # onclick="alert(1)" style="x"')
    assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert not page.find("style")
    for index, attrs in page.find("script"):
        assert attrs.get("src", "").startswith("/static/"), attrs
        assert page.texts[index].strip() == ""
    for tag, attrs in page.elements:
        assert "style" not in attrs, (tag, attrs)
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").lower().startswith("javascript:"), (tag, attrs)


def test_the_sparql_tokenizer_exists_and_is_referenced(site):
    source = (STATIC / "js" / "sparql-highlight.js").read_text("utf-8")
    # the functions the example-query pages may call, exposed on window.SparqlHighlight
    for name in ("tokenize", "toHTML", "highlightElement", "highlightAll"):
        assert re.search(rf"\b{name}: {name}\b", source), name
    assert "window.SparqlHighlight" in source
    assert 'pre > code.sparql' in source
    # the token kinds the stylesheet colours are the kinds the tokenizer produces
    css = (STATIC / "sparql-highlight.css").read_text("utf-8")
    for kind in ("keyword", "function", "variable", "iri", "pname", "string", "langtag", "number",
                 "comment", "punct", "bnode", "boolean"):
        assert f".tok-{kind}" in css and f'"{kind}"' in source, kind
    page = site.get("/sparql").text
    assert page.index("/static/js/sparql-highlight.js") < page.index("/static/js/editor.js")
    # the editor's script uses it and reads the ids the page has
    script = (STATIC / "js" / "editor.js").read_text("utf-8")
    assert "SparqlHighlight.toHTML" in script
    for element_id in re.findall(r'getElementById\("([^"]+)"\)', script):
        assert f'id="{element_id}"' in page, element_id
