"""Queries run in worker processes that can be killed.

Python cannot stop a thread, and pyoxigraph cannot cancel a query; so each
query runs in a worker process, and one that passes its time limit is killed
(its memory goes with it) and replaced, while the other workers go on
answering. Workers open the store read-only; after a write the pool's
generation changes and each worker reopens before its next query.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
import traceback
from dataclasses import dataclass

_CTX = mp.get_context("spawn")


class QueryTimeout(RuntimeError):
    """The query ran past its time limit and was stopped."""


class PoolBusy(RuntimeError):
    """No worker became free in time."""


class WorkerFailed(RuntimeError):
    """A worker died or broke while running a query."""


@dataclass
class Job:
    query: str
    fmt: str
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    max_rows: int


@dataclass
class ValidationJob:
    """Validate submitted RDF (``data`` in format ``fmt``), with or without the current dataset."""

    data: bytes
    fmt: str
    with_graph: bool


@dataclass
class Outcome:
    status: str  # "ok" | "syntax" | "refused" | "error"
    body: bytes = b""
    media_type: str = ""
    rows: int = 0
    truncated: bool = False
    kind: str = ""
    message: str = ""
    seconds: float = 0.0


def _worker_main(conn, store_target: str, generation) -> None:  # pragma: no cover - runs in the child
    """A worker's loop: open the store read-only, then run jobs until told to stop."""
    from pilotkg.graph.sparql_safety import RemoteAccessRefused
    from pilotkg.graph.store import open_store

    from .results import serialize

    store = open_store(store_target, read_only=True)
    seen = generation.value
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        started = time.perf_counter()
        try:
            if generation.value != seen:
                seen = generation.value
                reopen = getattr(store, "reopen", None)
                if reopen:
                    reopen()
            if isinstance(job, ValidationJob):
                outcome = _validate(store, job)
                outcome.seconds = time.perf_counter() - started
                conn.send(outcome)
                continue
            try:
                result = store.query(job.query, default_graphs=job.default_graphs, named_graphs=job.named_graphs)
                out = serialize(result, job.fmt, job.max_rows)
            except FileNotFoundError:  # RocksDB compacted files away under this read-only handle
                getattr(store, "reopen", lambda: None)()
                result = store.query(job.query, default_graphs=job.default_graphs, named_graphs=job.named_graphs)
                out = serialize(result, job.fmt, job.max_rows)
            outcome = Outcome("ok", out.body, out.media_type, out.rows, out.truncated, out.kind)
        except SyntaxError as err:
            outcome = Outcome("syntax", message=str(err))
        except RemoteAccessRefused as err:
            outcome = Outcome("refused", message=str(err))
        except Exception as err:  # report, keep the worker alive
            outcome = Outcome("error", message=f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}")
        outcome.seconds = time.perf_counter() - started
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


def _validate(store, job: ValidationJob) -> Outcome:  # pragma: no cover - runs in the child
    """Run a validation job: the report as JSON, plus its Turtle form."""
    import json

    from pilotkg.graph.curate import parse_submission, validate_submission
    from pilotkg.graph.rdfio import RdfSyntaxError

    try:
        quads = parse_submission(job.data, job.fmt)
    except RdfSyntaxError as err:
        return Outcome("syntax", message=str(err))
    context = None
    if job.with_graph:
        from pilotkg.graph.store import all_quads

        context = all_quads(store)
    report = validate_submission(quads, context)
    body = json.dumps(
        {"conforms": report.conforms, "results": [r.__dict__ for r in report.results], "triples": len(quads),
         "with_graph": job.with_graph, "turtle": report.graph.serialize(format="turtle")},
        ensure_ascii=False,
    ).encode("utf-8")
    return Outcome("ok", body, "application/json", len(report.results), False, "report")


class _Worker:
    def __init__(self, store_target: str, generation):
        self.conn, child = _CTX.Pipe()
        self.process = _CTX.Process(target=_worker_main, args=(child, store_target, generation), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.kill()


class QueryPool:
    """A fixed number of worker processes; :meth:`run` borrows one per query."""

    def __init__(self, store_target: str, size: int, timeout: float):
        if size < 1:
            raise ValueError("the pool needs at least one worker")
        self.store_target = store_target
        self.timeout = timeout
        self.generation = _CTX.Value("i", 0)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self.store_target, self.generation)
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
        if not self._closed:
            self._add()

    def invalidate(self) -> None:
        """The store changed: workers reopen it before their next query."""
        with self.generation.get_lock():
            self.generation.value += 1

    def run(self, job: Job, timeout: float | None = None) -> Outcome:
        """Run a job in a free worker; raises QueryTimeout, PoolBusy or WorkerFailed.

        A worker that dies under a query is replaced and the query tried once more
        in another worker (a query that kills workers fails the second time too).
        """
        try:
            return self._run_once(job, timeout)
        except WorkerFailed:
            return self._run_once(job, timeout)

    def _run_once(self, job: Job, timeout: float | None) -> Outcome:
        limit = self.timeout if timeout is None else timeout
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise PoolBusy(f"every query worker stayed busy for {limit:g} s") from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(limit):
                self._retire(worker)
                raise QueryTimeout(f"the query ran past the time limit of {limit:g} s and was stopped")
            outcome = worker.conn.recv()
        except (EOFError, BrokenPipeError, OSError) as err:
            self._retire(worker)
            raise WorkerFailed(f"the query worker failed: {err}") from err
        except QueryTimeout:
            raise
        except BaseException:
            self._retire(worker)
            raise
        self._idle.put(worker)
        return outcome

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            worker.stop()
