"""The "Ingest" pages: a curator pastes or uploads a text, the server ingests it in a
worker, and the review page shows the text with every finding's quote highlighted
and, per finding, accept / reject / correct; "Commit" writes only the accepted
findings as the text's draft named graph, through the validated write path of
imports; "Download curation file" gives the reviewed curation as YAML.

Curators sign in with their token: in a browser, a form stores it in a cookie
(HttpOnly, SameSite=Strict, path /ingest) checked on every request against the
tokens file like a bearer header, and every form carries a check value derived
from it; programs send ``Authorization: Bearer TOKEN`` and JSON.

``/ingest``                          the page (sign in; paste or upload a text; the reviews)
``POST /ingest/reviews``             a text (form, upload, or JSON) → a staged review (201/303)
``/ingest/reviews/ID``               the review page (HTML) or its data (JSON)
``POST /ingest/reviews/ID/decisions``  decisions (form fields or JSON)
``POST /ingest/reviews/ID/commit``   write the accepted findings (422 with the report if refused)
``/ingest/reviews/ID/curation.yaml`` the reviewed curation file
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from pathlib import Path, PurePath
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from pilotkg.graph.curate import WriteRefused
from pilotkg.graph.extract.extractor import ROLES
from pilotkg.graph.extract.review import (KINDS, Decision, ReviewError, ReviewFinding, check_decision, curation_yaml,
                                          inclusion, reviewed_curation)
from pilotkg.graph.extract.text import slugify
from pilotkg.graph.resources import seeds_dir

from ..auth import require
from ..negotiation import wants_html
from ..reports import report_dict
from ..site import page
from ..texts import keep_text
from ..workers import IngestJob, PoolBusy, QueryTimeout, WorkerFailed

bp = Blueprint("ingest", __name__, url_prefix="/ingest")
COOKIE = "pilotkg_curator"
KIND_TITLES = {"policy": "Policy", "programme": "Programme", "batch": "Batches", "zone": "Zones",
               "responsibility": "Bodies and their responsibilities", "date": "Dates", "count": "Declared counts",
               "task": "Tasks", "objective": "Objectives"}
MAX_FIELD = 2000


def service():
    return current_app.extensions["pilotkg"]


class Refusal(Exception):
    """Bad input: nothing was stored or changed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- who is asking


def _check_value(token: str) -> str:
    """The value every form of a signed-in page carries (a cross-site form cannot know it)."""
    return hmac.new(token.encode("utf-8"), b"pilotkg review form", hashlib.sha256).hexdigest()[:32]


def _wants_html() -> bool:
    return request.args.get("format") != "json" and wants_html(request.headers.get("Accept"))


def _curator():
    """(curator, check value or None) for this request; a Response (401/403, or the sign-in page) otherwise."""
    if request.headers.get("Authorization"):
        who = require("curator", "reviews")
        return who if isinstance(who, Response) else (who, None)
    token = request.cookies.get(COOKIE)
    if token:
        who = service().tokens.authenticate(f"Bearer {token}")
        if who is not None:
            g.curator = who.name
            if request.method == "POST" and not hmac.compare_digest(
                    request.form.get("check", ""), _check_value(token)):
                return _message(403, "This form is stale or did not come from this site; reload the page and try again.")
            return who, _check_value(token)
    if _wants_html():
        return _sign_in_page(401, "Sign in with your curator token to ingest and review texts."
                             if not token else "Your token is no longer valid; sign in again.")
    return require("curator", "reviews")


_BACK_TO = re.compile(r"^/ingest(?:/reviews/[0-9a-f]{32})?$")


def _sign_in_page(status: int, message: str = "") -> Response:
    back = request.form.get("next") if request.method == "POST" else request.path
    resp = page("ingest.html", status=status, signed_in=False, message=message, reviews=[],
                next=back if back and _BACK_TO.match(back) else "/ingest")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _message(status: int, message: str) -> Response:
    if _wants_html():
        return page("error.html", status=status, title="Not done", message=message,
                    links=(("/ingest", "Ingest"),), error_id=None)
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


@bp.errorhandler(Refusal)
def _refusal(err: Refusal) -> Response:
    return _message(err.status, str(err))


@bp.route("/sign-in", methods=["POST"])
def sign_in() -> Response:
    token = (request.form.get("token") or "").strip()
    who = service().tokens.authenticate(f"Bearer {token}") if token else None
    if who is None:
        return _sign_in_page(401, "That token is not a valid curator token." if token else "Paste your token.")
    back = request.form.get("next") or ""
    resp = redirect(back if _BACK_TO.match(back) else url_for("ingest.home"), code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure, path="/ingest")
    return resp


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    resp = redirect(url_for("ingest.home"), code=303)
    resp.delete_cookie(COOKIE, path="/ingest")
    return resp


