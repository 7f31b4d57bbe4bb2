"""pilotkg.graph: source texts in, an evidence-carrying, validated RDF dataset out.

Layers, each depending only on the ones above it: the :mod:`extract` subpackage
(texts in, facts with evidence out) → ``rdf`` (quads) → ``reason`` (OWL RL)
→ ``validate`` (SHACL) → ``build`` (the seed dataset) and, beside it, ``curate``
(planning and committing writes to a store).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pilotkg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
