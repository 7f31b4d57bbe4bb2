"""The cost of a set default graph: the embedded store's merged default graph (graph/store.py)
against pyoxigraph 0.5.13's ``use_default_graph_as_union`` (a bag), on the same data in one run.

    python tests/benchmarks/bench_union.py DATA/dataset.nq [--synthetic 100k] [--repeat 15]

Prints, per store: the load time and stored quads, the median latency of each query (and its
answer: the bag's can differ), and the median time of a small committed write (10 quads added,
then removed, each flushed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pilotkg.graph.store import EmbeddedStore, _prefixes, quads_update_text  # noqa: E402

QUERIES = {
    "zones per programme (COUNT, GROUP BY)":
        "SELECT ?prog (COUNT(?z) AS ?zones) WHERE { ?prog a pk:PilotProgramme ; pk:hasZone ?z } GROUP BY ?prog",
    "zones with province labels (join, path)":
        "SELECT ?zone ?label WHERE { ?zone a pk:PilotZone ; pk:inProvince/rdfs:label ?label FILTER(LANG(?label) = 'en') }",
    "all triples (COUNT(*))": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "triples per graph (GRAPH ?g)": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
}
EX = "http://example.org/bench/"


def answer(result) -> str:
    rows = list(result)
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0].value
    if rows and "zones" in str(rows[0]):
        return f"{len(rows)} rows, at most {max(int(r['zones'].value) for r in rows)} zones"
    return f"{len(rows)} rows"


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def write_quads(i: int) -> list[ox.Quad]:
    graph = ox.NamedNode(f"{EX}graph")
    return [ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(str(k)), graph) for k in range(10)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--synthetic", help="grow the data to this size first (e.g. 100k), see synthetic.py")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.nquads
        if args.synthetic:
            from synthetic import generate, parse_size  # noqa: E402

            source = Path(tmp) / "synthetic.nq"
            generate(args.nquads, parse_size(args.synthetic), source)
        start = time.perf_counter()
        bag = ox.Store(str(Path(tmp) / "bag"))
        bag.bulk_load(path=str(source), format=ox.RdfFormat.N_QUADS)
        bag.flush()
        bag.optimize()
        bag_load = time.perf_counter() - start
        start = time.perf_counter()
        merged = EmbeddedStore(Path(tmp) / "merged")
        merged.replace_all(source)
        merged_load = time.perf_counter() - start
        print(f"data: {source.name}, {merged.count()} quads")
        print(f"load: union (bag) {bag_load:.2f} s, {len(bag)} stored quads; "
              f"merged default graph (set) {merged_load:.2f} s, {len(merged._store)} stored quads")
        print(f"{'query':45} {'bag ms':>8} {'set ms':>8}  answers (bag / set)")
        for name, query in QUERIES.items():
            def run_bag():
                return answer(bag.query(query, use_default_graph_as_union="GRAPH" not in query, prefixes=_prefixes()))

            def run_set():
                return answer(merged.query(query))

            bag_ms, set_ms = median_ms(run_bag, args.repeat), median_ms(run_set, args.repeat)
            print(f"{name:45} {bag_ms:8.2f} {set_ms:8.2f}  {run_bag()} / {run_set()}")

        def bag_write(i=[0]):
            i[0] += 1
            quads = write_quads(i[0])
            bag.update(quads_update_text([], quads), prefixes=_prefixes())
            bag.flush()
            bag.update(quads_update_text(quads, []), prefixes=_prefixes())
            bag.flush()

        def set_write(i=[0]):
            i[0] += 1
            quads = write_quads(i[0])
            merged.write([], quads)
            merged.write(quads, [])

        print(f"write (add 10 quads, then remove them; two flushed transactions): "
              f"bag {median_ms(bag_write, args.repeat):.2f} ms, set {median_ms(set_write, args.repeat):.2f} ms")
        merged.close()
        del bag
    return 0


if __name__ == "__main__":
    sys.exit(main())
