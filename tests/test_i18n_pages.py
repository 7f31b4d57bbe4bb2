"""The pages in Chinese and English (Flask-Babel): every page renders in Chinese with ``?lang=zh`` and
with ``Accept-Language: zh-CN``, has no untranslated key string of the interface, keeps ``?lang=`` in its
links and forms; English stays the default; data does not change with the language."""

from __future__ import annotations

import re

import pytest

from pilotkg.server import i18n

PK = "https://w3id.org/pilotkg/ontology#"

# Strings of the interface that must not be left in English on a Chinese page (whole text of an element).
KEY_STRINGS = ("Query", "Examples", "Browse", "Sources", "Ontology", "Shapes", "Validate", "Downloads", "Ingest",
               "SPARQL endpoint", "data and citation")
# Per page: more strings that must be translated (as the text of an element or an attribute).
PAGE_STRINGS = {
    "/": ("Pilot programmes", "Timeline", "Where the data comes from", "Use the data", "count query"),
    "/sparql": ("SPARQL query editor", "Run", "Copy link", "Show all rows"),
    "/queries": ("Example queries", "Parameters:"),
    "/sources": ("Evidence spans", "Published", "read"),
    "/search": ("Search", "Try:"),
    "/browse": ("Browse",),
    "/ontology": ("Contents", "Classes", "Class hierarchy"),
    "/shapes": ("SHACL shapes", "Node shapes", "Severities"),
    "/validate": ("Validate data against the pilotkg shapes", "From a program"),
    "/downloads": ("How to cite", "Named graphs"),
    "/ingest": ("Ingest a text", "Sign in", "Curator token"),
}


def one(app, query: str) -> str:
    rows = list(app.extensions["pilotkg"].store.query(query))
    assert rows, query
    return rows[0][0].value


@pytest.fixture(scope="module")
def app(site_app):
    """The session's site (tests/conftest.py), named as this module's tests use it."""
    return site_app


@pytest.fixture
def client(app):
    c = app.test_client(use_cookies=False)  # each request on its own: the switch's cookie is tested apart
    c.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    return c


@pytest.fixture(scope="module")
def pages(app) -> list[str]:
    """Every kind of page: home, editor, examples, a resource of each kind, sources and a source text,
    search, browse, the docs pages, validate, downloads and the ingest sign-in."""
    resources = []
    for cls in ("PilotZone", "PilotProgramme", "Policy", "ResponsibleBody", "ReformTask", "AdministrativeDivision",
                "SourceDocument"):
        iri = one(app, f"SELECT ?s WHERE {{ ?s a <{PK}{cls}> }} ORDER BY ?s LIMIT 1")
        resources.append(iri.replace("https://w3id.org/pilotkg", ""))
    theme = one(app, "SELECT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#Concept> "
                     "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/pilotkg/theme/')) } ORDER BY ?s LIMIT 1")
    doc = resources[-1].rsplit("/", 1)[-1]
    return ["/", "/sparql", "/queries", *resources, theme.replace("https://w3id.org/pilotkg", ""), "/sources",
            f"/source/{doc}", "/search", "/search?q=land", "/browse", "/browse/zones", "/browse/tasks",
            "/browse/bodies", "/ontology", "/shapes", "/validate", "/downloads", "/ingest"]


def element_texts(html: str) -> set[str]:
    body = re.sub(r"<(script|style|pre|code|svg|textarea)\b.*?</\1>", " ", html, flags=re.S)
    texts = {t.strip() for t in re.split(r"<[^>]*>", body)}
    texts |= set(re.findall(r'(?:title|placeholder|aria-label)="([^"]*)"', body))
    return texts


def internal_links(html: str) -> list[str]:
    return [u for u in re.findall(r'\s(?:href|action)="(/[^"]*)"', html) if not u.startswith(("/static/", "//"))]


def with_lang(path: str, lang: str) -> str:
    return path + ("&" if "?" in path else "?") + "lang=" + lang


def test_every_page_renders_in_chinese_with_lang_and_keeps_it_in_links(client, pages):
    for path in pages:
        resp = client.get(with_lang(path, "zh"))
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in html, path
        assert resp.headers["Content-Language"] == "zh-Hans"
        assert "Accept-Language" in resp.headers["Vary"]
        texts = element_texts(html)
        left = [s for s in KEY_STRINGS + PAGE_STRINGS.get(path, ()) if s in texts]
        assert not left, f"{path}: untranslated {left}"
        assert "中文" in html and 'id="lang-en"' in html, path  # the switch, to English
        links = internal_links(html)
        assert links, path
        lost = [u for u in links if not re.search(r"[?&](?:amp;)?lang=(zh|en)\b", u)]
        assert not lost, f"{path}: links without lang: {lost[:5]}"
        for form in re.findall(r"<form\b[^>]*>", html):
            if 'method="post"' not in form.lower():
                assert form + '<input type="hidden" name="lang" value="zh">' in html, (path, form)


