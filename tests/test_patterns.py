"""The sentence patterns of ``pilotkg.graph.extract.patterns`` (and ``extract.enumeration``),
each rule checked on real sentences of the seed texts.

Sentences are located in the seed files at run time (``str.index`` on a short
phrase, then sliced), never retyped, so a test fails if a seed changes under it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib import namespace as _ns

from pilotkg.graph.extract import patterns
from pilotkg.graph.extract.extractor import enumeration
from pilotkg.graph.extract.gazetteer import load_gazetteer
from pilotkg.graph.extract.patterns import BodyMention
from pilotkg.graph.extract.text import SourceText, Span


class XSD:
    """The XML Schema datatypes used here (rdflib's closed namespace object confuses pytest's collector)."""

    date = _ns.XSD.date
    gYearMonth = _ns.XSD.gYearMonth
    gMonthDay = _ns.XSD.gMonthDay
    gYear = _ns.XSD.gYear

_REPO_SEEDS = Path(__file__).parents[1] / "seeds"
SEEDS = _REPO_SEEDS if _REPO_SEEDS.is_dir() else Path("/work/shared/seeds")


def seed_path(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


_TEXTS: dict[str, str] = {}


def seed(prefix: str) -> str:
    """The text of a seed exactly as the extractor reads it (no newline translation)."""
    if prefix not in _TEXTS:
        _TEXTS[prefix] = SourceText.load(seed_path(prefix)).text
    return _TEXTS[prefix]


def locate(text: str, quote: str, *, after: str | None = None) -> Span:
    """The span of ``quote`` in ``text`` (after the first ``after`` if given)."""
    start = text.index(after) + len(after) if after else 0
    at = text.index(quote, start)
    return Span(at, at + len(quote))


def sentence_from(text: str, opening: str, *, after: str | None = None) -> Span:
    """The sentence that opens with ``opening``: up to and including its first period
    followed by white space or the end of the text."""
    start = locate(text, opening, after=after).start
    end = start
    while True:
        end = text.index(".", end + 1)
        if end + 1 == len(text) or text[end + 1].isspace():
            return Span(start, end + 1)


def heading_after(text: str, marker: str) -> Span:
    """A numbered item's heading: the words after its marker up to the first period."""
    at = text.index("\n" + marker + " ") + 1 + len(marker) + 1
    return Span(at, text.index(".", at))


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("token", "value"), [("nine", 9), ("Nine", 9), ("58", 58), ("eleven", 11), (" 28 ", 28)])
def test_number_value(token, value):
    assert patterns.number_value(token) == value


def test_number_value_rejects_a_non_number():
    with pytest.raises(KeyError):
        patterns.number_value("several")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("prefix", "quote", "written", "lexical", "datatype"),
    [
        ("002", "(April 15, 2019)", "April 15, 2019", "2019-04-15", XSD.date),
        ("000", "were approved to be the second batch of pilot zones in November 2014", "November 2014", "2014-11", XSD.gYearMonth),
        ("003", "Updated:2020.07.07", "2020.07.07", "2020-07-07", XSD.date),
        ("001", "China News Service, February 8th.", "February 8th", "--02-08", XSD.gMonthDay),
        ("000", "April 11, 2022", "April 11, 2022", "2022-04-11", XSD.date),
    ],
)
def test_find_dates_at_the_precision_written(prefix, quote, written, lexical, datatype):
    text = seed(prefix)
    within = locate(text, quote)
    found = patterns.find_dates(text, within)
    assert len(found) == 1, [d.span.of(text) for d in found]
    (date,) = found
    assert date.span.of(text) == written
    assert date.value == Literal(lexical, datatype=datatype)
    assert date.value.datatype == datatype


