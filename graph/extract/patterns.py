"""Sentence patterns: dates, periods, declared counts, objectives, themes and
responsibilities, each returned with the span of text that states it.

The patterns know English as the seeds write it; they do not know the seeds.
Which entity a pattern's finding belongs to is decided by the extractor (the
enclosing task) or by the document's curation file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from rdflib import Literal
from rdflib.namespace import XSD

from .text import Span

# --------------------------------------------------------------------------- numbers

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
NUMBER = r"(?:\d{1,4}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"


def number_value(token: str) -> int:
    """``"58"`` → 58, ``"nine"`` → 9."""
    token = token.strip().lower()
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


# --------------------------------------------------------------------------- dates

MONTHS = {
    m: i
    for i, m in enumerate(
        "January February March April May June July August September October November December".split(), start=1
    )
}
_MONTH = "(?P<month>" + "|".join(MONTHS) + ")"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

DATE_PATTERNS: Sequence[tuple[str, re.Pattern[str]]] = (
    ("date", re.compile(rf"\b{_MONTH} {_DAY},? {_YEAR}\b")),
    ("date", re.compile(r"\b(?P<year>(?:19|20)\d{2})[.\-/](?P<month>\d{1,2})[.\-/](?P<day>\d{1,2})\b")),
    ("yearmonth", re.compile(rf"\b{_MONTH},? {_YEAR}\b")),
    ("monthday", re.compile(rf"\b{_MONTH} {_DAY}\b")),
    ("year", re.compile(rf"\b(?:[Ii]n|[Bb]y|[Ss]ince|[Ee]nd of) {_YEAR}\b")),
)


@dataclass(frozen=True)
class DateMention:
    span: Span
    value: Literal  # xsd:date, xsd:gYearMonth, xsd:gYear or xsd:gMonthDay: the precision the text gives


def _month(m: re.Match[str]) -> int:
    raw = m.group("month")
    return int(raw) if raw.isdigit() else MONTHS[raw]


def _date_literal(kind: str, m: re.Match[str]) -> Literal:
    if kind == "date":
        return Literal(f"{m.group('year')}-{_month(m):02d}-{int(m.group('day')):02d}", datatype=XSD.date)
    if kind == "yearmonth":
        return Literal(f"{m.group('year')}-{_month(m):02d}", datatype=XSD.gYearMonth)
    if kind == "monthday":
        return Literal(f"--{_month(m):02d}-{int(m.group('day')):02d}", datatype=XSD.gMonthDay)
    return Literal(m.group("year"), datatype=XSD.gYear)


def find_dates(text: str, within: Span | None = None) -> list[DateMention]:
    """Every date stated in ``text[within]``, at the precision written, most precise first
    where two readings overlap ("April 15, 2019" is a date, not also a month-day)."""
    lo, hi = (within.start, within.end) if within else (0, len(text))
    found: list[DateMention] = []
    taken: list[Span] = []
    for kind, pattern in DATE_PATTERNS:
        for m in pattern.finditer(text, lo, hi):
            span = Span(m.start(), m.end())
            if any(span.start < t.end and t.start < span.end for t in taken):
                continue
            taken.append(span)
            found.append(DateMention(span, _date_literal(kind, m)))
    return sorted(found, key=lambda d: d.span)


def parse_date(quote: str) -> Literal:
    """The one date a quote states; ValueError if it states none."""
    dates = find_dates(quote)
    if not dates:
        raise ValueError(f"no date in {quote!r} (expected e.g. 'April 15, 2019', 'November 2014', '2020.07.07')")
    return dates[0].value


# --------------------------------------------------------------------------- periods

_PERIOD = re.compile(r"\b(?P<start>(?:19|20)\d(?: ?\d)\d?)\s*[—–-]+\s*(?P<end>(?:19|20)\d{2})\b")
_FROM_TO = re.compile(r"\b(?:from|between) (?P<start>(?:19|20)\d{2}) (?:to|and|through|until) (?P<end>(?:19|20)\d{2})\b")
_END_BY = re.compile(r"\b(?:(?:completed|concluded|finished|end(?:ed)?) (?:by|in) |(?:run|runs|last|lasts|continue|continues) "
                     r"(?:until|till|through) (?:the end of )?)(?P<end>(?:19|20)\d{2})\b")


@dataclass(frozen=True)
class PeriodMention:
    span: Span
    start: Literal | None
    end: Literal | None


def find_periods(text: str, within: Span | None = None) -> list[PeriodMention]:
    """Year ranges ("2021–2025", also the noisy "202 1—2025") and end dates
    ("will be completed by 2025"), as xsd:gYear literals."""
    lo, hi = (within.start, within.end) if within else (0, len(text))
    found = []
    for m in _PERIOD.finditer(text, lo, hi):
        start = m.group("start").replace(" ", "")
        if len(start) != 4:
            continue
        found.append(
            PeriodMention(Span(m.start(), m.end()), Literal(start, datatype=XSD.gYear), Literal(m.group("end"), datatype=XSD.gYear))
        )
    for m in _FROM_TO.finditer(text, lo, hi):
        found.append(PeriodMention(Span(m.start(), m.end()), Literal(m.group("start"), datatype=XSD.gYear),
                                   Literal(m.group("end"), datatype=XSD.gYear)))
    for m in _END_BY.finditer(text, lo, hi):
        found.append(PeriodMention(Span(m.start(), m.end()), None, Literal(m.group("end"), datatype=XSD.gYear)))
    return sorted(found, key=lambda p: p.span)


# --------------------------------------------------------------------------- declared counts

_COUNT_NOUNS = {
    "zones": r"(?:(?:(?:reform |comprehensive )?(?:pilot|demonstration|experimental) )?(?:zones|areas|cities(?: and (?:regions|counties|districts|prefectures))?|"
    r"counties(?: and (?:districts|cities))?|districts|regions|sites)|(?:pilot )?free trade zones|(?:pilot )?FTZs|test areas|"
    r"counties, cities and districts|city clusters|provinces and (?:cities|municipalities|regions)|"
    r"provinces, (?:autonomous regions and municipalities|regions and municipalities))",
    "tasks": r"(?:(?:test |reform |pilot )?tasks)",
    "provinces": r"(?:provinces)",
}
_COUNT = re.compile(
    rf"\b(?P<n>{NUMBER}) (?:(?:[a-z]+-)?[a-z]+ ){{0,4}}?(?P<noun>{'|'.join(f'(?P<{k}>{v})' for k, v in _COUNT_NOUNS.items())})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CountMention:
    span: Span
    kind: str  # "zones" | "tasks" | "provinces"
    value: int


def find_counts(text: str, within: Span | None = None) -> list[CountMention]:
    """Numbers a text declares: "58 pilot zones", "covering 28 provinces",
    "14 tasks", "11 test areas", "nine counties and districts"."""
    lo, hi = (within.start, within.end) if within else (0, len(text))
    found = []
    for m in _COUNT.finditer(text, lo, hi):
        kind = next(k for k in _COUNT_NOUNS if m.group(k))
        found.append(CountMention(Span(m.start(), m.end()), kind, number_value(m.group("n"))))
    return found


# A total the text states beside a new batch: "bringing the total to 11", "brings the total number of pilot
# FTZs in the country to 18", "15 regions in total"
_TOTAL = re.compile(
    rf"\b(?:bring(?:s|ing)?|brought|rais(?:es|ing|ed)|tak(?:es|ing)|took|increas(?:es|ing|ed)|expand(?:s|ing|ed))\s+the\s+total"
    rf"(?:\s+number)?(?:\s+of\s+[^,.;:\n]{{1,60}}?)?\s+to\s+(?P<n>{NUMBER})\b"
    rf"|\b(?P<n2>{NUMBER})\s+(?:{_COUNT_NOUNS['zones']})\s+in\s+(?:total|all)\b",
    re.IGNORECASE,
)
# a count of new zones added to a programme ("six new pilot free trade zones", "six more pilot regions")
NEW_COUNT = re.compile(rf"\b{NUMBER}\s+(?:new|more|additional|further)\b", re.I)


def find_totals(text: str, within: Span | None = None) -> list[CountMention]:
    """Totals of zones a text states ("bringing the total number of pilot zones to 21", "15 regions
    in total"), as counts of zones."""
    lo, hi = (within.start, within.end) if within else (0, len(text))
    return [CountMention(Span(m.start(), m.end()), "zones", number_value(m.group("n") or m.group("n2")))
            for m in _TOTAL.finditer(text, lo, hi)]


def parse_count(quote: str) -> CountMention:
    counts = find_counts(quote)
    if len(counts) != 1:
        raise ValueError(f"expected one declared count in {quote!r}, found {len(counts)}")
    return counts[0]


# --------------------------------------------------------------------------- objectives

_OBJECTIVE = re.compile(
    r"(?:^|(?<=\n))[-–— ]*(?P<lead>By (?:(?P<year>(?:19|20)\d{2})|(?P<phrase>the (?:middle|end) of (?:this|the) century)))"
    r",? (?P<rest>[^\n]*)"
)


@dataclass(frozen=True)
class ObjectiveMention:
    span: Span  # the objective's first sentence
    target_year: Literal | None
    target_text: str


_OBJECTIVE_ANYWHERE = re.compile(
    r"(?:^|(?<=\n)|(?<=[.;:] ))[-–— ]*(?P<lead>By (?:the end of )?(?:(?P<year>(?:19|20)\d{2})|(?P<phrase>the (?:middle|end) of (?:this|the) century)))"
    r",? (?P<rest>[^\n]*)"
)


def find_objectives(text: str, within: Span | None = None, *, anywhere: bool = False) -> list[ObjectiveMention]:
    """Dated targets written as a paragraph that opens "By 2035, ..." or
    "By the middle of this century, ..."; the span is the first sentence. With
    ``anywhere``, also a sentence inside a paragraph ("... By 2020, the pilot cities
    should ...", "By the end of 2025, ...")."""
    lo, hi = (within.start, within.end) if within else (0, len(text))
    found = []
    for m in (_OBJECTIVE_ANYWHERE if anywhere else _OBJECTIVE).finditer(text, lo, hi):
        start = m.start("lead")
        stop = text.find(". ", start, m.end())
        end = stop + 1 if stop >= 0 else m.end()
        year = m.group("year")
        found.append(
            ObjectiveMention(
                Span(start, end),
                Literal(year, datatype=XSD.gYear) if year else None,
                year or m.group("phrase"),
            )
        )
    return found


# --------------------------------------------------------------------------- themes

# Keyword cues per theme, matched case-insensitively on word starts in a task's
# heading (and, failing that, its section heading). Order matters only for
# readability: a heading may carry several themes.
THEME_CUES: dict[str, str] = {
    "household-registration": r"household registration|citizenship|settle(?:ment|d)? in cit",
    "land": r"land|homestead|residential base|residence base|sea\b|marine",
    "labour": r"(?<!division of )labou?r|talent|employment|wage|personnel",
    "capital-finance": r"financ|capital|credit|equity market|bank|fiscal|invest",
    "technology": r"technolog|technical|scientific|innovation",
    "data": r"\bdata\b",
    "resources-environment": r"resource and environment|ecolog|environmental|ecological environment|green factor|carbon|natural resource",
    "public-services": r"public (?:\*+ )?services?|education|medical|health|social insurance|social assistance|cultural service",
    "infrastructure": r"infrastructure|connectivity",
    "rural-economy": r"agricultur(?!al transfer)|rural economy|new industr|industrial (?:and commercial )?|industries|modern industr|rural culture|tourism",
    "farmer-income": r"farmers' (?:wage |business |property |transferable )?income|income of farmers",
    "governance": r"governance|administration mechanism|administrative",
    "culture": r"\bcultur",
    "poverty-alleviation": r"poverty",
    "urban-rural-planning": r"planning|layout",
    "party-leadership": r"party leadership|leadership of the party|division of labor|local responsibilit|organizational guarantee",
    "regional-coordination": r"coordinated (?:and innovation-driven )?development|regional coordinat|urban and rural development",
}
_THEME_RES = {k: re.compile(rf"\b(?:{v})", re.IGNORECASE) for k, v in THEME_CUES.items()}


@dataclass(frozen=True)
class ThemeMention:
    theme: str
    span: Span  # the cue word(s) in the heading


def find_themes(text: str, heading: Span) -> list[ThemeMention]:
    """Themes of ``pk:ReformThemes`` cued by words of a task heading, each with the cue's span."""
    found = []
    for theme, pattern in _THEME_RES.items():
        m = pattern.search(text, heading.start, heading.end)
        if m:
            found.append(ThemeMention(theme, Span(m.start(), m.end())))
    return found


# --------------------------------------------------------------------------- responsibilities

ROLE_CUES: dict[str, re.Pattern[str]] = {
    "leads": re.compile(r"\b(?:(?:take|takes|taken|taking|took) the lead|lead(?:s|ing)?\b|led\b|leadership)", re.I),
    "coordinates": re.compile(r"\bcoordinat\w*", re.I),
    "approves": re.compile(r"\b(?:approv\w*|agree\w* in principle|authoriz\w*|authoris\w*)", re.I),
    "implements": re.compile(
        r"\b(?:implement(?:s|ed|ing)?\b|in the charge of|carry out|carried out|organi[sz]e\w*|formulat\w*|establish\w*|"
        r"optimi[sz]e|develop\w*|issue government bonds)",
        re.I,
    ),
    "supervises": re.compile(r"\b(?:monitor\w*|evaluat\w*|inspect\w*|supervis\w*|tracking)", re.I),
    "supports": re.compile(r"\b(?:support(?:s|ed)?\b|financial guarantee\w*|fund(?:s|ing)\b|policy support)", re.I),
    "issues": re.compile(r"\b(?:issued|jointly issued)\b", re.I),
}
_REPORTED_TO = re.compile(r"\b(?:be|been|is|are|was|were)\s+reported\s+to\s+(?:the\s+)?$", re.I)
_REPORTS_TO = re.compile(r"\breport(?:s|ed|ing)? (?:them |it )?to (?:the )?$", re.I)
# What may stand between a clause start and its agent, and after the agent before its verb.
_CLAUSE_LEAD = re.compile(
    r"(?:^|[.;:]\s+|,\s+(?:and\s+)?|\bthat\s+|\bwhile\s+|\bwhen\s+|\bSupport\s+)"
    r"(?:(?:At the same time|In addition|Meanwhile|In principle),\s+)?(?:the\s+|all\s+|The\s+|All\s+)?$"
)
_PASSIVE_BY = re.compile(r"\b(?:by|in the charge of)\s+(?:the\s+)?$", re.I)
_LIST_JOIN = re.compile(r"^\s*(?:,\s*(?:and\s+)?|\s+and\s+)(?:the\s+)?$", re.I)
_MODAL_AFTER = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:has|have|had|should|shall|will|must|is|are|recently|also|jointly)\b", re.I
)


