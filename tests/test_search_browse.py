"""Search (/search) and faceted browsing (/browse): what a researcher would check.

Expected values come from the graph (SPARQL through the app's own store), never from lists
written here: the zone found by its label and by its alias, a body by its Chinese name, a
division by its pinyin, facet counts against an independent COUNT query, and the 400 page for
every bad parameter.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from pilotkg.server import facets, search
from pilotkg.server.site import local_path

PREFIXES = """PREFIX pk: <https://w3id.org/pilotkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
GROUP_ORDER = ["Pilot zones", "Pilot programmes and batches", "Policies", "Responsible bodies", "Reform tasks",
               "Administrative divisions", "Responsibilities", "Objectives", "Source documents", "Other"]


# --- a small HTML tree, enough to read the pages as a browser test would ------------------------


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None" = None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def html(self) -> str:
        """The inner HTML as parsed, marks kept (enough to see what was highlighted)."""
        out = []
        for c in self.children:
            if isinstance(c, str):
                out.append(c.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            else:
                out.append(f"<{c.tag}>{c.html()}</{c.tag}>")
        return "".join(out)

    def all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list["Node"]:
        found = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and (cls is None or cls in c.classes) and all(
                        c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                    found.append(c)
                found.extend(c.all(tag, cls, **attrs))
        return found

    def first(self, tag: str | None = None, cls: str | None = None, **attrs) -> "Node":
        found = self.all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}> in the page"
        return found[0]


VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(response) -> Node:
    builder = TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


def squash(text: str) -> str:
    return " ".join(text.split())


# --- the graph, as the test sees it --------------------------------------------------------------


@pytest.fixture(scope="module")
def sparql(site_app):
    select = search.store_select(site_app.extensions["pilotkg"])

    def run(query: str) -> list[dict]:
        return select(PREFIXES + query)

    return run


def hits_by_group(page: Node) -> dict[str, list[Node]]:
    groups = {}
    for section in page.all("section", "result-group"):
        title = squash(section.first("h2").text())
        groups[title] = section.all("li", "hit")
    return groups


def group_titled(groups: dict[str, list[Node]], name: str) -> list[Node]:
    for title, hits in groups.items():
        if title.startswith(name):
            return hits
    return []


def hit_paths(hits: list[Node]) -> list[str]:
    return [h.first("a", "hit-link").attrs["href"] for h in hits]


def searched(site, q: str) -> Node:
    response = site.get("/search?q=" + quote(q))
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return parse(response)


# --- search: English ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zone_with_alias(sparql):
    """A zone whose alias has a word its label lacks (so that only the alias can match it)."""
    rows = sparql("""SELECT ?zone ?label ?alias WHERE { ?zone a pk:PilotZone ; rdfs:label ?label ; skos:altLabel ?alias .
                     FILTER(LANG(?label) = "en") } ORDER BY ?zone ?alias""")
    for row in rows:
        label_words = {w.lower() for w in row["label"].value.replace(",", " ").split()}
        extra = [w for w in row["alias"].value.replace(",", " ").split()
                 if len(w) > 3 and not any(lw.startswith(w.lower()[:4]) for lw in label_words)]
        if extra:
            return row["zone"].value, row["label"].value, row["alias"].value
    pytest.skip("no zone has an alias with a word its label lacks")


def test_english_search_finds_a_zone_by_its_label_first(site, zone_with_alias):
    zone, label, _alias = zone_with_alias
    page = searched(site, label)
    zones = group_titled(hits_by_group(page), "Pilot zones")
    assert zones, f"searching {label!r} gives no pilot zone"
    assert hit_paths(zones)[0] == local_path(zone), "the exact label match is not the first zone"
    marked = " ".join(m.text() for m in zones[0].all("mark"))
    assert all(w in marked for w in label.replace(",", " ").split()), marked


def test_english_search_is_case_insensitive_and_matches_word_starts(site, zone_with_alias):
    zone, label, _alias = zone_with_alias
    word = max(label.replace(",", " ").split(), key=len)
    page = searched(site, word[:4].upper())
    assert local_path(zone) in hit_paths(group_titled(hits_by_group(page), "Pilot zones"))


def test_english_search_finds_a_zone_by_its_alias(site, zone_with_alias):
    zone, _label, alias = zone_with_alias
    page = searched(site, alias)
    zones = group_titled(hits_by_group(page), "Pilot zones")
    hit = next((h for h in zones if h.first("a", "hit-link").attrs["href"] == local_path(zone)), None)
    assert hit is not None, f"searching the alias {alias!r} does not find {zone}"
    match = hit.first("div", "match")
    assert squash(match.first("span", "field").text()) == "alias"
    marked = " ".join(m.text() for m in match.all("mark"))
    assert all(w in marked for w in alias.replace(",", " ").split()), marked


def test_plural_finds_singular(site, sparql):
    rows = sparql("""SELECT ?d ?label WHERE { ?d a pk:CountyLevelDivision ; rdfs:label ?label .
                     FILTER(LANG(?label) = "en" && CONTAINS(?label, "County")) } ORDER BY ?d LIMIT 1""")
    if not rows:
        pytest.skip("no county-level division named '... County'")
    page = searched(site, "counties")
    assert local_path(rows[0]["d"].value) in hit_paths(group_titled(hits_by_group(page), "Administrative divisions"))


def test_task_text_is_searched(site, sparql):
    row = sparql("""SELECT ?task ?text WHERE { ?task a pk:ReformTask ; pk:taskText ?text ; rdfs:label ?label .
                    FILTER(STRLEN(?text) > 200) } ORDER BY ?task LIMIT 1""")[0]
    words = [w.strip(".,;()") for w in row["text"].value.split()]
    rare = [w for w in words[-30:] if len(w) > 6 and w.isalpha()][-2:]
    page = searched(site, " ".join(rare))
    assert local_path(row["task"].value) in hit_paths(group_titled(hits_by_group(page), "Reform tasks"))


# --- search: Chinese and pinyin -----------------------------------------------------------------


@pytest.fixture(scope="module")
def chinese_bodies(sparql):
    rows = sparql("""SELECT ?body ?zh WHERE { ?body a pk:ResponsibleBody ; rdfs:label ?zh .
                     FILTER(LANGMATCHES(LANG(?zh), "zh")) } ORDER BY ?body""")
    if not rows:
        pytest.skip("no body has a Chinese label")
    return [(r["body"].value, r["zh"].value) for r in rows]


def test_chinese_name_finds_the_body(site, chinese_bodies):
    for body, zh in chinese_bodies:
        page = searched(site, zh)
        bodies = group_titled(hits_by_group(page), "Responsible bodies")
        assert bodies and hit_paths(bodies)[0] == local_path(body), f"{zh} does not find {body} first"
        assert zh in squash(bodies[0].text())
        assert "".join(m.text() for m in bodies[0].all("mark")) == zh


def test_a_jieba_word_of_a_chinese_name_finds_the_body(site, chinese_bodies):
    segmenter = search.segmenter()
    tried = 0
    for body, zh in chinese_bodies:
        words = [w for w in segmenter.cut(zh) if len(w) >= 2 and w != zh]
        for word in words[:2]:
            tried += 1
            page = searched(site, word)
            assert local_path(body) in hit_paths(group_titled(hits_by_group(page), "Responsible bodies")), \
                f"the word {word} of {zh} does not find {body}"
    assert tried, "no Chinese name splits into words"


def test_chinese_query_made_of_words_that_are_not_adjacent(site, sparql):
    """发展改革 finds 国家发展和改革委员会 (和 between the words): every body whose Chinese name holds
    both words is found; and the abbreviation 发改 (first characters) finds them too."""
    rows = sparql("""SELECT DISTINCT ?body WHERE { ?body a pk:ResponsibleBody ; rdfs:label ?zh .
                     FILTER(CONTAINS(?zh, "发展") && CONTAINS(?zh, "改革")) }""")
    if not rows:
        pytest.skip("no Chinese name with 发展 and 改革")
    expected = {local_path(r["body"].value) for r in rows}
    for q in ("发展改革", "发改"):
        found = set(hit_paths(group_titled(hits_by_group(searched(site, q)), "Responsible bodies")))
        assert expected <= found, f"{q} misses {expected - found}"


def test_chinese_query_across_names_of_one_zone(site, sparql):
    """四川成都-style queries: the province and a covered division, in one run of characters."""
    row = sparql("""SELECT ?zone ?province ?city WHERE { ?zone a pk:PilotZone ; pk:inProvince ?p ; pk:coversDivision ?d .
                    ?p rdfs:label ?province . ?d rdfs:label ?city . ?d a pk:PrefectureLevelDivision .
                    FILTER(LANG(?province) = "zh" && LANG(?city) = "zh") } ORDER BY ?zone LIMIT 1""")
    if not row:
        pytest.skip("no zone covering a prefecture with Chinese names")
    province, city = row[0]["province"].value, row[0]["city"].value
    q = province.rstrip("省市") + city.rstrip("市")
    page = searched(site, q)
    assert local_path(row[0]["zone"].value) in hit_paths(group_titled(hits_by_group(page), "Pilot zones")), q


@pytest.fixture(scope="module")
def division_reading(sparql):
    from pypinyin import Style, lazy_pinyin

    rows = sparql("""SELECT ?d ?zh WHERE { ?d a pk:PrefectureLevelDivision ; rdfs:label ?zh .
                     FILTER(LANG(?zh) = "zh" && STRLEN(?zh) = 3) } ORDER BY ?d LIMIT 1""")
    if not rows:
        pytest.skip("no three-character Chinese division name")
    zh = rows[0]["zh"].value
    plain = lazy_pinyin(zh[:2])
    toned = lazy_pinyin(zh[:2], style=Style.TONE)
    return rows[0]["d"].value, zh, plain, toned


@pytest.mark.parametrize("form", ["joined", "spaced", "toned", "capitalised"])
def test_pinyin_finds_the_division(site, division_reading, form):
    division, zh, plain, toned = division_reading
    q = {"joined": "".join(plain), "spaced": " ".join(plain), "toned": "".join(toned),
         "capitalised": "".join(toned).capitalize()}[form]
    page = searched(site, q)
    hits = group_titled(hits_by_group(page), "Administrative divisions")
    hit = next((h for h in hits if h.first("a", "hit-link").attrs["href"] == local_path(division)), None)
    assert hit is not None, f"{q!r} does not find {zh} ({division})"
    if form == "spaced":  # only the pinyin can match two separate syllables
        assert "pinyin" in squash(hit.text())
        assert "".join(m.text() for m in hit.first("span", "zh").all("mark")) == zh[:2]


# --- search: grouping, highlighting, formats, bad input ----------------------------------------


def test_results_are_grouped_by_class_in_a_fixed_order(site, sparql):
    page = searched(site, "reform")
    groups = hits_by_group(page)
    assert len(groups) >= 3
    titles = [t.rsplit(" ", 1)[0] for t in groups]
    assert titles == sorted(titles, key=GROUP_ORDER.index)
    for section in page.all("section", "result-group"):
        count = int(section.first("h2").first("span", "count").text())
        hits = section.all("li", "hit")
        assert count == len(hits) or (count > len(hits) and section.all("p", "more"))
        assert all(h.all("mark") for h in hits), "a hit without highlighted text"
    classes = {"Pilot zones": "pk:PilotZone", "Policies": "pk:Policy", "Reform tasks": "pk:ReformTask",
               "Responsible bodies": "pk:ResponsibleBody", "Source documents": "pk:SourceDocument",
               "Responsibilities": "pk:Responsibility", "Objectives": "pk:Objective"}
    for name, cls in classes.items():
        paths = hit_paths(group_titled(groups, name))
        if paths:
            values = " ".join(f"<https://w3id.org/pilotkg{p}>" for p in paths)
            typed = sparql(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?s {{ {values} }} ?s a {cls} }}")
            assert int(typed[0]["n"].value) == len(paths), f"{name} holds resources that are not {cls}"


