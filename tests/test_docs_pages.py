"""The documentation pages: /ontology and /shapes generated from their files (every
term and shape, with its comment, anchors that resolve, the files themselves by
content negotiation), and the validation page (/validate): the form, its two
examples, the report, and bad input shown on the page."""

from __future__ import annotations

import html
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from pilotkg.graph.namespaces import SH
from pilotkg.graph.rdfio import FORMATS
from pilotkg.graph.resources import ontology_path, shapes_path

from support import fresh_copy, serving

PK = "https://w3id.org/pilotkg/ontology#"
SHAPES_NS = "https://w3id.org/pilotkg/shapes#"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def ontology() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


def shapes() -> Graph:
    return Graph().parse(shapes_path(), format="turtle")


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def element(page: str, tag: str, anchor: str) -> str:
    """The HTML of the ``<tag … id="anchor">`` element (tags of that name are not nested in these pages)."""
    m = re.search(rf'<{tag}\b[^>]*\bid="{re.escape(anchor)}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert m, f'no <{tag} id="{anchor}"> in the page'
    return m.group(1)


def ids(page: str) -> set[str]:
    """The element ids of a page (each must be unique there, or an anchor is ambiguous)."""
    found = re.findall(r'\bid="([^"]+)"', page)
    duplicates = sorted({i for i in found if found.count(i) > 1})
    assert not duplicates, f"ids used twice: {duplicates}"
    return set(found)


def local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def href(iri) -> str:
    """Where a page links a term: its anchor on /ontology for ours, the IRI itself for others."""
    return f"/ontology#{local(str(iri))}" if str(iri).startswith(PK) else str(iri)


def english(g: Graph, s, p) -> str:
    values = [o for o in g.objects(s, p) if isinstance(o, Literal)]
    return str(next((o for o in values if o.language in (None, "en")), values[0] if values else ""))


def assert_csp_clean(page: str) -> None:
    """Nothing the Content-Security-Policy would block: no inline script, style or handler, nothing loaded
    from another host (links to other vocabularies are fine: they are followed, not loaded)."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline <script>"
    assert "<style" not in page and not re.search(r'\sstyle="', page), "inline style"
    assert not re.search(r"<[^>]*\son[a-z]+=", page), "an on* handler attribute"
    for loaded in re.findall(r'<(?:script|img|link)\b[^>]*?(?:src|href)="([^"]+)"', page):
        assert loaded.startswith("/"), f"a resource loaded from elsewhere: {loaded}"


@pytest.fixture(scope="module")
def browser(site_app):
    """Like the ``site`` fixture, for the module's page fixtures."""
    client = site_app.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER
    return client


# --------------------------------------------------------------------------- /ontology


@pytest.fixture(scope="module")
def ontology_page(browser) -> str:
    resp = browser.get("/ontology")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return resp.text


def test_ontology_page_documents_every_class_and_property_with_its_comment(ontology_page):
    g = ontology()
    terms = {s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in g.subjects(RDF.type, t)}
    assert len(terms) > 40
    for s in terms:
        entry = text_of(element(ontology_page, "article", local(str(s))))
        comment = " ".join(english(g, s, RDFS.comment).split())
        assert comment and comment in entry, f"{s}: comment missing"
        for label in g.objects(s, RDFS.label):
            assert str(label) in entry, f"{s}: label {label!r} missing"
        assert str(s) in entry  # the full IRI is shown


def test_ontology_page_shows_domain_range_hierarchy_inverse_and_alignment(ontology_page):
    g = ontology()
    for prop in set(g.subjects(RDF.type, OWL.ObjectProperty)) | set(g.subjects(RDF.type, OWL.DatatypeProperty)):
        entry = element(ontology_page, "article", local(str(prop)))
        for predicate in (RDFS.domain, RDFS.range, OWL.inverseOf, RDFS.subPropertyOf):
            for o in g.objects(prop, predicate):
                assert f'href="{href(o)}"' in entry, f"{prop} {predicate} {o}"
        if (prop, RDF.type, OWL.TransitiveProperty) in g:
            assert "transitive" in text_of(entry)
    for cls in g.subjects(RDF.type, OWL.Class):
        entry = element(ontology_page, "article", local(str(cls)))
        for o in g.objects(cls, RDFS.subClassOf):
            assert f'href="{href(o)}"' in entry, f"{cls} subClassOf {o}"
        for prop in g.subjects(RDFS.domain, cls):  # the properties whose domain is the class
            assert f'href="/ontology#{local(str(prop))}"' in entry


def test_ontology_page_header_names_title_version_licence_and_namespace(ontology_page):
    g = ontology()
    header = next(g.subjects(RDF.type, OWL.Ontology))
    intro = text_of(ontology_page.split('<nav class="toc"', 1)[0])
    for p in (URIRef("http://purl.org/dc/terms/title"), OWL.versionInfo, URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"),
              URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix"), OWL.versionIRI):
        assert str(next(g.objects(header, p))) in intro
    assert str(next(g.objects(header, URIRef("http://purl.org/dc/terms/license")))) in ontology_page


def test_ontology_page_lists_the_concept_schemes_with_their_concepts(ontology_page):
    g = ontology()
    schemes = set(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 3
    for scheme in schemes:
        section = ontology_page.split(f'id="{local(str(scheme))}"', 1)[1].split("</table>", 1)[0]
        concepts = set(g.subjects(SKOS.inScheme, scheme))
        assert concepts
        for concept in concepts:
            path = str(concept).replace("https://w3id.org/pilotkg", "")
            row = element(section, "tr", path.strip("/").replace("/", "-"))
            assert f'href="{path}"' in row  # the concept's own page (/theme/land, /role/leads, …)
            for label in g.objects(concept, SKOS.prefLabel):
                assert str(label) in text_of(row)
            assert " ".join(english(g, concept, SKOS.definition).split()) in text_of(row)


def test_every_anchor_link_of_the_ontology_page_has_its_target(ontology_page):
    targets = ids(ontology_page)
    links = set(re.findall(r'href="(?:/ontology)?#([^"]+)"', ontology_page))
    assert {"PilotZone", "coversDivision", "ReformThemes", "classes", "object-properties"} <= links
    assert links <= targets, f"anchors without a target: {sorted(links - targets)}"
    assert_csp_clean(ontology_page)


def test_ontology_is_turtle_by_content_negotiation_byte_for_byte(site):
    on_disk = ontology_path().read_bytes()
    for url, accept in (("/ontology", "text/turtle"), ("/ontology", "*/*"), ("/ontology.ttl", BROWSER),
                        ("/ontology/" + str(next(ontology().objects(None, OWL.versionInfo))), "text/turtle")):
        resp = site.get(url, headers={"Accept": accept})
        assert resp.status_code == 200, url
        assert resp.mimetype == "text/turtle" and resp.data == on_disk, (url, accept)
    assert "Accept" in site.get("/ontology").headers.get("Vary", "")


@pytest.mark.parametrize("accept, suffix, fmt", [
    ("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML),
])
def test_ontology_in_other_formats_holds_the_same_triples(site, accept, suffix, fmt):
    expected = set(ox.parse(path=str(ontology_path()), format=ox.RdfFormat.TURTLE))
    for resp in (site.get("/ontology", headers={"Accept": accept}), site.get(f"/ontology.{suffix}")):
        assert resp.status_code == 200 and resp.mimetype == accept
        assert set(ox.parse(resp.data, format=fmt)) == expected


def test_ontology_bad_requests(site):
    assert site.get("/ontology", headers={"Accept": "image/png"}).status_code == 406
    resp = site.get("/ontology.xlsx", headers={"Accept": "text/plain"})
    assert resp.status_code == 404 and "/ontology.ttl" in resp.text
    resp = site.get("/ontology/9.9.9")
    assert resp.status_code == 404 and "9.9.9" in resp.text
    resp = site.get("/ontology?view=all")
    assert resp.status_code == 400 and "view" in resp.text
    assert site.get("/ontology?lang=fr").status_code == 200  # lang= is the site's; a language it lacks is ignored


# --------------------------------------------------------------------------- /shapes


@pytest.fixture(scope="module")
def shapes_page(browser) -> str:
    resp = browser.get("/shapes")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return resp.text


def test_shapes_page_lists_every_node_shape_with_its_targets(shapes_page):
    g = shapes()
    node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
    assert len(node_shapes) >= 15
    for shape in node_shapes:
        section = element(shapes_page, "section", local(str(shape)))
        for target in g.objects(shape, SH.targetClass):
            assert f'href="{href(target)}"' in section
        description = english(g, shape, SH.description)
        if description:
            assert " ".join(description.split()) in text_of(section)


def test_shapes_page_shows_each_property_shape_in_order_with_path_constraints_severity_and_message(shapes_page):
    g = shapes()
    for shape in g.subjects(RDF.type, SH.NodeShape):
        section = element(shapes_page, "section", local(str(shape)))
        rows = re.findall(r'<tr id="([^"]+)" class="property-shape', section)
        members = list(g.objects(shape, SH.property))
        by_order = sorted(members, key=lambda p: (float(g.value(p, SH.order) or 0), str(g.value(p, SH.name) or "")))
        assert rows == [local(str(p)) for p in by_order], f"{shape}: property shapes out of sh:order"
        for p in members:
            row = text_of(element(section, "tr", local(str(p))))
            path = g.value(p, SH.path)
            assert local(str(path)) in row
            assert str(g.value(p, SH.severity)).rsplit("#", 1)[1].lower() in row
            assert " ".join(str(g.value(p, SH.message)).split()) in row
            for param, reading in ((SH.minCount, "at least"), (SH.maxCount, "at most"), (SH.pattern, "pattern")):
                value = g.value(p, param)
                if value is not None:
                    assert reading in row and str(value) in row, (p, param)
            for param in (SH.datatype, SH["class"], SH.node, SH.sparql):
                for value in g.objects(p, param):
                    assert local(str(value)) in row, (p, param)


def test_shapes_page_has_every_sparql_constraint_and_working_anchors(shapes_page):
    g = shapes()
    for c in g.subjects(RDF.type, SH.SPARQLConstraint):
        article = element(shapes_page, "article", local(str(c)))
        assert "SELECT" in article and english(g, c, RDFS.label) in text_of(article)
    targets = ids(shapes_page)
    links = set(re.findall(r'href="(?:/shapes)?#([^"]+)"', shapes_page))
    assert links and links <= targets, sorted(links - targets)
    assert_csp_clean(shapes_page)


def test_shapes_file_by_content_negotiation(site):
    on_disk = shapes_path().read_bytes()
    for url, accept in (("/shapes", "text/turtle"), ("/shapes.ttl", BROWSER)):
        resp = site.get(url, headers={"Accept": accept})
        assert resp.status_code == 200 and resp.mimetype == "text/turtle" and resp.data == on_disk
    resp = site.get("/shapes", headers={"Accept": "application/n-triples"})
    assert set(ox.parse(resp.data, format=ox.RdfFormat.N_TRIPLES)) == set(ox.parse(path=str(shapes_path()), format=ox.RdfFormat.TURTLE))
    assert site.get("/shapes?x=1").status_code == 400


# --------------------------------------------------------------------------- /validate


@pytest.fixture(scope="module")
def validating(built, tmp_path_factory):
    """An app of its own for validation (a copy of the data): validating with the dataset runs pyshacl over all of
    it, which takes seconds, more on a busy machine than the shared app's 10 s limit allows."""
    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("validate") / "data")
    with serving(data, query_timeout=120) as app:
        yield app


@pytest.fixture(scope="module")
def form_client(validating):
    client = validating.test_client()
    client.environ_base["HTTP_ACCEPT"] = BROWSER
    return client


@pytest.fixture(scope="module")
def validate_page(form_client) -> str:
    resp = form_client.get("/validate")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return resp.text


def example(page: str, name: str) -> str:
    return html.unescape(element(page, "pre", f"example-{name}"))


def post_form(client, data: str, *, fmt: str = "turtle", with_graph: bool = True, **extra):
    form = {"data": data, "format": fmt, **extra}
    if with_graph:
        form["with"] = "graph"
    return client.post("/validate?format=html", data=form, content_type="multipart/form-data")


def test_validate_form_has_its_controls(validate_page):
    form = element(validate_page, "form", "validate-form")
    opening = re.search(r'<form[^>]*id="validate-form"[^>]*>', validate_page).group(0)
    assert 'method="post"' in opening and 'enctype="multipart/form-data"' in opening and 'action="/validate?format=html"' in opening
    assert re.search(r'<textarea[^>]*name="data"', form)
    assert re.search(r'<input type="file" name="file"', form)
    assert set(re.findall(r'<option value="([^"]+)"', element(form, "select", "format"))) == set(FORMATS)
    assert re.search(r'<input type="checkbox" name="with" value="graph"', form)
    assert re.search(r'<button type="submit" id="validate"', form)
    assert '<script src="/static/js/validate.js"' in validate_page
    assert_csp_clean(validate_page)


def test_the_examples_use_resources_of_the_dataset(validating, validate_page):
    good = example(validate_page, "good")
    iris = set(re.findall(r"<(https://w3id\.org/pilotkg/id/[^>]+)>", good))
    assert len(iris) >= 5  # the new zone, its programme, division, source and evidence
    store = validating.extensions["pilotkg"].store
    existing = [i for i in iris if bool(store.query(f"ASK {{ <{i}> ?p ?o }}"))]
    assert len(existing) == len(iris) - 1  # everything but the new zone itself


def test_a_broken_record_shows_its_violations_by_focus_node(form_client, validate_page):
    broken = example(validate_page, "broken")
    resp = post_form(form_client, broken)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.text
    assert "Does not conform" in text_of(element(page, "div", "verdict"))
    as_json = form_client.post("/validate?with=graph", data=broken, content_type="text/turtle", headers={"Accept": "application/json"}).get_json()
    expected = [r for r in as_json["results"] if r["severity"] == "Violation"]
    report = page.split('<div class="report"', 1)[1].split('<details', 1)[0]
    violations = re.findall(r'<li class="result violation">(.*?)</li>', report, re.S)
    assert len(violations) == len(expected) >= 4
    focus = "https://w3id.org/pilotkg/id/zone/example-broken-record"
    assert {r["focus_node"] for r in expected} == {focus}
    assert all(focus in item for item in violations)  # each names its focus node
    messages = {text_of(re.search(r'<span class="message">(.*?)</span>', v, re.S).group(1)) for v in violations}
    assert messages == {r["message"] for r in expected}
    shape_links = set(re.findall(r'href="/shapes#([^"]+)"', report))
    assert {r["shape"].rsplit("#", 1)[1] for r in expected} <= shape_links
    assert "PilotZoneShape-coversDivision" in shape_links
    shapes_ids = ids(form_client.get("/shapes").text)
    assert shape_links <= shapes_ids
    # the data comes back in the form, to be fixed
    assert html.unescape(element(page, "textarea", "data")).strip() == broken.strip()


def test_a_good_record_conforms(form_client, validate_page):
    resp = post_form(form_client, example(validate_page, "good"))
    assert resp.status_code == 200
    verdict = text_of(element(resp.text, "div", "verdict"))
    assert verdict.startswith("Conforms") and "0 violations" in verdict
    assert 'class="result violation"' not in resp.text


def test_a_good_record_alone_does_not_conform_and_the_page_says_why(form_client, validate_page):
    resp = post_form(form_client, example(validate_page, "good"), with_graph=False)
    assert resp.status_code == 200
    assert "Does not conform" in resp.text and "validate again with the dataset" in resp.text


def test_unparseable_data_is_shown_with_its_line_and_column(form_client):
    data = "@prefix pk: <https://w3id.org/pilotkg/ontology#> .\n<https://w3id.org/pilotkg/id/zone/x> a pk:PilotZone ;\n  pk:inProgramme oops .\n"
    resp = post_form(form_client, data)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    error = element(resp.text, "section", "input-error")
    assert 'data-line="3"' in resp.text and "line 3" in text_of(error) and "column" in text_of(error)
    assert "pk:inProgramme oops" in text_of(error)  # the offending line, quoted
    assert html.unescape(element(resp.text, "textarea", "data")) == data  # kept for fixing


@pytest.mark.parametrize("data, fmt, status, words", [
    ("   \n", "turtle", 400, "no data was submitted"),
    ("<a> <b> <c> .", "ntriples", 400, "does not parse"),
    ("<http://a/x> <http://a/p> <http://a/o> .", "n3-ish", 415, "unknown format"),
])
def test_bad_input_is_a_clear_error_on_the_page(form_client, data, fmt, status, words):
    resp = post_form(form_client, data, fmt=fmt)
    assert resp.status_code == status and resp.mimetype == "text/html"
    assert words in text_of(element(resp.text, "section", "input-error"))
    assert element(resp.text, "form", "validate-form")


def test_too_large_input_is_413_on_the_page(form_client, validating):
    limit = validating.config["MAX_CONTENT_LENGTH"]
    resp = post_form(form_client, "#" * (limit + 10))
    assert resp.status_code == 413 and resp.mimetype == "text/html"
    assert f"{limit:,} bytes" in text_of(element(resp.text, "section", "input-error"))


def test_validate_for_programs_is_unchanged(validating):
    client = validating.test_client()
    resp = client.post("/validate", data="<http://a/x> <http://a/p> ", content_type="text/turtle")
    assert resp.status_code == 400 and resp.mimetype == "text/plain" and "line 1" in resp.text
    resp = client.post("/validate", data="<http://a/x> <http://a/p> <http://a/o> .", content_type="text/turtle")
    assert resp.status_code == 200 and resp.mimetype == "application/json" and resp.get_json()["conforms"] is True
    assert client.get("/validate?nonsense=1", headers={"Accept": BROWSER}).status_code == 400
