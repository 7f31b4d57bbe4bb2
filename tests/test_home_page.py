"""The home page ``/``: counts, the programmes table, the timeline and the zone map.

Three kinds of test: the page over the session's built seeds (every number and
every programme and zone checked against SPARQL run independently on the same
store), the page over small synthetic datasets written here (exact periods,
centroids, zones that cannot be placed, overlapping zones, markup in labels,
an empty store), and the pure layout functions of ``home_charts`` (projection,
scales, ticks, marker spreading, label placement).
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from support import serving

from pilotkg.server import home_charts as charts
from pilotkg.server.home import PartialDate, centroid

SVG = "{http://www.w3.org/2000/svg}"
PK = "https://w3id.org/pilotkg/ontology#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# --------------------------------------------------------------------------- helpers


def svg_of(html: str, svg_id: str) -> ET.Element:
    """The ``<svg id=...>`` of a page, parsed as XML (which fails if it is not well-formed)."""
    match = re.search(rf'<svg id="{svg_id}".*?</svg>', html, re.S)
    assert match, f"no svg#{svg_id} in the page"
    return ET.fromstring(match.group(0))


def store_rows(app, query: str) -> list[dict]:
    """Rows of a query run on the app's store directly (not through the page's code)."""
    solutions = app.extensions["pilotkg"].store.query(query)
    names = [v.value for v in solutions.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in solutions]


def card_counts(html: str) -> dict[str, int]:
    cards = re.findall(r'<div class="card" data-count="([a-z]+)">\s*<a class="n" href="([^"]*)">([\d,]+)</a>', html)
    return {key: int(n.replace(",", "")) for key, _href, n in cards}


def card_links(html: str) -> dict[str, str]:
    cards = re.findall(r'<div class="card" data-count="([a-z]+)">\s*<a class="n" href="([^"]*)">', html)
    return dict(cards)


def marker_circles(svg: ET.Element) -> dict[str, ET.Element]:
    """zone IRI → its marker circle, from the map."""
    out = {}
    for a in svg.iter(f"{SVG}a"):
        if a.get("class") == "zone":
            circle = a.find(f"{SVG}circle[@class='zone-marker']")
            assert circle is not None
            out[a.get("data-zone")] = (a, circle)
    return out


def expected_screen(svg: ET.Element, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) goes on the map: the projection recomputed here from its stated parameters."""
    params = dict(p.split("=") for p in svg.get("data-projection").split()[1:])
    projection = charts.AlbersConic(float(params["lon0"]), (float(params["lat1"]), float(params["lat2"])),
                                    float(params["lat0"]))
    x, y = projection.project(lon, lat)
    scale = float(svg.get("data-scale"))
    return float(svg.get("data-offset-x")) + scale * x, float(svg.get("data-offset-y")) - scale * y


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline <script>"
    assert "<style" not in html, "inline <style>"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "event handler attribute"


# --------------------------------------------------------------------------- over the seeds


@pytest.fixture(scope="module")
def home_html(site_app) -> str:
    response = site_app.test_client().get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


COUNTED = {
    "programmes": "PilotProgramme", "zones": "PilotZone", "tasks": "ReformTask", "bodies": "ResponsibleBody",
    "responsibilities": "Responsibility", "sources": "SourceDocument", "policies": "Policy",
    "divisions": "AdministrativeDivision", "evidence": "Evidence",
}


def test_counts_equal_independent_sparql_counts(site_app, home_html):
    shown = card_counts(home_html)
    assert set(shown) == set(COUNTED)
    for key, cls in COUNTED.items():
        rows = store_rows(site_app, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a <{PK}{cls}> }}")
        assert shown[key] == int(rows[0]["n"]), key
    assert shown["zones"] > 0 and shown["evidence"] > 0


def test_cards_link_to_browse_pages_and_queries(home_html):
    links = card_links(home_html)
    assert links["zones"] == "/browse/zones"
    assert links["tasks"] == "/browse/tasks"
    assert links["bodies"] == "/browse/bodies"
    assert links["sources"] == "/sources"
    assert links["programmes"] == "#programmes"
    for key in ("responsibilities", "policies", "divisions", "evidence"):
        assert links[key].startswith("/sparql?query="), key


