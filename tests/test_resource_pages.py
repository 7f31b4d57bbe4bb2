"""Resource pages (/id/…, /theme/…) with content negotiation and evidence, and the
source text pages (/sources, /source/DOC, /source/DOC.txt).

Expected values come from the store (every zone, its evidence, an inferred-only
triple, its inbound links), never from a list written here.
"""

from __future__ import annotations

import re
import statistics
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib

from support import fresh_copy, serving

SITE = "https://w3id.org/pilotkg/"
ID = SITE + "id/"
PK = SITE + "ontology#"
OA = "http://www.w3.org/ns/oa#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
INFERRED = ID + "graph/inferred"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# --- reading pages -------------------------------------------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.parts, self.children = tag, attrs, [], []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str | None = None, cls: str | None = None, id: str | None = None) -> list["Element"]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes) and \
                    (id is None or child.attrs.get("id") == id):
                found.append(child)
            found.extend(child.find(tag, cls, id))
        return found


class Page(HTMLParser):
    """A page as a tree of elements, each with its whole text content (character references decoded)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for element in self.stack:
            element.parts.append(data)

    def find(self, *args, **kwargs) -> list[Element]:
        return self.root.find(*args, **kwargs)


def source_text_of(page: Page) -> str:
    """The text of pre#source-text as a browser has it (the parser drops the newline right after <pre>)."""
    pre = page.find("pre", id="source-text")
    assert len(pre) == 1
    text = pre[0].text
    return text[1:] if text.startswith("\n") else text


# --- the store's answers -------------------------------------------------------------------------


def rows(app, query: str) -> list[dict]:
    return [{v.value: row[v.value] for v in result.variables} for result in [app.extensions["pilotkg"].store.query(query)]
            for row in result]


def path_of(iri: str) -> str:
    assert iri.startswith(SITE)
    return "/" + iri[len(SITE):]


def english_label(app, iri: str) -> str:
    labels = rows(app, f"SELECT ?l WHERE {{ <{iri}> <{RDFS_LABEL}> ?l }}")
    english = sorted(r["l"].value for r in labels if r["l"].language in (None, "en"))
    return english[0]


def evidence_of(app, iri: str) -> list[dict]:
    return rows(app, f"""SELECT ?ev ?src ?start ?end ?exact WHERE {{
        <{iri}> <{PK}evidence> ?ev . ?ev <{OA}hasSource> ?src ; <{OA}hasSelector> ?pos, ?quote .
        ?pos <{OA}start> ?start ; <{OA}end> ?end . ?quote <{OA}exact> ?exact }}""")


def all_zones(app) -> list[str]:
    return sorted(r["z"].value for r in rows(app, f"SELECT ?z WHERE {{ ?z a <{PK}PilotZone> }}"))


def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def subject_triples(app, iri: str) -> set[tuple]:
    return {(rdflib.URIRef(iri), rdflib.URIRef(r["p"].value), to_rdflib(r["o"]))
            for r in rows(app, f"SELECT DISTINCT ?p ?o WHERE {{ <{iri}> ?p ?o }}")}


@pytest.fixture(scope="module")
def zones(site_app) -> list[str]:
    found = all_zones(site_app)
    assert found, "the built dataset has pilot zones"
    return found


@pytest.fixture(scope="module")
def zone(zones) -> str:
    return zones[0]


# --- resource pages ------------------------------------------------------------------------------


def test_every_zone_page_shows_its_label_and_every_evidence_link(site, site_app, zones):
    for iri in zones:
        resp = site.get(path_of(iri))
        assert resp.status_code == 200, iri
        assert resp.mimetype == "text/html" and "Content-Security-Policy" in resp.headers
        page = Page(resp.text)
        assert [h.text.strip() for h in page.find("h1")] == [english_label(site_app, iri)]
        expected = evidence_of(site_app, iri)
        assert expected, f"{iri} has evidence"
        items = page.find("li", cls="evidence")
        links = {a.attrs["href"] for li in items for a in li.find("a", cls="evidence-link")}
        for ev in expected:
            doc = ev["src"].value[len(ID + "source/"):]
            assert f"/source/{doc}#char={ev['start'].value},{ev['end'].value}" in links, (iri, ev["ev"].value)
        quotes = {q.text for li in items for q in li.find(cls="quote")}
        assert {ev["exact"].value for ev in expected} <= quotes


