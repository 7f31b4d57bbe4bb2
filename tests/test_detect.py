"""The generic readings ingest makes of a text it was not written for (graph/extract/detect.py
and the rules of graph/extract/ingest.py that use them), each on a short text written here.

These are not the benchmark's texts: each sentence below checks one rule, and several check
that a rule does *not* fire (a dateline, a venue, a place inside a name, a weekday).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from pilotkg.graph.extract import detect
from pilotkg.graph.extract.text import Span
from pilotkg.graph.extract.ingest import ingest
from pilotkg.graph.namespaces import PK, PKR


def names(text: str) -> list[str]:
    return [text[p.first.start : p.first.end] for p in detect.find_programmes(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The State Council approved six new pilot free trade zones in Shandong.", ["pilot free trade zones"]),
        ("China will build pilot zones for the integrated development of culture and tourism in 15 cities.",
         ["pilot zones for the integrated development of culture and tourism"]),
        ("The Cross-border E-commerce Comprehensive Pilot Zones were expanded.", ["Cross-border E-commerce Comprehensive Pilot Zones"]),
        ("the third batch of national new-type urbanization comprehensive pilot areas",
         ["national new-type urbanization comprehensive pilot areas"]),
        ("It launched the Digital Countryside Pilot Areas on Monday.", ["Digital Countryside Pilot Areas"]),
        ("to carry out pilot projects for comprehensive reform of land use", ["pilot projects for comprehensive reform of land use"]),
        ("the Pilot Programme for the Innovative Development of Trade in Services was approved",
         ["Pilot Programme for the Innovative Development of Trade in Services"]),
        ("pilot cities on the basis of recommendations", ["pilot cities"]),
        ("the pilot zones will run for three years", ["pilot zones"]),
    ],
)
def test_programme_names_are_bounded_by_function_words_numbers_and_verbs(text, expected):
    assert names(text) == expected


def test_a_programme_name_never_opens_with_a_place():
    text = "The Shandong pilot free trade zone covers three areas."
    start = text.index("Shandong")
    (found,) = detect.find_programmes(text, places=[Span(start, start + len("Shandong"))])
    assert text[found.first.start : found.first.end] == "pilot free trade zone"


def test_shorter_forms_and_a_name_that_contains_the_chosen_one_are_one_programme():
    text = ("China set up the Smart Port Pilot Zones. The pilot zones will share data. "
            "Pilot areas of the Smart Port Pilot Zones report yearly.")
    found = detect.find_programmes(text)
    chosen = next(p for p in found if p.key == "smart port pilot zone")
    assert {p.key for p in detect.programme_group(found, chosen)} == {p.key for p in found}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("It issued the “Overall Plan for the China (Hainan) Pilot Free Trade Zone” on Monday.",
         "Overall Plan for the China (Hainan) Pilot Free Trade Zone"),
        ("The Reply of the State Council on Approving the Establishment of Six Pilot Zones, which was published, took effect.",
         "Reply of the State Council on Approving the Establishment of Six Pilot Zones"),
    ],
)
def test_stated_titles(text, expected):
    (title,) = detect.find_policy_titles(text)
    assert text[title.span.start : title.span.end] == expected


@pytest.mark.parametrize(
    "line, is_title",
    [
        ("Notice of the Ministry of Commerce on Launching the Supply Chain Pilot", True),
        ("Reply of the State Council on Agreeing to Set Up Pilot Zones in 24 Cities", True),
        ("Implementation Plan for the Wetland Pilot Programme (2023-2026)", True),
        ("China approves six new pilot free trade zones", False),
        ("Pilot cities drive green vehicles onto the road", False),
    ],
)
def test_a_document_title_line_is_told_from_a_headline(line, is_title):
    assert detect.is_document_title_line(line) is is_title


@pytest.mark.parametrize(
    "line, furniture",
    [
        ("Photo taken on May 3 shows a port in Qingdao, Shandong province. (Xinhua/Li Ziheng)", True),
        ("Editor: Wang Yu", True),
        ("By ZHOU MIN in Beijing | China Daily | Updated: 2021-07-19 07:32", True),
        ("Qingdao was selected as a pilot city.", False),
    ],
)
def test_page_furniture(line, furniture):
    assert bool(detect.furniture_lines(line)) is furniture


# --------------------------------------------------------------------------- whole drafts

NEWS = """Port cities join customs pilot
By LI MING | China Daily | Updated: 2024-03-05 10:12

BEIJING, March 4 (Xinhua) -- The General Administration of Customs (GAC) and the Ministry of Commerce (MOFCOM) jointly approved Ningbo in Zhejiang province, Rizhao City and Xishuangbanna Dai Autonomous Prefecture as the first batch of smart customs pilot cities, according to a circular released on Monday.

The two departments will supervise the pilot work. The pilot period is 2024-2026.

"The pilot cities will test paperless clearance," an official said at a press conference held in Hangzhou.

