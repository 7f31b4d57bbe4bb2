"""Browse with facets: clicking a facet value narrows the list to as many results as its count says,
and those are the resources the graph gives for that value."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from browser_helpers import PREFIXES, assert_page, local_path, path_of, squash

# page → how many facets the issue asks for (zones: province, programme, year; tasks: theme, policy; bodies: role)
PAGES = {"/browse/zones": 3, "/browse/tasks": 2, "/browse/bodies": 1}


def result_count(page) -> int:
    rows = page.locator("table#results tbody tr")
    items = page.locator("ul#results > li")
    assert rows.count() or items.count() or page.locator("table#results, ul#results").count(), "no table#results or ul#results"
    return rows.count() + items.count()


def result_links(page) -> set[str]:
    links = page.locator("table#results tbody tr td:first-child a[href], ul#results > li a[href]").all()
    return {path_of(a.get_attribute("href")) for a in links}


@pytest.mark.parametrize("path", list(PAGES))
def test_each_facet_value_count_matches_its_results(web, path):
    page = web.open(path)
    assert_page(page, path)
    facets = page.locator("ul.facet")
    assert facets.count() >= PAGES[path], f"{path} has {facets.count()} facets (ul.facet), expected {PAGES[path]}"
    total = result_count(page)
    assert total > 0, f"{path} lists nothing"
    checked = []
    for i in range(facets.count()):
        value = page.locator("ul.facet").nth(i).locator("li a").first
        name = squash(value.inner_text())
        count_text = squash(page.locator("ul.facet").nth(i).locator("li").first.locator("span.count").inner_text())
        assert count_text.replace(",", "").isdigit(), f"{path}: the facet value {name!r} has no span.count number"
        expected = int(count_text.replace(",", ""))
        href = value.get_attribute("href")
        web.open(path_of(href) + "?" + urlsplit(href).query, page=page)
        shown = result_count(page)
        assert shown == expected, f"{path}: the facet value {name!r} says {expected}, the page lists {shown}"
        assert shown <= total
        checked.append(name)
        web.open(path, page=page)
    assert checked


def test_zones_of_a_province_are_the_graphs(web, server):
    page = web.open("/browse/zones")
    provinces = {r["p"]: r for r in server.select(PREFIXES + """
        SELECT ?p (COUNT(DISTINCT ?z) AS ?n) WHERE { ?z a pk:PilotZone ; pk:inProvince ?p } GROUP BY ?p""")}
    link = None
    for a in page.locator("ul.facet li a").all():
        values = [v for vs in parse_qs(urlsplit(a.get_attribute("href")).query).values() for v in vs]
        hit = next((p for p in provinces if p in values or any(v and p.endswith("/" + v) for v in values)), None)
        if hit:
            link, province = a, hit
            break
    assert link is not None, "no facet link on /browse/zones names a province of the graph"
    link.click()
    page.wait_for_load_state()
    zones = {local_path(r["z"]) for r in server.select(PREFIXES + f"""
        SELECT ?z WHERE {{ ?z a pk:PilotZone ; pk:inProvince <{province}> }}""")}
    shown = {h for h in result_links(page) if h.startswith("/id/zone/")}
    assert shown == zones, f"zones listed for {province}: {sorted(shown)}; in the graph: {sorted(zones)}"
