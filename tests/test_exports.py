"""Exports of the browse and search tables (``format=csv``, ``bom=1``) and download file names
that carry the parameters. In-process (the Flask test client over the session's built data);
the expected rows come from the same URL's JSON, never from lists written here."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote, unquote, urlencode

import pytest

from pilotkg.graph.tabular import UTF8_BOM
from pilotkg.server import exports, facets

ID = "https://w3id.org/pilotkg/id/"
SICHUAN = ID + "division/510000"


def rows_of(body: bytes) -> list[list[str]]:
    assert not body.startswith(UTF8_BOM)
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def all_json_results(site, path: str, params: list[tuple[str, str]]) -> tuple[int, list[dict]]:
    """Every result of a browse selection, page by page, from its JSON."""
    first = site.get(path + "?" + urlencode(params + [("format", "json")])).get_json()
    results = list(first["results"])
    for number in range(2, first["pages"] + 1):
        results += site.get(path + "?" + urlencode(params + [("format", "json"), ("page", str(number))])).get_json()["results"]
    return first["total"], results


# --- /browse/NAME?format=csv ---------------------------------------------------------------------------


def test_browse_csv_has_every_row_of_the_selection_in_its_order(site):
    params = [("province", SICHUAN), ("sort", "-year")]
    total, results = all_json_results(site, "/browse/zones", params)
    assert total > 0
    response = site.get("/browse/zones?" + urlencode(params + [("format", "csv")]))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="pilotkg-zones-province-510000-sort-year.csv"'
    rows = rows_of(response.data)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Zone", "IRI"] and "Province" in header and "Province IRI" in header
    assert len(body) == total == int(response.headers["X-Pilotkg-Rows"])
    assert [r[1] for r in body] == [r["iri"] for r in results]  # the same rows, in the same order
    province = header.index("Province IRI")
    assert all(SICHUAN in r[province].split(" | ") for r in body)


def test_browse_csv_is_not_paged(site):
    """The tasks browser has more than one page; the CSV has all of them."""
    first = site.get("/browse/tasks?format=json").get_json()
    response = site.get("/browse/tasks?format=csv")
    assert len(rows_of(response.data)) - 1 == first["total"]
    if first["pages"] > 1:
        assert first["total"] > len(first["results"])


def test_browse_csv_for_excel_is_the_same_with_a_bom(site):
    plain = site.get(f"/browse/zones?province={quote(SICHUAN)}&format=csv")
    excel = site.get(f"/browse/zones?province={quote(SICHUAN)}&format=csv&bom=1")
    assert excel.status_code == 200 and excel.data == UTF8_BOM + plain.data
    assert "成都" in plain.data.decode("utf-8") or "Chengdu" in plain.data.decode("utf-8")


def test_browse_csv_headers_stay_english_in_chinese(site):
    english = site.get("/browse/zones?format=csv")
    chinese = site.get("/browse/zones?format=csv&lang=zh", headers={"Accept-Language": "zh-CN"})
    assert chinese.data == english.data


def test_browse_csv_neutralises_a_formula(site, site_app):
    with site_app.app_context():
        from pilotkg.server.site import service
        catalogue = facets.catalogue_for(service(), facets.BROWSERS["zones"])
    item = catalogue.items[0]
    saved = catalogue.labels[item]
    catalogue.labels[item] = '=HYPERLINK("http://example.org","x")'
    try:
        rows = rows_of(site.get("/browse/zones?format=csv").data)
    finally:
        catalogue.labels[item] = saved
    row = next(r for r in rows if r[1] == item)
    assert row[0] == '\'=HYPERLINK("http://example.org","x")'


@pytest.mark.parametrize("query, message", [
    ("format=csv&bom=maybe", "bom='maybe'"),
    ("bom=1", "bom=1 is for the CSV"),
    ("format=xlsx", "is not offered: use format=json, csv"),
])
def test_browse_export_errors(site, query, message):
    response = site.get("/browse/zones?" + query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_browse_page_links_the_exports(site):
    html = site.get(f"/browse/zones?province={quote(SICHUAN, safe='')}&sort=-year&page=1").get_data(as_text=True)
    csv_href = f"/browse/zones?province={quote(SICHUAN, safe='')}&amp;sort=-year&amp;format=csv"
    assert f'id="export-csv" href="{csv_href}"' in html
    assert f'id="export-csv-excel" href="{csv_href}&amp;bom=1"' in html
    assert 'id="export-json"' in html
    zh = site.get("/browse/zones?lang=zh", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Excel 用 CSV" in zh


# --- /search?format=csv --------------------------------------------------------------------------------


def test_search_csv_rows_equal_the_json_total(site):
    data = site.get("/search?q=chengdu&format=json").get_json()
    assert data["total"] > 0
    response = site.get("/search?q=chengdu&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="pilotkg-search-chengdu.csv"'
    rows = rows_of(response.data)
    assert rows[0][:2] == ["Group", "Label"]
    assert len(rows) - 1 == data["total"]
    assert [r[4] for r in rows[1:]] == [h["iri"] for g in data["groups"] for h in g["hits"]]
    excel = site.get("/search?q=chengdu&format=csv&bom=1")
    assert excel.data == UTF8_BOM + response.data


def test_search_csv_of_a_chinese_query_is_named_in_utf8(site):
    response = site.get("/search?" + urlencode({"q": "成都", "format": "csv"}))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="pilotkg-search.csv"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("''", 1)[1]) == "pilotkg-search-成都.csv"
    assert len(rows_of(response.data)) - 1 == site.get("/search?" + urlencode({"q": "成都", "format": "json"})).get_json()["total"]


def test_search_errors_and_links(site):
    assert site.get("/search?q=x&bom=1").status_code == 400
    assert site.get("/search?q=x&format=csv&bom=2").status_code == 400
    html = site.get("/search?q=chengdu").get_data(as_text=True)
    assert 'id="export-csv" href="/search?q=chengdu&amp;format=csv"' in html
    assert 'id="export-csv-excel" href="/search?q=chengdu&amp;format=csv&amp;bom=1"' in html


# --- file names ---------------------------------------------------------------------------------------


def test_file_names_carry_the_parameters():
    assert exports.content_disposition(["zones", *exports.parameter_parts(
        [("province", SICHUAN), ("year", "2019")])], "csv") == \
        'attachment; filename="pilotkg-zones-province-510000-year-2019.csv"'
    ascii_name, full = exports.file_names(["search", "Zhōng guó/“x”"], "csv")
    assert ascii_name == "pilotkg-search-zhong-guo-x.csv" and full == "pilotkg-search-zhōng-guó-x.csv"
    assert exports.file_names(["a" * 500], "csv")[0] == "pilotkg-" + "a" * (exports.MAX_NAME - 8) + ".csv"


def test_example_query_downloads_carry_their_parameters(site):
    response = site.get("/queries/zones-in-province.csv?" + urlencode({"province": SICHUAN, "bom": "1"}))
    assert response.status_code == 200 and response.data.startswith(UTF8_BOM)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="pilotkg-zones-in-province-province-510000.csv"'


# --- resource pages' facts --------------------------------------------------------------------------


def test_resource_facts_as_csv(site):
    zone = site.get(f"/browse/zones?province={quote(SICHUAN)}&format=json").get_json()["results"][0]
    html = site.get(zone["path"]).get_data(as_text=True)
    assert f'id="export-csv" href="{zone["path"]}.csv"' in html
    response = site.get(zone["path"] + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    stem = zone["path"][len("/id/"):].replace("/", "-").lower()
    assert response.headers["Content-Disposition"] == f'attachment; filename="pilotkg-{stem}-facts.csv"'
    rows = rows_of(response.data)
    assert rows[0][:4] == ["Property", "Property IRI", "Value", "Value IRI"]
    facts = {(r[1], r[3]) for r in rows[1:]}
    assert ("https://w3id.org/pilotkg/ontology#inProvince", SICHUAN) in facts
    turtle = site.get(zone["path"] + ".nt").get_data(as_text=True)
    subject_lines = [line for line in turtle.splitlines() if line.startswith(f"<{zone['iri']}> ")]
    assert len(rows) - 1 == len({line for line in subject_lines})
    assert site.get(zone["path"] + ".csv?bom=1").data == UTF8_BOM + response.data
    assert site.get(zone["path"] + ".csv?bom=2").status_code == 400
