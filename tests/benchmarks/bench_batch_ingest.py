"""Batch ingest: wall time of ``pilotkg ingest FOLDER --jobs 1`` against ``--jobs 2``.

The folder holds the five texts of tests/data/ingest/ and the five seeds
(ingested with the generic rules, without their curation files), copied to a
temporary folder. Each setting runs ``--repeat`` times (interleaved, so that a
change of load on a shared machine touches both), timed from the start of the
command to its exit (process start, the workers' start and gazetteers
included); the table gives the median and every run, and the CPU time (user +
system) of the command and its workers. Every run's drafts must
be byte-identical to the first run's, or the benchmark fails.

    python tests/benchmarks/bench_batch_ingest.py [--jobs 1,2] [--repeat 3]
    pytest tests/benchmarks/bench_batch_ingest.py -m benchmark
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "tests" / "data" / "ingest").glob("*.txt")) + sorted((ROOT / "seeds").glob("*.txt"))


def _pilotkg() -> list[str]:
    beside = Path(sys.executable).with_name("pilotkg")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("pilotkg")
    return [found] if found else [sys.executable, "-c", "from pilotkg.graph.cli import main; main()"]


times_load = [0.0]  # the load average when the runs started
cpu: dict[int, list[float]] = {}  # CPU seconds (user + system) of each run


def measure(jobs: list[int], repeat: int, workdir: Path) -> dict[int, list[float]]:
    corpus = workdir / "corpus"
    corpus.mkdir()
    for source in SOURCES:
        shutil.copyfile(source, corpus / source.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    times: dict[int, list[float]] = {j: [] for j in jobs}
    cpu.clear()
    cpu.update({j: [] for j in jobs})
    times_load[0] = os.getloadavg()[0]
    reference: dict[str, bytes] | None = None
    for run in range(repeat):
        for j in jobs:
            out = workdir / f"out-{j}-{run}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run([*_pilotkg(), "ingest", str(corpus), "--jobs", str(j), "--quiet", "--output-dir", str(out)],
                                  capture_output=True, text=True, env=env, timeout=900)
            times[j].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and its workers (waited for)
            cpu[j].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                raise RuntimeError(f"--jobs {j} exited {done.returncode}: {done.stderr}")
            drafts = {p.name: p.read_bytes() for p in sorted(out.glob("*.draft.trig"))}
            if reference is None:
                reference = drafts
            elif drafts != reference:
                raise RuntimeError(f"--jobs {j} (run {run + 1}) wrote other drafts than the first run")
    return times


def table(times: dict[int, list[float]]) -> str:
    base = statistics.median(times[min(times)])
    out = [f"{len(SOURCES)} texts, {os.cpu_count()} CPUs, load average {times_load[0]:.1f} at the start and "
           f"{os.getloadavg()[0]:.1f} at the end", "",
           "| --jobs | median wall s | runs (s) | speed-up | median CPU s |", "| --- | --- | --- | --- | --- |"]
    for j, runs in times.items():
        median = statistics.median(runs)
        out.append(f"| {j} | {median:.1f} | {', '.join(f'{t:.1f}' for t in runs)} | {base / median:.2f}× | "
                   f"{statistics.median(cpu[j]):.1f} |")
    return "\n".join(out)


@pytest.mark.benchmark
def test_batch_ingest_benchmark(tmp_path, capsys):
    times = measure([1, 2], 3, tmp_path)
    with capsys.disabled():
        print("\n" + table(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pilotkg-bench-batch-") as workdir:
        print(table(measure([int(j) for j in args.jobs.split(",")], args.repeat, Path(workdir))))


if __name__ == "__main__":
    main()
