"""``pilotkg dump`` and ``pilotkg restore``: a consistent, checksummed backup of the
embedded store, and loading one back.

``dump`` opens the store read-only, so it works while ``pilotkg serve`` runs on
the same data folder: it reads one snapshot (writes committed after it are not
in the backup, writes before it are, whole). ``restore`` needs the store to
itself: it refuses while a server holds it.

Exit codes: 0 done; 1 refused or failed (no store, a checksum that is missing
or does not match, a server holding the store, a write that failed); 2 unusable
input (a backup that is not N-Quads).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from pilotkg.graph.backup import (
    RESTORE_MARKER,
    BackupError,
    ChecksumError,
    default_backup_path,
    read_backup,
    verify,
    write_atomically,
    write_backup,
)
from pilotkg.graph.build import DATASET_FILE
from pilotkg.graph.settings import global_settings
from pilotkg.graph.store import STORE_DIR, STORE_LAYOUT, EmbeddedStore, StoreError
from pilotkg.graph.store_file import is_stale

from .cli import STAMP_FILE

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _data_dir(ctx: click.Context) -> Path:
    root = ctx.find_root()
    return Path((root.obj or {}).get("data") or root.params.get("data") or "pilotkg-data")


@click.command("dump")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The backup file (N-Quads). Default: DATA/backups/pilotkg-YYYYmmdd-HHMMSS.nq (UTC).")
@global_settings("data", "config")
@click.pass_context
def dump(ctx: click.Context, output: str | None) -> None:
    """Back up the embedded store to sorted N-Quads, with a checksum beside it.

    Reads one snapshot of DATA/store (read-only, so a running server may go on
    serving and writing), then writes FILE and FILE.sha256 (`sha256sum -c`
    format), each atomically. Prints the file, its counts and its SHA-256.
    """
    data = _data_dir(ctx)
    store_dir = data / STORE_DIR
    if not store_dir.is_dir():
        _fail(f"there is no store in {store_dir}; `pilotkg --data {data} serve` loads it on its first start")
    target = Path(output) if output else default_backup_path(data)
    try:
        store = EmbeddedStore(store_dir, read_only=True)
    except StoreError as err:
        _fail(str(err))
    try:
        backup = write_backup(store, target)
    except BackupError as err:
        _fail(str(err))
    finally:
        store.close()
    click.echo(f"wrote {backup.path} ({backup.quads} quads in {backup.graphs} named graphs, {backup.size} bytes)")
    click.echo(f"wrote {backup.checksum_path} (sha256 {backup.sha256})")


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-verify", is_flag=True, help="Restore even if BACKUP.sha256 is missing or does not match.")
@global_settings("data", "config")
@click.pass_context
def restore(ctx: click.Context, backup: str, no_verify: bool) -> None:
    """Replace the whole content of the embedded store with a backup made by `pilotkg dump`.

    Checks BACKUP against BACKUP.sha256 and parses all of it before anything is
    replaced; refuses while a server holds the store (stop it first). The data
    folder must hold an up-to-date built dataset (`pilotkg build`), so that
    `pilotkg serve` keeps the restored content instead of loading the dataset
    over it. An interrupted restore is recorded in DATA/restore-in-progress, and
    `pilotkg serve` refuses to start until the restore is run again.
    """
    data = _data_dir(ctx)
    path = Path(backup).resolve()
    if not no_verify:
        try:
            digest = verify(path)
        except ChecksumError as err:
            _fail(str(err))
        click.echo(f"checksum ok: sha256 {digest}", err=True)
    try:
        quads, graphs = read_backup(path)
    except BackupError as err:
        _fail(f"{err}; nothing was restored", EXIT_BAD_INPUT)
    if not data.is_dir() or is_stale(data):
        _fail(f"{data} holds no up-to-date built dataset; run `pilotkg --data {data} build` first "
              "(otherwise `pilotkg serve` would build one and load it over the restored data); nothing was restored")
    try:
        store = EmbeddedStore(data / STORE_DIR)
    except StoreError as err:  # StoreLocked (a server holds it) says "stop the server first"
        _fail(f"{err}; nothing was restored")
    marker = data / RESTORE_MARKER
    try:
        write_atomically(marker, f"{path}\n".encode("utf-8"))
        store.replace_all(path)
        now = store.count()
        if now != quads:
            _fail(f"the store holds {now} quads after the restore, the backup {quads}; run the restore again")
        # `pilotkg serve` reloads the dataset when this stamp does not match it: make it match.
        stamp = hashlib.sha256((data / DATASET_FILE).read_bytes()).hexdigest()
        write_atomically(data / STAMP_FILE, f"{stamp} {STORE_LAYOUT}\n".encode("utf-8"))
        marker.unlink()
    except (StoreError, OSError) as err:
        _fail(f"the restore failed: {err}; run it again (`pilotkg serve` refuses to start until it succeeds)")
    finally:
        store.close()
    click.echo(f"restored {quads} quads in {graphs} named graphs from {path} into {data / STORE_DIR}")
