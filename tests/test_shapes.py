"""Tests of the SHACL shapes in shapes/pilotkg-shapes.ttl.

The shapes graph itself is checked first (valid SHACL, no blank nodes, every
property shape documented). Then one small dataset with a record of every
class, shaped like the builder's output, must conform; and each broken record,
made from it by taking out (or putting in) a triple or two, must fail with the
severity, focus node, path and message a user would look for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH

SHAPES_FILE = Path(__file__).parents[1] / "shapes" / "pilotkg-shapes.ttl"

PK = Namespace("https://w3id.org/pilotkg/ontology#")
PKR = Namespace("https://w3id.org/pilotkg/id/")
PKSHAPE = Namespace("https://w3id.org/pilotkg/shapes#")
OA = Namespace("http://www.w3.org/ns/oa#")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema#"

# Instance IRIs are written relative to the base, so <zone/hejiang-county> is
# https://w3id.org/pilotkg/id/zone/hejiang-county.
TURTLE_PREFIXES = """\
@base <https://w3id.org/pilotkg/id/> .
@prefix oa:    <http://www.w3.org/ns/oa#> .
@prefix pk:    <https://w3id.org/pilotkg/ontology#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:  <http://www.w3.org/2004/02/skos/core#> .
@prefix wgs:   <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .
@prefix theme: <https://w3id.org/pilotkg/theme/> .
@prefix role:  <https://w3id.org/pilotkg/role/> .
@prefix policy-type: <https://w3id.org/pilotkg/policy-type/> .
"""

# One record of every class, as the builder emits them for seed 003 (Sichuan's
# pilot integrated county-level reform), with the ontology triples the shapes
# rely on (scheme membership of the concepts used, the CollectiveBody subclass).
GOOD_DATASET = """
# --- from the ontology ---
theme:infrastructure skos:inScheme pk:ReformThemes .
theme:governance skos:inScheme pk:ReformThemes .
role:approves skos:inScheme pk:ResponsibilityRoles .
role:leads skos:inScheme pk:ResponsibilityRoles .
policy-type:programme skos:inScheme pk:PolicyTypes .
pk:CollectiveBody rdfs:subClassOf pk:ResponsibleBody .

# --- the source text and the place in it that states the facts ---
<source/003-3e4a61702f265df0> a pk:SourceDocument ;
    rdfs:label "Sichuan Launches Pilot Integrated County-level Reform under Chengdu-Chongqing Economic Circle Construction"@en ;
    pk:fileName "003_3e4a61702f265df0.txt" ;
    pk:sha256 "df86a7b389420c9dd690434fcf25bc10d7c7015edcbd9bf0752fd70a5a2caeb5" ;
    pk:reports <policy/sichuan-integrated-county-reform-programme> ,
        <programme/sichuan-integrated-county-reform> ;
    pk:publishedOn "2020-07-07"^^xsd:date ;
    pk:mentions <zone/hejiang-county> .

<evidence/003-3e4a61702f265df0/198-407> a pk:Evidence , oa:SpecificResource ;
    rdfs:label "The Deepening Reforms Commission of the CPC Sichuan Provincial Committee recently deliberated and approved …"@en ;
    oa:hasSource <source/003-3e4a61702f265df0> ;
    oa:hasSelector <evidence/003-3e4a61702f265df0/198-407/quote> ,
        <evidence/003-3e4a61702f265df0/198-407/position> .

<evidence/003-3e4a61702f265df0/198-407/quote> a oa:TextQuoteSelector ;
    oa:exact "The Deepening Reforms Commission of the CPC Sichuan Provincial Committee recently deliberated and approved the Pilot Integrated County-level Reform Program under Chengdu-Chongqing Economic Circle Construction." ;
    oa:prefix "2020.07.07\\n\\n  " ;
    oa:suffix " On July 3," .

<evidence/003-3e4a61702f265df0/198-407/position> a oa:TextPositionSelector ;
    oa:start "198"^^xsd:integer ;
    oa:end "407"^^xsd:integer .

# --- the policy, its programme, batch and zone ---
<policy/sichuan-integrated-county-reform-programme> a pk:Policy ;
    rdfs:label "Pilot Integrated County-level Reform Program under Chengdu-Chongqing Economic Circle Construction"@en ;
    pk:issuedBy <body/sichuan-deepening-reform-commission> ;
    pk:issuedOn "2020-07"^^xsd:gYearMonth ;
    pk:policyType policy-type:programme ;
    pk:establishes <programme/sichuan-integrated-county-reform> ;
    pk:hasTask <task/sichuan-integrated-county-reform-programme/01> ;
    pk:hasObjective <objective/sichuan-integrated-county-reform-programme/2022> ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

<programme/sichuan-integrated-county-reform> a pk:PilotProgramme ;
    rdfs:label "Sichuan pilot integrated county-level reform"@en ;
    pk:establishedBy <policy/sichuan-integrated-county-reform-programme> ;
    pk:hasBatch <batch/sichuan-integrated-county-reform/1> ;
    pk:startDate "2020"^^xsd:gYear ;
    pk:declaredProvinceCount 1 ;
    pk:theme theme:governance ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

<batch/sichuan-integrated-county-reform/1> a pk:PilotBatch ;
    rdfs:label "Sichuan pilot integrated county-level reform, first batch"@en ;
    pk:batchOf <programme/sichuan-integrated-county-reform> ;
    pk:batchNumber 1 ;
    pk:approvedOn "2020-07"^^xsd:gYearMonth ;
    pk:hasZone <zone/hejiang-county> ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

<zone/hejiang-county> a pk:PilotZone ;
    rdfs:label "Hejiang County"@en ;
    pk:inProgramme <batch/sichuan-integrated-county-reform/1> ;
    pk:coversDivision <division/510522> ;
    pk:inProvince <division/510000> ;
    pk:designatedBy <policy/sichuan-integrated-county-reform-programme> ;
    pk:approvedOn "2020-07-03"^^xsd:date ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

