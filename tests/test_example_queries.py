"""Example queries as first-class objects: the ``.rq`` files and their loader, the
``/queries`` pages, their parameters (options from the graph, checked values), downloads
and permalinks."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pilotkg.graph.resources import queries_dir
from pilotkg.graph.sparql_safety import replace_variables, variable_tokens
from pilotkg.graph.store_file import run_query
from pilotkg.server.examples import ExampleQueryError, load_examples, parse_example
from pilotkg.server.workers import QueryTimeout

ID = "https://w3id.org/pilotkg/id/"
EXAMPLES = load_examples(queries_dir())
REQUIRED_TYPES = {"province", "body", "theme", "year", "policy", "programme", "source", "role"}
IRI_TYPES = ("province", "body", "theme", "policy", "programme", "source", "role", "zone")


# --- a small reader of the pages' HTML --------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the tests look at: elements by id, links, the result table's rows
    and the options of each <select>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict] = {}
        self.links: list[dict] = []
        self.rows: list[list[str]] = []
        self.headings: list[str] = []
        self.selects: dict[str, list[tuple[str, str, bool]]] = {}
        self.inputs: dict[str, dict] = {}
        self.inline_scripts = 0
        self.style_attributes = 0
        self.handler_attributes = 0
        self._in_results = False
        self._section = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._option_text: list[str] = []
        self._text_target: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a:
            self.style_attributes += 1
        if any(name.startswith("on") for name in a):
            self.handler_attributes += 1
        if tag == "script" and "src" not in a:
            self.inline_scripts += 1
        if tag == "style":
            self.inline_scripts += 1
        if "id" in a:
            self.ids[a["id"]] = {"tag": tag, **a, "text": ""}
            self._text_target = self.ids[a["id"]]
        if tag == "a":
            self.links.append(a)
        if tag == "table" and a.get("id") == "results":
            self._in_results = True
        if self._in_results:
            if tag in ("thead", "tbody"):
                self._section = tag
            elif tag == "tr":
                self._row = []
            elif tag in ("td", "th"):
                self._cell = []
        if tag == "select":
            self._select = a.get("name")
            self.selects[self._select] = []
        if tag == "option" and self._select is not None:
            self._option = (a.get("value", ""), "selected" in a)
            self._option_text = []
        if tag == "input" and "name" in a:
            self.inputs[a["name"]] = a

    def handle_endtag(self, tag):
        if tag == "table" and self._in_results:
            self._in_results = False
        if self._in_results:
            if tag in ("td", "th") and self._cell is not None and self._row is not None:
                self._row.append(" ".join("".join(self._cell).split()))
                self._cell = None
            elif tag == "tr" and self._row is not None:
                (self.headings.extend if self._section == "thead" else self.rows.append)(self._row)
                self._row = None
        if tag == "option" and self._option is not None:
            value, selected = self._option
            self.selects[self._select].append((value, "".join(self._option_text).strip(), selected))
            self._option = None
        if tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._option is not None:
            self._option_text.append(data)
        if self._text_target is not None:
            self._text_target["text"] += data

    def selected(self, name: str) -> str | None:
        return next((v for v, _label, sel in self.selects.get(name, []) if sel), None)

    def href(self, element_id: str) -> str:
        return self.ids[element_id]["href"]


def get_page(site, url: str, status: int = 200) -> Page:
    response = site.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:2000])
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def store_rows(store, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT on the built dataset, as dicts of the bound values."""
    solutions = run_query(store, query)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def values(store, query: str, var: str = "v") -> set[str]:
    return {row[var] for row in store_rows(store, query) if var in row}


@pytest.fixture
def no_query_runs(site_app, monkeypatch):
    """Fails the test if a query goes to the worker pool."""
    calls = []
    service = site_app.extensions["pilotkg"]
    monkeypatch.setattr(service, "run_query", lambda *a, **k: calls.append(a) or pytest.fail(f"a query ran: {a[0][:200]}"))
    return calls


# --- the files -------------------------------------------------------------------------------------


def test_at_least_twelve_queries_cover_the_required_questions_and_types():
    assert len(EXAMPLES) >= 12
    for name in ("task-bodies", "programme-zones-by-province", "tasks-by-theme", "approve-or-implement",
                 "programmes-in-year", "declared-zone-shortfall", "facts-of-a-sentence"):
        assert name in EXAMPLES, name
    types = {p.type.name for q in EXAMPLES.values() for p in q.params}
    assert REQUIRED_TYPES <= types
    for q in EXAMPLES.values():
        assert q.title and q.description and q.topic
        for p in q.params:
            assert p.label and p.description, (q.name, p.name)


