"""Untrusted work runs in worker processes that can be killed, cannot reach the network,
and have a memory cap; a scheduler shares them fairly.

What runs here: every query, every validation of submitted RDF, and the planning
of every write (the parse of an uploaded document, an update applied to an
in-memory copy, reasoning and SHACL). Python cannot stop a thread, and
pyoxigraph cannot cancel a query; so a job that passes its time limit is killed
with its worker (its memory goes with it) and the worker is replaced, while the
others go on answering. The server process never parses, expands or evaluates
what a request brings.

Each worker confines itself when it starts (:mod:`pilotkg.server.sandbox`): no
new network socket (a seccomp filter, on Linux), an address-space cap. Workers
open the store read-only; after a write the pool's generation changes and each
worker reopens before its next job.

Scheduling (:meth:`QueryPool.run`):

- the *general lane* (``size`` workers, at a lower CPU priority) runs any job with
  the full time limit; a job waits for one at most ``queue_wait`` seconds, and at
  most ``queue_max`` jobs wait (else 503, ``PoolBusy``);
- the *short lane* (``short_size`` workers and one ready spare) is kept for short
  queries: a query that finds no general worker free runs there with a short
  limit (``short_limit``, or ``_SHORTEST`` for a client whose queries were
  stopped there lately); one that passes it is stopped (the spare takes its
  place), remembered as heavy by its text, and queued for the general lane with
  the time it has left. Requests waiting for a short worker form a stack, newest
  first, so a light query sent while a flood runs is served next;
- a client (its address) with ``client_cap`` queries already running or waiting
  does not queue for the general lane: it waits for a short worker while newer
  requests do not push it out, else ``TooManyQueries`` (429 with ``Retry-After``);
- workers start from a fork server that has already imported the libraries, so a
  stopped worker is replaced in a fraction of a second, and a lane only hands a
  job to a worker that has said it is ready.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
import traceback
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

from pilotkg.graph.rdfio import ParseLimits

log = logging.getLogger("pilotkg.server.workers")

# Workers fork from a server process that has imported these once (a fresh interpreter per
# worker took ~1 s to import rdflib, pyshacl and pyoxigraph; a fork takes milliseconds).
_PRELOAD = ["pilotkg.server.workers", "pilotkg.server.sandbox", "pilotkg.graph.curate", "pilotkg.graph.store",
            "pilotkg.server.results", "pilotkg.graph.cli", "pilotkg.graph.extract.review"]


def _context():
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")


_CTX = _context()
_READY_TIMEOUT = 120.0


class QueryTimeout(RuntimeError):
    """The job ran past its time limit and was stopped."""


class PoolBusy(RuntimeError):
    """No worker became free in time."""


class TooManyQueries(RuntimeError):
    """This client already has as many queries running or waiting as it may."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class WorkerFailed(RuntimeError):
    """A worker died or broke while running a job."""


@dataclass(frozen=True)
class WorkerSettings:
    """How workers confine themselves, and what an uploaded document may expand to."""

    memory_bytes: int | None = 2 << 30
    network: bool = False  # True only when the workers must reach a remote store
    query_timeout: float | None = None  # told to a remote store whose engine takes a per-query limit
    remote: dict = field(default_factory=dict)  # engine, update and Graph Store URLs of a remote store
    nice: int = 0  # added to the worker's CPU niceness (general workers run heavy jobs at a lower priority)
    limits: ParseLimits = field(default_factory=ParseLimits)


@dataclass
class Job:
    query: str
    fmt: str
    default_graphs: list[str] | None
    named_graphs: list[str] | None
    max_rows: int
    base_iri: str | None = None  # the query's relative IRIs resolve against it (the request's URL)


@dataclass
class ValidationJob:
    """Validate submitted RDF (``data`` in format ``fmt``), with or without the current dataset."""

    data: bytes
    fmt: str
    with_graph: bool