@pytest.mark.parametrize(
    ("prefix", "quote", "lexical", "datatype"),
    [
        ("002", "(April 15, 2019)", "2019-04-15", XSD.date),
        ("000", "in November 2014.", "2014-11", XSD.gYearMonth),
        ("003", "Updated:2020.07.07", "2020-07-07", XSD.date),
        ("001", "February 8th", "--02-08", XSD.gMonthDay),
        ("000", "April 11, 2022", "2022-04-11", XSD.date),
    ],
)
def test_parse_date_of_a_real_quote(prefix, quote, lexical, datatype):
    text = seed(prefix)
    value = patterns.parse_date(locate(text, quote).of(text))
    assert value == Literal(lexical, datatype=datatype)
    assert value.datatype == datatype


def test_full_date_is_not_also_read_as_a_month_day():
    text = seed("002")
    found = patterns.find_dates(text, locate(text, "(April 15, 2019)"))
    assert [d.value.datatype for d in found] == [XSD.date]


def test_parse_date_without_a_date_says_so():
    quote = locate(seed("004"), "Pilot layout").of(seed("004"))
    with pytest.raises(ValueError, match=r"no date in 'Pilot layout' \(expected e\.g\. 'April 15, 2019'"):
        patterns.parse_date(quote)


# --------------------------------------------------------------------------- periods


def test_find_periods_reads_the_noisy_range():
    text = seed("004")
    within = locate(text, "202 1—2025")
    (period,) = patterns.find_periods(text, within)
    assert period.span.of(text) == "202 1—2025"
    assert period.start == Literal("2021", datatype=XSD.gYear)
    assert period.end == Literal("2025", datatype=XSD.gYear)
    assert period.start.datatype == period.end.datatype == XSD.gYear


def test_find_periods_reads_an_end_only():
    text = seed("003")
    sentence = sentence_from(text, "In principle, the pilot program will be completed")
    (period,) = patterns.find_periods(text, sentence)
    assert period.span.of(text) == "completed by 2025"
    assert period.start is None
    assert period.end == Literal("2025", datatype=XSD.gYear)


def test_find_periods_finds_none_where_no_period_is_stated():
    text = seed("004")
    assert patterns.find_periods(text, sentence_from(text, "In principle, priority should be given")) == []


# --------------------------------------------------------------------------- declared counts


@pytest.mark.parametrize(
    ("prefix", "quote", "written", "kind", "value"),
    [
        ("000", "58 pilot zones", "58 pilot zones", "zones", 58),
        ("000", "covering 28 provinces", "28 provinces", "provinces", 28),
        ("000", "14 tasks", "14 tasks", "tasks", 14),
        ("000", "the first batch of 9 pilot zones", "9 pilot zones", "zones", 9),
        ("000", "34 areas", "34 areas", "zones", 34),
        ("001", "11 test areas", "11 test areas", "zones", 11),
        ("001", "11 test tasks", "11 test tasks", "tasks", 11),
        ("003", "nine counties and districts", "nine counties and districts", "zones", 9),
    ],
)
def test_find_counts(prefix, quote, written, kind, value):
    text = seed(prefix)
    (count,) = patterns.find_counts(text, locate(text, quote))
    assert (count.span.of(text), count.kind, count.value) == (written, kind, value)
    parsed = patterns.parse_count(quote)  # the same reading of the quote on its own
    assert (parsed.span.of(quote), parsed.kind, parsed.value) == (written, kind, value)


def test_find_counts_in_a_whole_sentence():
    text = seed("000")
    sentence = sentence_from(text, "By the end of 2014, there were")
    found = [(c.span.of(text), c.kind, c.value) for c in patterns.find_counts(text, sentence)]
    assert found == [("58 pilot zones", "zones", 58), ("28 provinces", "provinces", 28)]


def test_parse_count_refuses_a_quote_with_two_counts():
    text = seed("000")
    quote = locate(text, "9 pilot zones took on 14 tasks").of(text)
    with pytest.raises(ValueError, match="expected one declared count .* found 2"):
        patterns.parse_count(quote)


# --------------------------------------------------------------------------- objectives