def test_evidence_links_point_at_the_quoted_characters(site, site_app, zones):
    texts: dict[str, str] = {}
    checked = 0
    for iri in zones:
        page = Page(site.get(path_of(iri)).text)
        exact_by_range = {(ev["src"].value[len(ID + "source/"):], int(ev["start"].value), int(ev["end"].value)):
                          ev["exact"].value for ev in evidence_of(site_app, iri)}
        for a in page.find("a", cls="evidence-link"):
            url = urlsplit(a.attrs["href"])
            doc = url.path[len("/source/"):]
            m = re.fullmatch(r"char=(\d+),(\d+)", url.fragment)
            assert m, a.attrs["href"]
            start, end = int(m.group(1)), int(m.group(2))
            if doc not in texts:
                raw = site.get(f"/source/{doc}.txt")
                assert raw.status_code == 200 and raw.headers["Content-Type"] == "text/plain; charset=utf-8"
                texts[doc] = raw.data.decode("utf-8")
            assert texts[doc][start:end] == exact_by_range[(doc, start, end)]
            checked += 1
    assert checked >= len(zones)


def test_every_resource_with_evidence_links_each_quote_to_its_characters(site, site_app):
    """Not only zones: every resource of every kind that carries pk:evidence (tasks, bodies,
    responsibilities, policies, programmes, batches, objectives…) shows each of its quotes with a
    link whose RFC 5147 range slices exactly that quote out of the text the server serves."""
    found = rows(site_app, f"""SELECT ?s ?src ?start ?end ?exact WHERE {{
        ?s <{PK}evidence> ?ev . FILTER NOT EXISTS {{ ?s a <{PK}SourceDocument> }}
        ?ev <{OA}hasSource> ?src ; <{OA}hasSelector> ?pos, ?quote .
        ?pos <{OA}start> ?start ; <{OA}end> ?end . ?quote <{OA}exact> ?exact }}""")
    expected: dict[str, set[tuple[str, int, int, str]]] = {}
    for r in found:
        doc = r["src"].value[len(ID + "source/"):]
        expected.setdefault(r["s"].value, set()).add((doc, int(r["start"].value), int(r["end"].value), r["exact"].value))
    kinds = {iri[len(ID):].split("/", 1)[0] for iri in expected}
    assert {"zone", "task", "responsibility", "policy"} <= kinds, kinds
    texts: dict[str, str] = {}
    for iri, evidence in sorted(expected.items()):
        resp = site.get(path_of(iri))
        assert resp.status_code == 200, iri
        items = Page(resp.text).find("li", cls="evidence")
        links = {a.attrs["href"] for li in items for a in li.find("a", cls="evidence-link")}
        quotes = {q.text for li in items for q in li.find(cls="quote")}
        for doc, start, end, exact in evidence:
            assert f"/source/{doc}#char={start},{end}" in links, (iri, doc, start, end)
            assert exact in quotes, (iri, exact)
            if doc not in texts:
                texts[doc] = site.get(f"/source/{doc}.txt").data.decode("utf-8")
            assert texts[doc][start:end] == exact, (iri, doc, start, end)


