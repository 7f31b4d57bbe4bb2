"""The validation page for people: the form (paste or upload RDF, two example
records to start from), the report grouped by focus node, and bad input shown
on the form with the place the parser stopped.

The endpoint itself (``POST /validate``, its JSON and Turtle reports) is
``views/curation.py``; this module only renders its HTML side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response

from pilotkg.graph.rdfio import EXTENSIONS, FORMATS

from .ontology_doc import Ref, TermNames, shapes_graph
from .site import labels_for, local_path, page, select, service, sparql_iri

# The formats the endpoint parses (pilotkg.graph.rdfio.FORMATS), as the form offers them.
FORMAT_LABELS = {"turtle": "Turtle", "trig": "TriG", "ntriples": "N-Triples", "nquads": "N-Quads",
                 "jsonld": "JSON-LD", "rdfxml": "RDF/XML"}
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_POSITION = re.compile(r"at line (\d+), column (\d+)")
SHOWN_TEXT_LIMIT = 300_000  # characters of submitted data put back into the form


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    summary: str
    turtle: str


@dataclass(frozen=True)
class InputError:
    message: str
    line: int | None = None
    column: int | None = None
    context: list | None = None  # [(line number, text, is the line the parser stopped at)]


def _formats() -> list[tuple[str, str]]:
    return [(name, FORMAT_LABELS.get(name, name)) for name in FORMAT_LABELS if name in FORMATS] + \
        [(name, name) for name in FORMATS if name not in FORMAT_LABELS]


def form_page(*, status: int = 200, error: InputError | None = None, text: str = "", fmt: str = "turtle",
              with_graph: bool = True) -> Response:
    """The validation form, with what was submitted and the error it met, if any."""
    return page("validate.html", status=status, **_form_context(error, text, fmt, with_graph))


def _form_context(error, text, fmt, with_graph) -> dict:
    return {
        "error": error,
        "text": text if len(text) <= SHOWN_TEXT_LIMIT else "",
        "text_dropped": len(text) > SHOWN_TEXT_LIMIT,
        "fmt": fmt if fmt in FORMATS else "turtle",
        "with_graph": with_graph,
        "formats": _formats(),
        "extensions": EXTENSIONS,
        "max_body": service().config.max_body,
        "examples": examples(),
    }


def input_error(message: str, text: str = "") -> InputError:
    """An error about the submitted data, with the lines around the position it names (if any)."""
    m = _POSITION.search(message)
    if not m:
        return InputError(message)
    line, column = int(m.group(1)), int(m.group(2))
    lines = text.splitlines()
    context = [(n, lines[n - 1], n == line) for n in range(max(1, line - 2), min(len(lines), line + 2) + 1)]
    return InputError(message, line, column, context or None)


def submitted_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- the report


@dataclass
class Result:
    severity: str
    message: str
    path: Ref | None
    value: Ref | str | None
    shape: Ref | None
    constraint: str


@dataclass
class FocusGroup:
    focus: Ref
    label: str
    in_dataset: bool
    results: list[Result]

    @property
    def worst(self) -> str:
        return min((r.severity for r in self.results), key=lambda s: SEVERITY_ORDER.get(s, 9))


def _is_iri(text: str) -> bool:
    return bool(re.match(r"^(https?|urn|mailto|file):", text or "")) and not any(c in text for c in ' <>"{}|^`\\\n')


def report_page(report: dict, *, status: int = 200, text: str = "", fmt: str = "turtle",
                with_graph: bool = False) -> Response:
    """The HTML report of ``POST /validate``: the verdict, counts by severity, results by focus node,
    then the form again with the data, to fix and validate again."""
    results = report.get("results", [])
    names = TermNames(shapes_graph())
    iris = {r["focus_node"] for r in results if _is_iri(r["focus_node"])}
    iris |= {r["value"] for r in results if r.get("value") and _is_iri(r["value"])}
    existing = _existing(iris)
    labels = labels_for(existing) if existing else {}

    def ref(iri: str) -> Ref:
        r = names.ref(_uri(iri))
        if local_path(iri) is not None and iri not in existing and not iri.startswith(("https://w3id.org/pilotkg/ontology",
                                                                                         "https://w3id.org/pilotkg/shapes")):
            return Ref(iri, r.text, None, False, "not in the dataset")  # a resource of the submitted data only
        return Ref(r.iri, labels.get(iri) or r.text, r.href, r.external, iri)

    groups: dict[str, FocusGroup] = {}
    for r in results:
        focus = r["focus_node"]
        group = groups.get(focus)
        if group is None:
            group = groups[focus] = FocusGroup(
                ref(focus) if _is_iri(focus) else Ref(focus, f"_:{focus}", None), labels.get(focus, ""),
                focus in existing, [])
        value = r.get("value")
        group.results.append(Result(
            severity=r.get("severity") or "Violation",
            message=r.get("message") or "",
            path=ref(r["path"]) if r.get("path") and _is_iri(r["path"]) else None,
            value=ref(value) if value and _is_iri(value) else value,
            shape=ref(r["shape"]) if r.get("shape") and _is_iri(r["shape"]) else None,
            constraint=names.compact(r.get("constraint") or ""),
        ))
    for group in groups.values():
        group.results.sort(key=lambda x: (SEVERITY_ORDER.get(x.severity, 9), x.path.text if x.path else "", x.message))
    ordered = sorted(groups.values(), key=lambda g: (SEVERITY_ORDER.get(g.worst, 9), g.focus.iri))
    counts = {sev: sum(1 for r in results if r.get("severity") == sev) for sev in SEVERITY_ORDER}
    return page("report.html", status=status, report=report, groups=ordered, counts=counts,
                **_form_context(None, text, fmt, with_graph))


def _uri(iri: str):
    from rdflib import URIRef

    return URIRef(iri)


def _existing(iris: set[str]) -> set[str]:
    """The IRIs among ``iris`` that are subjects in the dataset (they have a page)."""
    usable = sorted(i for i in iris if local_path(i) is not None)[:500]
    if not usable:
        return set()
    values = " ".join(sparql_iri(i) for i in usable)
    rows = select(f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}")
    return {row["s"].value for row in rows}


# --------------------------------------------------------------------------- examples


_examples_cache: dict = {}

EXAMPLE_QUERY = """
SELECT ?zone ?label ?programme ?division ?source ?evidence WHERE {
  ?zone a pk:PilotZone ; rdfs:label ?label ; pk:inProgramme ?programme ; pk:coversDivision ?division ;
        pk:derivedFrom ?source ; pk:evidence ?evidence .
  ?programme a pk:PilotProgramme .
  ?evidence oa:hasSource ?source .
  FILTER (lang(?label) = "en")
}
ORDER BY ?zone ?programme ?division ?evidence
LIMIT 1
"""


def examples() -> list[Example]:
    """A good and a broken pilot-zone record, built from a zone of the dataset: the good one states what
    that zone states (its programme, a division it covers, a source and an evidence of it, all in the
    dataset); the broken one makes four common mistakes. Empty when the dataset has no such zone."""
    svc = service()
    key = (id(svc), svc.generation)
    if key not in _examples_cache:
        _examples_cache.clear()
        _examples_cache[key] = _build_examples()
    return _examples_cache[key]


def _build_examples() -> list[Example]:
    rows = select(EXAMPLE_QUERY)
    if not rows:
        return []
    row = rows[0]
    zone_label = row["label"].value.replace("\\", "").replace('"', "'")
    programme, division = row["programme"].value, row["division"].value
    source, evidence = row["source"].value, row["evidence"].value
    base = "https://w3id.org/pilotkg/id/zone/example-"
    prefixes = ("@prefix pk:   <https://w3id.org/pilotkg/ontology#> .\n"
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                "@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .\n\n")
    good = (
        "# A new pilot zone, stated the way the dataset states its zones: an English label,\n"
        "# the programme it is designated under, a division it covers, the source text and\n"
        "# the passage of it (the evidence) it is taken from. The programme, the division,\n"
        f"# the source and the evidence are those of {zone_label!r}, already in the dataset:\n"
        "# validate with the dataset so that they resolve.\n"
        + prefixes
        + f"<{base}record>\n"
        "    a pk:PilotZone ;\n"
        f"    rdfs:label \"Example record ({zone_label})\"@en ;\n"
        f"    pk:inProgramme <{programme}> ;\n"
        f"    pk:coversDivision <{division}> ;\n"
        f"    pk:derivedFrom <{source}> ;\n"
        f"    pk:evidence <{evidence}> .\n"
    )
    broken = (
        "# The same kind of record with four mistakes; the report names each one,\n"
        "# the shape that catches it and what to do.\n"
        + prefixes
        + f"<{base}broken-record>\n"
        "    a pk:PilotZone ;\n"
        "    rdfs:label \"Example record with mistakes\" ;          # 1. no language tag: write \"…\"@en\n"
        f"    pk:inProgramme <{division}> ;  # 2. a division, not a programme or batch\n"
        "    # 3. no pk:coversDivision: which division does the zone cover?\n"
        "    pk:approvedOn \"2019-12-25T10:00:00\"^^xsd:dateTime ;  # 4. a time no text gives: use xsd:date\n"
        f"    pk:derivedFrom <{source}> ;\n"
        f"    pk:evidence <{evidence}> .\n"
    )
    return [
        Example("example-good", "A good record", "A new pilot zone with its programme, division, source and evidence.",
                good),
        Example("example-broken", "A broken record", "The same zone with four mistakes the shapes catch.", broken),
    ]