def test_find_objectives_of_seed_002():
    text = seed("002")
    found = patterns.find_objectives(text)
    assert [o.target_text for o in found] == ["2022", "2035", "the middle of this century"]
    assert [o.target_year for o in found] == [
        Literal("2022", datatype=XSD.gYear),
        Literal("2035", datatype=XSD.gYear),
        None,
    ]
    openings = ["By 2022, ", "By 2035, ", "By the middle of this century, "]
    for objective, opening in zip(found, openings):
        # the span is the first sentence of the paragraph, starting at "By"
        assert objective.span == sentence_from(text, opening)
        assert objective.span.of(text).startswith(opening)
        assert text[objective.span.start - 3 : objective.span.start] == "-- "


def test_find_objectives_ignores_by_inside_a_sentence():
    # "By the end of 2014, there were ..." does not open a paragraph: no objective
    assert patterns.find_objectives(seed("000")) == []


# --------------------------------------------------------------------------- themes


@pytest.mark.parametrize(
    ("prefix", "marker", "opening", "themes", "cue"),
    [
        ("002", "(4)", "Improving the mechanism for citizenship", {"household-registration"}, "citizenship"),
        ("002", "(ix)", "Improve the financial input guarantee mechanism", {"capital-finance"}, "financ"),
        ("002", "(xiii)", "Establishing a mechanism for the balanced allocation of educational resources", {"public-services"}, "education"),
        ("002", "(6)", "Reforming and improving the rural land contract system", {"land"}, "land"),
        ("002", "(32)", "Strengthening the institutional mechanism for winning the battle against poverty", {"poverty-alleviation"}, "poverty"),
        ("004", "(1)", "Improve the public data access mechanism", {"data"}, "data"),
        ("004", "(4)", "Strengthen data security protection", {"data"}, "data"),
    ],
)
def test_find_themes_on_task_headings(prefix, marker, opening, themes, cue):
    text = seed(prefix)
    start = text.index(f"\n{marker} {opening}") + 1 + len(marker) + 1
    heading = Span(start, text.index(".", start))
    assert heading.of(text).startswith(opening)
    found = patterns.find_themes(text, heading)
    assert {t.theme for t in found} == themes
    (mention,) = found
    assert mention.span.of(text) == cue
    assert mention.span in heading


def test_find_themes_reads_several_themes_of_one_heading():
    text = seed("002")
    heading = heading_after(text, "(28)")
    found = {t.theme: t.span.of(text) for t in patterns.find_themes(text, heading)}
    assert found == {"labour": "wage", "farmer-income": "farmers' wage income"}


def test_find_themes_of_a_heading_without_cue():
    text = seed("002")
    heading = heading_after(text, "(36)")
    assert heading.of(text) == "Focus on the pilot to lead the way"
    assert patterns.find_themes(text, heading) == []


def test_find_themes_looks_only_inside_the_heading():
    # "(ix) Improve the financial input guarantee mechanism" is followed by text that
    # speaks of land and urban-rural planning; those words must not tag the heading.
    text = seed("002")
    heading = heading_after(text, "(ix)")
    item_end = text.index("\n", heading.end)
    assert {t.theme for t in patterns.find_themes(text, Span(heading.start, item_end))} > {"capital-finance"}
    assert {t.theme for t in patterns.find_themes(text, heading)} == {"capital-finance"}


def test_find_themes_matches_cues_on_word_starts_only():
    # The second sentence of 002 item (xix) speaks of "garbage and sewage treatment
    # facilities"; nothing in it is about labour.
    text = seed("002")
    sentence = sentence_from(text, "The city and county areas as a whole, integrated planning")
    assert "sewage" in sentence.of(text)
    assert "labour" not in {t.theme for t in patterns.find_themes(text, sentence)}


# --------------------------------------------------------------------------- responsibilities


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def body_mentions(gazetteer, text: str) -> list[BodyMention]:
    return [BodyMention(m.slug_or_code, Span(m.start, m.end)) for m in gazetteer.find_mentions(text, kinds=("body",))]


def responsibilities(gazetteer, prefix: str, opening: str, *, after: str | None = None):
    text = seed(prefix)
    sentence = sentence_from(text, opening, after=after)
    found = patterns.find_responsibilities(text, sentence, body_mentions(gazetteer, text))
    for r in found:
        assert r.span == sentence
        assert r.cue in sentence
    return text, sentence, found