def test_each_file_runs_as_written_with_the_parameters_unbound(dataset_store):
    """A file is plain SPARQL: run as it is (``$x`` unbound), it parses and runs; its PREFIX lines are its own."""
    for q in EXAMPLES.values():
        assert q.body.lstrip().upper().startswith("PREFIX"), q.name
        list(run_query(dataset_store, q.body))  # parses and runs


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """#+ title: Zones of a province
#+ description: The zones in a province.
#+ params:
#+   province:
#+     type: province
#+     label: Province
#+     default: https://w3id.org/pilotkg/id/division/510000
PREFIX pk: <https://w3id.org/pilotkg/ontology#>
SELECT ?zone WHERE { ?zone pk:inProvince $province }
"""


def test_loader_reads_a_good_file(tmp_path):
    write(tmp_path, "zones.rq", GOOD)
    [(name, query)] = load_examples(tmp_path).items()
    assert name == "zones" and query.title == "Zones of a province"
    assert [p.name for p in query.params] == ["province"] and query.params[0].type.name == "province"
    assert query.fill({"province": "<urn:x>"}).endswith("SELECT ?zone WHERE { ?zone pk:inProvince <urn:x> }\n")


@pytest.mark.parametrize("text, expected", [
    ("PREFIX pk: <https://w3id.org/pilotkg/ontology#>\nSELECT * WHERE { ?s ?p ?o }\n", "no front matter"),
    ("#+ title: [unclosed\n#+ description: x\nSELECT * WHERE { ?s ?p ?o }\n", "not valid YAML"),
    ("#+ - a list\nSELECT * WHERE { ?s ?p ?o }\n", "must be a YAML mapping"),
    ("#+ title: T\n#+ description: D\n#+ author: me\nSELECT * WHERE { ?s ?p ?o }\n", "unknown front matter key(s) author"),
    ("#+ description: D\nSELECT * WHERE { ?s ?p ?o }\n", "needs a title"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   p:\n#+     type: colour\n#+     default: red\n"
     "SELECT * WHERE { ?s ?p $p }\n", "unknown type 'colour'"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   p:\n#+     type: body\n"
     "SELECT * WHERE { ?s ?p $p }\n", "a default is required"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   p:\n#+     type: body\n#+     default: not an iri\n"
     "SELECT * WHERE { ?s ?p $p }\n", "must be a full IRI"),
    ("#+ title: T\n#+ description: D\nSELECT * WHERE { ?s ?p $body }\n", "$body is used in the query but not declared"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   body:\n#+     type: body\n#+     default: urn:b\n"
     "SELECT * WHERE { ?s ?p ?o }\n", "parameter body is declared but the query never uses $body"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   body:\n#+     type: body\n#+     default: urn:b\n"
     "SELECT ?body WHERE { ?s ?p $body }\n", "also written ?body"),
    ("#+ title: T\n#+ description: D\nASK { ?s ?p ?o }\n", "must be a SELECT query"),
    ("#+ title: T\n#+ description: D\nSELECT * WHERE { ?s ?p ?o . ?s ?p }",  # the line counts the front matter
     "does not parse as written: line 3, column 36"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   body:\n#+     type: body\n#+     default: urn:b\n"
     "SELECT * WHERE { ?s ?p ?o BIND(?o AS $body) }\n", "does not parse with its parameters filled in"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   n:\n#+     type: integer\n#+     default: 5\n#+     max: 3\n"
     "SELECT * WHERE { ?s ?p ?o FILTER(?o > $n) }\n", "the default is not allowed"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   s:\n#+     type: sentence\n#+     default: urn:e\n"
     "SELECT * WHERE { $s ?p ?o }\n", "type sentence needs 'source'"),
    ("#+ title: T\n#+ description: D\n#+ params:\n#+   y:\n#+     type: year\n#+     default: 2020\n"
     "SELECT * WHERE { ?s ?p ?o FILTER(?o<$y&&$y>?o) }\n", "put spaces around < and >"),
    ("#+ title: T\n#+ description: D\nSELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }\n",
     "SERVICE is not allowed"),
])
def test_loader_names_the_file_and_the_fault(tmp_path, text, expected):
    write(tmp_path, "good.rq", GOOD)
    write(tmp_path, "broken.rq", text)
    with pytest.raises(ExampleQueryError) as err:
        load_examples(tmp_path)
    assert str(err.value).startswith("broken.rq: ")
    assert expected in str(err.value)


