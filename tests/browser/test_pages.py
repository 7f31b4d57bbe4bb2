"""Every page for people renders in headless Chromium: status 200, the site's layout, an h1, no
console error, no uncaught script error and no request leaving 127.0.0.1 (checked by the ``web``
fixture after each test)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from browser_helpers import CHAR_FRAGMENT, ID, PREFIXES, assert_page, local_path, path_of, source_slug, squash

from pilotkg.graph.resources import seeds_dir

SECTION_PAGES = [
    "/",
    "/sparql",
    "/queries",
    "/browse",
    "/browse/zones",
    "/browse/tasks",
    "/browse/bodies",
    "/sources",
    "/ontology",
    "/shapes",
    "/validate",
    "/downloads",
]


@pytest.mark.parametrize("path", SECTION_PAGES)
def test_section_page_renders(web, path):
    page = web.open(path)
    assert_page(page, path)


def test_home_links_to_every_section(web, server):
    page = web.open("/")
    hrefs = {path_of(a.get_attribute("href")) for a in page.locator("a[href]").all()}
    missing = [p for p in SECTION_PAGES[1:] if p not in hrefs]
    assert not missing, f"the home page does not link to {missing}"
    broken = []
    for href in sorted(h for h in hrefs if h.startswith("/")):
        status = server.get(href, headers={"Accept": "text/html"}).status_code
        if status != 200:
            broken.append(f"{href} → {status}")
    assert not broken, "links on the home page that do not answer 200: " + ", ".join(broken)


def test_home_counts_timeline_and_map(web, server):
    page = web.open("/")
    cards = page.locator(".cards .card")
    assert cards.count() >= 6 and cards.first.is_visible(), "no .cards with the counts"
    shown = [(squash(c.locator(".n").first.inner_text()).replace(",", ""), squash(c.inner_text()).lower())
             for c in cards.all() if c.locator(".n").count()]
    for cls, word in (("PilotProgramme", "programme"), ("PilotZone", "zone"), ("ReformTask", "task"),
                      ("ResponsibleBody", "bod"), ("Responsibility", "responsibilit"), ("SourceDocument", "source")):
        n = server.select(PREFIXES + f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a pk:{cls} }}")[0]["n"]
        assert any(number == n and word in text for number, text in shown), \
            f"no card says {n} for pk:{cls} ({word}…); the cards say {shown}"
    timeline = page.locator("svg#timeline")
    assert timeline.count() == 1 and timeline.is_visible(), "no visible svg#timeline"
    zone_map = page.locator("svg#zone-map")
    assert zone_map.count() == 1 and zone_map.is_visible(), "no visible svg#zone-map"
    placed = int(server.select(PREFIXES + """
        PREFIX wgs: <http://www.w3.org/2003/01/geo/wgs84_pos#>
        SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE { ?z a pk:PilotZone ; pk:coversDivision ?d . ?d wgs:lat ?lat }""")[0]["n"])
    marks = zone_map.locator("circle").count()
    assert marks >= placed > 0 or placed == 0, f"svg#zone-map has {marks} circles for {placed} zones with a located division"


def test_search_results_page_renders(web, samples):
    word = max(samples.labels[samples.zone].replace(",", " ").split(), key=len)
    page = web.open(f"/search?q={word}")
    assert_page(page, f"/search?q={word}")


@pytest.mark.parametrize("kind", ["zone", "body", "task", "policy", "programme", "batch"])
def test_resource_page_shows_label_and_evidence(web, server, samples, kind):
    iri = samples.kinds[kind]
    path = local_path(iri)
    page = web.open(path)
    h1 = assert_page(page, path)
    label = samples.labels.get(iri)
    assert label, f"{iri} has no English label in the graph"
    assert squash(label) in h1, f"{path}: the h1 {h1!r} does not show the English label {label!r}"
    expected = {
        f"/source/{source_slug(r['src'])}#char={r['start']},{r['end']}": r["quote"]
        for r in server.select(PREFIXES + f"""
            SELECT ?src ?start ?end ?quote WHERE {{
              <{iri}> pk:evidence ?e . ?e oa:hasSource ?src ; oa:hasSelector ?pos , ?q .
              ?pos oa:start ?start ; oa:end ?end . ?q oa:exact ?quote }}""")
    }
    links = {}
    for item in page.locator("li.evidence").all():
        link = item.locator("a.evidence-link").first
        href = link.get_attribute("href")
        parts = urlsplit(href)
        links[parts.path + "#" + parts.fragment] = squash(item.locator(".quote").first.inner_text())
    assert set(links) == set(expected), (
        f"{path}: evidence links on the page {sorted(links)} differ from the graph's evidence {sorted(expected)}")
    for href, quote in expected.items():
        assert squash(quote) in links[href], f"{path}: the quote for {href} is {links[href]!r}, expected {quote!r}"
    for href in links:
        assert CHAR_FRAGMENT.match(href.split("#", 1)[1]), f"{path}: {href} is not an RFC 5147 char= link"


def test_resource_page_marks_inferred_facts(web, server, samples):
    iri = samples.zone
    inferred = server.select(PREFIXES + f"""
        SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ID}graph/inferred> {{ <{iri}> ?p ?o }} }}""")
    if int(inferred[0]["n"]) == 0:
        pytest.skip(f"{iri} has no inferred triple")
    page = web.open(local_path(iri))
    assert page.locator(".badge.inferred").count() >= 1, f"{local_path(iri)}: no inferred fact carries .badge.inferred"


def test_resource_page_shows_chinese_label(web, samples):
    iri, chinese = samples.chinese_body
    page = web.open(local_path(iri))
    assert_page(page, local_path(iri))
    assert chinese in page.locator("main").inner_text(), f"{local_path(iri)}: the Chinese label {chinese} is not shown"


def test_source_page_shows_the_text(web, server, samples):
    name = server.select(PREFIXES + f"SELECT ?f WHERE {{ <{samples.source}> pk:fileName ?f }}")[0]["f"]
    text = (seeds_dir() / name).read_text(encoding="utf-8")
    path = f"/source/{source_slug(samples.source)}"
    page = web.open(path)
    assert_page(page, path)
    shown = page.locator("#source-text")
    assert shown.count() == 1, f"{path}: no #source-text"
    first_line = next(line for line in text.splitlines() if line.strip())
    assert squash(first_line) in squash(shown.inner_text()), f"{path}: the text does not start as {name} does"


def test_sources_page_lists_every_source(web, server):
    docs = [r["doc"] for r in server.select(PREFIXES + "SELECT ?doc WHERE { ?doc a pk:SourceDocument } ORDER BY ?doc")]
    page = web.open("/sources")
    hrefs = {path_of(a.get_attribute("href")) for a in page.locator("main a[href]").all()}
    missing = [d for d in docs if f"/source/{source_slug(d)}" not in hrefs and local_path(d) not in hrefs]
    assert not missing, f"/sources does not link to {missing}"


def test_every_example_query_returns_rows(web, server):
    page = web.open("/queries")
    assert_page(page, "/queries")
    hrefs = [a.get_attribute("href") for a in page.locator("a.example-query").all()]
    assert len(hrefs) >= 12, f"/queries lists {len(hrefs)} example queries (a.example-query); the issue asks for at least 12"
    failures = []
    for href in dict.fromkeys(path_of(h) for h in hrefs):
        try:
            web.open(href, page=page)
            assert_page(page, href)
            for selector in ("table#results", "a#permalink", "a#download-csv", "a#download-json", "a#open-in-editor"):
                assert page.locator(selector).count() == 1, f"no {selector}"
            page.locator("table#results tbody tr").first.wait_for(state="attached", timeout=5_000)
            rows = page.locator("table#results tbody tr").count()
            csv = server.http.get(page.locator("a#download-csv").evaluate("a => a.href"), timeout=60)
            assert csv.status_code == 200 and csv.headers.get("Content-Type", "").startswith("text/csv"), \
                f"the CSV download answered {csv.status_code} {csv.headers.get('Content-Type')}"
            lines = [line for line in csv.text.splitlines() if line.strip()]
            assert len(lines) >= rows + 1, f"the CSV download has {len(lines) - 1} rows, the table {rows}"
            js = server.http.get(page.locator("a#download-json").evaluate("a => a.href"), timeout=60)
            assert js.status_code == 200 and "json" in js.headers.get("Content-Type", ""), \
                f"the JSON download answered {js.status_code} {js.headers.get('Content-Type')}"
        except Exception as err:  # collect them all: one report names every query that fails
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            failures.append(f"{href}: {first}")
    assert not failures, "example queries that fail:\n  " + "\n  ".join(failures)
