"""Search works as well in Chinese as in English: a Chinese query finds what its English
counterpart finds, through the glossary (graph/reference/glossary.yaml, a SKOS scheme in the
reference graph), the Chinese names of divisions on the zones that cover them, pinyin and jieba
segmentation; and every reform task in the results says which policy it belongs to.

The measure, per pair (zh, en): A and B are the sets of the first N = 10 hits of each query, in
the order the page shows them (groups in order, ranked within); overlap = |A ∩ B| / max(|A|, |B|),
both non-empty. Every pair must reach 0.8. Dividing by the larger set is stricter than by the
smaller one (which would let a query finding 2 of the other's 20 pass): it fails a pair whose two
queries find very different numbers of results.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from pilotkg.graph.extract.gazetteer import GazetteerError
from pilotkg.graph.glossary import THEMES, load_glossary, parse_glossary
from pilotkg.server import search

N = 10
FLOOR = 0.8

# (Chinese query, English query): the pairs of the issue first, then terms of the seed texts.
PAIRS = [
    ("成都", "chengdu"),
    ("四川", "sichuan"),
    ("土地", "land"),
    ("宅基地", "homestead"),
    ("户籍", "household registration"),
    ("金融", "finance"),
    ("发改委", "NDRC"),
    ("承包地", "contracted land"),
    ("集体经营性建设用地", "collective construction land"),
    ("城乡融合", "urban-rural integration"),
    ("试验区", "pilot zone"),
    ("重庆", "chongqing"),
    ("浙江", "zhejiang"),
    ("北京", "beijing"),
    ("数据", "data"),
    ("农民收入", "farmer income"),
    ("公共服务", "public services"),
    ("基础设施", "infrastructure"),
    ("人才", "talent"),
    ("生态产品", "ecological products"),
    ("产权", "property rights"),
    ("保险", "insurance"),
    ("国务院", "State Council"),
    ("广东", "guangdong"),
    ("江苏", "jiangsu"),
    ("抵押", "mortgage"),
    ("技术", "technology"),
    ("乡村振兴", "rural revitalization"),
    ("四川 改革", "sichuan reform"),
    ("成都 试点", "chengdu pilot"),
    ("成都市", "Chengdu"),
]

PREFIXES = """PREFIX pk: <https://w3id.org/pilotkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@pytest.fixture(scope="module")
def index(site_app):
    return search.index_for(site_app.extensions["pilotkg"])


@pytest.fixture(scope="module")
def sparql(site_app):
    select = search.store_select(site_app.extensions["pilotkg"])
    return lambda query: select(PREFIXES + query)


def top(index, query: str, n: int = N) -> list[str]:
    results = index.search(query)
    return [hit.document.iri for _group, hits in results.groups for hit in hits][:n]


def overlap(a: list[str], b: list[str]) -> float:
    assert a and b, "both queries must find something"
    return len(set(a) & set(b)) / max(len(set(a)), len(set(b)))


@pytest.mark.parametrize("zh, en", PAIRS, ids=[f"{zh}|{en}" for zh, en in PAIRS])
def test_a_chinese_query_finds_what_its_english_counterpart_finds(index, zh, en):
    a, b = top(index, zh), top(index, en)
    assert overlap(a, b) >= FLOOR, f"{zh}: {a}\n{en}: {b}"