@dataclass(frozen=True)
class BodyMention:
    """A body named in a sentence (from the gazetteer): its slug and span."""

    slug: str
    span: Span
    collective: bool = False  # a collective phrase ("relevant departments"): the lenient reading lists it less readily


@dataclass(frozen=True)
class ResponsibilityMention:
    body: str
    role: str
    span: Span  # the sentence (or clause) that assigns it
    cue: Span  # the words that give the role
    recipient: str | None = None  # for role "reports-to": the body reported to


def _acting_bodies(text: str, sentence: Span, ordered: Sequence[BodyMention], lenient: bool = False) -> list[tuple[BodyMention, str]]:
    """The bodies that act in a sentence, each with how: "active", "passive" or "listed".

    ``lenient`` reads news and notices as well as the seeds: a verb in the simple past or
    present right after the agent ("The NDRC approved ..."), and a list of agents whose
    verb follows the last one ("the NDRC (NDRC), the MIIT and the CAC jointly approved")."""
    acting: list[tuple[BodyMention, str]] = []
    modal_after = _VERB_AFTER if lenient else _MODAL_AFTER
    list_join = _LIST_JOIN_LENIENT if lenient else _LIST_JOIN
    passive_by = _PASSIVE_BY_LENIENT if lenient else _PASSIVE_BY
    clause_lead = _CLAUSE_LEAD_LENIENT if lenient else _CLAUSE_LEAD
    for i, body in enumerate(ordered):
        before = text[sentence.start : body.span.start]
        after = text[body.span.end : sentence.end]
        if passive_by.search(before):
            acting.append((body, "passive"))
        elif lenient and acting and not body.collective and _TOGETHER_WITH.search(before) and any(
                a.span.end <= body.span.start and h != "passive" for a, h in acting):
            # "The PBOC, together with the NDRC, will ...", "X, together with 18 departments including A, B and C,
            # selected ...": named bodies act with the agent ("together with relevant departments" does not)
            acting.append((body, "listed"))
        elif lenient and acting and acting[-1][0].span == body.span:
            acting.append((body, "listed"))  # one phrase naming several bodies ("the three departments")
        elif acting and acting[-1][0] is ordered[i - 1] and list_join.match(text[ordered[i - 1].span.end : body.span.start]) and not (
                lenient and body.collective and re.search(r"\bwith\b", text[ordered[i - 1].span.end : body.span.start])) and not (
                lenient and acting[-1][1] == "passive" and _PREPOSITIONAL_AGENT.search(text[sentence.start : ordered[i - 1].span.start])
                and not re.match(r"\s*and\s", text[ordered[i - 1].span.end : body.span.start])):
            # ("With the approval of the State Council, the PBOC ... issued": the PBOC is no second approver)
            acting.append((body, "listed"))
        elif clause_lead.search(before) and (modal_after.match(after) or before.rstrip().endswith("Support")):
            acting.append((body, "active"))
        elif lenient and clause_lead.search(before):
            # the first of a list whose last member has the verb: "A (A), B and C jointly approved"
            j = i
            while j + 1 < len(ordered) and list_join.match(text[ordered[j].span.end : ordered[j + 1].span.start]):
                j += 1
            if j > i and modal_after.match(text[ordered[j].span.end : sentence.end]):
                acting.append((body, "active"))
    return acting