def test_loader_refuses_a_file_name_that_cannot_be_a_url(tmp_path):
    with pytest.raises(ExampleQueryError, match=r"My Query\.rq: the file name must be lower-case"):
        parse_example(write(tmp_path, "My Query.rq", GOOD))


def test_substitution_touches_only_variable_tokens():
    query = ('SELECT ?x WHERE { ?x <http://example.org/p> $p .  # $p in a comment\n'
             '  FILTER(?x != "$p" && ?x != \'$p\' && ?x != """a $p b""" && ?x != <http://example.org/$p>)\n'
             '  ?x ex:a\\$p $pp . BIND($p AS ?y) }')
    filled = replace_variables(query, {"p": "<urn:value>"})
    assert filled == query.replace("<http://example.org/p> $p", "<http://example.org/p> <urn:value>").replace(
        "BIND($p AS", "BIND(<urn:value> AS")
    assert [(sigil, name) for sigil, name, *_ in variable_tokens(query) if sigil == "$"] == [("$", "p"), ("$", "pp"), ("$", "p")]
    for sigil, name, start, end in variable_tokens(query):
        assert query[start:end] == sigil + name


def test_a_file_with_dollar_words_in_strings_and_comments_fills_only_the_variable(tmp_path):
    text = GOOD.replace("SELECT ?zone WHERE { ?zone pk:inProvince $province }",
                        '# $province is the province\nSELECT ?zone ("$province" AS ?note) WHERE { ?zone pk:inProvince $province }')
    query = parse_example(write(tmp_path, "zones.rq", text))
    filled = query.fill({"province": "<urn:p>"})
    assert "# $province is the province" in filled and '("$province" AS ?note)' in filled
    assert filled.count("<urn:p>") == 1


# --- the pages: every query, with its defaults ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_query_gives_rows_with_its_defaults(site, name, dataset_store):
    page = get_page(site, f"/queries/{name}")
    assert "query-params" in page.ids and page.ids["query-params"]["tag"] == "form"
    assert page.rows, f"{name} gave no rows with its defaults"
    for p in EXAMPLES[name].params:
        assert p.name in page.selects or p.name in page.inputs, (name, p.name)
    # the table holds what the store gives for the same filled-in query
    editor = urlsplit(page.href("open-in-editor"))
    assert editor.path == "/sparql"
    filled = parse_qs(editor.query)["query"][0]
    assert "$" not in "".join(n for s, n, *_ in variable_tokens(filled) if s == "$")
    assert len(page.rows) == len(store_rows(dataset_store, filled))
    assert page.ids["result-count"]["text"].strip().startswith(f"{len(page.rows)} row")
    assert page.inline_scripts == 0 and page.style_attributes == 0 and page.handler_attributes == 0


def test_index_links_every_query(site):
    page = get_page(site, "/queries")
    links = {a["href"] for a in page.links if "example-query" in a.get("class", "").split()}
    assert links == {f"/queries/{name}" for name in EXAMPLES}
    listing = site.get("/queries.json").get_json()
    assert {q["name"] for q in listing} == set(EXAMPLES)
    by_name = {q["name"]: q for q in listing}
    assert [p["name"] for p in by_name["facts-of-a-sentence"]["params"]] == ["source", "sentence"]


def test_raw_file_is_served_as_sparql_query(site):
    response = site.get("/queries/zones-in-province.rq")
    assert response.status_code == 200 and response.mimetype == "application/sparql-query"
    assert response.get_data(as_text=True) == (queries_dir() / "zones-in-province.rq").read_text(encoding="utf-8")


@pytest.mark.parametrize("url", ["/queries/no-such-query", "/queries/no-such-query.csv", "/queries/no-such-query.rq"])
def test_unknown_query_is_404(site, url):
    response = site.get(url)
    assert response.status_code == 404
    assert "no-such-query" in response.get_data(as_text=True)


# --- options from the graph --------------------------------------------------------------------------

