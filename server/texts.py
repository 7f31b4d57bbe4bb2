"""The source texts behind the evidence: reading a source's file, checking it
against the digest the graph records, and RFC 5147 character fragments.

Evidence offsets (``oa:start``/``oa:end``) are Python ``str`` indices into the
text decoded from UTF-8, that is Unicode code points. They only hold for the
exact bytes the graph was built from, so every read is checked against the
source's ``pk:sha256``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pilotkg.graph.resources import seeds_dir

# What the server can say about a source's text.
TEXT_OK = "ok"  # held, and its digest is the one the graph records
TEXT_UNCHECKED = "unchecked"  # held, but the graph records no digest to check it against
TEXT_CHANGED = "changed"  # held, but its digest differs: the offsets may not hold
TEXT_MISSING = "missing"  # the graph names a file this server does not have
TEXT_NOT_HELD = "not-held"  # the graph names no file (e.g. a curated source)
TEXT_UNREADABLE = "unreadable"  # the file is there but is not UTF-8 text


@dataclass(frozen=True)
class SourceText:
    """The text of one source as this server holds it (``text`` is None when it holds none)."""

    status: str
    text: str | None
    file_name: str | None
    expected_sha256: str | None
    actual_sha256: str | None = None

    @property
    def usable(self) -> bool:
        return self.text is not None

    @property
    def message(self) -> str | None:
        """What a reader must know before trusting offsets into this text (None if all is well)."""
        if self.status == TEXT_CHANGED:
            return (f"The file {self.file_name} on this server is not the text the graph was built from: its SHA-256 is "
                    f"{self.actual_sha256}, the graph records {self.expected_sha256}. Character offsets of the evidence "
                    "may not point at the quoted words.")
        if self.status == TEXT_UNCHECKED:
            return (f"The graph records no SHA-256 digest for {self.file_name}, so this server cannot check that the "
                    "file is the text the evidence offsets refer to.")
        if self.status == TEXT_MISSING:
            return (f"This server does not hold the file {self.file_name} named by the graph, so the text cannot be "
                    "shown; the quotes of the evidence are still in the graph.")
        if self.status == TEXT_NOT_HELD:
            return ("The graph names no text file for this source (a curated source, for instance): this server does "
                    "not hold its text. The quotes of the evidence are still in the graph.")
        if self.status == TEXT_UNREADABLE:
            return f"The file {self.file_name} on this server is not UTF-8 text and cannot be shown."
        return None


def _safe_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` if ``name`` is a plain file name (no folder part, no hidden file), else None.

    The name comes from the graph, which curators can write: it must not reach outside the texts folder."""
    if not name or name != Path(name).name or name.startswith(".") or "\\" in name or "\x00" in name:
        return None
    return folder / name


TEXTS_DIR = "texts"  # in the data folder: the texts of committed reviews (the seeds' are in seeds/)


def load_text(file_name: str | None, sha256: str | None, folder: Path | None = None,
              also: Path | None = None) -> SourceText:
    """The text named ``file_name`` in the texts folder (``seeds/``), else in ``also`` (the data
    folder's ``texts/``, where a committed review keeps its text), checked against ``sha256``: of
    two files of that name, the one whose digest the graph records."""
    if not file_name:
        return SourceText(TEXT_NOT_HELD, None, None, sha256)
    found = [_read_text(path, file_name, sha256) for path in
             (_safe_file(f, file_name) for f in (folder or seeds_dir(), also) if f is not None)
             if path is not None and path.is_file()]
    if not found:
        return SourceText(TEXT_MISSING, None, file_name, sha256)
    return next((t for t in found if t.status == TEXT_OK), found[0])


def _read_text(path: Path, file_name: str, sha256: str | None) -> SourceText:
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return SourceText(TEXT_UNREADABLE, None, file_name, sha256, actual)
    if not sha256:
        status = TEXT_UNCHECKED
    else:
        status = TEXT_OK if actual == sha256.strip().lower() else TEXT_CHANGED
    return SourceText(status, text, file_name, sha256, actual)


def keep_text(data_dir: Path, file_name: str, text: str) -> Path:
    """Write a committed review's text into ``DATA/texts/`` (atomically, fsync'ed), so that its
    source page shows it. Raises ValueError for a name that is not a plain file name."""
    from pilotkg.graph.backup import write_atomically

    folder = Path(data_dir) / TEXTS_DIR
    path = _safe_file(folder, file_name)
    if path is None:
        raise ValueError(f"{file_name!r} is not a plain file name")
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))
    return path


# --- RFC 5147 fragments: char=S,E (a range), char=S (a position), char=,E and char=S, ------------


class FragmentError(ValueError):
    """A ``char=`` value that is not RFC 5147 syntax, or that does not fit the text."""


@dataclass(frozen=True)
class CharRange:
    """A range of code points ``[start, end)``; a position when ``start == end`` and ``position``."""

    start: int
    end: int
    position: bool = False
    length: int | None = None  # the integrity check ;length=N, if given

    @property
    def label(self) -> str:
        return f"position {self.start}" if self.position else f"characters {self.start}–{self.end}"


_CHAR = re.compile(r"^(?:char=)?(?P<body>[0-9]*(?:,[0-9]*)?)(?P<checks>(?:;[A-Za-z0-9-]+=[^;]*)*)$")


def parse_char(value: str, text_length: int) -> CharRange:
    """Parse an RFC 5147 ``char=`` scheme (the ``char=`` itself optional) against a text of
    ``text_length`` code points. Raises :class:`FragmentError` with what is wrong."""
    m = _CHAR.match(value.strip())
    body = m.group("body") if m else ""
    if not m or body in ("", ","):
        raise FragmentError(
            f"char={value.strip().removeprefix('char=')} is not an RFC 5147 character position or range: write char=START,END "
            "(or char=POSITION) with whole numbers of characters, e.g. char=120,180")
    length = None
    for check in filter(None, m.group("checks").split(";")):
        name, _, argument = check.partition("=")
        if name.lower() == "length":
            if not argument.isdigit():
                raise FragmentError(f"the integrity check ;length={argument} needs a whole number of characters")
            length = int(argument)
        # ;md5=… is accepted and not checked (the graph records SHA-256 digests).
    if "," not in body:
        position = int(body)
        if position > text_length:
            raise FragmentError(f"position {position} is past the end of the text ({text_length} characters)")
        return CharRange(position, position, True, length)
    first, last = body.split(",", 1)
    start = int(first) if first else 0
    end = int(last) if last else text_length
    if start > end:
        raise FragmentError(f"char={start},{end}: the start comes after the end")
    if end > text_length:
        raise FragmentError(f"char={start},{end} runs past the end of the text ({text_length} characters)")
    return CharRange(start, end, False, length)
