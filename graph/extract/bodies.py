"""Bodies in a text: the gazetteer's bodies (central organs, the seeds' bodies, collective
phrases) and local bodies read from their names ("Beijing Municipal Commission of
Development and Reform", "the People's Government of Hebei Province"), each local body
resolved to one node per function and place.

The one entry point ingest calls is :meth:`BodyFinder.find_body_mentions`; the bodies it
makes for local names are :class:`~.gazetteer.Body` entries like those of the gazetteer
(with ``jurisdiction`` and ``function``), so the extractor treats them as it treats any
gazetteer body, and :func:`draft_body_quads` writes them into a draft graph.

Local bodies
------------
A local body is a function (a row of :data:`FUNCTIONS`: development and reform,
commerce, finance, ...; or the people's government, or the Party committee) and a place
that the national gazetteer (:mod:`.divisions`) resolves. The names read:

========  ==============================================================  ==========================================
pattern   form                                                            example
========  ==============================================================  ==========================================
A         PLACE [LEVEL] HEAD of FUNCTION                                  Beijing Municipal Commission of Development and Reform
B         PLACE [LEVEL] FUNCTION HEAD                                     Guangdong Provincial Development and Reform Commission
C         FUNCTION HEAD of [the] PLACE                                    Industry and Information Technology Department of Hebei Province
D         HEAD of FUNCTION of [the] PLACE                                 Department of Commerce of Hebei Province
G         [the] people's government of [the] PLACE; PLACE [LEVEL]         the people's government of Hebei Province;
          People's Government; PLACE LEVEL government                     Hangzhou Municipal People's Government; the Zhejiang provincial government
O         General Office of [the] PLACE [LEVEL] People's Government;      General Office of the Hebei Provincial People's Government;
          General Office of [the] People's Government of PLACE;           Guangdong Provincial Government General Office
          PLACE [LEVEL] [People's] Government General Office
P         CPC PLACE [LEVEL] [Party] Committee; PLACE LEVEL Party/CPC      CPC Beijing Municipal Committee; Zhejiang Provincial Party Committee
          Committee
========  ==============================================================  ==========================================

HEAD is Commission, Department, Bureau, Administration, Office, Committee or Agency;
LEVEL is Provincial, Municipal, (Autonomous) Regional, Prefectural, City, County,
District or League, and must fit the division ("Jilin Municipal" is Jilin City, not the
province). A place the national gazetteer cannot resolve (unknown, or ambiguous in its
sentence: "Taizhou Municipal Bureau of Commerce" with neither Jiangsu nor Zhejiang
named), a state-level new area without a code, or a name whose function is not in the
table ("Development Zone Management Committee") gives no local body: ingest reports it
as an unknown body. The node is ``body/{function}-{code}`` ("body/development-and-reform-110000"),
or the gazetteer's own entry when one has that function and jurisdiction (the People's
Government of Sichuan Province is ``body/sichuan-provincial-government``); its label is
composed from the place and the function (the text's wordings are its aliases), its
``pk:jurisdiction`` is the division, and a functional body is ``pk:subOrganizationOf``
the people's government of its place (made too, if the text does not name it).

Collective phrases ("relevant departments", "all regions") are gazetteer bodies marked
``collective``, and so are the phrases naming the local bodies of one level together
("provincial commerce departments", "municipal people's governments", "county party
committees and governments"), read here: the extractor makes each one node per document
(see :func:`.facts.collective_body_iri`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from rdflib import URIRef

from .divisions import Division as NationalDivision
from .divisions import NationalGazetteer, sentences
from .gazetteer import Body, Gazetteer

# --------------------------------------------------------------------------- the functions


@dataclass(frozen=True)
class Function:
    """A function of local government: its slug, its words in English names, and the
    name it gives a label ("Development and Reform Commission", "Department of Commerce")."""

    slug: str
    words: str  # a regular expression over the function's words, "\s+" between words
    title: str  # "Commerce"
    head: str | None = None  # a fixed head for labels ("Development and Reform Commission"); else Department/Bureau of


def _w(*alternatives: str) -> str:
    return "|".join(r"\s+".join(a.split()) for a in alternatives)


FUNCTIONS: tuple[Function, ...] = (
    Function("development-and-reform", _w("Development and Reform"), "Development and Reform", "Development and Reform Commission"),
    Function("industry-and-information-technology", _w("Industry and Information Technology", "Industry and Informatization"),
             "Industry and Information Technology"),
    Function("economy-and-information-technology", _w("Economy and Information Technology", "Economic and Information Technology",
                                                      "Economy and Informatization", "Economic and Informatization"),
             "Economy and Information Technology"),
    Function("science-and-technology", _w("Science and Technology"), "Science and Technology"),
    Function("commerce", _w("Commerce"), "Commerce"),
    Function("finance", _w("Finance"), "Finance"),
    Function("financial-regulation", _w("Local Financial Supervision and Administration", "Financial Supervision and Administration",
                                        "Local Financial Regulation", "Financial Regulation", "Financial Work"), "Financial Regulation"),
    Function("education", _w("Education"), "Education"),
    Function("ecology-and-environment", _w("Ecology and Environment", "Ecological Environment"), "Ecology and Environment"),
    Function("natural-resources", _w("Planning and Natural Resources", "Natural Resources and Planning", "Natural Resources"),
             "Natural Resources"),
    Function("agriculture-and-rural-affairs", _w("Agriculture and Rural Affairs", "Agriculture and Rural Development", "Agriculture and Rural"),
             "Agriculture and Rural Affairs"),
    Function("housing-and-urban-rural-development", _w("Housing and Urban-Rural Development", "Housing and Urban Rural Development",
                                                       "Housing and Urban and Rural Development", "Housing and Urban-Rural Construction"),
             "Housing and Urban-Rural Development"),
    Function("transport", _w("Transport", "Transportation"), "Transport"),
    Function("water-resources", _w("Water Resources"), "Water Resources"),
    Function("health", _w("Health"), "Health", "Health Commission"),
    Function("market-regulation", _w("Market Regulation", "Market Supervision", "Market Supervision and Administration"),
             "Market Regulation", "Administration for Market Regulation"),
    Function("human-resources-and-social-security", _w("Human Resources and Social Security"), "Human Resources and Social Security"),
    Function("civil-affairs", _w("Civil Affairs"), "Civil Affairs"),
    Function("justice", _w("Justice"), "Justice"),
    Function("public-security", _w("Public Security"), "Public Security"),
    Function("culture-and-tourism", _w("Culture and Tourism"), "Culture and Tourism"),
    Function("emergency-management", _w("Emergency Management"), "Emergency Management"),
    Function("veterans-affairs", _w("Veterans Affairs", "Veterans' Affairs"), "Veterans Affairs"),
    Function("forestry", _w("Forestry and Grassland", "Forestry"), "Forestry and Grassland"),
    Function("audit", _w("Audit"), "Audit"),
    Function("statistics", _w("Statistics"), "Statistics"),
    Function("data", _w("Big Data Development", "Big Data", "Data Resources", "Data"), "Data"),
)
GOVERNMENT = Function("government", r"People['’]s\s+Government", "People's Government")
GENERAL_OFFICE = Function("general-office", r"General\s+Office", "General Office")
PARTY_COMMITTEE = Function("party-committee", r"(?:Party\s+|CPC\s+)?Committee", "Party Committee")
FUNCTION_BY_SLUG = {f.slug: f for f in (*FUNCTIONS, GOVERNMENT, GENERAL_OFFICE, PARTY_COMMITTEE)}

# --------------------------------------------------------------------------- the patterns

_CAPWORD = r"[A-Z][A-Za-z'’\-]*"
_PLACE = rf"{_CAPWORD}(?:[ \t]+{_CAPWORD}){{0,5}}?"  # lazy: "Beijing" + "Municipal", not "Beijing Municipal"
_PLACE_AFTER = rf"{_CAPWORD}(?:[ \t]+{_CAPWORD}){{0,5}}"  # greedy: "Hebei Province"; _place drops words from the right
_HEAD = r"(?:Commission|Department|Bureau|Administration|Office|Committee|Agency)"
# LEVEL words and the divisions they fit (by the national gazetteer's level and type)
_LEVELS = {
    "provincial": lambda d: d.level == "province" and d.type == "province",
    "municipal": lambda d: d.type in ("municipality", "prefecture-level-city", "county-level-city"),
    "city": lambda d: d.type in ("municipality", "prefecture-level-city", "county-level-city"),
    "autonomous regional": lambda d: d.type == "autonomous-region",
    "regional": lambda d: d.type == "autonomous-region",
    "prefectural": lambda d: d.level == "prefecture" and d.type != "prefecture-level-city",
    "prefecture": lambda d: d.level == "prefecture" and d.type != "prefecture-level-city",
    "county": lambda d: d.level == "county" and d.type in ("county", "autonomous-county"),
    "district": lambda d: d.level == "county" and d.type == "district",
    "league": lambda d: d.type == "league",
}
_LEVEL_NOUNS = {"provincial": "Province", "municipal": "City", "city": "City", "autonomous regional": "Autonomous Region",
                "regional": "Autonomous Region", "prefectural": "Prefecture", "prefecture": "Prefecture", "county": "County",
                "district": "District", "league": "League"}
_LEVEL = r"(?:[Aa]utonomous[ \t]+[Rr]egional|[Pp]rovincial|[Mm]unicipal|[Rr]egional|[Pp]refectural|[Pp]refecture|[Cc]ity|[Cc]ounty|[Dd]istrict|[Ll]eague)"
_FUNC = "|".join(f"(?P<f_{f.slug.replace('-', '_')}>{f.words})" for f in FUNCTIONS)
_S = r"\s+"
_END = r"(?![A-Za-z'’\-])"
_PEOPLES = r"[Pp]eople['’]s"
_NOT_OFFICE = r"(?!\s+(?:General\s+)?Office\b)"

_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (name, where, re.compile(rx)) for name, where, rx in (
        # A: Beijing Municipal Commission of Development and Reform
        ("A", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?{_HEAD}{_S}(?:of|for){_S}(?:{_FUNC}){_END}"),
        # B: Guangdong Provincial Development and Reform Commission
        ("B", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?(?:{_FUNC}){_S}{_HEAD}{_END}"),
        # C: Industry and Information Technology Department of Hebei Province
        ("C", "after", rf"(?<![A-Za-z])(?:{_FUNC}){_S}{_HEAD}{_S}of{_S}(?:the{_S})?(?P<place>{_PLACE_AFTER}){_END}"),
        # D: Department of Commerce of Hebei Province
        ("D", "after", rf"(?<![A-Za-z]){_HEAD}{_S}of{_S}(?:{_FUNC}){_S}of{_S}(?:the{_S})?(?P<place>{_PLACE_AFTER}){_END}"),
        # G: the people's government of Hebei Province
        ("G1", "after", rf"(?<![A-Za-z]){_PEOPLES}{_S}[Gg]overnment{_S}of{_S}(?:the{_S})?(?P<place>{_PLACE_AFTER}){_END}"),
        # G: Hangzhou Municipal People's Government (not "... Government General Office": see O3)
        ("G2", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?{_PEOPLES}{_S}[Gg]overnment{_END}{_NOT_OFFICE}"),
        # G: the Zhejiang provincial government
        ("G3", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?P<level>{_LEVEL}){_S}[Gg]overnment{_END}{_NOT_OFFICE}"),
        # O: the General Office of the Hebei Provincial People's Government
        ("O1", "before", rf"(?<![A-Za-z])General{_S}Office{_S}of{_S}(?:the{_S})?(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?"
                         rf"{_PEOPLES}{_S}[Gg]overnment{_END}"),
        # O: the General Office of the People's Government of Hebei Province
        ("O2", "after", rf"(?<![A-Za-z])General{_S}Office{_S}of{_S}(?:the{_S})?{_PEOPLES}{_S}[Gg]overnment{_S}of{_S}(?:the{_S})?"
                        rf"(?P<place>{_PLACE_AFTER}){_END}"),
        # O: Guangdong Provincial Government General Office
        ("O3", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?(?:{_PEOPLES}{_S})?[Gg]overnment{_S}General{_S}Office{_END}"),
        # P: CPC Beijing Municipal Committee, CPC Sichuan Provincial Party Committee
        ("P1", "before", rf"(?<![A-Za-z])CPC{_S}(?P<place>{_PLACE}){_S}(?:(?P<level>{_LEVEL}){_S})?(?:Party{_S})?Committee{_END}"),
        # P: Zhejiang Provincial Party Committee
        ("P2", "before", rf"(?<![A-Za-z])(?P<place>{_PLACE}){_S}(?P<level>{_LEVEL}){_S}(?:Party|CPC){_S}Committee{_END}"),
    )
)
# Collective phrases of local bodies of one level: "provincial commerce departments", "the municipal
# people's governments", "county-level development and reform commissions": one node per document.
_FUNC_ANY = "|".join(f"(?:{f.words})" for f in FUNCTIONS)
_COLLECTIVE = re.compile(
    rf"(?<![A-Za-z\-])(?P<level>[Pp]rovincial|[Mm]unicipal|[Cc]ounty-level|[Cc]ounty|[Pp]refecture-level|[Ll]ocal)[ \t]+"
    rf"(?P<what>(?:[Pp]eople['’]s[ \t]+)?governments|(?:[Pp]arty[ \t]+)?committees[ \t]+and[ \t]+governments|"
    rf"(?:(?i:{_FUNC_ANY}))[ \t]+(?:departments|commissions|bureaus|administrations|authorities))(?![A-Za-z])")

# Adjectives of a function, as news names the departments of one level together ("provincial
# agricultural and rural affairs departments", "municipal environmental protection bureaus").
_FUNC_ADJECTIVES = (r"agricultural(?:[ \t]+and[ \t]+rural(?:[ \t]+affairs)?)?|environmental(?:[ \t]+protection)?|"
                    r"ecological[ \t]+and[ \t]+environmental|financial|commercial|educational|industrial[ \t]+and[ \t]+"
                    r"information[ \t]+technology|housing[ \t]+and[ \t]+urban-rural[ \t]+development|cultural[ \t]+and[ \t]+tourism|"
                    r"natural[ \t]+resources|science[ \t]+and[ \t]+technology|health|transport(?:ation)?|market[ \t]+regulation")
_COLLECTIVE_ADJ = re.compile(
    rf"(?<![A-Za-z\-])(?P<level>[Pp]rovincial(?:-level)?|[Mm]unicipal|[Cc]ounty-level|[Cc]ounty|[Pp]refecture-level|[Ll]ocal)[ \t]+"
    rf"(?:{_FUNC_ADJECTIVES})[ \t]+(?:departments|bureaus|authorities|administrations)(?![A-Za-z])", re.I)
# Collective phrases with a complement that says whose or where they are: "the people's governments of
# the pilot cities", "local governments in the pilot regions", "the member units of the leading group",
# "the relevant departments of the State Council", "the people's governments of the provinces and
# municipalities where the pilot regions are located"; and "pilot city governments". The phrase, with
# its complement, is the body's name (one node per document, as every collective phrase).
_GROUP_MODIFIER = (r"(?:[Rr]elevant|[Cc]ompetent|[Pp]rovincial(?:-level)?|[Mm]unicipal|[Cc]ity|[Cc]ounty(?:-level)?|"
                   r"[Pp]refecture(?:-level)?|[Dd]istrict|[Ll]ocal|[Pp]ilot|[Pp]eople['’]s|[Mm]ember|[Mm]anagement|[Aa]dministrative)")
_COLLECTIVE_OF = re.compile(
    rf"(?<![A-Za-z\-'’])(?P<head>(?:{_GROUP_MODIFIER}[ \t]+){{0,4}}(?P<noun>[Gg]overnments|[Pp]arty[ \t]+committees[ \t]+and[ \t]+governments|"
    rf"departments|authorities|units|bodies|committees|bureaus|agencies|organs))[ \t]+(?:of|in)[ \t]+")
_PILOT_GOVERNMENTS = re.compile(r"(?<![A-Za-z\-])[Pp]ilot[ \t]+(?:city|county|cities'|counties')[ \t]+(?:people['’]s[ \t]+)?governments(?![A-Za-z])")
# The general collective phrases of policy English: "relevant provinces", "competent authorities", "party
# organizations at all levels", "regions and departments", "localities" (a gazetteer entry with the same
# words is the same body: the slug is the phrase's)
_GENERIC_COLLECTIVE = re.compile(
    r"(?<![A-Za-z\-])(?:(?:[Rr]elevant|[Cc]ompetent)[ \t]+(?:provinces|regions|departments|organi[sz]ations|units|authorities|agencies|"
    r"ministries|cities|localities|parties)|(?:[Pp]arty[ \t]+organi[sz]ations|[Pp]arty[ \t]+committees|[Gg]overnments|[Dd]epartments)"
    r"[ \t]+at[ \t]+all[ \t]+levels|[Rr]egions[ \t]+and[ \t]+departments|[Ll]ocalities)(?![A-Za-z\-])")
# Words that end the complement of a collective phrase (a verb, a clause, another preposition)
_COMPLEMENT_STOP = frozenset(
    """shall will should must may can could would are is were was be been has have had do does did to which who that
    whose for with under on at by from into through as according while when if after before during shall not also
    jointly respectively in""".split())
# a verb of the agents' clauses (patterns' lenient reading) ends it too: "local governments in the pilot regions support ..."
_VERB = re.compile(r"(?:approv\w+|issu\w+|releas\w+|launch\w*|select\w*|designat\w+|led|lead\w*|take\w*|took|coordinat\w+|guid\w+|"
                   r"supervis\w+|monitor\w*|evaluat\w+|inspect\w*|support\w*|fund\w*|organi[sz]\w+|announc\w+|unveil\w*|"
                   r"publish\w*|decid\w+|agree\w*|implement\w*|carr\w+|formulat\w+|establish\w*|provid\w+|report\w*|"
                   r"promot\w+|encourag\w+|review\w*|assess\w*|said|says|oversee\w*|oversaw|submit\w*|explor\w+|strengthen\w*|"
                   r"ensur\w+|set|sets|draw\w*|drew|handed|hand|hands|hosted|hosts|work|works|worked|help\w*|continu\w+)")
_NOUN_ENDING = re.compile(r"(?:ions?|ments?|ers?|ance|ances|ship|ships)$")  # "the coordination group": a noun
_COMPLEMENT_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d+")


def _complement_end(text: str, start: int, limit: int) -> int:
    """Where the complement of a collective phrase that starts at ``start`` ends: before a verb, a
    preposition or punctuation; a comma only inside a list of names ("of Nanjing, Suzhou and Wuxi");
    "where the pilot regions are located" and "concerned" end it with them; "" if it has no noun."""
    end, pos, words = start, start, 0
    while words < 14:
        m = _COMPLEMENT_WORD.match(text, pos)
        if m is None or m.start() >= limit:
            break
        word = m.group()
        lw = word.lower()
        if lw == "where":
            located = re.match(r"where[ \t]+[^,.;:\n]{1,60}?[ \t]+(?:are|is)[ \t]+(?:located|situated)\b", text[pos:limit])
            if located:
                end = pos + located.end()
            break
        after_determiner = re.search(r"\b(?:the|a|an|its|their)[ \t]+$", text[start:pos], re.I) is not None
        if lw in _COMPLEMENT_STOP or word[0].islower() and _VERB.fullmatch(lw) and not _NOUN_ENDING.search(lw) and not after_determiner:
            break
        end, words = m.end(), words + 1
        if lw == "concerned":
            break
        gap = re.match(r"[ \t]+|,[ \t]+(?=[A-Z]|and\b)", text[m.end():limit])
        if gap is None:
            break
        pos = m.end() + gap.end()
    # the complement cannot end on a function word
    while True:
        tail = re.search(r"(?:[ \t]+|,[ \t]*|^)(?:the|a|an|of|and|or|its|their)$", text[start:end], re.I)
        if not tail:
            break
        end = start + tail.start()
    return end


def _collective_phrases(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of collective phrases with a complement, and of adjectival ones (see above)."""
    out = []
    for m in _COLLECTIVE_OF.finditer(text, start, end):
        modifiers = m.group("head")[: m.start("noun") - m.start("head")].split()
        if not modifiers and not m.group("noun").lower().endswith("governments"):
            continue  # "departments of ...": a modifier says they are a group of bodies ("relevant", "member")
        if modifiers and all(w.lower() == "pilot" for w in modifiers):
            continue
        stop = text.find("\n", m.end(), end)
        stop = end if stop < 0 else stop
        c_end = _complement_end(text, m.end(), stop)
        if c_end <= m.end():
            continue
        complement = text[m.end():c_end].lower().split()
        if complement and complement[0] in ("this", "these", "that", "those", "them", "it", "all", "each", "every"):
            continue  # "governments of all levels" is a phrase the gazetteer knows, or no group
        out.append((m.start(), c_end))
    for rx in (_PILOT_GOVERNMENTS, _COLLECTIVE_ADJ, _GENERIC_COLLECTIVE):
        for m in rx.finditer(text, start, end):
            out.append((m.start(), m.end()))
    return out