def _agent_predicates(text: str, sentence: Span, bodies: Sequence[BodyMention], lenient: bool = False) -> list[tuple[BodyMention, Span]]:
    """The bodies that act in a sentence, each with the stretch of text that says what it does.

    A body acts when it opens a clause and a verb follows ("The NDRC has taken
    the lead ..."), when it follows "by" ("led by the Central Rural Work Leading
    Group"), or when it is listed right after another acting body ("approved by
    the CRWLG, the MoA and ..."). Bodies after "to", "of", "with" do not act.
    An active body's predicate runs to the next acting body (or the sentence's
    end); a passive body's predicate is the clause before its "by".
    """
    ordered = sorted(bodies, key=lambda b: b.span)
    if lenient:  # "the National Development and Reform Commission (NDRC)": one mention, not two
        ordered = [b for i, b in enumerate(ordered) if not (
            i and ordered[i - 1].slug == b.slug and re.fullmatch(r"\s*\(\s*", text[ordered[i - 1].span.end : b.span.start])
            and text[b.span.end : b.span.end + 1] == ")")]
    acting = _acting_bodies(text, sentence, ordered, lenient)
    out: list[tuple[BodyMention, Span]] = []
    for k, (body, how) in enumerate(acting):
        if how == "passive":
            by = (_PASSIVE_BY_LENIENT if lenient else _PASSIVE_BY).search(text[sentence.start : body.span.start])
            by_at = sentence.start + by.start()
            clause_start = max(
                text.rfind(",", sentence.start, by_at) + 1,
                text.rfind(" and ", sentence.start, by_at) + len(" and "),
                sentence.start,
            )
            # the clause up to the body, "by" / "in the charge of" included: it may be the cue itself
            predicate = Span(clause_start, body.span.start)
            prepositional = _PREPOSITIONAL_AGENT.search(text[sentence.start : body.span.start]) if lenient else None
            if prepositional:  # "under the guidance of X": the phrase is X's whole predicate
                predicate = Span(sentence.start + prepositional.start(), body.span.start)
            elif lenient and re.match(r"by\b", text[by_at:], re.I):
                # "... recommended by X", "were approved by X": the verb right before "by" is X's, not the clause's
                words = list(re.finditer(r"\S+", text[clause_start:by_at]))
                if len(words) > 4:
                    predicate = Span(clause_start + words[-4].start(), body.span.start)
        elif how == "listed":
            predicate = out[-1][1]
        else:
            following = [b.span.start for b, h in acting[k + 1 :] if h == "active" and b.span.start >= body.span.end]
            if lenient and k + 1 < len(acting) and acting[k + 1][1] == "active" and list_join_between(text, body, acting, k):
                following = following[1:]  # the next agent is listed with this one: they share the verb
            if lenient:
                # "X shall implement the tasks under the guidance of Y": the words that bring in a later
                # passive or prepositional agent are Y's, not X's
                for b, h in acting[k + 1 :]:
                    if h == "passive" and b.span.start >= body.span.end:
                        by = _PASSIVE_BY_LENIENT.search(text[sentence.start : b.span.start])
                        following.append(sentence.start + by.start())
                following = sorted(following)
            predicate = Span(body.span.end, following[0] if following else sentence.end)
        out.append((body, predicate))
    return out


