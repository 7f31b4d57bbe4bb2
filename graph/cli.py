"""The ``pilotkg`` command: build, export, validate, query, stats.

Exit codes scripts can trust: 0 success; 1 the data does not conform (validate)
or the build failed; 2 unusable input (bad arguments, a file that does not
parse, a malformed query). Other packages add commands (``serve``) through the
``pilotkg.commands`` entry-point group, so this layer never imports the server.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import click
import pyoxigraph as ox

from . import __version__
from .build import BuildError, build, write
from .rdfio import FORMATS, RdfSyntaxError, dataset_from_nquads, parse_file, turtle_from_ntriples
from .reason import DEFAULT_REASONER
from .settings import apply_global, global_options, global_settings
from .sparql_safety import check_untrusted, syntax_error_message
from .store_file import dataset_path, is_stale, open_store, run_query
from .validate import validate_graph

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _echo_err(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


class PilotkgGroup(click.Group):
    """A click group that also lists the commands other pilotkg packages register."""

    def _plugins(self) -> dict[str, click.Command]:
        found = {}
        for ep in entry_points(group="pilotkg.commands"):
            try:
                found[ep.name] = ep.load()
            except ImportError:  # a plugin whose dependencies are missing: leave it out
                continue
        return found

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._plugins().get(name)


@click.group(cls=PilotkgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.version_option(__version__, prog_name="pilotkg")
@click.pass_context
def main(ctx: click.Context, data: str | None, config: str | None, reasoner: str | None) -> None:
    """pilotkg: China's reform pilot zones as linked data.

    Builds an evidence-carrying RDF dataset from the source texts in seeds/,
    reasons over it (OWL RL), validates it (SHACL) and queries it (SPARQL).
    The global settings (--data, --config, --reasoner) may also follow the
    command name: `pilotkg serve --data DIR` is `pilotkg --data DIR serve`.
    """
    apply_global(ctx, {"data": data, "config": config, "reasoner": reasoner})


def build_into(data_dir: Path, quiet: bool = False, reasoner: str = DEFAULT_REASONER) -> None:
    """Build the dataset into ``data_dir`` with ``reasoner``, printing progress and a summary; exits 1 on failure."""
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    try:
        result = build(progress=progress, reasoner=reasoner)
    except BuildError as err:
        _echo_err(str(err))
        sys.exit(EXIT_FAILED)
    target = write(result, data_dir)
    if not quiet:
        counts = result.counts()
        click.echo(f"[{time.perf_counter() - started:6.1f}s] wrote {target} ({counts['quads']} quads)", err=True)
        click.echo("Summary:")
        for key, value in counts.items():
            click.echo(f"  {key:<36} {value:>7}")
        for e in result.extractions:
            for w in e.warnings:
                click.echo(f"  warning: {w}", err=True)
        click.echo(f"  shape warnings/infos: {len(result.report.warnings)} (see `pilotkg validate`)")


def ensure_built(data_dir: Path, reasoner: str = DEFAULT_REASONER) -> Path:
    """Build the dataset into ``data_dir`` (with ``reasoner``) if it is missing or older than the seeds.

    A dataset built with the other reasoner is kept: both give the same bytes
    (tests/test_build.py), so the choice never forces a rebuild.
    """
    if is_stale(data_dir):
        click.echo(f"The dataset in {data_dir} is missing or older than the seeds; building it first.", err=True)
        build_into(data_dir, quiet=False, reasoner=reasoner)
    return data_dir


def _ensure_built(ctx: click.Context) -> Path:
    return ensure_built(ctx.obj["data"], ctx.obj["reasoner"])


@main.command("build")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@global_settings()
@click.pass_context
def build_cmd(ctx: click.Context, quiet: bool) -> None:
    """Build the dataset from seeds/ into the data folder.

    Extracts every text with its curation file, adds the gazetteer, runs the
    OWL RL closure (--reasoner: reasonable, the default, or owlrl; the same
    dataset either way), validates with SHACL and writes sorted N-Quads
    (DATA/dataset.nq). Exits 1, printing the reason, if any step fails.
    """
    build_into(ctx.obj["data"], quiet=quiet, reasoner=ctx.obj["reasoner"])


EXPORT_FORMATS = ("nquads", "trig", "turtle", "jsonld", "ntriples")


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="nquads", show_default=True,
              help="turtle and ntriples merge all named graphs into one graph.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write ('-' for standard output).")
@global_settings()
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, output: str) -> None:
    """Export the whole dataset (ontology, reference, sources, inferred)."""
    source = dataset_path(_ensure_built(ctx))
    body = source.read_bytes() if fmt == "nquads" else serialize_dataset(source, fmt)
    if output == "-":
        sys.stdout.buffer.write(body)
    else:
        Path(output).write_bytes(body)
        click.echo(f"wrote {output} ({len(body)} bytes, {fmt})", err=True)


def serialize_dataset(nquads: Path, fmt: str) -> bytes:
    """The built dataset in another format; turtle and ntriples merge the named graphs."""
    from .namespaces import PREFIXES

    if fmt in ("trig", "jsonld"):
        ds = dataset_from_nquads(nquads)
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns)
        return ds.serialize(format="trig" if fmt == "trig" else "json-ld").encode("utf-8")
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    triples = sorted({str(q.triple) + " ." for q in store})
    if fmt == "ntriples":
        return ("\n".join(triples) + "\n").encode("utf-8")
    return turtle_from_ntriples(triples).encode("utf-8")


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None,
              help="RDF format of the files (default: from each file's extension).")
@click.option("--report", "report_fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              show_default=True, help="How to print the validation report.")
@click.option("--with-dataset", is_flag=True,
              help="Validate together with the built dataset, so references to its bodies, divisions and "
                   "zones resolve; only results about the files' own subjects are reported.")
@global_settings()
@click.pass_context
def validate_cmd(ctx: click.Context, files: tuple[str, ...], fmt: str | None, report_fmt: str, with_dataset: bool) -> None:
    """Validate RDF FILES against the pilotkg shapes.

    Exit 0 if the data conforms (warnings allowed), 1 if any shape is
    violated, 2 if a file cannot be read or parsed (with its line and column).
    """
    from rdflib import Graph

    data = Graph()
    own_subjects = set()
    for name in files:
        try:
            g = parse_file(name, fmt)
        except (RdfSyntaxError, ValueError) as err:
            _echo_err(str(err))
            sys.exit(EXIT_BAD_INPUT)
        for triple in g:
            data.add(triple)
            own_subjects.add(triple[0])
    if with_dataset:
        data_dir = _ensure_built(ctx)
        ds = dataset_from_nquads(dataset_path(data_dir))
        for s, p, o, _g in ds.quads():
            data.add((s, p, o))
    report = validate_graph(data)
    if with_dataset:
        report.results = [r for r in report.results if r.focus_node in {str(s) for s in own_subjects}]
        report.conforms = not report.violations
    if report_fmt == "json":
        click.echo(report.as_json())
    elif report_fmt == "turtle":
        click.echo(report.graph.serialize(format="turtle"))
    else:
        click.echo(report.as_text())
    sys.exit(EXIT_OK if report.conforms else EXIT_FAILED)


QUERY_OUTPUTS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples")


@main.command("query")
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option("--output", "out", type=click.Choice(QUERY_OUTPUTS), default="table", show_default=True,
              help="table/csv/tsv/json/xml for SELECT and ASK; turtle/ntriples for CONSTRUCT and DESCRIBE.")
@global_settings()
@click.pass_context
def query_cmd(ctx: click.Context, query: str | None, query_file, out: str) -> None:
    """Run a SPARQL query over the built dataset (default graph = union of all graphs).

    The prefixes pk:, pkr:, theme:, role:, oa:, prov:, skos:, rdfs: ... are
    predeclared. SERVICE is refused: a query never reaches the network.
    """
    if bool(query) == bool(query_file):
        _echo_err("give the query either as an argument or with -f FILE (not both)")
        sys.exit(EXIT_BAD_INPUT)
    text = query if query else query_file.read()
    data_dir = _ensure_built(ctx)
    store = open_store(data_dir)
    try:
        check_untrusted(text)
        results = run_query(store, text)
    except SyntaxError as err:
        _echo_err(f"malformed query: {syntax_error_message(err)}")
        sys.exit(EXIT_BAD_INPUT)
    except ValueError as err:
        _echo_err(str(err))
        sys.exit(EXIT_BAD_INPUT)
    click.echo(render_results(results, out), nl=False)


def _term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return _compact(term.value)
    return term.value


def _compact(value: str) -> str:
    from .namespaces import PREFIXES

    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(str(kv[1]))):
        if value.startswith(str(ns)):
            return f"{prefix}:{value[len(str(ns)):]}"
    return f"<{value}>"


def render_results(results, out: str) -> str:
    """Render pyoxigraph query results as text in one of QUERY_OUTPUTS."""
    if isinstance(results, ox.QueryBoolean):
        if out == "table":
            return f"{bool(results)}\n".lower()
        return _serialize_results(results, out)
    if isinstance(results, ox.QuerySolutions):
        if out in ("turtle", "ntriples"):
            raise click.UsageError("turtle/ntriples output is for CONSTRUCT and DESCRIBE queries")
        if out != "table":
            return _serialize_results(results, out)
        names = [v.value for v in results.variables]
        rows = [[_term(sol[name]) for name in names] for sol in results]
        widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
        line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        text = [line(names), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows]
        return "\n".join(text) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
    if out in ("csv", "tsv", "json", "xml"):
        raise click.UsageError(f"--output {out} is for SELECT and ASK queries; use turtle or ntriples for CONSTRUCT and DESCRIBE")
    triples = sorted({str(t) + " ." for t in results})
    if out == "ntriples":
        return "\n".join(triples) + "\n"
    return turtle_from_ntriples(triples)


def _serialize_results(results, out: str) -> str:
    if out in ("csv", "tsv"):  # spreadsheet-safe, as the server writes them (see graph/tabular.py)
        from . import tabular

        if isinstance(results, ox.QueryBoolean):
            return tabular.write_boolean(bool(results)).decode("utf-8")
        write = tabular.write_csv if out == "csv" else tabular.write_tsv
        return write(*tabular.solution_rows(results)).decode("utf-8")
    fmt = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}.get(out)
    if fmt is None:
        raise click.UsageError(f"--output {out} is for CONSTRUCT and DESCRIBE queries")
    return results.serialize(format=fmt).decode("utf-8")


STATS_QUERY = """
SELECT ?class ?source (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER(STRSTARTS(STR(?class), STR(pk:)))
  BIND(IF(CONTAINS(STR(?g), "/graph/source/"), STRAFTER(STR(?g), "/graph/source/"), STRAFTER(STR(?g), "/graph/")) AS ?source)
} GROUP BY ?class ?source ORDER BY ?class ?source
"""


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@global_settings()
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool) -> None:
    """Counts of instances per class, overall and per source graph."""
    store = open_store(_ensure_built(ctx))
    table: dict[str, dict[str, int]] = {}
    for sol in run_query(store, STATS_QUERY):
        cls = sol["class"].value.rsplit("#", 1)[1]
        table.setdefault(cls, {})[sol["source"].value] = int(sol["n"].value)
    totals = {}
    for sol in run_query(store, "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER(STRSTARTS(STR(?class), STR(pk:))) } GROUP BY ?class"):
        totals[sol["class"].value.rsplit("#", 1)[1]] = int(sol["n"].value)
    triples = int(next(iter(run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    if as_json:
        click.echo(json.dumps({"quads": triples, "classes": totals, "per_source": table}, indent=2, sort_keys=True))
        return
    sources = sorted({src for row in table.values() for src in row})
    header = ["class", "total"] + sources
    rows = [[cls, str(totals.get(cls, 0))] + [str(table[cls].get(src, "")) for src in sources] for cls in sorted(table)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    click.echo(f"\n{triples} quads in {dataset_path(ctx.obj['data'])}")