# Words that may open a capitalised run without being part of the place ("The Beijing ...").
_NOT_PLACE = frozenset("The A An In On At By Of For And To With From This That These Those Its Their Each Every Both All "
                       "According Under As Since After Before During While When Meanwhile Moreover However Recently "
                       "Also Other Our Some Any CPC National Central State General Chinese China".split())

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FoundBody:
    """A body named in a text: ``text[start:end]`` names ``slug``.

    ``kind``: ``central`` (a gazetteer body without jurisdiction), ``local`` (a gazetteer
    body with one, or one read by the local patterns), ``collective`` (a collective
    phrase: one node per document) or ``media`` (a news agency)."""

    kind: str
    slug: str
    start: int
    end: int
    text: str
    body: Body
    division: str | None = None  # a local body's division code


@dataclass(frozen=True)
class UnresolvedLocal:
    """A local-body name whose place the national gazetteer does not resolve."""

    start: int
    end: int
    text: str
    function: str
    place: str
    reason: str  # "ambiguous: 321200, 331000", "unknown place", "a new area without a code", ...


# --------------------------------------------------------------------------- the finder


class BodyFinder:
    """Finds bodies in a text with the gazetteer's names and the local-body patterns."""

    def __init__(self, gazetteer: Gazetteer, national: NationalGazetteer):
        self.gaz, self.national = gazetteer, national
        # (function, code) -> the gazetteer's own entry for that body
        self._known_local = {(b.function, b.jurisdiction): b.slug for b in gazetteer.bodies.values()
                             if b.function and b.jurisdiction}
        self.unresolved: list[UnresolvedLocal] = []

    # ---------------------------------------------------------------- the API

    def find_body_mentions(self, text: str, start: int = 0, end: int | None = None) -> list[FoundBody]:
        """The bodies named in ``text[start:end]``: gazetteer bodies (central, local, collective,
        media) and local bodies read by the patterns; longest first, no overlaps, by position.

        Names of local bodies that the patterns read but cannot resolve go to ``self.unresolved``."""
        end = len(text) if end is None else min(end, len(text))
        self.unresolved = []
        candidates: list[tuple[int, int, int, FoundBody]] = []
        for m in self.gaz.find_mentions(text, start, end, kinds=("body",)):
            body = self.gaz.bodies[m.slug_or_code]
            candidates.append((-(m.end - m.start), 0, m.start, FoundBody(_kind(body), body.slug, m.start, m.end, m.text, body,
                                                                          body.jurisdiction)))
        for found in self._local(text, start, end):
            candidates.append((-(found.end - found.start), 1, found.start, found))
        candidates.sort(key=lambda c: (c[0], c[1], c[2], c[3].slug))
        taken: list[tuple[int, int]] = []
        chosen: list[FoundBody] = []
        for _, _, _, found in candidates:
            if any(found.start < e and s < found.end for s, e in taken):
                continue
            taken.append((found.start, found.end))
            chosen.append(found)
        chosen.sort(key=lambda f: (f.start, f.end))
        unresolved: dict[tuple[int, int], UnresolvedLocal] = {}
        for u in sorted(self.unresolved, key=lambda u: (u.start, -u.end)):
            if not any(u.start < e and s < u.end for s, e in taken):
                unresolved.setdefault((u.start, u.end), u)
        self.unresolved = list(unresolved.values())
        return chosen

    def local_bodies(self, text: str) -> dict[str, Body]:
        """The bodies a text names that the gazetteer does not hold, read by the local-body
        patterns, with the governments they belong to: slug -> Body, in slug order. The
        aliases of each are the text's wordings, so the gazetteer's matcher finds them."""
        made: dict[str, Body] = {}
        wordings: dict[str, list[str]] = {}
        for found in self.find_body_mentions(text):
            if found.slug in self.gaz.bodies:
                continue
            made.setdefault(found.slug, found.body)
            wordings.setdefault(found.slug, [])
            wording = " ".join(found.text.split())
            if wording.lower().startswith("the "):
                wording = wording[4:]
            if wording not in wordings[found.slug]:
                wordings[found.slug].append(wording)
        for slug, body in list(made.items()):
            aliases = tuple(a for a in wordings[slug] if a != body.name_en)
            made[slug] = replace(body, aliases=aliases)
            if body.collective:
                continue
            parent = body.parent
            if parent and parent not in self.gaz.bodies and parent not in made:
                division = self.national.get(body.jurisdiction)
                made[parent] = self._make(GOVERNMENT, division, None)
        return dict(sorted(made.items()))

    # ---------------------------------------------------------------- the patterns

    def _local(self, text: str, start: int, end: int) -> list[FoundBody]:
        found: dict[tuple[int, int], FoundBody] = {}
        spans = [(s, e) for s, e in sentences(text[start:end])]
        for s_start, s_end in spans:
            s_start, s_end = s_start + start, s_end + start
            sentence = text[s_start:s_end]
            for name, side, pattern in _PATTERNS:
                for m in pattern.finditer(text, s_start, s_end):
                    function = _function_of(name, m)
                    level = (m.groupdict().get("level") or "").lower()
                    level = " ".join(level.split())
                    resolved = self._place(m, side, level, sentence, s_start)
                    if resolved is None:
                        continue
                    span_start, span_end, division, place_text, problem = resolved
                    if problem:
                        self.unresolved.append(UnresolvedLocal(span_start, span_end, text[span_start:span_end],
                                                               function.slug, place_text, problem))
                        continue
                    key = (span_start, span_end)
                    if key in found:
                        continue
                    body = self._body(function, division, text[span_start:span_end])
                    found[key] = FoundBody("local", body.slug, span_start, span_end, text[span_start:span_end], body, division.code)
        for m in _COLLECTIVE.finditer(text, start, end):
            body = _collective(m.group())
            found.setdefault((m.start(), m.end()), FoundBody("collective", body.slug, m.start(), m.end(), m.group(), body))
        for c_start, c_end in _collective_phrases(text, start, end):
            body = _collective(text[c_start:c_end])
            found.setdefault((c_start, c_end), FoundBody("collective", body.slug, c_start, c_end, text[c_start:c_end], body))
        return list(found.values())

    def _place(self, m: re.Match[str], side: str, level: str, sentence: str, offset: int):
        """The division the place of a match names: (start, end, division, place, problem) with the
        match narrowed to the place's words; None if no words of the run make a place."""
        p_start, p_end = m.span("place")
        words = [w for w in re.finditer(r"\S+", m.string[p_start:p_end])]
        # before the function: drop words from the left ("The Beijing" -> "Beijing");
        # after it: drop words from the right ("Hebei Province Recently" -> "Hebei Province")
        order = range(len(words)) if side == "before" else range(len(words), 0, -1)
        for k in order:
            chosen = words[k:] if side == "before" else words[:k]
            if not chosen or chosen[0].group() in _NOT_PLACE and side == "before":
                continue
            place = m.string[p_start + chosen[0].start(): p_start + chosen[-1].end()]
            where = p_start + chosen[0].start()
            division, problem = self._resolve(place, level, sentence, where - offset)
            if division is None and problem is None:
                continue
            # a pattern that opens with the place starts where the place's words do ("The Beijing" -> "Beijing")
            span_start = where if side == "before" and p_start == m.start() else m.start()
            span_end = m.end() if side == "before" else p_start + chosen[-1].end()
            # "the people's government of ..." keeps its "the" out of the span
            return span_start, span_end, division, place, problem
        return None

    def _resolve(self, place: str, level: str, sentence: str, at: int) -> tuple[NationalDivision | None, str | None]:
        """(division, None), (None, problem) for a place that is one but cannot be told, or (None, None)."""
        candidates, _typed = self.national.candidates(place)
        if not candidates and level in _LEVEL_NOUNS:  # "Guangxi Zhuang" + "Autonomous Regional"
            candidates, _typed = self.national.candidates(f"{place} {_LEVEL_NOUNS[level]}")
        if not candidates:
            resolution = self.national.resolve(place, sentence, at)
            if resolution is None:
                return None, None
            candidates = resolution.candidates
        fits = _LEVELS.get(level)
        if fits is not None:
            candidates = tuple(d for d in candidates if fits(d))
            if not candidates:
                return None, None
        seed = self._seed_reading(place, candidates)
        if len(candidates) == 1:
            chosen = candidates[0]
        elif seed is not None:
            chosen = seed  # where the seed gazetteer knows the name, its reading wins ("Fuzhou" is Fuzhou, Fujian)
        else:
            resolution = self.national.resolve(place, sentence, at)
            chosen = resolution.division if resolution is not None else None
            if chosen is None or chosen not in candidates:
                # a bare province-level name means the province ("Jilin" without "Municipal")
                provinces = [d for d in candidates if d.level == "province"]
                if fits is None and len(provinces) == 1:
                    chosen = provinces[0]
                else:
                    return None, "ambiguous: could be " + ", ".join(f"{d.name_en_full} {d.code}" for d in candidates)
        if chosen.level == "new-area" or not re.fullmatch(r"[0-9]{6}", chosen.code):
            return None, f"{chosen.name_en_full} has no GB/T 2260 code"
        return chosen, None

    def _seed_reading(self, place: str, candidates) -> NationalDivision | None:
        """The candidate the seed gazetteer gives the whole name to, if any."""
        codes = {m.slug_or_code for m in self.gaz.find_mentions(place, kinds=("division",))
                 if m.start == 0 and m.end == len(place)}
        chosen = [d for d in candidates if d.code in codes]
        return chosen[0] if len(chosen) == 1 else None

    # ---------------------------------------------------------------- the nodes

    def _body(self, function: Function, division: NationalDivision, wording: str) -> Body:
        known = self._known_local.get((function.slug, division.code))
        if known:
            return self.gaz.bodies[known]
        return self._make(function, division, wording)

    def _make(self, function: Function, division: NationalDivision, wording: str | None) -> Body:
        parent = None
        if function.slug == "party-committee":
            parent = "cpc"
        elif function.slug != "government":  # a department or the general office: part of the government
            parent = self._known_local.get(("government", division.code)) or f"government-{division.code}"
        source = (f"pilotkg local-body pattern (graph/extract/bodies.py): "
                  + (f"the text names it “{' '.join(wording.split())}”; " if wording else "the government of a body the text names; ")
                  + f"function {function.slug}; place {division.name_en_full} ({division.name_zh}, {division.code}) "
                  f"from the national gazetteer, graph/reference/divisions_national.csv; the label is composed from the two")
        return Body(slug=f"{function.slug}-{division.code}", name_en=_label(function, division), name_zh=None,
                    zh_reference=None, aliases=(), parent=parent,
                    kind={"party-committee": "party", "general-office": "office"}.get(function.slug, "government"), collective=False,
                    succeeded_by=None, succeeded_on=None, references=(source,), jurisdiction=division.code,
                    function=function.slug)


