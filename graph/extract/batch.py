"""Batch ingest: many texts through :func:`~pilotkg.graph.extract.ingest.ingest`
in parallel, one draft graph and one report per text, and a summary.

The pieces, top-down:

* :func:`collect_texts` turns folders and files into the sorted list of texts
  (``*.txt`` of a folder; curation files and ingest's own outputs, ``*.draft.*``,
  are skipped).
* :func:`ingest_text` is **the per-text job**: it runs ``ingest()`` on one text
  with the gazetteers of its process (loaded once per process by
  :func:`worker_gazetteers`) and returns a :class:`TextOutcome`: the draft as
  TriG, the report, the counts, or the error that made the text unusable. It
  never raises for a text; the parent process writes every file, so a worker
  needs only to read the texts.
* :func:`run_processes` runs the jobs on a ``ProcessPoolExecutor`` of the
  ``spawn`` context (no fork of a process that holds threads), the gazetteers
  loaded by the pool's initializer. Not ``forkserver``: a process has one fork
  server, whose preloaded modules the server's query workers set
  (:mod:`pilotkg.server.workers`); a batch run in the same process would change
  them. A spawned worker costs about a second of imports, once per run. A worker that dies (killed, out of memory,
  a crash in native code) breaks the pool: the texts that were running are
  retried each alone in a fresh pool, so the text that kills its worker is
  reported as that text's failure and the others are ingested.
* :func:`run_dask` submits the same job to a Dask distributed cluster (the
  optional ``dask`` extra): a scheduler's address, or a ``LocalCluster``.
* :func:`run_batch` writes the drafts and reports as outcomes arrive (each file
  is a function of its text alone, so the bytes do not depend on the number of
  processes or the order of arrival) and :func:`summary_table` /
  :func:`summary_dict` give the summary in sorted text order.

Exit codes, per text and overall (the worst): 0 the draft conforms, 1 it has
violations, 2 unusable input (not UTF-8, empty, missing) or a failed worker.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from .divisions import NationalGazetteer, load_national_gazetteer
from .gazetteer import Gazetteer, load_gazetteer
from .ingest import IngestInputError, ingest

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

#: The kinds the summary table shows, in its column order (the JSON has them all).
TABLE_KINDS = ("policy", "programme", "zones", "bodies", "responsibilities", "dates", "counts")
_HEADS = {"policy": "policy", "programme": "progr", "zones": "zones", "bodies": "bodies",
          "responsibilities": "resp", "dates": "dates", "counts": "counts"}

DASK_EXTRA_HINT = "Dask distributed is not installed: install the extra with pip install 'pilotkg[dask]'"


class BatchError(RuntimeError):
    """A batch that cannot start: no texts, two texts writing one file, no cluster."""


# --------------------------------------------------------------------------- the texts


def is_ingest_output(path: Path) -> bool:
    """A file ingest writes or reads beside a text, never a text itself: ``X.draft.trig``,
    ``X.draft.report.txt``/``.json``, ``X.curation.yaml``."""
    return ".draft." in path.name or path.name.endswith(".curation.yaml")


def collect_texts(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """The texts to ingest, sorted by path, and notes on what was skipped.

    A folder gives its ``*.txt`` files (not recursively); a file is taken as
    named (a missing one too: its job reports it), unless it is one of ingest's
    own outputs or a curation file. A text named twice is ingested once."""
    texts: dict[Path, Path] = {}
    notes: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.txt") if p.is_file())
            kept = [p for p in found if not is_ingest_output(p)]
            if len(kept) < len(found):
                notes.append(f"{path}: skipped {len(found) - len(kept)} draft output(s)")
            if not kept:
                notes.append(f"{path}: no texts (*.txt)")
            candidates = kept
        elif is_ingest_output(path):
            notes.append(f"{path}: skipped (a draft output or curation file, not a text)")
            continue
        else:
            candidates = [path]
        for p in candidates:
            texts.setdefault(p.resolve(), p)
    return sorted(texts.values(), key=str), notes


def output_paths(text: Path, output_dir: Path | None, report: str) -> tuple[Path, Path]:
    """Where the draft of ``text`` and its report go: ``NAME.draft.trig`` and
    ``NAME.draft.report.txt|json``, beside the text or in ``output_dir``."""
    folder = output_dir if output_dir is not None else text.parent
    return folder / f"{text.stem}.draft.trig", folder / f"{text.stem}.draft.report.{'json' if report == 'json' else 'txt'}"


# --------------------------------------------------------------------------- the per-text job


@dataclass(frozen=True)
class TextJob:
    """One text to ingest. ``path`` is absolute (what a worker reads, whatever its
    working directory); ``name`` is the path as the user gave it (what reports show)."""

    index: int
    path: str
    name: str
    report: str = "text"  # "text" | "json": which report the job renders


@dataclass
class TextOutcome:
    """What ingesting one text gave: the draft and its report, or the error."""

    name: str
    exit_code: int
    seconds: float
    error: str | None = None
    graph: str | None = None
    quads: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unknown_bodies: int = 0
    unknown_places: int = 0
    ambiguous_places: int = 0
    violations: int = 0
    warnings: int = 0
    trig: str | None = None  # the draft; written by the parent, never in the JSON
    report_text: str | None = None
    report: dict[str, Any] | None = None
    draft_file: str | None = None  # set by the parent once written
    report_file: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "failed"
        return "conforms" if self.exit_code == EXIT_OK else "violations"

    def row(self) -> dict[str, Any]:
        """The summary row of this text (what the JSON lists beside its report)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("trig", "report_text", "report")}
        out["status"] = self.status
        out["seconds"] = round(self.seconds, 3)
        return out