OPTION_MEMBERS = {
    "province": "SELECT DISTINCT ?v WHERE { ?z a pk:PilotZone ; pk:inProvince ?v }",
    "body": "SELECT DISTINCT ?v WHERE { ?v a pk:ResponsibleBody }",
    "theme": "SELECT DISTINCT ?v WHERE { ?v skos:inScheme pk:ReformThemes }",
    "policy": "SELECT DISTINCT ?v WHERE { ?v a pk:Policy }",
    "programme": "SELECT DISTINCT ?v WHERE { ?v a pk:PilotProgramme }",
    "source": "SELECT DISTINCT ?v WHERE { ?v a pk:SourceDocument }",
    "role": "SELECT DISTINCT ?v WHERE { ?v skos:inScheme pk:ResponsibilityRoles }",
    "zone": "SELECT DISTINCT ?v WHERE { ?v a pk:PilotZone }",
}


def _query_with_type(type_name: str) -> tuple[str, str]:
    for q in EXAMPLES.values():
        for p in q.params:
            if p.type.name == type_name:
                return q.name, p.name
    raise AssertionError(f"no example query has a parameter of type {type_name}")


@pytest.mark.parametrize("type_name", IRI_TYPES)
def test_options_of_each_type_come_from_the_graph_sorted_by_label(site, dataset_store, type_name):
    name, param = _query_with_type(type_name)
    page = get_page(site, f"/queries/{name}")
    options = page.selects[param]
    assert options, f"no options for {type_name}"
    assert {v for v, _l, _s in options} == values(dataset_store, OPTION_MEMBERS[type_name])
    labels = [label for _v, label, _s in options]
    assert labels == sorted(labels, key=str.casefold)
    assert all(label and not label.startswith("http") for label in labels)
    assert sum(1 for *_x, selected in options if selected) == 1


def test_province_options_show_english_and_chinese_names(site, dataset_store):
    page = get_page(site, "/queries/zones-in-province")
    names = store_rows(dataset_store, """SELECT ?v ?en ?zh WHERE { ?z pk:inProvince ?v .
        ?v rdfs:label ?en , ?zh FILTER(LANG(?en) = "en" && LANG(?zh) = "zh") }""")
    expected = {(r["v"], f"{r['en']} ({r['zh']})") for r in names}
    assert {(v, label) for v, label, _s in page.selects["province"]} == expected
    assert ("https://w3id.org/pilotkg/id/division/510000", "Sichuan (四川省)") in expected


def test_year_options_span_the_programme_periods(site, dataset_store):
    page = get_page(site, "/queries/programmes-in-year")
    years = [int(v) for v, _l, _s in page.selects["year"]]
    assert years == list(range(years[0], years[-1] + 1))
    dated = store_rows(dataset_store, """SELECT (YEAR(?d) AS ?y) WHERE {
        ?p a pk:PilotProgramme . { ?p pk:startDate|pk:endDate ?d } UNION { ?p pk:hasBatch/pk:approvedOn ?d } }""")
    stated = {int(r["y"]) for r in dated if "y" in r}
    assert years[0] <= min(stated) and years[-1] == max(stated)
    for year in (years[0], years[-1]):  # each end of the span gives rows
        assert get_page(site, f"/queries/programmes-in-year?year={year}").rows


def test_sentence_options_are_the_evidence_quotes_of_the_chosen_source(site, dataset_store):
    sources = values(dataset_store, OPTION_MEMBERS["source"])
    other = sorted(s for s in sources if not s.endswith("001-e77d55302f611b21"))[0]
    options = site.get("/queries/facts-of-a-sentence/options/sentence?" + urlencode({"source": other})).get_json()
    expected = values(dataset_store, f"SELECT ?v WHERE {{ ?v a pk:Evidence ; oa:hasSource <{other}> }}")
    assert {o["value"] for o in options} == expected
    starts = [int(re.match(r"(\d+)–", o["label"]).group(1)) for o in options]
    assert starts == sorted(starts)  # text order
    # the page offers the same list when that source is chosen, and runs with its first sentence
    page = get_page(site, "/queries/facts-of-a-sentence?" + urlencode({"source": other, "sentence": options[0]["value"]}))
    assert [v for v, _l, _s in page.selects["sentence"]] == [o["value"] for o in options]
    assert page.rows


