"""Generic readings of a text that has no curation file: what ingest needs to find
without knowing the text.

* :func:`find_programmes` — the names of pilot programmes, in Title Case or not
  ("Cross-border E-commerce Comprehensive Pilot Zones", "pilot zones for the
  integrated development of culture and tourism", "six new pilot free trade
  zones"), grouped by their normalised form, with where each occurs.
* :func:`find_policy_titles` — titles a text states: quoted ("the “Overall Plan
  for ...”") or written out ("Reply of the State Council on Approving ..."), and a
  title line that is a document's title rather than a news headline.
* :func:`furniture_lines` — lines that are page furniture, never a source of
  facts: photo captions, author and editor lines, "Source:" lines.

Each function reads English as texts about pilot programmes write it; none knows
a particular text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .outline import lines
from .text import Span

# --------------------------------------------------------------------------- programmes

# The head of a programme's name: a pilot, demonstration or experimental place or scheme.
_KIND = r"(?:pilot|demonstration|experimental|experiment|trial)"
_UNIT = (
    r"(?:zones?|areas?|cit(?:y|ies)|count(?:y|ies)|districts?|provinces?|regions?|bases?|parks?|"
    r"programmes?|programs?|projects?|schemes?|sites?|units?|clusters?|towns?|villages?|"
    r"enterprises?|reforms?|work|scheme)"
)
_HEAD = re.compile(
    rf"\b(?:(?P<kind>{_KIND})(?:[ \t]+(?:reform|innovation|development|comprehensive))?[ \t]+(?P<unit>{_UNIT})"
    r"(?:[ \t]+and[ \t]+(?:areas|regions|counties|cities|districts|zones|towns)\b)?"
    r"|(?P<ftz>(?:pilot[ \t]+)?free[ \t]+trade[ \t]+(?:zones?|ports?)|(?:pilot[ \t]+)?FTZs?))\b",
    re.I,
)
# Words that end a name's modifiers on the left: articles, numbers, verbs, prepositions ...
_LEFT_STOP = frozenset(
    """a an the this that these those its their his her our your my of for in on at to as by with from into onto
    upon about after before during under over between among within without and or but nor than then so such
    is are was were be been being has have had do does did will would shall should can could may might must
    approve approves approved approving approval select selects selected selecting designate designates designated
    designating name names named naming list lists listed listing launch launches launched launching
    establish establishes established establishing set sets setting build builds built building become becomes
    became make makes made making include includes included including create creates created creating
    add adds added adding start starts started starting announce announces announced announcing
    carry carries carried carrying expand expands expanded expanding join joins joined joining
    new more other another all some several many each every both first second third fourth fifth sixth seventh
    eighth ninth tenth last latest next batch batches group groups list round rounds number numbers total
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty dozens dozen hundreds
    said says say told according also further still already only just even well out up down off
    china china's chinese country's nation's state's""".split()
)
# Words that end a name's "for/of/on ..." complement on the right.
_RIGHT_STOP = frozenset(
    """in at by with which that who will would shall should is are was were be been has have had to as
    since from during after before under across among including include includes included such
    while when where and or but this these those its their it they each every said says""".split()
)
# "for three years", "on Monday", "in March": no name's complement opens with these
_NOT_A_COMPLEMENT = frozenset(
    """a one two three four five six seven eight nine ten years year months month days
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december""".split()
)
# A complement opening with these words is no part of a name ("on the basis of", "on behalf of")
_NOT_A_NAME_COMPLEMENT = frozenset("basis behalf ground grounds sidelines occasion request recommendation recommendations list lists".split())
# A complement made of these words only refers to something named elsewhere ("of the programme")
_GENERIC = frozenset("the a an this that its their programme program project plan scheme pilot pilots zone zones country state work reform".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d+")
_COMPLEMENT = re.compile(r"[ \t]+(?P<prep>for|of|on|in[ \t]+the[ \t]+field[ \t]+of)[ \t]+", re.I)
_PLURAL = {"zones": "zone", "areas": "area", "cities": "city", "counties": "county", "districts": "district",
           "provinces": "province", "regions": "region", "bases": "base", "parks": "park", "programmes": "programme",
           "programs": "programme", "program": "programme", "projects": "project", "schemes": "scheme",
           "sites": "site", "units": "unit", "clusters": "cluster", "towns": "town", "villages": "village",
           "enterprises": "enterprise", "reforms": "reform", "ports": "port", "ftzs": "free trade zone",
           "ftz": "free trade zone"}
_NOISE_WORDS = frozenset("national state-level china's chinese china the".split())


@dataclass
class ProgrammeName:
    """One programme a text names, with every place it is named (longest form first)."""

    key: str  # the normalised name: lower case, singular head, no "national"/"China's"
    spans: list[Span] = field(default_factory=list)
    head: str = ""  # the normalised head word: "zone", "city", "county", "province", "free trade zone", ...

    @property
    def first(self) -> Span:
        return min(self.spans)

    @property
    def modifiers(self) -> int:
        """How many words the name has besides its head ("pilot zones": 0)."""
        return len(self.key.split()) - len(self.head.split()) - (0 if self.head == "free trade zone" else 1)


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*|[^\sA-Za-z0-9]")


def _tokens_before(text: str, end: int, window: int = 160) -> list[re.Match[str]]:
    """The tokens (words, and punctuation marks one by one) of the ``window`` characters
    before ``end``, nearest first."""
    lo = max(0, end - window)
    return list(reversed(list(_TOKEN.finditer(text, lo, end))))


def _left_edge(text: str, head_start: int, places: list[Span]) -> int:
    """Where a name's modifiers begin: walk left over words that are not stop words,
    numbers or place names, up to punctuation; an "and" is kept between two modifiers."""
    edge = head_start
    tokens = _tokens_before(text, head_start)
    i = 0
    while i < len(tokens) and i < 10:
        t = tokens[i]
        word = t.group()
        lw = word.lower().strip("'’-")
        if not word[0].isalnum():
            break
        if lw == "and":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if edge != head_start and nxt is not None and nxt.group()[0].isalpha() and nxt.group().lower() not in _LEFT_STOP \
                    and not any(p.start <= nxt.start() < p.end for p in places):
                i += 1
                continue
            break
        if lw in _LEFT_STOP or lw.isdigit() or not lw or any(p.start <= t.start() < p.end for p in places):
            break
        if lw.endswith("'s") or lw.endswith("’s"):
            break  # "Zhejiang's pilot zone": a possessive ends the name
        edge = t.start()
        i += 1
    return edge


def _right_edge(text: str, head_end: int, limit: int = 12) -> int:
    """Where a name's complement ("for the integrated development of culture and tourism") ends."""
    m = _COMPLEMENT.match(text, head_end)
    if m is None:
        return head_end
    pos, end, count = m.end(), head_end, 0
    last = re.search(r"[A-Za-z]+$", text[max(0, head_end - 30) : head_end])
    title_case = last is not None and last.group()[0].isupper()  # "... Pilot Programme for the ... of Trade in Services"
    for w in _WORD.finditer(text, pos):
        between = text[pos : w.start()]
        if between.strip(" \t\"“”"):  # punctuation ends the complement (quotation marks do not)
            break
        lw = w.group().lower()
        if count == 0 and (lw.isdigit() or lw in _NOT_A_COMPLEMENT):
            return head_end  # "pilot zones for three years": a duration, not a name
        if count <= 1 and lw in _NOT_A_NAME_COMPLEMENT:
            return head_end  # "pilot cities on the basis of recommendations"
        nxt = re.match(r"[ \t]+[\"“]?([A-Za-z])", text[w.end() : w.end() + 4])
        continues_title = title_case and lw in {"in", "and", "of", "the", "for", "on"} and nxt is not None and nxt.group(1).isupper()
        if lw in _RIGHT_STOP and not continues_title and not (lw == "and" and count > 0 and _and_joins_nouns(text, w.end())):
            break
        end, pos, count = w.end(), w.end(), count + 1
        if count >= limit:
            break
    complement = [w.lower() for w in _WORD.findall(text[m.end() : end])]
    if count == 0 or all(w in _GENERIC for w in complement):
        return head_end  # "pilot cities of the programme": a reference, not part of a name
    # a quotation opened inside the complement closes with it ('... of "Waste-free Cities"')
    if text[head_end:end].count('"') % 2 == 1 and text[end : end + 1] == '"' or (
            text[head_end:end].count("“") > text[head_end:end].count("”") and text[end : end + 1] == "”"):
        end += 1
    # the complement cannot end on a function word
    while True:
        tail = re.search(r"[ \t]+(?:the|a|an|of|for|on|and)$", text[head_end:end], re.I)
        if not tail:
            break
        end = head_end + tail.start()
    return end


