"""pilotkg.graph: source texts in, an evidence-carrying, validated RDF dataset out.

Layers, each depending only on the ones above it:
``text`` (source texts, quotes, offsets) → ``structure``/``numbering`` (outline)
→ ``gazetteer`` (bodies, divisions, zones) → ``patterns`` (sentence rules)
→ ``curation`` (per-document corrections) → ``extract`` (facts with evidence)
→ ``rdf`` (quads) → ``reason`` (OWL RL) → ``validate`` (SHACL) → ``build``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pilotkg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
