"""SPARQL text checks shared by the CLI and the server: keeping queries inside the store,
the query form, and parse errors worded with line and column.

Keeping queries inside the store: pyoxigraph evaluates ``SERVICE`` by opening
an HTTP connection, so pilotkg refuses such queries before they run.

The check reads the query's tokens, not its text: the word SERVICE inside a
string, an IRI or a comment does not count.
"""

from __future__ import annotations

import re

_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\r\n]|\\.)*"'  # short strings
    r"|'(?:[^'\\\r\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\r\n]*",  # comments end at CR or LF
)
# A keyword, not a variable (?service), a prefixed name (schema:Service, load:x) or part of one.
_KEYWORD_EDGE_BEFORE = r"(?<![?$:\w-])"
_KEYWORD_EDGE_AFTER = r"(?![:\w-])"
_REMOTE = re.compile(_KEYWORD_EDGE_BEFORE + r"(SERVICE|LOAD)" + _KEYWORD_EDGE_AFTER, re.I)
_DATASET_CLAUSE = re.compile(_KEYWORD_EDGE_BEFORE + r"FROM" + _KEYWORD_EDGE_AFTER, re.I)


class RemoteAccessRefused(ValueError):
    """A query or update that would reach outside the store."""


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def tokens_text(query: str) -> str:
    """The query with codepoint escapes decoded (SPARQL allows \\u0053ERVICE anywhere)
    and strings, IRIs and comments blanked out."""
    decoded = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    return _SKIP.sub(" ", decoded)


def refuse_remote(query: str) -> None:
    """Raise :class:`RemoteAccessRefused` if ``query`` uses SERVICE or LOAD."""
    m = _REMOTE.search(tokens_text(query))
    if m:
        raise RemoteAccessRefused(
            f"{m.group(1).upper()} is not allowed: pilotkg never lets a query reach the network or the file system"
        )


_FORM = re.compile(_KEYWORD_EDGE_BEFORE + r"(SELECT|ASK|CONSTRUCT|DESCRIBE)" + _KEYWORD_EDGE_AFTER, re.I)


def has_dataset_clause(query: str) -> bool:
    """True if the query names its own dataset with FROM or FROM NAMED."""
    return bool(_DATASET_CLAUSE.search(tokens_text(query)))


def query_form(query: str) -> str | None:
    """"SELECT", "ASK", "CONSTRUCT" or "DESCRIBE" (the first form keyword outside
    strings, IRIs and comments), or None if there is none."""
    m = _FORM.search(tokens_text(query))
    return m.group(1).upper() if m else None


_OX_POSITION = re.compile(r"^error at (\d+):(\d+): ")


def syntax_error_message(err: SyntaxError) -> str:
    """pyoxigraph's "error at 5:2: expected ..." as "line 5, column 2: expected ..."."""
    return _OX_POSITION.sub(lambda m: f"line {m.group(1)}, column {m.group(2)}: ", str(err))
