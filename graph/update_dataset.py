"""The SPARQL 1.1 Protocol's dataset of an update: ``using-graph-uri`` and
``using-named-graph-uri`` (protocol section 2.2.3); and the base IRI of a request.

The parameters mean what ``USING`` and ``USING NAMED`` clauses mean, for every operation of
the request that has a ``WHERE`` clause (``INSERT``/``DELETE`` ... ``WHERE``); they are
applied by writing those clauses into the update text, before each top-level ``WHERE`` of
such an operation (the text is read with the safety check's lexer, so a ``WHERE`` inside a
string, an IRI, a comment or a nested pattern is not one). ``DELETE WHERE`` takes no dataset
and is left as it is. The protocol makes it an error to give the parameters with an update
that has its own ``USING``, ``USING NAMED`` or ``WITH``: :class:`UpdateDatasetConflict`.
"""

from __future__ import annotations

import pyoxigraph as ox

from .sparql_safety import standard_tokens, tokens


def base_iri(url: str) -> str | None:
    """The request's URL as the base IRI its query or update resolves relative IRIs against, or
    None if it is no IRI (a Host header can hold anything): relative IRIs then stay unresolved
    and are a syntax error, as without a base. A base IRI is text; nothing is ever fetched."""
    try:
        return ox.NamedNode(url).value
    except ValueError:
        return None


class UpdateDatasetConflict(ValueError):
    """The request gives using-graph-uri/using-named-graph-uri and the update USING or WITH."""


def _iri(value: str, parameter: str) -> str:
    """``<value>`` for an absolute IRI; ValueError (named after the parameter) otherwise."""
    try:
        node = ox.NamedNode(value)
    except ValueError as err:
        raise ValueError(f"{parameter}={value!r} is not an absolute IRI ({err})") from None
    return f"<{node.value}>"


def with_update_dataset(update: str, using: list[str], using_named: list[str]) -> str:
    """``update`` with ``USING <g>`` for each of ``using`` and ``USING NAMED <g>`` for each of
    ``using_named`` written into each operation that has a WHERE clause. Unchanged without
    them. Raises :class:`UpdateDatasetConflict` if the update has its own USING or WITH, and
    ValueError for a parameter that is not an absolute IRI."""
    if not using and not using_named:
        return update
    clauses = [f"USING {_iri(g, 'using-graph-uri')}" for g in using]
    clauses += [f"USING NAMED {_iri(g, 'using-named-graph-uri')}" for g in using_named]
    for reading in (tokens(update), standard_tokens(update)):
        own = sorted({t.text.upper() for t in reading if t.kind == "WORD" and t.text.upper() in ("USING", "WITH")})
        if own:
            raise UpdateDatasetConflict(
                f"the update names its own dataset ({' and '.join(own)}) and the request gives "
                "using-graph-uri/using-named-graph-uri: give one or the other (SPARQL 1.1 Protocol, section 2.2.3)")
    insert = " " + " ".join(clauses) + " "
    pieces, last, depth, previous = [], 0, 0, ""
    for token in tokens(update):
        if token.kind == "PUNCT" and token.text == "{":
            depth += 1
        elif token.kind == "PUNCT" and token.text == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and token.kind == "WORD":
            word = token.text.upper()
            if word == "WHERE" and previous != "DELETE":
                pieces.append(update[last:token.start])
                pieces.append(insert)
                last = token.start
            previous = word
            continue
        if depth == 0:
            previous = ""
    pieces.append(update[last:])
    return "".join(pieces)