# "implements" is the weakest reading: it holds only when no other role is cued.
_WEAK_ROLES = ("implements",)


def list_join_between(text: str, body: BodyMention, acting: list, k: int) -> bool:
    """True if the agents from ``k`` on are a list ending in one verb ("A, B and C jointly approved")."""
    j = k
    while j + 1 < len(acting) and _LIST_JOIN_LENIENT.match(text[acting[j][0].span.end : acting[j + 1][0].span.start]):
        j += 1
    return j > k


def find_responsibilities(text: str, sentence: Span, bodies: Sequence[BodyMention], *, lenient: bool = False) -> list[ResponsibilityMention]:
    """Responsibilities one sentence assigns: (body, role) pairs with the cue words.

    A body that acts with no role cue but with a modal ("should", "shall",
    "are encouraged to") is taken to implement.
    """
    found: list[ResponsibilityMention] = []
    in_sentence = [b for b in bodies if b.span in sentence]
    for body, predicate in _agent_predicates(text, sentence, in_sentence, lenient):
        roles: list[tuple[str, Span]] = []
        for role, cue in (LENIENT_ROLE_CUES if lenient else ROLE_CUES).items():
            m = cue.search(text, predicate.start, predicate.end)
            if m:
                roles.append((role, Span(m.start(), m.end())))
        if any(r not in _WEAK_ROLES for r, _ in roles):
            # read leniently, an explicit "implement" / "carry out" holds beside other roles
            explicit = next((e for e in _EXPLICIT_IMPLEMENTS.finditer(text, predicate.start, predicate.end)
                             if e.group()[0].islower()), None) if lenient else None  # "the Notice on Carrying Out ...": a title
            roles = [(r, c) for r, c in roles if r not in _WEAK_ROLES]
            if explicit:
                roles.append(("implements", Span(explicit.start(), explicit.end())))
        passive = predicate.end <= body.span.start  # the agent of a passive clause ("... by X"): after its predicate
        if lenient and passive:
            # "Major issues shall be reported to the State Council ... by the Ministry of Commerce"
            clause = Span(sentence.start, body.span.start)
            for other in in_sentence:
                if clause.start <= other.span.start and other.span.end <= clause.end and other.slug != body.slug:
                    cue_m = _REPORTED_TO.search(text[clause.start : other.span.start])
                    if cue_m and not re.search(r"[,;]", text[other.span.end : body.span.start]):
                        cue_span = Span(clause.start + cue_m.start(), clause.start + cue_m.end())
                        found.append(ResponsibilityMention(body.slug, "reports-to", sentence, cue_span, other.slug))
        for other in in_sentence:
            if predicate.start <= other.span.start <= predicate.end and other.span.start > body.span.end:
                cue_m = _REPORTS_TO.search(text[predicate.start : other.span.start])
                if cue_m:
                    cue_span = Span(predicate.start + cue_m.start(), predicate.start + cue_m.end())
                    found.append(ResponsibilityMention(body.slug, "reports-to", sentence, cue_span, other.slug))
        if lenient:
            # "agrees to support the construction": what is agreed to is approved, not done by the agent
            roles = [(r, c) for r, c in roles if r == "approves" or not _AGREED_TO.search(text, max(predicate.start, c.start - 40), c.start)]
        if lenient and any(r == "issues" for r, _ in roles) and not _DOCUMENT_NOUN.search(text, sentence.start, sentence.end):
            roles = [(r, c) for r, c in roles if r != "issues"]  # "a currency issued by the central bank": no document
        speaker = lenient and not passive and _SPEECH_VERB.match(text, predicate.start, predicate.end)
        if not roles and not (lenient and passive) and not speaker:
            # "shall be reported ... by X": no modal of X's; "X said the pilots will continue": X's words, not its task
            modal = _MODAL.search(text, predicate.start, predicate.end)
            if modal:
                roles.append(("implements", Span(modal.start(), modal.end())))
        for role, cue_span in roles:
            found.append(ResponsibilityMention(body.slug, role, sentence, cue_span))
    return found


