"""The store interface the server uses, and its embedded implementation.

One small interface — :meth:`query`, :meth:`update` (one transaction),
:meth:`load`, :meth:`dump`, :meth:`count`, :meth:`graphs` — with two
implementations: :class:`EmbeddedStore` (pyoxigraph on RocksDB in a data
folder, the default) and :class:`~pilotkg.graph.store_remote.RemoteStore`
(SPARQL 1.1 Query/Update/Graph Store over HTTP, for Oxigraph server, Fuseki,
Virtuoso, GraphDB). In both, a query's default graph is the union of the named
graphs unless the query or the protocol names its default graph.

The embedded store keeps that union as a set (an RDF graph: a triple stated in
two graphs is seen once): its own default graph holds the merged graph, written
at load and restore and kept in step by every write in the same transaction
(:meth:`EmbeddedStore.write`), and queries run over it. pyoxigraph 0.5.13's
``use_default_graph_as_union`` would count such a triple once per graph
(upstream Oxigraph issue #1919). Triples written to the dataset's default graph
(an update without ``GRAPH``) are kept in :data:`DEFAULT_DATA_GRAPH`, which
every method here shows as the default graph, never as a named graph.

Query results are pyoxigraph's own types (``QuerySolutions``,
``QueryBoolean``, ``QueryTriples``) whichever the implementation.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Iterable, Protocol

import pyoxigraph as ox

from .namespaces import PKR, PREFIXES
from .rdfio import FORMATS
from .sparql_safety import has_dataset_clause, refuse_remote

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

STORE_DIR = "store"  # the RocksDB folder inside the data folder
READ_ONLY_OPEN_ATTEMPTS = 6  # 0.05 s doubling: at most ~1.5 s of waiting
# Where the embedded store keeps the triples of the dataset's own default graph (its physical
# default graph holds the merged graph); shown as the default graph, refused as a named graph.
DEFAULT_DATA_GRAPH = str(PKR["graph/default-graph"])
STORE_LAYOUT = "merged-default-graph"  # written after the dataset digest in the serve stamp
_OWN_DEFAULT = ox.NamedNode(DEFAULT_DATA_GRAPH)
_MERGED = ox.DefaultGraph()


def _stored(quad: ox.Quad) -> ox.Quad:
    """A dataset quad as the embedded store keeps it (the default graph's in DEFAULT_DATA_GRAPH)."""
    if isinstance(quad.graph_name, ox.DefaultGraph):
        return ox.Quad(quad.subject, quad.predicate, quad.object, _OWN_DEFAULT)
    return quad


def _shown(quad: ox.Quad) -> ox.Quad | None:
    """A stored quad as the dataset has it; None for the merged graph's copies."""
    if isinstance(quad.graph_name, ox.DefaultGraph):
        return None
    if quad.graph_name == _OWN_DEFAULT:
        return ox.Quad(quad.subject, quad.predicate, quad.object, ox.DefaultGraph())
    return quad


def _merged(quad: ox.Quad) -> ox.Quad:
    return ox.Quad(quad.subject, quad.predicate, quad.object, _MERGED)


def _term(term) -> str:
    return str(term)


def quads_update_text(removed: list[ox.Quad], added: list[ox.Quad]) -> str:
    """One SPARQL Update (DELETE DATA then INSERT DATA) removing and adding these quads."""
    parts = []
    if removed:
        parts.append("DELETE DATA {\n" + _quad_block(removed) + "}")
    if added:
        parts.append("INSERT DATA {\n" + _quad_block(added) + "}")
    return " ;\n".join(parts)


def _quad_block(quads: list[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name) if isinstance(q.graph_name, ox.NamedNode) else "", []).append(
            str(ox.Triple(q.subject, q.predicate, q.object)) + " ."
        )
    out = []
    for graph, lines in sorted(by_graph.items()):
        body = "\n".join(lines)
        out.append(f"GRAPH {graph} {{\n{body}\n}}\n" if graph else body + "\n")
    return "".join(out)


def merged_update_text(removed: list[ox.Quad], added: list[ox.Quad]) -> str:
    """The update that applies a write (dataset quads) to the embedded store and keeps its merged
    default graph in step, as one transaction: the quads themselves, then each removed triple
    leaves the merged graph if no graph holds it any more, then each added triple enters it."""
    stored_removed = [_stored(q) for q in removed]
    stored_added = [_stored(q) for q in added]
    parts = []
    text = quads_update_text(stored_removed, stored_added)
    if text:
        parts.append(text)
    gone = sorted({f"({_term(q.subject)} {_term(q.predicate)} {_term(q.object)})" for q in removed})
    if gone:
        parts.append(
            "DELETE { ?s ?p ?o } WHERE {\n  VALUES (?s ?p ?o) {\n" + "\n".join(gone) + "\n  }\n"
            "  ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } }\n}"
        )
    if added:
        parts.append("INSERT DATA {\n" + _quad_block([_merged(q) for q in added]) + "}")
    return " ;\n".join(parts)


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
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL query. ``default_graphs``/``named_graphs`` are the protocol's
        ``default-graph-uri``/``named-graph-uri``; without them the default graph is
        the union of all named graphs. Relative IRIs resolve against ``base_iri`` (never
        fetched). Raises SyntaxError on a malformed query."""

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

    def query(self, sparql, *, default_graphs=None, named_graphs=None, base_iri=None):
        return self._read(lambda: self._query(sparql, default_graphs, named_graphs, base_iri))

    def _query(self, sparql, default_graphs, named_graphs, base_iri=None):
        refuse_remote(sparql)
        kwargs = {"base_iri": base_iri} if base_iri else {}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        # else the store's own default graph: the merged graph (a set), or the query's FROM
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        elif not has_dataset_clause(sparql) and self._store.contains_named_graph(_OWN_DEFAULT):
            # the default graph's own triples are no named graph: keep them out of GRAPH ?g
            kwargs["named_graphs"] = [g for g in self._store.named_graphs() if g != _OWN_DEFAULT]
        return self._store.query(sparql, prefixes=_prefixes(), **kwargs)

    def write(self, removed: list[ox.Quad], added: list[ox.Quad]) -> None:
        """Remove and add these dataset quads, keeping the merged default graph in step, in one
        transaction made durable before returning (errors as :meth:`update`). Every committed write
        of the server comes here."""
        text = merged_update_text(removed, added)
        if text:
            self._apply(text, emptied={_stored(q).graph_name for q in removed})

    def update(self, sparql: str) -> None:
        """Apply ``sparql`` (as written: its default graph is the store's merged graph; name a graph)
        and re-derive the merged graph, in one transaction made durable before returning. Reads every
        quad to re-derive: for tools and tests; the server's writes go through :meth:`write`.

        RocksDB appends the transaction to its write-ahead log without fsync, so a
        committed update is in the OS page cache only: it survives the process being
        killed, not a power cut or a file system that turns read-only (tested). The
        flush writes it to fsync'ed table files. Raises :class:`StoreError` if the
        update could not be written (nothing changed), :class:`StoreNotDurable` if it
        was applied but could not be flushed.
        """
        refuse_remote(sparql)
        resync = (
            "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;\n"
            "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
        )
        self._apply(sparql + " ;\n" + resync, emptied=set(self._store.named_graphs()))

    def _apply(self, sparql: str, emptied: set | None = None) -> None:
        """Run an update, forget those of the graphs ``emptied`` that it left without a triple
        (pyoxigraph keeps a named graph, listed by ``GRAPH ?g {}``, after its last triple is
        removed: a graph a curator dropped or cleared must disappear), and flush."""
        try:
            self._store.update(sparql, prefixes=_prefixes())
        except OSError as err:
            raise StoreError(f"the update could not be written: {err}") from err
        try:
            for graph in emptied or ():
                if isinstance(graph, ox.NamedNode) and next(self._store.quads_for_pattern(None, None, None, graph), None) is None:
                    self._store.remove_graph(graph)
        except OSError as err:  # the update stands; the empty graph stays listed
            logging.getLogger("pilotkg.graph.store").warning("could not forget an emptied graph in %s: %s", self.path, err)
        try:
            self._store.flush()
        except OSError as err:
            raise StoreNotDurable(f"the update was applied but could not be flushed to disk: {err}") from err

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        """Add RDF in one transaction (a triple format's triples, and a dataset format's default graph,
        into ``graph`` if given). Raises SyntaxError, and adds nothing, if it does not parse."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        quads = [q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
                 for q in ox.parse(input=data, format=FORMATS[fmt])]
        try:
            self._store.extend([_stored(q) for q in quads] + [_merged(q) for q in quads])
        except OSError as err:
            raise StoreError(f"the data could not be written: {err}") from err

    def dump(self) -> bytes:
        lines = self._read(lambda: sorted({str(q) + " ." for q in self.quads()}))
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def count(self) -> int:
        def count():
            merged = next(iter(self._store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"]
            return len(self._store) - int(merged.value)
        return self._read(count)

    def graphs(self) -> list[str]:
        return self._read(lambda: sorted(g.value for g in self._store.named_graphs() if g != _OWN_DEFAULT))

    def replace_all(self, nquads: Path) -> None:
        """Clear the store and bulk-load ``nquads``. Not one transaction: a crash midway leaves
        part of the file loaded, so callers mark the folder first (see ``pilotkg restore``)."""
        try:
            self._store.clear()
            self._store.bulk_extend(_stored(q) for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
            self._store.bulk_extend(_merged(q) for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
            self._store.flush()
            # Compact now, before read-only workers open the store: a background
            # compaction would delete files their handles still read (seen at 1M quads).
            self._store.optimize()
        except OSError as err:
            raise StoreError(f"the data could not be written to the store in {self.path}: {err}") from err

    def compact(self) -> None:
        """Flush and compact, as after a bulk load: for the writer, before read-only workers open
        the store after a large write (a worker's read-only open after a big transaction, right after
        a file-system error and repair, was measured to stall past the 10 s query limit)."""
        try:
            self._store.flush()
            self._store.optimize()
        except OSError as err:
            raise StoreError(f"the store in {self.path} could not be compacted: {err}") from err

    def quads(self) -> Iterable[ox.Quad]:
        """Every dataset quad (the merged graph's copies left out)."""
        return (shown for shown in map(_shown, self._store) if shown is not None)

    def adopt_default_graph(self) -> int:
        """Convert a store written before the merged default graph, whose default graph held the
        dataset's own default-graph triples: keep those of them no named graph holds in
        DEFAULT_DATA_GRAPH, and write the merged graph, in one transaction. Safe on a store already
        converted (its default graph holds only triples of named graphs). Returns the triples kept."""
        own = "?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } }"
        kept = int(next(iter(self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {own} }}")))["n"].value)
        self._apply(f"INSERT {{ GRAPH <{DEFAULT_DATA_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ {own} }} ;\n"
                    "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        return kept

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


def open_store(target: str | Path, *, read_only: bool = False, query_timeout: float | None = None,
               remote: dict | None = None) -> Store:
    """A store for ``target``: an ``http(s)://`` SPARQL endpoint URL, or a data folder. A remote
    store is told ``query_timeout`` (seconds) where its engine takes a time limit per query, and
    ``remote`` (``engine``, ``update_url``, ``store_url``: pilotkg's --store-engine, --store-update,
    --store-data)."""
    text = str(target)
    if text.startswith(("http://", "https://")):
        from .store_remote import RemoteStore

        options = {k: v for k, v in (remote or {}).items() if v}
        return RemoteStore(text, query_timeout=query_timeout, **options)
    return EmbeddedStore(Path(target) / STORE_DIR, read_only=read_only)