def test_source_page_shows_the_text_exactly_and_highlights_char_on_the_server(site, site_app, zone):
    ev = evidence_of(site_app, zone)[0]
    doc = ev["src"].value[len(ID + "source/"):]
    start, end, exact = int(ev["start"].value), int(ev["end"].value), ev["exact"].value
    raw = site.get(f"/source/{doc}.txt").data.decode("utf-8")
    plain = Page(site.get(f"/source/{doc}").text)
    assert source_text_of(plain) == raw
    assert not plain.find("mark", id="highlight")
    resp = site.get(f"/source/{doc}?char={start},{end}")
    assert resp.status_code == 200
    page = Page(resp.text)
    assert source_text_of(page) == raw  # the mark adds no character
    marks = page.find("mark", id="highlight")
    assert len(marks) == 1 and marks[0].text == exact
    notice = page.find(id="fragment-notice")[0]
    assert f"{start}–{end}" in notice.text
    assert zone.replace(SITE, "/") in {a.attrs.get("href") for a in notice.find("a")}  # "evidence for" the zone
    assert page.find("script") and any(s.attrs.get("src", "").endswith("/js/source.js") for s in page.find("script"))


def test_char_position_and_open_ranges(site, site_app, zone):
    doc = evidence_of(site_app, zone)[0]["src"].value[len(ID + "source/"):]
    raw = site.get(f"/source/{doc}.txt").data.decode("utf-8")
    position = Page(site.get(f"/source/{doc}?char=5").text).find("mark", id="highlight")
    assert len(position) == 1 and position[0].text == "" and "position" in position[0].classes
    head = Page(site.get(f"/source/{doc}?char=,12").text).find("mark", id="highlight")
    assert head[0].text == raw[:12]
    tail = Page(site.get(f"/source/{doc}?char={len(raw) - 7},").text).find("mark", id="highlight")
    assert tail[0].text == raw[-7:]
    checked = site.get(f"/source/{doc}?char=0,4;length={len(raw) + 1}")
    assert checked.status_code == 200 and "may not hold" in Page(checked.text).find(id="fragment-notice")[0].text


@pytest.mark.parametrize("value", ["abc", "10,5", "1,99999999", "99999999", "-3,4", "1,2,3", ",", ""])
def test_malformed_char_is_400_with_the_reason(site_app, site, zone, value):
    doc = evidence_of(site_app, zone)[0]["src"].value[len(ID + "source/"):]
    plain = site_app.test_client().get(f"/source/{doc}", query_string={"char": value}, headers={"Accept": "text/plain"})
    assert plain.status_code == 400 and plain.mimetype == "text/plain"
    assert "char" in plain.text and ("RFC 5147" in plain.text or "end" in plain.text)
    page = site.get(f"/source/{doc}", query_string={"char": value})
    assert page.status_code == 400 and page.mimetype == "text/html"
    parsed = Page(page.text)
    assert "problem" in parsed.find(id="fragment-notice")[0].classes
    assert not parsed.find("mark", id="highlight") and parsed.find("pre", id="source-text")  # the text is still there


def test_inferred_only_fact_carries_the_inferred_badge(site, site_app):
    found = rows(site_app, f"""SELECT ?s ?o WHERE {{
        GRAPH <{INFERRED}> {{ ?s <{PK}inProvince> ?o }}
        FILTER NOT EXISTS {{ GRAPH ?g {{ ?s <{PK}inProvince> ?o }} FILTER(?g != <{INFERRED}>) }}
        FILTER(STRSTARTS(STR(?s), "{ID}zone/")) }} LIMIT 1""")
    assert found, "the reasoner derives a zone's province"
    subject, province = found[0]["s"].value, found[0]["o"].value
    page = Page(site.get(path_of(subject)).text)
    items = [li for li in page.find("li") if any(a.attrs.get("href") == path_of(province) for a in li.find("a"))]
    assert items and all("inferred" in li.classes for li in items)
    assert all(li.find("span", cls="inferred") and "inferred" in li.find("span", cls="badge")[0].classes for li in items)
    # an asserted value on the same page carries no inferred badge: the zone's label, stated in a source graph
    label = english_label(site_app, subject)
    stated = [li for li in page.find("li") if li.text.startswith(label)]
    assert stated and not any(li.find(cls="inferred") for li in stated)