def _and_joins_nouns(text: str, after_and: int) -> bool:
    """An "and" inside a complement ("of culture and tourism"), not one that starts a clause."""
    m = re.match(r"[ \t]+([A-Za-z][A-Za-z\-]*)", text[after_and:])
    return bool(m) and m.group(1).lower() not in _RIGHT_STOP and m.group(1).lower() not in {"the", "a", "an"}


def normalise_name(name: str) -> tuple[str, str]:
    """The grouping key of a programme name and its head: lower case, singular head, no
    leading "national"/"China's"/"the"; "FTZs" read as "free trade zone"."""
    words = [w.lower().strip("'’") for w in _WORD.findall(name)]
    while words and words[0] in _NOISE_WORDS:
        words = words[1:]
    head = ""
    for i, w in enumerate(words):
        if w in ("ftz", "ftzs"):
            words[i : i + 1] = ["free", "trade", "zone"]
            head = "free trade zone"
            break
    for i, w in enumerate(words):
        if w in ("zone", "zones", "port", "ports") and words[i - 2 : i] == ["free", "trade"]:
            words[i] = _PLURAL.get(w, w)
            head = f"free trade {words[i]}"
            break
        if i > 0 and words[i - 1] in ("pilot", "demonstration", "experimental", "experiment", "trial", "reform",
                                      "innovation", "development", "comprehensive") and (w in _PLURAL or w in _PLURAL.values()
                                                                                         or w == "work"):
            words[i] = _PLURAL.get(w, w)
            head = words[i] if not head else head
            break
    words = [_PLURAL.get(w, w) if w in ("programs", "program", "programmes") else w for w in words]
    return " ".join(words), head


