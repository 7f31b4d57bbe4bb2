"""Keeping queries inside the store: pyoxigraph evaluates ``SERVICE`` by opening
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
