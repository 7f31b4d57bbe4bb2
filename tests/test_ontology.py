"""The ontology file: it parses, every term is documented and declared, the
vocabulary contract of ONTOLOGY.md holds, and OWL RL reasoning over it (alone
and with a small sample of instance data) stays consistent."""

from itertools import combinations
from pathlib import Path

import owlrl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib import namespace as vocab
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, VANN

# schema.org and XSD are reached through the module: pytest's collection probes
# module-level names, and these two closed namespaces warn on unknown attributes.

PK = Namespace("https://w3id.org/pilotkg/ontology#")
THEME = Namespace("https://w3id.org/pilotkg/theme/")
ROLE = Namespace("https://w3id.org/pilotkg/role/")
PTYPE = Namespace("https://w3id.org/pilotkg/policy-type/")
PKR = Namespace("https://w3id.org/pilotkg/id/")
OA = Namespace("http://www.w3.org/ns/oa#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")  # owlrl's error vocabulary

ONTOLOGY_IRI = URIRef("https://w3id.org/pilotkg/ontology")
OUR_NAMESPACES = (str(PK), str(THEME), str(ROLE), str(PTYPE))

# Vocabularies whose term lists rdflib ships as closed namespaces: a term used
# from one of them must be in the list (this catches rdfs:subClasOf and kin).
CLOSED_VOCABULARIES = (RDF, RDFS, OWL, SKOS, SH, vocab.XSD, DCTERMS, VANN, PROV, ORG, vocab.SDO)

# ELI and Web Annotation are not shipped by rdflib; these are the terms of
# theirs the ontology may reference, checked by hand against
# http://data.europa.eu/eli/ontology and https://www.w3.org/ns/oa.
KNOWN_EXTERNAL_TERMS = {
    str(ELI): {ELI.LegalResource, ELI.type_document},
    str(OA): {OA.SpecificResource, OA.hasSource, OA.hasSelector},
}

# --- the contract: /work/shared/design/ONTOLOGY.md --------------------------------
CONTRACT_CLASSES = [
    "Policy", "SourceDocument", "PilotProgramme", "PilotBatch", "PilotZone",
    "AdministrativeDivision", "ProvinceLevelDivision", "PrefectureLevelDivision",
    "CountyLevelDivision", "ReformTask", "ResponsibleBody", "Responsibility",
    "Objective", "Evidence",
]
CONTRACT_OBJECT_PROPERTIES = [
    "issuedBy", "establishes", "establishedBy", "hasBatch", "batchOf", "hasZone",
    "inProgramme", "designatedBy", "coversDivision", "withinDivision", "inProvince",
    "hasTask", "taskOf", "partOfTask", "theme", "responsibility", "responsibilityOf",
    "body", "role", "subject", "assignedBy", "responsibleBody", "responsibleFor",
    "subOrganizationOf", "derivedFrom", "reports", "evidence",
]
CONTRACT_DATATYPE_PROPERTIES = [
    "issuedOn", "itemNumber", "startDate", "endDate", "approvedOn", "targetYear",
    "declaredZoneCount", "declaredTaskCount", "declaredProvinceCount", "adcode",
    "fileName", "sha256",
]
CONTRACT_SCHEMES = {
    "ReformThemes": [
        THEME[n] for n in (
            "land", "labour", "capital-finance", "technology", "data",
            "resources-environment", "public-services", "infrastructure",
            "rural-economy", "farmer-income", "governance", "household-registration",
        )
    ],
    "ResponsibilityRoles": [
        ROLE[n] for n in (
            "leads", "coordinates", "approves", "implements", "supervises",
            "supports", "reports-to", "issues",
        )
    ],
}