def find_programmes(text: str, places: list[Span] | None = None, within: list[Span] | None = None) -> list[ProgrammeName]:
    """Every programme name of ``text`` (in the spans ``within``, default all of it),
    grouped by :func:`normalise_name`, in order of first mention. ``places`` are the
    spans of place names: a name never starts with one ("Shandong pilot free trade
    zone" is a zone of the programme "pilot free trade zones", not a programme)."""
    places = places or []
    found: dict[str, ProgrammeName] = {}
    regions = within or [Span(0, len(text))]
    for region in regions:
        for m in _HEAD.finditer(text, region.start, region.end):
            start = _left_edge(text, m.start(), places)
            end = _right_edge(text, m.end())
            span = Span(start, min(end, region.end))
            name = text[span.start : span.end]
            if any(p.start < m.start() and p.end > start for p in places):
                continue
            key, head = normalise_name(name)
            if not head:
                continue
            item = found.setdefault(key, ProgrammeName(key, [], head))
            item.spans.append(span)
    return sorted(found.values(), key=lambda p: p.first)


def programme_group(names: list[ProgrammeName], chosen: ProgrammeName) -> list[ProgrammeName]:
    """The names that refer to ``chosen``: itself and shorter forms of it ("pilot zones",
    "the zones" with the same head, "FTZs" for "pilot free trade zones")."""
    out = []
    for name in names:
        if name is chosen:
            out.append(name)
            continue
        if chosen.key in name.key or name.head == chosen.head and (
                name.modifiers == 0 or chosen.key.endswith(name.key) or name.key in chosen.key):
            out.append(name)
    return out


# --------------------------------------------------------------------------- titles

_DOC_NOUN = (
    r"(?:(?:Guiding\s+|Implementation\s+|Implementing\s+|Several\s+)?Opinions?|Notice|Circular|"
    r"(?:Overall\s+|Work(?:ing)?\s+|Implementation\s+|Action\s+|Development\s+|Master\s+|Three-Year\s+Action\s+)?Plans?|"
    r"Programmes?|Programs?|Reply|Replies|Decisions?|Guidelines?|(?:Several\s+)?Measures|Scheme|Regulations|Provisions|"
    r"Approval|Outline|Rules|Announcement|Letter)"
)
# A written-out title: a document noun, then "of the X" and/or "on/for/about ...", in Title Case words.
_WRITTEN_TITLE = re.compile(
    rf"(?<![A-Za-z])(?:The\s+)?{_DOC_NOUN}\s+(?:(?:of|by)\s+(?:the\s+)?[A-Z][^\n.;:“”\"]{{2,160}}?\s+)?"
    r"(?:on|for|about|regarding|concerning)\s+[^\n;:“”\"]{4,240}"
)
_QUOTED = re.compile(r"[“\"«《](?P<inner>[^“”\"\n»《》]{8,300})[”\"»》]")
_HEADLINE_VERB = re.compile(
    r"\b(?:approves?|approved|launch(?:es|ed)?|unveils?|unveiled|releases?|released|issues?|issued|announces?|"
    r"announced|sets?\s+up|names?|named|selects?|selected|adds?|added|expands?|expanded|to\s+(?:build|set|launch|"
    r"expand|promote|pilot|develop|boost)|will|says?|said|sees?|see|gets?|got|has|have|makes?|made|boosts?)\b",
    re.I,
)


@dataclass(frozen=True)
class TitleMention:
    span: Span
    how: str  # "quoted" | "written" | "line"


def is_title_case(s: str) -> bool:
    """A name written as a proper name: most content words capitalised."""
    return _title_words(s)