def test_every_programme_in_the_table_and_the_timeline(site_app, home_html):
    programmes = {r["p"] for r in store_rows(site_app, f"SELECT DISTINCT ?p WHERE {{ ?p a <{PK}PilotProgramme> }}")}
    assert programmes
    timeline = svg_of(home_html, "timeline")
    timeline_links = {a.get("href") for a in timeline.iter(f"{SVG}a") if a.get("class") == "programme"}
    for iri in programmes:
        path = iri.replace("https://w3id.org/pilotkg", "")
        row = re.search(rf'<tr data-programme="{re.escape(iri)}">(.*?)</tr>', home_html, re.S)
        assert row, f"{iri} not in the table"
        assert f'href="{path}"' in row.group(1)
        assert path in timeline_links, f"{iri} not in the timeline"


def test_table_shows_stated_periods_and_zone_counts(site_app, home_html):
    rows = store_rows(site_app, f"""SELECT ?p (SAMPLE(?s) AS ?start) (SAMPLE(?e) AS ?end) WHERE {{
        ?p a <{PK}PilotProgramme> . OPTIONAL {{ ?p <{PK}startDate> ?s }} OPTIONAL {{ ?p <{PK}endDate> ?e }} }} GROUP BY ?p""")
    zones = {r["p"]: int(r["n"]) for r in store_rows(site_app, f"""SELECT ?p (COUNT(DISTINCT ?z) AS ?n) WHERE {{
        ?p a <{PK}PilotProgramme> .
        OPTIONAL {{ {{ ?p <{PK}hasZone> ?z }} UNION {{ ?p <{PK}hasBatch>/<{PK}hasZone> ?z }} }} }} GROUP BY ?p""")}
    for r in rows:
        row = re.search(rf'<tr data-programme="{re.escape(r["p"])}">(.*?)</tr>', home_html, re.S).group(1)
        period = re.search(r'<td class="period"[^>]*>(.*?)(?:<div|</td>)', row, re.S).group(1)
        if r["start"]:
            assert period.startswith(r["start"]), period
        if r["end"]:
            assert f"– {r['end']}" in period, period
        else:
            assert "no end stated" in period or "no date" in period
        cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
        assert int(cells[0]) == zones[r["p"]]


def test_declared_zone_counts_shown(site_app, home_html):
    for r in store_rows(site_app, f"""SELECT DISTINCT ?p ?n WHERE {{ ?p a <{PK}PilotProgramme> ; <{PK}declaredZoneCount> ?n }}"""):
        row = re.search(rf'<tr data-programme="{re.escape(r["p"])}">(.*?)</tr>', home_html, re.S).group(1)
        assert re.findall(r'<td class="num">(.*?)</td>', row, re.S)[1] == r["n"]


def test_every_zone_with_coordinates_is_a_marker_at_its_centroid(site_app, home_html):
    rows = store_rows(site_app, f"""SELECT DISTINCT ?z ?d ?lat ?long WHERE {{
        ?z a <{PK}PilotZone> .
        OPTIONAL {{ {{ ?z <{PK}coversDivision> ?d }} UNION {{ ?z <{PK}coversPartOf> ?d }}
                   OPTIONAL {{ ?d <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat ;
                                  <http://www.w3.org/2003/01/geo/wgs84_pos#long> ?long }} }} }}""")
    points: dict[str, dict[str, tuple[float, float]]] = {}
    for r in rows:
        per_zone = points.setdefault(r["z"], {})
        if r["lat"] is not None:
            per_zone[r["d"]] = (float(r["lat"]), float(r["long"]))
    svg = svg_of(home_html, "zone-map")
    markers = marker_circles(svg)
    placed = {z for z, divisions in points.items() if divisions}
    assert placed and set(markers) == placed
    for zone in placed:
        lats, lons = zip(*points[zone].values())
        lat, lon = sum(lats) / len(lats), sum(lons) / len(lons)
        a, circle = markers[zone]
        assert a.get("href") == zone.replace("https://w3id.org/pilotkg", "")
        assert a.find(f"{SVG}title").text.startswith(a.get("aria-label"))
        assert math.isclose(float(circle.get("data-lat")), lat, abs_tol=1e-9)
        assert math.isclose(float(circle.get("data-lon")), lon, abs_tol=1e-9)
        ex, ey = expected_screen(svg, lon, lat)
        assert abs(float(circle.get("data-x")) - ex) < 0.01 and abs(float(circle.get("data-y")) - ey) < 0.01
        # the marker is drawn at its point, or near it with a leader line from the point
        moved = math.dist((float(circle.get("cx")), float(circle.get("cy"))), (ex, ey))
        if moved > 0.01:
            line = a.find(f"{SVG}line[@class='leader']")
            assert line is not None and abs(float(line.get("x1")) - ex) < 0.01
            assert moved < 80
    for zone in set(points) - placed:
        assert f'data-zone="{zone}"' in home_html.split('class="not-placed"', 1)[1]