def test_highlight_escapes_html_and_marks_matches():
    text = 'Zone <b>"A"</b> & <script>x</script> Area'
    html = str(search.highlight(text, [(0, 4), (37, 41)]))
    assert html == ('<mark>Zone</mark> &lt;b&gt;&#34;A&#34;&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt; '
                    '<mark>Area</mark>')
    long_text = "word " * 200 + "needle " + "word " * 200
    start = long_text.index("needle")
    cut = str(search.highlight(long_text, [(start, start + 6)], limit=120))
    assert "<mark>needle</mark>" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) < 200


def test_crafted_entries_of_an_index_are_escaped_and_ranked():
    index = search.SearchIndex()
    docs = [("x:1", "Alpha <i>&</i> Beta", "label"), ("x:2", "Gamma Alpha", "label"), ("x:3", "Beta", "alias")]
    for n, (iri, text, kind) in enumerate(docs):
        index.documents.append(search.Document(iri, f"/id/x/{n}", text, None, "other", ""))
        index.add(search.analyse(n, kind, kind, text))
    index.freeze()
    results = index.search("alpha")
    hits = results.groups[0][1]
    assert [h.document.iri for h in hits] == ["x:1", "x:2"]
    assert str(hits[0].fields[0].html) == "<mark>Alpha</mark> &lt;i&gt;&amp;&lt;/i&gt; Beta"
    beta = index.search("beta").groups[0][1]
    assert [h.document.iri for h in beta] == ["x:3", "x:1"], "the exact alias should come before a label word"


