"""The whole dataset as files to download, and their VoID + DCAT description.

The files are made from the store's current contents (``Store.dump()``: every
quad as sorted N-Quads lines) the first time the downloads page or a file is
asked for after a write, and kept on disk in ``DATA/downloads/<SHA-256 of the
dump>/``: written in a temporary folder, then renamed into place (a reader
never sees half a file), so a restart over the same data reuses them. In
memory they are keyed by ``Service.generation``, so that no request dumps the
store again until a write changes it.

Same data, same bytes: quads are sorted (graph, subject, predicate, object)
before they are written, prefixes are written in a fixed order, and nothing
varies with the time of generation. The description (``void.ttl``) names
every node with an IRI under ``https://w3id.org/pilotkg/id/dataset/``: no
blank nodes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pilotkg.graph import __version__
from pilotkg.graph.namespaces import PREFIXES

log = logging.getLogger("pilotkg.server.downloads")

LAYOUT = 1  # bump when the files' form changes: cached folders of another layout are made again
FOLDER = "downloads"
MANIFEST = "manifest.json"

DATASET = "https://w3id.org/pilotkg/id/dataset/pilotkg"
HOME = "https://w3id.org/pilotkg/"
TITLE = "pilotkg: China's reform pilot zones as linked data"
DESCRIPTION = (
    "China's reform pilot programmes as linked data: the policies that set them up, their batches and pilot zones, "
    "the administrative divisions the zones cover, the reform tasks the policies set and the bodies responsible for "
    "them, with, for every fact, the source text and the exact passage that states it. Named graphs hold the facts "
    "of each source text, the reference gazetteer, the ontology and the facts inferred by OWL RL reasoning."
)
AUTHOR = "pilotkg developers"
DATA_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Format:
    key: str
    file: str  # name of the file under /downloads/
    title: str
    media_type: str
    note: str


FORMATS: tuple[Format, ...] = (
    Format("nquads", "pilotkg.nq", "N-Quads", "application/n-quads",
           "Every quad with its named graph, one per line, sorted. The reference file: its SHA-256 names this "
           "state of the dataset."),
    Format("trig", "pilotkg.trig", "TriG", "application/trig",
           "The same quads, grouped by named graph and subject, with prefixes."),
    Format("turtle", "pilotkg.ttl", "Turtle", "text/turtle",
           "Turtle has no named graphs: this is the union of all graphs, each triple once (de-duplicated)."),
    Format("jsonld", "pilotkg.jsonld", "JSON-LD", "application/ld+json",
           "Expanded JSON-LD (full IRIs, no context to fetch), one @graph per named graph."),
)
BY_FILE = {f.file: f for f in FORMATS}
# Prefixes written in the TriG and Turtle files: the project's, except pkr (its local names hold "/").
FILE_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items() if p != "pkr"}


@dataclass
class FileInfo:
    key: str
    name: str
    media_type: str
    size: int
    sha256: str
    statements: int  # quads (N-Quads, TriG, JSON-LD) or triples (Turtle)
    seconds: float  # time taken to make it


@dataclass
class Release:
    """The files of one state of the dataset, and the counts the description states."""

    dump_sha256: str
    folder: Path
    files: dict[str, FileInfo]
    quads: int
    triples: int  # distinct triples of the union of the graphs
    graphs: dict[str, int]  # quads per named graph ("" = the default graph)
    classes: dict[str, int]  # distinct instances per class, in the union
    properties: dict[str, int]  # distinct triples per property, in the union
    distinct_subjects: int
    distinct_objects: int
    entities: int  # distinct subjects in https://w3id.org/pilotkg/id/
    example_resources: list[str]
    generation: int = -1
    dump_seconds: float = 0.0
    reused: bool = False  # the files were on disk already

    @property
    def short_sha(self) -> str:
        return self.files["nquads"].sha256[:12]

    def path(self, file: str) -> Path:
        return self.folder / file


class Downloads:
    """The dataset's files for one service: made on first use after each write, at most once at a time."""

    def __init__(self, service):
        self.service = service
        self.base = Path(service.config.data) / FOLDER
        self._lock = threading.Lock()
        self._release: Release | None = None

    def current(self) -> Release:
        """The files of the store's current contents (made now if the store changed since last time)."""
        release = self._release
        if release is not None and release.generation == self.service.generation and release.folder.is_dir():
            return release
        with self._lock:
            release = self._release
            generation = self.service.generation  # read before the dump: a write during it makes the next call redo it
            if release is None or release.generation != generation or not release.folder.is_dir():
                release = self._prepare()
                release.generation = generation
                self._release = release
            return release

    def _prepare(self) -> Release:
        started = time.perf_counter()
        dump = self.service.store.dump()
        dump_seconds = time.perf_counter() - started
        digest = hashlib.sha256(dump).hexdigest()
        folder = self.base / digest
        release = _read_manifest(folder)
        if release is None:
            release = _write_release(dump, digest, self.base, dump_seconds)
            log.info("downloads made in %s: %s", release.folder,
                     ", ".join(f"{f.name} {f.size} bytes in {f.seconds:.3f} s" for f in release.files.values()))
        else:
            release.reused = True
        release.dump_seconds = dump_seconds
        _prune(self.base, keep=release.folder)
        return release