def test_options_endpoint_refuses_bad_requests(site):
    assert site.get("/queries/facts-of-a-sentence/options/nothing").status_code == 404
    assert site.get("/queries/no-such/options/sentence").status_code == 404
    bad = site.get("/queries/facts-of-a-sentence/options/sentence?source=urn:nope")
    assert bad.status_code == 400 and "source" in bad.get_data(as_text=True)
    assert site.get("/queries/facts-of-a-sentence/options/sentence?colour=red").status_code == 400
    assert site.get("/queries/programmes-in-year/options/year").status_code == 400


# --- parameters change the results -----------------------------------------------------------------


def zone_links(page: Page) -> set[str]:
    return {a["href"] for a in page.links if a.get("href", "").startswith("/id/zone/")}


def test_two_provinces_give_their_own_zones(site, dataset_store):
    for code in ("510000", "320000"):
        province = f"{ID}division/{code}"
        page = get_page(site, "/queries/zones-in-province?" + urlencode({"province": province}))
        expected = values(dataset_store, f"SELECT DISTINCT ?v WHERE {{ ?v a pk:PilotZone ; pk:inProvince <{province}> }}")
        assert expected and zone_links(page) == {"/id/zone/" + z.rsplit("/", 1)[1] for z in expected}
        assert page.selected("province") == province


def test_programme_zones_follow_the_programme(site, dataset_store):
    seen = []
    for slug in ("national-urban-rural-integration-pilot-zones", "sichuan-county-integrated-reform-pilot"):
        programme = f"{ID}programme/{slug}"
        page = get_page(site, "/queries/programme-zones-by-province?" + urlencode({"programme": programme}))
        expected = values(dataset_store, f"SELECT DISTINCT ?v WHERE {{ <{programme}> pk:hasZone|pk:hasBatch/pk:hasZone ?v }}")
        assert zone_links(page) == {"/id/zone/" + z.rsplit("/", 1)[1] for z in expected}
        seen.append(zone_links(page))
    assert seen[0] != seen[1]


def test_year_changes_the_programmes(site):
    early = get_page(site, "/queries/programmes-in-year?year=2014")
    late = get_page(site, "/queries/programmes-in-year?year=2021")
    assert len(early.rows) < len(late.rows)
    assert {r[0] for r in early.rows} < {r[0] for r in late.rows}


def test_theme_changes_the_tasks(site, dataset_store):
    for slug in ("land", "culture"):
        theme = f"https://w3id.org/pilotkg/theme/{slug}"
        page = get_page(site, "/queries/tasks-by-theme?" + urlencode({"theme": theme}))
        expected = values(dataset_store, f"SELECT DISTINCT ?v WHERE {{ ?v a pk:ReformTask ; pk:theme <{theme}> }}")
        tasks = {a["href"] for a in page.links if a.get("href", "").startswith("/id/task/")}
        assert {"/id/task/" + t.split("/id/task/")[1] for t in expected} <= tasks
        assert len(page.rows) == len(expected)


def test_a_string_parameter_is_a_safe_literal(site, dataset_store):
    page = get_page(site, "/queries/task-wording?" + urlencode({"phrase": "Homestead"}))
    expected = values(dataset_store, """SELECT DISTINCT ?v WHERE { ?v a pk:ReformTask ; rdfs:label ?l .
        OPTIONAL { ?v pk:taskText ?t } FILTER(CONTAINS(LCASE(?l), "homestead") || CONTAINS(LCASE(COALESCE(?t, "")), "homestead")) }""")
    tasks = {a["href"] for a in page.links if a.get("href", "").startswith("/id/task/")}
    assert expected and tasks == {"/id/" + t.split("/id/", 1)[1] for t in expected}
    tricky = get_page(site, "/queries/task-wording?" + urlencode({"phrase": '") } ; DROP ALL #'}))
    filled = parse_qs(urlsplit(tricky.href("open-in-editor")).query)["query"][0]
    assert 'LCASE("\\") } ; DROP ALL #")' in filled
    assert tricky.rows == []