# --- the builder's extra terms: /tmp/pilotkg-conventions.md -----------------------
BUILDER_CLASSES = ["CollectiveBody", "Event", "PolicyType"]
BUILDER_OBJECT_PROPERTIES = [
    "policyType", "publisher", "mentions", "concernsProgramme", "hasObjective",
    "objectiveOf", "coversPartOf", "succeeds", "succeededBy", "bodyLevel",
]
BUILDER_DATATYPE_PROPERTIES = [
    "publishedOn", "targetText", "position", "taskText", "referenceSource",
    "divisionType", "responsibilityText", "batchNumber",
]
BUILDER_SCHEMES = {
    "PolicyTypes": [
        PTYPE[n] for n in ("opinions", "notice", "reply-letter", "plan", "programme", "approval")
    ],
    # themes the 2019 Opinions and the Sichuan county-level pilot need
    "ReformThemes": [
        THEME[n] for n in (
            "culture", "poverty-alleviation", "regional-coordination",
            "urban-rural-planning", "party-leadership",
        )
    ],
}
# The conventions say these are not used: they must stay undeclared.
REJECTED_TERMS = ["nameZh", "coverage", "wholeDivision", "lat", "long"]

INVERSE_PAIRS = [
    ("establishes", "establishedBy"),
    ("hasBatch", "batchOf"),
    ("hasZone", "inProgramme"),
    ("hasTask", "taskOf"),
    ("responsibility", "responsibilityOf"),
    ("responsibleBody", "responsibleFor"),
    ("hasObjective", "objectiveOf"),
    ("succeeds", "succeededBy"),
]
TRANSITIVE_PROPERTIES = ["withinDivision", "partOfTask"]

# Properties whose subjects are of several kinds: a domain would retype them.
NO_DOMAIN = [
    "evidence", "derivedFrom", "responsibility", "responsibleBody", "subject",
    "mentions", "hasZone", "hasTask", "theme", "hasObjective", "declaredZoneCount",
    "declaredTaskCount", "declaredProvinceCount", "startDate", "endDate",
    "approvedOn", "referenceSource",
]
# Properties whose values are of several kinds (or are literals of several datatypes).
NO_RANGE = [
    "subject", "mentions", "reports", "inProgramme", "taskOf", "responsibilityOf",
    "responsibleFor", "objectiveOf", "issuedOn", "publishedOn", "startDate",
    "endDate", "approvedOn", "referenceSource",
]

DISJOINT_CORE = [
    "Policy", "PilotZone", "ResponsibleBody", "Evidence", "AdministrativeDivision",
    "ReformTask", "Responsibility", "Objective", "SourceDocument",
]
# A pilot zone might one day be modelled as the division it covers; keep the pair open.
NOT_DISJOINT = {frozenset({"PilotZone", "AdministrativeDivision"})}
EXTRA_DISJOINT = [
    ("PilotProgramme", "ReformTask"),
    ("ProvinceLevelDivision", "PrefectureLevelDivision"),
    ("ProvinceLevelDivision", "CountyLevelDivision"),
    ("PrefectureLevelDivision", "CountyLevelDivision"),
]


@pytest.fixture(scope="module")
def ontology_path() -> Path:
    """Where the ontology file lives (the one place that knows)."""
    return Path(__file__).parents[1] / "ontology" / "pilotkg.ttl"


@pytest.fixture(scope="module")
def ontology(ontology_path) -> Graph:
    return Graph().parse(ontology_path, format="turtle")


def _is_ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(OUR_NAMESPACES)


def _declared(graph: Graph, term: URIRef) -> bool:
    return (term, RDF.type, None) in graph


def _disjoint(graph: Graph, a: URIRef, b: URIRef) -> bool:
    return (a, OWL.disjointWith, b) in graph or (b, OWL.disjointWith, a) in graph


def _closure(graph: Graph) -> Graph:
    closed = Graph()
    for triple in graph:
        closed.add(triple)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(closed)
    return closed


def _inconsistencies(closed: Graph) -> list[str]:
    """What OWL RL finds wrong: owlrl's own error reports, owl:Nothing members,
    sameAs/differentFrom clashes and members of two disjoint classes."""
    problems = [str(m) for m in closed.objects(None, ERR.error)]
    problems += [f"{s} is an owl:Nothing" for s in closed.subjects(RDF.type, OWL.Nothing)]
    for a, b in closed.subject_objects(OWL.differentFrom):
        if a == b or (a, OWL.sameAs, b) in closed or (b, OWL.sameAs, a) in closed:
            problems.append(f"{a} is both owl:sameAs and owl:differentFrom {b}")
    for c1, c2 in closed.subject_objects(OWL.disjointWith):
        both = set(closed.subjects(RDF.type, c1)) & set(closed.subjects(RDF.type, c2))
        problems += [f"{x} is in disjoint classes {c1} and {c2}" for x in both]
    return problems


