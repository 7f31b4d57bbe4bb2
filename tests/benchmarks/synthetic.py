"""Synthetic pilotkg datasets shaped like the seed build, at any size.

``generate(seed_nquads, target, out)`` copies the built seed dataset (N-Quads)
and then appends synthetic source documents until the file holds ``target``
quads. Each synthetic document is one named graph,
``https://w3id.org/pilotkg/id/graph/source/synthetic-N``, and has what a seed
text yields: a source document, a policy with its issuing bodies, a programme
with batches and pilot zones (each covering divisions of the seed gazetteer,
all in one province), a task tree (sections → numbered items → measures, with
``pk:itemNumber``/``pk:position`` and themes), new responsible bodies,
qualified responsibilities (body, role, subject, assigning policy) and, for
every fact-bearing resource, ``pk:evidence`` nodes with a quote selector and a
position selector. What the build's OWL RL closure would add for them
(superclass types, ``prov:wasDerivedFrom``, ``pk:partOfTask``,
``pk:inProvince``, ``pk:responsibleBody``/``pk:responsibleFor``, ...) goes to
``graph/inferred``, as in the real build.

Same vocabulary and IRI patterns as the build (``id/zone/{slug}``,
``id/task/{policy}/{NN}/measure-{k}``, ``id/evidence/{doc}/{start}-{end}``...),
no blank nodes, deterministic for a given random seed. Lines are written
directly (no rdflib graph), so a million quads take seconds.

Run ``python tests/benchmarks/synthetic.py SEED.nq 100k OUT.nq`` to make one.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PILOTKG = "https://w3id.org/pilotkg/"
ID = PILOTKG + "id/"
PK = PILOTKG + "ontology#"
THEME_SCHEME = PK + "ReformThemes"
ROLE_SCHEME = PK + "ResponsibilityRoles"
POLICY_TYPE_SCHEME = PK + "PolicyTypes"
INFERRED = f"<{ID}graph/inferred>"

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SKOS_ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
SKOS_IN_SCHEME = "http://www.w3.org/2004/02/skos/core#inScheme"
XSD = "http://www.w3.org/2001/XMLSchema#"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"

# What the OWL RL closure adds for each class of the ontology (superclasses outside pk:).
SUPERCLASSES = {
    "SourceDocument": (PROV + "Entity", SCHEMA + "CreativeWork"),
    "Policy": (ELI + "LegalResource", PROV + "Entity"),
    "PilotProgramme": (PROV + "Plan",),
    "PilotZone": (PROV + "Location", SCHEMA + "Place"),
    "ReformTask": (PROV + "Plan",),
    "ResponsibleBody": (ORG + "Organization",),
    "Responsibility": (PROV + "Influence",),
}

_LINE = re.compile(r'^<([^>]*)> <([^>]*)> (<[^>]*>|".*?(?<!\\)"(?:@[A-Za-z-]+|\^\^<[^>]*>)?) <([^>]*)> \.$')
_WORD = re.compile(r"[a-z]{3,}")
SIZE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"100k"`` → 100000, ``"1m"`` → 1000000, ``"25000"`` → 25000."""
    match = SIZE.match(text.strip())
    if not match:
        raise ValueError(f"not a size: {text!r} (write 100k, 1m or a number)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


@dataclass
class Division:
    iri: str
    label: str
    level: str  # ProvinceLevelDivision | PrefectureLevelDivision | CountyLevelDivision | AdministrativeDivision
    province: str = ""


@dataclass
class SeedShape:
    """What the generator borrows from the seed build: gazetteer, schemes, bodies, words."""

    quads: int = 0
    divisions: dict[str, Division] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    policy_types: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def provinces(self) -> list[str]:
        return sorted({d.province for d in self.divisions.values() if d.province})

    def divisions_in(self, province: str) -> list[Division]:
        return [d for d in self.divisions.values() if d.province == province]


def read_seed(path: Path) -> SeedShape:
    """Read the seed dataset's shape: divisions with their province, bodies, schemes, label words."""
    shape = SeedShape()
    types: dict[str, set[str]] = defaultdict(set)
    within: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    schemes: dict[str, set[str]] = defaultdict(set)
    words: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            shape.quads += 1
            match = _LINE.match(line.rstrip("\n"))
            if not match:
                continue
            s, p, o, _g = match.groups()
            if p == RDF_TYPE[1:-1] and o.startswith("<"):
                types[s].add(o[1:-1])
            elif p == PK + "withinDivision":
                within[s].add(o[1:-1])
            elif p == SKOS_IN_SCHEME:
                schemes[o[1:-1]].add(s)
            elif p == RDFS_LABEL[1:-1] and o.endswith('"@en'):
                text = o[1:-4]
                labels.setdefault(s, text)
                if s.startswith(ID + "task/"):
                    words.extend(_WORD.findall(text.lower()))
    for iri, classes in types.items():
        if PK + "AdministrativeDivision" in classes:
            level = next((c[len(PK):] for c in sorted(classes) if c.startswith(PK) and c.endswith("LevelDivision")),
                         "AdministrativeDivision")
            shape.divisions[iri] = Division(iri, labels.get(iri, iri.rsplit("/", 1)[-1]), level)
        if PK + "ResponsibleBody" in classes:
            shape.bodies.append(iri)
    for division in shape.divisions.values():
        if division.level == "ProvinceLevelDivision":
            division.province = division.iri
        else:
            division.province = next((w for w in sorted(within[division.iri])
                                      if shape.divisions.get(w) and shape.divisions[w].level == "ProvinceLevelDivision"), "")
    shape.bodies.sort()
    shape.themes = sorted(schemes[THEME_SCHEME])
    shape.roles = sorted(schemes[ROLE_SCHEME])
    shape.policy_types = sorted(schemes[POLICY_TYPE_SCHEME])
    shape.words = words or ["reform", "rural", "land", "pilot"]
    missing = [name for name, got in (("divisions with a province", shape.provinces), ("bodies", shape.bodies),
                                      ("themes", shape.themes), ("roles", shape.roles)) if not got]
    if missing:
        raise ValueError(f"{path} does not look like a built pilotkg dataset: no {', '.join(missing)}")
    return shape


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"'


def integer(value: int) -> str:
    return f'"{value}"^^<{XSD}integer>'


class Document:
    """One synthetic source text: writes its quads (its own graph + what the closure infers)."""

    def __init__(self, number: int, shape: SeedShape, rng: random.Random):
        self.number = number
        self.shape = shape
        self.rng = rng
        self.doc = f"synthetic-{number}"
        self.graph = f"<{ID}graph/source/{self.doc}>"
        self.source = f"{ID}source/{self.doc}"
        self.lines: list[str] = []
        self.inferred: set[str] = set()
        self.cursor = rng.randrange(0, 400)  # character offset in the (imagined) source text
        self.mentioned: set[str] = set()

    # -- writing -----------------------------------------------------------
    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> {p} {o} {self.graph} .\n")

    def infer(self, s: str, p: str, o: str) -> None:
        self.inferred.add(f"<{s}> {p} {o} {INFERRED} .\n")

    def typed(self, iri: str, cls: str) -> None:
        self.add(iri, RDF_TYPE, f"<{PK}{cls}>")
        for sup in SUPERCLASSES.get(cls, ()):
            self.infer(iri, RDF_TYPE, f"<{sup}>")

    def derived(self, iri: str) -> None:
        self.add(iri, f"<{PK}derivedFrom>", f"<{self.source}>")
        self.infer(iri, f"<{PROV}wasDerivedFrom>", f"<{self.source}>")

    # -- text --------------------------------------------------------------
    def phrase(self, low: int, high: int) -> str:
        words = [self.rng.choice(self.shape.words) for _ in range(self.rng.randint(low, high))]
        return " ".join(words)

    def title(self, low: int = 4, high: int = 10) -> str:
        return self.phrase(low, high).capitalize()

    def evidence(self, resource: str, exact: str) -> str:
        """An evidence node for ``resource``: quote selector (exact, prefix, suffix) and position selector."""
        start = self.cursor + self.rng.randint(1, 120)
        end = start + len(exact)
        self.cursor = end
        node = f"{ID}evidence/{self.doc}/{start}-{end}"
        quote, position = node + "/quote", node + "/position"
        self.add(resource, f"<{PK}evidence>", f"<{node}>")
        self.add(node, RDF_TYPE, f"<{OA}SpecificResource>")
        self.add(node, RDF_TYPE, f"<{PK}Evidence>")
        self.add(node, RDFS_LABEL, literal(f"\u201c{exact[:60]}\u201d ({self.doc}.txt {start}\u2013{end})", "en"))
        self.add(node, f"<{OA}hasSelector>", f"<{quote}>")
        self.add(node, f"<{OA}hasSelector>", f"<{position}>")
        self.add(node, f"<{OA}hasSource>", f"<{self.source}>")
        self.add(quote, RDF_TYPE, f"<{OA}TextQuoteSelector>")
        self.add(quote, f"<{OA}exact>", literal(exact))
        self.add(quote, f"<{OA}prefix>", literal(self.phrase(4, 6)[-32:]))
        self.add(quote, f"<{OA}suffix>", literal(self.phrase(4, 6)[:32]))
        self.add(position, RDF_TYPE, f"<{OA}TextPositionSelector>")
        self.add(position, f"<{OA}start>", integer(start))
        self.add(position, f"<{OA}end>", integer(end))
        return node

    def cite(self, resource: str, exact: str, extra: int = 2) -> None:
        """1 + up to ``extra`` evidence nodes for a resource, and its derivation from the source."""
        self.derived(resource)
        self.evidence(resource, exact)
        for _ in range(self.rng.randint(0, extra)):
            self.evidence(resource, self.phrase(3, 12))

    # -- content -----------------------------------------------------------
    def body(self, province_label: str, index: int) -> str:
        """A new responsible body (a provincial department), under an existing one."""
        name = f"{province_label} {self.rng.choice(self.shape.words)} {self.rng.choice(['bureau', 'office', 'department', 'commission', 'leading group'])}"
        iri = f"{ID}body/{slugify(name)}-{self.number}-{index}"
        self.typed(iri, "ResponsibleBody")
        if self.rng.random() < 0.3:
            self.add(iri, RDF_TYPE, f"<{PK}CollectiveBody>")
        self.add(iri, RDFS_LABEL, literal(name.title(), "en"))
        self.add(iri, RDFS_LABEL, literal(f"{province_label}\u6539\u9769\u529e{self.number}", "zh"))
        self.add(iri, SKOS_ALT, literal(name.lower(), "en"))
        parent = self.rng.choice(self.shape.bodies)
        self.add(iri, f"<{PK}subOrganizationOf>", f"<{parent}>")
        self.infer(iri, f"<{ORG}subOrganizationOf>", f"<{parent}>")
        note = f"synthetic body of {self.doc}"
        self.add(iri, f"<{PK}referenceSource>", literal(note))
        self.infer(iri, f"<{DCT}source>", literal(note))
        self.evidence(iri, name)
        return iri

    def responsibility(self, body: str, role: str, subject: str, subject_label: str, policy: str) -> None:
        role_slug = role.rsplit("/", 1)[-1]
        subject_slug = subject[len(ID):].replace("/", "-")
        body_slug = body.rsplit("/", 1)[-1]
        iri = f"{ID}responsibility/{self.doc}/{body_slug}/{role_slug}/{subject_slug}"
        self.typed(iri, "Responsibility")
        self.add(iri, RDFS_LABEL, literal(f"{body_slug} \u2014 {role_slug} \u2014 {subject_label[:80]}", "en"))
        self.add(iri, f"<{PK}body>", f"<{body}>")
        self.add(iri, f"<{PK}role>", f"<{role}>")
        self.add(iri, f"<{PK}subject>", f"<{subject}>")
        self.add(iri, f"<{PK}assignedBy>", f"<{policy}>")
        self.add(iri, f"<{PK}extractedBy>", literal(self.rng.choice(["pattern", "pattern", "curation"])))
        text = self.title(8, 20)
        self.add(iri, f"<{PK}responsibilityText>", literal(text))
        self.add(subject, f"<{PK}responsibility>", f"<{iri}>")
        self.infer(iri, f"<{PK}responsibilityOf>", f"<{subject}>")
        self.infer(iri, f"<{PROV}agent>", f"<{body}>")
        self.infer(iri, f"<{PROV}hadRole>", f"<{role}>")
        self.infer(subject, f"<{PK}responsibleBody>", f"<{body}>")
        self.infer(body, f"<{PK}responsibleFor>", f"<{subject}>")
        self.cite(iri, text, extra=1)
        self.mentioned.add(body)

    def task(self, iri: str, label: str, parent: str, ancestors: list[str], *, item: int | None = None,
             position: int | None = None) -> None:
        self.typed(iri, "ReformTask")
        self.add(iri, RDFS_LABEL, literal(label, "en"))
        self.add(iri, f"<{PK}taskText>", literal(f"{label}. {self.title(10, 30)}."))
        if item is not None:
            self.add(iri, f"<{PK}itemNumber>", integer(item))
        if position is not None:
            self.add(iri, f"<{PK}position>", integer(position))
        self.add(iri, f"<{PK}taskOf>", f"<{parent}>")
        self.add(parent, f"<{PK}hasTask>", f"<{iri}>")
        for ancestor in ancestors:
            self.infer(iri, f"<{PK}partOfTask>", f"<{ancestor}>")
            self.infer(iri, f"<{DCT}isPartOf>", f"<{ancestor}>")
        if ancestors or self.rng.random() < 0.5:
            for theme in self.rng.sample(self.shape.themes, self.rng.choice([1, 1, 1, 2, 2, 3])):
                self.add(iri, f"<{PK}theme>", f"<{theme}>")
                self.infer(iri, f"<{DCT}subject>", f"<{theme}>")
        self.cite(iri, label)

    def write(self) -> list[str]:
        """Generate the document; return its lines (own graph first, then inferred)."""
        rng, shape, n = self.rng, self.shape, self.number
        province = rng.choice(shape.provinces)
        province_label = shape.divisions[province].label
        theme = rng.choice(shape.themes)
        theme_slug = theme.rsplit("/", 1)[-1]
        year = rng.randint(2008, 2025)
        policy_type = rng.choice(shape.policy_types) if shape.policy_types else ""
        type_slug = policy_type.rsplit("/", 1)[-1] if policy_type else "plan"

        # source document
        self.typed(self.source, "SourceDocument")
        self.add(self.source, RDFS_LABEL, literal(f"{province_label} {theme_slug.replace('-', ' ')} reform {type_slug} (synthetic {n})", "en"))
        self.add(self.source, f"<{PK}fileName>", literal(f"{self.doc}.txt"))
        self.add(self.source, f"<{PK}sha256>", literal(hashlib.sha256(self.doc.encode()).hexdigest()))
        self.add(self.source, f"<{PK}publishedOn>", literal(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", datatype=XSD + "date"))
        self.evidence(self.source, f"{province_label} {theme_slug} {type_slug}")

        # policy and its issuers
        policy_slug = f"{year}-{slugify(province_label)}-{theme_slug}-{type_slug}-{n}"
        policy = f"{ID}policy/{policy_slug}"
        policy_label = f"{type_slug.replace('-', ' ').capitalize()} on {self.phrase(3, 7)} in {province_label}"
        self.typed(policy, "Policy")
        self.add(policy, RDFS_LABEL, literal(policy_label, "en"))
        if policy_type:
            self.add(policy, f"<{PK}policyType>", f"<{policy_type}>")
            self.infer(policy, f"<{ELI}type_document>", f"<{policy_type}>")
        self.add(policy, f"<{PK}issuedOn>", literal(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", datatype=XSD + "date"))
        self.add(self.source, f"<{PK}reports>", f"<{policy}>")
        self.infer(self.source, f"<{SCHEMA}about>", f"<{policy}>")
        self.cite(policy, policy_label, extra=4)
        new_bodies = [self.body(province_label, i) for i in range(1, rng.randint(2, 6) + 1)]
        bodies = new_bodies + rng.sample(shape.bodies, min(len(shape.bodies), rng.randint(3, 8)))
        for issuer in rng.sample(bodies, rng.randint(1, 2)):
            self.add(policy, f"<{PK}issuedBy>", f"<{issuer}>")
            self.infer(policy, f"<{DCT}creator>", f"<{issuer}>")
            self.mentioned.add(issuer)

        # programme, batches, zones
        programme_slug = f"{slugify(province_label)}-{theme_slug}-reform-pilot-{n}"
        programme = f"{ID}programme/{programme_slug}"
        programme_label = f"{province_label} {theme_slug.replace('-', ' ')} reform pilot zones ({n})"
        self.typed(programme, "PilotProgramme")
        self.add(programme, RDFS_LABEL, literal(programme_label, "en"))
        self.add(programme, f"<{PK}theme>", f"<{theme}>")
        self.infer(programme, f"<{DCT}subject>", f"<{theme}>")
        self.add(policy, f"<{PK}establishes>", f"<{programme}>")
        self.add(programme, f"<{PK}establishedBy>", f"<{policy}>")
        self.add(self.source, f"<{PK}reports>", f"<{programme}>")
        self.infer(self.source, f"<{SCHEMA}about>", f"<{programme}>")
        self.cite(programme, programme_label, extra=3)
        divisions = shape.divisions_in(province)
        zone_count = rng.randint(3, 15)
        self.add(programme, f"<{PK}declaredZoneCount>", integer(zone_count + rng.choice([0, 0, 0, 2, 10])))
        batches: list[tuple[str, str]] = []
        for b in range(1, rng.randint(1, 3) + 1):
            batch = f"{ID}batch/{programme_slug}/{b}"
            label = f"Batch {b} of {programme_label}"
            batches.append((batch, label))
            self.typed(batch, "PilotBatch")
            self.add(batch, RDFS_LABEL, literal(label, "en"))
            self.add(batch, f"<{PK}batchNumber>", integer(b))
            self.add(batch, f"<{PK}batchOf>", f"<{programme}>")
            self.add(programme, f"<{PK}hasBatch>", f"<{batch}>")
            self.add(batch, f"<{PK}approvedOn>", literal(f"{year + b - 1}-{rng.randint(1, 12):02d}", datatype=XSD + "gYearMonth"))
            self.cite(batch, label, extra=1)
        zones = []
        for z in range(zone_count):
            covered = rng.sample(divisions, min(len(divisions), rng.choice([1, 1, 1, 2, 3])))
            name = f"{covered[0].label} {rng.choice(shape.words).capitalize()} {rng.choice(['Area', 'Zone', 'Joint Area', 'Pilot Area'])}"
            zone = f"{ID}zone/{slugify(name)}-{n}-{z}"
            zones.append((zone, name))
            self.typed(zone, "PilotZone")
            self.add(zone, RDFS_LABEL, literal(name, "en"))
            for division in covered:
                self.add(zone, f"<{PK}coversDivision>", f"<{division.iri}>")
            self.infer(zone, f"<{PK}inProvince>", f"<{province}>")
            self.add(zone, f"<{PK}designatedBy>", f"<{policy}>")
            self.add(programme, f"<{PK}hasZone>", f"<{zone}>")
            self.add(zone, f"<{PK}inProgramme>", f"<{programme}>")
            if batches:
                batch = rng.choice(batches)[0]
                self.add(batch, f"<{PK}hasZone>", f"<{zone}>")
                self.add(zone, f"<{PK}inProgramme>", f"<{batch}>")
            self.cite(zone, name, extra=1)

        # the task tree: sections → numbered items → measures
        tasks: list[tuple[str, str]] = []
        item = 0
        for s in range(1, rng.randint(2, 6) + 1):
            section = f"{ID}task/{policy_slug}/section-{s}"
            label = self.title()
            self.task(section, label, policy, [], item=s)
            tasks.append((section, label))
            for _ in range(rng.randint(2, 10)):
                item += 1
                numbered = f"{ID}task/{policy_slug}/{item:02d}"
                label = self.title()
                self.task(numbered, label, section, [section], item=item)
                tasks.append((numbered, label))
                for m in range(1, rng.choice([0, 0, 1, 2, 3, 4]) + 1):
                    measure = f"{numbered}/measure-{m}"
                    label = self.title(6, 14)
                    self.task(measure, label, numbered, [numbered, section], position=m)
                    tasks.append((measure, label))

        # who does what: roughly a third of the tasks, the programme, some zones and batches
        subjects = [(programme, programme_label)] + rng.sample(zones, max(1, len(zones) // 4)) + \
                   batches[:1] + rng.sample(tasks, len(tasks) // 3)
        roles = shape.roles
        for subject, label in subjects:
            for body in rng.sample(bodies, rng.choice([1, 1, 1, 2, 3])):
                self.responsibility(body, rng.choice(roles), subject, label, policy)
        for body in sorted(self.mentioned):
            self.add(self.source, f"<{PK}mentions>", f"<{body}>")
            self.infer(self.source, f"<{SCHEMA}mentions>", f"<{body}>")
        return self.lines + sorted(self.inferred)


@dataclass
class Generated:
    path: Path
    quads: int
    seed_quads: int
    documents: int
    seconds: float


def generate(seed_nquads: Path, target: int, out: Path, *, random_seed: int = 20190415) -> Generated:
    """Write ``out``: the seed dataset followed by synthetic documents, until it has at least ``target`` quads."""
    started = time.perf_counter()
    shape = read_seed(seed_nquads)
    rng = random.Random(random_seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    written = 0
    documents = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as sink, open(seed_nquads, encoding="utf-8") as seed:
        for line in seed:
            sink.write(line if line.endswith("\n") else line + "\n")
            written += 1
        while written < target:
            documents += 1
            lines = Document(documents, shape, rng).write()
            sink.writelines(lines)
            written += len(lines)
    tmp.replace(out)
    return Generated(out, written, shape.quads, documents, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seed", type=Path, help="the built seed dataset (DATA/dataset.nq)")
    parser.add_argument("size", help="target number of quads: 100k, 1m, 250000")
    parser.add_argument("out", type=Path, help="the N-Quads file to write")
    parser.add_argument("--random-seed", type=int, default=20190415)
    args = parser.parse_args(argv)
    result = generate(args.seed, parse_size(args.size), args.out, random_seed=args.random_seed)
    print(f"wrote {result.path}: {result.quads} quads ({result.seed_quads} seed + {result.documents} synthetic "
          f"documents) in {result.seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