def failure(job: TextJob, error: str, seconds: float = 0.0) -> TextOutcome:
    return TextOutcome(job.name, EXIT_BAD_INPUT, seconds, error=error)


_GAZETTEERS: tuple[Gazetteer, NationalGazetteer] | None = None
_GAZETTEERS_LOCK = threading.Lock()
_INGEST_LOCK = threading.Lock()


def worker_gazetteers() -> tuple[Gazetteer, NationalGazetteer]:
    """The seed and national gazetteers of this process, loaded on the first call."""
    global _GAZETTEERS
    with _GAZETTEERS_LOCK:
        if _GAZETTEERS is None:
            _GAZETTEERS = (load_gazetteer(), load_national_gazetteer())
        return _GAZETTEERS


def ingest_text(job: TextJob) -> TextOutcome:
    """The per-text job: ingest one text, render its draft and report; never raises for a text.

    Runs in a worker process (or on a Dask worker); one ingest at a time per
    process, so that a Dask worker with several threads stays correct."""
    started = time.perf_counter()
    gaz, national = worker_gazetteers()
    with _INGEST_LOCK:
        try:
            result = ingest(job.path, gazetteer=gaz, national=national)
        except IngestInputError as err:
            return failure(job, str(err).replace(job.path, job.name), time.perf_counter() - started)
        except Exception as err:  # noqa: BLE001 - a pipeline error on this text is this text's failure
            return failure(job, f"ingest failed: {type(err).__name__}: {err}".replace(job.path, job.name),
                           time.perf_counter() - started)
        trig = result.trig()
        report = result.as_dict() if job.report == "json" else None
        if report is not None:
            report["file"] = job.name
        report_text = result.as_text() if job.report != "json" else None
    return TextOutcome(
        name=job.name,
        exit_code=EXIT_OK if result.conforms else EXIT_FAILED,
        seconds=time.perf_counter() - started,
        graph=str(result.graph),
        quads=len(result.quads),
        counts=result.counts(),
        unknown_bodies=len(result.unknown_bodies),
        unknown_places=len(result.unknown_places),
        ambiguous_places=len(result.ambiguous_places),
        violations=len(result.report.violations),
        warnings=len(result.report.warnings),
        trig=trig,
        report_text=report_text,
        report=report,
    )


JobFunction = Callable[[TextJob], TextOutcome]
Deliver = Callable[[int, TextOutcome], None]


# --------------------------------------------------------------------------- local processes


_STARTED: Any = None  # in a pool worker: the shared flags, one per text, set when its job starts


def _init_pool_worker(started: Any) -> None:
    global _STARTED
    _STARTED = started
    worker_gazetteers()


def _pool_job(job_fn: JobFunction, job: TextJob) -> TextOutcome:
    _STARTED[job.index] = 1
    return job_fn(job)


