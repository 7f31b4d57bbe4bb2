"""The HTML pages at scale: server time of every page family on the seed build and on synthetic data.

For each size (the seed build; synthetic graphs of its shape from ``synthetic.py``)
this loads the data as ``pilotkg serve`` does (``support.serving()``: the store
loaded, query worker processes started), then asks the app for each page through
Flask's test client — in process, so the time is the server's own (routing, the
SPARQL queries through the worker pipe, Python, the template), without the HTTP
hop the endpoint benchmark measures. Per page: the first request on a fresh app
(**cold**: for ``/search`` the index build, for ``/downloads`` writing every
file), then one untimed warm-up and ``--repeat`` timed requests (**median**,
**p90**). The pages that name a resource pick the one that grows most with the
data (the body with most responsibilities, the programme with most zones, the
largest source text held), found by SPARQL on the store. The last table puts the
sizes side by side: the ratio of the warm medians, and quads ÷ quads for scale.

    python tests/benchmarks/bench_pages.py [--sizes seed,100k] [--repeat 15]
    pytest tests/benchmarks -m benchmark -k pages          # BENCH_SIZES=seed,100k by default here

Loopback only (no network at all: the test client); every loop is bounded.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests/, for support.serving
import bench_endpoint  # noqa: E402  (siblings, also when run as a script)
import synthetic  # noqa: E402

try:
    import pytest
except ImportError:  # running as a script without the test extra
    pytest = None

ID = "https://w3id.org/pilotkg/id/"
PK = "https://w3id.org/pilotkg/ontology#"
ROOT = "https://w3id.org/pilotkg"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXAMPLES = ("body-responsibilities", "tasks-by-theme", "zones-in-province")


@dataclass(frozen=True)
class PageTarget:
    name: str  # a stable name, the same at every size
    path: str  # the URL path and query asked for at this size
    note: str = ""  # what was picked (e.g. "ndrc, 57 responsibilities")


@dataclass
class PageResult:
    target: PageTarget
    status: int
    size_bytes: int
    cold_s: float
    warm_s: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.warm_s) * 1000

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.warm_s)
        return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)] * 1000

    @property
    def cold_ms(self) -> float:
        return self.cold_s * 1000


@dataclass
class SizeResult:
    size: str
    quads: int
    load_s: float
    pages: list[PageResult]


# -- picking the pages ---------------------------------------------------------------------------

def _path(iri: str) -> str:
    return iri[len(ROOT):] if iri.startswith(ROOT) else iri


def _one(store, query: str) -> list[str]:
    """The first row of a SELECT as strings (IRIs bare, literals by value); [] when there is none."""
    for solution in store.query(query):
        return [getattr(v, "value", str(v)) if v is not None else "" for v in solution]
    return []


def pick_targets(data_dir: Path) -> list[PageTarget]:
    """The pages to ask for at this size: fixed ones, and the resources that grow most with the data."""
    from pilotkg.graph.store import open_store
    from pilotkg.graph.resources import seeds_dir

    store = open_store(data_dir, read_only=True)
    try:
        body, body_n = _one(store, f"""SELECT ?b (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?r <{PK}body> ?b }}
                                     GROUP BY ?b ORDER BY DESC(?n) ?b LIMIT 1""")
        programme, zones_n = _one(store, f"""SELECT ?p (COUNT(DISTINCT ?z) AS ?n) WHERE {{
                                     ?p a <{PK}PilotProgramme> ; <{PK}hasZone> ?z }} GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 1""")
        zone, zone_ev = _one(store, f"""SELECT ?z (COUNT(?e) AS ?n) WHERE {{ ?z a <{PK}PilotZone> ; <{PK}evidence> ?e ;
                                     <{PK}coversDivision> ?d }} GROUP BY ?z ORDER BY DESC(?n) ?z LIMIT 1""")
        task, task_r = _one(store, f"""SELECT ?t (COUNT(DISTINCT ?r) AS ?n) WHERE {{ ?t a <{PK}ReformTask> ;
                                     <{PK}responsibility> ?r }} GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 1""")
        province = _one(store, f"""SELECT ?p (COUNT(DISTINCT ?z) AS ?n) WHERE {{ ?z <{PK}inProvince> ?p }}
                                   GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 1""")[0]
        sources = [(s, f) for s, f in (tuple(getattr(v, "value", "") for v in row) for row in store.query(
            f"SELECT ?s ?f WHERE {{ ?s a <{PK}SourceDocument> ; <{PK}fileName> ?f }}"))]
    finally:
        store.close()
    held = [(s, (seeds_dir() / f).stat().st_size) for s, f in sources if f and (seeds_dir() / f).is_file()]
    largest, largest_bytes = max(held, key=lambda pair: pair[1])
    common = "reform"  # in most task labels, synthetic and seed
    chinese = "改革"  # "reform": in the Chinese names of most bodies, seed and synthetic
    return [
        PageTarget("/", "/"),
        PageTarget("/browse", "/browse"),
        PageTarget("/browse/zones", "/browse/zones"),
        PageTarget("/browse/tasks", "/browse/tasks"),
        PageTarget("/browse/bodies", "/browse/bodies"),
        PageTarget("/browse/zones?province=…", "/browse/zones?" + urlencode({"province": province}),
                   f"province {province.rsplit('/', 1)[-1]}"),
        PageTarget("/search?q=reform", "/search?" + urlencode({"q": common}), "cold: the index build"),
        PageTarget("/search?q=改革", "/search?" + urlencode({"q": chinese})),
        PageTarget("zone page", _path(zone), f"{zone.rsplit('/', 1)[-1]}, {zone_ev} evidence"),
        PageTarget("body page", _path(body), f"{body.rsplit('/', 1)[-1]}, {body_n} responsibilities"),
        PageTarget("task page", _path(task), f"{task_r} responsibilities"),
        PageTarget("programme page", _path(programme), f"{zones_n} zones"),
        PageTarget("/source/DOC", _path(largest), f"{largest.rsplit('/', 1)[-1]}, {largest_bytes // 1024} kB"),
        PageTarget("/queries", "/queries"),
        *(PageTarget(f"/queries/{name}", f"/queries/{name}", "defaults") for name in EXAMPLES),
        PageTarget("/ontology", "/ontology"),
        PageTarget("/shapes", "/shapes"),
        PageTarget("/downloads", "/downloads", "cold: writes every file"),
        PageTarget("/sparql", "/sparql", "the editor"),
    ]


# -- measuring -------------------------------------------------------------------------------------

def measure(app, targets: list[PageTarget], repeat: int, log=print) -> list[PageResult]:
    """Cold (first on this app), then 1 untimed + ``repeat`` timed requests per page, as a browser asks."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = HTML
    results = []
    for target in targets:
        started = time.perf_counter()
        response = client.get(target.path)
        cold = time.perf_counter() - started
        body = response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"{target.path} answered {response.status_code}: {body[:400]!r}")
        result = PageResult(target, response.status_code, len(body), cold)
        client.get(target.path).get_data()
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(target.path)
            response.get_data()
            result.warm_s.append(time.perf_counter() - started)
        log(f"  {target.name:<34} cold {result.cold_ms:8.1f}  median {result.median_ms:8.1f}  p90 {result.p90_ms:8.1f} ms"
            f"  {len(body) // 1024:6d} kB  {target.note}")
        results.append(result)
    return results


