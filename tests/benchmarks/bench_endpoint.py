"""The SPARQL endpoint against ``oxigraph serve``, side by side, on the same data and queries.

For each dataset size (the seed build, and synthetic graphs of its shape made
by ``synthetic.py``) this starts ``pilotkg serve`` (embedded RocksDB store,
query worker processes, waitress + Flask) and ``oxigraph serve`` (in memory by
default, or on RocksDB after ``oxigraph load``) on free 127.0.0.1 ports, sends
the same researcher queries to both (POST ``application/sparql-query``,
``Accept: application/sparql-results+json``), and prints, per query, the median
latency of each and their ratio (pilotkg ÷ oxigraph: 2.0× means pilotkg takes
twice as long), then the throughput of ``--clients`` concurrent clients
running the query mix. A column "in-process" gives, for reference, the same
query run by pyoxigraph in this process on pilotkg's store with pilotkg's JSON
serialiser — what a query worker does — so that pilotkg − in-process is the
cost of the HTTP server and the hop to the worker process.

    python tests/benchmarks/bench_endpoint.py [--sizes seed,100k,1m] [--repeat 5] [--clients 4]
    pytest tests/benchmarks -m benchmark          # the seed size, fewer repeats

Loopback only; every loop is bounded; both servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synthetic  # noqa: E402  (the sibling module, also when run as a script)

try:
    import pytest
except ImportError:  # running as a script without the test extra
    pytest = None

RESULTS_JSON = "application/sparql-results+json"
QUERY_TYPE = "application/sparql-query"
DATASET_FILE = "dataset.nq"
INFO_FILE = "build-info.json"

PREFIXES = """PREFIX pk: <https://w3id.org/pilotkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
ID = "https://w3id.org/pilotkg/id/"


@dataclass(frozen=True)
class BenchQuery:
    name: str
    what: str
    sparql: str
    in_mix: bool = True  # part of the throughput mix and of the geometric mean


# Seed resources are in every size (a synthetic dataset starts with the seed build),
# so the point lookups find the same rows at every size; the scans grow with it.
QUERIES = [
    BenchQuery("ask_floor", "ASK {}: the fixed cost of one request (not in the mix)", "ASK {}", in_mix=False),
    BenchQuery("zones_of_programme", "the zones of one programme, their names and divisions", PREFIXES + f"""
SELECT ?zone ?name ?division WHERE {{
  <{ID}programme/national-urban-rural-integration-pilot-zones> pk:hasZone ?zone .
  ?zone rdfs:label ?name ; pk:coversDivision ?division .
}} ORDER BY ?name"""),
    BenchQuery("zones_by_programme", "zones per programme and province, GROUP BY + GROUP_CONCAT", PREFIXES + """
SELECT ?programme ?province (COUNT(DISTINCT ?zone) AS ?zones)
       (GROUP_CONCAT(DISTINCT ?zoneName; separator=", ") AS ?names) WHERE {
  ?p a pk:PilotProgramme ; rdfs:label ?programme ; pk:hasZone ?zone .
  ?zone rdfs:label ?zoneName ; pk:inProvince/rdfs:label ?province .
  FILTER(LANG(?province) = "en")
} GROUP BY ?programme ?province ORDER BY ?programme ?province"""),
    BenchQuery("bodies_per_theme", "distinct bodies and tasks per theme, GROUP BY", PREFIXES + """
SELECT ?theme (COUNT(DISTINCT ?body) AS ?bodies) (COUNT(DISTINCT ?task) AS ?tasks) WHERE {
  ?task a pk:ReformTask ; pk:theme ?theme ; pk:responsibility ?r .
  ?r pk:body ?body .
} GROUP BY ?theme ORDER BY DESC(?bodies) ?theme"""),
    BenchQuery("label_contains", "tasks whose label contains 'land' (text FILTER over every task label)", PREFIXES + """
SELECT ?task ?label WHERE {
  ?task a pk:ReformTask ; rdfs:label ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), "land"))
}"""),
    BenchQuery("zone_division_province", "3 hops: zone → covered division → its province → name", PREFIXES + """
SELECT ?zone ?division ?province WHERE {
  ?zone a pk:PilotZone ; pk:coversDivision ?division .
  ?division pk:withinDivision ?p .
  ?p a pk:ProvinceLevelDivision ; rdfs:label ?province .
  FILTER(LANG(?province) = "en")
}"""),
    BenchQuery("tasks_without_responsibility", "numbered tasks with no responsibility, FILTER NOT EXISTS", PREFIXES + """
SELECT ?task ?item WHERE {
  ?task a pk:ReformTask ; pk:itemNumber ?item .
  FILTER NOT EXISTS { ?task pk:responsibility ?r }
}"""),
    BenchQuery("count_per_class", "instances per class, COUNT DISTINCT over every rdf:type", """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"""),
    BenchQuery("evidence_of_zone", "one zone's evidence: quotes and offsets (point lookup)", PREFIXES + f"""
SELECT ?evidence ?exact ?start ?end WHERE {{
  <{ID}zone/hejiang-county> pk:evidence ?evidence .
  ?evidence oa:hasSelector ?quote, ?position .
  ?quote oa:exact ?exact .
  ?position oa:start ?start ; oa:end ?end .
}} ORDER BY ?start"""),
]