def test_json_twin_has_the_same_hits(site, zone_with_alias):
    _zone, label, _alias = zone_with_alias
    page = searched(site, label)
    html_paths = [p for hits in hits_by_group(page).values() for p in hit_paths(hits)]
    for response in (site.get("/search?format=json&q=" + quote(label)),
                     site.get("/search?q=" + quote(label), headers={"Accept": "application/json"})):
        assert response.status_code == 200 and response.mimetype == "application/json"
        data = response.get_json()
        json_paths = [h["path"] for g in data["groups"] for h in g["hits"]]
        assert json_paths[: len(html_paths)] == html_paths
        assert data["total"] == len(json_paths)
        assert all("<mark>" in m["html"] for g in data["groups"] for h in g["hits"] for m in h["matches"])


def test_empty_query_shows_a_hint(site):
    for url in ("/search", "/search?q=", "/search?q=%20%20"):
        page = parse(site.get(url))
        assert page.all("div", "search-hint")
        assert not page.all("section", "result-group")


def test_punctuation_only_query_gives_no_results_and_no_error(site):
    response = site.get("/search?q=" + quote("!!! ??? ，。、"))
    assert response.status_code == 200
    page = parse(response)
    assert not page.all("li", "hit")
    assert "no words" in squash(page.first("main").text())