# --------------------------------------------------------------------------- the page and new reviews


@bp.route("", methods=["GET"])
def home() -> Response:
    if _wants_html() and not request.headers.get("Authorization") and not request.cookies.get(COOKIE):
        # the page people reach from the menu: its sign-in form is the page, not a refusal
        return _sign_in_page(200, "Sign in with your curator token to ingest and review texts.")
    who = _curator()
    if isinstance(who, Response):
        return who
    curator, check = who
    reviews = service().reviews.summaries()
    if not _wants_html():
        return _json({"curator": curator.name, "reviews": reviews})
    resp = page("ingest.html", signed_in=True, curator=curator, check=check, reviews=reviews, message="",
                form={}, max_body=service().config.max_body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _json(value: Any, status: int = 200, **headers) -> Response:
    return Response(json.dumps(value, ensure_ascii=False, indent=2), status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store", **headers})


def _submitted_text() -> dict[str, Any]:
    """The text and its metadata, from JSON, a form or an upload; Refusal (400) when unusable."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise Refusal(400, "send a JSON object: {\"text\": ..., \"title\": ..., \"date\": ..., \"url\": ..., \"name\": ...}")
        fields = {k: body.get(k) for k in ("text", "title", "date", "url", "name")}
        if any(v is not None and not isinstance(v, str) for v in fields.values()):
            raise Refusal(400, "text, title, date, url and name must be strings")
        upload_name = None
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields = {k: request.form.get(k) for k in ("text", "title", "date", "url", "name")}
        upload = request.files.get("file")
        upload_name = None
        if upload is not None and upload.filename:
            raw = upload.read()
            try:
                fields["text"] = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise Refusal(400, f"{upload.filename}: not UTF-8 at byte {err.start}; save the text as UTF-8") from None
            upload_name = PurePath(upload.filename).name
    else:
        raise Refusal(415, f"unsupported content type {request.mimetype or '(none given)'}; send application/json, "
                           "a form, or multipart/form-data with a 'file'")
    text = (fields.get("text") or "").replace("\r\n", "\n")
    if not text.strip():
        raise Refusal(400, "no text was given: paste the text or choose a file")
    for key in ("title", "date", "url", "name"):
        value = (fields.get(key) or "").strip()
        if len(value) > MAX_FIELD:
            raise Refusal(400, f"{key} is longer than {MAX_FIELD} characters")
        fields[key] = value or None
    return {"text": text, "title": fields["title"], "date": fields["date"], "url": fields["url"],
            "name": _file_name(fields["name"] or upload_name, fields["title"], text)}


def _file_name(given: str | None, title: str | None, text: str) -> str:
    """The text's file name (its stem names the document): the given or uploaded name, else from the title
    or first line; never a seed's name."""
    stem = PurePath(given).stem if given else (title or text.strip().splitlines()[0])[:60]
    slug = slugify(stem)[:60].strip("-")
    if not slug:
        raise Refusal(400, f"the name {given or stem!r} has no letters or digits to name the document by; give a name")
    name = f"{slug.replace('-', '_')}.txt"
    if (seeds_dir() / name).exists() or any(slugify(p.stem) == slug for p in seeds_dir().glob("*.txt")):
        raise Refusal(409, f"a seed text is named {name!r}; give this text another name")
    return name


def _ingest(job: IngestJob) -> dict[str, Any]:
    try:
        return service().run_ingest(job)
    except QueryTimeout as err:
        raise Refusal(503, f"ingesting the text ran past the time limit and was stopped (setting write-timeout): {err}") from None
    except (PoolBusy, WorkerFailed) as err:
        raise Refusal(503, f"no worker could ingest the text now: {err}") from None
    except MemoryError as err:
        raise Refusal(503, str(err)) from None
    except ValueError as err:  # IngestInputError, CurationError: the input cannot be used
        message = str(err).replace("--date", "date").replace("--url", "url")
        raise Refusal(400, f"the text cannot be ingested: {message}") from None


@bp.route("/reviews", methods=["POST"])
def create_review() -> Response:
    who = _curator()
    if isinstance(who, Response):
        return who
    curator, check = who
    try:
        try:
            submitted = _submitted_text()
        except RequestEntityTooLarge:
            raise Refusal(413, f"the text is larger than the limit of {service().config.max_body:,} bytes (setting max-body)")
        found = _ingest(IngestJob(submitted["name"], submitted["text"], submitted["title"], submitted["date"],
                                  submitted["url"]))
    except Refusal as err:
        if not _wants_html():
            raise
        # the form again, with what was sent and what is wrong with it
        form = {k: request.form.get(k) or "" for k in ("text", "title", "date", "url", "name")}
        resp = page("ingest.html", status=err.status, signed_in=True, curator=curator, check=check, message=str(err),
                    reviews=service().reviews.summaries(), form=form)
        resp.headers["Cache-Control"] = "no-store"
        return resp
    record = service().reviews.create({
        **submitted, **found, "status": "open", "created": _now(), "curator": curator.name, "decisions": {},
        "commits": [], "refusal": None,
    })
    location = url_for("ingest.show_review", review_id=record["id"])
    if _wants_html():
        return redirect(location, code=303)
    return _json(_review_data(record), 201, Location=location)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --------------------------------------------------------------------------- one review


def _record(review_id: str) -> dict[str, Any]:
    record = service().reviews.get(review_id)
    if record is None:
        raise Refusal(404, f"there is no review {review_id}")
    return record


def _findings(record: dict[str, Any]) -> list[ReviewFinding]:
    return [ReviewFinding.from_dict(f) for f in record["findings"]]


def _decisions(record: dict[str, Any]) -> dict[str, Decision]:
    return {fid: Decision(**d) for fid, d in (record.get("decisions") or {}).items()}


def _review_data(record: dict[str, Any]) -> dict[str, Any]:
    findings, decisions = _findings(record), _decisions(record)
    written = inclusion(findings, decisions)
    base = url_for("ingest.show_review", review_id=record["id"])
    return {
        **{k: record.get(k) for k in ("id", "name", "title", "date", "url", "status", "created", "curator", "doc_id",
                                      "graph", "validation", "unknown_bodies", "unknown_places", "ambiguous_places",
                                      "not_added", "notes", "commits", "refusal")},
        "url_page": base,
        "decide": base + "/decisions",
        "commit": base + "/commit",
        "curation_file": base + "/curation.yaml",
        "findings": [{**f.as_dict(), "decision": decisions[f.id].as_dict() if f.id in decisions else None,
                      "written": written[f.id][0], "why_not": written[f.id][1]} for f in findings],
    }


@bp.route("/reviews/<review_id>", methods=["GET"])
def show_review(review_id: str) -> Response:
    who = _curator()
    if isinstance(who, Response):
        return who
    record = _record(review_id)
    if not _wants_html():
        return _json(_review_data(record))
    return _review_page(record, who[1])


def _review_page(record: dict[str, Any], check: str | None, status: int = 200, notice: str = "") -> Response:
    findings, decisions = _findings(record), _decisions(record)
    written = inclusion(findings, decisions)
    groups = [(kind, KIND_TITLES[kind], [f for f in findings if f.kind == kind]) for kind in KINDS]
    counts = {"accepted": sum(1 for f in findings if written[f.id][0]),
              "rejected": sum(1 for f in findings if f.id in decisions and decisions[f.id].decision == "reject"),
              "undecided": sum(1 for f in findings if f.id not in decisions)}
    resp = page("ingest_review.html", status=status, record=record, groups=[g for g in groups if g[2]],
                decisions=decisions, written=written, counts=counts, check=check, roles=ROLES, notice=notice,
                segments=_segments(record["text"], findings), total=len(findings))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _segments(text: str, findings: list[ReviewFinding]) -> list[tuple[str, list[str], list[str]]]:
    """The text cut where a finding's quote starts or ends: (piece, ids of the findings whose quotes cover it,
    ids of the findings whose first quote starts there)."""
    spans = []
    for f in findings:
        for a, b in f.values.get("spans") or [[f.start, f.end]]:
            spans.append((a, b, f.id))
    cuts = sorted({0, len(text), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    first = {}
    for f in findings:
        first.setdefault(f.start, []).append(f.id)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = sorted({fid for s, e, fid in spans if s <= a and b <= e},
                          key=lambda fid: next(e - s for s, e, i in spans if i == fid))
        out.append((text[a:b], covering, first.get(a, [])))
    return out


@bp.route("/reviews/<review_id>/decisions", methods=["POST"])
def decide(review_id: str) -> Response:
    who = _curator()
    if isinstance(who, Response):
        return who
    with service().reviews.lock:
        record = _record(review_id)
        _apply_decisions(record)
        service().reviews.save(record)
    if _wants_html():
        return redirect(url_for("ingest.show_review", review_id=review_id) + "#decisions", code=303)
    return _json(_review_data(record))


def _apply_decisions(record: dict[str, Any]) -> None:
    """Read the decisions sent (JSON or the page's form), check every one, then store them all; a Refusal
    (400) changes nothing."""
    findings = {f.id: f for f in _findings(record)}
    decisions = dict(record.get("decisions") or {})
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("decisions"), dict):
            raise Refusal(400, 'send {"decisions": {FINDING_ID: {"decision": "accept"|"reject"|"correct", ...}}}')
        sent = body["decisions"]
        bulk = body.get("bulk")
    else:
        sent = {}
        for fid in findings:
            choice = request.form.get(f"d-{fid}")
            if choice is None:
                continue
            sent[fid] = None if choice == "" else {
                "decision": choice,
                **{k: request.form.get(f"{k}-{fid}") for k in ("label", "division", "role")
                   if choice == "correct" and (request.form.get(f"{k}-{fid}") or "").strip()}}
        bulk = request.form.get("bulk")
    unknown = [fid for fid in sent if fid not in findings]
    if unknown:
        raise Refusal(400, f"no finding {unknown[0]!r} in this review")
    for fid, raw in sent.items():
        if raw is None:
            decisions.pop(fid, None)
            continue
        try:
            decisions[fid] = check_decision(findings[fid], raw).as_dict()
        except ReviewError as err:
            raise Refusal(400, str(err)) from None
    if bulk not in (None, "", "accept-undecided", "reject-undecided"):
        raise Refusal(400, f"bulk must be accept-undecided or reject-undecided, not {bulk!r}")
    if bulk:
        for fid, finding in findings.items():
            if bulk == "accept-undecided" and finding.origin == "candidate":
                continue  # an ambiguous place is added only with the place a curator gives it
            decisions.setdefault(fid, {"decision": bulk.split("-")[0]})
    record["decisions"] = decisions


@bp.route("/reviews/<review_id>/curation.yaml", methods=["GET"])
def curation_file(review_id: str) -> Response:
    who = _curator()
    if isinstance(who, Response):
        return who
    record = _record(review_id)
    text = curation_yaml(_reviewed(record), name=record["name"])
    stem = PurePath(record["name"]).stem
    return Response(text, mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{stem}.curation.yaml"', "Cache-Control": "no-store"})


def _reviewed(record: dict[str, Any]) -> dict[str, Any]:
    return reviewed_curation(record["curation"], _findings(record), _decisions(record), text=record["text"])


@bp.route("/reviews/<review_id>/commit", methods=["POST"])
def commit(review_id: str) -> Response:
    who = _curator()
    if isinstance(who, Response):
        return who
    curator, check = who
    with service().reviews.lock:
        record = _record(review_id)
        if request.mimetype != "application/json" and any(k.startswith("d-") for k in request.form):
            _apply_decisions(record)  # the page's Commit button sends the form's decisions with it
            service().reviews.save(record)
        findings, decisions = _findings(record), _decisions(record)
        written = inclusion(findings, decisions)
        if not any(ok for ok, _ in written.values()):
            raise Refusal(400, "no finding is accepted: accept the findings to write (nothing was written)")
        curation = _reviewed(record)
        draft = _ingest(IngestJob(record["name"], record["text"], curation=curation))
        writes = service().writes
        data = draft["nquads"].encode("utf-8")
        try:
            entry = writes.commit(
                lambda: writes.plan_document(record["graph"], data, "nquads", replace=True,
                                             source=f"the review of {record['name']}")[0],
                curator=curator.name, role=curator.role, action="review-commit", request_id=g.get("request_id", ""))
        except WriteRefused as err:
            report = report_dict(err.report) if err.report is not None else None
            record["refusal"] = {"at": _now(), "message": str(err),
                                 "results": report["results"] if report else []}
            service().reviews.save(record)
            if _wants_html():
                return _review_page(record, check, status=err.status)
            return _json({"error": str(err), "results": record["refusal"]["results"]}, err.status)
        record["refusal"] = None
        record["status"] = "committed"
        try:  # the source page shows the text of a committed review (the evidence's offsets are into it)
            keep_text(service().config.data, record["name"], record["text"])
        except (OSError, ValueError) as err:
            current_app.logger.warning("review %s: committed, but its text could not be kept for its source page: %s",
                                       review_id, err)
        record["commits"].append({"at": _now(), "curator": curator.name, "graph": record["graph"],
                                  "quads": draft["quads"], "findings": sum(1 for ok, _ in written.values() if ok),
                                  "added": entry.get("added"), "removed": entry.get("removed")})
        service().reviews.save(record)
    if _wants_html():
        return redirect(url_for("ingest.show_review", review_id=review_id) + "#status", code=303)
    return _json(_review_data(record))
