"""Roles read as news and notices write them (issue 10): collective phrases with a complement, numbered
items, asides, "together with", passive agents and "reported to ... by". Every sentence here is written
for the test; none comes from the benchmark's texts."""

from __future__ import annotations

import pytest

from pilotkg.graph.extract import patterns
from pilotkg.graph.extract.bodies import BodyFinder
from pilotkg.graph.extract.divisions import load_national_gazetteer
from pilotkg.graph.extract.extractor import sentences
from pilotkg.graph.extract.gazetteer import load_gazetteer
from pilotkg.graph.extract.outline import lines
from pilotkg.graph.extract.text import Span


@pytest.fixture(scope="module")
def finder() -> BodyFinder:
    return BodyFinder(load_gazetteer().without_generic_aliases(), load_national_gazetteer())


def lenient_roles(finder: BodyFinder, text: str) -> set[tuple[str, str]]:
    """(body slug, role) of every responsibility the lenient reading finds in ``text``, as ingest reads it."""
    gaz = finder.gaz.with_bodies(finder.local_bodies(text))
    bodies = [patterns.BodyMention(m.slug_or_code, Span(m.start, m.end), gaz.bodies[m.slug_or_code].collective)
              for m in gaz.find_mentions(text, kinds=("body",))]
    out = set()
    for paragraph in lines(text):
        for sentence in sentences(text, paragraph):
            out |= {(r.body, r.role) for r in patterns.find_responsibilities(text, sentence, bodies, lenient=True)}
    return out


def phrases(finder: BodyFinder, text: str) -> list[str]:
    return [text[f.start:f.end] for f in finder.find_body_mentions(text) if f.kind == "collective"]


@pytest.mark.parametrize("text, phrase", [
    ("The people's governments of the pilot counties shall draw up work plans.", "people's governments of the pilot counties"),
    ("Local governments in the trial areas fund the subsidies.", "Local governments in the trial areas"),
    ("The municipal governments of Xiamen, Quanzhou and Zhangzhou will organise the trials.",
     "municipal governments of Xiamen, Quanzhou and Zhangzhou"),
    ("The people's governments of the provinces where the new zones are located shall take charge.",
     "people's governments of the provinces where the new zones are located"),
    ("The people's governments of the regions concerned shall report on progress.", "people's governments of the regions concerned"),
    ("The member units of the joint conference shall give support.", "member units of the joint conference"),
    ("The relevant departments of the State Council will help.", "relevant departments of the State Council"),
    ("The pilot county governments are in charge of the work.", "pilot county governments"),
    ("Provincial environmental protection bureaus will inspect the sites.", "Provincial environmental protection bureaus"),
    ("The member units of the inter-agency coordination mechanism will assist.",
     "member units of the inter-agency coordination mechanism"),  # "coordination" is a noun here
])
def test_collective_phrases_with_their_complement(finder, text, phrase):
    assert phrases(finder, text) == [phrase]


@pytest.mark.parametrize("text", [
    "Support local governments to issue bonds.",            # no complement
    "The departments of the ministry were reorganised.",     # no word says it is a group of bodies
    "The pilot zones of the country will grow.",             # not bodies
])
def test_no_collective_phrase_without_a_group_and_a_complement(finder, text):
    assert not [p for p in phrases(finder, text) if " of " in p or " in " in p]


def test_a_collective_phrase_is_the_agent_of_its_clause(finder):
    text = "The people's governments of the pilot counties shall be responsible for carrying out the reform.\n"
    assert lenient_roles(finder, text) == {("peoples-governments-of-the-pilot-counties", "implements")}


def test_a_numbered_item_opens_a_clause(finder):
    text = "(3) The Ministry of Commerce shall supervise the trials.\n4. The Ministry of Finance will support the zones.\n"
    assert lenient_roles(finder, text) == {("mofcom", "supervises"), ("mof", "supports")}


def test_an_aside_between_the_agent_and_its_verb(finder):
    text = "The Ministry of Science and Technology, together with relevant departments, will evaluate the zones.\n"
    # the collective phrase in the aside is not made an agent
    assert lenient_roles(finder, text) == {("most", "supervises")}


def test_named_bodies_together_with_the_agent_share_its_verb(finder):
    text = ("The Ministry of Ecology and Environment, together with five departments including the Ministry of Finance "
            "and the Ministry of Commerce, selected 12 cities for the trial.\n")
    assert lenient_roles(finder, text) == {("mee", "approves"), ("mof", "approves"), ("mofcom", "approves")}