@pytest.mark.parametrize("url, message", [
    ("/search?q=" + "a" * 201, "the limit is 200"),
    ("/search?q=zone&hl=en", "unknown parameter 'hl'"),  # lang= is the site's (the page's language), not search's
    ("/search?q=zone&q=area", "more than once"),
    ("/search?q=zone&group=planets", "group='planets'"),
    ("/search?q=zone&format=xml", "format='xml'"),
])
def test_bad_search_requests_get_400_with_a_message(site, url, message):
    response = site.get(url)
    assert response.status_code == 400
    assert message in squash(parse(response).first("main").text())


def test_long_words_do_not_stall_the_search(site):
    """Words that look almost like numbered pinyin (letters, then a digit 6-9) are matched in
    linear time: a regular expression with nested repetition would take years on these."""
    response = site.get("/search?format=json&q=" + "a" * 150 + "9 " + "b" * 40 + "7")
    assert response.status_code == 200 and response.get_json()["total"] == 0


def test_bad_search_as_json(site):
    response = site.get("/search?format=json&q=" + "x" * 300)
    assert response.status_code == 400 and "limit is 200" in response.get_json()["error"]


def test_group_parameter_shows_one_group(site):
    page = searched(site, "reform")
    groups = hits_by_group(page)
    one = parse(site.get("/search?group=tasks&q=reform"))
    sections = one.all("section", "result-group")
    assert len(sections) == 1 and squash(sections[0].first("h2").text()).startswith("Reform tasks")
    assert hit_paths(sections[0].all("li", "hit"))[:5] == hit_paths(group_titled(groups, "Reform tasks"))[:5]


