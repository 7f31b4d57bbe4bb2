"""``pilotkg import FILE --graph IRI [--replace] [--dry-run]``: the staged import
of the server, from the command line, on the embedded store of the data folder
(when no server holds it): the same planning, validation and one-transaction
commit, recorded in the same audit log."""

from __future__ import annotations

import getpass
import json
import sys
import threading
import uuid
from pathlib import Path

import click

from pilotkg.graph.cli import ensure_built
from pilotkg.graph.curate import WriteRefused, parse_submission
from pilotkg.graph.rdfio import FORMATS, RdfSyntaxError, guess_format
from pilotkg.graph.settings import global_settings
from pilotkg.graph.store import STORE_DIR, StoreError, open_store

from .audit import AuditLog
from .config import ServerConfig
from .writes import Writes

EXIT_OK, EXIT_REFUSED, EXIT_BAD_INPUT = 0, 1, 2


class _Local:
    """What :class:`~pilotkg.server.writes.Writes` needs, without a server: the store and the audit log."""

    def __init__(self, store, audit: AuditLog):
        self.store, self.audit = store, audit
        self.write_lock = threading.Lock()

    def after_write(self) -> None:
        pass


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--graph", "graph", required=True, help="The named graph to import into (an absolute IRI).")
@click.option("--replace", is_flag=True, help="Replace the graph's content (default: add to it).")
@click.option("--dry-run", is_flag=True, help="Show the report and the diff; change nothing.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default=None, help="RDF format (default: from the extension).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@global_settings()
@click.pass_context
def import_cmd(ctx: click.Context, file: str, graph: str, replace: bool, dry_run: bool, fmt: str | None, as_json: bool) -> None:
    """Validate FILE against the shapes together with the dataset and, unless
    --dry-run, commit it into GRAPH in one transaction.

    Exit 0 committed (or would commit), 1 refused (violations, listed), 2
    unusable input or a store held by a running server.
    """
    data_dir: Path = ctx.obj["data"]
    try:
        name = guess_format(file, fmt)
        quads = parse_submission(Path(file).read_bytes(), name, source=file)
    except (RdfSyntaxError, ValueError, OSError) as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    ensure_built(data_dir, ctx.obj["reasoner"])
    config = ServerConfig(data=data_dir)
    if not (data_dir / STORE_DIR).exists():
        from .cli import prepare_store

        prepare_store(config)
    try:
        store = open_store(str(data_dir))
    except StoreError as err:
        click.echo(f"Error: {err}\nIs a server running on {data_dir}? Stage the import with POST /imports instead.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        writes = Writes(_Local(store, AuditLog(config.audit_path)))
        try:
            plan = writes.plan_graph(graph, quads, replace=replace)
        except WriteRefused as err:
            click.echo(f"Refused: {err}", err=True)
            sys.exit(EXIT_REFUSED if err.status == 422 else EXIT_BAD_INPUT)
        _print_plan(plan, graph, as_json)
        if not plan.allowed:
            click.echo("Refused: the import would violate the shapes; nothing was changed.", err=True)
            sys.exit(EXIT_REFUSED)
        if dry_run:
            click.echo("Dry run: nothing was changed.", err=True)
            return
        who = f"cli:{getpass.getuser()}"
        writes.commit(lambda: writes.plan_graph(graph, quads, replace=replace), curator=who, role="admin",
                      action="import-commit", request_id=uuid.uuid4().hex)
        click.echo(f"Committed into {graph}.", err=True)
    finally:
        store.close()


def _print_plan(plan, graph: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({**plan.summary(), "diff": plan.data.listing(),
                               "results": [r.__dict__ for r in plan.report.results]}, indent=2, ensure_ascii=False))
        return
    counts = plan.data.counts().get(graph, {"added": 0, "removed": 0})
    click.echo(f"{graph}: +{counts['added']} -{counts['removed']} triples; inferred +{len(plan.inferred.added)} "
               f"-{len(plan.inferred.removed)}")
    click.echo(plan.report.as_text())
    for problem in plan.evidence_problems:
        click.echo(f"Evidence: {problem}")