def test_a_later_prepositional_agent_takes_its_phrase(finder):
    text = "The county governments shall implement the plans under the guidance of the Ministry of Commerce.\n"
    found = lenient_roles(finder, text)
    assert ("mofcom", "coordinates") in found and ("mofcom", "implements") not in found


def test_reported_to_by_a_passive_agent(finder):
    text = "Major problems shall be reported to the State Council without delay by the Ministry of Finance.\n"
    found = lenient_roles(finder, text)
    assert ("mof", "reports-to") in found
    assert ("mof", "implements") not in found  # the modal is no verb of the passive agent


def test_the_verb_right_before_by_is_the_passive_agents(finder):
    text = "The trial cities will be chosen from among places recommended by the Ministry of Commerce.\n"
    assert lenient_roles(finder, text) == set()


def test_leading_group_is_no_cue_to_lead(finder):
    text = "The Ministry of Commerce shall set up leading groups in each city.\n"
    assert ("mofcom", "leads") not in lenient_roles(finder, text)


def test_explicit_implementation_holds_beside_other_roles(finder):
    text = "The Ministry of Commerce shall lead the trials and implement the work plan.\n"
    assert lenient_roles(finder, text) == {("mofcom", "leads"), ("mofcom", "implements")}
    # "carry out evaluations" is supervision, not implementation
    text = "The Ministry of Commerce shall lead the trials and carry out evaluations each year.\n"
    assert lenient_roles(finder, text) == {("mofcom", "leads"), ("mofcom", "supervises")}


@pytest.mark.parametrize("text, phrase", [
    ("All relevant provinces shall draw up plans.", "relevant provinces"),
    ("Party committees at all levels shall lead the work.", "Party committees at all levels"),
    ("Localities are encouraged to try new models.", "Localities"),
    ("The member units of the leading group shall give support.", "member units of the leading group"),  # "leading" after "the"
])
def test_general_collective_phrases(finder, text, phrase):
    assert phrases(finder, text) == [phrase]


def test_a_speaker_is_not_made_to_implement_what_it_reports(finder):
    text = "The Ministry of Commerce said the trial zones will open more sectors.\n"
    assert lenient_roles(finder, text) == set()
    # a role the reported clause gives the speaker still holds
    text = "The Ministry of Commerce said it will evaluate the trial zones each year.\n"
    assert lenient_roles(finder, text) == {("mofcom", "supervises")}


def test_what_is_agreed_to_is_approved_not_done(finder):
    text = "The State Council agrees to support the building of the Hainan trial port.\n"
    assert lenient_roles(finder, text) == {("state-council", "approves")}


def test_issued_needs_a_document(finder):
    assert lenient_roles(finder, "The coins are issued by the People's Bank of China.\n") == set()
    assert lenient_roles(finder, "The work plan was issued by the People's Bank of China.\n") == {("pboc", "issues")}


def test_responsible_for_and_organising_are_implementation(finder):
    text = "The local governments of the trial areas are responsible for organising the work.\n"
    assert lenient_roles(finder, text) == {("local-governments-of-the-trial-areas", "implements")}


def test_a_title_is_no_cue(finder):
    text = "The Ministry of Finance approved the Notice on Carrying Out Trials of Rural Credit.\n"
    assert lenient_roles(finder, text) == {("mof", "approves")}


def _groups(tmp_path, text: str) -> list[dict]:
    from pilotkg.graph.extract.ingest import ingest

    path = tmp_path / "anaphora.txt"
    path.write_text(text, encoding="utf-8")
    return ingest(path).curation["patterns"].get("groups", [])


def test_the_ministry_and_the_central_bank_name_the_bodies_named_before(tmp_path):
    text = ("Trial zones for rural credit\n\n"
            "The Ministry of Agriculture and Rural Affairs and the People's Bank of China named ten trial zones for rural credit. "
            "The ministry will supervise the zones, and the central bank will guide the lenders.\n")
    groups = {(g["quote"], tuple(g["bodies"])) for g in _groups(tmp_path, text)}
    assert groups == {("The ministry", ("mara",)), ("the central bank", ("pboc",))}


def test_the_other_departments_are_the_central_departments_named_together_before(tmp_path):
    text = ("Trial zones for rural credit\n\n"
            "The People's Bank of China, the Ministry of Finance and the National Development and Reform Commission "
            "jointly issued a plan for rural credit trial zones. "
            "The People's Bank of China, together with the other departments, will evaluate the trial zones.\n")
    assert [(g["quote"], g["bodies"]) for g in _groups(tmp_path, text)] == [("the other departments", ["mof", "ndrc"])]


def test_no_anaphora_without_a_body_named_before(tmp_path):
    text = "Trial zones for rural credit\n\nThe ministry will supervise the trial zones for rural credit.\n"
    assert _groups(tmp_path, text) == []


