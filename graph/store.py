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

from pathlib import Path
from typing import Iterable, Protocol

import pyoxigraph as ox

from .namespaces import PREFIXES
from .rdfio import FORMATS
from .sparql_safety import refuse_remote

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

STORE_DIR = "store"  # the RocksDB folder inside the data folder


class StoreError(RuntimeError):
    """The store cannot do what was asked (I/O, a remote store's error); the message says why."""


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
        try:
            self._store = ox.Store.read_only(str(self.path)) if read_only else ox.Store(str(self.path))
        except OSError as err:
            raise StoreError(f"cannot open the store in {self.path}: {err}") from err

    def reopen(self) -> None:
        """Reopen a read-only handle to see what was written since it was opened."""
        self._store = ox.Store.read_only(str(self.path)) if self.read_only else self._store

    def query(self, sparql, *, default_graphs=None, named_graphs=None):
        refuse_remote(sparql)
        kwargs = {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        return self._store.query(sparql, prefixes=_prefixes(), **kwargs)

    def update(self, sparql: str) -> None:
        refuse_remote(sparql)
        try:
            self._store.update(sparql, prefixes=_prefixes())
        except OSError as err:
            raise StoreError(f"the update could not be written: {err}") from err

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        kwargs = {"to_graph": ox.NamedNode(graph)} if graph else {}
        try:
            self._store.load(input=data, format=FORMATS[fmt], **kwargs)
        except OSError as err:
            raise StoreError(f"the data could not be written: {err}") from err

    def dump(self) -> bytes:
        lines = sorted({str(q) + " ." for q in self._store})
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def count(self) -> int:
        return len(self._store)

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs())

    def replace_all(self, nquads: Path) -> None:
        self._store.clear()
        self._store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        self._store.flush()

    def quads(self) -> Iterable[ox.Quad]:
        return iter(self._store)

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()
        self._store = None  # type: ignore[assignment]


def open_store(target: str | Path, *, read_only: bool = False) -> Store:
    """A store for ``target``: an ``http(s)://`` SPARQL endpoint URL, or a data folder."""
    text = str(target)
    if text.startswith(("http://", "https://")):
        from .store_remote import RemoteStore

        return RemoteStore(text)
    return EmbeddedStore(Path(target) / STORE_DIR, read_only=read_only)
