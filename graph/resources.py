"""Where the files that ship with pilotkg live, in a checkout and once installed.

In the repository ``graph/`` sits beside ``ontology/``, ``shapes/`` and ``seeds/``;
installed, ``pilotkg/graph`` sits beside ``pilotkg/ontology`` and the rest, so one
relative rule finds both.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def ontology_path() -> Path:
    """Return the path of ``pilotkg.ttl``, the OWL ontology."""
    return PACKAGE_ROOT / "ontology" / "pilotkg.ttl"


def shapes_path() -> Path:
    """Return the path of ``pilotkg-shapes.ttl``, the SHACL shapes."""
    return PACKAGE_ROOT / "shapes" / "pilotkg-shapes.ttl"


def seeds_dir() -> Path:
    """Return the folder holding the source texts and their curation files."""
    return PACKAGE_ROOT / "seeds"


def reference_dir() -> Path:
    """Return the folder holding the gazetteer's reference data."""
    return Path(__file__).resolve().parent / "reference"


def queries_dir() -> Path:
    """Return the folder holding the example queries (``*.rq``)."""
    return PACKAGE_ROOT / "queries"
