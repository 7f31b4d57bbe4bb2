"""The namespaces of the pilotkg vocabulary and the standard ones it reuses."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

PK = Namespace("https://w3id.org/pilotkg/ontology#")
PKR = Namespace("https://w3id.org/pilotkg/id/")
THEME = Namespace("https://w3id.org/pilotkg/theme/")
ROLE = Namespace("https://w3id.org/pilotkg/role/")
POLICY_TYPE = Namespace("https://w3id.org/pilotkg/policy-type/")
OA = Namespace("http://www.w3.org/ns/oa#")
ORG = Namespace("http://www.w3.org/ns/org#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
SCHEMA = Namespace("https://schema.org/")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SH = Namespace("http://www.w3.org/ns/shacl#")

ONTOLOGY_IRI = URIRef("https://w3id.org/pilotkg/ontology")
ONTOLOGY_GRAPH = PKR["graph/ontology"]
REFERENCE_GRAPH = PKR["graph/reference"]
INFERRED_GRAPH = PKR["graph/inferred"]

PREFIXES = {
    "pk": PK,
    "pkr": PKR,
    "theme": THEME,
    "role": ROLE,
    "ptype": POLICY_TYPE,
    "oa": OA,
    "org": ORG,
    "eli": ELI,
    "schema": SCHEMA,
    "wgs": WGS,
    "prov": PROV,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
}


def source_graph(doc: str) -> URIRef:
    """Return the IRI of the named graph holding the facts taken from one source."""
    return PKR[f"graph/source/{doc}"]


def sparql_prologue() -> str:
    """Return PREFIX lines for every namespace above, for queries people write."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