@dataclass
class PlanJob:
    """Plan a write on the current data (see :mod:`pilotkg.graph.curate`): ``update`` (a SPARQL
    Update), ``graph`` (put ``quads``, or the document ``data`` in ``fmt``, into ``graph``) or
    ``drop`` (remove ``graph``). The outcome's value is ``(plan, quads)``: the parsed quads are
    returned so that a staged import can be planned again without parsing again."""

    action: str
    update: str | None = None
    graph: str | None = None
    data: bytes | None = None
    fmt: str | None = None
    source: str = "the submitted data"
    quads: list | None = None
    replace: bool = False
    base_iri: str | None = None  # an update's relative IRIs resolve against it (the request's URL)
    allow_clear_all: bool = False  # CLEAR ALL / DROP ALL: only on an empty dataset (serve --empty)


@dataclass
class IngestJob:
    """Ingest a submitted text (untrusted) for review: ``curation`` None lists its findings
    (:func:`pilotkg.graph.extract.review.review_text`); a curation (a dict in the curation-file
    format) gives the draft it makes, as N-Quads, with its validation summary. ``name`` is the
    text's file name (its stem names the document in IRIs)."""

    name: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    curation: dict | None = None


@dataclass
class Outcome:
    status: str  # "ok" | "syntax" | "refused" | "error" | "raised" (value: the exception to raise)
    body: bytes = b""
    media_type: str = ""
    rows: int = 0
    truncated: bool = False
    kind: str = ""
    message: str = ""
    seconds: float = 0.0
    value: object = None

    def result(self):
        """The value of a plan job; re-raises in the server what the job raised in the worker."""
        if self.status == "raised":
            raise self.value  # type: ignore[misc]
        if self.status != "ok":
            raise WorkerFailed(self.message or self.status)
        return self.value


# --------------------------------------------------------------------------- the worker process


def _worker_main(conn, store_target: str, generation, settings: WorkerSettings) -> None:  # pragma: no cover - child
    """A worker's life: confine itself, open the store read-only, say it is ready, run jobs until told to stop."""
    from .sandbox import confine

    confinement = confine(settings.memory_bytes, network=settings.network)
    if settings.nice:
        try:
            os.nice(settings.nice)
        except OSError:
            pass
    from pilotkg.graph.store import open_store

    store = open_store(store_target, read_only=True, query_timeout=settings.query_timeout, remote=settings.remote)
    seen = generation.value
    conn.send(("ready", confinement))
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
            outcome = _run_job(store, job, settings)
        except MemoryError:
            outcome = Outcome("raised", message="memory", value=MemoryError(
                f"the job needed more memory than a worker may use ({_mib(settings.memory_bytes)})"))
        except Exception as err:  # report, keep the worker alive
            outcome = Outcome("error", message=f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}")
        outcome.seconds = time.perf_counter() - started
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return
        except Exception as err:  # the outcome does not pickle: say so rather than die
            conn.send(Outcome("error", message=f"the result could not be sent back: {type(err).__name__}: {err}"))


def _mib(value: int | None) -> str:
    return f"{value // (1 << 20):,} MiB, setting worker-memory" if value else "no cap"


def _run_job(store, job, settings: WorkerSettings) -> Outcome:  # pragma: no cover - runs in the child
    from pilotkg.graph.curate import WriteRefused
    from pilotkg.graph.rdfio import ParseLimitExceeded, RdfSyntaxError
    from pilotkg.graph.sparql_safety import RemoteAccessRefused

    if isinstance(job, Job):
        return _query(store, job)
    try:
        if isinstance(job, ValidationJob):
            return _validate(store, job, settings.limits)
        if isinstance(job, PlanJob):
            return _plan(store, job, settings.limits)
        if isinstance(job, IngestJob):
            return Outcome("ok", value=run_ingest_job(job))
    except (WriteRefused, RdfSyntaxError, ParseLimitExceeded, RemoteAccessRefused, SyntaxError, ValueError,
            RuntimeError) as err:
        return Outcome("raised", message=str(err), value=err)
    except PermissionError as err:  # the sandbox refused a socket (LOAD past the check)
        refused = RemoteAccessRefused(f"the worker may not open network connections ({err}); nothing was fetched")
        return Outcome("raised", message=str(refused), value=refused)
    raise TypeError(f"unknown job {type(job).__name__}")