def test_every_page_renders_in_chinese_by_accept_language(client, pages):
    for path in pages:
        resp = client.get(path, headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in html, path
        texts = element_texts(html)
        left = [s for s in KEY_STRINGS + PAGE_STRINGS.get(path, ()) if s in texts]
        assert not left, f"{path}: untranslated {left}"


def test_english_is_the_default_and_unknown_lang_is_ignored(client):
    for path in ("/", "/search", "/ontology", "/downloads"):
        for query in ("", "?lang=xx", "?lang="):
            resp = client.get(path + query)
            assert resp.status_code == 200, path + query
            html = resp.get_data(as_text=True)
            assert '<html lang="en">' in html and ">Browse</a>" in html and 'id="lang-zh"' in html
            assert resp.headers["Content-Language"] == "en"
    # a Chinese reader can still ask for English
    resp = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in resp.get_data(as_text=True)


def test_the_switch_sets_a_cookie_that_keeps_the_language(app):
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT"] = "text/html"
    first = c.get("/?lang=zh")
    assert "lang=zh" in first.headers.get("Set-Cookie", "")
    assert '<html lang="zh-Hans">' in c.get("/browse").get_data(as_text=True)
    c.get("/?lang=en")
    assert '<html lang="en">' in c.get("/browse").get_data(as_text=True)


def test_names_in_the_readers_language_with_the_other_beside(client, app):
    # a division has a Chinese name: in Chinese it comes first and English beside it, and the other way round
    iri = one(app, f"SELECT ?s WHERE {{ ?s a <{PK}PilotZone> ; <{PK}coversDivision> ?s2 . }} LIMIT 1")
    division = one(app, f"SELECT ?d WHERE {{ <{iri}> <{PK}coversDivision> ?d . ?d <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                        "FILTER(LANG(?l) = 'zh') } LIMIT 1")
    zh = one(app, f"SELECT ?l WHERE {{ <{division}> <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = 'zh') }}")
    path = iri.replace("https://w3id.org/pilotkg", "")
    zh_html = client.get(path + "?lang=zh").get_data(as_text=True)
    en_html = client.get(path).get_data(as_text=True)
    assert re.search(rf">{re.escape(zh)}</a> <span class=\"other-lang\" lang=\"en\">", zh_html)
    assert re.search(rf"<span class=\"other-lang\" lang=\"zh\">{re.escape(zh)}</span>", en_html)


def test_dates_and_numbers_the_chinese_way(app):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert i18n.current_lang() == "zh"
        assert i18n.show_date("2019-04-15") == "2019年4月15日"
        assert i18n.show_date("2014-11") == "2014年11月"
        assert i18n.show_date("2013") == "2013年"
        assert i18n.show_date("--02-08") == "2月8日（年份未说明）"
        assert i18n.show_date(None) == "未说明"
        assert i18n.number(12345) == "12,345"
    with app.test_request_context("/"):
        assert i18n.show_date("2019-04-15") == "2019-04-15"
        assert i18n.show_date("--02-08") == "8 February (year not stated)"
        assert i18n.show_date("") == "not stated"


def test_no_partial_date_shown_as_data(client):
    for lang in ("en", "zh"):
        for path in ("/", "/sources"):
            html = client.get(with_lang(path, lang)).get_data(as_text=True)
            assert not re.search(r">\s*--\d\d-\d\d", html), (path, lang)
            assert "(no year)" not in html


def test_data_does_not_change_with_the_language(app):
    c = app.test_client()
    zh = {"Accept-Language": "zh-CN"}
    assert c.get("/?format=json&lang=zh").get_json() == c.get("/?format=json").get_json()
    assert c.get("/?format=json", headers=zh).get_json() == c.get("/?format=json").get_json()
    assert c.get("/?format=text", headers=zh).data == c.get("/?format=text").data
    query = {"query": f"SELECT ?s WHERE {{ ?s a <{PK}PilotZone> }} ORDER BY ?s"}
    en = c.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    zh_csv = c.get("/sparql", query_string={**query, "lang": "zh"}, headers={"Accept": "text/csv", **zh})
    assert en.status_code == 200 and en.data == zh_csv.data
    assert "Content-Language" not in zh_csv.headers


def test_the_browse_pages_speak_chinese_and_their_json_stays_english(client):
    index = client.get(with_lang("/browse", "zh")).get_data(as_text=True)
    assert "试点区域" in index and "改革任务" in index and "责任机构" in index and "按省份" in index
    assert "Pilot zones" not in index and "By province" not in index
    zones = client.get(with_lang("/browse/zones", "zh")).get_data(as_text=True)
    assert "设立年份" in zones and "未说明" in zones and "Year designated" not in zones
    for path in ("/browse?format=json", "/browse/zones?format=json"):
        assert client.get(with_lang(path, "zh")).get_json() == client.get(path).get_json()
    assert client.get("/browse/zones?format=json").get_json()["title"] == "Pilot zones"


def test_the_catalogue_is_complete_and_compiles(tmp_path):
    from babel.messages.pofile import read_po

    po = i18n.TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="zh")
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert set(untranslated) <= {"https://…", "/queries.json", ".txt"}, untranslated
    assert not [m.id for m, errors in catalog.check() if errors]
    target = i18n.compile_catalogues()
    assert (target / "zh" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