# Lenient reading (ingest): what may follow an agent before or as its verb, and the role cues of news
# and notices ("under the guidance of", "guide", "be in charge of", "released").
_VERB_AFTER = re.compile(
    r"^\s*(?:\([^)]*\)\s*)?(?:,\s*)?"
    # an aside between the agent and its verb: "The PBOC, together with the other departments, will ..."
    r"(?:(?:together|along|jointly)\s+with\b[^;.]*?,\s*)?(?:(?:has|have|had|should|shall|will|must|is|are|was|were|would|may|can|also|jointly|"
    r"recently|officially|further|then|has\s+been|have\s+been)\s+)*"
    r"(?:approv\w+|issu\w+|releas\w+|launch\w*|select\w*|designat\w+|nam\w+|led|lead\w*|take\w*|took|coordinat\w+|"
    r"guid\w+|supervis\w+|monitor\w*|evaluat\w+|inspect\w*|support\w*|fund\w*|organi[sz]\w+|announc\w+|unveil\w*|"
    r"publish\w*|decid\w+|agree\w*|set|sets|started|starts|implement\w*|carr\w+|formulat\w+|establish\w*|"
    r"provid\w+|report\w*|promot\w+|encourag\w+|review\w*|check\w*|assess\w*|has|have|had|should|shall|will|must|is|are|was|were|"
    r"said|says|stated|states|noted|notes|added|pledged|vowed|plans|planned|aims|continu\w+|design\w*|oversee\w*|oversaw)\b",
    re.I)