def _query(store, job: Job) -> Outcome:  # pragma: no cover - runs in the child
    from pilotkg.graph.sparql_safety import RemoteAccessRefused

    from .results import serialize

    try:
        try:
            base = {"base_iri": job.base_iri} if job.base_iri else {}
            result = store.query(job.query, default_graphs=job.default_graphs, named_graphs=job.named_graphs, **base)
            out = serialize(result, job.fmt, job.max_rows)
        except FileNotFoundError:  # RocksDB compacted files away under this read-only handle
            getattr(store, "reopen", lambda: None)()
            result = store.query(job.query, default_graphs=job.default_graphs, named_graphs=job.named_graphs, **base)
            out = serialize(result, job.fmt, job.max_rows)
        return Outcome("ok", out.body, out.media_type, out.rows, out.truncated, out.kind)
    except SyntaxError as err:
        return Outcome("syntax", message=str(err))
    except (RemoteAccessRefused, PermissionError) as err:  # PermissionError: the sandbox refused a socket
        return Outcome("refused", message=str(err))


def _validate(store, job: ValidationJob, limits: ParseLimits) -> Outcome:  # pragma: no cover - runs in the child
    """Run a validation job: the report as JSON, plus its Turtle form."""
    import json

    from pilotkg.graph.curate import parse_submission, validate_submission
    from pilotkg.graph.rdfio import RdfSyntaxError

    try:
        quads = parse_submission(job.data, job.fmt, limits=limits)
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


def run_ingest_job(job: IngestJob) -> dict:
    """What an :class:`IngestJob` gives (a dict): runs in a worker for the server. The text is
    written to a private temporary folder under its name, ingested, and removed."""
    import tempfile
    from pathlib import Path

    from pilotkg.graph.extract.review import _validation, ingest_with, review_text

    with tempfile.TemporaryDirectory(prefix="pilotkg-ingest-") as folder:
        path = Path(folder) / job.name
        path.write_text(job.text, encoding="utf-8", newline="")
        try:
            if job.curation is None:
                return review_text(path, title=job.title, date=job.date, url=job.url)
            result = ingest_with(path, job.curation)
        except ValueError as err:  # name the text, not the temporary folder
            raise type(err)(str(err).replace(f"{folder}/", "")) from None
        return {"graph": str(result.graph), "nquads": result.nquads(), "quads": len(result.quads),
                "counts": result.counts(), "validation": _validation(result)}


def _plan(store, job: PlanJob, limits: ParseLimits) -> Outcome:  # pragma: no cover - runs in the child
    return Outcome("ok", value=plan_write(store, job, limits))


def plan_write(store, job: PlanJob, limits: ParseLimits | None = None) -> tuple:
    """``(plan, quads)`` for a write job on ``store``'s current data. Runs in a worker for the
    server; the command line (``pilotkg import``, the user's own file) calls it directly."""
    from pilotkg.graph.curate import apply_update_in_memory, drop_graph, parse_submission, plan, replace_graph
    from pilotkg.graph.store import all_quads

    quads = job.quads
    if job.action == "graph" and quads is None:  # parse before reading the store: bad input fails fast
        quads = parse_submission(job.data or b"", job.fmt or "", source=job.source, limits=limits)
    current = all_quads(store)
    if job.action == "update":
        new_data = apply_update_in_memory(current, job.update or "", base_iri=job.base_iri,
                                          allow_clear_all=job.allow_clear_all)
    elif job.action == "graph":
        new_data = replace_graph(current, job.graph or "", quads, replace=job.replace)
    elif job.action == "drop":
        new_data = drop_graph(current, job.graph or "")
    else:
        raise TypeError(f"unknown write action {job.action!r}")
    return plan(current, new_data), quads


# --------------------------------------------------------------------------- the server side


