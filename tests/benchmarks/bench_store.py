"""The embedded store (pyoxigraph on RocksDB) against an rdflib in-memory
dataset, on the built seed dataset and the README's example queries: median
latency per query and the ratio, side by side in one run.

    python tests/benchmarks/bench_store.py [--repeat 5] [--data pilotkg-data]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import pytest
from rdflib import Dataset

from pilotkg.graph.namespaces import PREFIXES
from pilotkg.graph.store import EmbeddedStore

README = Path(__file__).resolve().parents[2] / "README.md"
QUERIES = {
    "readme-1 bodies per item": None,
    "readme-2 zones by province": None,
    "readme-3 declared > named": None,
}


def readme_queries() -> dict[str, str]:
    blocks = re.findall(r"```sparql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    return dict(zip(QUERIES, blocks))


def median_ms(run, repeat: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(nquads: Path, repeat: int) -> list[tuple[str, float, float]]:
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "store")
        store.replace_all(nquads)
        ds = Dataset(default_union=True)
        ds.parse(nquads, format="nquads")
        rows = []
        for name, query in readme_queries().items():
            ox_ms = median_ms(lambda: list(store.query(query)), repeat)
            rdflib_ms = median_ms(lambda: list(ds.query(prologue + query)), repeat)
            n_ox, n_rdflib = len(list(store.query(query))), len(list(ds.query(prologue + query)))
            assert n_ox == n_rdflib, f"{name}: {n_ox} rows on pyoxigraph, {n_rdflib} on rdflib"
            rows.append((name, ox_ms, rdflib_ms))
        store.close()
    return rows


def table(rows) -> str:
    out = ["| query | pyoxigraph RocksDB ms | rdflib memory ms | rdflib ÷ pyoxigraph |", "|---|---:|---:|---:|"]
    for name, ox_ms, rdflib_ms in rows:
        out.append(f"| {name} | {ox_ms:.2f} | {rdflib_ms:.1f} | {rdflib_ms / ox_ms:.0f}× |")
    geo = statistics.geometric_mean([r / o for _, o, r in rows])
    out.append(f"| geometric mean | | | {geo:.0f}× |")
    return "\n".join(out)


@pytest.mark.benchmark
def test_embedded_store_against_rdflib(built):
    rows = measure(built.nquads_path, repeat=3)
    print("\n" + table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="pilotkg-data", help="data folder holding dataset.nq (run `pilotkg build` first)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(table(measure(Path(args.data) / "dataset.nq", args.repeat)))