_LIST_JOIN_LENIENT = re.compile(r"^\s*(?:\([^)]*\)\s*)?(?:,\s*(?:and\s+)?|\s+and\s+|\s+together\s+with\s+|,\s*together\s+with\s+)(?:the\s+)?$", re.I)
# a news dateline ("BEIJING, March 4 (Xinhua) -- The GAC ...") also opens a clause
_CLAUSE_LEAD_LENIENT = re.compile(
    r"(?:^|[.;:]\s+|,\s+(?:and\s+)?|\bthat\s+|\bwhile\s+|\bwhen\s+|\bSupport\s+|(?:--|—|–)\s*)"
    # a numbered item of a notice opens a clause too: "(2) The provincial departments shall ...", "3. The ministry ..."
    r"(?:(?:\(\s*(?:\d{1,2}|[ivxlc]{1,5}|[a-h])\s*\)|(?:\d{1,2}|[IVXLC]{1,5})[.、])\s*)?"
    r"(?:(?:At the same time|In addition|Meanwhile|In principle),\s+)?(?:the\s+|all\s+|The\s+|All\s+)?$"
)
_PASSIVE_BY_LENIENT = re.compile(
    r"\b(?:by|in the charge of|(?:with|upon|after)(?: the)? approval (?:of|from)|under the (?:guidance|leadership|supervision|"
    r"coordination) of|approved by)\s+(?:the\s+)?$", re.I)
