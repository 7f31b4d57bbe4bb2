"""Backups of the embedded store: sorted N-Quads with a ``sha256sum``-style checksum.

:func:`write_backup` reads the store once (one read snapshot, so the backup is
consistent even while a server writes), and writes ``FILE`` and
``FILE.sha256`` (``<hex>  <name>``, checkable with ``sha256sum -c``), each
atomically: a temporary file beside it, fsync, rename, fsync of the folder. A
crash leaves either the previous file or the new one, never a torn one; a
backup whose checksum file is missing was not finished.

:func:`verify` and :func:`read_backup` check a backup before anything is
replaced; the command line (``pilotkg dump`` / ``pilotkg restore``) lives in
:mod:`pilotkg.server.cli_backup`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

BACKUP_DIR = "backups"  # DATA/backups: where `pilotkg dump` writes by default
CHECKSUM_SUFFIX = ".sha256"
RESTORE_MARKER = "restore-in-progress"  # DATA/restore-in-progress: a restore that has not finished
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup that cannot be written, read or trusted; the message says why."""


class ChecksumError(BackupError):
    """The checksum file is missing, unreadable, or does not match the backup."""


@dataclass
class Backup:
    path: Path
    sha256: str
    quads: int
    graphs: int
    size: int

    @property
    def checksum_path(self) -> Path:
        return checksum_path(self.path)


def checksum_path(path: Path) -> Path:
    """``FILE.sha256`` beside ``FILE``."""
    path = Path(path)
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def default_backup_path(data_dir: Path, now: dt.datetime | None = None) -> Path:
    """``DATA/backups/pilotkg-YYYYmmdd-HHMMSS.nq`` (UTC), with ``-2``, ``-3`` … if that name is taken."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%d-%H%M%S")
    folder = Path(data_dir) / BACKUP_DIR
    path = folder / f"pilotkg-{stamp}.nq"
    n = 2
    while path.exists() or checksum_path(path).exists():
        path = folder / f"pilotkg-{stamp}-{n}.nq"
        n += 1
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, whole:
    a temporary file in the same folder, fsync, ``os.replace``, fsync of the folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_backup(store, path: Path) -> Backup:
    """Dump ``store`` (an :class:`~pilotkg.graph.store.EmbeddedStore`, read once) to ``path`` and
    ``path.sha256``. Raises :class:`BackupError` if either cannot be written."""
    path = Path(path)
    data = store.dump()
    digest = hashlib.sha256(data).hexdigest()
    quads, graphs = _count(ox.parse(input=data, format=ox.RdfFormat.N_QUADS))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        checksum_path(path).unlink(missing_ok=True)  # overwriting: until the new one is written, there is none
        write_atomically(path, data)
        write_atomically(checksum_path(path), f"{digest}  {path.name}\n".encode("utf-8"))
    except OSError as err:
        raise BackupError(f"cannot write the backup {path}: {err.strerror or err}") from err
    return Backup(path, digest, quads, graphs, len(data))


def expected_checksum(path: Path) -> str:
    """The hex digest recorded in ``path.sha256``; :class:`ChecksumError` if there is none."""
    sums = checksum_path(path)
    try:
        text = sums.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChecksumError(f"there is no checksum file {sums} beside the backup; it may be incomplete "
                            "(restore it anyway with --no-verify)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ChecksumError(f"cannot read the checksum file {sums}: {err}") from err
    first = text.split()
    digest = first[0].lower() if first else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ChecksumError(f"the checksum file {sums} does not start with a SHA-256 hex digest")
    return digest


def verify(path: Path) -> str:
    """Check ``path`` against ``path.sha256``; return the digest, or raise :class:`ChecksumError`."""
    expected = expected_checksum(path)
    actual = sha256_file(path)
    if actual != expected:
        raise ChecksumError(f"the backup {path} does not match its checksum (sha256 {actual}, "
                            f"{checksum_path(path).name} says {expected}): it is damaged or was changed; "
                            "nothing was restored")
    return actual


def read_backup(path: Path) -> tuple[int, int]:
    """Parse the whole backup as N-Quads before anything is replaced: (quads, named graphs).
    Raises :class:`BackupError` naming the line if it does not parse."""
    try:
        return _count(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as err:
        raise BackupError(f"{path} is not N-Quads: {err}") from err
    except OSError as err:
        raise BackupError(f"cannot read {path}: {err}") from err


def _count(quads) -> tuple[int, int]:
    """(distinct quads, named graphs) of an iterable of quads."""
    seen, graphs = set(), set()
    for quad in quads:
        seen.add(str(quad))
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs.add(quad.graph_name.value)
    return len(seen), len(graphs)
