"""From a zone's page to the sentence that supports it: the evidence link opens the source text
with the quote highlighted (RFC 5147 ``#char=START,END``) and scrolled into view."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from browser_helpers import CHAR_FRAGMENT, ID, PREFIXES, assert_page, local_path, squash


def evidence_of(server, iri: str) -> dict[str, dict[str, str]]:
    """``/source/DOC#char=S,E`` → {quote, evidence} for every evidence of ``iri`` in the graph."""
    rows = server.select(PREFIXES + f"""
        SELECT ?e ?src ?start ?end ?quote WHERE {{
          <{iri}> pk:evidence ?e . ?e oa:hasSource ?src ; oa:hasSelector ?pos , ?q .
          ?pos oa:start ?start ; oa:end ?end . ?q oa:exact ?quote }}""")
    return {f"/source/{r['src'][len(ID + 'source/'):]}#char={r['start']},{r['end']}": r for r in rows}


def test_zone_evidence_leads_to_the_highlighted_quote(web, server, samples):
    zone = samples.zone
    expected = evidence_of(server, zone)
    assert expected, f"{zone} has no evidence"
    page = web.open(local_path(zone))
    assert_page(page, local_path(zone))
    link = page.locator("li.evidence a.evidence-link").first
    href = link.get_attribute("href")
    parts = urlsplit(href)
    target = f"{parts.path}#{parts.fragment}"
    assert target in expected, f"the first evidence link {href} is not one of the zone's evidence {sorted(expected)}"
    quote = expected[target]["quote"]
    shown = squash(page.locator("li.evidence").first.locator(".quote").inner_text())
    assert squash(quote) in shown, f"the evidence item shows {shown!r}, the graph's quote is {quote!r}"
    web.shot(page, "zone-page")

    link.click()
    page.wait_for_url(f"**{parts.path}#{parts.fragment}")
    start, end = map(int, CHAR_FRAGMENT.match(parts.fragment).groups())
    mark = page.locator("mark#highlight")
    mark.wait_for()
    assert mark.count() == 1
    assert mark.text_content() == quote, f"mark#highlight holds {mark.text_content()!r}, the quote is {quote!r}"
    assert end - start == len(quote), "the evidence's offsets do not span its quote"
    expect(mark).to_be_in_viewport()
    assert page.locator("#source-text mark#highlight").count() == 1, "the highlight is not inside #source-text"
    web.shot(page, "highlight-in-view", full_page=False)


def test_highlight_follows_a_changed_fragment(web, server):
    """Two quotes of one source: changing the fragment in place moves the highlight to the other one."""
    rows = server.select(PREFIXES + """
        SELECT ?src ?start ?end ?quote WHERE {
          ?e a pk:Evidence ; oa:hasSource ?src ; oa:hasSelector ?pos , ?q .
          ?pos oa:start ?start ; oa:end ?end . ?q oa:exact ?quote }
        ORDER BY ?src ?start""")
    by_source: dict[str, list[dict]] = {}
    for r in rows:
        by_source.setdefault(r["src"], []).append(r)
    src, quotes = next(((s, q) for s, q in by_source.items() if len(q) >= 2), (None, None))
    assert src, "no source has two evidence quotes"
    first, last = quotes[0], quotes[-1]
    doc = src[len(ID + "source/"):]
    page = web.open(f"/source/{doc}#char={first['start']},{first['end']}")
    mark = page.locator("mark#highlight")
    mark.wait_for()
    assert mark.text_content() == first["quote"]
    page.evaluate("f => { location.hash = f }", f"char={last['start']},{last['end']}")
    expect(mark).to_have_text(last["quote"], use_inner_text=False)
    expect(mark).to_be_in_viewport()
    assert page.locator("mark#highlight").count() == 1, "the old highlight was not removed"