def test_a_fact_asserted_and_also_inferred_counts_as_asserted():
    from pilotkg.server.describe import Value, origin_of
    from pilotkg.server.site import Term

    both = Value(Term("iri", ID + "division/1"), {ID + "graph/source/x", INFERRED})
    only = Value(Term("iri", ID + "division/1"), {INFERRED})
    assert not both.inferred and [o.kind for o in both.origins] == ["source"]
    assert only.inferred
    assert origin_of(ID + "graph/curation/test").kind == "curated"
    assert origin_of(ID + "graph/source/001-e77d").href == "/id/source/001-e77d"


def test_values_show_the_graph_they_come_from(site, site_app, zone):
    graphs = {r["g"].value for r in rows(site_app, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{zone}> <{RDFS_LABEL}> ?l }} }}")}
    page = Page(site.get(path_of(zone)).text)
    titles = {b.attrs.get("title", "") for b in page.find(cls="graph")}
    for g in graphs - {INFERRED}:
        assert any(g in t for t in titles)


def test_properties_are_labelled_from_the_ontology(site, site_app, zone):
    props = rows(site_app, f"""SELECT DISTINCT ?p ?l WHERE {{ <{zone}> ?p ?o . ?p <{RDFS_LABEL}> ?l
        FILTER(LANG(?l) = "en") FILTER(?p != <{PK}evidence>) }}""")
    assert props
    dts = {dt.text for dt in Page(site.get(path_of(zone)).text).find("dt")}
    for r in props:
        assert any(r["l"].value in t for t in dts), r["p"].value


def test_inbound_links_are_listed_by_property(site, site_app, zone):
    inbound = rows(site_app, f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{zone}> }}")
    assert inbound
    section = Page(site.get(path_of(zone)).text).find("section", id="referenced-by")[0]
    hrefs = {a.attrs.get("href") for a in section.find("a")}
    for r in inbound:
        assert path_of(r["s"].value) in hrefs


def test_many_inbound_links_are_capped_with_a_count(site, site_app):
    busiest = rows(site_app, f"""SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{PK}theme> ?o }}
        GROUP BY ?o ORDER BY DESC(?n) LIMIT 1""")[0]
    theme, n = busiest["o"].value, int(busiest["n"].value)
    resp = site.get(path_of(theme))
    assert resp.status_code == 200
    text = Page(resp.text).find("section", id="referenced-by")[0].text
    assert f"({n})" in text
    if n > 25:
        assert f"and {n - 25} more" in text


def test_body_page_lists_its_responsibilities(site, site_app):
    body = rows(site_app, f"""SELECT ?b (COUNT(?r) AS ?n) WHERE {{ ?r <{PK}body> ?b }} GROUP BY ?b ORDER BY DESC(?n) LIMIT 1""")[0]
    page = Page(site.get(path_of(body["b"].value)).text)
    table = page.find("section", id="responsibilities")[0].find("tbody")[0]
    assert len(table.find("tr")) >= int(body["n"].value)


def test_programme_page_lists_its_zones(site, site_app):
    programme = rows(site_app, f"""SELECT ?p (COUNT(DISTINCT ?z) AS ?n) WHERE {{ ?p a <{PK}PilotProgramme> ; <{PK}hasZone> ?z }}
        GROUP BY ?p ORDER BY DESC(?n) LIMIT 1""")[0]
    section = Page(site.get(path_of(programme["p"].value)).text).find("section", id="zones")[0]
    assert len(section.find("tbody")[0].find("tr")) == int(programme["n"].value)


def test_zh_label_is_shown_beside_the_title(site, site_app):
    found = rows(site_app, f"""SELECT ?s ?zh WHERE {{ ?s a <{PK}ResponsibleBody> ; <{RDFS_LABEL}> ?zh FILTER(LANG(?zh) = "zh") }}
        ORDER BY ?s LIMIT 1""")[0]
    page = Page(site.get(path_of(found["s"].value)).text)
    assert page.find(cls="zh-label")[0].text == found["zh"].value
    assert found["zh"].value not in page.find("h1")[0].text