# --- the gazetteer ---
<division/510522> a pk:AdministrativeDivision , pk:CountyLevelDivision ;
    rdfs:label "Hejiang County"@en , "合江县"@zh ;
    pk:adcode "510522" ;
    pk:divisionType "county" ;
    pk:withinDivision <division/510500> ;
    wgs:lat 28.81 ;
    wgs:long 105.83 ;
    pk:referenceSource "cpca 0.5.5 adcodes.csv (MIT), vintage c. 2016–2018" .

<division/510500> a pk:AdministrativeDivision , pk:PrefectureLevelDivision ;
    rdfs:label "Luzhou"@en , "泸州市"@zh ;
    pk:adcode "510500" ;
    pk:divisionType "prefecture-level city" ;
    pk:withinDivision <division/510000> ;
    wgs:lat 28.87 ;
    wgs:long 105.44 ;
    pk:referenceSource "cpca 0.5.5 adcodes.csv (MIT), vintage c. 2016–2018" .

<division/510000> a pk:AdministrativeDivision , pk:ProvinceLevelDivision ;
    rdfs:label "Sichuan"@en , "四川省"@zh ;
    pk:adcode "510000" ;
    pk:divisionType "province" ;
    wgs:lat 30.65 ;
    wgs:long 104.08 ;
    pk:referenceSource "cpca 0.5.5 adcodes.csv (MIT), vintage c. 2016–2018" .

# --- tasks, bodies, responsibilities, objectives ---
<task/sichuan-integrated-county-reform-programme/01> a pk:ReformTask ;
    rdfs:label "Explore systems and mechanisms for infrastructure connectivity"@en ;
    pk:taskOf <policy/sichuan-integrated-county-reform-programme> ;
    pk:itemNumber 1 ;
    pk:theme theme:infrastructure ;
    pk:taskText "explore systems and mechanisms for infrastructure connectivity" ;
    pk:concernsProgramme <programme/sichuan-integrated-county-reform> ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

<body/sichuan-deepening-reform-commission> a pk:ResponsibleBody ;
    rdfs:label "Deepening Reforms Commission of the CPC Sichuan Provincial Committee"@en ,
        "中共四川省委全面深化改革委员会"@zh ;
    pk:subOrganizationOf <body/cpc-sichuan-provincial-committee> .

<body/cpc-sichuan-provincial-committee> a pk:ResponsibleBody ;
    rdfs:label "CPC Sichuan Provincial Committee"@en , "中共四川省委"@zh .

<responsibility/003-3e4a61702f265df0/1> a pk:Responsibility ;
    rdfs:label "Deepening Reforms Commission of the CPC Sichuan Provincial Committee approves the programme"@en ;
    pk:body <body/sichuan-deepening-reform-commission> ;
    pk:role role:approves ;
    pk:subject <programme/sichuan-integrated-county-reform> ;
    pk:assignedBy <policy/sichuan-integrated-county-reform-programme> ;
    pk:responsibilityText "The Deepening Reforms Commission of the CPC Sichuan Provincial Committee recently deliberated and approved the Pilot Integrated County-level Reform Program" ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .

<objective/sichuan-integrated-county-reform-programme/2022> a pk:Objective ;
    rdfs:label "Pilot integrated county-level reform achieves results by 2022"@en ;
    pk:targetYear "2022"^^xsd:gYear ;
    pk:objectiveOf <policy/sichuan-integrated-county-reform-programme> ;
    pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
    pk:derivedFrom <source/003-3e4a61702f265df0> .
"""

# A second, valid source text, for records that must point somewhere else.
SECOND_SOURCE = """
<source/001-e77d55302f611b21> a pk:SourceDocument ;
    rdfs:label "NDRC replies on the implementation plans of the national urban-rural integration pilot zones"@en ;
    pk:fileName "001_e77d55302f611b21.txt" ;
    pk:sha256 "0000000000000000000000000000000000000000000000000000000000000001" ;
    pk:reports <policy/sichuan-integrated-county-reform-programme> .
"""

# A second, valid body, for records that must name two.
SECOND_BODY = """
<body/sichuan-provincial-government> a pk:ResponsibleBody ;
    rdfs:label "Sichuan Provincial People's Government"@en , "四川省人民政府"@zh .