def default_jobs(n_texts: int) -> int:
    """The CPU count (of this process's CPUs), capped by the number of texts."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, n_texts))


def run_processes(jobs: Sequence[TextJob], workers: int, deliver: Deliver, job_fn: JobFunction = ingest_text) -> None:
    """Run ``job_fn`` on every job in ``workers`` spawned processes; ``deliver(index, outcome)``
    is called in this process as each one finishes, exactly once per job.

    A worker that dies breaks its pool. Then the jobs that had not started run
    again in a new pool; those that were running are retried each alone, and the
    one whose worker dies alone is delivered as failed ("the worker process
    died"). A pool that breaks with no job running (a worker that cannot start)
    fails the jobs it held, naming the reason."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    pending: dict[int, TextJob] = {job.index: job for job in jobs}
    size = max(job.index for job in jobs) + 1 if jobs else 0
    alone: list[int] = []  # jobs to retry each in a pool of its own
    while pending:
        if alone:
            batch, n = {alone[0]: pending[alone[0]]}, 1
        else:
            batch, n = dict(pending), max(1, min(workers, len(pending)))
        started = ctx.RawArray("b", size)
        broken: dict[int, str] = {}
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_pool_worker, initargs=(started,))
        try:
            futures = {}
            for i, job in batch.items():
                try:
                    futures[pool.submit(_pool_job, job_fn, job)] = i
                except BrokenProcessPool as err:  # a worker died while the jobs were handed out
                    broken[i] = str(err)
            waiting = set(futures)
            while waiting:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    i = futures[future]
                    try:
                        outcome = future.result()
                    except BrokenProcessPool as err:
                        broken[i] = str(err)
                        continue
                    except Exception as err:  # noqa: BLE001 - e.g. an outcome that cannot be pickled
                        outcome = failure(batch[i], f"the worker failed: {type(err).__name__}: {err}")
                    del pending[i]
                    deliver(i, outcome)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if not broken:
            if alone:
                alone.pop(0)
            continue
        running = sorted(i for i in broken if started[i])
        if alone:
            i = alone.pop(0)
            del pending[i]
            died = "the worker process ingesting this text died (killed or crashed)"
            deliver(i, failure(batch[i], died if running else f"no worker process could run it: {broken[i]}"))
        elif len(running) == 1:
            (i,) = running
            del pending[i]
            deliver(i, failure(batch[i], "the worker process ingesting this text died (killed or crashed)"))
        elif running:
            alone.extend(running)
        else:  # no job had started: the workers themselves could not run
            reason = next(iter(broken.values()))
            for i in sorted(broken):
                del pending[i]
                deliver(i, failure(batch[i], f"no worker process could run it: {reason}"))


# --------------------------------------------------------------------------- Dask distributed


def _import_distributed():
    try:
        import distributed
    except ImportError as err:
        raise BatchError(DASK_EXTRA_HINT) from err
    return distributed


def _warm_worker() -> None:
    worker_gazetteers()


def run_dask(jobs: Sequence[TextJob], deliver: Deliver, *, scheduler: str | None = None, local_workers: int = 1,
             job_fn: JobFunction = ingest_text, connect_timeout: float = 20) -> str:
    """Run ``job_fn`` on every job on a Dask cluster: the scheduler at ``scheduler``,
    or (without one) a ``LocalCluster`` of ``local_workers`` processes of one thread
    on 127.0.0.1, started and closed here. Returns a description of the cluster.

    The workers read the texts by their absolute paths (on a cluster of several
    machines, a file system they share); this process writes every file. A job
    whose worker dies is retried by Dask on another worker, and after Dask's
    allowed failures is delivered as failed."""
    distributed = _import_distributed()
    cluster = None
    try:
        if scheduler:
            try:
                client = distributed.Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as err:
                raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err
            where = f"the Dask scheduler at {scheduler}"
        else:
            cluster = distributed.LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None)
            client = distributed.Client(cluster)
            where = f"a local Dask cluster of {local_workers} worker process(es)"
        try:
            client.run(_warm_worker)  # the gazetteers, once per worker (a worker that joins later loads them on its first text)
            futures = client.map(job_fn, list(jobs), key=[f"pilotkg-ingest-{job.index}-{os.getpid()}-{time.time_ns()}" for job in jobs],
                                 pure=False)
            by_future = {f.key: job for f, job in zip(futures, jobs)}
            for future in distributed.as_completed(futures):
                job = by_future[future.key]
                try:
                    outcome = future.result()
                except Exception as err:  # noqa: BLE001 - KilledWorker, a lost worker: this text's failure
                    outcome = failure(job, f"the Dask worker failed: {type(err).__name__}: {err}")
                deliver(job.index, outcome)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
    return where


# --------------------------------------------------------------------------- the batch