# --------------------------------------------------------------------------- totals


@pytest.mark.parametrize("text, value", [
    ("The move brings the total number of trial ports in the country to 21.", 21),
    ("..., bringing the total to 12.", 12),
    ("The list names 30 cities in total.", 30),
    ("raising the total number of pilot zones to nine", 9),
])
def test_find_totals(text, value):
    assert [t.value for t in patterns.find_totals(text)] == [value]


def test_no_total_without_the_words_of_one():
    assert patterns.find_totals("The total investment reached 40 billion yuan, up 12 percent.") == []


def test_new_zones_and_the_total(tmp_path):
    from pilotkg.graph.extract.ingest import ingest

    path = tmp_path / "new-trial-ports.txt"
    path.write_text(
        "China adds trial ports\n\n"
        "China will set up five new pilot free trade zones in Hainan, Fujian, Zhejiang, Shandong and Liaoning, "
        "bringing the total number of pilot free trade zones to 12, the State Council said.\n", encoding="utf-8")
    result = ingest(path)
    programme = result.curation["programmes"][0]
    assert [d["quote"] for d in programme["declared"]] == ["bringing the total number of pilot free trade zones to 12"]
    [batch] = result.curation["batches"]
    assert "number" not in batch and [d["quote"] for d in batch["declared"]] == ["five new pilot free trade zones"]
    values = {(str(p).rsplit("#", 1)[1], int(o)) for s, p, o, _g in result.quads if str(p).endswith("ZoneCount")}
    assert values == {("declaredZoneCount", 12), ("declaredZoneCount", 5)}


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("text, end", [
    ("The trials will run until the end of 2027.", "2027"),
    ("The pilot lasts through 2026.", "2026"),
    ("The scheme will be completed by 2030.", "2030"),
])
def test_end_years(text, end):
    [period] = patterns.find_periods(text)
    assert period.start is None and str(period.end) == end


@pytest.mark.parametrize("body, start", [
    ("The programme, known locally as “Green Farms”, was launched in March 2018 by the Ministry of Agriculture and Rural Affairs.",
     "2018-03"),
    ("Since 2017, Gansu and Ningxia have served as rural credit pilot provinces.", "2017"),
    ("Ningxia became the first rural credit pilot province in May 2017, when the ministry approved its plan.", "2017-05"),
])
def test_start_dates_of_the_programme(tmp_path, body, start):
    from pilotkg.graph.extract.ingest import ingest

    path = tmp_path / "rural-credit.txt"
    path.write_text(f"Rural credit pilot provinces\n\nChina names new rural credit pilot provinces.\n\n{body}\n", encoding="utf-8")
    result = ingest(path)
    starts = {str(o) for s, p, o, _g in result.quads if str(p).endswith("#startDate")}
    assert starts == {start}


# --------------------------------------------------------------------------- issuers


def _issuers(tmp_path, text: str) -> set[str]:
    from pilotkg.graph.extract.ingest import ingest

    path = tmp_path / "issuers.txt"
    path.write_text(text, encoding="utf-8")
    return {str(o).rsplit("/", 1)[1] for s, p, o, _g in ingest(path).quads if str(p).endswith("#issuedBy")}


def test_a_body_in_front_of_its_document_issues_it(tmp_path):
    text = ("China to add rural credit pilot provinces\n\n"
            "China will name five rural credit pilot provinces, according to a Ministry of Finance circular made public on Friday.\n")
    assert _issuers(tmp_path, text) == {"mof"}


def test_a_group_that_said_in_a_joint_circular_issues_it(tmp_path):
    text = ("Rural credit pilot provinces named\n\n"
            "The Ministry of Finance and the People's Bank of China launched the rural credit pilot provinces in 2019. "
            "The two departments said in a joint circular that Gansu and Ningxia will be rural credit pilot provinces.\n")
    assert _issuers(tmp_path, text) == {"mof", "pboc"}


def test_a_line_that_is_only_a_year_range_is_the_programmes_period(tmp_path):
    from pilotkg.graph.extract.ingest import ingest

    path = tmp_path / "credit-plan.txt"
    path.write_text("Plan for the rural credit pilot provinces\n(2022—2026)\n\n"
                    "Gansu and Ningxia are named rural credit pilot provinces.\n", encoding="utf-8")
    result = ingest(path)
    dates = {(str(p).rsplit("#", 1)[1], str(o)) for s, p, o, _g in result.quads if str(p).endswith(("#startDate", "#endDate"))}
    assert dates == {("startDate", "2022"), ("endDate", "2026")}
