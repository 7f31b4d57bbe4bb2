"""The audit log: one JSON line per write, appended to ``DATA/audit.jsonl``.

Each line (keys in this order)::

    {"time": "2025-06-01T08:30:00.123Z", "curator": "alice", "role": "curator",
     "action": "update", "graphs": ["https://…/graph/curation"],
     "added": {"https://…/graph/curation": 3}, "removed": {},
     "request_id": "9c1f…", "import_id": null, "remote_addr": "127.0.0.1"}

``action`` is one of :data:`ACTIONS`; ``graphs`` lists the graphs whose counts
changed; ``added`` and ``removed`` map each of them to a number of triples
(the graph ``default`` is the store's default graph). What those numbers mean
is up to the writer that records them; for SPARQL Update see
:meth:`pilotkg.server.service.Service.run_update`.

A line is written with one ``write`` on a file opened for appending, then
flushed and fsync'ed before :meth:`AuditLog.record` returns, so a write the
client was told about is on disk in the log. A lock serialises writers in the
process. :meth:`AuditLog.read` reads the file backwards, newest first, and
skips a line torn by a crash in the middle of a write, with a warning (the
next entry starts on a line of its own).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Iterator

log = logging.getLogger("pilotkg.server.audit")

ACTIONS = ("update", "import-commit", "graph-put", "graph-post", "graph-delete", "review-commit")
DEFAULT_GRAPH = "default"  # the key of the store's default graph in ``added``/``removed``
_BLOCK = 65536


class AuditError(RuntimeError):
    """The audit log could not be written."""


def now_utc() -> str:
    """The current time as ISO 8601 UTC with milliseconds: ``2025-06-01T08:30:00.123Z``."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class AuditLog:
    """Append-only JSON lines; :meth:`record` to write one, :meth:`read` to list them newest first."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(
        self,
        *,
        curator: str,
        role: str,
        action: str,
        added: dict[str, int] | None = None,
        removed: dict[str, int] | None = None,
        graphs: list[str] | None = None,
        request_id: str | None = None,
        import_id: str | None = None,
        remote_addr: str | None = None,
    ) -> dict:
        """Append one entry and make it durable; returns the entry. :class:`AuditError` if it cannot."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; known: {', '.join(ACTIONS)}")
        added, removed = dict(added or {}), dict(removed or {})
        entry = {
            "time": now_utc(),
            "curator": curator,
            "role": role,
            "action": action,
            "graphs": sorted(graphs if graphs is not None else set(added) | set(removed)),
            "added": added,
            "removed": removed,
            "request_id": request_id,
            "import_id": import_id,
            "remote_addr": remote_addr,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a crash: end it first
                        line = b"\n" + line
                    written = os.write(fd, line)
                    if written != len(line):
                        raise OSError(f"short write ({written} of {len(line)} bytes)")
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as err:
                raise AuditError(f"cannot append to the audit log {self.path}: {err}") from err
        return entry

    def read(self, limit: int = 100, curator: str | None = None) -> list[dict]:
        """The last ``limit`` entries (of ``curator`` only, if given), newest first."""
        if limit <= 0:
            return []
        out: list[dict] = []
        for raw in self._lines_backwards():
            try:
                entry = json.loads(raw)
            except ValueError:
                log.warning("skipping an unreadable line of the audit log %s", self.path)
                continue
            if curator is not None and entry.get("curator") != curator:
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        return out

    def _lines_backwards(self) -> Iterator[bytes]:
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(0, os.SEEK_END)
            position = f.tell()
            tail = b""
            while position > 0:
                step = min(_BLOCK, position)
                position -= step
                f.seek(position)
                chunk = f.read(step) + tail
                lines = chunk.split(b"\n")
                tail = lines.pop(0)  # may be the end of a line that began in an earlier block
                for raw in reversed(lines):
                    if raw.strip():
                        yield raw
            if tail.strip():
                yield tail