def _collective(wording: str) -> Body:
    """A collective body read from its phrase ("provincial commerce departments"): its slug is the
    phrase's, its label the phrase; the extractor makes it one node per document."""
    phrase = " ".join(wording.split())
    slug = re.sub(r"[^a-z0-9]+", "-", phrase.lower().replace("'", "")).strip("-")
    return Body(slug=slug, name_en=phrase[:1].upper() + phrase[1:], name_zh=None, zh_reference=None, aliases=(phrase,),
                parent=None, kind="government", collective=True, succeeded_by=None, succeeded_on=None,
                references=("pilotkg collective pattern (graph/extract/bodies.py): local bodies of one level named "
                            "together; one node per document",))


def _kind(body: Body) -> str:
    if body.collective:
        return "collective"
    if body.kind == "media":
        return "media"
    return "local" if body.jurisdiction else "central"


def _function_of(pattern: str, m: re.Match[str]) -> Function:
    if pattern.startswith("G"):
        return GOVERNMENT
    if pattern.startswith("O"):
        return GENERAL_OFFICE
    if pattern.startswith("P"):
        return PARTY_COMMITTEE
    for f in FUNCTIONS:
        if m.group(f"f_{f.slug.replace('-', '_')}"):
            return f
    raise AssertionError(f"pattern {pattern} matched no function: {m.group()!r}")  # cannot happen: FUNC is required


