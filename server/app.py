"""The Flask application factory: one ``create_app()`` registers the blueprints."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, Response, g, request
from flask_babel import gettext

from .config import ServerConfig
from .cors import install as install_cors, parse_origins
from .negotiation import wants_html
from .site import CONTENT_SECURITY_POLICY, not_found_page
from .service import Service

access_log = logging.getLogger("pilotkg.server.access")


def create_app(config: ServerConfig, service: Service | None = None) -> Flask:
    """Build the WSGI application over a :class:`Service` (made from ``config`` if not given)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_body
    app.extensions["pilotkg"] = service or Service(config)
    from . import i18n

    i18n.init_app(app)

    from .views import (admin, browse, curation, docs, downloads, health, home, ingest, queries, resources, search, sources,
                        sparql)

    for module in (sparql, health, admin, curation, ingest, home, queries, resources, sources, search, browse, docs,
                   downloads):
        app.register_blueprint(module.bp)

    @app.errorhandler(413)
    def too_large(_err):
        return Response(
            f"the request body is larger than the limit of {config.max_body} bytes (setting max-body)\n",
            status=413,
            mimetype="text/plain",
        )

    @app.errorhandler(405)
    def wrong_method(err):
        allowed = ", ".join(sorted(getattr(err, "valid_methods", None) or []))
        return Response(f"method {request.method} is not allowed here; allowed: {allowed}\n", status=405,
                        mimetype="text/plain", headers={"Allow": allowed})

    @app.errorhandler(404)
    def not_found(_err):
        if wants_html(request.headers.get("Accept")):
            return not_found_page(gettext("There is no page at %(path)s.", path=request.path))
        return Response(f"no such page: {request.path}\n", status=404, mimetype="text/plain")

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        g.request_id = uuid.uuid4().hex  # in X-Request-Id, the access log and the audit log

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        record = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
            "rows": g.get("rows"),
            "truncated": g.get("truncated"),
            "query_form": g.get("query_form"),
            "curator": g.get("curator"),
            "bytes": response.calculate_content_length(),
        }
        access_log.info(json.dumps(record))
        return response

    app.config["PILOTKG_CORS_ORIGINS"] = parse_origins(config.cors_origins)
    install_cors(app, app.config["PILOTKG_CORS_ORIGINS"], config.behind_proxy)
    return app