"""

POLICY = "policy/sichuan-integrated-county-reform-programme"
PROGRAMME = "programme/sichuan-integrated-county-reform"
BATCH = "batch/sichuan-integrated-county-reform/1"
ZONE = "zone/hejiang-county"
COUNTY = "division/510522"
TASK = "task/sichuan-integrated-county-reform-programme/01"
BODY = "body/sichuan-deepening-reform-commission"
RESPONSIBILITY = "responsibility/003-3e4a61702f265df0/1"
OBJECTIVE = "objective/sichuan-integrated-county-reform-programme/2022"
SOURCE = "source/003-3e4a61702f265df0"
EVIDENCE = "evidence/003-3e4a61702f265df0/198-407"
QUOTE = EVIDENCE + "/quote"
POSITION = EVIDENCE + "/position"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def parse_turtle(triples: str) -> Graph:
    """Return the graph of Turtle triples written with TURTLE_PREFIXES."""
    return Graph().parse(data=TURTLE_PREFIXES + triples, format="turtle")


def good_dataset() -> Graph:
    """Return a fresh copy of the minimal valid dataset."""
    return parse_turtle(GOOD_DATASET)


def changed_dataset(remove: str = "", add: str = "") -> Graph:
    """Return the good dataset minus the `remove` triples plus the `add` triples.

    Fails if a triple to remove is not in the good dataset, so a typo cannot
    make a broken record silently identical to the good one.
    """
    data = good_dataset()
    for triple in parse_turtle(remove):
        assert triple in data, f"not in the good dataset: {triple}"
        data.remove(triple)
    for triple in parse_turtle(add):
        data.add(triple)
    return data


@dataclass(frozen=True)
class Problem:
    """One validation result, in the terms a user reads it."""

    shape: URIRef
    focus: URIRef
    path: URIRef | None
    severity: URIRef
    messages: frozenset[str]


def validate(data: Graph, shapes: Graph) -> tuple[bool, list[Problem]]:
    """Validate data against the shapes as the build does; return conformance and problems."""
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, advanced=True, inference="none", allow_warnings=False
    )
    # Only the top-level results: pyshacl also reports, as sh:detail, why a
    # value failed an sh:node shape; the user reads the result that links them.
    problems = [
        Problem(
            shape=report.value(result, SH.sourceShape),
            focus=report.value(result, SH.focusNode),
            path=report.value(result, SH.resultPath),
            severity=report.value(result, SH.resultSeverity),
            messages=frozenset(str(m) for m in report.objects(result, SH.resultMessage)),
        )
        for report_node in report.subjects(RDF.type, SH.ValidationReport)
        for result in report.objects(report_node, SH.result)
    ]
    return conforms, problems


def curie(name: str) -> URIRef:
    """Expand 'pk:coversDivision', 'rdfs:label', 'oa:start', 'wgs:lat', 'rdf:type'."""
    prefix, local = name.split(":", 1)
    namespaces = {"pk": PK, "rdfs": RDFS, "rdf": RDF, "oa": OA, "wgs": WGS}
    return namespaces[prefix][local]


def node_shapes(shapes: Graph) -> list[URIRef]:
    return sorted(shapes.subjects(RDF.type, SH.NodeShape))


def property_shapes(shapes: Graph) -> list[URIRef]:
    return sorted(shapes.subjects(RDF.type, SH.PropertyShape))


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shapes() -> Graph:
    """The shapes graph, parsed once per session."""
    return Graph().parse(SHAPES_FILE, format="turtle")


@pytest.fixture(scope="session")
def good_report(shapes):
    return validate(good_dataset(), shapes)


# ---------------------------------------------------------------------------
# the shapes graph itself
# ---------------------------------------------------------------------------


def test_shapes_graph_is_valid_shacl(shapes):
    conforms, _, text = pyshacl.validate(
        good_dataset(), shacl_graph=shapes, meta_shacl=True, advanced=True, inference="none"
    )
    assert conforms, text


def test_shapes_graph_has_no_blank_nodes(shapes):
    blank = [triple for triple in shapes if any(isinstance(term, BNode) for term in triple)]
    assert blank == []


@pytest.mark.parametrize(
    "characteristic", [SH.name, SH.description, SH.message, SH.severity, SH.order], ids=lambda p: p.fragment
)
def test_every_property_shape_has_exactly_one(shapes, characteristic):
    lacking = [
        shape for shape in property_shapes(shapes) if len(list(shapes.objects(shape, characteristic))) != 1
    ]
    assert lacking == []


def test_every_property_shape_is_named_after_its_node_shape(shapes):
    for node_shape in node_shapes(shapes):
        for property_shape in shapes.objects(node_shape, SH.property):
            assert str(property_shape).startswith(str(node_shape) + "-"), property_shape


def test_every_property_shape_is_used_and_declared(shapes):
    linked = set(shapes.objects(None, SH.property))
    assert linked == set(property_shapes(shapes))


def test_property_shapes_of_a_node_shape_have_distinct_orders(shapes):
    for node_shape in node_shapes(shapes):
        orders = [shapes.value(p, SH.order).toPython() for p in shapes.objects(node_shape, SH.property)]
        assert len(orders) == len(set(orders)), node_shape


def test_severities_are_explicit_shacl_severities(shapes):
    severities = {shapes.value(p, SH.severity) for p in property_shapes(shapes)}
    assert severities <= {SH.Violation, SH.Warning, SH.Info}


def test_literals_are_checked_with_datatype_not_class(shapes):
    xsd_classes = [c for c in shapes.objects(None, SH["class"]) if str(c).startswith(XSD_NAMESPACE)]
    assert xsd_classes == []


def test_every_node_shape_is_labelled_and_described(shapes):
    for node_shape in node_shapes(shapes):
        assert shapes.value(node_shape, RDFS.label) is not None, node_shape
        assert shapes.value(node_shape, SH.description) is not None, node_shape


CLASS_SHAPES = {
    "PolicyShape": PK.Policy,
    "SourceDocumentShape": PK.SourceDocument,
    "PilotProgrammeShape": PK.PilotProgramme,
    "PilotBatchShape": PK.PilotBatch,
    "PilotZoneShape": PK.PilotZone,
    "AdministrativeDivisionShape": PK.AdministrativeDivision,
    "ReformTaskShape": PK.ReformTask,
    "ResponsibleBodyShape": PK.ResponsibleBody,
    "ResponsibilityShape": PK.Responsibility,
    "ObjectiveShape": PK.Objective,
    "EvidenceShape": PK.Evidence,
    "TextQuoteSelectorShape": OA.TextQuoteSelector,
    "TextPositionSelectorShape": OA.TextPositionSelector,
}


@pytest.mark.parametrize("shape_name, target_class", CLASS_SHAPES.items(), ids=list(CLASS_SHAPES))
def test_one_node_shape_per_class_of_the_contract(shapes, shape_name, target_class):
    assert (PKSHAPE[shape_name], SH.targetClass, target_class) in shapes


# ---------------------------------------------------------------------------
# good records conform
# ---------------------------------------------------------------------------


def test_the_good_dataset_conforms(good_report):
    conforms, problems = good_report
    assert problems == []
    assert conforms


def test_the_good_dataset_has_no_blank_nodes():
    assert not any(isinstance(term, BNode) for triple in good_dataset() for term in triple)


# The node shapes with targets: one per class, and two that cut across classes.
TARGETED_SHAPES = sorted(PKSHAPE[name] for name in [*CLASS_SHAPES, "LabelledShape", "FactShape"])


def test_every_targeted_node_shape_is_listed_here(shapes):
    assert set(shapes.subjects(SH.targetClass, None)) == set(TARGETED_SHAPES)


@pytest.mark.parametrize("node_shape", TARGETED_SHAPES, ids=lambda s: s.fragment)
def test_every_node_shape_has_a_conforming_record(shapes, good_report, node_shape):
    data = good_dataset()
    focus_nodes = {
        instance
        for target_class in shapes.objects(node_shape, SH.targetClass)
        for instance in data.subjects(RDF.type, target_class)
    }
    assert focus_nodes, f"the good dataset has no record for {node_shape}"
    own_shapes = {node_shape, *shapes.objects(node_shape, SH.property)}
    _, problems = good_report
    assert [p for p in problems if p.shape in own_shapes] == []


def test_the_concept_shapes_are_applied_to_the_good_concepts(shapes):
    applied = set(shapes.objects(None, SH.node))
    assert applied == {
        PKSHAPE.ReformThemeConceptShape,
        PKSHAPE.ResponsibilityRoleConceptShape,
        PKSHAPE.PolicyTypeConceptShape,
    }


GOOD_VARIANTS = {
    "collective body as issuer": (
        "",
        """
        <body/relevant-departments> a pk:CollectiveBody ;
            rdfs:label "relevant departments"@en , "有关部门"@zh .
        <policy/sichuan-integrated-county-reform-programme> pk:issuedBy <body/relevant-departments> .
        """,
    ),
    "objective with a worded target only": (
        '<objective/sichuan-integrated-county-reform-programme/2022> pk:targetYear "2022"^^xsd:gYear .',
        '<objective/sichuan-integrated-county-reform-programme/2022> pk:targetText "the middle of this century" .',
    ),
    "issue date as a year only": (
        '<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "2020-07"^^xsd:gYearMonth .',
        '<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "2020"^^xsd:gYear .',
    ),
    "publication date as day and month": (
        '<source/003-3e4a61702f265df0> pk:publishedOn "2020-07-07"^^xsd:date .',
        '<source/003-3e4a61702f265df0> pk:publishedOn "--07-07"^^xsd:gMonthDay .',
    ),
    "programme declares the zones of its batches": (
        "",
        "<programme/sichuan-integrated-county-reform> pk:declaredZoneCount 1 .",
    ),
    "batch declares as many zones as it names": (
        "",
        "<batch/sichuan-integrated-county-reform/1> pk:declaredZoneCount 1 .",
    ),
    "zone designated under the programme itself": (
        "<zone/hejiang-county> pk:inProgramme <batch/sichuan-integrated-county-reform/1> .",
        "<zone/hejiang-county> pk:inProgramme <programme/sichuan-integrated-county-reform> .",
    ),
    "division known by slug, without adcode": (
        '<division/510522> pk:adcode "510522" .',
        "",
    ),
    "task under a task": (
        "",
        """
        <task/sichuan-integrated-county-reform-programme/01/01> a pk:ReformTask ;
            rdfs:label "Connect county roads"@en ;
            pk:taskOf <task/sichuan-integrated-county-reform-programme/01> ;
            pk:position 1 ;
            pk:evidence <evidence/003-3e4a61702f265df0/198-407> ;
            pk:derivedFrom <source/003-3e4a61702f265df0> .
        """,
    ),
}


@pytest.mark.parametrize("remove, add", GOOD_VARIANTS.values(), ids=list(GOOD_VARIANTS))
def test_allowed_variants_conform(shapes, remove, add):
    conforms, problems = validate(changed_dataset(remove, add), shapes)
    assert problems == []
    assert conforms


# ---------------------------------------------------------------------------
# broken records fail, with the result a user would look for
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A good record with a triple or two taken out or put in, and what validation must say."""

    name: str
    shape: str  # the property shape, e.g. "PilotZoneShape-coversDivision"
    focus: str  # the focus node, relative to https://w3id.org/pilotkg/id/
    path: str  # e.g. "pk:coversDivision"
    severity: URIRef
    message: str  # words the sh:resultMessage must contain
    remove: str = ""
    add: str = ""
    also: tuple[tuple[str, str], ...] = ()  # other (shape, focus) results the change causes