Photo taken on March 2 shows the port of Qingdao, Shandong province. (Xinhua/Zhang Wei)
Editor: Zhao Lei
"""


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    path = tmp_path_factory.mktemp("detect") / "customs_pilot.txt"
    path.write_text(NEWS, encoding="utf-8")
    return ingest(path)


def _objects(result, s, p):
    return {o for s2, p2, o, _g in result.quads if s2 == s and p2 == p}


def _subjects(result, p, o):
    return {s for s, p2, o2, _g in result.quads if p2 == p and o2 == o}


def test_news_zones_and_not_dateline_venue_caption_or_locator(news):
    zones = _subjects(news, RDF.type, PK.PilotZone)
    covered = {str(o).rsplit("/", 1)[1] for z in zones for o in _objects(news, z, PK.coversDivision)}
    assert covered == {"330200", "371100", "532800"}  # Ningbo, Rizhao, Xishuangbanna
    # not Zhejiang (locates Ningbo), Beijing (dateline), Hangzhou (venue), Qingdao or Shandong (caption)


def test_news_programme_batch_count_period_and_dates(news):
    (programme,) = _subjects(news, RDF.type, PK.PilotProgramme)
    assert str(_objects(news, programme, RDFS.label).pop()) == "Smart customs pilot cities"
    assert _objects(news, programme, PK.startDate) == {Literal("2024", datatype=XSD.gYear)}
    (batch,) = _subjects(news, RDF.type, PK.PilotBatch)
    assert _objects(news, batch, PK.batchNumber) == {Literal(1, datatype=XSD.integer)}
    doc = PKR["source/customs-pilot"]
    # the by-line's labelled date dates the page; the dateline's "March 4" is not needed then,
    # and "on Monday" is never made a date
    assert _objects(news, doc, PK.publishedOn) == {Literal("2024-03-05", datatype=XSD.date)}
    assert not any(p == PK.issuedOn for _s, p, _o, _g in news.quads)


def test_news_policy_is_described_by_the_document_it_names(news):
    (policy,) = _subjects(news, RDF.type, PK.Policy)
    label = str(_objects(news, policy, RDFS.label).pop())
    # "A and B jointly approved ..., according to a circular released on Monday": the agents of
    # the sentence that releases the circular issue it; a news agency never does
    assert label == "General Administration of Customs circular on the smart customs pilot cities"
    issuers = {str(o).rsplit("/", 1)[1] for o in _objects(news, policy, PK.issuedBy)}
    assert issuers == {"gac", "mofcom"}
    assert _objects(news, policy, PK.policyType) == {URIRef("https://w3id.org/pilotkg/policy-type/notice")}


def test_news_roles_by_verb_for_a_list_of_agents_and_a_group_phrase(news):
    roles = set()
    for r in _subjects(news, RDF.type, PK.Responsibility):
        body = str(_objects(news, r, PK.body).pop()).rsplit("/", 1)[1]
        role = str(_objects(news, r, PK.role).pop()).rsplit("/", 1)[1]
        roles.add((body, role))
    assert {("gac", "approves"), ("mofcom", "approves")} <= roles  # "A (A) and B (B) jointly approved"
    assert {("gac", "supervises"), ("mofcom", "supervises")} <= roles  # "The two departments will supervise"


def test_the_generated_curation_reproduces_the_news_draft(news, tmp_path):
    import yaml

    saved = tmp_path / "customs_pilot.curation.yaml"
    saved.write_text(yaml.safe_dump(news.curation, allow_unicode=True, sort_keys=False), encoding="utf-8")
    text = tmp_path / "customs_pilot.txt"
    text.write_text(NEWS, encoding="utf-8")
    assert ingest(text, curation=saved).nquads() == news.nquads()


def test_provinces_are_zones_of_a_province_scale_programme_and_their_cities_are_parts(tmp_path):
    path = tmp_path / "ftz.txt"
    path.write_text(
        "China will set up three new pilot free trade zones in Hebei, Gansu and Jilin, the State Council said.\n\n"
        "The Hebei zone covers areas in Shijiazhuang and Tangshan.\n",
        encoding="utf-8",
    )
    result = ingest(path)
    zones = _subjects(result, RDF.type, PK.PilotZone)
    part = {str(o).rsplit("/", 1)[1] for z in zones for o in _objects(result, z, PK.coversPartOf)}
    whole = {str(o).rsplit("/", 1)[1] for z in zones for o in _objects(result, z, PK.coversDivision)}
    assert part == {"130000", "620000", "220000"} and not whole


def test_provinces_locate_pilot_cities_and_a_province_used_as_an_adjective_is_no_zone(tmp_path):
    path = tmp_path / "cities.txt"
    path.write_text(
        "Hebei and Gansu counties join green pilot\n\n"
        "Zhuozhou City and Dunhuang City in Gansu were selected as the Green Mining Pilot Cities.\n",
        encoding="utf-8",
    )
    result = ingest(path)
    zones = _subjects(result, RDF.type, PK.PilotZone)
    covered = {str(o).rsplit("/", 1)[1] for z in zones for o in _objects(result, z, PK.coversDivision)}
    assert covered == {"130681", "620982"}