def test_theme_role_and_policy_type_pages(site, site_app):
    for base in ("theme/", "role/", "policy-type/"):
        iri = rows(site_app, f'SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{SITE}{base}")) }} LIMIT 1')[0]["s"].value
        resp = site.get(path_of(iri))
        assert resp.status_code == 200 and Page(resp.text).find("h1")[0].text == english_label(site_app, iri)


def test_source_resource_page_counts_facts_and_links_to_its_text(site, site_app):
    src = rows(site_app, f"SELECT ?s WHERE {{ ?s a <{PK}SourceDocument> }} ORDER BY ?s LIMIT 1")[0]["s"].value
    doc = src[len(ID + "source/"):]
    spans = int(rows(site_app, f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e <{OA}hasSource> <{src}> }}")[0]["n"].value)
    facts = int(rows(site_app, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ID}graph/source/{doc}> {{ ?s ?p ?o }} }}")[0]["n"].value)
    page = Page(site.get(path_of(src)).text)
    glance = page.find("section", cls="glance")[0]
    assert f"{facts} triples" in glance.text and f"{spans} quoted passages" in glance.text
    assert f"/source/{doc}" in {a.attrs.get("href") for a in glance.find("a")}


def test_evidence_node_page_shows_its_own_quote(site, site_app, zone):
    ev = evidence_of(site_app, zone)[0]
    page = Page(site.get(path_of(ev["ev"].value)).text)
    items = page.find("li", cls="evidence")
    assert len(items) == 1 and items[0].find(cls="quote")[0].text == ev["exact"].value
    assert path_of(zone) in {a.attrs.get("href") for a in page.find("section", id="referenced-by")[0].find("a")}


def test_named_graph_page_and_its_content(site, site_app):
    graph = rows(site_app, f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{ID}graph/source/")) }} LIMIT 1')[0]["g"].value
    n = int(rows(site_app, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"].value)
    page = site.get(path_of(graph))
    assert page.status_code == 200 and str(n) in Page(page.text).find("dl")[0].text
    nq = site_app.test_client().get(path_of(graph) + ".nq")
    ds = rdflib.Dataset()
    ds.parse(data=nq.data, format="nquads")
    assert len(ds) == n and {str(c.identifier) for c in ds.graphs() if len(c)} == {graph}


# --- content negotiation -------------------------------------------------------------------------

FORMATS = [("text/turtle", ".ttl", "turtle"), ("application/ld+json", ".jsonld", "json-ld"),
           ("application/n-triples", ".nt", "nt"), ("application/rdf+xml", ".rdf", "xml")]


@pytest.mark.parametrize("media,suffix,rdflib_format", FORMATS)
def test_rdf_forms_hold_the_resource_and_its_evidence(site_app, zone, media, suffix, rdflib_format):
    client = site_app.test_client()
    by_accept = client.get(path_of(zone), headers={"Accept": media})
    assert by_accept.status_code == 200 and by_accept.mimetype == media
    assert "Accept" in by_accept.headers.get("Vary", "")
    by_suffix = client.get(path_of(zone) + suffix)
    assert by_suffix.status_code == 200 and by_suffix.mimetype == media and by_suffix.data == by_accept.data
    graph = rdflib.Graph()
    graph.parse(data=by_accept.data, format=rdflib_format)
    assert subject_triples(site_app, zone) <= set(graph)
    for ev in evidence_of(site_app, zone):  # the quotes travel with the description
        assert (None, rdflib.URIRef(OA + "exact"), rdflib.Literal(ev["exact"].value)) in graph
        assert (rdflib.URIRef(ev["ev"].value), rdflib.URIRef(OA + "hasSource"), rdflib.URIRef(ev["src"].value)) in graph
    assert not any(isinstance(t, rdflib.BNode) for triple in graph for t in triple)
    assert not list(graph.triples((None, None, rdflib.URIRef(zone))))  # statements as subject only


def test_quad_forms_keep_the_graph_names(site_app, zone):
    client = site_app.test_client()
    graphs = {r["g"].value for r in rows(site_app, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{zone}> ?p ?o }} }}")}
    for media, fmt in (("application/n-quads", "nquads"), ("application/trig", "trig")):
        resp = client.get(path_of(zone), headers={"Accept": media})
        assert resp.status_code == 200 and resp.mimetype == media
        ds = rdflib.Dataset()
        ds.parse(data=resp.data, format=fmt)
        named = {str(c.identifier) for c in ds.graphs() if len(c)}
        assert graphs <= named


def test_html_for_browsers_and_links_to_the_rdf_forms(site, zone):
    resp = site.get(path_of(zone))
    assert resp.mimetype == "text/html" and "Accept" in resp.headers["Vary"]
    link = resp.headers["Link"]
    for media in ("text/turtle", "application/ld+json", "application/n-triples"):
        assert f'type="{media}"' in link
    alternates = {e.attrs.get("type"): e.attrs.get("href") for e in Page(resp.text).find("link") if e.attrs.get("rel") == "alternate"}
    assert alternates["text/turtle"] == path_of(zone) + ".ttl"


def test_accept_quality_values_decide(site_app, zone):
    client = site_app.test_client()
    assert client.get(path_of(zone), headers={"Accept": "text/html;q=0.5, text/turtle"}).mimetype == "text/turtle"
    assert client.get(path_of(zone), headers={"Accept": "application/ld+json;q=0.9, text/html"}).mimetype == "text/html"
    assert client.get(path_of(zone), headers={"Accept": "*/*"}).mimetype == "text/turtle"


def test_not_acceptable(site_app, zone):
    resp = site_app.test_client().get(path_of(zone), headers={"Accept": "image/png"})
    assert resp.status_code == 406 and "text/turtle" in resp.text and "Accept" in resp.headers["Vary"]


# --- not found and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/id/zone/no-such-zone", "/id/body/no-such-body", "/theme/no-such-theme",
                                  "/role/nobody", "/policy-type/nothing", "/id/graph/no-such-graph"])
