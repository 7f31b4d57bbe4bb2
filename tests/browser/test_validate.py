"""The validation page: paste (or upload) a record, choose its format, see the SHACL report.

The records are built from the graph (a real programme, division, source and evidence of a zone)
and the expected message is read from ``shapes/pilotkg-shapes.ttl``, so they follow the data and
the shapes rather than a copy of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib

from browser_helpers import PREFIXES, assert_page, squash

ROOT = Path(__file__).resolve().parents[2]
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
PKSHAPE_COVERS = "PilotZoneShape-coversDivision"
PKSHAPE_LABEL = "LabelledShape-label"


def shape_message(local_name: str) -> str:
    shapes = rdflib.Graph().parse(ROOT / "shapes" / "pilotkg-shapes.ttl")
    for shape in shapes.subjects(SH.message, None):
        if str(shape).endswith(local_name):
            return str(shapes.value(shape, SH.message))
    raise AssertionError(f"no shape named {local_name} in shapes/pilotkg-shapes.ttl")


@pytest.fixture(scope="module")
def records(server, samples):
    """(good Turtle, broken Turtle, the zone's IRI): a new zone made of a real zone's facts; the broken
    one has neither its English label nor a covered division."""
    row = server.select(PREFIXES + f"""
        SELECT ?programme ?division ?source ?evidence WHERE {{
          <{samples.zone}> pk:inProgramme ?programme ; pk:coversDivision ?division ;
                           pk:derivedFrom ?source ; pk:evidence ?evidence }}
        ORDER BY ?programme ?division ?source ?evidence LIMIT 1""")
    assert row, f"{samples.zone} lacks a programme, division, source or evidence"
    r = row[0]
    zone = "https://w3id.org/pilotkg/id/zone/browser-test-zone"

    def record(complete: bool) -> str:
        label = '    rdfs:label "Browser test zone"@en ;\n' if complete else ""
        division = f"    pk:coversDivision <{r['division']}> ;\n" if complete else ""
        return (
            "@prefix pk: <https://w3id.org/pilotkg/ontology#> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            f"<{zone}> a pk:PilotZone ;\n"
            f"{label}"
            f"    pk:inProgramme <{r['programme']}> ;\n"
            f"{division}"
            f"    pk:derivedFrom <{r['source']}> ;\n"
            f"    pk:evidence <{r['evidence']}> .\n"
        )

    return record(True), record(False), zone


def fill_form(page, turtle: str, *, with_graph: bool = True) -> None:
    form = page.locator("form#validate-form")
    assert form.count() == 1, "no form#validate-form"
    form.locator("textarea[name=data]").fill(turtle)
    choose_turtle(form)
    use_graph(form, with_graph)


def choose_turtle(form) -> None:
    select = form.locator("select[name=format]")
    assert select.count() == 1, "no select[name=format]"
    options = {squash(o.inner_text()).lower(): o.get_attribute("value") for o in select.locator("option").all()}
    value = next((v for text, v in options.items() if "turtle" in text), None)
    assert value is not None, f"no Turtle among the formats {sorted(options)}"
    select.select_option(value=value)


def use_graph(form, on: bool = True) -> None:
    """A record that names existing resources is checked together with the dataset (the form's
    ``with=graph`` check box); a record checked alone must be complete."""
    control = form.locator("input[type=checkbox][name=with][value=graph]")
    assert control.count() == 1, "the form has no check box to validate with the dataset (name=with, value=graph)"
    control.set_checked(on)


def submit(page, status: int = 200) -> None:
    """Click button#validate and wait for the report page (validating with the dataset takes seconds)."""
    button = page.locator("form#validate-form button#validate")
    assert button.count() == 1, "no button#validate"
    with page.expect_navigation(timeout=60_000) as navigation:
        button.click(no_wait_after=True)
    answered = navigation.value.status if navigation.value else None
    assert answered == status, \
        f"the validation answered {answered}, expected {status}: {squash(page.locator('main').inner_text())[:400]}"


def test_broken_record_shows_the_violations(web, records):
    _, broken, zone = records
    page = web.open("/validate")
    assert_page(page, "/validate")
    fill_form(page, broken)
    web.shot(page, "filled")
    submit(page)
    page.locator(".report").first.wait_for(state="attached")
    violations = [squash(t) for t in page.locator(".report .violation").all_inner_texts()]
    assert violations, "the report lists no .violation for a zone without a label and a covered division"
    for shape in (PKSHAPE_LABEL, PKSHAPE_COVERS):
        message = shape_message(shape)
        matching = [v for v in violations if squash(message) in v]
        assert matching, f"no .violation says {message!r} ({shape}); the report says {violations}"
        assert any(zone in v or shape in v for v in matching), f"the violation of {shape} names neither {zone} nor the shape"
    report = squash(page.locator(".report").first.inner_text())
    assert zone in report, f"the report does not name the focus node {zone}"


def test_good_record_conforms(web, records):
    good, _, _ = records
    page = web.open("/validate")
    fill_form(page, good)
    submit(page)
    shown = squash(page.locator("main").inner_text())
    assert page.locator(".report .violation").count() == 0, f"violations for a good record: {shown[:600]}"
    assert "conforms" in shown.lower() and "not conform" not in shown.lower(), f"the page does not say it conforms: {shown[:600]}"


def test_uploaded_file_is_validated(web, records, tmp_path):
    _, broken, _ = records
    message = shape_message(PKSHAPE_COVERS)
    upload = tmp_path / "broken-zone.ttl"
    upload.write_text(broken, encoding="utf-8")
    page = web.open("/validate")
    form = page.locator("form#validate-form")
    form.locator("input[type=file][name=file]").set_input_files(str(upload))
    choose_turtle(form)
    use_graph(form, False)  # alone: the missing division is still a violation (and this is quick)
    submit(page)
    violations = [squash(t) for t in page.locator(".report .violation").all_inner_texts()]
    assert any(squash(message) in v for v in violations), f"no .violation says {message!r}: {violations}"


def test_malformed_turtle_names_the_line(web):
    page = web.open("/validate")
    form = page.locator("form#validate-form")
    form.locator("textarea[name=data]").fill('@prefix pk: <https://w3id.org/pilotkg/ontology#> .\n<a> pk:b "unclosed .\n')
    choose_turtle(form)
    use_graph(form, False)
    # Chromium logs "Failed to load resource: … 400" for the 400 page a parse error must get.
    web.allow_console_error(r"Failed to load resource: the server responded with a status of 400")
    submit(page, status=400)
    text = squash(page.locator("main").inner_text())
    assert re.search(r"\bline 2\b", text), f"a Turtle syntax error on line 2 is reported without its line: {text[:400]}"
