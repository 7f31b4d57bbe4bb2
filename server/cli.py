"""``pilotkg serve``: build the dataset if needed, load it into the store, and
serve it with a production WSGI server (waitress)."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import click

from pilotkg.graph.backup import RESTORE_MARKER
from pilotkg.graph.build import DATASET_FILE
from pilotkg.graph.cli import ensure_built
from pilotkg.graph.settings import SettingsError, global_settings, resolve, setting_option
from pilotkg.graph.store import STORE_DIR, STORE_LAYOUT, StoreError, open_store

from .auth import TokensFileError, read_tokens
from .config import ServerConfig
from .cors import OriginsError, parse_origins

STAMP_FILE = "store-dataset.sha256"
EMPTY_MARKER = "empty-dataset"  # written by `serve --empty` into a data folder it serves
SERVE_SETTINGS = ("host", "port", "store", "store-engine", "store-update", "store-data", "workers", "threads",
                  "query-timeout", "max-rows", "max-body", "max-triples", "max-literal", "worker-memory", "write-timeout",
                  "client-queries", "short-workers", "update-token", "tokens-file", "cors-origins", "behind-proxy")
# and the global --data, --config, --reasoner


def _options(func):
    for name in reversed(SERVE_SETTINGS):
        func = setting_option(name, default_from_table=False)(func)
    return func


@click.command("serve")
@_options
@click.option("--empty", is_flag=True,
              help="Serve an empty writable dataset instead of the built one (no build; CLEAR ALL and DROP ALL "
                   "allowed), e.g. for protocol test suites; in a new temporary folder unless --data is given.")
@global_settings()
@click.pass_context
def serve(ctx: click.Context, empty: bool = False, **given) -> None:
    """Serve the dataset over SPARQL 1.1 on http://HOST:PORT/sparql.

    Builds the dataset from seeds/ into the data folder if it is missing or
    older than the seeds, loads it into the store (embedded, or --store URL),
    and serves it with waitress. Settings come from options, PILOTKG_*
    environment variables, or a TOML file (--config); see the README.
    """
    given = {k.replace("-", "_"): v for k, v in given.items()}
    given.update(ctx.obj["given"])  # --data, --config, --reasoner (before or after `serve`) or PILOTKG_*: beat the config file
    try:
        values = resolve(given, given.get("config") or None)
    except SettingsError as err:
        raise click.UsageError(str(err)) from err
    temporary = None
    if empty:
        temporary = _empty_folder(values, explicit="data" in given or str(values["data"]) != "pilotkg-data")
    config = ServerConfig.from_settings(values)
    config.empty = empty
    try:
        _check_store_settings(config)
        try:
            parse_origins(config.cors_origins)
        except OriginsError as err:
            raise click.UsageError(str(err)) from err
        if config.behind_proxy < 0:
            raise click.UsageError(f"behind-proxy must be 0 or more (the reverse proxies in front), not {config.behind_proxy}")
        try:
            read_tokens(config.tokens_path)  # a bad tokens file stops here, before any build or load
        except TokensFileError as err:
            raise click.UsageError(str(err)) from err
        _configure_logging()
        if empty:
            click.echo(f"pilotkg: serving an EMPTY writable dataset in {config.data} (--empty: no built dataset, "
                       "CLEAR ALL and DROP ALL allowed)", err=True)
        else:
            ensure_built(config.data, values["reasoner"])
            try:
                prepare_store(config)
            except StoreError as err:
                click.echo(f"Error: {err}", err=True)
                sys.exit(1)
        run(config)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _empty_folder(values: dict, *, explicit: bool) -> Path | None:
    """The data folder of ``serve --empty`` (set in ``values``): the given one, which must hold no
    built dataset (new, or made by --empty before), or a new temporary one, returned to be removed."""
    if values.get("store"):
        raise click.UsageError("--empty serves an embedded store of its own; it cannot be used with --store")
    if not explicit:
        folder = Path(tempfile.mkdtemp(prefix="pilotkg-empty-"))
        values["data"] = folder
        (folder / EMPTY_MARKER).write_text("made by pilotkg serve --empty\n", encoding="utf-8")
        return folder
    folder = Path(values["data"])
    if (folder / DATASET_FILE).exists() or ((folder / STORE_DIR).exists() and not (folder / EMPTY_MARKER).exists()):
        raise click.UsageError(f"{folder} holds a built dataset or its store; --empty serves a new folder "
                               "(or one it made before): give another --data")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / EMPTY_MARKER).write_text("made by pilotkg serve --empty\n", encoding="utf-8")
    return None


def _check_store_settings(config: ServerConfig) -> None:
    """A wrong engine name or URL, or a store setting without --store, stops here (usage error)."""
    from pilotkg.graph.store_remote import RemoteStore

    if not config.store:
        given = [f"--{name}" for name in ("store-update", "store-data") if getattr(config, name.replace("-", "_"))]
        if config.store_engine not in ("", "auto"):
            given.append("--store-engine")
        if given:
            raise click.UsageError(f"{', '.join(given)} only apply to a remote store: give its URL with --store")
        return
    try:
        RemoteStore(config.store, **{k: v for k, v in config.remote_options.items() if v})
    except ValueError as err:
        raise click.UsageError(str(err)) from err


def prepare_store(config: ServerConfig) -> None:
    """Load the built dataset into the store unless it already holds this very dataset.

    Refuses (StoreError) while a ``pilotkg restore`` into this folder is unfinished:
    the store then holds part of a backup, and loading the dataset over it would hide that.
    """
    marker = config.data / RESTORE_MARKER
    if not config.store and marker.exists():
        backup = marker.read_text(encoding="utf-8", errors="replace").strip() or "BACKUP"
        raise StoreError(
            f"a restore into {config.data} did not finish (the store may hold part of a backup); "
            f"run `pilotkg --data {config.data} restore {backup}` again before serving"
        )
    dataset = config.data / DATASET_FILE
    digest = hashlib.sha256(dataset.read_bytes()).hexdigest()
    stamp = config.data / STAMP_FILE
    if not (config.data / STORE_DIR).exists():
        stamp.unlink(missing_ok=True)  # a stamp without its store says nothing
    store = open_store(config.store_target, remote=config.remote_options)
    try:
        if config.store:
            if not store.graphs():
                click.echo(f"loading {dataset} into {config.store}", err=True)
                store.replace_all(dataset)
            else:
                kept = store.ensure_merged_graph()
                if kept:
                    click.echo(f"wrote the merged default graph into {config.store} ({kept} triples)", err=True)
        else:
            words = stamp.read_text().split() if stamp.exists() else []
            rewritten = words != [digest, STORE_LAYOUT]
            if words and words[1:] != [STORE_LAYOUT]:  # a store written before the merged default graph
                moved = store.adopt_default_graph()
                click.echo(f"wrote the merged default graph into the embedded store {config.data / STORE_DIR}"
                           f" ({moved} default-graph triples kept)", err=True)
                words = [words[0], STORE_LAYOUT]
                stamp.write_text(" ".join(words) + "\n")
            if words != [digest, STORE_LAYOUT]:
                click.echo(f"loading {dataset} into the embedded store {config.data / STORE_DIR}", err=True)
                reload_keeping_curated(store, dataset)
                stamp.write_text(f"{digest} {STORE_LAYOUT}\n")
            if rewritten:
                store.compact()  # before the read-only workers open it
    finally:
        store.close()


def reload_keeping_curated(store, dataset) -> None:
    """Replace the built graphs with a rebuilt dataset, keeping every graph curators
    wrote (any graph the build does not make), then re-run the reasoning over both.

    A rebuild must not lose what was acknowledged to a curator. Curated data that
    no longer conforms after a rebuild is kept and its violations are printed, for
    a curator to fix; it is never dropped silently.
    """
    import pyoxigraph as ox

    from pilotkg.graph.curate import commit, plan
    from pilotkg.graph.namespaces import INFERRED_GRAPH
    from pilotkg.graph.store import all_quads

    built_graphs = {q.graph_name for q in ox.parse(path=str(dataset), format=ox.RdfFormat.N_QUADS)}
    inferred = ox.NamedNode(str(INFERRED_GRAPH))
    curated = [q for q in all_quads(store) if q.graph_name not in built_graphs and q.graph_name != inferred]
    store.replace_all(dataset)
    if not curated:
        return
    current = all_quads(store)
    the_plan = plan(current, [q for q in current if q.graph_name != inferred] + curated)
    commit(store, the_plan)
    graphs = sorted({q.graph_name.value for q in curated if isinstance(q.graph_name, ox.NamedNode)})
    click.echo(f"kept {len(curated)} curated triples in {len(graphs)} graph(s): {', '.join(graphs)}", err=True)
    for result in the_plan.report.violations:
        click.echo(f"warning: after the rebuild, curated data violates a shape: {result.focus_node}: {result.message}", err=True)


def run(config: ServerConfig) -> None:
    """Serve until SIGINT/SIGTERM, then stop the workers and close the store."""
    from waitress import create_server

    from .app import create_app
    from .service import Service
    from .writes import TEST_SLOW_COMMIT

    try:
        service = Service(config)
    except TokensFileError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(2)
    app = create_app(config, service)
    try:
        # waitress drops X-Forwarded-* by default; behind a proxy they reach ProxyFix (see server/cors.py)
        server = create_server(app, host=config.host, port=config.port, threads=config.threads, ident="pilotkg",
                               clear_untrusted_proxy_headers=config.behind_proxy <= 0)
    except OSError as err:  # the port is taken, or the address is not this machine's: one line, exit 1
        service.close()
        reason = "the port is in use (another server?)" if err.errno == errno.EADDRINUSE else (err.strerror or str(err))
        click.echo(f"Error: cannot listen on {config.host}:{config.port}: {reason}; choose another with --port", err=True)
        sys.exit(1)

    def stop(signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    if os.environ.get(TEST_SLOW_COMMIT):
        click.echo(f"pilotkg: WARNING: {TEST_SLOW_COMMIT} is set (a test-only hook): every write pauses "
                   f"{os.environ[TEST_SLOW_COMMIT]} s before it commits", err=True)
    click.echo(f"pilotkg serving http://{config.host}:{server.effective_port}/sparql "
               f"({'store ' + config.store if config.store else 'embedded store'}, {config.workers} query workers)", err=True)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        click.echo("pilotkg: shutting down (closing the server, the query workers and the store)", err=True)
        server.close()
        service.close()


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.name == "pilotkg.server.access":
            return record.getMessage()
        return super().format(record)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("pilotkg")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
