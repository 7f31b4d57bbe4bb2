"""The store interface the server uses, and its embedded implementation.

One small interface — :meth:`query`, :meth:`update` (one transaction),
:meth:`load`, :meth:`dump`, :meth:`count`, :meth:`graphs` — with two
implementations: :class:`EmbeddedStore` (pyoxigraph on RocksDB in a data
folder, the default) and :class:`~pilotkg.graph.store_remote.RemoteStore`
(SPARQL 1.1 Query/Update/Graph Store over HTTP, for Oxigraph server, Fuseki,
Virtuoso, GraphDB). In both, a query's default graph is the union of the named
graphs unless the query or the protocol names its default graph.

Query results are pyoxigraph's own types (``QuerySolutions``,
``QueryBoolean``, ``QueryTriples``) whichever the implementation.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Iterable, Protocol

import pyoxigraph as ox

from .namespaces import PREFIXES
from .rdfio import FORMATS
from .sparql_safety import has_dataset_clause, refuse_remote

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

STORE_DIR = "store"  # the RocksDB folder inside the data folder
READ_ONLY_OPEN_ATTEMPTS = 6  # 0.05 s doubling: at most ~1.5 s of waiting


class StoreError(RuntimeError):
    """The store cannot do what was asked (I/O, a remote store's error); the message says why."""


class StoreNotDurable(StoreError):
    """An update was applied but could not be flushed to disk: it may not survive a crash."""


class StoreLocked(StoreError):
    """Another process holds the embedded store read-write (RocksDB's LOCK file): a running server."""


def _open_error(path: Path, err: Exception) -> StoreError:
    """A clear StoreError for a failed read-write open of the embedded store."""
    text = str(err)
    if "while lock file" in text.lower() or "lock hold by current process" in text.lower():
        return StoreLocked(
            f"the store in {path} is in use by another process (a running `pilotkg serve` on this data folder?): "
            f"stop the server first ({text})"
        )
    if "read-only file system" in text.lower() or "permission denied" in text.lower():
        return StoreError(f"cannot open the store in {path} for writing: the data folder is not writable ({text})")
    return StoreError(f"cannot open the store in {path}: {text}")


class Store(Protocol):
    """What the server needs from a store."""

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query. ``default_graphs``/``named_graphs`` are the protocol's
        ``default-graph-uri``/``named-graph-uri``; without them the default graph is
        the union of all named graphs. Raises SyntaxError on a malformed query."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction."""

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        """Add RDF (format name of :data:`pilotkg.graph.rdfio.FORMATS`), into ``graph`` for triple formats."""

    def dump(self) -> bytes:
        """Every quad, as sorted N-Quads."""

    def count(self) -> int:
        """The number of quads."""

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""

    def replace_all(self, nquads: Path) -> None:
        """Replace the whole content with an N-Quads file (a rebuilt dataset)."""

    def close(self) -> None:
        """Release the store."""


def _prefixes() -> dict[str, str]:
    return {k: str(v) for k, v in PREFIXES.items()}


class EmbeddedStore:
    """pyoxigraph's RocksDB store in ``DATA/store``: persistent, transactional, crash-safe.

    Open it read-write once (the server's main process) and read-only in any
    number of query workers; a read-only handle sees the data as it was when it
    was opened, so workers reopen after a write (see :meth:`reopen`).
    """

    def __init__(self, path: Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            self._store = self._open_read_only()
        else:
            try:
                self._store = ox.Store(str(self.path))
            except (OSError, RuntimeError) as err:
                raise _open_error(self.path, err) from err

    def _open_read_only(self) -> ox.Store:
        """Open read-only, retrying briefly: RocksDB may be deleting files it just
        compacted while a read-only handle opens (seen right after a bulk load)."""
        delay = 0.05
        for attempt in range(READ_ONLY_OPEN_ATTEMPTS):
            try:
                return ox.Store.read_only(str(self.path))
            except (OSError, RuntimeError) as err:
                if attempt == READ_ONLY_OPEN_ATTEMPTS - 1:
                    raise StoreError(f"cannot open the store in {self.path} read-only: {err}") from err
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def reopen(self) -> None:
        """Reopen a read-only handle to see what was written since it was opened."""
        if self.read_only:
            self._store = self._open_read_only()

    def _read(self, read):
        """Run ``read()``; on a read-only handle whose files were compacted away
        (FileNotFoundError), reopen and run it once more."""
        try:
            return read()
        except FileNotFoundError:
            if not self.read_only:
                raise
            self.reopen()
            return read()

    def query(self, sparql, *, default_graphs=None, named_graphs=None):
        return self._read(lambda: self._query(sparql, default_graphs, named_graphs))

    def _query(self, sparql, default_graphs, named_graphs):
        refuse_remote(sparql)
        kwargs = {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif not has_dataset_clause(sparql):  # FROM / FROM NAMED name the dataset themselves
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        return self._store.query(sparql, prefixes=_prefixes(), **kwargs)

    def update(self, sparql: str) -> None:
        """Apply ``sparql`` in one transaction and make it durable before returning.

        RocksDB appends the transaction to its write-ahead log without fsync, so a
        committed update is in the OS page cache only: it survives the process being
        killed, not a power cut or a file system that turns read-only (tested). The
        flush writes it to fsync'ed table files. Raises :class:`StoreError` if the
        update could not be written (nothing changed), :class:`StoreNotDurable` if it
        was applied but could not be flushed.
        """
        refuse_remote(sparql)
        try:
            self._store.update(sparql, prefixes=_prefixes())
        except OSError as err:
            raise StoreError(f"the update could not be written: {err}") from err
        try:
            self._store.flush()
        except OSError as err:
            raise StoreNotDurable(f"the update was applied but could not be flushed to disk: {err}") from err

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        try:
            self._store.load(input=data, format=FORMATS[fmt], **kwargs)
        except OSError as err:
            raise StoreError(f"the data could not be written: {err}") from err

    def dump(self) -> bytes:
        lines = self._read(lambda: sorted({str(q) + " ." for q in self._store}))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def count(self) -> int:
        return self._read(lambda: len(self._store))

    def graphs(self) -> list[str]:
        return self._read(lambda: sorted(g.value for g in self._store.named_graphs()))

    def replace_all(self, nquads: Path) -> None:
        """Clear the store and bulk-load ``nquads``. Not one transaction: a crash midway leaves
        part of the file loaded, so callers mark the folder first (see ``pilotkg restore``)."""
        try:
            self._store.clear()
            self._store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
            self._store.flush()
            # Compact now, before read-only workers open the store: a background
            # compaction would delete files their handles still read (seen at 1M quads).
            self._store.optimize()
        except OSError as err:
            raise StoreError(f"the data could not be written to the store in {self.path}: {err}") from err

    def quads(self) -> Iterable[ox.Quad]:
        return iter(self._store)

    def close(self) -> None:
        if not self.read_only and self._store is not None:
            try:
                self._store.flush()
            except OSError as err:  # e.g. a full disk: every committed update was already flushed (see update)
                logging.getLogger("pilotkg.graph.store").warning(
                    "could not flush the store in %s on close (%s); each committed write was flushed when it was made",
                    self.path, err)
        self._store = None  # type: ignore[assignment]


def all_quads(store: Store) -> list[ox.Quad]:
    """Every quad of a store (the embedded store iterates; a remote one is dumped)."""
    if isinstance(store, EmbeddedStore):
        return store._read(lambda: list(store.quads()))
    return list(ox.parse(input=store.dump(), format=ox.RdfFormat.N_QUADS))


def open_store(target: str | Path, *, read_only: bool = False, query_timeout: float | None = None) -> Store:
    """A store for ``target``: an ``http(s)://`` SPARQL endpoint URL, or a data folder. A remote
    store is told ``query_timeout`` (seconds) where its engine takes a time limit per query."""
    text = str(target)
    if text.startswith(("http://", "https://")):
        from .store_remote import RemoteStore

        return RemoteStore(text, query_timeout=query_timeout)
    return EmbeddedStore(Path(target) / STORE_DIR, read_only=read_only)
