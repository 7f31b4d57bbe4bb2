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
from .settings import global_settings
from .extract.ingest import IngestInputError, StageError, ingest as run_ingest, stage as stage_import
from .extract.review import review_endpoint, stage_review


def _echo_err(message: str) -> None:
    click.echo(f"Error: {message}", err=True)


@click.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path())
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
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Batch: worker processes (default: the CPU count, capped by the number of texts; with --dask local, its workers).")
@click.option("--output-dir", type=click.Path(file_okay=False), default=None,
              help="Batch: write NAME.draft.trig and NAME.draft.report.txt|json here instead of beside each text.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Batch: run the texts on the Dask distributed scheduler at ADDRESS (needs pilotkg[dask]; the workers read the texts by path).")
@click.option("--dask", "dask_mode", type=click.Choice(["local"]), default=None,
              help="Batch: run the texts on a local Dask cluster started for the run (needs pilotkg[dask]).")
@click.option("--quiet", "-q", is_flag=True, help="Batch: no progress bar (the final line is printed anyway).")
@global_settings("data", "config")  # accepted after `ingest` as before it (ingest reads neither)
def ingest(files: tuple[str, ...], title: str | None, date: str | None, url: str | None, curation: str | None, output: str | None,
           report_fmt: str, stage: bool, as_import: bool, server: str | None, token: str | None, jobs: int | None, output_dir: str | None,
           scheduler: str | None, dask_mode: str | None, quiet: bool) -> None:
    """Extract a draft graph from FILE, a text that is not in seeds/; or, given a
    folder or several files, from each of their texts in parallel (batch mode).

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

    Batch mode (a folder's *.txt, several files, or any of --jobs, --output-dir,
    --scheduler, --dask, --quiet): one draft and one report per text, a progress
    bar on a terminal, a summary table (or with --report json one JSON
    document); the exit code is the worst of the texts'.

    Exit 0 if the draft conforms, 1 if it has violations, 2 on unusable input.
    """
    if len(files) > 1 or Path(files[0]).is_dir() or any(
        (jobs is not None, output_dir, scheduler, dask_mode, quiet)
    ):
        sys.exit(_ingest_batch(files, dict(title=title, date=date, url=url, curation=curation, output=output, stage=stage,
                                           as_import=as_import, server=server, report_fmt=report_fmt, jobs=jobs, output_dir=output_dir,
                                           scheduler=scheduler, dask_mode=dask_mode, quiet=quiet)))
    file = files[0]
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


_ONE_TEXT_OPTIONS = {"title": "--title", "date": "--date", "url": "--url", "curation": "--curation", "output": "--output",
                     "stage": "--stage", "as_import": "--as-import", "server": "--server"}


def _ingest_batch(files: tuple[str, ...], given: dict) -> int:
    """Batch mode: refuse the options of one text, then hand over to :mod:`.extract.batch`."""
    from .extract import batch

    for name, flag in _ONE_TEXT_OPTIONS.items():
        if given.get(name):
            _echo_err(f"{flag} applies to one text; a batch (a folder or several files) takes --output-dir, --jobs, --report")
            return EXIT_BAD_INPUT
    if given["scheduler"] and given["dask_mode"]:
        _echo_err("give either --scheduler ADDRESS or --dask local, not both")
        return EXIT_BAD_INPUT
    if given["scheduler"] and given["jobs"] is not None:
        _echo_err("--jobs does not apply to --scheduler: the cluster's workers run the texts")
        return EXIT_BAD_INPUT
    return batch.main(files, output_dir=given["output_dir"], report=given["report_fmt"], jobs=given["jobs"],
                      scheduler=given["scheduler"], dask_local=given["dask_mode"] == "local", quiet=given["quiet"])