def test_facts_of_a_sentence_link_to_the_highlighted_quote(site, dataset_store):
    page = get_page(site, "/queries/facts-of-a-sentence")
    sentence = page.selected("sentence")
    start, end = map(int, sentence.rsplit("/", 1)[1].split("-"))
    quote_links = [a["href"] for a in page.links if "evidence-link" in a.get("class", "")]
    assert f"/source/001-e77d55302f611b21#char={start},{end}" in quote_links
    for href in quote_links:
        s, e = map(int, href.split("#char=")[1].split(","))
        assert start <= s and e <= end
    facts = values(dataset_store, f"""SELECT DISTINCT ?v WHERE {{ ?v pk:evidence ?e . ?e oa:hasSource ?src ;
        oa:hasSelector ?p . ?p oa:start ?s ; oa:end ?end . <{sentence}> oa:hasSource ?src ; oa:hasSelector ?q .
        ?q oa:start ?qs ; oa:end ?qe . FILTER(?s >= ?qs && ?end <= ?qe) }}""")
    shown = {a["href"] for a in page.links if a.get("href", "").startswith("/id/") and "/id/evidence/" not in a["href"]}
    assert {"/id/" + f.split("/id/", 1)[1] for f in facts} <= shown


# --- bad values: 400, and nothing runs ---------------------------------------------------------------

INJECTION = 'x> } ; DROP ALL #'


@pytest.mark.parametrize("url, param, words", [
    ("/queries/zones-in-province?" + urlencode({"province": INJECTION}), "province", "not one of the"),
    ("/queries/zones-in-province?" + urlencode({"province": ID + "division/110112"}), "province", "not one of the"),
    ("/queries/zones-in-province?" + urlencode({"province": ""}), "province", "not one of the"),
    ("/queries/task-bodies?" + urlencode({"policy": ID + "zone/hejiang-county"}), "policy", "not one of the"),
    ("/queries/programmes-in-year?year=abc", "year", "must be a four-digit year"),
    ("/queries/programmes-in-year?year=1900", "year", "outside the programmes' periods"),
    ("/queries/programmes-in-year?year=2021&year=2022", "year", "given 2 times"),
    ("/queries/programmes-in-year?" + urlencode({"year": "2021) } DROP ALL #"}), "year", "four-digit year"),
    ("/queries/joint-zones?min_divisions=0", "min_divisions", "between 1 and 100"),
    ("/queries/joint-zones?min_divisions=2.5", "min_divisions", "whole number"),
    ("/queries/joint-zones?" + urlencode({"min_divisions": "2 } ; DROP ALL #"}), "min_divisions", "whole number"),
    ("/queries/task-wording?phrase=" + "x" * 101, "phrase", "longer than 100"),
    ("/queries/task-wording?phrase=", "phrase", "must not be empty"),
    ("/queries/zones-in-province?colour=red", "colour", "unknown parameter 'colour'"),
    ("/queries/objectives?year=2020", "year", "takes no parameters"),
    ("/queries/facts-of-a-sentence?" + urlencode({"sentence": ID + "evidence/002-89772ce1b764b33e/271-301"}),
     "sentence", "of https://w3id.org/pilotkg/id/source/001-e77d55302f611b21"),
])
def test_bad_values_are_400_naming_the_parameter(site, no_query_runs, url, param, words):
    page = get_page(site, url, status=400)
    errors = page.ids["query-error"]["text"]
    assert words in errors and param in errors
    assert page.rows == [] and "results" not in page.ids
    for link in ("open-in-editor", "permalink", "download-csv", "download-json"):
        assert link not in page.ids  # they would lead to other values than the ones asked for
    assert no_query_runs == []


def test_bad_values_in_downloads_are_plain_400(site, no_query_runs):
    for url in ("/queries/zones-in-province.csv?" + urlencode({"province": INJECTION}),
                "/queries/programmes-in-year.json?year=abc"):
        response = site.get(url)
        assert response.status_code == 400 and response.mimetype == "text/plain"
        assert "province" in response.get_data(as_text=True) or "year" in response.get_data(as_text=True)
    assert no_query_runs == []


def test_the_400_page_keeps_the_form_usable(site):
    page = get_page(site, "/queries/zones-in-province?" + urlencode({"province": INJECTION}), status=400)
    assert page.ids["param-province"].get("aria-invalid") == "true"
    default = EXAMPLES["zones-in-province"].params[0].default
    assert page.selected("province") == default
    assert INJECTION not in [v for v, _l, _s in page.selects["province"]]


# --- failures of the run ------------------------------------------------------------------------------


