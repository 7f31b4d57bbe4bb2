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
    r'|"(?:[^"\\\n]|\\.)*"'  # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\n]*",  # comments
)
_REMOTE = re.compile(r"\b(SERVICE|LOAD)\b", re.I)


class RemoteAccessRefused(ValueError):
    """A query or update that would reach outside the store."""


def refuse_remote(query: str) -> None:
    """Raise :class:`RemoteAccessRefused` if ``query`` uses SERVICE or LOAD."""
    m = _REMOTE.search(_SKIP.sub(" ", query))
    if m:
        raise RemoteAccessRefused(
            f"{m.group(1).upper()} is not allowed: pilotkg never lets a query reach the network or the file system"
        )


_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.I)
_UPDATE = re.compile(r"\b(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)


def query_form(query: str) -> str | None:
    """"SELECT", "ASK", "CONSTRUCT" or "DESCRIBE" (the first form keyword outside
    strings, IRIs and comments), or None if there is none."""
    m = _FORM.search(_SKIP.sub(" ", query))
    return m.group(1).upper() if m else None


_OX_POSITION = re.compile(r"^error at (\d+):(\d+): ")


def syntax_error_message(err: SyntaxError) -> str:
    """pyoxigraph's "error at 5:2: expected ..." as "line 5, column 2: expected ..."."""
    return _OX_POSITION.sub(lambda m: f"line {m.group(1)}, column {m.group(2)}: ", str(err))