def _quad_key(q: ox.Quad) -> tuple[str, str, str, str]:
    graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
    return graph, str(q.subject), str(q.predicate), str(q.object)


def _fixed_prefixes(body: bytes) -> bytes:
    """The serialiser's @prefix lines in a fixed order (by prefix), so the bytes never depend on its map order."""
    lines = body.split(b"\n")
    n = 0
    while n < len(lines) and lines[n].startswith(b"@prefix "):
        n += 1
    return b"\n".join(sorted(lines[:n]) + lines[n:])


def serialize_sorted(items: list, fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> bytes:
    """Quads or triples (already sorted) in ``fmt``, with the prefixes in a fixed order."""
    body = ox.serialize(items, format=fmt, prefixes=prefixes) if prefixes else ox.serialize(items, format=fmt)
    return _fixed_prefixes(body) if prefixes else body


def _write_release(dump: bytes, digest: str, base: Path, dump_seconds: float) -> Release:
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{digest[:12]}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        keyed = sorted((_quad_key(q), q) for q in ox.parse(dump, format=ox.RdfFormat.N_QUADS))
        quads = [q for _, q in keyed]
        files: dict[str, FileInfo] = {}

        def put(fmt: Format, make, statements: int, extra_seconds: float = 0.0) -> None:
            began = time.perf_counter()
            body = make()
            (tmp / fmt.file).write_bytes(body)
            files[fmt.key] = FileInfo(fmt.key, fmt.file, fmt.media_type, len(body), hashlib.sha256(body).hexdigest(),
                                      statements, round(time.perf_counter() - began + extra_seconds, 4))

        by_key = {f.key: f for f in FORMATS}
        put(by_key["nquads"], lambda: dump, len(quads), dump_seconds)
        put(by_key["trig"], lambda: serialize_sorted(quads, ox.RdfFormat.TRIG, FILE_PREFIXES), len(quads))
        began = time.perf_counter()
        union = {key[1:]: q for key, q in keyed}  # (subject, predicate, object) → one quad stating it
        triples = [ox.Triple(q.subject, q.predicate, q.object) for _, q in sorted(union.items())]
        union_seconds = time.perf_counter() - began
        put(by_key["turtle"], lambda: serialize_sorted(triples, ox.RdfFormat.TURTLE, FILE_PREFIXES), len(triples),
            union_seconds)
        put(by_key["jsonld"], lambda: serialize_sorted(quads, ox.RdfFormat.JSON_LD), len(quads))

        release = Release(dump_sha256=digest, folder=base / digest, files=files, quads=len(quads),
                          triples=len(triples), **_counts(quads, triples))
        manifest = {"layout": LAYOUT, "pyoxigraph": ox.__version__, "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    **{k: v for k, v in asdict(release).items() if k not in ("folder", "generation", "dump_seconds", "reused")}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, release.folder)
        except OSError:  # made meanwhile (by another process over a copy of this folder): keep that one
            existing = _read_manifest(release.folder)
            if existing is None:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
            return existing
        return release
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _counts(quads: list, triples: list) -> dict:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    graphs = Counter("" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value for q in quads)
    instances: dict[str, set] = {}
    properties: Counter = Counter()
    subjects, objects = set(), set()
    for t in triples:
        properties[t.predicate.value] += 1
        subjects.add(t.subject)
        objects.add(t.object)
        if t.predicate.value == rdf_type and isinstance(t.object, ox.NamedNode):
            instances.setdefault(t.object.value, set()).add(t.subject)
    ours = sorted(str(s.value) for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith("https://w3id.org/pilotkg/id/"))
    zones = sorted(str(s.value) for s in instances.get("https://w3id.org/pilotkg/ontology#PilotZone", ()))
    return {
        "graphs": dict(sorted(graphs.items())),
        "classes": {c: len(s) for c, s in sorted(instances.items())},
        "properties": dict(sorted(properties.items())),
        "distinct_subjects": len(subjects),
        "distinct_objects": len(objects),
        "entities": len(ours),
        "example_resources": zones[:1],
    }


def _read_manifest(folder: Path) -> Release | None:
    """The release kept in ``folder``, if its manifest is of this layout and its files are whole."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("layout") != LAYOUT:
        return None
    try:
        files = {k: FileInfo(**v) for k, v in data["files"].items()}
        if set(files) != {f.key for f in FORMATS}:
            return None
        for info in files.values():
            if (folder / info.name).stat().st_size != info.size:
                return None
        fields = {k: data[k] for k in ("dump_sha256", "quads", "triples", "graphs", "classes", "properties",
                                       "distinct_subjects", "distinct_objects", "entities", "example_resources")}
    except (KeyError, TypeError, OSError):
        return None
    return Release(folder=folder, files=files, **fields)


def _prune(base: Path, keep: Path) -> None:
    """Remove the files of earlier states (and temporary folders left by a crash)."""
    try:
        entries = list(base.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry != keep and entry.is_dir() and (re.fullmatch(r"[0-9a-f]{64}", entry.name) or entry.name.startswith(".tmp-")):
            if entry.name.startswith(".tmp-") and time.time() - entry.stat().st_mtime < 3600:
                continue  # perhaps being written right now by another process
            shutil.rmtree(entry, ignore_errors=True)


# --------------------------------------------------------------------------- dates and the citation


@dataclass
class Edition:
    """What names this state of the dataset in a citation."""

    version: str
    built_at: str | None  # when the dataset was built (build-info.json), ISO 8601 UTC
    modified: str | None  # the last write since (audit log), else the build time
    sha256: str  # of pilotkg.nq
    author: str = AUTHOR
    title: str = TITLE
    url: str = HOME
    license: str = DATA_LICENSE
    extra: dict = field(default_factory=dict)

    @property
    def year(self) -> str:
        return (self.modified or self.built_at or time.strftime("%Y-%m-%d", time.gmtime()))[:4]

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]

    def citation(self) -> str:
        dates = []
        if self.built_at:
            dates.append(f"built {self.built_at[:10]}")
        if self.modified and self.modified[:19] != (self.built_at or "")[:19]:
            dates.append(f"modified {self.modified[:10]}")
        dates.append(f"dataset sha256 {self.short_sha}")
        return f"{self.author} ({self.year}). {self.title}, version {self.version} ({', '.join(dates)}). {self.url}"

    def bibtex(self) -> str:
        key = re.sub(r"[^A-Za-z0-9]+", "_", f"pilotkg {self.version} {self.short_sha}")
        note = "; ".join(p for p in (
            f"built {self.built_at[:10]}" if self.built_at else "",
            f"modified {self.modified[:10]}" if self.modified and self.modified[:19] != (self.built_at or "")[:19] else "",
            f"N-Quads SHA-256 {self.sha256}",
        ) if p)
        title = self.title.replace("China's", "{C}hina's")
        return (f"@misc{{{key},\n"
                f"  author       = {{{{{self.author}}}}},\n"
                f"  title        = {{{title}}},\n"
                f"  year         = {{{self.year}}},\n"
                f"  version      = {{{self.version}}},\n"
                f"  howpublished = {{\\url{{{self.url}}}}},\n"
                f"  url          = {{{self.url}}},\n"
                f"  note         = {{Dataset, {note}}}\n"
                f"}}\n")


def edition(service, release: Release, license: str | None = None, author: str | None = None) -> Edition:
    summary = service.summary()
    built_at = summary.built_at
    modified = built_at
    try:
        last = service.audit.read(limit=1)
    except OSError:
        last = []
    if last and last[0].get("time") and (built_at is None or last[0]["time"] > built_at):
        modified = last[0]["time"]
    return Edition(version=__version__, built_at=built_at, modified=modified, sha256=release.files["nquads"].sha256,
                   license=license or DATA_LICENSE, author=author or AUTHOR)


# --------------------------------------------------------------------------- VoID + DCAT


VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
FOAF = "http://xmlns.com/foaf/0.1/"
SD = "http://www.w3.org/ns/sparql-service-description#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
IANA = "https://www.iana.org/assignments/media-types/"
ONTOLOGY = "https://w3id.org/pilotkg/ontology"
SHAPES = "https://w3id.org/pilotkg/shapes"
DESCRIPTION_PREFIXES = {"void": VOID, "dcat": DCAT, "dcterms": DCT, "spdx": SPDX, "foaf": FOAF, "sd": SD, "xsd": XSD,
                        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}


def _slug(iri: str) -> str:
    """A readable, unique path segment for an IRI: ``pk-PilotZone``, else a digest."""
    best = None
    for prefix, ns in PREFIXES.items():
        ns = str(ns)
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            best = (prefix, ns)
    if best is not None:
        local = iri[len(best[1]):]
        if re.fullmatch(r"[A-Za-z0-9_-]+", local):
            return f"{best[0]}-{local}"
    return "iri-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def _graph_slug(iri: str) -> str:
    prefix = "https://w3id.org/pilotkg/id/graph/"
    if iri.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9_./-]+", iri[len(prefix):]) and ".." not in iri:
        return iri[len(prefix):]
    return "iri-" + hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def void_description(release: Release, ed: Edition, base_url: str) -> bytes:
    """The VoID + DCAT description of the dataset and its files, as Turtle (sorted; no blank nodes).

    ``base_url`` is where this server answers (``http://host:port/``): the files' download URLs and the
    SPARQL endpoint are under it."""
    n = ox.NamedNode

    def lit(value, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
        if lang:
            return ox.Literal(str(value), language=lang)
        return ox.Literal(str(value), datatype=n(XSD + datatype)) if datatype else ox.Literal(str(value))

    d = n(DATASET)
    publisher = n(DATASET + "/publisher")
    out: list[ox.Triple] = []

    def add(s, p: str, o) -> None:
        out.append(ox.Triple(s, n(p), o))

    doc = n(base_url + "downloads/void.ttl")
    add(doc, RDF_TYPE, n(VOID + "DatasetDescription"))
    add(doc, DCT + "title", lit("Description of the pilotkg dataset (VoID and DCAT)", lang="en"))
    add(doc, FOAF + "primaryTopic", d)

    add(d, RDF_TYPE, n(DCAT + "Dataset"))
    add(d, RDF_TYPE, n(VOID + "Dataset"))
    add(d, DCT + "title", lit(ed.title, lang="en"))
    add(d, DCT + "description", lit(DESCRIPTION, lang="en"))
    add(d, DCT + "license", n(ed.license))
    add(d, DCAT + "version", lit(ed.version))
    if ed.built_at:
        add(d, DCT + "issued", lit(ed.built_at, "dateTime"))
    if ed.modified:
        add(d, DCT + "modified", lit(ed.modified, "dateTime"))
    add(d, DCT + "publisher", publisher)
    add(d, DCT + "creator", publisher)
    add(publisher, RDF_TYPE, n(FOAF + "Agent"))
    add(publisher, FOAF + "name", lit(ed.author))
    add(d, DCT + "bibliographicCitation", lit(ed.citation()))
    add(d, DCAT + "landingPage", n(base_url))
    for word, lang in (("reform pilot zones", "en"), ("China", "en"), ("policy", "en"), ("linked data", "en"),
                       ("改革试验区", "zh")):
        add(d, DCAT + "keyword", lit(word, lang=lang))
    add(d, DCT + "language", n("http://id.loc.gov/vocabulary/iso639-1/en"))
    add(d, DCT + "language", n("http://id.loc.gov/vocabulary/iso639-1/zh"))
    add(d, DCT + "conformsTo", n(ONTOLOGY))
    add(d, DCT + "conformsTo", n(SHAPES))
    add(d, VOID + "sparqlEndpoint", n(base_url + "sparql"))
    add(d, VOID + "uriSpace", lit("https://w3id.org/pilotkg/id/"))
    add(d, VOID + "triples", lit(release.triples, "integer"))
    add(d, VOID + "entities", lit(release.entities, "integer"))
    add(d, VOID + "distinctSubjects", lit(release.distinct_subjects, "integer"))
    add(d, VOID + "distinctObjects", lit(release.distinct_objects, "integer"))
    add(d, VOID + "classes", lit(len(release.classes), "integer"))
    add(d, VOID + "properties", lit(len(release.properties), "integer"))
    for example in release.example_resources:
        add(d, VOID + "exampleResource", n(example))
    vocabularies = set()
    for iri in list(release.classes) + list(release.properties):
        for ns in PREFIXES.values():
            if iri.startswith(str(ns)) and str(ns) != "https://w3id.org/pilotkg/id/":
                vocabularies.add(str(ns))
    for ns in sorted(vocabularies):
        add(d, VOID + "vocabulary", n(ns))

    for fmt in FORMATS:
        info = release.files[fmt.key]
        dist = n(f"{DATASET}/distribution/{fmt.key}")
        checksum = n(f"{DATASET}/distribution/{fmt.key}/sha256")
        url = n(f"{base_url}downloads/{fmt.file}")
        add(d, DCAT + "distribution", dist)
        add(d, VOID + "dataDump", url)
        add(dist, RDF_TYPE, n(DCAT + "Distribution"))
        add(dist, DCT + "title", lit(f"pilotkg as {fmt.title}", lang="en"))
        add(dist, DCT + "description", lit(fmt.note, lang="en"))
        add(dist, DCAT + "downloadURL", url)
        add(dist, DCAT + "accessURL", n(base_url + "downloads"))
        add(dist, DCAT + "mediaType", n(IANA + fmt.media_type))
        add(dist, DCAT + "byteSize", lit(info.size, "nonNegativeInteger"))
        add(dist, DCT + "license", n(ed.license))
        add(dist, SPDX + "checksum", checksum)
        add(checksum, RDF_TYPE, n(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", n(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", lit(info.sha256, "hexBinary"))

    for cls, count in release.classes.items():
        part = n(f"{DATASET}/class/{_slug(cls)}")
        add(d, VOID + "classPartition", part)
        add(part, VOID + "class", n(cls))
        add(part, VOID + "entities", lit(count, "integer"))
    for prop, count in release.properties.items():
        part = n(f"{DATASET}/property/{_slug(prop)}")
        add(d, VOID + "propertyPartition", part)
        add(part, VOID + "property", n(prop))
        add(part, VOID + "triples", lit(count, "integer"))
    for graph, count in release.graphs.items():
        if not graph:
            continue  # the default graph (empty in a built dataset) is in the union, not a subset of its own
        part = n(f"{DATASET}/graph/{_graph_slug(graph)}")
        add(d, VOID + "subset", part)
        add(part, RDF_TYPE, n(VOID + "Dataset"))
        add(part, RDF_TYPE, n(SD + "NamedGraph"))
        add(part, SD + "name", n(graph))
        add(part, VOID + "triples", lit(count, "integer"))

    return serialize_sorted(sorted(set(out), key=str), ox.RdfFormat.TURTLE, DESCRIPTION_PREFIXES)
