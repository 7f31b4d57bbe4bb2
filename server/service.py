"""The objects behind the views: the store, the worker pool, the dataset summary.

Views reach the data only through :class:`Service` (habit 5 of STYLE.md:
views never touch rdflib or pyoxigraph directly).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pilotkg.graph import __version__
from pilotkg.graph.build import INFO_FILE
from pilotkg.graph.store import Store, open_store

from .audit import DEFAULT_GRAPH, AuditLog
from .auth import Curator, TokenRegistry
from .config import ServerConfig
from .reviews import ReviewStore
from .writes import Writes
from .workers import IngestJob, Job, Outcome, PlanJob, QueryPool

VOID_QUERY = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class
"""
GRAPH_COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass
class Summary:
    triples: int
    graphs: list[str]
    classes: dict[str, int]
    built_at: str | None
    dataset_sha256: str | None
    computed_at: float = field(default_factory=time.time)


class Service:
    """The store (read-write handle, for updates), the query pool, a dataset summary, the
    curator tokens (``tokens``) and the audit log of writes (``audit``)."""

    def __init__(self, config: ServerConfig, store: Store | None = None, pool: QueryPool | None = None):
        self.config = config
        # First, so that a bad tokens file stops the server before a store or a worker is opened.
        self.tokens = TokenRegistry(config.tokens_path, legacy_token=config.update_token)
        self.audit = AuditLog(config.audit_path)
        self.store = store if store is not None else open_store(config.store_target, remote=config.remote_options)
        self.pool = pool if pool is not None else QueryPool(
            config.store_target, config.workers, config.query_timeout, settings=config.worker_settings(),
            short_size=config.short_workers, client_cap=config.client_queries,
            queue_max=max(1, config.threads - config.workers - config.short_workers - 2),
        )
        self.write_lock = threading.Lock()
        self.writes = Writes(self)
        self.reviews = ReviewStore(Path(config.data) / "reviews")
        self._summary: Summary | None = None
        self.generation = 0  # bumped after every write: caches of pages (search index, downloads) key on it
        self.started_at = time.time()

    def run_query(self, query: str, fmt: str, default_graphs=None, named_graphs=None, client: str = "",
                  base_iri: str | None = None) -> Outcome:
        """Run a query in a worker; ``client`` (the requester's address) is held to its share of the workers;
        relative IRIs resolve against ``base_iri``."""
        return self.pool.run(Job(query, fmt, default_graphs or None, named_graphs or None, self.config.max_rows,
                                 base_iri), client=client)

    def run_plan(self, job: PlanJob):
        """Plan a write in a worker (parse, apply, reason, validate); returns ``(plan, quads)`` or raises
        what the planning raised (WriteRefused, RdfSyntaxError, ParseLimitExceeded, SyntaxError, ...)."""
        return self.pool.run(job, timeout=self.config.write_timeout).result()

    def run_ingest(self, job: IngestJob) -> dict:
        """Ingest a submitted text in a worker (the write time limit applies); returns the job's dict
        or raises what the ingest raised (IngestInputError, CurationError: both ValueError)."""
        return self.pool.run(job, timeout=self.config.write_timeout).result()

    def run_update(self, update: str, curator: Curator | None = None, *, request_id: str | None = None,
                   remote_addr: str | None = None, base_iri: str | None = None) -> dict | None:
        """Apply a SPARQL Update as a validated write (see :class:`~pilotkg.server.writes.Writes`):
        planned on a copy, reasoned, checked against the shapes, committed in one
        transaction, and recorded in the audit log with the exact triples added and
        removed per graph. Raises ``WriteRefused`` (with the SHACL report) and changes
        nothing if the result would violate a shape. Relative IRIs resolve against ``base_iri``."""
        who = curator or Curator("(anonymous)", "admin")
        return self.writes.commit(
            lambda: self.writes.plan_update(update, base_iri=base_iri), curator=who.name, role=who.role, action="update",
            request_id=request_id or "", remote_addr=remote_addr,
        )

    def after_write(self) -> None:
        """The store changed: forget the summary and let the workers reopen it."""
        self._summary = None
        self.generation += 1
        self.pool.invalidate()

    def graph_counts(self) -> dict[str, int]:
        """Triples per named graph, and in the default graph (key ``default``) if it holds any."""
        graphs = self.store.graphs()
        counts: dict[str, int] = {}
        if graphs:
            for row in self.store.query(GRAPH_COUNTS_QUERY, named_graphs=graphs):
                counts[row["g"].value] = int(row["n"].value)
        rest = self.store.count() - sum(counts.values())
        if rest > 0:
            counts[DEFAULT_GRAPH] = rest
        return counts

    def summary(self) -> Summary:
        if self._summary is None:
            classes = {}
            for row in self.store.query(VOID_QUERY):
                classes[row["class"].value] = int(row["n"].value)
            info = {}
            info_path = self.config.data / INFO_FILE
            if not self.config.store and info_path.exists():
                info = json.loads(info_path.read_text(encoding="utf-8"))
            self._summary = Summary(
                triples=self.store.count(),
                graphs=self.store.graphs(),
                classes=classes,
                built_at=info.get("built_at"),
                dataset_sha256=info.get("dataset_sha256"),
            )
        return self._summary

    def health(self) -> dict:
        summary = self.summary()
        return {
            "status": "ok",
            "version": __version__,
            "store": "remote" if self.config.store else "embedded",
            "store_open": True,
            "triples": summary.triples,
            "named_graphs": len(summary.graphs),
            "built_at": summary.built_at,
            "uptime_s": round(time.time() - self.started_at, 1),
        }

    def close(self) -> None:
        self.pool.close()
        self.store.close()