BROKEN_RECORDS = [
    # --- labels ---
    Broken(
        "policy without an English label",
        "LabelledShape-label", POLICY, "rdfs:label", SH.Violation,
        'Give exactly one English label (rdfs:label "..."@en)',
        remove='<policy/sichuan-integrated-county-reform-programme> rdfs:label "Pilot Integrated County-level Reform Program under Chengdu-Chongqing Economic Circle Construction"@en .',
        add='<policy/sichuan-integrated-county-reform-programme> rdfs:label "成渝地区双城经济圈建设县域集成改革试点方案"@zh .',
    ),
    Broken(
        "zone with two English labels",
        "LabelledShape-label", ZONE, "rdfs:label", SH.Violation,
        "at most one label per language",
        add='<zone/hejiang-county> rdfs:label "Hejiang"@en .',
    ),
    Broken(
        "task label without a language tag",
        "LabelledShape-label", TASK, "rdfs:label", SH.Violation,
        "every label needs a language tag",
        remove='<task/sichuan-integrated-county-reform-programme/01> rdfs:label "Explore systems and mechanisms for infrastructure connectivity"@en .',
        add='<task/sichuan-integrated-county-reform-programme/01> rdfs:label "Explore systems and mechanisms for infrastructure connectivity" .',
    ),
    # --- provenance of facts ---
    Broken(
        "zone without evidence",
        "FactShape-evidence", ZONE, "pk:evidence", SH.Violation,
        "A fact needs at least one evidence (pk:evidence",
        remove="<zone/hejiang-county> pk:evidence <evidence/003-3e4a61702f265df0/198-407> .",
    ),
    Broken(
        "task without source document",
        "FactShape-derivedFrom", TASK, "pk:derivedFrom", SH.Violation,
        "A fact needs at least one source document it is derived from (pk:derivedFrom",
        remove="<task/sichuan-integrated-county-reform-programme/01> pk:derivedFrom <source/003-3e4a61702f265df0> .",
        also=(("FactShape-evidence", TASK),),
    ),
    Broken(
        "objective whose evidence is from another text than it is derived from",
        "FactShape-evidence", OBJECTIVE, "pk:evidence", SH.Violation,
        "whose source text (oa:hasSource) is one of the documents it is derived from",
        remove="<objective/sichuan-integrated-county-reform-programme/2022> pk:derivedFrom <source/003-3e4a61702f265df0> .",
        add=SECOND_SOURCE
        + "<objective/sichuan-integrated-county-reform-programme/2022> pk:derivedFrom <source/001-e77d55302f611b21> .",
    ),
    # --- policy ---
    Broken(
        "policy without issuer",
        "PolicyShape-issuedBy-stated", POLICY, "pk:issuedBy", SH.Warning,
        "This policy has no issuing body (pk:issuedBy)",
        remove="<policy/sichuan-integrated-county-reform-programme> pk:issuedBy <body/sichuan-deepening-reform-commission> .",
    ),
    Broken(
        "policy issued by a programme",
        "PolicyShape-issuedBy", POLICY, "pk:issuedBy", SH.Violation,
        "must be a responsible body (pk:ResponsibleBody)",
        add="<policy/sichuan-integrated-county-reform-programme> pk:issuedBy <programme/sichuan-integrated-county-reform> .",
    ),
    Broken(
        "policy issue date as free text",
        "PolicyShape-issuedOn", POLICY, "pk:issuedOn", SH.Violation,
        "an xsd:date, xsd:gYearMonth or xsd:gYear",
        remove='<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "2020-07"^^xsd:gYearMonth .',
        add='<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "July 2020" .',
    ),
    Broken(
        "policy issue date with an invented time",
        "PolicyShape-issuedOn", POLICY, "pk:issuedOn", SH.Violation,
        "no invented days",
        remove='<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "2020-07"^^xsd:gYearMonth .',
        add='<policy/sichuan-integrated-county-reform-programme> pk:issuedOn "2020-07-01T00:00:00"^^xsd:dateTime .',
    ),
    Broken(
        "policy type outside pk:PolicyTypes",
        "PolicyShape-policyType", POLICY, "pk:policyType", SH.Violation,
        "a concept of the scheme pk:PolicyTypes",
        remove="<policy/sichuan-integrated-county-reform-programme> pk:policyType policy-type:programme .",
        add="<policy/sichuan-integrated-county-reform-programme> pk:policyType theme:governance .",
    ),
    # --- source document ---
    Broken(
        "source document with a short checksum",
        "SourceDocumentShape-sha256", SOURCE, "pk:sha256", SH.Violation,
        "64 lower-case hexadecimal digits",
        remove='<source/003-3e4a61702f265df0> pk:sha256 "df86a7b389420c9dd690434fcf25bc10d7c7015edcbd9bf0752fd70a5a2caeb5" .',
        add='<source/003-3e4a61702f265df0> pk:sha256 "df86a7b389420c9d" .',
    ),
    Broken(
        "source document file name with a folder",
        "SourceDocumentShape-fileName", SOURCE, "pk:fileName", SH.Violation,
        "A source document needs exactly one file name (pk:fileName)",
        remove='<source/003-3e4a61702f265df0> pk:fileName "003_3e4a61702f265df0.txt" .',
        add='<source/003-3e4a61702f265df0> pk:fileName "seeds/003_3e4a61702f265df0.txt" .',
    ),
    Broken(
        "source document that reports nothing",
        "SourceDocumentShape-reports", SOURCE, "pk:reports", SH.Violation,
        "A source document needs at least one pk:reports",
        remove="""
        <source/003-3e4a61702f265df0> pk:reports <policy/sichuan-integrated-county-reform-programme> ,
            <programme/sichuan-integrated-county-reform> .
        """,
    ),
    Broken(
        "source document reporting a zone",
        "SourceDocumentShape-reports", SOURCE, "pk:reports", SH.Violation,
        "the policy (pk:Policy) or pilot programme (pk:PilotProgramme) it is about",
        add="<source/003-3e4a61702f265df0> pk:reports <zone/hejiang-county> .",
    ),
    Broken(
        "source document published at a time of day",
        "SourceDocumentShape-publishedOn", SOURCE, "pk:publishedOn", SH.Violation,
        "xsd:gYear or xsd:gMonthDay as the page states it",
        remove='<source/003-3e4a61702f265df0> pk:publishedOn "2020-07-07"^^xsd:date .',
        add='<source/003-3e4a61702f265df0> pk:publishedOn "2020-07-07T08:00:00"^^xsd:dateTime .',
    ),
    # --- programme ---
    Broken(
        "programme without establishing policy",
        "PilotProgrammeShape-establishedBy-stated", PROGRAMME, "pk:establishedBy", SH.Warning,
        "This pilot programme has no establishing policy (pk:establishedBy)",
        remove="<programme/sichuan-integrated-county-reform> pk:establishedBy <policy/sichuan-integrated-county-reform-programme> .",
    ),
    Broken(
        "programme declaring more zones than the graph names",
        "PilotProgrammeShape-namedZones", PROGRAMME, "pk:hasZone", SH.Warning,
        "The text declares 9 pilot zones (pk:declaredZoneCount) but the graph names 1",
        add="<programme/sichuan-integrated-county-reform> pk:declaredZoneCount 9 .",
    ),
    Broken(
        "programme with a negative zone count",
        "PilotProgrammeShape-declaredZoneCount", PROGRAMME, "pk:declaredZoneCount", SH.Violation,
        "an xsd:integer of 0 or more",
        add="<programme/sichuan-integrated-county-reform> pk:declaredZoneCount -1 .",
    ),
    Broken(
        "programme with a role as theme",
        "PilotProgrammeShape-theme", PROGRAMME, "pk:theme", SH.Violation,
        "must be a concept of the scheme pk:ReformThemes",
        remove="<programme/sichuan-integrated-county-reform> pk:theme theme:governance .",
        add="<programme/sichuan-integrated-county-reform> pk:theme role:leads .",
    ),
    Broken(
        "programme end date as a number",
        "PilotProgrammeShape-endDate", PROGRAMME, "pk:endDate", SH.Violation,
        "at most one end date (pk:endDate), an xsd:date, xsd:gYearMonth or xsd:gYear",
        add="<programme/sichuan-integrated-county-reform> pk:endDate 2022 .",
    ),
    # --- batch ---
    Broken(
        "batch without programme",
        "PilotBatchShape-batchOf", BATCH, "pk:batchOf", SH.Violation,
        "A pilot batch needs exactly one programme it belongs to (pk:batchOf",
        remove="<batch/sichuan-integrated-county-reform/1> pk:batchOf <programme/sichuan-integrated-county-reform> .",
    ),
    Broken(
        "batch of a policy",
        "PilotBatchShape-batchOf", BATCH, "pk:batchOf", SH.Violation,
        "a pk:PilotProgramme",
        remove="<batch/sichuan-integrated-county-reform/1> pk:batchOf <programme/sichuan-integrated-county-reform> .",
        add="<batch/sichuan-integrated-county-reform/1> pk:batchOf <policy/sichuan-integrated-county-reform-programme> .",
    ),
    Broken(
        "batch numbered zero",
        "PilotBatchShape-batchNumber", BATCH, "pk:batchNumber", SH.Violation,
        "an xsd:integer of 1 or more",
        remove="<batch/sichuan-integrated-county-reform/1> pk:batchNumber 1 .",
        add="<batch/sichuan-integrated-county-reform/1> pk:batchNumber 0 .",
    ),
    Broken(
        "batch declaring nine zones but naming one",
        "PilotBatchShape-namedZones", BATCH, "pk:hasZone", SH.Warning,
        "The text declares 9 pilot zones (pk:declaredZoneCount) for this batch but the graph names 1",
        add="<batch/sichuan-integrated-county-reform/1> pk:declaredZoneCount 9 .",
    ),
    # --- zone ---
    Broken(
        "zone without covered division",
        "PilotZoneShape-coversDivision", ZONE, "pk:coversDivision", SH.Violation,
        "A pilot zone needs at least one covered administrative division (pk:coversDivision",
        remove="<zone/hejiang-county> pk:coversDivision <division/510522> .",
    ),
    Broken(
        "zone without province",
        "PilotZoneShape-inProvince", ZONE, "pk:inProvince", SH.Violation,
        "A pilot zone needs a province (pk:inProvince, a pk:ProvinceLevelDivision): cover a division whose province is known",
        remove="<zone/hejiang-county> pk:inProvince <division/510000> .",
    ),
    Broken(
        "zone whose province is a county",
        "PilotZoneShape-inProvince", ZONE, "pk:inProvince", SH.Violation,
        "A pilot zone needs a province",
        remove="<zone/hejiang-county> pk:inProvince <division/510000> .",
        add="<zone/hejiang-county> pk:inProvince <division/510522> .",
    ),
    Broken(
        "zone without programme or batch",
        "PilotZoneShape-inProgramme", ZONE, "pk:inProgramme", SH.Violation,
        "A pilot zone needs at least one programme or batch it is designated under",
        remove="<zone/hejiang-county> pk:inProgramme <batch/sichuan-integrated-county-reform/1> .",
    ),
    Broken(
        "zone in a policy",
        "PilotZoneShape-inProgramme", ZONE, "pk:inProgramme", SH.Violation,
        "a pk:PilotProgramme or pk:PilotBatch",
        add="<zone/hejiang-county> pk:inProgramme <policy/sichuan-integrated-county-reform-programme> .",
    ),
    # --- division ---
    Broken(
        "division with a five-digit adcode",
        "AdministrativeDivisionShape-adcode", COUNTY, "pk:adcode", SH.Violation,
        "an xsd:string of exactly six digits (GB/T 2260)",
        remove='<division/510522> pk:adcode "510522" .',
        add='<division/510522> pk:adcode "51052" .',
    ),
    Broken(
        "division with a numeric adcode",
        "AdministrativeDivisionShape-adcode", COUNTY, "pk:adcode", SH.Violation,
        "an xsd:string of exactly six digits",
        remove='<division/510522> pk:adcode "510522" .',
        add="<division/510522> pk:adcode 510522 .",
    ),
    Broken(
        "division without level",
        "AdministrativeDivisionShape-level", COUNTY, "rdf:type", SH.Violation,
        "needs exactly one level class (rdf:type pk:ProvinceLevelDivision, pk:PrefectureLevelDivision or pk:CountyLevelDivision); it has 0",
        remove="<division/510522> a pk:CountyLevelDivision .",
    ),
    Broken(
        "division at two levels",
        "AdministrativeDivisionShape-level", COUNTY, "rdf:type", SH.Violation,
        "it has 2",
        add="<division/510522> a pk:PrefectureLevelDivision .",
    ),
    Broken(
        "division without coordinates",
        "AdministrativeDivisionShape-coordinates", COUNTY, "wgs:lat", SH.Warning,
        "This administrative division lacks coordinates",
        remove="<division/510522> wgs:lat 28.81 ; wgs:long 105.83 .",
    ),
    Broken(
        "division with latitude only",
        "AdministrativeDivisionShape-coordinates", COUNTY, "wgs:lat", SH.Warning,
        "add both wgs:lat and wgs:long",
        remove="<division/510522> wgs:long 105.83 .",
    ),
    Broken(
        "division with latitude and longitude swapped",
        "AdministrativeDivisionShape-lat", COUNTY, "wgs:lat", SH.Violation,
        "check that latitude and longitude are not swapped",
        remove="<division/510522> wgs:lat 28.81 ; wgs:long 105.83 .",
        add="<division/510522> wgs:lat 105.83 ; wgs:long 28.81 .",
        also=(("AdministrativeDivisionShape-long", COUNTY),),
    ),
    Broken(
        "division without Chinese name",
        "AdministrativeDivisionShape-chineseLabel", COUNTY, "rdfs:label", SH.Warning,
        'add rdfs:label "..."@zh from the gazetteer',
        remove='<division/510522> rdfs:label "合江县"@zh .',
    ),
    Broken(
        "division without reference source",
        "AdministrativeDivisionShape-referenceSource", COUNTY, "pk:referenceSource", SH.Violation,
        "needs at least one reference source (pk:referenceSource)",
        remove='<division/510522> pk:referenceSource "cpca 0.5.5 adcodes.csv (MIT), vintage c. 2016–2018" .',
    ),
    # --- task ---
    Broken(
        "task without parent",
        "ReformTaskShape-taskOf", TASK, "pk:taskOf", SH.Violation,
        "A reform task needs at least one parent (pk:taskOf)",
        remove="<task/sichuan-integrated-county-reform-programme/01> pk:taskOf <policy/sichuan-integrated-county-reform-programme> .",
    ),
    Broken(
        "task under a zone",
        "ReformTaskShape-taskOf", TASK, "pk:taskOf", SH.Violation,
        "the policy (pk:Policy), pilot programme (pk:PilotProgramme) or task (pk:ReformTask) it belongs to",
        add="<task/sichuan-integrated-county-reform-programme/01> pk:taskOf <zone/hejiang-county> .",
    ),
    Broken(
        "task with a theme outside pk:ReformThemes",
        "ReformTaskShape-theme", TASK, "pk:theme", SH.Violation,
        "A theme of a reform task (pk:theme) must be a concept of the scheme pk:ReformThemes",
        remove="<task/sichuan-integrated-county-reform-programme/01> pk:theme theme:infrastructure .",
        add="<task/sichuan-integrated-county-reform-programme/01> pk:theme <https://w3id.org/pilotkg/theme/roads> .",
    ),
    Broken(
        "task item number as text",
        "ReformTaskShape-itemNumber", TASK, "pk:itemNumber", SH.Violation,
        "an xsd:integer of 1 or more",
        remove="<task/sichuan-integrated-county-reform-programme/01> pk:itemNumber 1 .",
        add='<task/sichuan-integrated-county-reform-programme/01> pk:itemNumber "(i)" .',
    ),
    # --- body ---
    Broken(
        "body without Chinese name",
        "ResponsibleBodyShape-chineseLabel", BODY, "rdfs:label", SH.Info,
        'add rdfs:label "..."@zh if a cited reference gives its official name',
        remove='<body/sichuan-deepening-reform-commission> rdfs:label "中共四川省委全面深化改革委员会"@zh .',
    ),
    Broken(
        "body known only by its Chinese name",
        "LabelledShape-label", BODY, "rdfs:label", SH.Violation,
        "Give exactly one English label",
        remove='<body/sichuan-deepening-reform-commission> rdfs:label "Deepening Reforms Commission of the CPC Sichuan Provincial Committee"@en .',
    ),
    Broken(
        "collective body without English label",
        "LabelledShape-label", "body/relevant-departments", "rdfs:label", SH.Violation,
        "Give exactly one English label",
        add="""
        <body/relevant-departments> a pk:CollectiveBody ; rdfs:label "有关部门"@zh .
        <policy/sichuan-integrated-county-reform-programme> pk:issuedBy <body/relevant-departments> .
        """,
    ),
    Broken(
        "body part of a division",
        "ResponsibleBodyShape-subOrganizationOf", BODY, "pk:subOrganizationOf", SH.Violation,
        "must be a pk:ResponsibleBody",
        add="<body/sichuan-deepening-reform-commission> pk:subOrganizationOf <division/510000> .",
    ),
    # --- responsibility ---
    Broken(
        "responsibility without body",
        "ResponsibilityShape-body", RESPONSIBILITY, "pk:body", SH.Violation,
        "A responsibility needs exactly one body (pk:body",
        remove="<responsibility/003-3e4a61702f265df0/1> pk:body <body/sichuan-deepening-reform-commission> .",
    ),
    Broken(
        "responsibility with two bodies",
        "ResponsibilityShape-body", RESPONSIBILITY, "pk:body", SH.Violation,
        "split a clause naming several bodies into one responsibility per body",
        add=SECOND_BODY
        + "<responsibility/003-3e4a61702f265df0/1> pk:body <body/sichuan-provincial-government> .",
    ),
    Broken(
        "responsibility without role",
        "ResponsibilityShape-role", RESPONSIBILITY, "pk:role", SH.Violation,
        "A responsibility needs exactly one role (pk:role)",
        remove="<responsibility/003-3e4a61702f265df0/1> pk:role role:approves .",
    ),
    Broken(
        "responsibility with two roles",
        "ResponsibilityShape-role", RESPONSIBILITY, "pk:role", SH.Violation,
        "A responsibility needs exactly one role (pk:role)",
        add="<responsibility/003-3e4a61702f265df0/1> pk:role role:leads .",
    ),
    Broken(
        "responsibility with a theme as role",
        "ResponsibilityShape-role", RESPONSIBILITY, "pk:role", SH.Violation,
        "a concept of the scheme pk:ResponsibilityRoles",
        remove="<responsibility/003-3e4a61702f265df0/1> pk:role role:approves .",
        add="<responsibility/003-3e4a61702f265df0/1> pk:role theme:governance .",
    ),
    Broken(
        "responsibility without subject",
        "ResponsibilityShape-subject", RESPONSIBILITY, "pk:subject", SH.Violation,
        "A responsibility needs exactly one subject (pk:subject)",
        remove="<responsibility/003-3e4a61702f265df0/1> pk:subject <programme/sichuan-integrated-county-reform> .",
    ),
    # --- objective ---
    Broken(
        "objective without target",
        "ObjectiveShape-target", OBJECTIVE, "pk:targetYear", SH.Violation,
        "An objective needs a target: a target year (pk:targetYear",
        remove='<objective/sichuan-integrated-county-reform-programme/2022> pk:targetYear "2022"^^xsd:gYear .',
    ),
    Broken(
        "objective target year as a date",
        "ObjectiveShape-targetYear", OBJECTIVE, "pk:targetYear", SH.Violation,
        'an xsd:gYear such as "2035"^^xsd:gYear',
        remove='<objective/sichuan-integrated-county-reform-programme/2022> pk:targetYear "2022"^^xsd:gYear .',
        add='<objective/sichuan-integrated-county-reform-programme/2022> pk:targetYear "2022-12-31"^^xsd:date .',
    ),
    Broken(
        "objective set by nothing",
        "ObjectiveShape-objectiveOf", OBJECTIVE, "pk:objectiveOf", SH.Violation,
        "An objective needs at least one policy (pk:Policy) or pilot programme (pk:PilotProgramme) that sets it",
        remove="<objective/sichuan-integrated-county-reform-programme/2022> pk:objectiveOf <policy/sichuan-integrated-county-reform-programme> .",
    ),
    # --- evidence and selectors ---
    Broken(
        "evidence without source",
        "EvidenceShape-hasSource", EVIDENCE, "oa:hasSource", SH.Violation,
        "An evidence needs exactly one source text (oa:hasSource",
        remove="<evidence/003-3e4a61702f265df0/198-407> oa:hasSource <source/003-3e4a61702f265df0> .",
    ),
    Broken(
        "evidence without quote selector",
        "EvidenceShape-quoteSelector", EVIDENCE, "oa:hasSelector", SH.Violation,
        "An evidence needs exactly one quote selector",
        remove="<evidence/003-3e4a61702f265df0/198-407> oa:hasSelector <evidence/003-3e4a61702f265df0/198-407/quote> .",
    ),
    Broken(
        "evidence without selectors",
        "EvidenceShape-positionSelector", EVIDENCE, "oa:hasSelector", SH.Violation,
        "An evidence needs exactly one position selector",
        remove="""
        <evidence/003-3e4a61702f265df0/198-407> oa:hasSelector <evidence/003-3e4a61702f265df0/198-407/quote> ,
            <evidence/003-3e4a61702f265df0/198-407/position> .
        """,
        also=(("EvidenceShape-quoteSelector", EVIDENCE),),
    ),
    Broken(
        "offsets that are not a range",
        "TextPositionSelectorShape-range", POSITION, "oa:start", SH.Violation,
        "The offsets of a position selector are not a range: oa:start must be smaller than oa:end",
        remove='<evidence/003-3e4a61702f265df0/198-407/position> oa:end "407"^^xsd:integer .',
        add='<evidence/003-3e4a61702f265df0/198-407/position> oa:end "198"^^xsd:integer .',
    ),
    Broken(
        "position selector without end",
        "TextPositionSelectorShape-end", POSITION, "oa:end", SH.Violation,
        "A position selector needs exactly one end offset (oa:end)",
        remove='<evidence/003-3e4a61702f265df0/198-407/position> oa:end "407"^^xsd:integer .',
    ),
    Broken(
        "negative start offset",
        "TextPositionSelectorShape-start", POSITION, "oa:start", SH.Violation,
        "an xsd:integer ≥ 0 counting characters",
        remove='<evidence/003-3e4a61702f265df0/198-407/position> oa:start "198"^^xsd:integer .',
        add="<evidence/003-3e4a61702f265df0/198-407/position> oa:start -5 .",
    ),
    Broken(
        "empty quote",
        "TextQuoteSelectorShape-exact", QUOTE, "oa:exact", SH.Violation,
        "A quote selector needs exactly one quote (oa:exact), a non-empty xsd:string",
        remove='<evidence/003-3e4a61702f265df0/198-407/quote> oa:exact "The Deepening Reforms Commission of the CPC Sichuan Provincial Committee recently deliberated and approved the Pilot Integrated County-level Reform Program under Chengdu-Chongqing Economic Circle Construction." .',
        add='<evidence/003-3e4a61702f265df0/198-407/quote> oa:exact "" .',
    ),
]