@dataclass
class BatchResult:
    outcomes: list[TextOutcome]  # in sorted text order
    seconds: float
    runner: str
    jobs: int | None

    @property
    def exit_code(self) -> int:
        return max((o.exit_code for o in self.outcomes), default=EXIT_OK)


_UMASK: list[int] = []


def _file_mode() -> int:
    """The mode a plain ``open(..., "w")`` gives (0o666 less the umask), for the files
    written through a temporary file (which ``mkstemp`` makes 0o600)."""
    if not _UMASK:
        mask = os.umask(0o022)
        os.umask(mask)
        _UMASK.append(mask)
    return 0o666 & ~_UMASK[0]


def _write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it: a file is
    either the previous one or complete, never half written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def run_batch(
    texts: Sequence[Path],
    *,
    output_dir: Path | None = None,
    report: str = "text",
    jobs: int | None = None,
    scheduler: str | None = None,
    dask_local: bool = False,
    progress: Callable[[TextOutcome], None] | None = None,
    job_fn: JobFunction = ingest_text,
) -> BatchResult:
    """Ingest ``texts`` (sorted, see :func:`collect_texts`) in parallel and write one draft
    and one report per text. Raises :class:`BatchError` before anything runs if two
    texts would write the same file, or if the cluster cannot be reached."""
    targets = [output_paths(t, output_dir, report) for t in texts]
    owners: dict[Path, Path] = {}
    for text, (draft, _report) in zip(texts, targets):
        other = owners.setdefault(draft.resolve(), text)
        if other != text:
            raise BatchError(f"{other} and {text} would both write {draft}: give texts of distinct names (or no --output-dir)")
    batch = [TextJob(i, str(t.resolve()), str(t), report) for i, t in enumerate(texts)]
    outcomes: list[TextOutcome | None] = [None] * len(batch)

    def deliver(i: int, outcome: TextOutcome) -> None:
        if outcome.error is None:
            draft, report_file = targets[i]
            if report == "json":
                body = json.dumps(outcome.report, ensure_ascii=False, indent=2) + "\n"
            else:
                body = (outcome.report_text or "") + "\n"
            try:
                _write_atomically(draft, (outcome.trig or "").encode("utf-8"))
                _write_atomically(report_file, body.encode("utf-8"))
            except OSError as err:
                outcome.error = f"cannot write {err.filename or draft}: {err.strerror}"
                outcome.exit_code = EXIT_BAD_INPUT
            else:
                outcome.draft_file, outcome.report_file = str(draft), str(report_file)
        outcome.trig = None  # written; no need to keep every draft in memory
        outcomes[i] = outcome
        if progress is not None:
            progress(outcome)

    # The longest texts first, so that no long text starts last and runs alone; the files
    # and the summary do not depend on the order.
    batch = sorted(batch, key=lambda job: (-_size(job.path), job.index))
    started = time.perf_counter()
    if scheduler or dask_local:
        workers = jobs or default_jobs(len(batch))
        runner = run_dask(batch, deliver, scheduler=scheduler, local_workers=workers, job_fn=job_fn)
        used = None if scheduler else workers
    else:
        used = jobs or default_jobs(len(batch))
        used = max(1, min(used, len(batch)))
        if batch:
            run_processes(batch, used, deliver, job_fn)
        runner = f"{used} worker process(es)"
    missing = [job.name for job in batch if outcomes[job.index] is None]
    if missing:  # cannot happen: every runner delivers each job once
        raise RuntimeError(f"no outcome for {', '.join(missing)}")
    return BatchResult([o for o in outcomes if o is not None], time.perf_counter() - started, runner, used)


# --------------------------------------------------------------------------- the summary


