"""Curation files: what the patterns cannot get, each entry anchored by a quote.

Beside each text ``seeds/NAME.txt`` sits ``seeds/NAME.curation.yaml``. Every
entry that states a fact carries ``quote:`` — text copied exactly from the
source — and, when the quote occurs more than once, ``occurrence: N`` or
``after: "..."``. A quote that is not in its text is an error naming the file,
the entry and the quote; the build stops on it. The format is documented in
the README ("Curation files").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .text import QuoteNotFound, SourceText, Span


class CurationError(ValueError):
    """A curation file that cannot be used: names the file, the entry and the problem."""


@dataclass
class Curation:
    """One document's curation file, with quotes resolved against its text."""

    path: Path
    data: dict[str, Any]
    source: SourceText

    @classmethod
    def load(cls, source: SourceText, path: Path | None = None) -> "Curation":
        """Read ``NAME.curation.yaml`` beside the text (an empty curation if there is none)."""
        path = path or source.path.with_name(source.path.stem + ".curation.yaml")
        if not path.exists():
            return cls(path=path, data={}, source=source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise CurationError(f"{path.name}{where}: not valid YAML: {getattr(err, 'problem', err)}") from err
        if not isinstance(data, dict):
            raise CurationError(f"{path.name}: the top level must be a mapping of sections")
        unknown = set(data) - SECTIONS
        if unknown:
            raise CurationError(f"{path.name}: unknown section(s) {sorted(unknown)}; allowed: {sorted(SECTIONS)}")
        return cls(path=path, data=data, source=source)

    def section(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """The entries of a list section, each with a readable locator ("zones[3]")."""
        entries = self.data.get(name) or []
        if not isinstance(entries, list):
            raise CurationError(f"{self.path.name}: section {name!r} must be a list of entries")
        out = []
        for i, entry in enumerate(entries):
            where = f"{name}[{i}]"
            if not isinstance(entry, dict):
                raise CurationError(f"{self.path.name}: {where}: each entry must be a mapping")
            unknown = set(entry) - ENTRY_KEYS.get(name, set()) - QUOTE_KEYS
            if unknown:
                raise CurationError(
                    f"{self.path.name}: {where}: unknown key(s) {sorted(unknown)}; "
                    f"allowed: {sorted(ENTRY_KEYS.get(name, set()) | QUOTE_KEYS)}"
                )
            out.append((where, entry))
        return out

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.data.get(name) or {}
        if not isinstance(value, dict):
            raise CurationError(f"{self.path.name}: section {name!r} must be a mapping")
        return value

    def require(self, entry: dict[str, Any], key: str, where: str) -> Any:
        if key not in entry or entry[key] in (None, ""):
            raise CurationError(f"{self.path.name}: {where}: missing {key!r}")
        return entry[key]

    def span(self, entry: dict[str, Any] | str, where: str) -> Span:
        """Resolve an entry's quote (or a bare quote string) to its span in the text."""
        if isinstance(entry, str):
            entry = {"quote": entry}
        quote = entry.get("quote")
        if not isinstance(quote, str) or not quote:
            raise CurationError(f"{self.path.name}: {where}: every entry needs a non-empty 'quote'")
        occurrence = entry.get("occurrence", 1)
        if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1:
            raise CurationError(f"{self.path.name}: {where}: 'occurrence' must be a whole number from 1, not {occurrence!r}")
        try:
            return self.source.find(quote, occurrence=occurrence, after=entry.get("after"))
        except QuoteNotFound as err:
            raise CurationError(f"{self.path.name}: {where}: {err}") from err


QUOTE_KEYS = {"quote", "occurrence", "after"}
# The keys each list section's entries may have (besides the quote keys): a
# misspelt key is an error, never silently ignored.
ENTRY_KEYS = {
    "policies": {"id", "label", "type", "issued_by", "issued_on", "tasks", "objectives", "establishes"},
    "programmes": {"id", "label", "established_by", "period", "started_on", "declared", "themes", "objectives"},
    "batches": {"id", "programme", "number", "label", "approved_on", "declared"},
    "zones": {"zone", "division", "extent", "label", "in", "designated_by", "approved_on"},
    "tasks": {"id", "parent", "count"},
    "responsibilities": {"body", "role", "subject"},
    "reject": {"body", "role"},
    "links": {"subject", "property", "object"},
}

SECTIONS = {
    "source",
    "policies",
    "programmes",
    "batches",
    "zones",
    "tasks",
    "responsibilities",
    "reject",
    "subjects",
    "links",
    "patterns",
}