@pytest.mark.parametrize("broken", BROKEN_RECORDS, ids=[b.name for b in BROKEN_RECORDS])
def test_broken_record_fails_with_a_message_that_says_what_to_fix(shapes, broken):
    conforms, problems = validate(changed_dataset(broken.remove, broken.add), shapes)
    assert not conforms

    expected_shape, expected_focus = PKSHAPE[broken.shape], PKR[broken.focus]
    found = {(p.shape, p.focus) for p in problems}
    expected = {(expected_shape, expected_focus)} | {(PKSHAPE[s], PKR[f]) for s, f in broken.also}
    assert found == expected, "\n".join(f"{p.shape.fragment} @ {p.focus}: {sorted(p.messages)}" for p in problems)

    problem = next(p for p in problems if (p.shape, p.focus) == (expected_shape, expected_focus))
    assert problem.severity == broken.severity
    assert problem.path == curie(broken.path)
    assert any(broken.message in message for message in problem.messages), problem.messages


def test_every_property_shape_with_a_severity_other_than_violation_is_tested(shapes):
    """Warnings and infos are the judgement calls; each has a broken record above."""
    softer = {
        p.fragment for p in property_shapes(shapes) if shapes.value(p, SH.severity) != SH.Violation
    }
    assert softer <= {b.shape for b in BROKEN_RECORDS}


def test_the_result_message_is_the_shapes_message(shapes):
    """What a user reads is the sh:message of the shape, not a generic text from the validator."""
    broken = changed_dataset(remove="<zone/hejiang-county> pk:coversDivision <division/510522> .")
    _, problems = validate(broken, shapes)
    (problem,) = problems
    assert problem.messages == {str(shapes.value(PKSHAPE["PilotZoneShape-coversDivision"], SH.message))}


def test_a_literal_where_a_link_belongs_is_a_violation(shapes):
    data = changed_dataset(add='<zone/hejiang-county> pk:coversDivision "Hejiang County" .')
    _, problems = validate(data, shapes)
    assert {(p.shape.fragment, p.severity) for p in problems} == {
        ("PilotZoneShape-coversDivision", SH.Violation)
    }
    assert Literal("Hejiang County") not in {p.focus for p in problems}
