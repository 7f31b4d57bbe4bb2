"""Outline parsing and marker numbering, checked on the real seed texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotkg.graph.extract.numbering import parse_marker
from pilotkg.graph.extract.outline import OutlineNode, Span, lines, parse_outline, sentences

_REPO_SEEDS = Path(__file__).parents[1] / "seeds"
SEEDS = _REPO_SEEDS if _REPO_SEEDS.is_dir() else Path("/work/shared/seeds")


def read_seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def walk(nodes: list[OutlineNode]):
    for node in nodes:
        yield node
        yield from walk(node.children)


@pytest.fixture(scope="module")
def text_002() -> str:
    return read_seed("002")


@pytest.fixture(scope="module")
def text_004() -> str:
    return read_seed("004")


# --- numbering -------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "number"),
    [
        ("4", 4), ("16", 16), ("36", 36),
        ("xiii", 13), ("viii", 8), ("xxiv", 24), ("I", 1), ("VII", 7), ("XIX", 19),
        ("two", 2), ("Three", 3), ("Four", 4), ("eleven", 11), ("twenty", 20),
        ("twenty-one", 21), ("Thirty Five", 35), ("forty", 40),
        ("First", 1), ("Second", 2), ("Third", 3), ("twelfth", 12), ("twenty-second", 22),
        ("A", 1), ("j", 10), ("Z", 26),
        (" 7 ", 7),
    ],
)
def test_parse_marker_styles(token, number):
    assert parse_marker(token) == number


@pytest.mark.parametrize(
    ("token", "expected", "number"),
    [
        ("i", None, 1), ("I", 1, 1), ("i", 9, 9), ("I", 9, 9), ("i", 4, 1),
        ("x", None, 10), ("x", 11, 10), ("x", 24, 24),
        ("c", None, 100), ("c", 3, 3), ("C", 100, 100),
        ("v", 22, 22), ("v", 6, 5),
        ("j", None, 10), ("j", 1, 10),  # letter only
        ("4", 7, 4), ("two", 5, 2),  # unambiguous tokens ignore expected
    ],
)
def test_parse_marker_ambiguities(token, expected, number):
    assert parse_marker(token, expected) == number


@pytest.mark.parametrize("token", ["", "foo", "IIII", "Xii", "ab", "1a", "two-", "(4)"])
def test_parse_marker_rejects(token):
    with pytest.raises(ValueError, match=r"not an item marker: .* neither arabic digits, a roman numeral"):
        parse_marker(token)


def test_parse_marker_error_names_token():
    with pytest.raises(ValueError, match="'Trial'"):
        parse_marker("Trial")


# --- lines and sentences ---------------------------------------------------


def test_lines_trim_and_keep_crlf_offsets():
    text = "  first line \r\n\r\n\xa0\nsecond\r\nthird  "
    assert [s.of(text) for s in lines(text)] == ["first line", "second", "third"]
    assert lines(text)[0] == Span(2, 12)


def test_sentences_on_item_paragraph(text_002):
    start = text_002.index("(4) Improving the mechanism")
    end = text_002.index("\n", start)
    found = [s.of(text_002) for s in sentences(text_002, Span(start, end))]
    assert len(found) == 7
    assert found[0] == "(4) Improving the mechanism for citizenship of the agricultural transfer population."
    assert found[1].startswith("Deepen the reform of the household registration system")
    assert found[-1] == (
        "Enhancing urban inclusiveness and promoting the integration of migrant workers, "
        "especially the new generation of migrant workers, into cities."
    )


def test_sentences_keep_quotes_abbreviations_and_decimals():
    text_004 = read_seed("004")
    start = text_004.index("Explore the trading paradigm")
    line = next(s for s in lines(text_004) if s.start == start)
    first, second = (s.of(text_004) for s in sentences(text_004, line))
    assert first.endswith('"the original data does not leave the domain, and the data is available and invisible".')
    assert second.startswith("On the premise of protecting personal privacy")

    text_003 = read_seed("003")
    footer = [s for s in lines(text_003) if "No." in s.of(text_003) or "2020.07" in s.of(text_003)]
    assert [s.of(text_003) for s in footer] == [
        "Updated:2020.07.07",
        "Website Identification Code: 5100000062 Sichuan ICP No. 13001288",
        "Sichuan Computer Information Network and Internet Security Record No. 51010402000507",
    ]
    assert all(sentences(text_003, s) == [s] for s in footer)


def test_sentences_split_at_line_breaks_within_a_span():
    text = "One. Two!\r\nThree? Four"
    assert [s.of(text) for s in sentences(text, Span(0, len(text)))] == ["One.", "Two!", "Three?", "Four"]


# --- seed 002: numbered sections, one-paragraph items numbered 1..36 ---------


def test_002_sections(text_002):
    outline = parse_outline(text_002)
    assert [(s.kind, s.number, s.marker) for s in outline] == [
        ("section", 1, "I."), ("section", 2, "Second,"), ("section", 3, "Three:"),
        ("section", 4, "Four,"), ("section", 5, "V."), ("section", 6, "VI."), ("section", 7, "VII."),
    ]
    assert outline[0].heading.of(text_002) == "General Requirements"
    assert outline[1].heading.of(text_002) == (
        "establish and improve the system and mechanism conducive to the rational allocation of urban and rural factors"
    )
    assert outline[6].heading.of(text_002) == "Organizational Guarantees"
    assert outline[6].block.end == len(text_002.rstrip())
    assert outline[0].block.of(text_002).endswith("will be basically realized.")
    assert outline[1].block.of(text_002).startswith("Second, establish and improve")


def test_002_items_numbered_1_to_36(text_002):
    outline = parse_outline(text_002)
    per_section = [[item.number for item in section.children] for section in outline]
    assert per_section == [
        [1, 2, 3], list(range(4, 13)), list(range(13, 19)), [19, 20, 21],
        list(range(22, 28)), list(range(28, 33)), [33, 34, 35, 36],
    ]
    items = {item.number: item for section in outline for item in section.children}
    assert [items[n].marker for n in (1, 8, 10, 16, 24, 36)] == ["(I)", "(viii)", "(j)", "(16)", "(xxiv)", "(36)"]
    assert items[4].heading.of(text_002) == "Improving the mechanism for citizenship of the agricultural transfer population"
    assert items[1].heading.of(text_002) == "Guiding Thought"
    assert items[19].heading.of(text_002) == "the establishment of urban and rural infrastructure integration planning mechanism"
    assert items[36].heading.of(text_002) == "Focus on the pilot to lead the way"
    assert items[10].block.of(text_002).startswith("(j) Improving the rural financial service system.")


def test_002_only_heading_line_items_get_measures(text_002):
    items = [item for section in parse_outline(text_002) for item in section.children]
    with_measures = {item.number: item.children for item in items if item.children}
    assert sorted(with_measures) == [2, 3]

    principles, objectives = with_measures[2], with_measures[3]
    assert [m.marker for m in principles] == ["-", "-", "-", "--", "--"]
    assert [m.marker for m in objectives] == ["--", "--", "--"]
    assert [m.number for m in principles] == [1, 2, 3, 4, 5]
    assert principles[0].heading.of(text_002).startswith("Adhere to follow the law, grasp the direction. Conform")
    assert principles[1].heading.of(text_002).startswith("Adhere to overall planning")
    assert principles[1].block.of(text_002).startswith("- Adhere to overall planning")
    assert objectives[0].heading.of(text_002).startswith("By 2022, the institutional mechanism")
    assert objectives[2].block.of(text_002).endswith("will be basically realized.")
    assert not objectives[2].heading.of(text_002).endswith(".")


# --- seed 004: unnumbered sections, items restarting at 1, one measure a line --


SECTIONS_004 = [
    ("Further improve the allocation efficiency of land elements", [4, 6, 4, 4, 3]),
    ("Promote the rational, smooth and orderly flow of labor factors", [4, 6, 4]),
    ("Promote capital factors to serve the development of the real economy", [7, 3, 2]),
    ("Vigorously promote the transformation of technical elements into real productive forces", [5, 3, 5]),
    ("Explore the establishment of data element circulation rules", [4, 3, 3, 4]),
    ("Strengthen the construction of resource and environment market system", [4, 4]),
]


def test_004_sections_items_and_measures(text_004):
    outline = parse_outline(text_004)
    assert [(s.kind, s.number, s.marker) for s in outline] == [("section", None, "")] * 6
    found = [(s.heading.of(text_004), [len(item.children) for item in s.children]) for s in outline]
    assert found == SECTIONS_004
    for section in outline:
        assert [item.number for item in section.children] == list(range(1, len(section.children) + 1))
    assert outline[-1].block.of(text_004).startswith("Strengthen the construction of resource and environment market system.")


def test_004_markers_and_headings(text_004):
    land, labour = parse_outline(text_004)[:2]
    assert [item.marker for item in land.children] == ["(A)", "(two)", "(3)", "(4)", "(5)"]
    assert [item.marker for item in labour.children] == ["(1)", "(two)", "(3)"]
    assert land.children[0].heading.of(text_004) == "to support the exploration of land management system reform"
    assert land.children[0].block.of(text_004).startswith("(A) to support")
    measures = land.children[0].children
    assert [(m.kind, m.number, m.marker) for m in measures] == [("measure", n, "") for n in (1, 2, 3, 4)]
    assert measures[1].heading.of(text_004) == (
        "Allow qualified areas to explore the inter-provincial adjustment and use mechanism of savings "
        "indicators linked to the increase or decrease of urban and rural construction land"
    )
    assert measures[1].block.of(text_004) == measures[1].heading.of(text_004) + "."
    assert land.children[0].block.end == measures[-1].block.end


# --- every seed: spans are sound --------------------------------------------


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_spans_are_trimmed_and_nested(prefix):
    text = read_seed(prefix)
    for node in walk(parse_outline(text)):
        heading, block = node.heading.of(text), node.block.of(text)
        assert heading and heading == heading.strip() and not heading.endswith(".")
        assert block == block.strip()
        assert block.startswith(node.marker)
        assert node.block.start <= node.heading.start <= node.heading.end <= node.block.end
        previous_end = node.heading.end
        for child in node.children:
            assert previous_end <= child.block.start and child.block.end <= node.block.end
            previous_end = child.block.end


def test_000_numbered_paragraphs_are_sections():
    text = read_seed("000")
    outline = parse_outline(text)
    assert [(s.marker, s.number, s.children) for s in outline] == [("1.", 1, []), ("2.", 2, []), ("3.", 3, [])]
    assert outline[0].heading.of(text).startswith("The leadership system and work mechanism were improved")


def test_texts_without_outline():
    assert parse_outline(read_seed("001")) == []
    assert parse_outline(read_seed("003")) == []


@pytest.mark.parametrize("prefix", ["002", "004"])
def test_crlf_text_gives_the_same_outline(prefix):
    text = read_seed(prefix)
    crlf = text.replace("\n", "\r\n")
    lf_nodes, crlf_nodes = list(walk(parse_outline(text))), list(walk(parse_outline(crlf)))
    assert [(n.kind, n.number, n.marker, n.heading.of(text), n.block.of(text).replace("\n", "\r\n")) for n in lf_nodes] == [
        (n.kind, n.number, n.marker, n.heading.of(crlf), n.block.of(crlf)) for n in crlf_nodes
    ]