def test_ontology_parses_with_header(ontology):
    assert len(ontology) > 0
    header = {p: ontology.value(ONTOLOGY_IRI, p) for p in (
        OWL.versionIRI, OWL.versionInfo, DCTERMS.title, DCTERMS.description,
        DCTERMS.license, DCTERMS.creator, DCTERMS.created,
        VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri,
    )}
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert header[OWL.versionIRI] == URIRef("https://w3id.org/pilotkg/ontology/0.1.0")
    assert str(header[OWL.versionInfo]) == "0.1.0"
    assert header[DCTERMS.license] == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert header[DCTERMS.created] == Literal("2026-11-22", datatype=vocab.XSD.date)
    assert str(header[VANN.preferredNamespacePrefix]) == "pk"
    assert str(header[VANN.preferredNamespaceUri]) == str(PK)
    missing = [p for p, v in header.items() if v is None]
    assert not missing, f"ontology header lacks {missing}"


def test_no_blank_nodes(ontology):
    blank = [t for t in ontology if any(isinstance(x, BNode) for x in t)]
    assert not blank, f"blank nodes in the ontology: {blank[:5]}"


def test_only_our_own_terms_are_declared(ontology):
    subjects = {s for s in ontology.subjects() if s != ONTOLOGY_IRI}
    foreign = sorted(s for s in subjects if not _is_ours(s))
    assert not foreign, f"standard terms must be reused, not redeclared: {foreign}"


def test_every_term_has_label_comment_and_defined_by(ontology):
    problems = []
    for term in sorted({s for s in ontology.subjects() if _is_ours(s)}):
        labels_en = [l for l in ontology.objects(term, RDFS.label) if getattr(l, "language", None) == "en"]
        if len(labels_en) != 1:
            problems.append(f"{term}: {len(labels_en)} rdfs:label @en (want 1)")
        if ontology.value(term, RDFS.comment) is None and ontology.value(term, SKOS.definition) is None:
            problems.append(f"{term}: no rdfs:comment or skos:definition")
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in ontology:
            problems.append(f"{term}: no rdfs:isDefinedBy <{ONTOLOGY_IRI}>")
        if ontology.value(term, RDF.type) is None:
            problems.append(f"{term}: no rdf:type")
    assert not problems, "\n".join(problems)


def test_concepts_follow_skos_checklist(ontology):
    problems = []
    for concept in sorted(ontology.subjects(RDF.type, SKOS.Concept)):
        scheme = ontology.value(concept, SKOS.inScheme)
        if scheme is None:
            problems.append(f"{concept}: no skos:inScheme")
            continue
        if (scheme, RDF.type, SKOS.ConceptScheme) not in ontology:
            problems.append(f"{concept}: its scheme {scheme} is not a skos:ConceptScheme")
        is_top = (concept, SKOS.topConceptOf, scheme) in ontology
        if is_top != ((scheme, SKOS.hasTopConcept, concept) in ontology):
            problems.append(f"{concept}: skos:topConceptOf and skos:hasTopConcept disagree")
        if not is_top and ontology.value(concept, SKOS.broader) is None:
            problems.append(f"{concept}: neither a top concept nor below another")
        for p in (SKOS.notation, SKOS.definition):
            if ontology.value(concept, p) is None:
                problems.append(f"{concept}: no {p}")
        if not any(l.language == "en" for l in ontology.objects(concept, SKOS.prefLabel)):
            problems.append(f"{concept}: no skos:prefLabel @en")
    assert not problems, "\n".join(problems)


def _used_iris(graph: Graph):
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef):
                yield term
            elif isinstance(term, Literal) and term.datatype is not None:
                yield term.datatype


