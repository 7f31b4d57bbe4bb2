"""Download file names that carry the parameters a table was asked for.

``/browse/zones?province=…/510000&year=2019&format=csv`` downloads as
``pilotkg-zones-province-510000-year-2019.csv``; ``/search?q=成都&format=csv`` as
``pilotkg-search-成都.csv`` (RFC 6266: ``filename*`` carries the UTF-8 name, ``filename`` an
ASCII fallback, ``pilotkg-search.csv``). An IRI value is named by its last path segment.
The CSV itself is written by :mod:`pilotkg.graph.tabular` (spreadsheet-safe, ``bom=1``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence
from urllib.parse import quote

from flask import Response

from pilotkg.graph.tabular import write_table_csv

PREFIX = "pilotkg"
MAX_NAME = 120  # characters of a file name before its extension
CSV_MEDIA = "text/csv; charset=utf-8"
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9]+")


def value_part(value: str) -> str:
    """What names a parameter's value in a file name: an IRI's last path segment, else the value."""
    if re.match(r"[a-z][a-z0-9+.-]*:", value, re.I) and "/" in value:
        value = value.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return value


def _slug(text: str, ascii_only: bool) -> str:
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return _NOT_ASCII_WORD.sub("-", text).strip("-").lower()
    return _NOT_WORD.sub("-", text).replace("_", "-").strip("-").lower()


def file_names(parts: Iterable[str], extension: str) -> tuple[str, str]:
    """The ASCII file name and the Unicode one for ``pilotkg-PART-PART….EXT`` (empty parts dropped)."""
    parts = list(parts)
    names = []
    for ascii_only in (True, False):
        slugs = [s for s in (_slug(p, ascii_only) for p in [PREFIX, *parts]) if s]
        stem = "-".join(slugs)[:MAX_NAME].rstrip("-")
        names.append(f"{stem}.{extension}")
    return names[0], names[1]


def content_disposition(parts: Iterable[str], extension: str, disposition: str = "attachment") -> str:
    """``attachment; filename="…"`` with the parameters in the name, and ``filename*`` (RFC 6266,
    RFC 5987) when the name holds more than ASCII."""
    ascii_name, full_name = file_names(parts, extension)
    header = f'{disposition}; filename="{ascii_name}"'
    if full_name != ascii_name:
        header += "; filename*=UTF-8''" + quote(full_name, safe="")
    return header


def parameter_parts(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """``[name, value, name, value…]`` for a file name, from (parameter, value) pairs."""
    parts: list[str] = []
    for name, value in pairs:
        parts += [name, value_part(value)]
    return parts


def csv_download(headers: Sequence[str], rows: Iterable[Sequence[str]], parts: Iterable[str], *,
                 bom: bool = False, extra_headers: dict | None = None) -> Response:
    """A spreadsheet-safe CSV attachment whose file name carries ``parts``."""
    body = write_table_csv(headers, rows, bom=bom)
    return Response(body, content_type=CSV_MEDIA, headers={
        "Content-Disposition": content_disposition(parts, "csv"), **(extra_headers or {})})
