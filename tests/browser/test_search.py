"""Search from the header's search box, in English and in Chinese: results grouped by class,
the matched text highlighted with <mark>, each hit a link to the resource's page."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import jieba

from browser_helpers import assert_page, local_path, path_of, squash


def search_from_header(web, text: str):
    page = web.open("/")
    box = page.locator("header form.site-search input[name=q]")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search", page.url
    assert parse_qs(urlsplit(page.url).query).get("q") == [text], page.url
    assert_page(page, page.url)
    return page


def hit_for(page, iri: str):
    """The hit that links to ``iri``'s page, with the text of its <mark>s."""
    for hit in page.locator("section.result-group li.hit").all():
        hrefs = [path_of(a.get_attribute("href")) for a in hit.locator("a[href]").all()]
        if local_path(iri) in hrefs:
            return hit
    shown = [squash(t) for t in page.locator("section.result-group li.hit").all_inner_texts()][:20]
    raise AssertionError(f"no li.hit links to {local_path(iri)}; hits: {shown}")


def check_groups(page):
    groups = page.locator("section.result-group")
    assert groups.count() >= 1, "no section.result-group"
    for group in groups.all():
        heading = squash(group.locator("h2").first.inner_text())
        hits = group.locator("li.hit").count()
        assert re.search(rf"\b{hits}\b", heading), f"the group heading {heading!r} does not give its {hits} hits"


def test_search_in_english(web, samples):
    zone = samples.zone
    label = samples.labels[zone]
    word = max(re.findall(r"[A-Za-z]{4,}", label), key=len)
    page = search_from_header(web, word)
    check_groups(page)
    hit = hit_for(page, zone)
    marks = [squash(m) for m in hit.locator("mark").all_inner_texts()]
    assert any(m.casefold() == word.casefold() for m in marks), f"the hit for {zone} does not mark {word!r}: {marks}"
    for mark in page.locator("section.result-group li.hit mark").all_inner_texts():
        assert word.casefold() in mark.casefold() or mark.casefold() in word.casefold(), \
            f"a <mark> highlights {mark!r}, which is not the searched word {word!r}"


def test_search_in_chinese(web, samples):
    body, chinese = samples.chinese_body
    page = search_from_header(web, chinese)
    check_groups(page)
    hit = hit_for(page, body)
    marks = [squash(m) for m in hit.locator("mark").all_inner_texts()]
    assert marks and all(m in chinese for m in marks), f"the hit for {body} marks {marks}, not parts of {chinese}"


def test_search_in_chinese_finds_a_word_inside_a_longer_name(web, samples):
    """Chinese text is segmented: a word inside a name finds it (not only the whole run of characters)."""
    body, chinese = samples.chinese_body
    words = [w for w in jieba.lcut(chinese) if len(w) >= 2 and w != chinese]
    assert words, f"jieba does not split {chinese}"
    word = max(words, key=len)
    page = search_from_header(web, word)
    hit = hit_for(page, body)
    marks = [squash(m) for m in hit.locator("mark").all_inner_texts()]
    assert word in marks or any(word in m for m in marks), f"the hit for {body} does not mark {word!r}: {marks}"


def test_search_with_no_match_says_so(web):
    page = web.open("/search?q=qqqzzzxxy")
    assert_page(page, "/search?q=qqqzzzxxy")
    assert page.locator("li.hit").count() == 0
    assert re.search(r"\bno\b|0", page.locator("main").inner_text(), re.I), "an empty search does not say it found nothing"