def test_every_used_iri_is_declared(ontology):
    """A typo such as rdfs:subClasOf or pk:PilotZnoe parses fine; catch it here."""
    problems = set()
    for iri in _used_iris(ontology):
        if _is_ours(iri):
            if not _declared(ontology, iri):
                problems.add(f"{iri} is used but not declared in the ontology")
            continue
        for vocabulary in CLOSED_VOCABULARIES:
            if str(iri).startswith(str(vocabulary)):
                if iri not in vocabulary:
                    problems.add(f"{iri} is not a term of {vocabulary}")
                break
        else:
            for namespace, known in KNOWN_EXTERNAL_TERMS.items():
                if str(iri).startswith(namespace) and iri not in known:
                    problems.add(f"{iri} is not among the known terms of {namespace}")
    assert not problems, "\n".join(sorted(problems))


def test_the_check_catches_a_typo(ontology):
    """The closed-namespace check must reject a misspelt standard term."""
    assert URIRef(str(RDFS) + "subClasOf") not in RDFS
    assert URIRef(str(OWL) + "inverseof") not in OWL
    assert URIRef(str(SKOS) + "prefLable") not in SKOS
    assert RDFS.subClassOf in RDFS and OWL.inverseOf in OWL and SKOS.prefLabel in SKOS


@pytest.mark.parametrize(
    "names, kind",
    [
        (CONTRACT_CLASSES + BUILDER_CLASSES, OWL.Class),
        (CONTRACT_OBJECT_PROPERTIES + BUILDER_OBJECT_PROPERTIES, OWL.ObjectProperty),
        (CONTRACT_DATATYPE_PROPERTIES + BUILDER_DATATYPE_PROPERTIES, OWL.DatatypeProperty),
    ],
    ids=["classes", "object properties", "datatype properties"],
)
def test_contract_terms_are_declared_with_their_kind(ontology, names, kind):
    missing = [n for n in names if (PK[n], RDF.type, kind) not in ontology]
    assert not missing, f"not declared as {kind}: {missing}"


@pytest.mark.parametrize("schemes", [CONTRACT_SCHEMES, BUILDER_SCHEMES], ids=["contract", "builder"])
def test_concept_schemes_hold_their_concepts(ontology, schemes):
    problems = []
    for scheme, concepts in schemes.items():
        if (PK[scheme], RDF.type, SKOS.ConceptScheme) not in ontology:
            problems.append(f"pk:{scheme} is not a skos:ConceptScheme")
        for concept in concepts:
            if (concept, RDF.type, SKOS.Concept) not in ontology:
                problems.append(f"{concept} is not a skos:Concept")
            if (concept, SKOS.inScheme, PK[scheme]) not in ontology:
                problems.append(f"{concept} is not in pk:{scheme}")
    assert not problems, "\n".join(problems)


def test_rejected_terms_stay_undeclared(ontology):
    used = {iri for iri in _used_iris(ontology)}
    present = [n for n in REJECTED_TERMS if PK[n] in used]
    assert not present, f"the conventions reject these terms: {present}"