def test_unknown_iris_are_404(site, site_app, path):
    page = site.get(path)
    assert page.status_code == 404 and page.mimetype == "text/html" and "no triple" in page.text
    plain = site_app.test_client().get(path, headers={"Accept": "text/turtle"})
    assert plain.status_code == 404 and plain.mimetype == "text/plain"
    assert site.get(path + ".ttl").status_code == 404


def test_malformed_iri_path_is_400(site):
    resp = site.get("/id/zone/a%20b")
    assert resp.status_code == 400 and "IRI" in resp.text


@pytest.mark.parametrize("path", ["/source/no-such-source", "/source/no-such-source.txt", "/source/a%3Cb"])
def test_unknown_sources_are_404(site, site_app, path):
    assert site.get(path).status_code == 404
    assert site_app.test_client().get(path).status_code == 404


# --- sources ------------------------------------------------------------------------------------


def test_sources_page_lists_every_source_with_its_counts(site, site_app):
    counts = {r["s"].value: int(r["n"].value) for r in rows(site_app, f"""SELECT ?s (COUNT(DISTINCT ?e) AS ?n)
        WHERE {{ ?s a <{PK}SourceDocument> . OPTIONAL {{ ?e <{OA}hasSource> ?s }} }} GROUP BY ?s""")}
    assert counts
    page = Page(site.get("/sources").text)
    table_rows = page.find("table", id="sources")[0].find("tbody")[0].find("tr")
    assert len(table_rows) == len(counts)
    for src, n in counts.items():
        doc = src[len(ID + "source/"):]
        row = next(r for r in table_rows if f"/source/{doc}" in {a.attrs.get("href") for a in r.find("a")})
        assert str(n) == row.find("td", cls="num")[0].text.strip()


