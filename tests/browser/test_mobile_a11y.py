"""Phones and keyboards: at a 390×844 viewport (a common phone) no page scrolls sideways (wide
tables scroll inside their own container), every page starts with a skip link to the main content,
and a focused link shows a clearly visible outline.

One browser tab is reused for all pages to keep this quick (a few seconds)."""

from __future__ import annotations

from browser_helpers import OVERFLOWING, local_path, path_of, source_slug

PHONE = {"width": 390, "height": 844}
TOLERANCE = 1  # px: sub-pixel rounding


def _pages(web, page, samples) -> list[str]:
    """The pages a phone user reaches, resolved from the graph (never hard-coded identifiers)."""
    web.open("/queries", page=page)
    queries = list(dict.fromkeys(path_of(a.get_attribute("href")) for a in page.locator("a.example-query").all()))
    assert queries, "/queries lists no a.example-query"
    return [
        "/", "/sparql", "/queries", queries[0], "/browse", "/browse/zones", "/search?q=chengdu",
        local_path(samples.zone), local_path(samples.kinds["programme"]), local_path(samples.kinds["body"]),
        "/sources", f"/source/{source_slug(samples.source)}", "/ontology", "/shapes", "/downloads", "/validate",
    ]


def _phone_tab(web):
    page = web.page()
    page.set_viewport_size(PHONE)
    return page


def test_no_page_is_wider_than_a_phone(web, samples):
    page = _phone_tab(web)
    wide = []
    for path in _pages(web, page, samples):
        web.open(path, page=page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"] + TOLERANCE:
            culprits = page.evaluate(OVERFLOWING) or {}
            wide.append(f"{path}: {width} px wide; outermost elements past the edge: {culprits.get('elements')}")
    assert not wide, f"pages wider than a {PHONE['width']} px viewport (they scroll sideways):\n  " + "\n  ".join(wide)


def test_skip_link_and_visible_focus(web, samples):
    page = _phone_tab(web)
    problems = []
    for path in ("/", "/browse/zones", local_path(samples.zone), "/sparql"):
        web.open(path, page=page)
        page.keyboard.press("Tab")
        first = page.evaluate("""() => { const a = document.activeElement;
            return {tag: a.tagName.toLowerCase(), cls: a.className, href: a.getAttribute('href'),
                    text: a.textContent.trim(), visible: (r => r.width > 0 && r.top >= 0 && r.left >= 0 && r.right <= innerWidth)(a.getBoundingClientRect()),
                    outline: parseFloat(getComputedStyle(a).outlineWidth),
                    style: getComputedStyle(a).outlineStyle}; }""")
        if first["tag"] != "a" or first["href"] != "#content":
            problems.append(f"{path}: the first focusable element is {first}, not a skip link to #content")
            continue
        if not first["text"] or not first["visible"]:
            problems.append(f"{path}: the focused skip link is not visible ({first})")
        if first["outline"] < 2 or first["style"] == "none":
            problems.append(f"{path}: the focused skip link has no visible outline ({first})")
        page.keyboard.press("Enter")
        target = page.evaluate("() => { const a = document.activeElement; return a.tagName.toLowerCase() + '#' + a.id; }")
        if target != "main#content":
            problems.append(f"{path}: the skip link moved focus to {target}, not main#content")
        # the next Tab lands inside the main content on a link or control with a thick outline
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const a = document.activeElement;
            return {inside: !!a.closest('main'), tag: a.tagName.toLowerCase(),
                    outline: parseFloat(getComputedStyle(a).outlineWidth), style: getComputedStyle(a).outlineStyle}; }""")
        if not focused["inside"]:
            problems.append(f"{path}: Tab after the skip link left the main content ({focused})")
        elif focused["outline"] < 2 or focused["style"] == "none":
            problems.append(f"{path}: the focused {focused['tag']} in the main content has no visible outline ({focused})")
    # a plain link in the header, reached by keyboard, shows the same outline
    web.open("/", page=page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    brand = page.evaluate("""() => { const a = document.activeElement;
        return {cls: a.className, outline: parseFloat(getComputedStyle(a).outlineWidth),
                style: getComputedStyle(a).outlineStyle, offset: parseFloat(getComputedStyle(a).outlineOffset)}; }""")
    if brand["outline"] < 2 or brand["style"] == "none":
        problems.append(f"/: the second focusable element (the site name) has no visible outline ({brand})")
    web.open("/?lang=zh", page=page)
    zh = page.locator("a.skip-link").inner_text().strip()
    if zh != "跳到正文":
        problems.append(f"/?lang=zh: the skip link reads {zh!r}, not 跳到正文")
    assert not problems, "skip link and focus:\n  " + "\n  ".join(problems)