# -- processes ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def console_script(name: str) -> str:
    """The console script beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"the `{name}` command is not installed (pip install {'oxigraph' if name == 'oxigraph' else '-e .'})")
    return found


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}


class Server:
    """A server process started here, with its log; :meth:`stop` terminates, then kills, it."""

    def __init__(self, name: str, args: list[str], url: str, query_url: str, log: Path):
        self.name, self.url, self.query_url, self.log_path = name, url, query_url, log
        self._log = open(log, "wb")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=clean_env(), start_new_session=True)

    def wait_ready(self, probe: str, timeout: float) -> float:
        """Poll ``probe`` (a URL answering GET with 200 when ready) until ready; returns the seconds waited."""
        started = time.perf_counter()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(probe, timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def memory_mb(self) -> float:
        """Resident memory of the server and its children (query workers), from /proc."""
        total = 0
        pids = [self.process.pid]
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        try:  # children left in the session this server leads (its query workers), by group id
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()


def load_pilotkg_store(data_dir: Path) -> float:
    """Load DIR/dataset.nq into pilotkg's embedded store as ``serve`` does, then compact it; returns seconds.

    ``pilotkg serve`` would load it itself, but then its query workers open the
    store read-only while the main process's RocksDB is still compacting the
    fresh bulk load; compaction deletes SST files the workers' handles point to,
    and their queries fail (FileNotFoundError, 500) or hang until the time limit
    (503) until each worker has been replaced (seen at 1M quads, not at 100k).
    Loading and compacting first (``--cold-load`` skips this) measures the steady
    state; ``serve`` then finds the store current (its stamp) and does not reload."""
    import pyoxigraph as ox

    from pilotkg.graph.store import STORE_DIR
    from pilotkg.server.cli import prepare_store
    from pilotkg.server.config import ServerConfig

    started = time.perf_counter()
    prepare_store(ServerConfig(data=data_dir))
    store = ox.Store(str(data_dir / STORE_DIR))
    store.optimize()
    del store
    return time.perf_counter() - started


def start_pilotkg(data_dir: Path, workers: int, log: Path, timeout: float) -> tuple[Server, float]:
    port = free_port()
    args = [console_script("pilotkg"), "--data", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--query-timeout", "60", "--max-rows", "10000000"]
    base = f"http://127.0.0.1:{port}"
    server = Server("pilotkg serve", args, base, base + "/sparql", log)
    return server, server.wait_ready(base + "/health", timeout)


def start_oxigraph(nquads: Path, mode: str, workdir: Path, log: Path, timeout: float) -> tuple[Server, float]:
    """``oxigraph serve`` with the same quads: in memory (loaded over HTTP), or on RocksDB (``oxigraph load`` first).

    Both with ``--union-default-graph``, as pilotkg's default graph is the union of the named graphs.
    Returns the server and the seconds it took to load and get ready."""
    oxigraph = console_script("oxigraph")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    args = [oxigraph, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    if mode == "rocksdb":
        location = workdir / "oxigraph-rocksdb"
        shutil.rmtree(location, ignore_errors=True)
        subprocess.run([oxigraph, "load", "--location", str(location), "--file", str(nquads)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(), timeout=timeout)
        args += ["--location", str(location)]
    server = Server(f"oxigraph serve ({mode})", args, base, base + "/query", log)
    try:
        server.wait_ready(base + "/query?query=ASK%7B%7D", timeout)
        if mode == "memory":
            with open(nquads, "rb") as body:
                answer = requests.post(base + "/store", data=body, headers={"Content-Type": "application/n-quads"},
                                       timeout=timeout)
            answer.raise_for_status()
    except BaseException:
        server.stop()
        raise
    return server, time.perf_counter() - started


# -- data --------------------------------------------------------------------

def build_seed(data_dir: Path) -> Path:
    """``pilotkg --data DIR build`` (the real command); returns the dataset file."""
    proc = subprocess.run([console_script("pilotkg"), "--data", str(data_dir), "build", "--quiet"],
                          capture_output=True, text=True, env=clean_env(), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"pilotkg build failed:\n{proc.stdout}\n{proc.stderr}")
    return data_dir / DATASET_FILE


def prepare_synthetic(seed_nquads: Path, size: int, data_dir: Path) -> synthetic.Generated:
    """DIR/dataset.nq from the generator, and a build-info.json that ``serve`` accepts as current.

    ``pilotkg serve`` rebuilds when ``graph.store_file.is_stale(DIR)`` says so: when
    dataset.nq or build-info.json is missing, or build-info's ``seeds_sha256`` is not
    ``graph.build.seeds_fingerprint()``. So the fingerprint of the installed seeds goes in."""
    from pilotkg.graph.build import seeds_fingerprint
    from pilotkg.graph.store_file import is_stale

    data_dir.mkdir(parents=True, exist_ok=True)
    generated = synthetic.generate(seed_nquads, size, data_dir / DATASET_FILE)
    digest = hashlib.sha256()
    with open(generated.path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    info = {
        "version": "synthetic",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seeds_sha256": seeds_fingerprint(),
        "dataset_sha256": digest.hexdigest(),
        "counts": {"quads": generated.quads},
        "synthetic": {"target": size, "documents": generated.documents, "seed_quads": generated.seed_quads},
    }
    (data_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    if is_stale(data_dir):
        raise RuntimeError(f"{data_dir} would be rebuilt by `pilotkg serve`; build-info.json is not accepted")
    return generated


# -- measuring ---------------------------------------------------------------

def ask(session: requests.Session, url: str, query: str) -> bytes:
    answer = session.post(url, data=query.encode("utf-8"),
                          headers={"Content-Type": QUERY_TYPE, "Accept": RESULTS_JSON}, timeout=180)
    if answer.status_code != 200:
        raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text[:500]}")
    return answer.content


def rows_of(body: bytes) -> int:
    doc = json.loads(body)
    return 1 if "boolean" in doc else len(doc["results"]["bindings"])


class InProcess:
    """pilotkg's store opened read-only in this process, queried and serialised as a worker does."""

    def __init__(self, data_dir: Path, max_rows: int):
        from pilotkg.graph.store import open_store
        from pilotkg.server.results import serialize

        self.store = open_store(data_dir, read_only=True)
        self.serialize = serialize
        self.max_rows = max_rows

    def run(self, query: str) -> bytes:
        return self.serialize(self.store.query(query), "json", self.max_rows).body

    def close(self) -> None:
        self.store.close()