def test_alignments_to_standard_vocabularies(ontology):
    expected = [
        (PK.Policy, RDFS.subClassOf, ELI.LegalResource),
        (PK.Policy, RDFS.subClassOf, PROV.Entity),
        (PK.SourceDocument, RDFS.subClassOf, PROV.Entity),
        (PK.SourceDocument, RDFS.subClassOf, vocab.SDO.CreativeWork),
        (PK.PilotProgramme, RDFS.subClassOf, PROV.Plan),
        (PK.PilotZone, RDFS.subClassOf, PROV.Location),
        (PK.PilotZone, RDFS.subClassOf, vocab.SDO.Place),
        (PK.AdministrativeDivision, RDFS.subClassOf, vocab.SDO.AdministrativeArea),
        (PK.ProvinceLevelDivision, RDFS.subClassOf, PK.AdministrativeDivision),
        (PK.PrefectureLevelDivision, RDFS.subClassOf, PK.AdministrativeDivision),
        (PK.CountyLevelDivision, RDFS.subClassOf, PK.AdministrativeDivision),
        (PK.ReformTask, RDFS.subClassOf, PROV.Plan),
        (PK.ResponsibleBody, RDFS.subClassOf, ORG.Organization),
        (PK.CollectiveBody, RDFS.subClassOf, PK.ResponsibleBody),
        (PK.Responsibility, RDFS.subClassOf, PROV.Influence),
        (PK.Evidence, RDFS.subClassOf, OA.SpecificResource),
        (PK.Event, RDFS.subClassOf, PROV.Activity),
        (PK.issuedBy, RDFS.subPropertyOf, DCTERMS.creator),
        (PK.subOrganizationOf, RDFS.subPropertyOf, ORG.subOrganizationOf),
        (PK.derivedFrom, RDFS.subPropertyOf, PROV.wasDerivedFrom),
        (PK.publisher, RDFS.subPropertyOf, DCTERMS.publisher),
        (PK.mentions, RDFS.subPropertyOf, vocab.SDO.mentions),
        (PK.referenceSource, RDFS.subPropertyOf, DCTERMS.source),
        (PK.coversPartOf, RDFS.subPropertyOf, PK.coversDivision),
    ]
    missing = [t for t in expected if t not in ontology]
    assert not missing, f"missing alignments: {missing}"


@pytest.mark.parametrize("forward, backward", INVERSE_PAIRS)
def test_inverse_pairs(ontology, forward, backward):
    assert (PK[forward], OWL.inverseOf, PK[backward]) in ontology
    assert (PK[backward], OWL.inverseOf, PK[forward]) in ontology


@pytest.mark.parametrize("name", TRANSITIVE_PROPERTIES)
def test_transitive_properties(ontology, name):
    assert (PK[name], RDF.type, OWL.TransitiveProperty) in ontology
    assert (PK[name], RDF.type, OWL.ObjectProperty) in ontology


def test_task_of_is_not_under_part_of_task(ontology):
    """pk:taskOf may point to a policy or programme, so it must not imply pk:partOfTask."""
    closed = _closure(ontology)
    assert (PK.taskOf, RDFS.subPropertyOf, PK.partOfTask) not in closed


def test_mixed_subject_properties_have_no_domain(ontology):
    with_domain = [n for n in NO_DOMAIN if ontology.value(PK[n], RDFS.domain) is not None]
    assert not with_domain, f"these properties must not declare rdfs:domain: {with_domain}"


def test_mixed_value_properties_have_no_range(ontology):
    with_range = [n for n in NO_RANGE if ontology.value(PK[n], RDFS.range) is not None]
    assert not with_range, f"these properties must not declare rdfs:range: {with_range}"


def test_disjoint_classes(ontology):
    missing = []
    for a, b in combinations(DISJOINT_CORE, 2):
        if frozenset({a, b}) in NOT_DISJOINT:
            assert not _disjoint(ontology, PK[a], PK[b]), f"pk:{a} and pk:{b} must stay open"
            continue
        if not _disjoint(ontology, PK[a], PK[b]):
            missing.append((a, b))
    missing += [(a, b) for a, b in EXTRA_DISJOINT if not _disjoint(ontology, PK[a], PK[b])]
    assert not missing, f"not declared disjoint: {missing}"


def test_owl_rl_closure_of_ontology_is_consistent(ontology):
    problems = _inconsistencies(_closure(ontology))
    assert not problems, "\n".join(problems)


