"""The build: seeds → facts with evidence → quads → OWL RL closure → SHACL → N-Quads.

One direction, deterministic: the same seeds give the same sorted N-Quads, byte
for byte, with no blank nodes. The build fails (:class:`BuildError`) on a
curation quote not in its text, an evidence offset that does not slice its
quote, a blank node, an inconsistent closure, or data that violates a shape.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from . import __version__
from .extract.extractor import Extraction, extract
from .extract.curation import Curation, CurationError
from .extract.gazetteer import GazetteerError, load_gazetteer
from .namespaces import INFERRED_GRAPH, OA, ONTOLOGY_GRAPH, PK
from .glossary import glossary_quads
from .rdf import Quad, fact_quads, ontology_quads, reference_quads
from .rdfio import nquads_lines
from .reason import DEFAULT_REASONER, InconsistentGraph, Reasoner, close
from .resources import seeds_dir
from .extract.text import QuoteNotFound, SourceText
from .validate import ValidationReport, ontology_graph, validate_graph

DATASET_FILE = "dataset.nq"
INFO_FILE = "build-info.json"

Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """The build cannot produce a dataset; the message says why and where."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    quads: list[Quad]
    extractions: list[Extraction]
    report: ValidationReport
    timings: dict[str, float] = field(default_factory=dict)
    reasoner: str = DEFAULT_REASONER  # which computed the closure (recorded in build-info.json)

    def nquads(self) -> str:
        return "\n".join(nquads_lines(self.quads)) + "\n"

    def counts(self) -> dict[str, int]:
        """Instances per pk: class (asserted or inferred), triples per graph."""
        types = {(s, o) for s, p, o, g in self.quads if p == RDF.type and str(o).startswith(str(PK))}
        per_class = Counter(str(o).rsplit("#", 1)[1] for _, o in types)
        per_graph = Counter(str(g).rsplit("/graph/", 1)[1] for *_, g in self.quads)
        return {**{f"class:{k}": v for k, v in sorted(per_class.items())}, **{f"graph:{k}": v for k, v in sorted(per_graph.items())}, "quads": len(set(self.quads))}


def seed_texts(folder: Path | None = None) -> list[Path]:
    folder = folder or seeds_dir()
    texts = sorted(folder.glob("*.txt"))
    if not texts:
        raise BuildError(f"no source texts (*.txt) in {folder}")
    return texts


def build(folder: Path | None = None, progress: Progress = lambda _msg: None,
          reasoner: Reasoner = DEFAULT_REASONER) -> BuildResult:
    """Build the whole dataset from the texts (and curation files) in ``folder``.

    ``reasoner`` computes the OWL RL closure: ``"reasonable"`` (the default) or
    ``"owlrl"``, which give the same dataset.

    Raises :class:`BuildError` (whose message names the file, entry and quote,
    the contradiction, or the SHACL report) if any step fails.
    """
    try:
        return _build(folder, progress, reasoner)
    except (CurationError, GazetteerError, InconsistentGraph, QuoteNotFound) as err:
        raise BuildError(str(err)) from err


def _build(folder: Path | None, progress: Progress, reasoner: Reasoner) -> BuildResult:
    from .extract.ingest import extract_reviewed, is_ingest_reading  # ingest imports this module
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    gaz = load_gazetteer()
    ontology = ontology_graph()
    extractions: list[Extraction] = []
    quads: list[Quad] = ontology_quads(ontology)
    sources = {}
    for path in seed_texts(folder):
        source = SourceText.load(path)
        progress(f"extract {path.name}")
        curation = Curation.load(source)
        if is_ingest_reading(curation):  # a text added through ingest and its review
            extraction, extra = extract_reviewed(source, curation, gaz)
            quads += extra
        else:
            extraction = extract(source, gaz, curation)
        extractions.append(extraction)
        sources[source.doc_id] = source
        quads += fact_quads(extraction.facts)
    zones = set().union(*(e.zones_used for e in extractions))
    quads += reference_quads(gaz, zones)
    quads += glossary_quads()
    timings["extract"] = time.perf_counter() - t0

    check_no_blank_nodes(quads)
    check_evidence(quads, sources)

    progress(f"reason (OWL RL closure with {reasoner})")
    t1 = time.perf_counter()
    data = Graph()
    for s, p, o, g in quads:
        if g != ONTOLOGY_GRAPH:
            data.add((s, p, o))
    inferred = close(ontology, data, reasoner)
    quads += [(s, p, o, INFERRED_GRAPH) for s, p, o in inferred]
    timings["reason"] = time.perf_counter() - t1
    check_no_blank_nodes(quads)

    progress("validate (SHACL with pyshacl)")
    t2 = time.perf_counter()
    for triple in inferred:
        data.add(triple)
    report = validate_graph(data)
    timings["validate"] = time.perf_counter() - t2
    if not report.conforms:
        raise BuildError(f"the built graph does not conform to the shapes:\n{report.as_text()}", report)
    quads = sorted(set(quads))
    return BuildResult(quads=quads, extractions=extractions, report=report, timings=timings, reasoner=reasoner)


def check_no_blank_nodes(quads: list[Quad]) -> None:
    for q in quads:
        if any(isinstance(t, BNode) for t in q):
            raise BuildError(f"blank node in {q}")


def check_evidence(quads: list[Quad], sources: dict[str, SourceText]) -> None:
    """Every evidence quote must sit in its text at its offsets."""
    by_node: dict[URIRef, dict] = {}
    for s, p, o, _g in quads:
        if p in (OA.exact, OA.start, OA.end):
            by_node.setdefault(URIRef(str(s).rsplit("/", 1)[0]), {})[p] = o
    for node, values in by_node.items():
        doc = str(node).split("/evidence/", 1)[1].split("/", 1)[0]
        start, end, exact = int(values[OA.start]), int(values[OA.end]), str(values[OA.exact])
        if sources[doc].text[start:end] != exact:
            raise BuildError(f"evidence {node}: offsets {start}..{end} do not hold its quote {exact!r}")


def seeds_fingerprint(folder: Path | None = None) -> str:
    """SHA-256 over the names and bytes of the seeds and curation files: changes when they change."""
    folder = folder or seeds_dir()
    h = hashlib.sha256()
    for path in sorted(list(folder.glob("*.txt")) + list(folder.glob("*.curation.yaml"))):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def write(result: BuildResult, data_dir: Path, folder: Path | None = None) -> Path:
    """Write ``dataset.nq`` and ``build-info.json`` into ``data_dir`` (atomically)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / DATASET_FILE
    tmp = target.with_suffix(".nq.tmp")
    body = result.nquads()
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(target)
    info = {
        "version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seeds_sha256": seeds_fingerprint(folder),
        "dataset_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "reasoner": result.reasoner,
        "counts": result.counts(),
        "warnings": len(result.report.warnings),
        "timings_s": {k: round(v, 2) for k, v in result.timings.items()},
    }
    (data_dir / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return target