@dataclass
class QueryResult:
    query: BenchQuery
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)

    def median_ms(self, who: str) -> float:
        return statistics.median(self.seconds[who]) * 1000


@dataclass
class Throughput:
    requests: int
    seconds: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class SizeResult:
    size: str
    quads: int
    prepare_s: float  # build or generate the N-Quads
    load_s: float  # load + compact pilotkg's store before serve (0 with --cold-load: serve loads it)
    startup_s: dict[str, float]  # start to ready (oxigraph: including its load)
    memory_mb: dict[str, float]
    queries: list[QueryResult]
    throughput: dict[str, Throughput]
    servers: list[str]


def latencies(targets: dict[str, Callable[[str], bytes]], queries: list[BenchQuery], repeat: int,
              warmup: int = 1) -> list[QueryResult]:
    """Per query: ``warmup`` untimed runs on each target (the first gives the row count), then
    ``repeat`` timed runs, the targets alternating so that drift hits them alike."""
    results = []
    names = list(targets)
    for query in queries:
        result = QueryResult(query)
        for name in names:
            result.rows[name] = rows_of(targets[name](query.sparql))
            for _ in range(warmup - 1):
                targets[name](query.sparql)
            result.seconds[name] = []
        for run in range(repeat):
            order = names if run % 2 == 0 else names[::-1]
            for name in order:
                started = time.perf_counter()
                targets[name](query.sparql)
                result.seconds[name].append(time.perf_counter() - started)
        results.append(result)
    return results


