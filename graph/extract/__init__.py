"""Extraction: source texts in, facts with their evidence out.

The pipeline reads top-down, each module depending only on the ones before it:

``text``
    a source text, its document id, quotes and their offsets.
``outline`` (with ``numbering``)
    lines, sentences and the numbered outline of a document.
``gazetteer`` and ``divisions``
    the names the extraction resolves: the seed gazetteer of bodies, divisions
    and zones (``graph/reference/*.yaml``, ``divisions.csv``), and the national
    gazetteer of every province-, prefecture- and county-level division.
``patterns``
    sentence rules: who does what (roles by verb), dates, periods and counts.
``curation``
    a document's curation file: what a curator states about a text, with quotes.
``facts`` and ``extractor``
    a curation and the rules applied to one text give a :class:`FactSet`, every
    fact with the spans that support it; the build runs this for each seed.
``ingest``
    a text that has no curation file: generic rules write the curation in
    memory, the same extractor runs, and the draft is validated.
"""

from .extractor import UNRESOLVED, Extraction, Extractor, extract

__all__ = ["UNRESOLVED", "Extraction", "Extractor", "extract"]