def test_source_page_lists_the_evidence_spans_of_the_text(site, site_app):
    src = rows(site_app, f"SELECT ?s WHERE {{ ?s a <{PK}SourceDocument> }} ORDER BY ?s LIMIT 1")[0]["s"].value
    spans = rows(site_app, f"""SELECT DISTINCT ?start ?end WHERE {{ ?e <{OA}hasSource> <{src}> ; <{OA}hasSelector> ?p .
        ?p <{OA}start> ?start ; <{OA}end> ?end }}""")
    page = Page(site.get("/source/" + src[len(ID + "source/"):]).text)
    hrefs = {a.attrs["href"] for a in page.find("a", cls="span-link")}
    assert {f"#char={r['start'].value},{r['end'].value}" for r in spans} <= hrefs
    assert page.find("span", cls="ev")  # the quoted passages are marked in the text
    assert not page.find(cls="text-status") or "ok" in page.find(cls="text-status")[0].classes


def test_text_route_is_exact_and_carries_its_digest(site_app):
    import base64
    import hashlib

    src = rows(site_app, f"SELECT ?s ?sha WHERE {{ ?s a <{PK}SourceDocument> ; <{PK}sha256> ?sha }} ORDER BY ?s LIMIT 1")[0]
    resp = site_app.test_client().get("/source/" + src["s"].value[len(ID + "source/"):] + ".txt")
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert hashlib.sha256(resp.data).hexdigest() == src["sha"].value
    assert resp.headers["Repr-Digest"] == "sha-256=:" + base64.b64encode(hashlib.sha256(resp.data).digest()).decode() + ":"


# --- texts the server does not hold, or holds changed ----------------------------------------------


CURATED = ID + "graph/curation/resource-pages-test"


@pytest.fixture(scope="module")
def odd_sources(built, tmp_path_factory):
    """A copy of the data with a curated source whose text is not held, one naming a missing file,
    one whose recorded digest is wrong, and one whose file name tries to leave the texts folder."""
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("odd-sources") / "data")
    with serving(data) as app:
        store = app.extensions["pilotkg"].store
        real = rows(app, f"SELECT ?s ?f WHERE {{ ?s <{PK}fileName> ?f }} ORDER BY ?s LIMIT 1")[0]["f"].value
        store.update(f"""INSERT DATA {{ GRAPH <{CURATED}> {{
            <{ID}source/curated-note> a <{PK}SourceDocument> ; <{RDFS_LABEL}> "A curator's note"@en .
            <{ID}evidence/curated-note/0-5> a <{PK}Evidence> ; <{OA}hasSource> <{ID}source/curated-note> ;
                <{OA}hasSelector> <{ID}evidence/curated-note/0-5/quote>, <{ID}evidence/curated-note/0-5/position> .
            <{ID}evidence/curated-note/0-5/quote> <{OA}exact> "Hello" .
            <{ID}evidence/curated-note/0-5/position> <{OA}start> 0 ; <{OA}end> 5 .
            <{ID}zone/curated-test-zone> a <{PK}PilotZone> ; <{RDFS_LABEL}> "Curated test zone"@en ;
                <{PK}evidence> <{ID}evidence/curated-note/0-5> .
            <{ID}source/missing-file> a <{PK}SourceDocument> ; <{PK}fileName> "no-such-file.txt" .
            <{ID}source/wrong-digest> a <{PK}SourceDocument> ; <{PK}fileName> "{real}" ; <{PK}sha256> "{'0' * 64}" .
            <{ID}source/escape> a <{PK}SourceDocument> ; <{PK}fileName> "../pyproject.toml" .
        }} }}""")
        yield app


def test_curated_source_without_text_says_so(odd_sources):
    client = odd_sources.test_client()
    page = client.get("/source/curated-note", headers={"Accept": BROWSER})
    assert page.status_code == 200 and "does not hold its text" in page.text
    parsed = Page(page.text)
    assert not parsed.find("pre", id="source-text") and "Hello" in parsed.find("table", id="evidence-spans")[0].text
    assert client.get("/source/curated-note.txt").status_code == 404
    zone = Page(client.get("/id/zone/curated-test-zone", headers={"Accept": BROWSER}).text)
    assert [a.attrs["href"] for a in zone.find("a", cls="evidence-link")] == ["/source/curated-note#char=0,5"]
    assert "curated" in {b.text for b in zone.find(cls="graph")}