def _totals(outcomes: Iterable[TextOutcome]) -> dict[str, Any]:
    outcomes = list(outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        for kind, n in o.counts.items():
            counts[kind] = counts.get(kind, 0) + n
    return {
        "texts": len(outcomes),
        "conform": sum(o.status == "conforms" for o in outcomes),
        "with_violations": sum(o.status == "violations" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
        "quads": sum(o.quads for o in outcomes),
        "counts": counts,
        "unknown_bodies": sum(o.unknown_bodies for o in outcomes),
        "unknown_places": sum(o.unknown_places for o in outcomes),
        "ambiguous_places": sum(o.ambiguous_places for o in outcomes),
        "violations": sum(o.violations for o in outcomes),
        "warnings": sum(o.warnings for o in outcomes),
        "seconds": round(sum(o.seconds for o in outcomes), 3),
    }


def summary_dict(result: BatchResult) -> dict[str, Any]:
    """The summary: one row per text (sorted) and the totals."""
    return {
        "runner": result.runner,
        "jobs": result.jobs,
        "wall_seconds": round(result.seconds, 3),
        "exit_code": result.exit_code,
        "rows": [o.row() for o in result.outcomes],
        "totals": _totals(result.outcomes),
    }


def batch_json(result: BatchResult) -> str:
    """``--report json``: one document with every text's report and the summary."""
    texts = [{**o.row(), "report": o.report} for o in result.outcomes]
    return json.dumps({"texts": texts, "summary": summary_dict(result)}, ensure_ascii=False, indent=2)


def summary_table(result: BatchResult) -> str:
    """The summary a person reads: per text (sorted) the counts per kind, the unknown and
    ambiguous places, violations and warnings, seconds and the result; then the totals."""
    heads = ["text", *(_HEADS[k] for k in TABLE_KINDS), "unk.pl", "ambig", "viol", "warn", "seconds", "result"]
    rows: list[list[str]] = []
    for o in result.outcomes:
        if o.error is not None:
            numbers = ["-"] * (len(TABLE_KINDS) + 4)
            verdict = f"error: {o.error}"
        else:
            numbers = [str(o.counts.get(k, 0)) for k in TABLE_KINDS]
            numbers += [str(o.unknown_places), str(o.ambiguous_places), str(o.violations), str(o.warnings)]
            verdict = o.status
        rows.append([o.name, *numbers, f"{o.seconds:.2f}", verdict])
    t = _totals(result.outcomes)
    total_numbers = [str(t["counts"].get(k, 0)) for k in TABLE_KINDS]
    total_numbers += [str(t["unknown_places"]), str(t["ambiguous_places"]), str(t["violations"]), str(t["warnings"])]
    verdict = f"{t['conform']} conform, {t['with_violations']} with violations, {t['failed']} failed"
    rows.append([f"total ({t['texts']} texts)", *total_numbers, f"{t['seconds']:.2f}", verdict])
    widths = [max(len(r[c]) for r in [heads, *rows]) for c in range(len(heads) - 1)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        middle = "  ".join(cell.rjust(widths[c]) for c, cell in enumerate(cells[1:-1], start=1))
        return f"{first}  {middle}  {cells[-1]}".rstrip()

    rule = "-" * len(line(heads))
    return "\n".join([line(heads), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])])


def final_line(result: BatchResult) -> str:
    t = _totals(result.outcomes)
    drafts = sum(o.draft_file is not None for o in result.outcomes)
    return (f"ingested {t['texts']} text(s) in {result.seconds:.1f} s on {result.runner}: {drafts} draft(s) written, "
            f"{t['conform']} conform, {t['with_violations']} with violations, {t['failed']} failed (exit {result.exit_code})")


# --------------------------------------------------------------------------- the command's batch mode


def main(paths: Sequence[str], *, output_dir: str | None, report: str, jobs: int | None, scheduler: str | None,
         dask_local: bool, quiet: bool) -> int:
    """``pilotkg ingest`` on a folder or several files; returns the exit code.

    Prints the summary table (``--report text``) or one JSON document (``--report
    json``) on stdout; on stderr the skipped files, a progress bar when stderr is a
    terminal and not ``quiet``, and a final line either way."""
    texts, notes = collect_texts(paths)
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    if not texts:
        click.echo("Error: no texts to ingest (a folder gives its *.txt files)", err=True)
        return EXIT_BAD_INPUT
    show_bar = not quiet and sys.stderr.isatty()
    bar = None
    if show_bar:
        bar = click.progressbar(length=len(texts), label="Ingesting", file=sys.stderr, show_pos=True, show_percent=True,
                                item_show_func=lambda name: name)

    def progress(outcome: TextOutcome) -> None:
        if bar is not None:
            bar.update(1, outcome.name)

    try:
        if bar is not None:
            bar.__enter__()
        try:
            result = run_batch(texts, output_dir=Path(output_dir) if output_dir else None, report=report, jobs=jobs,
                               scheduler=scheduler, dask_local=dask_local, progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    except BatchError as err:
        click.echo(f"Error: {err}", err=True)
        return EXIT_BAD_INPUT
    click.echo(batch_json(result) if report == "json" else summary_table(result))
    click.echo(final_line(result), err=True)
    return result.exit_code
