"""Fair scheduling, side by side: how long a light query waits while a flood of heavy ones runs,
on ``pilotkg serve`` and on ``oxigraph serve`` (in memory) with the same data.

For each server: the median latency of a light ``ASK`` on an idle server, then the same while
``--heavy`` heavy queries (a three-way cross join that runs to the time limit) are in flight,
sent at once from one client; the light queries come from the flooding client's own address and
from another one. Printed as a Markdown table with medians and the ratio flood ÷ idle.

    python tests/benchmarks/bench_fairness.py [--heavy 20] [--light 7] [--timeout 5]
    pytest tests/benchmarks/bench_fairness.py -m benchmark

Oxigraph is run with ``--timeout-s`` set to the same limit, so both stop the heavy queries alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_endpoint import Server, build_seed, console_script, free_port  # noqa: E402

from pilotkg.graph.build import DATASET_FILE  # noqa: E402

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "ASK { ?s a <https://w3id.org/pilotkg/ontology#PilotZone> }"
FLOOD_ADDRESS, OTHER_ADDRESS = "127.0.0.2", "127.0.0.3"


class _From(requests.adapters.HTTPAdapter):
    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _From(address))
    return session


def _light(query_url: str, address: str, count: int, pause: float) -> list[tuple[int, float]]:
    session = session_from(address)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        resp = session.post(query_url, data={"query": LIGHT}, headers={"Accept": "application/sparql-results+json"},
                            timeout=300)
        out.append((resp.status_code, time.perf_counter() - started))
        time.sleep(pause)
    return out


def measure(query_url: str, heavy: int, light: int, timeout: float) -> dict:
    """Light-query latencies idle and under a flood (from the flooding address and another)."""
    idle = _light(query_url, OTHER_ADDRESS, light, 0.1)
    results = {"idle": idle}
    for name, address in (("flood, same client", FLOOD_ADDRESS), ("flood, other client", OTHER_ADDRESS)):
        statuses: list[int] = []

        def one() -> None:
            try:
                resp = session_from(FLOOD_ADDRESS).post(query_url, data={"query": HEAVY}, timeout=timeout * 20)
                statuses.append(resp.status_code)
            except requests.RequestException:
                statuses.append(0)

        threads = [threading.Thread(target=one, daemon=True) for _ in range(heavy)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        results[name] = _light(query_url, address, light, 0.3)
        for t in threads:
            t.join(timeout * 20)
        results[name + " (heavy statuses)"] = sorted(statuses)
        time.sleep(timeout + 1)  # let the last heavy queries end before the next round
    return results


def _median(rows: list[tuple[int, float]]) -> float:
    return statistics.median(s for _, s in rows)


def table(runs: dict[str, dict]) -> str:
    lines = ["| server | idle, median ms | flood (same client), median ms | ÷ idle | statuses | flood (other client), median ms | ÷ idle | statuses |",
             "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |"]
    for server, r in runs.items():
        idle = _median(r["idle"])
        cells = [server, f"{idle * 1000:.1f}"]
        for name in ("flood, same client", "flood, other client"):
            m = _median(r[name])
            statuses = ",".join(sorted({str(s) for s, _ in r[name]}))
            cells += [f"{m * 1000:.1f}", f"{m / idle:.1f}", statuses]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(heavy: int = 20, light: int = 7, timeout: float = 5.0, workdir: Path | None = None,
        seed_dir: Path | None = None) -> dict[str, dict]:
    workdir = Path(workdir or tempfile.mkdtemp(prefix="pilotkg-fairness-"))
    data = seed_dir or workdir / "data"
    if seed_dir is None:
        build_seed(data)
    runs: dict[str, dict] = {}
    port = free_port()
    pilotkg = Server("pilotkg serve", [console_script("pilotkg"), "--data", str(data), "serve", "--port", str(port),
                                        "--query-timeout", str(timeout)],
                     f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/sparql", workdir / "pilotkg.log")
    try:
        pilotkg.wait_ready(pilotkg.url + "/health", 300)
        runs["pilotkg serve"] = measure(pilotkg.query_url, heavy, light, timeout)
    finally:
        pilotkg.stop()
    port = free_port()
    oxigraph = Server("oxigraph serve", [console_script("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}",
                                         "--union-default-graph", "--timeout-s", str(int(timeout))],
                      f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/query", workdir / "oxigraph.log")
    try:
        oxigraph.wait_ready(oxigraph.url + "/query?query=ASK%7B%7D", 120)
        with open(data / DATASET_FILE, "rb") as body:
            requests.post(oxigraph.url + "/store", data=body, headers={"Content-Type": "application/n-quads"},
                          timeout=300).raise_for_status()
        runs["oxigraph serve (memory)"] = measure(oxigraph.query_url, heavy, light, timeout)
    finally:
        oxigraph.stop()
    return runs


@pytest.mark.benchmark
def test_fairness_benchmark(built, tmp_path, capsys):
    if not sys.platform.startswith("linux"):
        pytest.skip("clients on several loopback addresses need Linux")
    runs = run(heavy=20, light=5, timeout=5.0, workdir=tmp_path, seed_dir=built.data_dir)
    with capsys.disabled():
        print("\n" + table(runs))
    pilotkg = runs["pilotkg serve"]
    for name in ("flood, same client", "flood, other client"):
        assert all(status == 200 for status, _ in pilotkg[name]), pilotkg[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heavy", type=int, default=20)
    parser.add_argument("--light", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--seed-dir", type=Path, default=None, help="a built data folder to reuse")
    args = parser.parse_args()
    print(table(run(args.heavy, args.light, args.timeout, seed_dir=args.seed_dir)))


if __name__ == "__main__":
    main()