def test_markers_do_not_hide_each_other(home_html):
    circles = [c for _a, c in marker_circles(svg_of(home_html, "zone-map")).values()]
    centres = [(float(c.get("cx")), float(c.get("cy"))) for c in circles]
    radius = float(circles[0].get("r"))
    for i, p in enumerate(centres):
        for q in centres[i + 1:]:
            assert math.dist(p, q) >= 2 * radius


def test_map_has_graticule_labels_and_province_landmarks(site_app, home_html):
    svg = svg_of(home_html, "zone-map")
    labels = [t.text for g in svg.iter(f"{SVG}g") if g.get("class") == "graticule-labels" for t in g]
    assert any(label.endswith("°E") for label in labels) and any(label.endswith("°N") for label in labels)
    provinces = store_rows(site_app, f"""SELECT DISTINCT ?d WHERE {{ ?d a <{PK}ProvinceLevelDivision> ;
        <http://www.w3.org/2003/01/geo/wgs84_pos#lat> ?lat }}""")
    landmarks = [a for a in svg.iter(f"{SVG}a") if a.get("class") == "landmark"]
    assert len(landmarks) == len(provinces)


def test_svgs_are_well_formed_and_titled(home_html):
    for svg_id in ("timeline", "zone-map"):
        svg = svg_of(home_html, svg_id)
        assert svg.find(f"{SVG}title") is not None
        for a in svg.iter(f"{SVG}a"):
            assert a.get("href", "").startswith("/"), a.get("href")
            assert a.find(f"{SVG}title") is not None


def test_timeline_batch_markers(site_app, home_html):
    svg = svg_of(home_html, "timeline")
    first, last = int(svg.get("data-first-year")), int(svg.get("data-last-year"))
    markers = {a.get("href"): float(a.get("data-at")) for a in svg.iter(f"{SVG}a") if "batch" in (a.get("class") or "")}
    dated = store_rows(site_app, f"""SELECT DISTINCT ?b ?d WHERE {{ ?b a <{PK}PilotBatch> ; <{PK}approvedOn> ?d .
        FILTER(DATATYPE(?d) IN (<http://www.w3.org/2001/XMLSchema#date>, <http://www.w3.org/2001/XMLSchema#gYearMonth>,
                                <http://www.w3.org/2001/XMLSchema#gYear>)) }}""")
    for r in dated:
        at = markers[r["b"].replace("https://w3id.org/pilotkg", "")]
        assert first <= at <= last and int(at) == int(r["d"][:4])


def test_sources_listed_with_their_text_pages(site_app, home_html):
    rows = store_rows(site_app, f"SELECT DISTINCT ?s ?file WHERE {{ ?s a <{PK}SourceDocument> ; <{PK}fileName> ?file }}")
    assert rows
    origin = home_html.split('id="origin"', 1)[1]
    for r in rows:
        assert f'href="/source/{r["s"].rsplit("/", 1)[-1]}"' in origin
        assert f"<code>{r['file']}</code>" in origin


def test_links_to_every_section(home_html):
    for path in ("/sparql", "/queries", "/browse", "/search", "/sources", "/ontology", "/shapes", "/validate",
                 "/downloads", "/browse/zones", "/browse/tasks", "/browse/bodies"):
        assert f'href="{path}"' in home_html, path
    assert re.search(r'<code class="endpoint">http://[^<]+/sparql</code>', home_html)


def test_no_inline_script_or_style(home_html):
    assert_no_inline_code(home_html)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home_html


def test_favicon(site):
    response = site.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    icon = site.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    ET.fromstring(icon.get_data())


