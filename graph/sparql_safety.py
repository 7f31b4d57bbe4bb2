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


# --- Variables, for filling in parameterised queries ------------------------------------------

# SPARQL 1.1 grammar: VARNAME ::= ( PN_CHARS_U | [0-9] ) ( PN_CHARS_U | [0-9] | #x00B7 | [#x0300-#x036F] | [#x203F-#x2040] )*
_PN_CHARS_U = (
    "A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
)
# A backslash before the sigil makes it a prefixed name's escaped character (ex:a\$b), not a variable.
_VARIABLE = re.compile(
    rf"(?<!\\)([?$])([{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)"
)


def variable_tokens(query: str) -> list[tuple[str, str, int, int]]:
    """The variables written in ``query`` outside strings, IRIs and comments, in order,
    as ``(sigil, name, start, end)`` with offsets into ``query`` itself (``?x`` and ``$x``
    are the same variable in SPARQL; the sigil tells which way it was written)."""
    found = []
    position = 0
    for skipped in [*_SKIP.finditer(query), None]:
        end = skipped.start() if skipped else len(query)
        for m in _VARIABLE.finditer(query, position, end):
            found.append((m.group(1), m.group(2), m.start(), m.end()))
        if skipped:
            position = skipped.end()
    return found


def replace_variables(query: str, replacements: dict[str, str], sigil: str = "$") -> str:
    """``query`` with each variable written ``<sigil>name`` (name a key of ``replacements``)
    replaced by ``replacements[name]``, which must already be SPARQL syntax (an IRI in
    angle brackets, a literal). Variables inside strings, IRIs and comments are left alone,
    as are those written with the other sigil."""
    pieces, last = [], 0
    for token_sigil, name, start, end in variable_tokens(query):
        if token_sigil == sigil and name in replacements:
            pieces.append(query[last:start])
            pieces.append(replacements[name])
            last = end
    pieces.append(query[last:])
    return "".join(pieces)
