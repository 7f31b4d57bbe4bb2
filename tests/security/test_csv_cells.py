"""CSV and TSV results are safe to open in a spreadsheet: a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a single quote before it (as OWASP
advises for CSV injection), so that Excel or LibreOffice shows it as text instead of running
it; plain numbers are left as they are (so ``+1``, a plain number, may stay as it is).

In TSV a term is written in Turtle syntax, so a tab or CR inside a literal is written ``\\t`` or
``\\r`` and cannot start a cell; what counts there is what a spreadsheet sees once it has
dropped the opening double quote."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from .harness import assert_alive

DANGEROUS = ['=HYPERLINK("http://evil")', "-cmd", "@SUM(1)", "\tcmd", "\rcmd", "=中文", "=1+1", "+cmd",
             "+1+cmd|' /C calc'!A0"]
PLAIN_NUMBER = "+1"  # in the probe; a plain number, which the rule leaves alone (or neutralises: both safe)
QUERY = ('SELECT ?x WHERE { VALUES ?x { "=HYPERLINK(\\"http://evil\\")" "+1" "-cmd" "@SUM(1)" "\\tcmd" "\\rcmd" '
         '"=中文"@zh "=1+1"^^<http://www.w3.org/2001/XMLSchema#string> "+cmd" "+1+cmd|\' /C calc\'!A0" } }')
NUMBERS_QUERY = 'SELECT ?n WHERE { VALUES ?n { -5 3.5 -2.5e3 "plain" <https://w3id.org/pilotkg/id/zone/x> } }'


def _get(server, query: str, how: str) -> requests.Response:
    if how in ("csv", "tsv"):
        return requests.get(server.base + "/sparql", params={"query": query, "format": how}, timeout=60)
    media = {"accept-csv": "text/csv", "accept-tsv": "text/tab-separated-values"}[how]
    return requests.post(server.base + "/sparql", data={"query": query}, headers={"Accept": media}, timeout=60)


def _csv_cells(resp) -> list[str]:
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))
    return [row[0] for row in rows[1:]]


def _tsv_cells(resp) -> list[str]:
    lines = resp.content.decode("utf-8-sig").split("\n")
    return [line.split("\t")[0] for line in lines[1:] if line]


def _tsv_term(value: str, lang: str | None = None) -> str:
    """How SPARQL TSV writes a string literal (Turtle syntax, escapes for \\t, \\r, quotes)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


@pytest.mark.parametrize("how", ["csv", "accept-csv"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(server, how):
    resp = _get(server, QUERY, how)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/csv")
    cells = _csv_cells(resp)
    number = {PLAIN_NUMBER, "'" + PLAIN_NUMBER} & set(cells)
    assert len(number) == 1, cells
    assert sorted(cells) == sorted(["'" + value for value in DANGEROUS] + list(number)), cells
    for cell in set(cells) - number:
        assert cell[0] not in "=+-@\t\r", cell
    assert_alive(server)


@pytest.mark.parametrize("how", ["tsv", "accept-tsv"])
def test_tsv_cells_that_a_spreadsheet_would_run_are_neutralised(server, how):
    """A TSV cell holds the term in Turtle syntax ("=1+1"); a spreadsheet drops the quotes, so the
    single quote must stand before the dangerous character, inside the quotes or before them."""
    resp = _get(server, QUERY, how)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"].startswith("text/tab-separated-values")
    cells = _tsv_cells(resp)
    assert len(cells) == len(DANGEROUS) + 1, cells
    langs = {"=中文": "zh"}
    for value in DANGEROUS:
        term = _tsv_term(value, langs.get(value))
        if value[0] in "\t\r":  # written \t or \r: harmless as it is
            accepted = {term, "'" + term, '"\'' + term[1:]}
        else:
            accepted = {"'" + term, '"\'' + term[1:]}
        assert accepted & set(cells), f"{value!r} is not neutralised in {cells}"
    for cell in cells:
        seen = cell[1:] if cell.startswith('"') else cell  # a spreadsheet drops the opening quote
        if seen.rstrip('"') == PLAIN_NUMBER:
            continue
        assert seen[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    assert_alive(server)


@pytest.mark.parametrize("how", ["csv", "tsv"])
def test_numbers_and_plain_text_are_left_as_they_are(server, how):
    resp = _get(server, NUMBERS_QUERY, how)
    assert resp.status_code == 200, resp.text[:300]
    cells = _csv_cells(resp) if how == "csv" else _tsv_cells(resp)
    xsd = "http://www.w3.org/2001/XMLSchema#"
    if how == "csv":
        assert sorted(cells) == sorted(["-5", "3.5", "-2500", "plain", "https://w3id.org/pilotkg/id/zone/x"]), cells
    else:  # Turtle syntax: the short form of a number, or the full typed literal
        assert {"-5", f'"-5"^^<{xsd}integer>'} & set(cells), cells
        assert {"3.5", f'"3.5"^^<{xsd}decimal>'} & set(cells), cells
        assert '"plain"' in cells and "<https://w3id.org/pilotkg/id/zone/x>" in cells, cells
    assert_alive(server)