class _Worker:
    def __init__(self, store_target: str, generation, settings: WorkerSettings):
        self.conn, child = _CTX.Pipe()
        self.process = _CTX.Process(target=_worker_main, args=(child, store_target, generation, settings), daemon=True)
        self.process.start()
        child.close()
        self.confinement = None

    def wait_ready(self, timeout: float) -> bool:
        try:
            if not self.conn.poll(timeout):
                return False
            message = self.conn.recv()
        except (EOFError, OSError):
            return False
        if isinstance(message, tuple) and message and message[0] == "ready":
            self.confinement = message[1]
            return True
        return False

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


class _Ticket:
    """A request waiting for a short worker."""

    __slots__ = ("pushed_out",)

    def __init__(self):
        self.pushed_out = False


class _Lane:
    """Workers of one kind: a queue of ready, idle ones; killed ones are replaced in the background."""

    def __init__(self, pool: "QueryPool", name: str, size: int, nice: int = 0, spares: int = 0):
        self.pool, self.name, self.size, self.spares = pool, name, size, spares if size else 0
        self.settings = dataclasses.replace(pool.settings, nice=nice)
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.spare: queue.Queue[_Worker] = queue.Queue()  # started and ready, put to work when one is stopped
        self.all: set[_Worker] = set()

    def start(self, wait: bool) -> None:
        threads = [self._add() for _ in range(self.size)] + [self._add(spare=True) for _ in range(self.spares)]
        if wait:
            for thread in threads:
                thread.join()

    def _add(self, spare: bool = False) -> threading.Thread:
        thread = threading.Thread(target=self._start_one, args=(spare,), name=f"pilotkg-{self.name}-worker-start",
                                  daemon=True)
        thread.start()
        return thread

    def _start_one(self, spare: bool = False) -> None:
        for attempt in range(5):
            if self.pool.closed:
                return
            worker = _Worker(self.pool.store_target, self.pool.generation, self.settings)
            with self.pool.lock:
                self.all.add(worker)
            started = time.monotonic()
            if worker.wait_ready(_READY_TIMEOUT):
                log.debug("a %s worker was ready in %.3f s", self.name, time.monotonic() - started)
                self.pool.note_confinement(worker.confinement)
                if self.pool.closed:
                    worker.stop()
                    return
                (self.spare if spare else self.idle).put(worker)
                return
            log.error("a %s worker did not start (attempt %d; exit code %s)", self.name, attempt + 1, worker.process.exitcode)
            with self.pool.lock:
                self.all.discard(worker)
            worker.kill()
            time.sleep(min(2 ** attempt, 10))

    def take(self, wait: float) -> _Worker | None:
        try:
            if wait <= 0:
                return self.idle.get_nowait()
            return self.idle.get(timeout=wait)
        except queue.Empty:
            return None

    def give_back(self, worker: _Worker) -> None:
        self.idle.put(worker)

    def retire(self, worker: _Worker) -> None:
        """Stop a worker; a ready spare takes its place at once, and a new one is started."""
        worker.kill()
        with self.pool.lock:
            self.all.discard(worker)
        if self.pool.closed:
            return
        try:
            self.idle.put(self.spare.get_nowait())
            self._add(spare=True)
        except queue.Empty:
            self._add()


