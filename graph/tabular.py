"""SPARQL results as CSV and TSV that are safe to open in a spreadsheet.

Every CSV or TSV that pilotkg writes (``/sparql``, ``/queries/NAME.csv``,
``/browse/NAME?format=csv``, ``/search?format=csv``, ``pilotkg query --output csv|tsv``)
comes from :func:`write_csv`, :func:`write_table_csv` or :func:`write_tsv`, so one rule
decides what a spreadsheet may run.

The rule (OWASP, "CSV Injection"). A spreadsheet reads a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and one that starts with a tab or a
carriage return can be turned into one; a formula can fetch URLs
(``=HYPERLINK``, ``=WEBSERVICE``) or start programs (DDE). Such a cell is
*neutralised*: a single quote ``'`` is put before it, which makes it text, and
in CSV the cell is always quoted. The full-width forms ``＝ ＋ － ＠``
(U+FF1D, U+FF0B, U+FF0D, U+FF20) are treated the same way, as a precaution for
Chinese and Japanese data and spreadsheets: a quote costs nothing there.

The exception: a cell that is exactly a decimal number — an optional sign,
digits with an optional fraction, an optional exponent (``-5``, ``+3.2e4``,
``-0.5``, ``.5E-3``) — is left as it is. A spreadsheet reads it as a number, and
a number runs nothing. This covers the lexical forms of typed numeric literals
(``"-5"^^xsd:integer``), and also a plain string that happens to look like a
number. Anything more (``-5+1``, ``-INF``, ``-1 ``, ``+86 28 1234``) is
neutralised; ``-INF`` and ``NaN`` of ``xsd:double`` are then ``'-INF`` and
``NaN`` (which does not start with a sign).

CSV (SPARQL 1.1 Query Results CSV): a cell is the IRI, the lexical form of a
literal (its language and datatype are dropped, as the format says) or
``_:label``; cells are quoted when they hold ``"``, ``,``, CR or LF, and always
when neutralised (``"'=HYPERLINK(""http://x"")"``); lines end with CRLF.

TSV (SPARQL 1.1 Query Results TSV): a cell is the term in SPARQL/Turtle syntax:
``<iri>``, ``_:label``, ``"text"``, ``"text"@en``, ``"text"^^<datatype>``, and
``xsd:integer`` values bare (``-5``), as the format allows, so that a
spreadsheet reads them as numbers. Decimals and doubles keep the full form
(``"-2.5"^^<...#decimal>``): rdflib's TSV parser, which SPARQLWrapper users
rely on, cannot read a bare negative decimal.
IRIs and blank nodes start with ``<`` or ``_`` and need nothing. A tab, CR or
LF inside a literal is written as ``\\t``, ``\\r``, ``\\n``, so no TSV cell can
start with a raw tab or CR. But a spreadsheet opening a TSV file takes ``"`` as
its text qualifier and drops it — ``"=1+1"@en`` arrives as ``=1+1@en``, which
is a formula — so a literal whose lexical form starts with one of the
characters above gets the quote *inside* the literal: ``"'=1+1"@en``. The TSV
stays valid SPARQL TSV (a parser reads the literal ``'=1+1``), and the
spreadsheet shows text. A literal whose lexical form is a number is left alone,
as in CSV; with its datatype it arrives as ``-2.5^^<...>``, which cannot parse
as a formula whatever the datatype IRI says.

Neutralising changes the value a program reads (``'=x`` instead of ``=x``);
the JSON and XML results formats are never changed, for programs that need
the exact value.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import pyoxigraph as ox

# Characters that make a spreadsheet read a cell as a formula (OWASP), and their full-width forms.
FORMULA_STARTS = frozenset("=+-@\t\r" "\uff1d\uff0b\uff0d\uff20")
_DECIMAL_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_CSV_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_ESCAPED_IN_TSV = "\t\r"  # written \t and \r inside a TSV literal, so they never start a cell

XSD = "http://www.w3.org/2001/XMLSchema#"
# Turtle's bare INTEGER, which SPARQL TSV may use for xsd:integer.
_TURTLE_INTEGER = re.compile(r"[+-]?[0-9]+\Z")

UTF8_BOM = b"\xef\xbb\xbf"


def runs_as_formula(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula: it starts with one of
    :data:`FORMULA_STARTS` and is not exactly a decimal number."""
    return bool(text) and text[0] in FORMULA_STARTS and not _DECIMAL_NUMBER.match(text)


def csv_cell(text: str) -> str:
    """One CSV cell, quoted as RFC 4180 needs and neutralised if it could run as a formula."""
    if runs_as_formula(text):
        return '"\'' + text.replace('"', '""') + '"'
    if _CSV_NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_value(term) -> str:
    """The text of a term in SPARQL CSV: an IRI, a literal's lexical form, ``_:label``; '' if unbound."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def tsv_term(term) -> str:
    """A term in SPARQL TSV syntax, neutralised (inside the literal) if a spreadsheet could run it."""
    if term is None:
        return ""
    if not isinstance(term, ox.Literal):
        return str(term)
    if not term.language and term.datatype.value == XSD + "integer" and _TURTLE_INTEGER.match(term.value):
        return term.value
    if runs_as_formula(term.value) and term.value[0] not in _ESCAPED_IN_TSV:
        if term.language:
            direction = getattr(term, "direction", None)
            extra = {"direction": direction} if direction else {}
            term = ox.Literal("'" + term.value, language=term.language, **extra)
        else:
            term = ox.Literal("'" + term.value, datatype=term.datatype)
    return str(term)


def write_csv(variables: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """SPARQL 1.1 CSV results (UTF-8, CRLF) of ``rows`` (pyoxigraph terms or None per variable)."""
    lines = [",".join(csv_cell(v) for v in variables)]
    lines += [",".join(csv_cell(csv_value(t)) for t in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_table_csv(headers: Sequence[str], rows: Iterable[Sequence[str]], *, bom: bool = False) -> bytes:
    """A CSV of plain text cells (the browse and search tables), by the same rule as
    :func:`write_csv`: RFC 4180 quoting, formula-like cells neutralised, CRLF; ``bom`` puts
    the UTF-8 byte order mark in front (for Excel)."""
    lines = [",".join(csv_cell(h) for h in headers)]
    lines += [",".join(csv_cell(cell) for cell in row) for row in rows]
    body = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    return UTF8_BOM + body if bom else body


def write_tsv(variables: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """SPARQL 1.1 TSV results (UTF-8, LF) of ``rows`` (pyoxigraph terms or None per variable)."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(tsv_term(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_boolean(value: bool) -> bytes:
    """An ASK result in CSV or TSV: ``true`` or ``false`` on one line."""
    return b"true\n" if value else b"false\n"


def solution_rows(solutions: ox.QuerySolutions) -> tuple[list[str], list[list]]:
    """The variable names and the rows of pyoxigraph solutions (for the command line)."""
    variables = [v.value for v in solutions.variables]
    return variables, [[solution[v] for v in variables] for solution in solutions]