def test_a_timeout_is_a_503_page_with_a_message(site, site_app, monkeypatch):
    def too_slow(*_args, **_kwargs):
        raise QueryTimeout("the query ran past the time limit of 10 s and was stopped")

    monkeypatch.setattr(site_app.extensions["pilotkg"], "run_query", too_slow)
    page = get_page(site, "/queries/zones-in-province", status=503)
    assert "time limit" in page.ids["query-error"]["text"]
    assert "Traceback" not in page.ids["query-error"]["text"]
    download = site.get("/queries/zones-in-province.csv")
    assert download.status_code == 503 and "time limit" in download.get_data(as_text=True)


def test_a_failing_query_is_a_500_without_a_traceback(site, site_app, monkeypatch):
    from pilotkg.server.workers import Outcome

    monkeypatch.setattr(site_app.extensions["pilotkg"], "run_query",
                        lambda *a, **k: Outcome("error", message="RuntimeError: boom\nTraceback (most recent call last)"))
    response = site.get("/queries/zones-in-province")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "could not be run" in text and "Traceback" not in text and "boom" not in text


def test_a_malformed_file_is_a_500_that_names_it(site, site_app, monkeypatch, tmp_path):
    from pilotkg.server.views import queries as view

    write(tmp_path, "broken.rq", "#+ title: T\n#+ description: D\nSELECT * WHERE { ?s ?p $nowhere }\n")
    monkeypatch.setattr(view, "queries_dir", lambda: tmp_path)
    monkeypatch.delitem(site_app.extensions, "pilotkg.examples", raising=False)
    try:
        response = site.get("/queries")
        assert response.status_code == 500
        assert "broken.rq: $nowhere is used in the query but not declared" in response.get_data(as_text=True)
    finally:
        site_app.extensions.pop("pilotkg.examples", None)  # the next request reads the real folder again


# --- downloads and permalinks ------------------------------------------------------------------------


def test_downloads_have_the_rows_of_the_page(site):
    params = urlencode({"province": ID + "division/510000"})
    page = get_page(site, f"/queries/zones-in-province?{params}")
    assert page.href("download-csv") == f"/queries/zones-in-province.csv?{params}"
    assert page.href("download-json") == f"/queries/zones-in-province.json?{params}"

    csv = site.get(page.href("download-csv"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.headers["Content-Disposition"] == 'attachment; filename="pilotkg-zones-in-province-province-510000.csv"'
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0].split(",")[:2] == ["zone", "zoneLabel"]  # downloads keep the label columns
    assert len(lines) - 1 == len(page.rows)
    assert "成都市" in csv.get_data(as_text=True)

    data = site.get(page.href("download-json"))
    assert data.status_code == 200 and data.mimetype == "application/sparql-results+json"
    assert data.headers["Content-Disposition"] == 'attachment; filename="pilotkg-zones-in-province-province-510000.json"'
    bindings = data.get_json()["results"]["bindings"]
    assert len(bindings) == len(page.rows)
    assert {b["zone"]["value"] for b in bindings} == {ID + h[len("/id/"):] for h in zone_links(page)}


def test_downloads_by_accept_header(site):
    client = site.application.test_client()
    response = client.get("/queries/joint-zones", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    response = client.get("/queries/joint-zones", headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.get_json()["head"]["vars"][0] == "zone"


def test_permalink_names_every_parameter_and_reproduces_the_page(site):
    page = get_page(site, "/queries/facts-of-a-sentence")
    permalink = page.href("permalink")
    args = parse_qs(urlsplit(permalink).query)
    assert set(args) == {"source", "sentence"} and all(len(v) == 1 for v in args.values())
    again = get_page(site, permalink)
    assert again.rows == page.rows and again.headings == page.headings
    assert again.href("permalink") == permalink


def test_permalink_of_a_changed_value(site):
    url = "/queries/joint-zones?min_divisions=3"
    page = get_page(site, url)
    assert page.href("permalink") == url
    assert page.inputs["min_divisions"]["value"] == "3"
    assert len(page.rows) < len(get_page(site, "/queries/joint-zones").rows)


def test_open_in_editor_carries_the_filled_query(site):
    province = ID + "division/320000"
    page = get_page(site, "/queries/zones-in-province?" + urlencode({"province": province}))
    editor = urlsplit(page.href("open-in-editor"))
    query = parse_qs(editor.query)["query"][0]
    assert f"pk:inProvince <{province}>" in query and "$province" not in query
    assert query.startswith("PREFIX ")