SAMPLE_DATA = """
@prefix pk: <https://w3id.org/pilotkg/ontology#> .
@prefix pkr: <https://w3id.org/pilotkg/id/> .
@prefix theme: <https://w3id.org/pilotkg/theme/> .
@prefix role: <https://w3id.org/pilotkg/role/> .
@prefix ptype: <https://w3id.org/pilotkg/policy-type/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/pilotkg/id/source/002> pk:fileName "002_89772ce1b764b33e.txt" ;
    pk:reports <https://w3id.org/pilotkg/id/policy/opinions-2019> ;
    pk:mentions <https://w3id.org/pilotkg/id/body/ndrc> , <https://w3id.org/pilotkg/id/division/510522> .
<https://w3id.org/pilotkg/id/policy/opinions-2019> pk:issuedBy <https://w3id.org/pilotkg/id/body/state-council> ;
    pk:issuedOn "2019-04-15"^^xsd:date ; pk:policyType ptype:opinions ;
    pk:establishes <https://w3id.org/pilotkg/id/programme/urban-rural> ;
    pk:hasTask <https://w3id.org/pilotkg/id/task/t1> ;
    pk:hasObjective <https://w3id.org/pilotkg/id/objective/o1> ;
    pk:responsibility <https://w3id.org/pilotkg/id/responsibility/r2> ;
    pk:derivedFrom <https://w3id.org/pilotkg/id/source/002> ;
    pk:evidence <https://w3id.org/pilotkg/id/evidence/002/0-10> .
<https://w3id.org/pilotkg/id/programme/urban-rural> pk:hasBatch <https://w3id.org/pilotkg/id/batch/b1> ;
    pk:hasTask <https://w3id.org/pilotkg/id/task/p1> ; pk:theme theme:land ;
    pk:startDate "2019"^^xsd:gYear ; pk:declaredZoneCount 11 .
<https://w3id.org/pilotkg/id/batch/b1> pk:hasZone <https://w3id.org/pilotkg/id/zone/z1> ;
    pk:approvedOn "2021-02"^^xsd:gYearMonth ; pk:batchNumber 1 .
<https://w3id.org/pilotkg/id/zone/z1> pk:coversDivision <https://w3id.org/pilotkg/id/division/510522> ;
    pk:coversPartOf <https://w3id.org/pilotkg/id/division/510500> ;
    pk:responsibility <https://w3id.org/pilotkg/id/responsibility/r3> .
<https://w3id.org/pilotkg/id/division/510522> a pk:CountyLevelDivision ;
    pk:withinDivision <https://w3id.org/pilotkg/id/division/510500> ; pk:adcode "510522" .
<https://w3id.org/pilotkg/id/division/510500> a pk:PrefectureLevelDivision ;
    pk:withinDivision <https://w3id.org/pilotkg/id/division/510000> .
<https://w3id.org/pilotkg/id/division/510000> a pk:ProvinceLevelDivision .
<https://w3id.org/pilotkg/id/task/t1> pk:hasTask <https://w3id.org/pilotkg/id/task/t2> ;
    pk:concernsProgramme <https://w3id.org/pilotkg/id/programme/urban-rural> .
<https://w3id.org/pilotkg/id/task/t2> pk:hasTask <https://w3id.org/pilotkg/id/task/t3> ;
    pk:partOfTask <https://w3id.org/pilotkg/id/task/t1> ; pk:itemNumber 13 ; pk:taskText "Improve the land market." .
<https://w3id.org/pilotkg/id/task/t3> pk:partOfTask <https://w3id.org/pilotkg/id/task/t2> ;
    pk:responsibility <https://w3id.org/pilotkg/id/responsibility/r1> ;
    pk:responsibleBody <https://w3id.org/pilotkg/id/body/ndrc> .
<https://w3id.org/pilotkg/id/responsibility/r1> pk:body <https://w3id.org/pilotkg/id/body/ndrc> ;
    pk:role role:leads ; pk:subject <https://w3id.org/pilotkg/id/task/t3> ;
    pk:assignedBy <https://w3id.org/pilotkg/id/policy/opinions-2019> .
<https://w3id.org/pilotkg/id/responsibility/r2> pk:body <https://w3id.org/pilotkg/id/body/ndrc> ;
    pk:role role:implements ; pk:subject <https://w3id.org/pilotkg/id/policy/opinions-2019> .
<https://w3id.org/pilotkg/id/responsibility/r3> pk:body <https://w3id.org/pilotkg/id/body/sichuan-drc> ;
    pk:role role:supervises ; pk:subject <https://w3id.org/pilotkg/id/zone/z1> .
<https://w3id.org/pilotkg/id/body/ndrc> pk:subOrganizationOf <https://w3id.org/pilotkg/id/body/state-council> .
<https://w3id.org/pilotkg/id/body/mara> pk:succeeds <https://w3id.org/pilotkg/id/body/moa> .
<https://w3id.org/pilotkg/id/objective/o1> pk:targetYear "2035"^^xsd:gYear ; pk:targetText "by 2035" .
<https://w3id.org/pilotkg/id/evidence/002/0-10> oa:hasSource <https://w3id.org/pilotkg/id/source/002> .
"""


