"""Operations: ``/health`` (store open, triple count, build time, version)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.route("/health", methods=["GET"])
def health():
    try:
        return jsonify(current_app.extensions["pilotkg"].health())
    except Exception as err:  # the store is not usable: say so, with 503
        return jsonify({"status": "error", "store_open": False, "error": type(err).__name__}), 503
