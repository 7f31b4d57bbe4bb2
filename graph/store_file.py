"""The built dataset on disk (``DATA/dataset.nq``) and an in-memory query engine over it.

The SPARQL endpoint issue replaces this with the store interface; until then
the CLI loads the N-Quads into an in-memory pyoxigraph store, whose default
graph holds the union of the named graphs as a set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox

from .build import DATASET_FILE, INFO_FILE, seeds_fingerprint
from .namespaces import PREFIXES


def dataset_path(data_dir: Path) -> Path:
    return data_dir / DATASET_FILE


def is_stale(data_dir: Path) -> bool:
    """True if there is no built dataset, or the seeds changed since it was built."""
    info = data_dir / INFO_FILE
    if not dataset_path(data_dir).exists() or not info.exists():
        return True
    try:
        return json.loads(info.read_text())["seeds_sha256"] != seeds_fingerprint()
    except (ValueError, KeyError):
        return True


def open_store(data_dir: Path) -> ox.Store:
    """An in-memory pyoxigraph store loaded with the built dataset, its default graph holding the
    merged graph: the set union of every graph (as the embedded store keeps it, see graph/store.py)."""
    store = ox.Store()
    path = str(dataset_path(data_dir))
    store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                      for q in ox.parse(path=path, format=ox.RdfFormat.N_QUADS))
    return store


def run_query(store: ox.Store, query: str):
    """Run SPARQL with the project prefixes predeclared and, unless the query has
    FROM / FROM NAMED, the merged graph (each triple once) as its default graph."""
    return store.query(query, prefixes={k: str(v) for k, v in PREFIXES.items()})
