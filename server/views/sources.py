"""The source texts: ``/sources`` lists them, ``/source/DOC`` shows one with every
evidence span lightly marked, and ``/source/DOC.txt`` gives its exact text.

A passage is highlighted by an RFC 5147 fragment, ``/source/DOC#char=START,END``
(``static/js/source.js`` marks it and scrolls to it), or on the server with
``?char=START,END`` for clients without JavaScript. Offsets count Unicode code
points, as the evidence's ``oa:start``/``oa:end`` do. A ``?char`` value that is
not RFC 5147 syntax or does not fit the text is a 400 that says why (a browser
still gets the text, with the message above it).
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from markupsafe import Markup, escape

from ..describe import SOURCE_PREFIX, Span, source_record, source_records, source_spans
from ..negotiation import wants_html
from ..site import not_found_page, page, sparql_iri
from ..texts import TEXTS_DIR, CharRange, FragmentError, load_text, parse_char

bp = Blueprint("sources", __name__)


def _plain(status: int, message: str, **headers) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def _not_found(message: str) -> Response:
    if wants_html(request.headers.get("Accept")):
        return not_found_page(message)
    return _plain(404, message)


def _kept_texts():
    """The data folder's ``texts/``: the texts of committed reviews (see ``server/views/ingest.py``)."""
    return Path(current_app.extensions["pilotkg"].config.data) / TEXTS_DIR


@bp.route("/sources", methods=["GET"])
def sources() -> Response:
    records = source_records()
    texts = {r.iri: load_text(r.file_name, r.sha256, also=_kept_texts()) for r in records}
    return page("sources.html", records=records, texts=texts)


@bp.route("/source/<path:doc>", methods=["GET"])
def source(doc: str) -> Response:
    raw = doc.endswith(".txt")
    name = doc[:-4] if raw else doc
    iri = SOURCE_PREFIX + name
    try:
        sparql_iri(iri)
    except ValueError:
        return _not_found(f"There is no source named {doc!r}: a source name holds no spaces or <>\"{{}}|^`\\.")
    record = source_record(iri)
    if record is None and raw:  # a source whose own name ends in .txt
        record, raw, name, iri = source_record(SOURCE_PREFIX + doc), False, doc, SOURCE_PREFIX + doc
    if record is None:
        return _not_found(f"There is no source named {name!r} in the dataset; /sources lists them.")
    text = load_text(record.file_name, record.sha256, also=_kept_texts())
    if raw:
        return _raw_text(record, text)
    spans, labels = source_spans(iri)
    highlight, problem = None, None
    char = request.args.get("char")
    if char is not None and text.usable:
        try:
            highlight = parse_char(char, len(text.text))
        except FragmentError as err:
            problem = str(err)
        if problem and not wants_html(request.headers.get("Accept")):
            return _plain(400, f"Cannot highlight: {problem}")
    elif char is not None:
        problem = "this server does not hold the text, so there is nothing to highlight"
    here = [s for s in spans if highlight and s.start == highlight.start and s.end == highlight.end]
    body = render_text(text.text, spans, highlight) if text.usable else None
    mismatched = [s for s in spans if text.usable and not quote_holds(text.text, s)]
    return page("source.html", status=400 if problem and char is not None and text.usable else 200,
                record=record, text=text, body=body, spans=spans, labels=labels, highlight=highlight, here=here,
                problem=problem, char=char, mismatched=mismatched, length=len(text.text) if text.usable else None)


def _raw_text(record, text) -> Response:
    if not text.usable:
        return _plain(404, f"{record.iri}: {text.message}")
    data = text.text.encode("utf-8")
    headers = {
        "Repr-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":",
        "Link": f'</id/source/{record.doc}>; rel="describedby"',
    }
    if text.message:
        headers["X-Pilotkg-Text-Warning"] = text.status
    return Response(data, mimetype="text/plain", headers={**headers, "Content-Type": "text/plain; charset=utf-8"})


def quote_holds(text: str, span: Span) -> bool:
    """True when the span's offsets cut its quote out of ``text`` (or it records no quote or offsets)."""
    if span.start is None or span.end is None or span.exact is None:
        return True
    return text[span.start:span.end] == span.exact


def _escape(text: str) -> str:
    # A CR would be turned into LF by the HTML parser and shift every later offset: keep it as a reference.
    return str(escape(text)).replace("\r", "&#13;")


def render_text(text: str, spans: list[Span], highlight: CharRange | None = None) -> Markup:
    """The text as HTML for ``pre#source-text``: exactly its characters, with the parts inside an evidence
    span wrapped in ``span.ev`` and the ``highlight`` range in
    ``mark#highlight`` (an empty ``mark#highlight.position`` for a position)."""
    n = len(text)
    ranges = [(max(0, s.start), min(n, s.end)) for s in spans
              if s.start is not None and s.end is not None and s.start < s.end and s.start < n]
    cuts = {0, n}
    for start, end in ranges:
        cuts.update((start, end))
    if highlight is not None:
        cuts.update((highlight.start, highlight.end))
    bounds = sorted(cuts)
    depth = [0] * (len(bounds) + 1)
    for start, end in ranges:
        depth[bisect.bisect_left(bounds, start)] += 1
        depth[bisect.bisect_left(bounds, end)] -= 1
    is_position = highlight is not None and highlight.start == highlight.end
    out: list[str] = []
    covered = 0
    for i, a in enumerate(bounds):
        covered += depth[i]
        if highlight is not None and a == highlight.start:
            out.append('<mark id="highlight" class="position"></mark>' if is_position else '<mark id="highlight">')
        if highlight is not None and not is_position and a == highlight.end and a != highlight.start:
            out.append("</mark>")
        if i + 1 == len(bounds):
            break
        b = bounds[i + 1]
        piece = _escape(text[a:b])
        out.append(f'<span class="ev">{piece}</span>' if covered > 0 else piece)
    return Markup("".join(out))