@pytest.fixture(scope="module")
def sample_closure(ontology) -> Graph:
    data = Graph().parse(data=SAMPLE_DATA, format="turtle")
    return _closure(ontology + data)


def test_owl_rl_closure_with_sample_data_is_consistent(sample_closure):
    problems = _inconsistencies(sample_closure)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "resource, cls",
    [
        ("policy/opinions-2019", PK.Policy),
        ("source/002", PK.SourceDocument),
        ("programme/urban-rural", PK.PilotProgramme),
        ("batch/b1", PK.PilotBatch),
        ("zone/z1", PK.PilotZone),
        ("division/510500", PK.AdministrativeDivision),
        ("task/t3", PK.ReformTask),
        ("body/ndrc", PK.ResponsibleBody),
        ("body/moa", PK.ResponsibleBody),
        ("responsibility/r1", PK.Responsibility),
        ("objective/o1", PK.Objective),
        ("evidence/002/0-10", PK.Evidence),
    ],
)
def test_reasoning_types_sample_resources(sample_closure, resource, cls):
    assert (PKR[resource], RDF.type, cls) in sample_closure


@pytest.mark.parametrize(
    "resource, wrong",
    [
        # the subject of a responsibility keeps its own type
        ("task/t3", PK.Responsibility),
        ("policy/opinions-2019", PK.ReformTask),
        ("zone/z1", PK.Responsibility),
        # a batch is not a programme just because it has zones
        ("batch/b1", PK.PilotProgramme),
        # a policy with tasks is not a task
        ("policy/opinions-2019", PK.Responsibility),
        # a mentioned body is not a document
        ("body/ndrc", PK.SourceDocument),
    ],
)
def test_reasoning_does_not_retype(sample_closure, resource, wrong):
    assert (PKR[resource], RDF.type, wrong) not in sample_closure


def test_reasoning_fills_inverses_and_transitive_chains(sample_closure):
    c = sample_closure
    assert (PKR["programme/urban-rural"], PK.establishedBy, PKR["policy/opinions-2019"]) in c
    assert (PKR["zone/z1"], PK.inProgramme, PKR["batch/b1"]) in c
    assert (PKR["task/t3"], PK.taskOf, PKR["task/t2"]) in c
    assert (PKR["task/t3"], PK.partOfTask, PKR["task/t1"]) in c
    assert (PKR["division/510522"], PK.withinDivision, PKR["division/510000"]) in c
    assert (PKR["zone/z1"], PK.coversDivision, PKR["division/510500"]) in c
    assert (PKR["body/moa"], PK.succeededBy, PKR["body/mara"]) in c
    assert (PKR["body/ndrc"], PK.responsibleFor, PKR["task/t3"]) in c
    assert (PKR["task/t3"], PK.responsibility, PKR["responsibility/r1"]) in c
    assert (PKR["objective/o1"], PK.objectiveOf, PKR["policy/opinions-2019"]) in c
    # task t1 hangs off a policy: taskOf must not become partOfTask there
    assert (PKR["task/t1"], PK.partOfTask, PKR["policy/opinions-2019"]) not in c


def test_reasoning_finds_a_real_clash():
    """The consistency check can fail: a resource typed as two disjoint classes is reported."""
    graph = Graph().parse(
        data="""
        @prefix pk: <https://w3id.org/pilotkg/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        pk:Policy owl:disjointWith pk:Evidence .
        <https://w3id.org/pilotkg/id/x> pk:evidence <https://w3id.org/pilotkg/id/y> .
        pk:evidence <http://www.w3.org/2000/01/rdf-schema#range> pk:Evidence .
        <https://w3id.org/pilotkg/id/y> a pk:Policy .
        """,
        format="turtle",
    )
    assert _inconsistencies(_closure(graph))
