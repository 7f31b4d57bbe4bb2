"""The `pilotkg` command, run as a real process over the session's built dataset.

Every command, its outputs, and its bad-input paths: exit 0 success, 1 data that
does not conform, 2 unusable input, each with a message that says what and where.
`pilotkg build` itself runs once, in the session fixture (see conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from pilotkg.graph import __version__
from pilotkg.graph.resources import seeds_dir

# rdflib's own N-Quads, TriG and JSON-LD parsers use its deprecated Dataset/ConjunctiveGraph API.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")

PKR = "https://w3id.org/pilotkg/id/"
PK = "https://w3id.org/pilotkg/ontology#"
COMMANDS = ["build", "export", "validate", "query", "stats"]
ZONES_QUERY = "SELECT ?z WHERE { ?z a pk:PilotZone } ORDER BY ?z"
PROVINCES_CONSTRUCT = "CONSTRUCT { ?z pk:inProvince ?p } WHERE { ?z a pk:PilotZone ; pk:inProvince ?p }"
XSD = "http://www.w3.org/2001/XMLSchema#"  # a plain string: pytest probes module attributes, rdflib's XSD warns
XSD_STRING = URIRef(XSD + "string")
NUMERIC_TYPES = {URIRef(XSD + t) for t in ("integer", "decimal", "nonNegativeInteger", "positiveInteger",
                                           "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte")}


def norm(term, by_value: bool = False):
    """RDF 1.1: "x" and "x"^^xsd:string are one term (rdflib keeps them apart). With
    ``by_value``, numbers compare by value ("108.939770"^^xsd:decimal = "108.93977",
    "20"^^xsd:nonNegativeInteger = "20"^^xsd:integer)."""
    if isinstance(term, Literal) and term.datatype == XSD_STRING:
        return Literal(str(term))
    if by_value and isinstance(term, Literal) and term.datatype in NUMERIC_TYPES:
        return ("number", Decimal(str(term)))
    return term


def quads_of(ds: Dataset) -> set:
    return {(s, p, norm(o), getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


def triples_of(quads_or_graph, by_value: bool = False) -> set:
    return {(t[0], t[1], norm(t[2], by_value)) for t in quads_or_graph}


@pytest.fixture(scope="module")
def dataset_quads(built) -> set:
    ds = Dataset()
    ds.parse(built.nquads_path, format="nquads")
    return quads_of(ds)


# --- build (run once by the session fixture) and help ----------------------------------------------


def test_build_command_prints_a_summary(built):
    if built.build_output is None:
        pytest.skip("the pilotkg command is not installed; the fixture built through the Python API")
    out = built.build_output
    assert out.returncode == 0
    assert "Summary:" in out.stdout
    assert re.search(r"^\s+class:PilotZone\s+21$", out.stdout, re.M), out.stdout
    assert "wrote" in out.stderr and "dataset.nq" in out.stderr
    assert built.nquads_path.is_file()


def test_help_lists_every_command(run_cli):
    out = run_cli("--help")
    assert out.returncode == 0
    assert "Usage: pilotkg" in out.stdout
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", out.stdout, re.M), f"{command} not listed:\n{out.stdout}"
    assert "PILOTKG_DATA" in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command, run_cli):
    out = run_cli(command, "--help")
    assert out.returncode == 0, out.stderr
    assert f"Usage: pilotkg {command}" in out.stdout
    assert "--help" in out.stdout


def test_version(run_cli):
    out = run_cli("--version")
    assert out.returncode == 0
    assert __version__ in out.stdout


def test_unknown_command_is_a_usage_error(run_cli):
    out = run_cli("frobnicate")
    assert out.returncode == 2
    assert "No such command 'frobnicate'" in out.stderr


def test_commands_use_the_built_dataset(run_cli):
    out = run_cli("query", "ASK { ?z a pk:PilotZone }")
    assert out.returncode == 0
    assert out.stdout == "true\n"
    assert "building it first" not in out.stderr


# --- export -----------------------------------------------------------------------------------------


def test_export_nquads_is_the_dataset_file(run_cli, built, tmp_path):
    target = tmp_path / "out.nq"
    out = run_cli("export", "--format", "nquads", "--output", target)
    assert out.returncode == 0, out.stderr
    assert target.read_bytes() == built.nquads_path.read_bytes()
    assert f"wrote {target}" in out.stderr


def test_export_to_stdout(run_cli, built):
    out = run_cli("export", "--output", "-")
    assert out.returncode == 0
    assert out.stdout.encode("utf-8") == built.nquads_path.read_bytes()


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("nquads", "nquads"), ("trig", "trig"), ("jsonld", "json-ld")])
def test_export_dataset_formats_round_trip(fmt, rdflib_format, run_cli, dataset_quads, tmp_path):
    target = tmp_path / f"out.{fmt}"
    out = run_cli("export", "--format", fmt, "--output", target)
    assert out.returncode == 0, out.stderr
    ds = Dataset()
    ds.parse(target, format=rdflib_format)
    assert quads_of(ds) == dataset_quads


@pytest.fixture(scope="module")
def graph_exports(run_cli, tmp_path_factory) -> dict[str, Graph]:
    """The dataset exported (merged) as turtle and as ntriples, each parsed back with rdflib."""
    folder = tmp_path_factory.mktemp("exports")
    graphs = {}
    for fmt, rdflib_format in (("turtle", "turtle"), ("ntriples", "nt")):
        out = run_cli("export", "--format", fmt, "--output", folder / f"out.{fmt}")
        assert out.returncode == 0, out.stderr
        graphs[fmt] = Graph().parse(folder / f"out.{fmt}", format=rdflib_format)
    return graphs


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_export_graph_formats_merge_the_graphs(fmt, graph_exports, dataset_quads):
    assert triples_of(graph_exports[fmt], by_value=True) == triples_of(dataset_quads, by_value=True)


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_export_graph_formats_keep_literal_datatypes(fmt, graph_exports, dataset_quads):
    assert triples_of(graph_exports[fmt]) == triples_of(dataset_quads)


def test_export_bad_format_and_missing_output(run_cli, tmp_path):
    out = run_cli("export", "--format", "xml", "--output", tmp_path / "x")
    assert out.returncode == 2
    assert "'xml' is not one of" in out.stderr
    out = run_cli("export", "--format", "turtle")
    assert out.returncode == 2
    assert "Missing option '--output'" in out.stderr


# --- query ------------------------------------------------------------------------------------------


def test_query_argument_table(run_cli):
    out = run_cli("query", ZONES_QUERY)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "z"
    assert set(lines[1]) == {"-"}
    assert "pkr:zone/hejiang-county" in lines
    assert "pkr:zone/tongzhou-district" in lines
    assert lines[-1] == "(21 rows)"


def test_query_from_file_gives_the_same_rows(run_cli, tmp_path):
    query_file = tmp_path / "zones.rq"
    query_file.write_text("# the pilot zones\n" + ZONES_QUERY + "\n", encoding="utf-8")
    from_file = run_cli("query", "-f", query_file)
    from_arg = run_cli("query", ZONES_QUERY)
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout == from_arg.stdout


def test_query_csv(run_cli):
    out = run_cli("query", "--output", "csv", ZONES_QUERY)
    assert out.returncode == 0
    table = list(csv.reader(io.StringIO(out.stdout)))
    assert table[0] == ["z"]
    assert [PKR + "zone/hejiang-county"] in table[1:]
    assert len(table) == 22


def test_query_tsv(run_cli):
    out = run_cli("query", "--output", "tsv", ZONES_QUERY)
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "?z"
    assert f"<{PKR}zone/cuiping-district>" in lines
    assert len(lines) == 22


def test_query_json(run_cli):
    out = run_cli("query", "--output", "json",
                  "SELECT ?z ?n WHERE { ?z pk:declaredZoneCount ?n } ORDER BY DESC(?n)")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert doc["head"]["vars"] == ["z", "n"]
    first = doc["results"]["bindings"][0]
    assert first["z"]["value"] == PKR + "programme/rural-reform-pilot-zones"
    assert first["n"]["value"] == "58"
    assert first["n"]["datatype"] == XSD + "integer"


def test_query_construct_turtle(run_cli):
    out = run_cli("query", "--output", "turtle", PROVINCES_CONSTRUCT)
    assert out.returncode == 0, out.stderr
    g = Graph().parse(data=out.stdout, format="turtle")
    assert len(g) == 21
    assert (URIRef(PKR + "zone/hejiang-county"), URIRef(PK + "inProvince"), URIRef(PKR + "division/510000")) in g
    assert (URIRef(PKR + "zone/zhejiang-jiahu"), URIRef(PK + "inProvince"), URIRef(PKR + "division/330000")) in g


def test_query_sees_the_datatypes_of_the_dataset(run_cli, built):
    """The dump holds literals in the canonical form a store keeps, so queries see what the file says."""
    text = built.nquads_path.read_text(encoding="utf-8")
    assert "XMLSchema#nonNegativeInteger" not in text
    out = run_cli("query", "ASK { ?pos oa:start ?n FILTER(DATATYPE(?n) = xsd:integer) }")
    assert out.stdout == "true\n"


def test_malformed_query_names_its_position(run_cli):
    query = "SELECT ?z\nWHERE {\n  ?z a pk:PilotZone\n  FILTER(\n}"
    out = run_cli("query", query)
    assert out.returncode == 2
    assert "malformed query" in out.stderr
    assert re.search(r"line 5|\b5:\d+", out.stderr), out.stderr
    assert out.stdout == ""


def test_malformed_query_position_says_line_and_column(run_cli):
    out = run_cli("query", "SELECT ?z\nWHERE {\n  ?z a pk:PilotZone\n  FILTER(\n}")
    assert re.search(r"line 5, column \d+", out.stderr), out.stderr


def test_service_is_refused(run_cli):
    out = run_cli("query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert out.returncode == 2
    assert "SERVICE is not allowed" in out.stderr
    assert out.stdout == ""


def test_service_inside_a_string_is_not_refused(run_cli):
    out = run_cli("query", 'SELECT ?l WHERE { ?s rdfs:label ?l FILTER(CONTAINS(STR(?l), "SERVICE")) }')
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("how", ["both", "neither"])
def test_query_needs_exactly_one_source(how, run_cli, tmp_path):
    query_file = tmp_path / "q.rq"
    query_file.write_text(ZONES_QUERY, encoding="utf-8")
    args = ["query", ZONES_QUERY, "-f", query_file] if how == "both" else ["query"]
    out = run_cli(*args)
    assert out.returncode == 2
    assert "either as an argument or with -f FILE" in out.stderr


def test_query_file_missing(run_cli, tmp_path):
    out = run_cli("query", "-f", tmp_path / "nope.rq")
    assert out.returncode == 2
    assert "nope.rq" in out.stderr


def test_graph_output_for_select_is_refused(run_cli):
    out = run_cli("query", "--output", "turtle", ZONES_QUERY)
    assert out.returncode == 2
    assert "turtle/ntriples output is for CONSTRUCT and DESCRIBE queries" in out.stderr


def test_table_output_for_construct_is_refused(run_cli):
    out = run_cli("query", "--output", "csv", PROVINCES_CONSTRUCT)
    assert out.returncode == 2


# --- stats ------------------------------------------------------------------------------------------


def test_stats_table(run_cli):
    out = run_cli("stats")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["class", "total"]
    zone_row = next(line.split() for line in lines if line.startswith("PilotZone "))
    assert zone_row[1] == "21"
    assert re.search(r"^\d+ quads in ", lines[-1])


def test_stats_json(run_cli, built):
    out = run_cli("stats", "--json")
    assert out.returncode == 0
    doc = json.loads(out.stdout)
    assert doc["classes"]["PilotZone"] == 21
    assert doc["classes"]["SourceDocument"] == 5
    assert doc["per_source"]["PilotZone"] == {"000-42920e4a0d4c72dd": 1, "001-e77d55302f611b21": 11,
                                              "003-3e4a61702f265df0": 9}
    assert doc["quads"] == len(built.nquads_path.read_text(encoding="utf-8").splitlines())


# --- validate ---------------------------------------------------------------------------------------

ZONE = f"{PKR}zone/test-hejiang-copy"


def zone_record(with_cover: bool = True) -> str:
    """A new pilot zone citing real evidence (the quote "Hejiang County" in seed 003)."""
    text = (seeds_dir() / "003_3e4a61702f265df0.txt").read_text(encoding="utf-8")
    start = text.index("Hejiang County")
    cover = "    pk:coversDivision <division/510522> ;\n" if with_cover else ""
    return (
        f"@base <{PKR}> .\n"
        "@prefix pk: <https://w3id.org/pilotkg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<zone/test-hejiang-copy> a pk:PilotZone ;\n"
        '    rdfs:label "Hejiang County (test copy)"@en ;\n'
        "    pk:inProgramme <programme/sichuan-county-integrated-reform-pilot> ;\n"
        f"{cover}"
        "    pk:inProvince <division/510000> ;\n"
        "    pk:derivedFrom <source/003-3e4a61702f265df0> ;\n"
        f"    pk:evidence <evidence/003-3e4a61702f265df0/{start}-{start + len('Hejiang County')}> .\n"
    )


def test_validate_good_record(run_cli, tmp_path):
    record = tmp_path / "zone.ttl"
    record.write_text(zone_record(), encoding="utf-8")
    out = run_cli("validate", "--with-dataset", record)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Conforms")


def test_validate_broken_record_names_shape_focus_and_message(run_cli, tmp_path):
    record = tmp_path / "zone.ttl"
    record.write_text(zone_record(with_cover=False), encoding="utf-8")
    out = run_cli("validate", "--with-dataset", record)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith("Does not conform: 1 violation(s)")
    assert "Violation: A pilot zone needs at least one covered administrative division" in out.stdout
    assert f"focus node: {ZONE}" in out.stdout
    assert "path:       https://w3id.org/pilotkg/ontology#coversDivision" in out.stdout
    assert "shape:      https://w3id.org/pilotkg/shapes#PilotZoneShape-coversDivision" in out.stdout


def test_validate_json_report(run_cli, tmp_path):
    record = tmp_path / "zone.ttl"
    record.write_text(zone_record(with_cover=False), encoding="utf-8")
    out = run_cli("validate", "--report", "json", record)  # alone: its references do not resolve either
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["conforms"] is False
    cover = [r for r in report["results"] if r["path"] == PK + "coversDivision"]
    assert cover and cover[0]["focus_node"] == ZONE and cover[0]["severity"] == "Violation"
    assert cover[0]["shape"].endswith("PilotZoneShape-coversDivision")


def test_validate_syntax_error_names_line_and_column(run_cli, tmp_path):
    record = tmp_path / "bad.ttl"
    record.write_text(
        "@prefix pk: <https://w3id.org/pilotkg/ontology#> .\n"
        f"<{ZONE}> a pk:PilotZone .\n"
        f"<{ZONE}> pk:inProgramme pk:a pk:b .\n",
        encoding="utf-8",
    )
    out = run_cli("validate", record)
    assert out.returncode == 2
    assert re.search(r"bad\.ttl at line 3, column \d+", out.stderr), out.stderr


def test_validate_unknown_extension_asks_for_format(run_cli, tmp_path):
    record = tmp_path / "zone.data"
    record.write_text(zone_record(), encoding="utf-8")
    out = run_cli("validate", record)
    assert out.returncode == 2
    assert "zone.data" in out.stderr and "pass --format" in out.stderr
    out = run_cli("validate", "--format", "turtle", "--report", "json", record)
    assert out.returncode in (0, 1) and "conforms" in json.loads(out.stdout)


def test_validate_missing_file(run_cli, tmp_path):
    out = run_cli("validate", tmp_path / "nothere.ttl")
    assert out.returncode == 2
    assert "nothere.ttl" in out.stderr and "cannot read the file" in out.stderr


def test_validate_needs_a_file(run_cli):
    out = run_cli("validate")
    assert out.returncode == 2
    assert "Missing argument 'FILES...'" in out.stderr


def test_serve_on_a_port_in_use_says_so_in_one_line_and_exits_1(built, tmp_path):
    import socket
    import subprocess

    from support import console_script, fresh_copy

    command = console_script("pilotkg")
    if command is None:
        pytest.skip("the pilotkg command is not installed")
    data = fresh_copy(built.data_dir, tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = subprocess.run([command, "--data", str(data), "serve", "--port", str(port), "--workers", "1"],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error")]
    assert errors == [f"Error: cannot listen on 127.0.0.1:{port}: the port is in use (another server?); "
                      "choose another with --port"], out.stderr
    assert "Traceback" not in out.stderr
