"""The pages in Chinese and in English in Chromium: the language switch, ?lang= kept in links and
forms, and the page's language (checked by the ``web`` fixture for console errors and outside requests)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def lang_of(url: str) -> str | None:
    return (parse_qs(urlsplit(url).query).get("lang") or [None])[0]


def test_switch_to_chinese_and_links_keep_it(web):
    page = web.open("/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#lang-zh")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert lang_of(page.url) == "zh"
    assert page.locator("h1").inner_text() == "中国改革试验区，关联数据"
    web.shot(page, "home-zh")
    page.click(".site-header nav a[href^='/browse']")
    page.wait_for_load_state()
    assert lang_of(page.url) == "zh" and page.locator("h1").inner_text() == "浏览"
    page.fill(".site-search input[name=q]", "成都")
    page.press(".site-search input[name=q]", "Enter")
    page.wait_for_load_state()
    assert lang_of(page.url) == "zh" and parse_qs(urlsplit(page.url).query)["q"] == ["成都"]
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.click(".site-header nav a[href^='/sparql']")
    page.wait_for_load_state()
    assert page.locator("#run").inner_text() == "运行"
    web.shot(page, "editor-zh")


def test_switch_back_to_english_and_links_keep_it(web):
    page = web.open("/sources?lang=zh")
    assert page.locator("h1").inner_text() == "来源"
    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sources"
    page.click(".site-header nav a[href^='/ontology']")
    page.wait_for_load_state()
    assert lang_of(page.url) == "en" and page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