class QueryPool:
    """Worker processes in two lanes, shared fairly between clients (see the module's docstring)."""

    def __init__(self, store_target: str, size: int, timeout: float, *, settings: WorkerSettings | None = None,
                 short_size: int = 2, short_limit: float = 0.25, client_cap: int = 4,
                 queue_wait: float | None = None, queue_max: int = 8, wait_ready: bool = True):
        if size < 1:
            raise ValueError("the pool needs at least one worker")
        self.store_target = store_target
        self.timeout = timeout
        self.settings = dataclasses.replace(settings or WorkerSettings(), query_timeout=timeout)
        self.short_limit = short_limit
        self.client_cap = client_cap
        self.queue_wait = timeout if queue_wait is None else queue_wait
        self.queue_max = queue_max
        self._waiting = 0
        self.generation = _CTX.Value("i", 0)
        self.lock = threading.Lock()
        self.closed = False
        self.confinement = None
        self._inflight: Counter[str] = Counter()
        self._short_waiters: list[_Ticket] = []
        self._stopped: dict[str, list[float]] = {}  # client → when its queries were stopped in the short lane
        self._heavy: OrderedDict[str, float] = OrderedDict()  # query text hash → when it was last found heavy
        # General workers run at a lower CPU priority than the server, the short lane and a worker being
        # started: heavy queries on every core must not slow down light ones, nor the replacement of a
        # stopped worker.
        self.general = _Lane(self, "general", size, nice=self._GENERAL_NICE)
        self.short = _Lane(self, "short", max(0, short_size), spares=1)
        self.general.start(wait_ready)
        self.short.start(wait_ready)

    # -- bookkeeping ----------------------------------------------------------------------------

    def note_confinement(self, confinement) -> None:
        if confinement is None or self.confinement is not None:
            return
        self.confinement = confinement
        if not confinement.network and not self.settings.network:
            log.warning("query workers could not shut off their network access (%s): only the SPARQL check "
                        "keeps queries from fetching", confinement.reason)

    @property
    def _all(self) -> set[_Worker]:
        return self.general.all | self.short.all

    def invalidate(self) -> None:
        """The store changed: workers reopen it before their next job."""
        with self.generation.get_lock():
            self.generation.value += 1

    _GENERAL_NICE = 5
    _SUSPECT_FOR = 30.0  # seconds a query stopped in the short lane shortens its client's short limit
    _SHORTEST = 0.05  # the shortest short limit
    _SHORT_WAITERS = 6  # requests that may wait for a short worker at once (the newest ones)
    _HEAVY_MEMORY = 4096  # query texts remembered as heavy
    _HEAVY_FOR = 600.0  # seconds a query text stays known as heavy

    @staticmethod
    def _key(job: Job) -> str:
        return hashlib.sha256(job.query.encode("utf-8", "surrogatepass")).hexdigest()

    def _known_heavy(self, job: Job) -> bool:
        key = self._key(job)
        with self.lock:
            when = self._heavy.get(key)
            if when is None:
                return False
            if time.monotonic() - when > self._HEAVY_FOR:
                del self._heavy[key]
                return False
            return True

    def _short_limit_for(self, client: str) -> float:
        """The short lane's limit for ``client``: ``short_limit``, or only ``_SHORTEST`` if one of its
        queries was stopped there in the last ``_SUSPECT_FOR`` seconds, so a client sending many different
        heavy queries holds the short lane only briefly; its light queries (milliseconds) still run there,
        and a query stopped there still waits for a general worker."""
        with self.lock:
            now = time.monotonic()
            recent = [t for t in self._stopped.get(client, ()) if now - t < self._SUSPECT_FOR]
            if recent:
                self._stopped[client] = recent
            else:
                self._stopped.pop(client, None)
        return self._SHORTEST if recent else self.short_limit

    def _mark_heavy(self, job: Job, client: str = "") -> None:
        with self.lock:
            now, key = time.monotonic(), self._key(job)
            self._stopped.setdefault(client, []).append(now)
            if len(self._stopped) > self._HEAVY_MEMORY:
                self._stopped.pop(next(iter(self._stopped)))
            self._heavy[key] = now
            self._heavy.move_to_end(key)
            while len(self._heavy) > self._HEAVY_MEMORY:
                self._heavy.popitem(last=False)

    # -- running jobs ---------------------------------------------------------------------------

    def run(self, job, timeout: float | None = None, client: str = "") -> Outcome:
        """Run a job; raises QueryTimeout, PoolBusy, TooManyQueries or WorkerFailed.

        A query whose worker dies under it is tried once more in another worker (a query
        that kills workers fails the second time too); other jobs are not repeated.
        """
        limit = self.timeout if timeout is None else timeout
        with self.lock:
            over_cap = bool(client) and isinstance(job, Job) and self._inflight[client] >= self.client_cap
            self._inflight[client] += 1
        try:
            try:
                return self._schedule(job, limit, over_cap, client)
            except WorkerFailed:
                if not isinstance(job, Job):
                    raise
                return self._schedule(job, limit, over_cap, client)
        finally:
            with self.lock:
                self._inflight[client] -= 1
                if self._inflight[client] <= 0:
                    del self._inflight[client]

    def _schedule(self, job, limit: float, over_cap: bool, client: str) -> Outcome:
        deadline = time.monotonic() + limit
        worker = self.general.take(0)
        if worker is not None:
            return self._run_on(self.general, worker, job, limit)
        if isinstance(job, Job) and self.short.size and not self._known_heavy(job):
            # A client under its cap waits a little for a short worker, then for a general one; a client
            # past it has only the short lane, and waits there while newer requests do not push it out.
            worker = self._wait_for_short(limit if over_cap else min(self.short_limit + 0.5, limit))
            if worker is not None and self._known_heavy(job):  # found heavy while this one waited
                self.short.give_back(worker)
            elif worker is not None:
                short = min(self._short_limit_for(client), limit)
                try:
                    return self._run_on(self.short, worker, job, short)
                except QueryTimeout:
                    if short >= limit:
                        raise
                    self._mark_heavy(job, client)
        if over_cap:
            raise TooManyQueries(
                f"this client already has {self.client_cap} queries running or waiting, the most it may have "
                "(setting client-queries); wait for them to finish", retry_after=max(1, round(limit / 2)))
        with self.lock:
            if self._waiting >= self.queue_max:
                raise PoolBusy(f"{self._waiting} jobs are already waiting for a worker")
            self._waiting += 1
        try:
            wait = min(self.queue_wait, deadline - time.monotonic())
            worker = self.general.take(wait)
        finally:
            with self.lock:
                self._waiting -= 1
        if worker is None:
            raise PoolBusy(f"every query worker stayed busy for {max(wait, 0):.3g} s")
        return self._run_on(self.general, worker, job, max(deadline - time.monotonic(), 0.001))

    def _wait_for_short(self, wait: float) -> _Worker | None:
        """A short worker within ``wait`` seconds, or None. Waiters form a stack, newest first, of at
        most ``_SHORT_WAITERS``; a newcomer pushes the oldest out. Whatever holds a short worker leaves
        it within short_limit (it ends or is stopped, and a stopped one is replaced from the fork server
        at once), so under a flood of heavy queries the newest request — a light one sent while the
        flood runs — gets the next short worker, and a flood holds few HTTP threads waiting."""
        ticket = _Ticket()
        deadline = time.monotonic() + wait
        with self.lock:
            self._short_waiters.append(ticket)
            if len(self._short_waiters) > self._SHORT_WAITERS:
                self._short_waiters.pop(0).pushed_out = True
        try:
            while not ticket.pushed_out:
                with self.lock:
                    first = self._short_waiters[-1] is ticket
                if first:
                    worker = self.short.take(0)
                    if worker is not None:
                        return worker
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.01)
            return None
        finally:
            with self.lock:
                if ticket in self._short_waiters:
                    self._short_waiters.remove(ticket)

    def _run_on(self, lane: _Lane, worker: _Worker, job, limit: float) -> Outcome:
        try:
            worker.conn.send(job)
            if not worker.conn.poll(limit):
                lane.retire(worker)
                raise QueryTimeout(f"the {'query' if isinstance(job, Job) else 'job'} ran past the time limit "
                                   f"of {limit:g} s and was stopped")
            outcome = worker.conn.recv()
        except (EOFError, BrokenPipeError, OSError) as err:
            worker.process.join(1)  # the pipe closed because the worker died: let its exit code arrive
            code = worker.process.exitcode
            lane.retire(worker)
            raise WorkerFailed(f"the worker failed ({_exit_reason(code) or err})") from err
        except QueryTimeout:
            raise
        except BaseException:
            lane.retire(worker)
            raise
        lane.give_back(worker)
        return outcome

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self._all)
        for worker in workers:
            worker.stop()


def _exit_reason(code: int | None) -> str:
    import signal

    if code is None:
        return ""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