def test_there_are_enough_pairs():
    assert len(PAIRS) >= 20 and len({zh for zh, _ in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize("reading", ["chengdu", "cheng du", "Chéngdū", "cheng2du1", "CHENGDU"])
def test_pinyin_with_or_without_spaces_and_tones_finds_what_the_chinese_finds(index, reading):
    assert overlap(top(index, reading), top(index, "成都")) >= FLOOR


@pytest.mark.parametrize("reading, chinese", [("zhaijidi", "宅基地"), ("zhai ji di", "宅基地"), ("tudi", "土地"),
                                              ("hu4ji2", "户籍")])
def test_pinyin_of_a_glossary_term_finds_what_the_term_finds(index, reading, chinese):
    assert overlap(top(index, reading), top(index, chinese)) >= FLOOR


def test_a_run_of_chinese_is_segmented_into_the_names_it_holds(index):
    """四川改革 (no space) is 四川 and 改革, as jieba cuts it: it finds what "sichuan reform" finds."""
    assert overlap(top(index, "四川改革"), top(index, "sichuan reform")) >= FLOOR


def test_zones_are_found_by_the_names_of_the_divisions_they_cover_in_both_languages(index, sparql):
    rows = sparql("""SELECT DISTINCT ?zone WHERE { ?zone a pk:PilotZone ; pk:inProvince <https://w3id.org/pilotkg/id/division/510000> }""")
    in_sichuan = {r["zone"].value for r in rows}
    assert len(in_sichuan) >= 5
    for query in ("四川", "sichuan", "Sichuan Province", "四川省"):
        zones = {h.document.iri for g, hits in index.search(query).groups if g.key == "zones" for h in hits}
        assert in_sichuan <= zones, query


def test_homestead_in_chinese_finds_the_tasks_about_homesteads(index, sparql):
    rows = sparql("""SELECT DISTINCT ?task WHERE { ?task a pk:ReformTask ; pk:taskText ?t .
                     FILTER(CONTAINS(LCASE(?t), "homestead")) }""")
    tasks = {r["task"].value for r in rows}
    assert tasks
    found = {h.document.iri for g, hits in index.search("宅基地").groups if g.key == "tasks" for h in hits}
    assert tasks <= found


def test_the_exact_term_comes_first_in_its_group(index):
    results = index.search("宅基地")
    other = dict((g.key, hits) for g, hits in results.groups)["other"]
    assert other[0].document.iri == "https://w3id.org/pilotkg/id/glossary/rural-homestead"


# --- tasks say which policy they belong to --------------------------------------------------------


def test_every_task_hit_carries_its_policy_in_json(site, sparql):
    policies = {r["p"].value for r in sparql("SELECT ?p WHERE { ?p a pk:Policy }")}
    data = site.get("/search?format=json&q=" + quote("土地")).get_json()
    tasks = [h for g in data["groups"] if g["key"] == "tasks" for h in g["hits"]]
    assert len(tasks) >= 10
    for hit in tasks:
        policy = hit["policy"]
        assert policy["iri"] in policies and policy["path"].startswith("/id/policy/") and policy["label"]
        above = sparql(f"""SELECT * WHERE {{ {{ <{hit['iri']}> pk:taskOf+ <{policy['iri']}> }}
            UNION {{ <{hit['iri']}> pk:taskOf+ ?programme . ?programme pk:establishedBy <{policy['iri']}> }}
            UNION {{ <{hit['iri']}> pk:derivedFrom ?s . <{policy['iri']}> pk:derivedFrom ?s }} }} LIMIT 1""")
        assert above, hit["iri"]
    others = [h for g in data["groups"] if g["key"] != "tasks" for h in g["hits"]]
    assert all("policy" not in h for h in others)


def test_every_task_of_the_data_has_a_policy(index):
    tasks = [d for d in index.documents if d.group == "tasks"]
    assert len(tasks) >= 100
    assert all(d.policy is not None and d.policy.group == "policies" for d in tasks)


def test_the_page_links_each_task_to_its_policy(site):
    html = site.get("/search?q=" + quote("宅基地")).get_data(as_text=True)
    section = html[html.index('id="group-tasks"'):]
    section = section[:section.index("</section>")]
    hits = section.count('class="hit"')
    assert hits >= 1 and section.count('class="match hit-policy"') == hits
    assert 'href="/id/policy/' in section


# --- the glossary -------------------------------------------------------------------------------


def test_glossary_concepts_have_english_and_chinese_names(sparql):
    rows = sparql("""SELECT ?c (SAMPLE(?en) AS ?e) (SAMPLE(?zh) AS ?z) WHERE {
        ?c skos:inScheme <https://w3id.org/pilotkg/id/glossary> .
        OPTIONAL { ?c skos:prefLabel ?en FILTER(lang(?en) = "en") }
        OPTIONAL { ?c skos:prefLabel ?zh FILTER(lang(?zh) = "zh") } } GROUP BY ?c""")
    assert len(rows) == len(load_glossary().terms) >= 60
    assert all(r.get("e") is not None and r.get("z") is not None for r in rows)


def test_every_theme_has_its_glossary_term(sparql):
    rows = sparql("""SELECT ?theme (COUNT(?c) AS ?n) WHERE { ?theme skos:inScheme pk:ReformThemes .
        OPTIONAL { ?c skos:exactMatch ?theme ; skos:inScheme <https://w3id.org/pilotkg/id/glossary> } }
        GROUP BY ?theme""")
    themes = {r["theme"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in rows}
    assert set(themes) == THEMES
    assert all(n == 1 for n in themes.values()), themes


GOOD = """scheme: {en: Glossary, zh: 术语表, reference: written for the test}
terms:
"""


@pytest.mark.parametrize("terms, message", [
    ("- {slug: Land, en: Land, zh: 土地}", "slug 'Land' must be lower-case"),
    ("- {slug: land, en: 土地, zh: 土地}", "en '土地' must not hold Chinese characters"),
    ("- {slug: land, en: Land, zh: land}", "zh 'land' must be written in Chinese characters"),
    ("- {slug: land, en: Land, zh: 土地}\n- {slug: land, en: Soil, zh: 土壤}", "the slug is used twice"),
    ("- {slug: land, en: Land, zh: 土地, theme: soil}", "theme 'soil' is not a reform theme"),
    ("- {slug: land, en: Land, zh: 土地, colour: red}", "unknown field(s) ['colour']"),
    ("- {slug: land, en: Land, zh: 土地, alt_zh: [土地]}", "a name is given twice"),
    ("- {slug: land, en: Land, zh: 土地, match: exact}", "match without a theme"),
    ("[", "not valid YAML"),
])
def test_a_bad_glossary_is_refused_with_the_entry_and_the_reason(terms, message):
    with pytest.raises(GazetteerError) as err:
        parse_glossary(GOOD + terms)
    assert message in str(err.value) and "glossary.yaml" in str(err.value)


def test_the_glossary_names_the_themes_of_the_ontology(sparql):
    rows = sparql("SELECT ?t WHERE { ?t skos:inScheme pk:ReformThemes }")
    assert {r["t"].value.rsplit("/", 1)[1] for r in rows} == THEMES


def test_an_acronym_expands_as_an_acronym_not_as_a_word(index):
    assert top(index, "ndrc") == top(index, "NDRC")  # no vowel: no English word
    assert all(t.kind != "any" for t in index.expand(search.parse_query("most")).terms)  # MOST, the ministry
    assert any(t.kind == "any" for t in index.expand(search.parse_query("MOST")).terms)


def test_names_expand_one_another_in_a_crafted_index():
    index = search.SearchIndex()
    entries = [("x:term", "Rural homestead", "label"), ("x:term", "宅基地", "zh"),
               ("x:task", "Reform the homestead system of rural areas", "text"), ("x:other", "宅基地制度改革", "zh")]
    for iri, text, kind in entries:
        if not index.documents or index.documents[-1].iri != iri:
            index.documents.append(search.Document(iri, "/id/" + iri[2:], text, None, "other", ""))
        index.add(search.analyse(len(index.documents) - 1, kind, kind, text))
    index.add_names(0, ["Rural homestead", "宅基地", "homestead"])
    index.freeze()
    found = {q: {h.document.iri for _g, hits in index.search(q).groups for h in hits}
             for q in ("宅基地", "homestead", "rural homestead", "zhaijidi")}
    assert all(hits == {"x:term", "x:task", "x:other"} for hits in found.values()), found
    first = index.search("宅基地").groups[0][1][0]
    assert first.document.iri == "x:term" and first.fields[0].kind == "zh", "the Chinese name it matched is shown"