# --- the index follows writes -------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(built, tmp_path_factory):
    """An app over a copy of the data, with an alias full of markup written through a validated update."""
    from support import fresh_copy, serving

    copy = fresh_copy(built.data_dir, tmp_path_factory.mktemp("search-write") / "data")
    with serving(copy, query_timeout=10) as app:
        yield app


def test_index_is_rebuilt_after_a_write_and_escapes_what_was_written(written):
    service = written.extensions["pilotkg"]
    client = written.test_client()
    zone = search.store_select(service)(PREFIXES + "SELECT ?z WHERE { ?z a pk:PilotZone } ORDER BY ?z LIMIT 1")[0]["z"].value
    assert client.get("/search?format=json&q=zzyzx").get_json()["total"] == 0
    before = search.index_for(service)
    alias = 'Zzyzx <b>bold</b> & <script>alert("x")</script>'
    literal = alias.replace('"', '\\"')
    service.run_update(f"""INSERT DATA {{ GRAPH <https://w3id.org/pilotkg/id/graph/curation/search-test> {{
        <{zone}> <http://www.w3.org/2004/02/skos/core#altLabel> "{literal}"@en }} }}""")
    after = search.index_for(service)
    assert after is not before and after.generation == service.generation
    response = client.get("/search?q=zzyzx", headers={"Accept": "text/html"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in body and "<b>bold</b>" not in body
    assert "<mark>Zzyzx</mark> &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    page = parse(response)
    assert hit_paths(group_titled(hits_by_group(page), "Pilot zones")) == [local_path(zone)]
    inner = parse(client.get("/search?q=bold", headers={"Accept": "text/html"}))
    assert "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;" in inner.all("li", "hit")[0].html()


# --- browse: facets and counts ------------------------------------------------------------------


def facet_counts(page: Node, facet: str) -> dict[str, int]:
    """{value: count} of a facet: the value is read from the link that selects or removes it."""
    ul = page.first("ul", "facet", data_facet=facet)
    counts = {}
    for li in ul.all("li"):
        count = int(li.first("span", "count").text())
        links = li.all("a")
        if not links:
            assert count == 0, "a value with items but no link"
            continue
        query = parse_qs(urlsplit(links[0].attrs["href"]).query)
        chosen = set(query.get(facet, []))
        key = next(iter(chosen ^ set(page_selection(page).get(facet, []))))
        counts[key] = count
    return counts


def page_selection(page: Node) -> dict[str, list[str]]:
    json_link = page.first("a", id="export-json").attrs["href"]
    return {k: v for k, v in parse_qs(urlsplit(json_link).query).items() if k not in ("format", "sort", "page")}


def result_paths(page: Node) -> list[str]:
    table = page.all("table", id="results")
    if not table:
        return []
    return [row.all("td")[0].first("a").attrs["href"] for row in table[0].first("tbody").all("tr")]


def counted(rows: list[dict], key: str = "value") -> dict[str, int]:
    return {r[key].value: int(r["n"].value) for r in rows}


def browse(site, path: str) -> Node:
    response = site.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    return parse(response)


ZONE_PROGRAMME = "{ ?z pk:inProgramme ?programme . ?programme a pk:PilotProgramme } UNION " \
                 "{ ?z pk:inProgramme ?batch . ?batch pk:batchOf|^pk:hasBatch ?programme }"


def test_zone_facet_counts_equal_sparql_counts(site, sparql):
    page = browse(site, "/browse/zones")
    provinces = counted(sparql("""SELECT ?value (COUNT(DISTINCT ?z) AS ?n) WHERE {
        ?z a pk:PilotZone ; pk:inProvince ?value } GROUP BY ?value"""))
    assert provinces and {k: v for k, v in facet_counts(page, "province").items() if k != "none"} == provinces
    programmes = counted(sparql(f"""SELECT ?programme (COUNT(DISTINCT ?z) AS ?n) WHERE {{
        ?z a pk:PilotZone . {ZONE_PROGRAMME} }} GROUP BY ?programme"""), "programme")
    assert {k: v for k, v in facet_counts(page, "programme").items() if k != "none"} == programmes
    zones = int(sparql("SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE { ?z a pk:PilotZone }")[0]["n"].value)
    assert len(result_paths(page)) == zones


def test_zone_year_facet_is_the_year_of_designation(site, sparql):
    rows = sparql("""SELECT ?year (COUNT(DISTINCT ?z) AS ?n) WHERE {
        ?z a pk:PilotZone .
        { ?z pk:approvedOn ?d } UNION { ?z pk:inProgramme ?b . ?b a pk:PilotBatch ; pk:approvedOn ?d }
        UNION { ?z pk:designatedBy ?p . ?p pk:issuedOn ?d }
        FILTER(DATATYPE(?d) IN (xsd:date, xsd:dateTime, xsd:gYear, xsd:gYearMonth))
        BIND(SUBSTR(STR(?d), 1, 4) AS ?year) } GROUP BY ?year""")
    expected = {r["year"].value: int(r["n"].value) for r in rows}
    undated = int(sparql("""SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE { ?z a pk:PilotZone . FILTER NOT EXISTS {
        { ?z pk:approvedOn ?d } UNION { ?z pk:inProgramme ?b . ?b a pk:PilotBatch ; pk:approvedOn ?d }
        UNION { ?z pk:designatedBy ?p . ?p pk:issuedOn ?d }
        FILTER(DATATYPE(?d) IN (xsd:date, xsd:dateTime, xsd:gYear, xsd:gYearMonth)) } }""")[0]["n"].value)
    if undated:
        expected["none"] = undated
    page = browse(site, "/browse/zones")
    assert facet_counts(page, "year") == expected


def test_selecting_a_facet_value_narrows_results_and_other_counts(site, sparql):
    programme = sparql(f"""SELECT ?programme (COUNT(DISTINCT ?z) AS ?n) WHERE {{ ?z a pk:PilotZone . {ZONE_PROGRAMME} }}
                          GROUP BY ?programme ORDER BY DESC(?n) ?programme LIMIT 1""")[0]["programme"].value
    unselected = browse(site, "/browse/zones")
    page = browse(site, "/browse/zones?programme=" + quote(programme, safe=""))
    expected_zones = {local_path(r["z"].value) for r in sparql(f"""SELECT DISTINCT ?z WHERE {{
        ?z a pk:PilotZone . {ZONE_PROGRAMME} FILTER(?programme = <{programme}>) }}""")}
    assert set(result_paths(page)) == expected_zones
    assert f"{len(expected_zones)} of" in squash(page.first("p", "browse-summary").text())
    provinces = counted(sparql(f"""SELECT ?value (COUNT(DISTINCT ?z) AS ?n) WHERE {{
        ?z a pk:PilotZone ; pk:inProvince ?value . {ZONE_PROGRAMME} FILTER(?programme = <{programme}>) }} GROUP BY ?value"""))
    assert {k: v for k, v in facet_counts(page, "province").items() if v} == provinces
    # the facet's own counts ignore its own selection (a second value adds, OR)
    assert facet_counts(page, "programme") == facet_counts(unselected, "programme")
    selected = page.first("ul", "facet", data_facet="programme").all("li", "selected")
    assert len(selected) == 1
    removal = selected[0].first("a").attrs["href"]
    assert "programme=" not in removal, "the selected value's link should remove it"
    assert page.all("div", "selection"), "the selection is not shown with a way to remove it"


def test_two_values_of_one_facet_combine_with_or(site, sparql):
    rows = sparql("""SELECT ?value (COUNT(DISTINCT ?z) AS ?n) WHERE { ?z a pk:PilotZone ; pk:inProvince ?value }
                     GROUP BY ?value ORDER BY DESC(?n) ?value LIMIT 2""")
    if len(rows) < 2:
        pytest.skip("fewer than two provinces")
    a, b = rows[0]["value"].value, rows[1]["value"].value
    page = browse(site, f"/browse/zones?province={quote(a, safe='')}&province={quote(b, safe='')}")
    assert len(result_paths(page)) == int(sparql(f"""SELECT (COUNT(DISTINCT ?z) AS ?n) WHERE {{
        ?z a pk:PilotZone ; pk:inProvince ?p . VALUES ?p {{ <{a}> <{b}> }} }}""")[0]["n"].value)


def test_task_facets_combine_with_and(site, sparql):
    theme_counts = counted(sparql("""SELECT ?value (COUNT(DISTINCT ?t) AS ?n) WHERE {
        ?t a pk:ReformTask ; pk:theme ?value } GROUP BY ?value"""))
    page = browse(site, "/browse/tasks")
    assert {k: v for k, v in facet_counts(page, "theme").items() if k != "none"} == theme_counts
    roots = """?t pk:taskOf+ ?policy . { ?policy a pk:Policy } UNION { ?policy a pk:PilotProgramme }"""
    policy_counts = counted(sparql(f"""SELECT ?policy (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a pk:ReformTask . {roots} }}
                                      GROUP BY ?policy"""), "policy")
    assert {k: v for k, v in facet_counts(page, "policy").items() if k != "none"} == policy_counts
    policy = max(policy_counts, key=lambda p: (policy_counts[p], p))
    theme = sparql(f"""SELECT ?theme (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a pk:ReformTask ; pk:theme ?theme . {roots}
                       FILTER(?policy = <{policy}>) }} GROUP BY ?theme ORDER BY DESC(?n) ?theme LIMIT 1""")[0]["theme"].value
    both = browse(site, f"/browse/tasks?theme={quote(theme, safe='')}&policy={quote(policy, safe='')}")
    expected = {local_path(r["t"].value) for r in sparql(f"""SELECT DISTINCT ?t WHERE {{
        ?t a pk:ReformTask ; pk:theme <{theme}> . {roots} FILTER(?policy = <{policy}>) }}""")}
    assert set(result_paths(both)) == expected
    narrowed = counted(sparql(f"""SELECT ?value (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a pk:ReformTask ; pk:theme ?value .
        {roots} FILTER(?policy = <{policy}>) }} GROUP BY ?value"""))
    assert {k: v for k, v in facet_counts(both, "theme").items() if v and k != "none"} == narrowed


def test_body_roles_counts_and_columns(site, sparql):
    roles = counted(sparql("""SELECT ?value (COUNT(DISTINCT ?b) AS ?n) WHERE {
        ?b a pk:ResponsibleBody . ?r pk:body ?b ; pk:role ?value } GROUP BY ?value"""))
    bodies = int(sparql("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b a pk:ResponsibleBody }")[0]["n"].value)
    with_role = int(sparql("""SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b a pk:ResponsibleBody .
        ?r pk:body ?b ; pk:role ?x }""")[0]["n"].value)
    page = browse(site, "/browse/bodies")
    expected = dict(roles)
    if bodies > with_role:
        expected["none"] = bodies - with_role
    assert facet_counts(page, "role") == expected
    busiest = sparql("""SELECT ?b (COUNT(DISTINCT ?r) AS ?n) WHERE { ?b a pk:ResponsibleBody . ?r pk:body ?b }
                        GROUP BY ?b ORDER BY DESC(?n) LIMIT 1""")[0]
    ranked = browse(site, "/browse/bodies?sort=-responsibilities")
    rows = ranked.first("table", id="results").first("tbody").all("tr")
    numbers = [int(row.all("td")[-1].text()) for row in rows]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == int(busiest["n"].value)
    assert len(rows) == bodies


def test_sorting_by_label_both_ways(site):
    ascending = result_paths(browse(site, "/browse/zones"))
    descending = result_paths(browse(site, "/browse/zones?sort=-label"))
    assert descending == ascending[::-1]


def test_browse_index_counts(site, sparql):
    page = browse(site, "/browse")
    for name, cls in (("zones", "pk:PilotZone"), ("tasks", "pk:ReformTask"), ("bodies", "pk:ResponsibleBody")):
        n = int(sparql(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a {cls} }}")[0]["n"].value)
        card = page.first("section", id=f"browse-{name}")
        assert int(card.first("div", "n").text()) == n
        assert card.first("a").attrs["href"] == f"/browse/{name}"


def test_browse_json_twin(site, sparql):
    data = site.get("/browse/zones?format=json").get_json()
    assert data["total"] == len(data["results"])
    assert {f["name"] for f in data["facets"]} >= {"province", "programme"}
    html_counts = facet_counts(browse(site, "/browse/zones"), "province")
    json_counts = {v["value"]: v["count"] for f in data["facets"] if f["name"] == "province" for v in f["values"] if v["count"]}
    assert json_counts == html_counts


def test_facets_follow_new_data():
    """Facet values come from the graph: a catalogue over other rows has other values."""
    def select(query):
        from pilotkg.server.site import Term

        if query == facets.ZONES.items_query:
            return [{"item": Term("iri", "https://example.org/z1")}, {"item": Term("iri", "https://example.org/z2")}]
        if query == facets.ZONES.facets[0].query:
            return [{"item": Term("iri", "https://example.org/z1"), "value": Term("iri", "https://example.org/p9")}]
        return []

    catalogue = facets.load_catalogue(facets.ZONES, select)
    shown = facets.listing(catalogue, facets.Request())
    province = next(f for f in shown.facets if f.facet.name == "province")
    assert [(v.key, v.count) for v in province.values] == [("https://example.org/p9", 1), ("none", 1)]
    assert not any(f.facet.name == "year" for f in shown.facets), "a facet without values is hidden"


@pytest.mark.parametrize("url, status, message", [
    ("/browse/zones?province=Sichuan", 400, "is not a value of the facet 'province'"),
    ("/browse/zones?province=https%3A%2F%2Fw3id.org%2Fpilotkg%2Ftheme%2Fland", 400, "not a value of the facet"),
    ("/browse/tasks?theme=", 400, "is not a value of the facet 'theme'"),
    ("/browse/zones?year=1066", 400, "not a value of the facet 'year'"),
    ("/browse/zones?sort=colour", 400, "cannot sort by 'colour'"),
    ("/browse/zones?page=0", 400, "not a page number"),
    ("/browse/zones?page=99", 400, "past the last page"),
    ("/browse/zones?sort=label&sort=-label", 400, "more than once"),
    ("/browse/zones?format=xlsx", 400, "format='xlsx'"),
    ("/browse/planets", 404, "no browser called 'planets'"),
])
def test_bad_browse_parameters(site, url, status, message):
    response = site.get(url)
    assert response.status_code == status
    assert message in squash(parse(response).first("main").text())


def test_unknown_browse_parameters_are_ignored(site):
    for url in ("/browse?utm_source=wechat", "/browse/zones?colour=red&lang=zh"):
        assert site.get(url).status_code == 200
    plain = site.application.test_client()
    assert (plain.get("/browse/zones?format=json&utm_source=wechat").get_json()
            == plain.get("/browse/zones?format=json").get_json())


def test_bad_browse_parameter_as_json(site):
    response = site.get("/browse/bodies?format=json&role=nobody")
    assert response.status_code == 400
    assert "not a value of the facet 'role'" in response.get_json()["error"]


def test_pages_carry_no_inline_script_or_style(site):
    for url in ("/search?q=reform", "/browse", "/browse/zones", "/browse/tasks", "/browse/bodies"):
        body = site.get(url).get_data(as_text=True)
        assert "<script" not in body and "<style" not in body and " style=" not in body
        assert " onclick=" not in body.lower() and "search.css" in body