def test_plain_text_for_curl(site_app, home_html):
    response = site_app.test_client().get("/", headers={"Accept": "*/*"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    counts = card_counts(home_html)
    assert re.search(rf"pilot zones\s+{counts['zones']}\s+http://localhost/browse/zones", text)
    assert "SPARQL endpoint: http://localhost/sparql" in text
    for label in re.findall(r'<tr data-programme="[^"]+">\s*<td>.*?<a href="[^"]+">([^<]+)</a>', home_html, re.S):
        assert label.replace("&#39;", "'") in text
    assert response.headers["Vary"] == "Accept"


def test_json_twin(site_app, home_html):
    response = site_app.test_client().get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert {k: v["n"] for k, v in data["counts"].items()} == card_counts(home_html)
    markers = marker_circles(svg_of(home_html, "zone-map"))
    assert {z["iri"] for z in data["zones"] if z["placed"]} == set(markers)
    assert site_app.test_client().get("/?format=json").get_json() == data


def test_unknown_parameters_are_ignored(site):
    plain = site.application.test_client()
    for query in ("/?utm_source=wechat", "/?lang=zh&color=red"):
        assert site.get(query).status_code == 200
    assert plain.get("/?format=json&utm_source=wechat").get_json() == plain.get("/?format=json").get_json()


@pytest.mark.parametrize("query, status, words", [
    ("/?format=xml", 400, "unknown format 'xml'"),
])
def test_bad_parameters(site, query, status, words):
    response = site.get(query)
    assert response.status_code == status
    assert words in unescape(response.get_data(as_text=True))
    assert response.mimetype == "text/html"  # a browser gets a page saying so
    plain = site.application.test_client().get(query, headers={"Accept": "*/*"})
    assert plain.status_code == status and words in plain.get_data(as_text=True)


def test_unacceptable_type(site_app):
    response = site_app.test_client().get("/", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/html" in response.get_data(as_text=True)


def test_data_is_cached_per_generation(site_app):
    from pilotkg.server.home import home_data

    with site_app.test_request_context("/"):
        first = home_data()
        assert home_data() is first
        service = site_app.extensions["pilotkg"]
        service.generation += 1
        try:
            again = home_data()
            assert again is not first and again.counts == first.counts
        finally:
            service.generation -= 1


# --------------------------------------------------------------------------- synthetic data

G = "https://w3id.org/pilotkg/id/graph/source/synthetic"
I = "https://w3id.org/pilotkg/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"


def _lit(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text + (f"@{lang}" if lang else (f"^^<{datatype}>" if datatype else ""))


def synthetic_quads() -> str:
    """Four programmes (open-ended, start from a policy, stated period, undated), zones that
    share a point, a zone whose division has no coordinates, one with no division, a label
    with markup characters, a province landmark."""
    t: list[tuple[str, str, str]] = []

    def add(s, p, o):
        t.append((s, p, o))

    def node(kind, slug, cls, label):
        iri = f"{I}{kind}/{slug}"
        add(f"<{iri}>", f"<{RDF_TYPE}>", f"<{PK}{cls}>")
        add(f"<{iri}>", f"<{LABEL}>", _lit(label, lang="en"))
        return f"<{iri}>"

    alpha = node("programme", "alpha", "PilotProgramme", "Alpha programme")
    add(alpha, f"<{PK}startDate>", _lit("2010", XSD + "gYear"))
    beta = node("programme", "beta", "PilotProgramme", "Beta programme")
    gamma = node("programme", "gamma", "PilotProgramme", "Gamma programme")
    add(gamma, f"<{PK}startDate>", _lit("2012-03", XSD + "gYearMonth"))
    add(gamma, f"<{PK}endDate>", _lit("2013", XSD + "gYear"))
    add(gamma, f"<{PK}declaredZoneCount>", _lit("7", XSD + "integer"))
    node("programme", "delta", "PilotProgramme", "Delta programme")
    policy = node("policy", "beta-plan", "Policy", "Beta plan")
    add(policy, f"<{PK}establishes>", beta)
    add(policy, f"<{PK}issuedOn>", _lit("2015-06-30", XSD + "date"))
    batch1 = node("batch", "alpha/1", "PilotBatch", "First batch of alpha")
    add(alpha, f"<{PK}hasBatch>", batch1)
    add(batch1, f"<{PK}batchNumber>", _lit("1", XSD + "integer"))
    add(batch1, f"<{PK}approvedOn>", _lit("2011-05", XSD + "gYearMonth"))
    add(batch1, f"<{PK}declaredZoneCount>", _lit("3", XSD + "integer"))
    batch2 = node("batch", "alpha/2", "PilotBatch", "Second batch of alpha")
    add(batch2, f"<{PK}batchOf>", alpha)
    add(batch2, f"<{PK}approvedOn>", _lit("--03-01", XSD + "gMonthDay"))

    def division(code, label, lat=None, lon=None, cls="PrefectureLevelDivision"):
        d = node("division", code, cls, label)
        if lat is not None:
            add(d, f"<{WGS}lat>", _lit(str(lat), XSD + "decimal"))
            add(d, f"<{WGS}long>", _lit(str(lon), XSD + "decimal"))
        return d

    d1, d2 = division("100100", "One", 30.0, 110.0), division("100200", "Two", 32.0, 114.0)
    d3 = division("100300", "Three (no coordinates)")
    province = division("100000", "Testprov", 35.0, 116.0, "ProvinceLevelDivision")
    add(province, f"<{LABEL}>", _lit("测试省", lang="zh"))

    z1 = node("zone", "joint", "PilotZone", 'Joint <zone> & "friends"')
    add(batch1, f"<{PK}hasZone>", z1)
    add(z1, f"<{PK}coversDivision>", d1)
    add(z1, f"<{PK}coversPartOf>", d2)
    z2 = node("zone", "nowhere", "PilotZone", "Zone without coordinates")
    add(z2, f"<{PK}inProgramme>", beta)
    add(z2, f"<{PK}coversPartOf>", d3)
    z3 = node("zone", "empty", "PilotZone", "Zone without division")
    add(gamma, f"<{PK}hasZone>", z3)
    for slug in ("twin-a", "twin-b", "twin-c"):  # three zones on the same point
        z = node("zone", slug, "PilotZone", f"Twin {slug[-1]}")
        add(alpha if slug != "twin-c" else beta, f"<{PK}hasZone>", z)
        add(z, f"<{PK}coversDivision>", d1)
    source = node("source", "000-synthetic", "SourceDocument", "A synthetic source")
    add(source, f"<{PK}fileName>", _lit("000_synthetic.txt"))
    add(source, f"<{PK}reports>", beta)
    add(source, f"<{PK}publishedOn>", _lit("2016-01-02", XSD + "date"))
    return "".join(f"{s} {p} {o} <{G}> .\n" for s, p, o in t)


@pytest.fixture(scope="module")
def synthetic_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("home-synthetic")
    (data / "dataset.nq").write_text(synthetic_quads(), encoding="utf-8")
    with serving(data, query_timeout=10) as app:
        yield app


@pytest.fixture(scope="module")
def synthetic_html(synthetic_app) -> str:
    response = synthetic_app.test_client().get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_synthetic_periods(synthetic_app):
    data = synthetic_app.test_client().get("/?format=json").get_json()
    by_label = {p["label"]: p for p in data["programmes"]}
    alpha, beta, gamma, delta = (by_label[f"{n} programme"] for n in ("Alpha", "Beta", "Gamma", "Delta"))
    assert (alpha["start"], alpha["start_stated"], alpha["end"], alpha["period"]) == ("2010", True, None, "2010 – no end stated")
    assert [b["approved"] for b in alpha["batches"]] == ["2011-05", None]  # a gMonthDay has no year
    assert alpha["zones_named"] == 3 and alpha["batches"][0]["zones_named"] == 1
    # no start stated: the earliest dated event, the policy (2015-06-30) before the source (2016-01-02)
    assert (beta["start"], beta["start_stated"], beta["period"]) == ("2015-06-30", False, "by 2015-06-30 – no end stated")
    assert beta["start_basis"]["kind"] == "policy issued"
    assert (gamma["period"], gamma["declared_zone_count"], gamma["zones_named"]) == ("2012-03 – 2013", 7, 1)
    assert delta["period"] == "no date in the data"
    # colour order: by start, undated last
    assert [p["label"] for p in data["programmes"]] == ["Alpha programme", "Gamma programme", "Beta programme",
                                                        "Delta programme"]


def test_synthetic_timeline(synthetic_html):
    svg = svg_of(synthetic_html, "timeline")
    assert (svg.get("data-first-year"), svg.get("data-last-year")) == ("2009", "2017")
    rows = {g.get("data-programme"): g for g in svg.iter(f"{SVG}g") if "row" in (g.get("class") or "")}
    alpha = rows["/id/programme/alpha"]
    bar = next(r for r in alpha.iter(f"{SVG}rect") if r.get("class") == "bar")
    assert bar.get("data-start") == "2010.0000" and bar.get("data-end") == "open"
    assert any(r.get("class") == "open-end" for r in alpha.iter(f"{SVG}rect"))
    assert not any(r.get("class") == "lead-in" for r in alpha.iter(f"{SVG}rect"))
    beta = rows["/id/programme/beta"]
    assert any(r.get("class") == "lead-in" for r in beta.iter(f"{SVG}rect"))
    assert any(line.get("class") == "start-bound" for line in beta.iter(f"{SVG}line"))
    gamma = rows["/id/programme/gamma"]
    bar = next(r for r in gamma.iter(f"{SVG}rect") if r.get("class") == "bar")
    assert float(bar.get("data-start")) == pytest.approx(2012 + 60 / 366, abs=1e-4)  # 1 March of a leap year and bar.get("data-end") == "2014.0000"
    assert "undated" in rows["/id/programme/delta"].get("class")
    # bars sit where the axis puts their dates
    scale = charts.LinearScale((2009, 2017), (float(svg.get("data-left")), float(svg.get("data-right"))))
    assert float(bar.get("x")) == pytest.approx(scale(float(bar.get("data-start"))), abs=0.01)
    assert float(bar.get("x")) + float(bar.get("width")) == pytest.approx(scale(2014), abs=0.01)


def test_synthetic_map(synthetic_html):
    svg = svg_of(synthetic_html, "zone-map")
    markers = marker_circles(svg)
    assert set(markers) == {f"{I}zone/{s}" for s in ("joint", "twin-a", "twin-b", "twin-c")}
    joint_a, joint = markers[f"{I}zone/joint"]
    assert (float(joint.get("data-lat")), float(joint.get("data-lon"))) == (31.0, 112.0)  # mean of (30,110), (32,114)
    assert joint_a.get("aria-label") == 'Joint <zone> & "friends"'  # escaped in the source, parsed back
    assert "Two (part)" in joint_a.find(f"{SVG}title").text
    # three zones on one point: all drawn, none on another, two moved with a leader line
    twins = [markers[f"{I}zone/twin-{c}"] for c in "abc"]
    centres = [(float(c.get("cx")), float(c.get("cy"))) for _a, c in twins]
    assert len({(round(x, 2), round(y, 2)) for x, y in centres}) == 3
    assert sum(a.find(f"{SVG}line[@class='leader']") is not None for a, _c in twins) == 2
    ex, ey = expected_screen(svg, 110.0, 30.0)
    for _a, c in twins:
        assert (float(c.get("data-x")), float(c.get("data-y"))) == (pytest.approx(ex, abs=0.01), pytest.approx(ey, abs=0.01))
    # colours follow the programmes
    colours = {a.get("data-zone"): c.get("fill") for a, c in markers.values()}
    assert colours[f"{I}zone/twin-a"] == colours[f"{I}zone/joint"] == charts.PALETTE[0]
    assert colours[f"{I}zone/twin-c"] == charts.PALETTE[2]


def test_synthetic_zones_not_placed_are_listed(synthetic_html):
    listed = synthetic_html.split('class="not-placed"', 1)[1]
    assert f'data-zone="{I}zone/nowhere"' in listed and "none of its divisions has coordinates" in listed
    assert f'data-zone="{I}zone/empty"' in listed and "covers no administrative division" in listed


def test_synthetic_page_escapes_and_is_clean(synthetic_html):
    assert "Joint &lt;zone&gt; &amp;" in synthetic_html
    assert "<zone>" not in synthetic_html
    assert_no_inline_code(synthetic_html)


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("home-empty")
    (data / "dataset.nq").write_text("", encoding="utf-8")
    with serving(data, query_timeout=10) as app:
        yield app


def test_empty_store(empty_app):
    client = empty_app.test_client()
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert set(card_counts(html).values()) == {0}
    assert "No pilot programme in the data" in html
    assert "No pilot zone in the data yet" in html
    for svg_id in ("timeline", "zone-map"):
        svg_of(html, svg_id)
    assert_no_inline_code(html)
    text = client.get("/", headers={"Accept": "*/*"}).get_data(as_text=True)
    assert "(none in the data)" in text
    assert json.loads(client.get("/?format=json").get_data())["programmes"] == []


# --------------------------------------------------------------------------- pure functions


def test_albers_is_monotonic_and_invertible():
    p = charts.AlbersConic()
    for lat in (20, 30, 45):
        xs = [p.project(lon, lat)[0] for lon in range(75, 136, 5)]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
    for lon in (80, 105, 130):
        ys = [p.project(lon, lat)[1] for lat in range(15, 56, 5)]
        assert ys == sorted(ys)
    for lon, lat in ((105, 35), (73.5, 39.4), (134.8, 48.3), (110.3, 18.2)):
        back = p.inverse(*p.project(lon, lat))
        assert back == (pytest.approx(lon, abs=1e-9), pytest.approx(lat, abs=1e-9))
    assert p.project(105, 0)[0] == 0 and p.project(105, 0)[1] == pytest.approx(0, abs=1e-12)


def test_albers_preserves_area():
    """Equal-area: a 1°×1° cell has the same projected area (× cos φ of the sphere) everywhere."""
    p = charts.AlbersConic()

    def area(lon, lat):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = (p.project(lon, lat), p.project(lon + 1, lat),
                                                  p.project(lon + 1, lat + 1), p.project(lon, lat + 1))
        return abs((x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y0 - x0 * y3)) / 2

    def sphere(lat):
        return math.radians(1) * (math.sin(math.radians(lat + 1)) - math.sin(math.radians(lat)))

    for lon, lat in ((80, 20), (105, 35), (130, 50)):
        assert area(lon, lat) == pytest.approx(sphere(lat), rel=1e-4)


def test_albers_refuses_symmetric_parallels():
    with pytest.raises(ValueError):
        charts.AlbersConic(0, (-30, 30)).project(0, 0)


def test_fit_viewport_keeps_points_inside():
    frame = charts.Box(40, 10, 940, 610)
    for points in ([(0.1, 0.6), (0.3, 0.9), (-0.2, 0.55)], [(0.5, 0.5)], []):
        vp = charts.fit_viewport(points, frame)
        for x, y in points:
            sx, sy = vp.to_screen(x, y)
            assert frame.x0 < sx < frame.x1 and frame.y0 < sy < frame.y1
            assert vp.from_screen(sx, sy) == (pytest.approx(x), pytest.approx(y))
    one = charts.fit_viewport([(0.5, 0.5)], frame)
    assert one.scale == pytest.approx(600 / (0.12 * 1.16))  # a lone point is not blown up


def test_linear_scale_and_year_axis():
    s = charts.LinearScale((2010, 2020), (100, 600))
    assert (s(2010), s(2015), s(2020)) == (100, 350, 600)
    assert charts.LinearScale((5, 5), (0, 10))(5) == 5
    assert charts.year_axis([2010.5, 2012.2]) == (2010, 2013)
    assert charts.year_axis([2010.0, 2012.0], lead_in=True, open_end=True) == (2009, 2013)
    assert charts.year_axis([2010.0]) == (2010, 2011)
    assert charts.year_axis([]) == (0, 0)


@pytest.mark.parametrize("first, last, max_ticks, step", [
    (2014, 2027, 14, 1), (2014, 2027, 8, 2), (1990, 2030, 10, 5), (1950, 2030, 10, 10), (1800, 2030, 10, 50),
])
def test_year_ticks(first, last, max_ticks, step):
    assert charts.year_step(first, last, max_ticks) == step
    ticks = charts.year_ticks(first, last, max_ticks)
    assert len(ticks) <= max_ticks and all(t % step == 0 and first <= t <= last for t in ticks)
    assert ticks == sorted(ticks) and ticks[0] - first < step


def test_spread_markers_separates_and_is_deterministic():
    points = [(100.0, 100.0)] * 8 + [(105.0, 100.0), (300.0, 300.0)]
    placed = charts.spread_markers(points, 6)
    assert placed == charts.spread_markers(points, 6)
    assert placed[0] == (100.0, 100.0) and placed[-1] == (300.0, 300.0)
    for i, p in enumerate(placed):
        for q in placed[i + 1:]:
            assert math.dist(p, q) >= 2 * 6 + 1.5 - 1e-9
        assert math.dist(p, points[i]) <= 2 * (2 * 6 + 1.5) + 1e-9  # within two rings


def test_place_point_labels_avoid_overlaps_and_stay_inside():
    bounds = charts.Box(0, 0, 400, 300)
    items = [(50.0 + 8 * i, 150.0, f"Label {i}") for i in range(12)] + [(395.0, 150.0, "edge")]
    placed = charts.place_point_labels(items, [charts.Box(0, 0, 10, 10)], bounds, 11, 5)
    boxes = [p.box for p in placed if p]
    assert len(boxes) >= 4
    for i, b in enumerate(boxes):
        assert b.inside(bounds)
        assert not any(b.overlaps(c) for c in boxes[i + 1:])
    assert placed[-1] is not None and placed[-1].anchor == "end"  # no room on the right at the edge


def test_text_fitting_and_row_labels():
    assert charts.fit_text("short", 500, 13) == "short"
    long = "Sichuan Pilot Integrated County-level Reform under Chengdu-Chongqing Economic Circle Construction"
    cut = charts.fit_text(long, 200, 13)
    assert cut.endswith("…") and charts.text_width(cut, 13) <= 200
    assert charts.text_width("四川省", 10) == 30
    assert charts.place_row_label(100, 50, 16, 944) == 100
    assert charts.place_row_label(900, 200, 16, 944) == 744
    assert charts.place_row_label(900, 2000, 16, 944) == 16
    label, width = charts.row_label(long, "by 2020-07-07 – 2025", 400, 13)
    assert label.endswith("…") and width <= 400


def test_crossing_and_degree_labels():
    assert charts.crossing([(0, 0), (10, 10)], 1, 5) == 5
    assert charts.crossing([(0, 0), (10, 10)], 0, 11) is None
    assert (charts.format_lon(105), charts.format_lon(-75), charts.format_lat(30), charts.format_lat(-5)) == \
        ("105°E", "75°W", "30°N", "5°S")
    assert charts.graticule_step(30) == 5 and charts.graticule_step(60) == 10 and charts.graticule_step(200) == 20


def test_scale_bar():
    assert [charts.nice_distance(d) for d in (730, 250, 99, 0)] == [500, 250, 50, 0]
    p = charts.AlbersConic()
    vp = charts.Viewport(3000, 500, 2000)
    km, px = charts.scale_bar(p, vp, 110, 35, 150)
    assert km == charts.nice_distance(km) and 0 < px <= 150
    # on a standard parallel the projection keeps scale: px/km is the viewport's scale / earth radius
    km, px = charts.scale_bar(p, vp, 105, 25, 150)
    assert px / km == pytest.approx(3000 / charts.EARTH_RADIUS_KM, rel=1e-4)


@pytest.mark.parametrize("text, expected", [
    ("2021", (2021, None, None)), ("2014-11", (2014, 11, None)), ("2019-04-15", (2019, 4, 15)),
    ("2019-04-15T10:00:00Z", (2019, 4, 15)), ("--07-03", None), ("2014-13", None), ("2019-02-30", None), ("soon", None),
])
def test_partial_dates(text, expected):
    d = PartialDate.parse(text)
    assert (None if d is None else (d.year, d.month, d.day)) == expected


def test_partial_date_spans():
    assert (PartialDate(2021).first, PartialDate(2021).last) == (2021.0, 2022.0)
    assert (PartialDate(2014, 12).first, PartialDate(2014, 12).last) == (2014 + 334 / 365, 2015.0)
    day = PartialDate(2020, 12, 31)
    assert day.first == pytest.approx(2020 + 365 / 366) and day.last == pytest.approx(2021.0)
    assert PartialDate(2014, 11) < PartialDate(2014, 11, 2) < PartialDate(2015)


def test_centroid_is_the_mean_of_points():
    assert centroid([(30.0, 110.0), (32.0, 114.0), (34.0, 118.0)]) == (32.0, 114.0)
    assert centroid([]) is None
