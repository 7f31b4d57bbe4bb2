"""SPARQL text checks shared by the CLI and the server: keeping queries inside the store,
keeping them small enough to evaluate, the query form, and parse errors worded with line
and column.

Keeping queries inside the store: pyoxigraph evaluates ``SERVICE`` by opening an HTTP
connection and ``LOAD`` by fetching a URL, so pilotkg refuses both before anything runs.
The check reads the text with a lexer that follows the terminals of the SPARQL 1.1 grammar
(section 19.8: IRIREF, the four string forms with their escapes, prefixed names whose local
part may hold ``\\#``, ``\\'`` or ``%23``, blank node labels, variables, language tags,
numbers, comments, keywords and punctuation), so the word SERVICE inside a string, an IRI,
a comment or a name does not count, and no escape can hide a real one.

Where two parsers could read the same text differently the check reads it every way and
refuses if any reading finds SERVICE or LOAD:

- Oxigraph's parser (spargebra) reads ``\\u0053`` only inside strings and IRIs, ends a
  prefixed name's local part after one run of dots (``ex:a.b.c`` is ``ex:a.b`` ``.`` ``c``)
  and matches keywords without a word boundary (``trueSERVICE`` is ``true`` ``SERVICE``);
  the standard decodes codepoint escapes in the whole text first (section 19.2) and lets a
  local name hold any number of dots. Both readings are checked.
- ``<`` after a term inside parentheses may be less-than or start an IRI
  (``FILTER(1<2)SERVICE#>``); the text between ``<`` and ``>`` must read the same both ways
  (no comment, string or bracket inside), otherwise the query is refused as uncheckable.
- A name that begins a keyword (``service:x {}``, ``load:x`` at the top level of an update)
  is refused where Oxigraph would read the keyword in it.

Keeping queries small: pyoxigraph parses and evaluates recursively, and a deep enough text
overflows its stack and kills the process. :func:`check_complexity` bounds the nesting of
brackets, the operators chained at one level and the number of tokens, far below what
crashes pyoxigraph and far above any real query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple


class RemoteAccessRefused(ValueError):
    """A query or update that would reach outside the store (or cannot be shown not to)."""


class QueryTooComplex(ValueError):
    """A query or update nested or chained deeper than pyoxigraph can safely evaluate."""


# --- Terminals (SPARQL 1.1 grammar, section 19.8) ---------------------------------------------

# PN_CHARS_BASE as Oxigraph reads it (the Basic Multilingual Plane), and the standard's (all planes).
_BASE_BMP = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
)
_BASE_ALL = _BASE_BMP + "\U00010000-\U000EFFFF"
_NAME_EXTRA = "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"  # PN_CHARS beyond PN_CHARS_U
_VAR_EXTRA = "0-9\u00B7\u0300-\u036F\u203F-\u2040"
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]"  # PERCENT | PN_LOCAL_ESC
_IRI_CHAR = r'[^<>"{}|^`\\\x00-\x20]'
_STRINGS = (
    rf"'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''"
    rf'|"""(?:(?:""|")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+"""'
    rf"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'"
    rf'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+"'
)
_NUMBER = r"(?:[0-9]++\.[0-9]*+|\.[0-9]++|[0-9]++)[eE][+-]?[0-9]++|[0-9]*+\.[0-9]++|[0-9]++"
_PUNCT = r"\^\^|\|\||&&|!=|<=|>=|<<|>>|[{}()\[\],;.=!<>+\-*/|^?~&]"
# Whitespace is what the grammar's WS allows (space, tab, CR, LF); a comment runs to CR or LF.
_SKIP = re.compile(r"(?:[ \t\r\n]++|#[^\r\n]*+)*+")


def _terminals(base: str, *, spec_local: bool, uchar_in_iri: bool) -> tuple[re.Pattern, ...]:
    """One reading's patterns: a token (every repetition possessive, as a PEG parser reads),
    whitespace and comments then a token, and IRIREF."""
    u = base + "_"
    c = u + _NAME_EXTRA
    iri = rf"<(?:{_IRI_CHAR}|{_UCHAR})*+>" if uchar_in_iri else rf"<{_IRI_CHAR}*+>"
    prefix = rf"[{base}][{c}]*+(?:\.++[{c}]++)*+"
    local_char = rf"[{c}:]|{_PLX}"
    if spec_local:  # dots anywhere but at the end
        local = rf"(?:[{u}:0-9]|{_PLX})(?:{local_char}|\.++(?={local_char}))*+"
    else:  # Oxigraph: one run of dots at most, after the first part
        local = rf"(?:[{u}:0-9]|{_PLX})(?:{local_char})*+(?:\.++(?:{local_char})++)?+"
    token = (
        rf"(?P<IRI>{iri})"
        rf"|(?P<STRING>{_STRINGS})"
        rf"|(?P<VAR>[?$][{u}0-9][{u}{_VAR_EXTRA}]*+)"
        rf"|(?P<BNODE>_:[{u}0-9][{c}]*+(?:\.++[{c}]++)*+)"
        rf"|(?P<PNAME>(?:{prefix})?:(?:{local})?)"
        rf"|(?P<WORD>{prefix})"
        rf"|(?P<LANGTAG>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+)"
        rf"|(?P<NUMBER>{_NUMBER})"
        rf"|(?P<PUNCT>{_PUNCT})"
        rf"|(?P<OTHER>.)"
    )
    return re.compile(token, re.S), re.compile(_SKIP.pattern + f"(?:{token})", re.S), re.compile(iri)


@dataclass(frozen=True)
class _Reading:
    """One way of reading SPARQL text: the parser it stands for and its terminals."""

    parser: str
    token: re.Pattern
    scan: re.Pattern
    iri: re.Pattern


# Oxigraph 0.5 (spargebra): codepoint escapes only inside strings and IRIs, names in the Basic
# Multilingual Plane, one run of dots in a local name. Read on the text as written.
_OXIGRAPH = _Reading("Oxigraph", *_terminals(_BASE_BMP, spec_local=False, uchar_in_iri=True))
# The standard: read on the text after decode_codepoints.
_STANDARD = _Reading("SPARQL 1.1", *_terminals(_BASE_ALL, spec_local=True, uchar_in_iri=False))

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _decode_codepoint(m: re.Match) -> str:
    value = int(m.group(1) or m.group(2), 16)
    return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\uFFFD"


def decode_codepoints(text: str) -> str:
    """``text`` with every ``\\uXXXX`` and ``\\UXXXXXXXX`` replaced by its character, as the
    SPARQL standard reads a query before its grammar (section 19.2)."""
    return _CODEPOINT.sub(_decode_codepoint, text) if "\\" in text else text


# --- The lexer ---------------------------------------------------------------------------------

_OPERAND_KINDS = frozenset({"IRI", "PNAME", "VAR", "STRING", "LANGTAG", "NUMBER", "BNODE"})
_OPERAND_PUNCT = frozenset({")", "]", "}", ">>"})
_OPEN = frozenset("{([")
_CLOSE = frozenset("})]")
_TRIPLE_TERM = "<<("  # a '(' right after '<<' opens a triple term, never an expression


class Token(NamedTuple):
    """One token: its kind (IRI, STRING, VAR, BNODE, PNAME, WORD, LANGTAG, NUMBER, PUNCT,
    OTHER), where it starts and ends in the text that was read, and that text."""

    kind: str
    start: int
    end: int
    text: str


def _refuse(keyword: str) -> RemoteAccessRefused:
    return RemoteAccessRefused(
        f"{keyword} is not allowed: pilotkg never lets a query reach the network or the file system"
    )


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _uncheckable(text: str, offset: int) -> RemoteAccessRefused:
    return RemoteAccessRefused(
        "the query cannot be checked for SERVICE and LOAD: at "
        f"{_position(text, offset)} '<' after a term inside parentheses reads both as less-than "
        "and as the start of an IRI, and the two readings differ; write a space after '<' "
        "for less-than, or use a prefixed name instead of the IRI"
    )


def _scan(text: str, reading: _Reading, *, check: bool, out: list[Token] | None = None) -> None:
    """Read ``text`` token by token in one reading, keeping the little context the grammar
    needs (open brackets, the previous token); with ``check``, refuse SERVICE and LOAD as it
    goes; with ``out``, append each token to it."""
    match, match_iri = reading.scan.match, reading.iri.match
    stack: list[str] = []
    top = ""  # the innermost open bracket
    # About the previous token: a term or closing bracket (after which '<' may be less-than),
    # the PREFIX keyword, '<<', a name that would begin SERVICE if a group followed.
    operand = after_prefix_keyword = after_double_angle = awaiting_group = False
    pos = 0
    while m := match(text, pos):
        kind = m.lastgroup
        start, end = m.span(kind)
        if kind == "PUNCT":
            value = m.group(kind)
            if value == "<<" and operand and top == "(" and (iri := match_iri(text, start + 1)):
                # '<' then an IRI, or '<<' then what the IRI holds: check both, go on as the first.
                if check:
                    _same_both_ways(text, reading, start + 2, iri.end() - 1)
                if out is not None:
                    out.append(Token("PUNCT", start, start + 1, "<"))
                    out.append(Token("IRI", start + 1, iri.end(), iri.group()))
                pos = iri.end()
                awaiting_group = after_prefix_keyword = after_double_angle = False
                continue
            if awaiting_group and value == "{":
                raise _refuse("SERVICE")
            if value in _OPEN:
                top = _TRIPLE_TERM if value == "(" and after_double_angle else value
                stack.append(top)
            elif value in _CLOSE and stack:
                stack.pop()
                top = stack[-1] if stack else ""
            operand = value in _OPERAND_PUNCT
            after_double_angle = value == "<<"
            awaiting_group = after_prefix_keyword = False
        elif kind == "WORD":
            lowered = m.group(kind).lower()
            if check and "service" in lowered:  # a keyword, or one glued to another (trueSERVICE)
                raise _refuse("SERVICE")
            if check and "load" in lowered:
                raise _refuse("LOAD")
            operand = lowered.endswith(("true", "false"))
            after_prefix_keyword = lowered == "prefix"
            awaiting_group = after_double_angle = False
        elif kind == "PNAME":
            if check:
                value = m.group(kind)
                prefix = value[: value.index(":")].lower()
                # Oxigraph reads SERVICE, then the rest as the service IRI, if a group follows.
                awaiting_group = "service" in prefix
                # An update's operations start at the top level: load:x there is LOAD :x.
                if not stack and not after_prefix_keyword and prefix.startswith("load"):
                    raise _refuse("LOAD")
            operand = True
            after_prefix_keyword = after_double_angle = False
        else:
            if kind == "IRI" and check and operand and top == "(":
                _same_both_ways(text, reading, start + 1, end - 1)  # an IRI, or less-than and more
            operand = kind in _OPERAND_KINDS
            awaiting_group = after_prefix_keyword = after_double_angle = False
        if out is not None:
            out.append(Token(kind, start, end, text[start:end]))
        pos = end


def _same_both_ways(text: str, reading: _Reading, start: int, end: int) -> None:
    """Read ``text[start:end]`` (what sits between an ambiguous '<' and its '>') as tokens;
    refuse if that reading finds SERVICE or LOAD, or if it runs past ``end`` (a comment or a
    string) or leaves brackets unbalanced, since then the two readings part ways."""
    match_token, skip = reading.token.match, _SKIP.match
    depth, pos = 0, start
    while pos < end:
        m = match_token(text, pos)
        if skip(text, pos).end() != pos or m.end() > end:
            raise _uncheckable(text, start - 1)
        kind, lowered = m.lastgroup, m.group().lower()
        if kind == "WORD" and "service" in lowered:
            raise _refuse("SERVICE")
        if kind == "WORD" and "load" in lowered:
            raise _refuse("LOAD")
        if kind == "PUNCT" and lowered in _OPEN:
            depth += 1
        elif kind == "PUNCT" and lowered in _CLOSE:
            depth -= 1
            if depth < 0:
                raise _uncheckable(text, start - 1)
        pos = m.end()
    if depth:
        raise _uncheckable(text, start - 1)


def tokens(text: str) -> list[Token]:
    """The tokens of ``text`` as Oxigraph reads it (codepoint escapes left as written; offsets
    point into ``text``). Whitespace and comments are not tokens."""
    out: list[Token] = []
    _scan(text, _OXIGRAPH, check=False, out=out)
    return out


def standard_tokens(text: str) -> list[Token]:
    """The tokens of ``text`` as the SPARQL standard reads it: codepoint escapes decoded first,
    so offsets point into ``decode_codepoints(text)``."""
    out: list[Token] = []
    _scan(decode_codepoints(text), _STANDARD, check=False, out=out)
    return out


def tokens_text(query: str) -> str:
    """The query with codepoint escapes decoded (SPARQL allows \\u0053ERVICE anywhere)
    and strings, IRIs and comments blanked out: each token of the standard reading but
    strings and IRIs, separated by spaces."""
    return " ".join(t.text for t in standard_tokens(query) if t.kind not in ("STRING", "IRI"))


def refuse_remote(query: str) -> None:
    """Raise :class:`RemoteAccessRefused` if ``query`` (a query or an update, updates chained
    with ``;``) uses SERVICE or LOAD in any reading, or cannot be read unambiguously."""
    _scan(query, _OXIGRAPH, check=True)
    _scan(decode_codepoints(query), _STANDARD, check=True)


def _words(query: str) -> list[str]:
    return [t.text.upper() for t in standard_tokens(query) if t.kind == "WORD"]


def has_dataset_clause(query: str) -> bool:
    """True if the query names its own dataset with FROM or FROM NAMED."""
    return "FROM" in _words(query)


_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(query: str) -> str | None:
    """"SELECT", "ASK", "CONSTRUCT" or "DESCRIBE" (the first form keyword outside
    strings, IRIs and comments), or None if there is none."""
    return next((word for word in _words(query) if word in _FORMS), None)


_OX_POSITION = re.compile(r"^error at (\d+):(\d+): ")


def syntax_error_message(err: SyntaxError) -> str:
    """pyoxigraph's "error at 5:2: expected ..." as "line 5, column 2: expected ..."."""
    return _OX_POSITION.sub(lambda m: f"line {m.group(1)}, column {m.group(2)}: ", str(err))


# --- Complexity --------------------------------------------------------------------------------

# Measured with pyoxigraph 0.5.13 in a process with an 8 MiB stack (the last size that ran, then
# the first that killed the process with SIGSEGV): nested function calls (STR, COALESCE) and
# FILTER EXISTS 800 / 1,000 levels; nested groups 2,000 / 2,500 (also in an update's WHERE);
# nested sub-SELECT and OPTIONAL 2,500 / 3,000; nested parentheses 4,000 / 5,000; nested [ ] in
# INSERT DATA 3,000 / 4,000; chains of MINUS and BIND 2,500 / 3,000, UNION 6,500 / 8,000,
# FILTER, ||, && and ! 8,000 / 10,000, + and * 3,000 / 10,000, path | 10,000 / 30,000.
# Long VALUES, IN lists, INSERT DATA with 100,000 triples and 300,000 updates chained with ;
# did not crash. The limits sit 10 times and more below the crashes and 8 times and more above
# the example queries (nesting 7, chain 14, depth 37, 315 tokens).
MAX_NESTING = 64  # brackets ( [ { open at once
MAX_CHAIN = 256  # operators and pattern keywords at one level of brackets
MAX_DEPTH = 512  # brackets plus the operators chained in each, along the deepest path
MAX_TOKENS = 200_000  # bounds the time the checks take (about 0.3 s at the limit)

# Tokens that each add a level to pyoxigraph's trees when chained (left-deep joins and
# operator chains).
_CHAIN_WORDS = frozenset({"UNION", "MINUS", "OPTIONAL", "FILTER", "BIND", "GRAPH", "VALUES", "SERVICE"})
_CHAIN_OPERATORS = _CHAIN_WORDS | {"||", "&&", "|", "/", "+", "-", "*", "!", "^", "{"}


class Complexity(NamedTuple):
    """How deep and long a text is, as :func:`check_complexity` measures it."""

    nesting: int  # most brackets open at once
    chain: int  # most operators and groups chained directly inside one bracket
    depth: int  # brackets plus the operators chained in each, along the deepest path
    tokens: int


def complexity(text: str) -> Complexity:
    """The nesting, chain, depth and token count of ``text`` (for reports and tests)."""
    return _measure(text, refuse=False)


def check_complexity(text: str) -> None:
    """Raise :class:`QueryTooComplex` if ``text`` nests brackets deeper than
    :data:`MAX_NESTING`, chains more than :data:`MAX_CHAIN` operators at one level, reaches
    a combined depth over :data:`MAX_DEPTH`, or has more than :data:`MAX_TOKENS` tokens.
    It reads the text once and stops at the first limit passed."""
    _measure(text, refuse=True)


def _measure(text: str, *, refuse: bool) -> Complexity:
    """One pass over the tokens. Each open bracket is a frame counting the operators chained
    directly inside it; when it closes, its depth is 1 + those operators + its deepest child
    (an upper bound on the depth of what pyoxigraph builds from it, wherever the child sits
    in the chain)."""
    nesting = most_nesting = most_chain = most_depth = count = 0
    levels: list[dict[str, int]] = [{}]  # per open frame: operator -> how often directly inside
    deepest_child = [0]  # per open frame: the depth of its deepest closed child
    for m in _OXIGRAPH.scan.finditer(text):
        count += 1
        if count > MAX_TOKENS and refuse:
            raise QueryTooComplex(
                f"query too complex: more than {MAX_TOKENS:,} tokens; at most {MAX_TOKENS:,} are allowed"
            )
        kind = m.lastgroup
        if kind == "WORD":
            operator = m.group(kind).upper()
            if operator not in _CHAIN_WORDS:
                continue
        elif kind == "PUNCT":
            operator = m.group(kind)
            if operator in _CLOSE:
                if nesting:
                    nesting -= 1
                    depth = 1 + sum(levels.pop().values()) + deepest_child.pop()
                    deepest_child[-1] = max(deepest_child[-1], depth)
                    if depth > most_depth:
                        most_depth = depth
                        if refuse and depth > MAX_DEPTH:
                            raise QueryTooComplex(
                                "query too complex: brackets and the operators chained inside them reach a "
                                f"depth of {depth} at {_position(text, m.start(kind))}; at most {MAX_DEPTH} is allowed"
                            )
                continue
        else:
            continue
        if operator in _CHAIN_OPERATORS:
            level = levels[-1]
            level[operator] = level.get(operator, 0) + 1
            chain = sum(level.values())
            if chain > most_chain:
                most_chain = chain
                if refuse and chain > MAX_CHAIN:
                    raise QueryTooComplex(
                        f"query too complex: {_chain_text(text, m.start(kind), level)}; "
                        f"at most {MAX_CHAIN} are allowed at one level"
                    )
        if operator in _OPEN:
            nesting += 1
            levels.append({})
            deepest_child.append(0)
            if nesting > most_nesting:
                most_nesting = nesting
                if refuse and nesting > MAX_NESTING:
                    raise QueryTooComplex(
                        f"query too complex: groups and brackets nest {max(nesting, _bracket_depth(text))} deep; "
                        f"at most {MAX_NESTING} levels are allowed"
                    )
    while len(levels) > 1:  # brackets left open at the end
        depth = 1 + sum(levels.pop().values()) + deepest_child.pop()
        deepest_child[-1] = max(deepest_child[-1], depth)
    most_depth = max(most_depth, sum(levels[0].values()) + deepest_child[0])  # the whole text
    if refuse and most_depth > MAX_DEPTH:
        raise QueryTooComplex(
            f"query too complex: brackets and the operators chained inside them reach a depth of {most_depth}; "
            f"at most {MAX_DEPTH} is allowed"
        )
    return Complexity(most_nesting, most_chain, most_depth, count)


def _chain_text(text: str, offset: int, level: dict[str, int]) -> str:
    """What one level holds, for the message: "257 operators and groups in a row (129 groups,
    128 UNION) up to line 1, column 1170"."""
    total = sum(level.values())
    parts = ", ".join(
        f"{n} {'groups' if op == '{' else op}" for op, n in sorted(level.items(), key=lambda item: -item[1])[:3]
    )
    return f"{total} operators and groups in a row ({parts}) up to {_position(text, offset)}"


_BRACKET_RUNS = re.compile(
    rf"(?P<open>[{{(\[]+)|(?P<close>[}})\]]+)|{_OXIGRAPH.iri.pattern}|{_STRINGS}|#[^\r\n]*+|\\."
    rf"|[^{{}}()\[\]<'\"#\\]++|.",
    re.S,
)


def _bracket_depth(text: str) -> int:
    """How deep the brackets of ``text`` nest outside IRIs, strings and comments, counted a
    run of brackets at a time (fast even for a megabyte of '{'); for messages."""
    depth = deepest = 0
    for m in _BRACKET_RUNS.finditer(text):
        if m.lastgroup == "open":
            depth += m.end() - m.start()
            deepest = max(deepest, depth)
        elif m.lastgroup == "close":
            depth = max(0, depth - (m.end() - m.start()))
    return deepest


def check_untrusted(text: str) -> None:
    """Refuse ``text`` (a query or an update from outside) if it could reach the network or
    the file system (:class:`RemoteAccessRefused`) or is too deep to evaluate safely
    (:class:`QueryTooComplex`)."""
    check_complexity(text)  # first: it stops early on a text built to be slow to read
    refuse_remote(text)


# --- Variables, for filling in parameterised queries ------------------------------------------


def variable_tokens(query: str) -> list[tuple[str, str, int, int]]:
    """The variables written in ``query`` outside strings, IRIs and comments, in order,
    as ``(sigil, name, start, end)`` with offsets into ``query`` itself (``?x`` and ``$x``
    are the same variable in SPARQL; the sigil tells which way it was written)."""
    return [(t.text[0], t.text[1:], t.start, t.end) for t in tokens(query) if t.kind == "VAR"]


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