_TOGETHER_WITH = re.compile(
    r"\b(?:together|along|jointly)\s+with\s+(?:[^,;.()]{0,60}?\s+(?:including|such as|namely)\s+)?(?:the\s+)?$", re.I)
_PREPOSITIONAL_AGENT = re.compile(
    r"\b(?:(?:with|upon|after)(?: the)? approval (?:of|from)|under the (?:guidance|leadership|supervision|coordination) of)\s+(?:the\s+)?$", re.I)
LENIENT_ROLE_CUES: dict[str, re.Pattern[str]] = {
    **ROLE_CUES,
    "approves": re.compile(r"\b(?:approv\w*|agree(?:s|d)?\b|agree\w* in principle|authoriz\w*|authoris\w*|consent\w*|"
                           r"select(?:s|ed)?\b|designat(?:es|ed)\b)", re.I),
    "supervises": re.compile(r"\b(?:monitor\w*|evaluat\w*|inspect\w*|supervis\w*|tracking|assess\w*|review(?:s|ed|ing)?\b)", re.I),
    "implements": re.compile(ROLE_CUES["implements"].pattern[:-1] + r"|(?:is|are|was|were|be|being|been)\s+responsible\s+for|carrying\s+out|organi[sz]ing)",
                             re.I),
    "leads": re.compile(r"\b(?:(?:take|takes|taken|taking|took) (?:the lead|(?:the )?(?:main|overall|primary) responsibility)|"
                        r"lead(?:s|ing)?\b(?!\s+(?:groups?|officials?|cadres?|enterprises?|companies)\b)|led\b|leadership|"
                        r"(?:be|is|are|was|were) in charge)", re.I),
    "coordinates": re.compile(r"\b(?:coordinat\w*|guid(?:e|es|ed|ing|ance)\b)", re.I),
    "issues": re.compile(r"\b(?:issued|jointly issued|released|unveiled|promulgated|published)\b", re.I),
}
_AGREED_TO = re.compile(r"\bagree(?:s|d)?\s+(?:in\s+principle\s+)?to\s+$", re.I)
_SPEECH_VERB = re.compile(r"\s*(?:\([^)]*\)\s*)?,?\s*(?:also\s+|has\s+|have\s+)?(?:said|says|say|stated|states|noted|notes|added|adds|"
                          r"told|announced|announces|explained|pointed\s+out)\b", re.I)
_DOCUMENT_NOUN = re.compile(
    r"\b(?:notice|circular|opinions?|guidelines?|plans?|programmes?|programs?|reply|decision|measures|scheme|documents?|"
    r"regulations|provisions|approval|outline|rules|announcement|letter|list|catalogue|standards?)\b", re.I)
_EXPLICIT_IMPLEMENTS = re.compile(r"\b(?:(?<!to be )implement(?:s|ed|ing)?\b(?! plans?\b)|organi[sz]e (?:its|their|the) implementation\b|"
                                  r"(?<!agree to )(?<!agrees to )(?<!agreed to )carr(?:y|ies|ied|ying) out\b"
                                  r"(?!\s+(?:\w+\s+)?(?:evaluations?|monitoring|inspections?|supervision|assessments?|reviews?)\b))", re.I)
_MODAL = re.compile(r"\b(?:should|shall|are encouraged to|is encouraged to|are permitted to|is permitted to|will)\b", re.I)


def dedupe(items: Iterable) -> list:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