_ADJECTIVE = {"province": "Provincial", "autonomous-region": "Autonomous Regional", "municipality": "Municipal",
              "prefecture-level-city": "Municipal", "county-level-city": "Municipal", "district": "District",
              "county": "County", "autonomous-county": "County", "league": "League", "banner": "Banner",
              "autonomous-banner": "Banner"}


def _label(function: Function, d: NationalDivision) -> str:
    """"People's Government of Hebei Province", "CPC Hebei Provincial Committee", "Hebei Provincial
    Development and Reform Commission", "Hangzhou Municipal Department of Commerce" ..."""
    if function.slug == "government":
        return f"People's Government of {d.name_en_full}"
    if function.slug == "general-office":
        return f"General Office of the People's Government of {d.name_en_full}"
    adjective = _ADJECTIVE.get(d.type, "Prefectural" if d.level == "prefecture" else "")
    place = f"{d.name_en} {adjective}".strip()
    if function.slug == "party-committee":
        return f"CPC {place} Committee"
    if function.head:
        return f"{place} {function.head}"
    head = "Department" if d.level == "province" else "Bureau"
    return f"{place} {head} of {function.title}"


def find_body_mentions(text: str, start: int = 0, end: int | None = None, *, gazetteer: Gazetteer | None = None,
                       national: NationalGazetteer | None = None) -> list[FoundBody]:
    """The bodies named in ``text[start:end]`` (see :meth:`BodyFinder.find_body_mentions`),
    with the packaged gazetteers unless others are given."""
    from .divisions import load_national_gazetteer
    from .gazetteer import load_gazetteer

    finder = BodyFinder(gazetteer or load_gazetteer(), national or load_national_gazetteer())
    return finder.find_body_mentions(text, start, end)


# --------------------------------------------------------------------------- draft quads


def draft_bodies(used: Iterable[str], local: dict[str, Body]) -> list[Body]:
    """The local bodies among ``used`` (slugs a draft uses) and the local bodies they belong to
    (a department's government), in slug order: what :func:`draft_body_quads` writes."""
    out: set[str] = set()
    for slug in used:
        # a collective body is declared by the extractor, in the text's own graph
        while slug in local and slug not in out and not local[slug].collective:
            out.add(slug)
            slug = local[slug].parent
    return [local[slug] for slug in sorted(out)]



def draft_body_quads(bodies: Iterable[Body], graph: URIRef) -> list:
    """The quads of bodies a draft uses that the reference graph lacks (local bodies),
    written into the draft graph as the reference graph writes the gazetteer's."""
    from ..rdf import body_quads  # rdf imports the extraction package: import here, not at the top

    return [q for body in sorted(bodies, key=lambda b: b.slug) for q in body_quads(body, graph)]