def bench_size(label: str, data_dir: Path, repeat: int, log=print) -> SizeResult:
    from support import serving

    with open(data_dir / bench_endpoint.DATASET_FILE, "rb") as f:
        quads = sum(1 for _ in f)
    log(f"[{label}] {quads:,} quads: loading the store and starting the app")
    started = time.perf_counter()
    with serving(data_dir, workers=2, query_timeout=120) as app:
        load_s = time.perf_counter() - started
        targets = pick_targets(data_dir)
        log(f"[{label}] {len(targets)} pages × (cold + 1 warm-up + {repeat})")
        pages = measure(app, targets, repeat, log=log)
    return SizeResult(label, quads, load_s, pages)


# -- reporting -------------------------------------------------------------------------------------

def ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def size_table(result: SizeResult) -> str:
    rows = [[p.target.name, ms(p.median_ms), ms(p.p90_ms), ms(p.cold_ms), f"{p.size_bytes // 1024}", p.target.note]
            for p in result.pages]
    return (f"### {result.size}: {result.quads:,} quads (store loaded, app started in {result.load_s:.1f} s)\n\n"
            + bench_endpoint.table(["page", "median ms", "p90 ms", "cold ms", "kB", "picked"], rows, right={1, 2, 3, 4}))


def comparison_table(results: list[SizeResult]) -> str:
    """Pages side by side across sizes: median / p90 / cold per size, and the ratio of medians to the first size."""
    if len(results) < 2:
        return ""
    base = results[0]
    headers = ["page"]
    for r in results:
        headers += [f"{r.size} median", f"{r.size} p90", f"{r.size} cold"]
    headers += [f"{r.size} ÷ {base.size}" for r in results[1:]]
    rows = []
    for i, page in enumerate(base.pages):
        row = [page.target.name]
        for r in results:
            p = r.pages[i]
            row += [ms(p.median_ms), ms(p.p90_ms), ms(p.cold_ms)]
        row += [f"{r.pages[i].median_ms / page.median_ms:.1f}×" for r in results[1:]]
        rows.append(row)
    rows.append(["(quads)"] + [""] * (3 * len(results)) + [f"{r.quads / base.quads:.1f}×" for r in results[1:]])
    return "### side by side (ms)\n\n" + bench_endpoint.table(headers, rows)


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