def roles(found) -> set[tuple[str, str]]:
    return {(r.body, r.role) for r in found}


def test_ndrc_takes_the_lead_coordinates_and_supervises(gazetteer):
    text, _, found = responsibilities(gazetteer, "002", "The National Development and Reform Commission has taken the lead")
    assert roles(found) == {("ndrc", "leads"), ("ndrc", "coordinates"), ("ndrc", "supervises")}
    # "establishing" would cue "implements", the weakest reading, dropped beside stronger ones
    assert ("ndrc", "implements") not in roles(found)
    cues = {r.role: r.cue.of(text) for r in found}
    assert cues == {"leads": "taken the lead", "coordinates": "coordinated", "supervises": "tracking"}


def test_passive_agents_led_by_and_coordinated_by(gazetteer):
    text, _, found = responsibilities(gazetteer, "000", "In order to make full use of the advantages of the joint meeting")
    assert "led by the Central Rural Work Leading Group, coordinated by the office of rural pilot reform" in text
    assert roles(found) == {("central-rural-work-leading-group", "leads"), ("rural-reform-pilot-office", "coordinates")}
    assert {r.body: r.cue.of(text) for r in found} == {
        "central-rural-work-leading-group": "led",
        "rural-reform-pilot-office": "coordinated",
    }


def test_bodies_listed_after_an_approving_by_all_approve(gazetteer):
    text, _, found = responsibilities(gazetteer, "000", "Following the guidance and requirements of the CPC Central Committee")
    assert "approved by the Central Rural Work Leading Group, the MoA and other related departments" in text
    assert roles(found) == {("central-rural-work-leading-group", "approves"), ("moa", "approves")}
    assert {r.cue.of(text) for r in found} == {"approved"}
    # "the guidance and requirements of the CPC Central Committee and the State Council": no role
    assert not {r.body for r in found} & {"cpc-central-committee", "state-council"}


def test_provincial_drcs_coordinate_supervise_and_report_to_the_ndrc(gazetteer):
    text, _, found = responsibilities(gazetteer, "001", "At the same time, the provincial development and reform commissions")
    body = "provincial-development-and-reform-commissions"
    assert roles(found) == {(body, "coordinates"), (body, "supervises"), (body, "reports-to")}
    (report,) = [r for r in found if r.role == "reports-to"]
    assert report.recipient == "ndrc"
    assert report.cue.of(text) == "reporting them to the "
    assert all(r.recipient is None for r in found if r.role != "reports-to")
    # the NDRC is only reported to: it has no role of its own here
    assert "ndrc" not in {r.body for r in found}


def test_authorized_by_and_implemented_by(gazetteer):
    text, _, found = responsibilities(gazetteer, "004", "In principle, priority should be given to the pilot areas")
    assert "authorized by the CPC Central Committee and the State Council and implemented by relevant organizations" in text
    assert roles(found) == {
        ("cpc-central-committee", "approves"),
        ("state-council", "approves"),
        ("relevant-organizations", "implements"),
    }
    assert {r.body: r.cue.of(text) for r in found} == {
        "cpc-central-committee": "authorized",
        "state-council": "authorized",
        "relevant-organizations": "implemented",
    }


def test_in_the_charge_of_implements(gazetteer):
    _, _, found = responsibilities(gazetteer, "003", "The implementation of the pilot project will be in the charge of")
    assert roles(found) == {("pilot-county-party-committees-and-governments", "implements")}


def test_in_the_charge_of_is_the_cue(gazetteer):
    text, _, found = responsibilities(gazetteer, "003", "The implementation of the pilot project will be in the charge of")
    (r,) = found
    assert r.cue.of(text) == "in the charge of"


def test_encouraged_body_implements(gazetteer):
    text, _, found = responsibilities(gazetteer, "002", "Provincial governments are encouraged to establish")
    assert roles(found) == {("provincial-governments", "implements")}
    assert found[0].cue.of(text) == "establish"