def _title_words(s: str) -> bool:
    """Most content words capitalised: a title, not a sentence about a title."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’\-]*", s) if w.lower() not in
             {"of", "on", "for", "the", "and", "a", "an", "in", "to", "about", "by", "with", "at", "or"}]
    if not words:
        return False
    return sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _end_of_title(text: str, start: int, end: int) -> int:
    """A written-out title ends before a clause: ", which", " (hereinafter", a verb after it."""
    s = text[start:end]
    cut = re.search(r"[ \t]*(?:,|\((?=hereinafter|referred|the\s|issued|No\.)|\s(?:was|were|is|are|has|have|had|will|which|that|and\s+the\s+\w+\s+(?:was|were))\b)", s)
    # the title's words run while they are capitalised or function words
    words = list(re.finditer(r"[A-Za-z][A-Za-z'’\-]*|\d+|\S", s))
    last = 0
    for w in words:
        if cut and w.start() >= cut.start():
            break
        token = w.group()
        if token[0].isupper() or token[0].isdigit() or token.lower() in {"of", "on", "for", "the", "and", "in", "to", "about", "by",
                                                     "with", "a", "an"} or token in "()-–—’'\"“”*":  # "*": characters lost in a scraped text
            if token[0].isalnum() and (token[0].isupper() or token[0].isdigit() or token.lower() not in {"and", "the", "a", "an"}) or token in ")\"”":
                last = w.end()
            continue
        break
    return start + last


def find_policy_titles(text: str, skip: list[Span] | None = None) -> list[TitleMention]:
    """Policy titles the text states, in order: quoted titles that name a document
    ("the “Overall Plan for the China (Shandong) Pilot Free Trade Zone”"), written-out
    titles ("Reply of the State Council on Approving the Establishment of ..."), and a
    first line that is a document's title (a document noun and "on/for/of", no headline verb)."""
    skip = skip or []
    found: list[TitleMention] = []
    doc_noun = re.compile(rf"\b{_DOC_NOUN}\b")
    for m in _QUOTED.finditer(text):
        inner = m.group("inner").strip()
        if doc_noun.search(inner) and _title_words(inner) and len(inner.split()) >= 4:
            lead = m.start("inner") + (len(m.group("inner")) - len(m.group("inner").lstrip()))
            found.append(TitleMention(Span(lead, lead + len(inner)), "quoted"))
    for m in _WRITTEN_TITLE.finditer(text):
        start = m.start() + (4 if m.group().startswith("The ") else 0)
        end = _end_of_title(text, start, m.end())
        candidate = text[start:end].rstrip(" ,")
        end = start + len(candidate)
        if len(candidate.split()) < 5 or not _title_words(candidate):
            continue
        if any(t.span.start <= start < t.span.end for t in found):
            continue
        found.append(TitleMention(Span(start, end), "written"))
    found = [t for t in found if not any(s.start <= t.span.start < s.end for s in skip)]
    return sorted(found, key=lambda t: t.span)


def is_document_title_line(line: str) -> bool:
    """A first line that is a document's title ("Notice of the Ministry of ... on ...",
    "Implementation Plan for ..."), not a news headline ("China approves six new ...")."""
    stripped = line.strip()
    if not stripped or len(stripped.split()) < 4:
        return False
    if re.match(rf"(?:The\s+)?{_DOC_NOUN}\s+(?:of|on|for|by|about|regarding|concerning)\b", stripped):
        return True  # "Reply of the State Council on Agreeing to Set Up ...": a title whatever its verbs
    if _HEADLINE_VERB.search(stripped):
        return False
    return bool(re.match(rf"(?:The\s+)?(?:[A-Z][\w'’\-]*\s+){{0,8}}?{_DOC_NOUN}\b", stripped)) and bool(
        re.search(r"\b(?:on|for|of|about|regarding)\b", stripped)
    )


# --------------------------------------------------------------------------- furniture

_CAPTION = re.compile(
    r"^\s*[\[(]?\s*(?:(?:A\s+|File\s+)?photos?\b|pictures?\b|images?\b|(?:file\s+)?photo\s*:|video\s*:)"
    r"|\bphoto\s+taken\b|\(Xinhua/[A-Z]|\bPhoto/|\bphoto\s+shows\b|\bphoto\s+by\b|\b(?:is|are)\s+pictured\b",
    re.I,
)
_BYLINE = re.compile(
    r"^\s*(?:By\s+[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3}(?:\s+(?:in|and)\s+[A-Z][\w'’\-]*)*\s*(?:\||$)|"
    r"(?:Editor|Editors|Author|Authors|Reporter|Reporters|Source|Sources|Writer|Translator|Contributor|"
    r"Responsible\s+editor|Copyright|Related|Keywords|Share|Print)\s*[:：|])",
    re.I,
)


def furniture_lines(text: str) -> list[Span]:
    """Lines that are page furniture: photo captions, by-lines and editor/author/source lines."""
    out = []
    for line in lines(text):
        s = text[line.start : line.end]
        if _BYLINE.match(s) or (_CAPTION.search(s) and len(s.split()) <= 60):
            out.append(line)
    return out