def test_missing_and_changed_texts_are_flagged(odd_sources):
    client = odd_sources.test_client()
    missing = client.get("/source/missing-file", headers={"Accept": BROWSER})
    assert missing.status_code == 200 and "does not hold the file no-such-file.txt" in missing.text
    changed = client.get("/source/wrong-digest", headers={"Accept": BROWSER})
    assert changed.status_code == 200 and "not the text the graph was built from" in changed.text
    assert Page(changed.text).find("pre", id="source-text")  # still shown
    escape = client.get("/source/escape", headers={"Accept": BROWSER})
    assert escape.status_code == 200 and "[build-system]" not in escape.text
    assert client.get("/source/escape.txt").status_code == 404
    listing = Page(client.get("/sources", headers={"Accept": BROWSER}).text).find("table", id="sources")[0].text
    assert "not held here" in listing and "changed" in listing


# --- the text model -------------------------------------------------------------------------------


def test_render_text_keeps_astral_characters_crs_and_markup_exact():
    from pilotkg.server.describe import Span
    from pilotkg.server.texts import parse_char
    from pilotkg.server.views.sources import render_text

    text = "A 𝟘 <b>&amp;\r\nzone 𝌆 end"
    spans = [Span("e1", 2, 9, None), Span("e2", 4, 16, None)]
    start = text.index("zone")
    html = str(render_text(text, spans, parse_char(f"{start},{start + 4}", len(text))))
    page = Page(f'<pre id="source-text">\n{html}</pre>')
    assert source_text_of(page) == text
    assert "\r" not in html and html.count("&#13;") == 1
    assert page.find("mark", id="highlight")[0].text == "zone"
    astral = str(render_text(text, [], parse_char("2,3", len(text))))
    assert Page(astral).find("mark", id="highlight")[0].text == "𝟘"


def test_parse_char_grammar():
    from pilotkg.server.texts import FragmentError, parse_char

    assert (parse_char("3,7", 10).start, parse_char("3,7", 10).end) == (3, 7)
    assert parse_char("char=3", 10).position
    assert (parse_char(",4", 10).start, parse_char("4,", 10).end) == (0, 10)
    assert parse_char("1,2;length=10", 10).length == 10
    for bad in ("x", "3-7", "7,3", "11", "0,11", "1,2;length=x", ",", ""):
        with pytest.raises(FragmentError):
            parse_char(bad, 10)


def test_load_text_checks_digest_and_refuses_paths(tmp_path):
    import hashlib

    from pilotkg.server.texts import TEXT_CHANGED, TEXT_MISSING, TEXT_NOT_HELD, TEXT_OK, load_text

    (tmp_path / "a.txt").write_bytes("zone 𝟘\r\n".encode("utf-8"))
    digest = hashlib.sha256((tmp_path / "a.txt").read_bytes()).hexdigest()
    ok = load_text("a.txt", digest, tmp_path)
    assert ok.status == TEXT_OK and ok.text == "zone 𝟘\r\n" and ok.message is None
    assert load_text("a.txt", "0" * 64, tmp_path).status == TEXT_CHANGED
    assert load_text("b.txt", digest, tmp_path).status == TEXT_MISSING
    assert load_text("../a.txt", digest, tmp_path / "sub").status == TEXT_MISSING
    assert load_text(None, None, tmp_path).status == TEXT_NOT_HELD


# --- speed (reported, not asserted: budgets live in the benchmarks) ---------------------------------


def test_page_times_are_reported(site, site_app, zone, capsys):
    body = rows(site_app, f"SELECT ?b WHERE {{ ?b a <{PK}ResponsibleBody> }} ORDER BY ?b LIMIT 1")[0]["b"].value
    report = []
    for path in (path_of(zone), path_of(body)):
        site.get(path)
        times = []
        for _ in range(9):
            started = time.perf_counter()
            assert site.get(path).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
        report.append(f"{path}: median {statistics.median(times):.1f} ms")
    with capsys.disabled():
        print("\n" + "\n".join(report))