def test_body_with_a_modal_and_no_cue_implements(gazetteer):
    text, _, found = responsibilities(gazetteer, "002", "The government should fulfill its function of redistributive regulation")
    assert roles(found) == {("government", "implements")}
    assert found[0].cue.of(text) == "should"


@pytest.mark.parametrize(
    ("prefix", "opening", "not_acting"),
    [
        # "the leadership of party organizations at all levels": the body follows "of"
        ("002", "Strengthen the leadership of party organizations at all levels", {"party-organizations-at-all-levels", "grassroots-party-organizations"}),
        # "reported to the CPC Central Committee and the State Council": they follow "to"
        ("002", "Major matters will be reported to the CPC Central Committee", {"cpc-central-committee", "state-council"}),
    ],
)
def test_bodies_after_to_or_of_do_not_act(gazetteer, prefix, opening, not_acting):
    text, sentence, found = responsibilities(gazetteer, prefix, opening)
    named = {b.slug for b in body_mentions(gazetteer, text) if b.span in sentence}
    assert not_acting <= named  # the bodies are named in the sentence ...
    assert found == []  # ... and given no responsibility


def test_bodies_after_of_and_with_do_not_act_beside_an_acting_one(gazetteer):
    # "According to the website of the National Development and Reform Commission, the General
    # Office of the NDRC recently issued a reply letter ..., agreeing in principle ..."
    text, _, found = responsibilities(gazetteer, "001", "According to the website of the National Development")
    assert roles(found) == {("ndrc-general-office", "approves"), ("ndrc-general-office", "issues")}
    # "... the NDRC will work with relevant departments, relying on the inter-ministerial joint meeting ..."
    _, _, found = responsibilities(gazetteer, "001", "The reply also pointed out that the National Development")
    assert {r.body for r in found} == {"ndrc"}


# --------------------------------------------------------------------------- enumerations


def test_enumeration_without_serial_comma():
    text = seed("000")
    quote = "including deepening rural land institutional reform"
    start = text.index(quote)
    span = Span(start, text.index(" mechanism.", start) + len(" mechanism"))
    items = enumeration(text, span)
    assert [s.of(text) for s in items] == [
        "deepening rural land institutional reform",
        "improving agricultural support system",
        "constructing modern rural financial system",
        "promoting rural collective ownership system reform",
        "enhancing rural administration mechanism",
    ]


def test_enumeration_with_serial_comma():
    text = seed("003")
    start = text.index("infrastructure connectivity, ")
    end = text.index("community-level governance", start) + len("community-level governance")
    items = enumeration(text, Span(start, end))
    assert [s.of(text) for s in items] == [
        "infrastructure connectivity",
        "development of modern industries",
        "coordinated and innovation-driven development",
        "optimization of the layout of land",
        "joint protection and governance of the ecological environment",
        "joint contribution and sharing of public services",
        "integrated urban and rural development",
        "community-level governance",
    ]


@pytest.mark.parametrize(
    ("prefix", "first", "last"),
    [
        ("000", "including deepening rural land", "enhancing rural administration mechanism"),
        ("003", "infrastructure connectivity, ", "and community-level governance"),
    ],
)
def test_enumeration_spans_are_trimmed_and_ordered(prefix, first, last):
    text = seed(prefix)
    span = Span(text.index(first), text.index(last) + len(last))
    items = enumeration(text, span)
    for item in items:
        assert item in span
        assert item.start < item.end
        piece = item.of(text)
        assert piece == piece.strip(" ,.;")
        assert not piece.startswith("and ")
    assert all(a.end < b.start for a, b in zip(items, items[1:]))


@pytest.mark.parametrize(
    ("prefix", "first", "last"),
    [
        ("000", "including deepening rural land", "enhancing rural administration mechanism"),
        ("003", "infrastructure connectivity, ", "and community-level governance"),
    ],
)
def test_enumeration_with_a_trailing_period_in_the_span(prefix, first, last):
    text = seed(prefix)
    span = Span(text.index(first), text.index(last) + len(last) + 1)
    assert text[span.end - 1] == "."
    items = enumeration(text, span)
    assert items[-1].of(text).endswith(last.split()[-1])
