"""Source texts as stored, and quotes located in them by character offsets.

Offsets count Python ``str`` characters of the text decoded from UTF-8 with no
newline translation, so ``text[start:end]`` is the quote. The text itself is
never changed: noise such as ``****`` or ``202 1`` stays in it and is cleaned
only in labels (see :func:`clean_label`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CONTEXT_CHARS = 32  # characters kept as oa:prefix / oa:suffix


class QuoteNotFound(ValueError):
    """A quote that is not in its source text (names the file and the quote)."""


@dataclass(frozen=True, order=True)
class Span:
    """A half-open character range ``[start, end)`` of one source text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"not a character range: {self.start}..{self.end}")

    def of(self, text: str) -> str:
        """The characters of ``text`` this span covers."""
        return text[self.start : self.end]

    def __contains__(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class SourceText:
    """One text in ``seeds/`` (or ingested later): its name, bytes and decoded text."""

    path: Path
    text: str
    sha256: str

    @classmethod
    def load(cls, path: str | Path) -> "SourceText":
        """Read a UTF-8 text file exactly as stored (no newline translation)."""
        path = Path(path)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{path.name}: not UTF-8 at byte {err.start}") from err
        return cls(path=path, text=text, sha256=hashlib.sha256(data).hexdigest())

    @property
    def file_name(self) -> str:
        return self.path.name

    @cached_property
    def doc_id(self) -> str:
        """The slug naming this text in IRIs: the file stem, lower case, ``_`` → ``-``."""
        return slugify(self.path.stem)

    def quote(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def prefix(self, span: Span) -> str:
        return self.text[max(0, span.start - CONTEXT_CHARS) : span.start]

    def suffix(self, span: Span) -> str:
        return self.text[span.end : span.end + CONTEXT_CHARS]

    def find(self, quote: str, *, occurrence: int = 1, after: str | None = None, within: Span | None = None) -> Span:
        """Locate ``quote`` and return its span.

        ``occurrence`` picks the n-th match (1-based); ``after`` starts the search
        after the first match of another quote; ``within`` limits it to a span.
        Raises :class:`QuoteNotFound` naming the file and the quote.
        """
        if not quote:
            raise QuoteNotFound(f"{self.file_name}: empty quote")
        lo, hi = (within.start, within.end) if within else (0, len(self.text))
        if after is not None:
            anchor = self.text.find(after, lo, hi)
            if anchor < 0:
                raise QuoteNotFound(f"{self.file_name}: anchor {after!r} not found in the text")
            lo = anchor + len(after)
        pos = lo - 1
        for _ in range(occurrence):
            pos = self.text.find(quote, pos + 1, hi)
            if pos < 0:
                where = f" (occurrence {occurrence})" if occurrence > 1 else ""
                raise QuoteNotFound(f"{self.file_name}: quote{where} not found in the text: {quote!r}")
        return Span(pos, pos + len(quote))

    def check(self, span: Span, exact: str) -> None:
        """Fail unless ``text[span]`` is exactly ``exact``."""
        if self.quote(span) != exact:
            raise QuoteNotFound(
                f"{self.file_name}: offsets {span.start}..{span.end} hold {self.quote(span)!r}, not {exact!r}"
            )


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(value: str) -> str:
    """Lower-case ASCII with hyphens: ``"002_89772ce1"`` → ``"002-89772ce1"``."""
    return _SLUG_DROP.sub("-", value.lower()).strip("-")


_LOST_CHARS = re.compile(r"\s*\*{2,}\s*")
_SPLIT_YEAR = re.compile(r"\b(\d{3}) (\d)\b")
_SPACES = re.compile(r"\s+")


def clean_label(value: str) -> str:
    """Make a readable label from a noisy quote.

    Drops the ``***`` runs where the web page lost characters, joins years
    split by a stray space ("202 1" → "2021"), normalises dashes between years,
    collapses white space and strips a trailing period.
    """
    value = _LOST_CHARS.sub(" ", value)
    value = _SPLIT_YEAR.sub(r"\1\2", value)
    value = re.sub(r"(\d{4})\s*[—–-]+\s*(\d{4})", r"\1–\2", value)
    value = _SPACES.sub(" ", value).strip()
    return value.rstrip(".;,: ").strip()