# -- running ---------------------------------------------------------------------------------------

def run_benchmark(sizes: list[str], repeat: int, workdir: Path, seed_dir: Path | None = None,
                  keep: bool = False, log=print) -> list[SizeResult]:
    if seed_dir is None:
        seed_dir = workdir / "seed"
        log(f"building the seed dataset: pilotkg --data {seed_dir} build")
        bench_endpoint.build_seed(seed_dir)
    results = []
    for size in sizes:
        data_dir = workdir / f"data-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        if size == "seed":  # a copy: the app loads its own store (and downloads) into the folder
            data_dir.mkdir(parents=True)
            for name in (bench_endpoint.DATASET_FILE, bench_endpoint.INFO_FILE):
                shutil.copy2(seed_dir / name, data_dir / name)
        else:
            generated = bench_endpoint.prepare_synthetic(seed_dir / bench_endpoint.DATASET_FILE,
                                                        synthetic.parse_size(size), data_dir)
            log(f"[{size}] generated {generated.quads:,} quads ({generated.documents} synthetic documents)")
        log(f"[{size}] {load_note()}")
        result = bench_size(size, data_dir, repeat, log=log)
        log(f"[{size}] {load_note()}")
        log("\n" + size_table(result) + "\n")
        results.append(result)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="seed,100k", help="comma-separated: seed, or quad counts (100k, 1m)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page after the warm-up (default 15)")
    parser.add_argument("--workdir", type=Path, help="folder for the data (default: a temporary one, removed)")
    parser.add_argument("--seed-dir", type=Path, help="an already built data folder (skips pilotkg build)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and stores")
    args = parser.parse_args(argv)
    sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        if size != "seed":
            synthetic.parse_size(size)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pilotkg-pages-"))
    log = lambda message: print(message, flush=True)  # noqa: E731
    try:
        results = run_benchmark(sizes, max(1, args.repeat), workdir, args.seed_dir, args.keep, log=log)
        log(comparison_table(results))
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if pytest is not None:

    @pytest.mark.benchmark
    def test_pages_benchmark(built, tmp_path, capsys):
        """Every page answers 200 at every size; prints the tables (BENCH_SIZES, default seed,100k)."""
        sizes = [s.strip() for s in os.environ.get("BENCH_SIZES", "seed,100k").split(",") if s.strip()]
        with capsys.disabled():
            results = run_benchmark(sizes, 15, tmp_path, seed_dir=built.data_dir, log=lambda m: print(m, flush=True))
            print(comparison_table(results), flush=True)
        for result in results:
            assert all(p.status == 200 and p.size_bytes > 0 for p in result.pages)


if __name__ == "__main__":
    sys.exit(main())
