"""The project's expected-facts table (tests/expected_facts.tsv), checked against the built dataset.

Each row is its own test (id: source|subject|predicate|object). Rows marked
``known-gap`` are facts the texts state that the build does not hold yet: they
run as strict xfail, so they stay visible and turn into failures once fixed.
The table's header comment documents the columns and how a row is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from pilotkg.graph.namespaces import PKR, PREFIXES
from pilotkg.graph.resources import seeds_dir
from pilotkg.graph.store_file import run_query
from pilotkg.graph.extract.text import slugify

TABLE = Path(__file__).with_name("expected_facts.tsv")
COLUMNS = ["source", "subject", "predicate", "object", "status", "note"]
STATUSES = {"required", "known-gap"}
FACT_KINDS = {"policy", "programme", "batch", "zone", "task", "objective", "responsibility"}
RESPONSIBILITY = "*responsibility*"

_PATH = re.compile(r"^[a-z0-9-]+(?:/[a-z0-9-]+)+$")
_PNAME = re.compile(r"^(?P<prefix>[a-z]+):[A-Za-z0-9_-]*$")
_LITERAL = re.compile(r'^"[^"\\]*"(?:\^\^(?P<dt>[a-z]+:[A-Za-z]+)|@[a-z]+(?:-[A-Za-z]+)?)?$')


@dataclass(frozen=True)
class Row:
    line: int
    source: str
    subject: str
    predicate: str
    object: str
    status: str
    note: str

    @property
    def test_id(self) -> str:
        return "|".join((self.source, self.subject, self.predicate, self.object))


def read_table() -> list[Row]:
    rows = []
    with TABLE.open(encoding="utf-8", newline="") as f:
        lines = [(n, line) for n, line in enumerate(f, start=1) if line.strip() and not line.startswith("#")]
    header = lines[0][1].rstrip("\n").split("\t")
    assert header == COLUMNS, f"{TABLE.name}: header must be {COLUMNS}, is {header}"
    for n, line in lines[1:]:
        cells = line.rstrip("\n").split("\t")
        assert len(cells) == len(COLUMNS), f"{TABLE.name}:{n}: {len(cells)} columns, expected {len(COLUMNS)}"
        rows.append(Row(n, *cells))
    return rows


ROWS = read_table()


def term(value: str) -> str:
    """A table cell as a SPARQL term: instance path → full IRI; prefixed names and literals as written."""
    if _PATH.match(value):
        return f"<{PKR[value]}>"
    if _PNAME.match(value) or _LITERAL.match(value):
        return value
    raise ValueError(f"not an instance path, prefixed name or literal: {value!r}")


def ask_for(row: Row) -> str:
    source = f"<{PKR['source/' + row.source]}>"
    graphs = f"<{PKR['graph/source/' + row.source]}>, <{PKR['graph/reference']}>, <{PKR['graph/inferred']}>"
    if row.subject == RESPONSIBILITY:
        body, role, subject = (term(v) for v in row.object.split("|"))
        # reports-to: the subject is the body reported to; the shortcut is pk:reportsTo, never pk:responsibleBody
        shortcut = (f"{body} pk:reportsTo {subject} . FILTER NOT EXISTS {{ {subject} pk:responsibleBody {body} }}"
                    if role == "role:reports-to" else f"{subject} pk:responsibleBody {body} .")
        return f"""ASK {{
            ?r a pk:Responsibility ; pk:body {body} ; pk:role {role} ; pk:subject {subject} ;
               pk:derivedFrom {source} ; pk:evidence ?e .
            ?e oa:hasSource {source} .
            {shortcut}
        }}"""
    s, p, o = term(row.subject), term(row.predicate), term(row.object)
    provenance = f"{s} pk:derivedFrom {source} ." if row.subject.split("/", 1)[0] in FACT_KINDS else ""
    return f"ASK {{ GRAPH ?g {{ {s} {p} {o} }} FILTER(?g IN ({graphs})) {provenance} }}"


def params() -> list:
    out = []
    for row in ROWS:
        marks = [pytest.mark.xfail(reason=f"known gap: {row.note}", strict=True)] if row.status == "known-gap" else []
        out.append(pytest.param(row, id=row.test_id, marks=marks))
    return out


@pytest.mark.parametrize("row", params())
def test_expected_fact(row: Row, dataset_store):
    assert bool(run_query(dataset_store, ask_for(row))), (
        f"{TABLE.name}:{row.line}: the build lacks {row.subject} {row.predicate} {row.object} "
        f"from {row.source} ({row.note})"
    )


@pytest.mark.parametrize(
    ("subject", "predicate", "obj", "source"),
    [
        ("zone/hejiang-county", "pk:inProvince", "division/500000", "003-3e4a61702f265df0"),  # wrong province
        ("programme/rural-reform-pilot-zones", "pk:declaredZoneCount", '"57"^^xsd:integer', "000-42920e4a0d4c72dd"),
        ("zone/hejiang-county", "pk:inProgramme", "batch/sichuan-county-integrated-reform-pilot/1", "000-42920e4a0d4c72dd"),  # wrong source
        (RESPONSIBILITY, "pk:Responsibility", "body/ndrc|role:supports|task/2019-urban-rural-opinions/34", "002-89772ce1b764b33e"),
        (RESPONSIBILITY, "pk:Responsibility", "body/ndrc|role:leads|task/2019-urban-rural-opinions/34", "001-e77d55302f611b21"),
        # a collective body is the text's own node: seed 002's "relevant departments" is not seed 001's
        (RESPONSIBILITY, "pk:Responsibility", "body/relevant-departments/001-e77d55302f611b21|role:reports-to|body/state-council", "002-89772ce1b764b33e"),
        ("body/relevant-departments/002-89772ce1b764b33e", "pk:derivedFrom", "source/001-e77d55302f611b21", "002-89772ce1b764b33e"),
    ],
)
def test_a_wrong_row_fails(subject, predicate, obj, source, dataset_store):
    """The check can fail: a wrong value, or a right fact credited to the wrong text, is not found."""
    row = Row(0, source, subject, predicate, obj, "required", "")
    assert not bool(run_query(dataset_store, ask_for(row)))


# --- the table itself -------------------------------------------------------------------------


def test_table_covers_every_seed_text():
    docs = {slugify(p.stem) for p in seeds_dir().glob("*.txt")}
    assert len(docs) == 5
    by_source = {doc: [r for r in ROWS if r.source == doc and r.status == "required"] for doc in docs}
    assert {r.source for r in ROWS} == docs, "every row names one of the seed texts, and every text has rows"
    assert all(len(rows) >= 10 for rows in by_source.values()), {d: len(r) for d, r in by_source.items()}
    assert len(ROWS) >= 80


def test_table_cells_are_well_formed():
    problems = []
    for row in ROWS:
        if row.status not in STATUSES:
            problems.append(f"line {row.line}: status {row.status!r}")
        cells = row.object.split("|") if row.subject == RESPONSIBILITY else [row.subject, row.object]
        if row.subject == RESPONSIBILITY and (row.predicate != "pk:Responsibility" or len(cells) != 3):
            problems.append(f"line {row.line}: a responsibility row is pk:Responsibility BODY|ROLE|SUBJECT")
        for value in [row.predicate, *cells]:
            try:
                term(value)
            except ValueError as err:
                problems.append(f"line {row.line}: {err}")
                continue
            prefix = None
            if m := _PNAME.match(value):
                prefix = m["prefix"]
            elif (m := _LITERAL.match(value)) and m["dt"]:
                prefix = m["dt"].split(":")[0]
            if prefix and prefix not in PREFIXES:
                problems.append(f"line {row.line}: unknown prefix {prefix!r} in {value!r}")
        if not row.note and row.status == "known-gap":
            problems.append(f"line {row.line}: a known gap needs a note saying what the text states")
    assert not problems, "\n".join(problems)


def test_table_has_no_duplicate_rows():
    ids = [r.test_id for r in ROWS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_zone_of_the_dataset_is_in_the_table(dataset_store):
    """Each zone the build holds is expected with its programme, division and province."""
    zones = {sol["z"].value.rsplit("/id/", 1)[1] for sol in run_query(dataset_store, "SELECT ?z WHERE { ?z a pk:PilotZone }")}
    for prop in ("rdf:type", "pk:inProgramme", "pk:coversDivision", "pk:inProvince"):
        listed = {r.subject for r in ROWS if r.predicate == prop and r.subject.startswith("zone/")}
        assert zones <= listed, f"zones without a {prop} row: {sorted(zones - listed)}"
