"""``pilotkg ingest``: extract a draft graph from a new text, report what was found
and what could not be resolved, validate it, and optionally stage it on a server.

Exit codes: 0 the draft conforms to the shapes (warnings allowed); 1 it has
violations (or the server refused it as data); 2 unusable input (missing file,
not UTF-8, a bad --date/--url/--curation) or a staging request that could not be
made (no /imports endpoint, refused token, server unreachable).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from .extract.ingest import IngestInputError, StageError, ingest as run_ingest, stage as stage_import
from .extract.review import review_endpoint, stage_review


def _echo_err(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


@click.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--title", help="The policy's title, when the text's first line is not it (evidence: the title in the text, else the first line).")
@click.option("--date", "date", help="The policy's issue date (YYYY-MM-DD, YYYY-MM, YYYY); stated as pk:issuedOn only if the text states it.")
@click.option("--url", help="Where the text was published (dcterms:source of the source document).")
@click.option("--curation", type=click.Path(dir_okay=False), default=None,
              help="A curation file for the text: extract it exactly as the build extracts a seed instead of using the generic rules.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Where to write the draft graph (TriG). Default: FILE's name with .draft.trig, beside it.")
@click.option("--report", "report_fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the report (found, unknown bodies and places, SHACL).")
@click.option("--stage", is_flag=True,
              help="Also stage the text on SERVER for review (its /ingest page: every finding with its quote, "
                   "accept/reject/correct, commit) and print the review page's URL; a server without the review "
                   "endpoint, --as-import or --curation: POST the TriG draft to SERVER/imports as a staged import. "
                   "Needs --server and --token.")
@click.option("--as-import", "as_import", is_flag=True,
              help="With --stage: POST the TriG draft to SERVER/imports (a staged import) instead of staging a review.")
@click.option("--server", help="Root URL of a running pilotkg server, e.g. http://127.0.0.1:8080 (for --stage).")
@click.option("--token", envvar="PILOTKG_TOKEN", show_envvar=True, help="Curator bearer token for --stage.")
def ingest(file: str, title: str | None, date: str | None, url: str | None, curation: str | None, output: str | None,
           report_fmt: str, stage: bool, as_import: bool, server: str | None, token: str | None) -> None:
    """Extract a draft graph from FILE, a text that is not in seeds/.

    Runs the extraction pipeline of the build with generic rules in place of a
    curation file: the policy (the title), its tasks (the outline), objectives,
    the pilot programme it names, the zones a designating sentence names, bodies
    and their responsibilities, dates and declared counts, each with the quote
    and offsets that state it. Places the seed gazetteer does not know are looked
    up in the national gazetteer of divisions; bodies and places neither knows,
    and place names it cannot tell apart (with their candidates), are reported,
    never added. Writes the draft (named graph
    https://w3id.org/pilotkg/id/graph/draft/DOC) as TriG, prints the report and
    the SHACL validation of the draft with the reference graph.

    Exit 0 if the draft conforms, 1 if it has violations, 2 on unusable input.
    """
    if stage and not (server and token):
        _echo_err("--stage needs --server URL and --token TOKEN (or PILOTKG_TOKEN)")
        sys.exit(EXIT_BAD_INPUT)
    try:
        result = run_ingest(file, title=title, date=date, url=url, curation=curation)
    except IngestInputError as err:
        _echo_err(str(err))
        sys.exit(EXIT_BAD_INPUT)
    target = Path(output) if output else Path(file).with_name(Path(file).stem + ".draft.trig")
    body = result.trig().encode("utf-8")
    try:
        target.write_bytes(body)
    except OSError as err:
        _echo_err(f"cannot write the draft to {target}: {err.strerror}")
        sys.exit(EXIT_BAD_INPUT)
    if report_fmt == "json":
        click.echo(result.as_json())
    else:
        click.echo(result.as_text())
    click.echo(f"wrote {target} ({len(result.quads)} quads, graph <{result.graph}>)", err=True)
    if not stage:
        sys.exit(EXIT_OK if result.conforms else EXIT_FAILED)
    if not as_import and curation is None:
        try:
            if review_endpoint(server, token):
                page = stage_review(file, server, token, title=title, date=date, url=url)
                click.echo(f"Staged review: {page}")
                sys.exit(EXIT_OK)
        except StageError as err:
            _echo_err(f"not staged: {err} (the draft is in {target})")
            sys.exit(EXIT_FAILED if err.status in (400, 422) else EXIT_BAD_INPUT)
        click.echo(f"{server.rstrip('/')} has no review endpoint (/ingest): staging the draft as an import", err=True)
    if not result.conforms:
        _echo_err(f"not staged: the draft has {len(result.report.violations)} violation(s); fix them first")
        sys.exit(EXIT_FAILED)
    try:
        location = stage_import(body, str(result.graph), server, token)
    except StageError as err:
        _echo_err(f"not staged: {err} (the draft is in {target})")
        sys.exit(EXIT_FAILED if err.status == 422 else EXIT_BAD_INPUT)
    click.echo(f"Staged import: {location}")
    sys.exit(EXIT_OK)

