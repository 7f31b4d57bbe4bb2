"""The outline of a source text: sections, numbered items and the measures under them.

Every node carries character offsets into the text exactly as read (``\\r\\n``
kept), so facts found inside a node can quote it.  The rules are generic:

* a **section** heading is a line starting with an upper roman numeral or arabic
  number and "." ("VII. Organizational Guarantees", "1. The leadership ..."), or
  with a number or ordinal word and "," or ":" ("Second, establish ...",
  "Three: Establishing ...");
* an **item** is a line starting with "(" marker ")", the marker read by
  :func:`numbering.parse_marker` with the number that continues the
  previous item as the expected one;
* in a text without numbered sections, the line just before an item numbered 1
  heads an unnumbered section;
* an item whose line holds its heading sentence alone ("(1) Improve the public
  data access mechanism.") has one **measure** per following line; an item whose
  text runs on in the same line is one paragraph, and any further lines simply
  extend its block.

Lines before the first section or item (page furniture, titles) are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbering import parse_marker, word_number
from .text import Span




@dataclass
class OutlineNode:
    kind: str  # "section" | "item" | "measure"
    number: int | None  # as written; None for unnumbered sections; a measure's 1-based position
    marker: str  # exactly as in the text: "(xiii)", "VII.", "Second,", "--"; "" when there is none
    heading: Span  # title without marker and trailing period; an item's first sentence
    block: Span  # marker start .. end of the node's last line
    children: list[OutlineNode] = field(default_factory=list)


_LINE = re.compile(r"[^\r\n]+")
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)""")
_ABBREVIATIONS = frozenset(
    "no nos art arts fig figs mr mrs ms dr prof st vs cf approx e.g i.e".split()
)
_NUMBER_SECTION = re.compile(r"(?P<marker>(?P<token>[IVXL]+|[0-9]{1,3})\.)\s")
_WORD_SECTION = re.compile(r"(?P<marker>(?P<token>[A-Z][a-z]+(?:-[a-z]+)?)[,:])\s")
_ITEM = re.compile(r"(?P<marker>\((?P<token>[0-9]+|[A-Za-z]+(?:-[A-Za-z]+)?)\))")
_BULLET = re.compile(r"[-‐‑–—]+")


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _lines_between(text: str, start: int, end: int) -> list[Span]:
    trimmed = (_trim(text, m.start(), m.end()) for m in _LINE.finditer(text, start, end))
    return [span for span in trimmed if span.start < span.end]


def lines(text: str) -> list[Span]:
    """Return the non-empty lines of ``text``, trimmed of surrounding whitespace."""
    return _lines_between(text, 0, len(text))


def _is_abbreviation(text: str, start: int, period: int) -> bool:
    words = text[start:period].split()
    return bool(words) and words[-1].lstrip("(\"'“‘").lower() in _ABBREVIATIONS


def sentences(text: str, span: Span) -> list[Span]:
    """Split ``span`` into trimmed sentences: at ". ", "! ", "? " (closing quotes and
    brackets stay with their sentence) and at line breaks; not after abbreviations
    such as "No." and never inside decimals like "3.5"."""
    found = []
    for line in _lines_between(text, span.start, span.end):
        start = line.start
        for end in _SENTENCE_END.finditer(text, line.start, line.end):
            if end.group() == "." and _is_abbreviation(text, start, end.start()):
                continue
            found.append(_trim(text, start, end.end()))
            start = end.end()
        found.append(_trim(text, start, line.end))
    return [s for s in found if s.start < s.end]


def _without_period(text: str, span: Span) -> Span:
    if span.end > span.start and text[span.end - 1] == ".":
        return _trim(text, span.start, span.end - 1)
    return span


@dataclass
class _Line:
    kind: str  # "section" | "item" | "text"
    span: Span
    marker: Span | None = None
    number: int | None = None


def _section_marker(text: str, line: Span) -> tuple[Span, int] | None:
    if m := _NUMBER_SECTION.match(text, line.start, line.end):
        try:
            return Span(*m.span("marker")), parse_marker(m["token"])
        except ValueError:  # "IIII." is no numeral
            return None
    m = _WORD_SECTION.match(text, line.start, line.end)
    if m and (number := word_number(m["token"])) is not None:
        return Span(*m.span("marker")), number
    return None


def _classify(text: str) -> list[_Line]:
    classified, last_item = [], 0
    for span in lines(text):
        if section := _section_marker(text, span):
            classified.append(_Line("section", span, *section))
            continue
        if m := _ITEM.match(text, span.start, span.end):
            try:
                number = parse_marker(m["token"], expected=last_item + 1)
            except ValueError:  # "(Trial)" and the like: ordinary text
                pass
            else:
                classified.append(_Line("item", span, Span(*m.span("marker")), number))
                last_item = number
                continue
        classified.append(_Line("text", span))
    if not any(line.kind == "section" for line in classified):
        for before, line in zip(classified, classified[1:]):
            if line.kind == "item" and line.number == 1 and before.kind == "text":
                before.kind = "section"
    return classified


def _headed_node(text: str, line: _Line) -> tuple[OutlineNode, bool]:
    """Build a section or item node; also tell whether its heading sentence fills its line."""
    body_start = line.marker.end if line.marker else line.span.start
    found = sentences(text, Span(body_start, line.span.end))
    first = found[0] if found else Span(line.span.end, line.span.end)
    marker = line.marker.of(text) if line.marker else ""
    node = OutlineNode(line.kind, line.number, marker, _without_period(text, first), line.span)
    return node, first.end == line.span.end


def _measure(text: str, line: Span, number: int) -> OutlineNode:
    bullet = _BULLET.match(text, line.start, line.end)
    marker_end = bullet.end() if bullet else line.start
    heading = _without_period(text, _trim(text, marker_end, line.end))
    return OutlineNode("measure", number, text[line.start : marker_end], heading, line)


def parse_outline(text: str) -> list[OutlineNode]:
    """Return the top-level sections of ``text`` (its items when it has no sections)."""
    outline: list[OutlineNode] = []
    section = item = None
    item_has_measures = False
    for line in _classify(text):
        if line.kind == "section":
            section, _ = _headed_node(text, line)
            item = None
            outline.append(section)
        elif line.kind == "item":
            item, item_has_measures = _headed_node(text, line)
            (section.children if section else outline).append(item)
        elif item and item_has_measures:
            item.children.append(_measure(text, line.span, len(item.children) + 1))
        for node in (section, item):
            if node:
                node.block = Span(node.block.start, line.span.end)
    return outline
