"""Pages for curators and admins: ``/admin/whoami`` (any valid token) and
``/admin/audit`` (admins: the audit log of writes, newest first).

Same-origin only: no CORS headers, and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from ..auth import require

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_LIMIT = 1000


def _plain(status: int, message: str) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _json(value) -> Response:
    resp = jsonify(value)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/whoami", methods=["GET"])
def whoami() -> Response:
    who = require("curator", "the admin pages")
    if isinstance(who, Response):
        return who
    return _json({"name": who.name, "role": who.role})


@bp.route("/audit", methods=["GET"])
def audit() -> Response:
    """``?limit=N`` (1–1000, default 100) entries, ``?curator=NAME`` only; newest first."""
    who = require("admin", "the audit log")
    if isinstance(who, Response):
        return who
    raw = request.args.get("limit", "100")
    try:
        limit = int(raw)
    except ValueError:
        return _plain(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}")
    if not 1 <= limit <= MAX_LIMIT:
        return _plain(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}")
    curator = request.args.get("curator") or None
    return _json(current_app.extensions["pilotkg"].audit.read(limit=limit, curator=curator))