def throughput(url: str, queries: list[BenchQuery], clients: int, rounds: int) -> Throughput:
    """``clients`` threads, each with its own session, run the mix ``rounds`` times (each from its own offset)."""
    barrier = threading.Barrier(clients + 1)
    errors = [0] * clients

    def client(index: int) -> int:
        done = 0
        with requests.Session() as session:
            barrier.wait(60)
            for r in range(rounds):
                for k in range(len(queries)):
                    query = queries[(index + r + k) % len(queries)]
                    try:
                        ask(session, url, query.sparql)
                    except (RuntimeError, requests.RequestException):
                        errors[index] += 1
                    done += 1
        return done

    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client, i) for i in range(clients)]
        barrier.wait(60)
        started = time.perf_counter()
        total = sum(f.result() for f in futures)
        seconds = time.perf_counter() - started
    return Throughput(total, seconds, sum(errors))


def bench_size(label: str, data_dir: Path, workdir: Path, *, repeat: int, clients: int, rounds: int,
               workers: int, oxigraph_modes: list[str], in_process: bool, prepare_s: float,
               timeout: float, cold_load: bool = False, log=print) -> SizeResult:
    nquads = data_dir / DATASET_FILE
    with open(nquads, "rb") as f:
        quads = sum(1 for _ in f)
    servers: dict[str, Server] = {}
    startup: dict[str, float] = {}
    load_s = 0.0
    try:
        if not cold_load:
            log(f"[{label}] loading {quads:,} quads into pilotkg's RocksDB store (as serve does) and compacting it")
            load_s = load_pilotkg_store(data_dir)
        log(f"[{label}] starting pilotkg serve")
        servers["pilotkg"], startup["pilotkg"] = start_pilotkg(data_dir, workers, workdir / f"pilotkg-{label}.log", timeout)
        for mode in oxigraph_modes:
            name = f"oxigraph-{'mem' if mode == 'memory' else 'rocksdb'}"
            log(f"[{label}] starting oxigraph serve ({mode})")
            servers[name], startup[name] = start_oxigraph(nquads, mode, workdir, workdir / f"{name}-{label}.log", timeout)
        sessions = {name: requests.Session() for name in servers}
        targets = {name: (lambda q, s=sessions[name], u=server.query_url: ask(s, u, q)) for name, server in servers.items()}
        local = InProcess(data_dir, 10_000_000) if in_process else None
        if local:
            targets["in-process"] = local.run
        try:
            log(f"[{label}] latency: {len(QUERIES)} queries × ({workers} warm-up + {repeat}) on {', '.join(targets)}")
            results = latencies(targets, QUERIES, repeat, warmup=workers)  # warm every pilotkg worker
        finally:
            if local:
                local.close()
            for session in sessions.values():
                session.close()
        mix = [q for q in QUERIES if q.in_mix]
        rates = {}
        for name, server in servers.items():
            log(f"[{label}] throughput: {name}, {clients} clients × {rounds} rounds × {len(mix)} queries")
            rates[name] = throughput(server.query_url, mix, clients, rounds)
        memory = {name: server.memory_mb() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return SizeResult(label, quads, prepare_s, load_s, startup, memory, results, rates, list(servers))


# -- reporting ---------------------------------------------------------------

def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """A Markdown table, padded so it also reads in a terminal."""
    right = right if right is not None else set(range(1, len(headers)))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "–"


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def oxigraph_names(result: SizeResult) -> list[str]:
    return [n for n in result.servers if n.startswith("oxigraph")]


def size_table(result: SizeResult) -> str:
    oxs = oxigraph_names(result)
    local = "in-process" in result.queries[0].seconds
    headers = ["query", "rows", "pilotkg ms"] + [f"{n} ms" for n in oxs] + [f"ratio vs {n.split('-')[1]}" for n in oxs]
    if local:
        headers += ["in-process ms", "hop ms"]
    rows = []
    for q in result.queries:
        row = [q.query.name + ("" if q.query.in_mix else " *"), str(q.rows["pilotkg"]), ms(q.median_ms("pilotkg"))]
        row += [ms(q.median_ms(n)) for n in oxs]
        row += [ratio(q.median_ms("pilotkg"), q.median_ms(n)) for n in oxs]
        if local:
            row += [ms(q.median_ms("in-process")), ms(q.median_ms("pilotkg") - q.median_ms("in-process"))]
        rows.append(row)
    mix = [q for q in result.queries if q.query.in_mix]
    summary = ["geometric mean (mix)", "", ms(geomean([q.median_ms("pilotkg") for q in mix]))]
    summary += [ms(geomean([q.median_ms(n) for q in mix])) for n in oxs]
    summary += [f"{geomean([q.median_ms('pilotkg') / q.median_ms(n) for q in mix]):.2f}×" for n in oxs]
    if local:
        summary += [ms(geomean([q.median_ms("in-process") for q in mix])), ""]
    rows.append(summary)
    rate_rows = []
    p = result.throughput["pilotkg"]
    for n in ["pilotkg", *oxs]:
        t = result.throughput[n]
        rate_rows.append([n, str(t.requests), f"{t.seconds:.1f}", f"{t.per_second:.1f}", str(t.errors),
                          ratio(t.per_second, p.per_second) if n != "pilotkg" else "1.00×",
                          f"{result.startup_s[n]:.1f}", f"{result.memory_mb[n]:.0f}"])
    mismatched = [q.query.name for q in result.queries if len(set(q.rows.values())) > 1]
    notes = f"\nrow counts differ between servers for: {', '.join(mismatched)}" if mismatched else ""
    return "\n".join([
        f"### {result.size}: {result.quads:,} quads (data made in {result.prepare_s:.1f} s; pilotkg store "
        + (f"loaded and compacted in {result.load_s:.1f} s)" if result.load_s else "loaded by serve)"),
        "",
        table(headers, rows),
        "",
        table(["server", "requests", "seconds", "req/s", "errors", "req/s ÷ pilotkg", "ready in s", "RSS MB"], rate_rows),
    ]) + notes


def summary_table(results: list[SizeResult]) -> str:
    if not results:
        return ""
    oxs = oxigraph_names(results[0])
    headers = ["size", "quads", "data s", "pilotkg load s"]
    for n in oxs:
        headers += [f"latency ratio vs {n.split('-')[1]} (geo. mean)", "min–max"]
    headers += ["pilotkg req/s"] + [f"{n} req/s" for n in oxs] + [f"throughput ratio vs {n.split('-')[1]}" for n in oxs]
    headers += ["pilotkg ready s"] + [f"{n} ready s" for n in oxs]
    rows = []
    for r in results:
        mix = [q for q in r.queries if q.query.in_mix]
        row = [r.size, f"{r.quads:,}", f"{r.prepare_s:.1f}", f"{r.load_s:.1f}"]
        for n in oxs:
            ratios = [q.median_ms("pilotkg") / q.median_ms(n) for q in mix]
            row += [f"{geomean(ratios):.2f}×", f"{min(ratios):.2f}–{max(ratios):.2f}×"]
        p = r.throughput["pilotkg"].per_second
        row += [f"{p:.1f}"] + [f"{r.throughput[n].per_second:.1f}" for n in oxs]
        row += [ratio(r.throughput[n].per_second, p) for n in oxs]
        row += [f"{r.startup_s['pilotkg']:.1f}"] + [f"{r.startup_s[n]:.1f}" for n in oxs]
        rows.append(row)
    return "### summary\n\n" + table(headers, rows)


def legend(args) -> str:
    return (f"Medians of {args.repeat} runs after {args.workers} warm-up runs (one per pilotkg query worker), in ms, "
            f"full response read. ratio = pilotkg ÷ oxigraph "
            f"(>1: pilotkg slower). hop = pilotkg − in-process (HTTP, Flask, the pipe to the query worker). "
            f"* = not in the throughput mix. Throughput: {args.clients} clients × {args.rounds} rounds of the mix; "
            f"req/s ÷ pilotkg > 1: oxigraph serves more. ready in s: start to first answer (oxigraph: with its load). "
            f"pilotkg: {args.workers} query workers, --query-timeout 60 --max-rows 10000000.")


# -- running -----------------------------------------------------------------

@dataclass
class Options:
    sizes: list[str]
    repeat: int = 5
    clients: int = 4
    rounds: int = 10
    workers: int = 2
    oxigraph: str = "memory"
    in_process: bool = True
    workdir: Path | None = None
    seed_dir: Path | None = None
    keep: bool = False
    cold_load: bool = False
    timeout: float = 900.0


def run_benchmark(opts: Options, log=print) -> list[SizeResult]:
    """Run every size; returns the results (the tables are printed as each size finishes)."""
    for size in opts.sizes:
        if size != "seed":
            synthetic.parse_size(size)  # fail early on a bad size
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="pilotkg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    modes = ["memory", "rocksdb"] if opts.oxigraph == "both" else [opts.oxigraph]
    results = []
    try:
        seed_dir = opts.seed_dir
        seed_s = 0.0
        if seed_dir is None:
            seed_dir = workdir / "seed"
            log(f"building the seed dataset: pilotkg --data {seed_dir} build")
            started = time.perf_counter()
            build_seed(seed_dir)
            seed_s = time.perf_counter() - started
        for size in opts.sizes:
            if size == "seed":
                data_dir, prepare_s = seed_dir, seed_s
                if opts.seed_dir is not None:  # someone else's folder: serve (and its store) from a copy
                    data_dir = workdir / "data-seed"
                    data_dir.mkdir(parents=True, exist_ok=True)
                    for name in (DATASET_FILE, INFO_FILE):
                        shutil.copy2(seed_dir / name, data_dir / name)
            else:
                data_dir = workdir / f"data-{size}"
                started = time.perf_counter()
                generated = prepare_synthetic(seed_dir / DATASET_FILE, synthetic.parse_size(size), data_dir)
                prepare_s = time.perf_counter() - started
                log(f"[{size}] generated {generated.quads:,} quads ({generated.documents} synthetic documents) in {prepare_s:.1f} s")
            result = bench_size(size, data_dir, workdir, repeat=opts.repeat, clients=opts.clients, rounds=opts.rounds,
                                workers=opts.workers, oxigraph_modes=modes, in_process=opts.in_process,
                                prepare_s=prepare_s, timeout=opts.timeout, cold_load=opts.cold_load, log=log)
            results.append(result)
            log("\n" + size_table(result) + "\n")
            if data_dir != seed_dir and not opts.keep:
                shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        if not opts.keep and opts.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="seed,100k,1m",
                        help="comma-separated: seed (the built seeds), or a quad count such as 100k, 1m (default: seed,100k,1m)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query and server, after one warm-up run per pilotkg worker (default 5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the throughput run (default 4)")
    parser.add_argument("--rounds", type=int, default=10, help="times each client runs the query mix (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="pilotkg serve --workers (default 2)")
    parser.add_argument("--oxigraph", choices=["memory", "rocksdb", "both"], default="memory",
                        help="oxigraph serve in memory (default), on RocksDB (after oxigraph load), or both")
    parser.add_argument("--no-in-process", dest="in_process", action="store_false",
                        help="skip the in-process pyoxigraph column")
    parser.add_argument("--workdir", type=Path, help="folder for data, stores and server logs (default: a temporary one, removed)")
    parser.add_argument("--seed-dir", type=Path, help="an already built data folder to use for the seed (skips pilotkg build)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and stores")
    parser.add_argument("--cold-load", action="store_true",
                        help="let pilotkg serve load its store itself, without compacting it first "
                             "(reproduces the worker/compaction failure at 1M quads; see load_pilotkg_store)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a server to load and start (default 900)")
    args = parser.parse_args(argv)
    if min(args.repeat, args.clients, args.rounds, args.workers) < 1:
        parser.error("--repeat, --clients, --rounds and --workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    opts = Options(sizes=[s.strip().lower() for s in args.sizes.split(",") if s.strip()], repeat=args.repeat,
                   clients=args.clients, rounds=args.rounds, workers=args.workers, oxigraph=args.oxigraph,
                   in_process=args.in_process, workdir=args.workdir, seed_dir=args.seed_dir, keep=args.keep,
                   cold_load=args.cold_load, timeout=args.timeout)
    log = lambda message: print(message, flush=True)  # noqa: E731
    log(legend(args) + "\n")
    results = run_benchmark(opts, log=log)
    log(summary_table(results))
    return 0


# -- pytest: collected by tests/benchmarks/conftest.py, deselected unless -m benchmark ----------

if pytest is not None:

    @pytest.mark.benchmark
    def test_synthetic_generator(built, tmp_path):
        """The generator is deterministic, reaches its target, and keeps to the build's IRIs and graphs."""
        first = synthetic.generate(built.nquads_path, 40_000, tmp_path / "a.nq")
        second = synthetic.generate(built.nquads_path, 40_000, tmp_path / "b.nq")
        assert first.path.read_bytes() == second.path.read_bytes()
        assert 40_000 <= first.quads < 60_000 and first.documents >= 2
        text = first.path.read_text(encoding="utf-8")
        assert "_:" not in text.replace('"_:', "")  # no blank nodes
        added = text.splitlines()[first.seed_quads:]
        graphs = {line.rsplit(" ", 2)[-2] for line in added}
        assert graphs <= {f"<{ID}graph/inferred>"} | {f"<{ID}graph/source/synthetic-{n}>" for n in range(1, first.documents + 1)}
        assert all(line.startswith(f"<{ID}") for line in added)

    @pytest.mark.benchmark
    def test_endpoint_benchmark(built, tmp_path, capsys):
        """pilotkg serve and oxigraph serve answer every query with the same rows; prints the tables.

        Sizes from BENCH_SIZES (default: seed), e.g. ``BENCH_SIZES=seed,100k pytest tests/benchmarks -m benchmark``."""
        sizes = [s.strip() for s in os.environ.get("BENCH_SIZES", "seed").split(",") if s.strip()]
        opts = Options(sizes=sizes, repeat=3, clients=2, rounds=2, workdir=tmp_path, seed_dir=built.data_dir,
                       timeout=600)
        with capsys.disabled():
            results = run_benchmark(opts, log=lambda m: print(m, flush=True))
            print(summary_table(results), flush=True)
        for result in results:
            for q in result.queries:
                assert len(set(q.rows.values())) == 1, f"{result.size} {q.query.name}: rows differ {q.rows}"
            assert sum(q.rows["pilotkg"] for q in result.queries if q.query.in_mix) > 0
            for name, rate in result.throughput.items():
                assert rate.errors == 0, f"{result.size}: {name} failed {rate.errors} requests under load"


if __name__ == "__main__":
    sys.exit(main())
