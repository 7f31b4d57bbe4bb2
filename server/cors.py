"""Cross-origin requests (CORS) and the reverse proxy in front of the server.

Reads are open to every origin: a GET (or HEAD) anywhere but the curators' pages
(``/admin``, ``/ingest``) answers with ``Access-Control-Allow-Origin: *``, never with
credentials, as ``/sparql`` queries (GET or POST) always have. Writes carry a token
(``Authorization``), which a script on another origin may send only after a preflight
allows that header: the server allows it only for the origins of the setting
``cors-origins`` (none by default), answering them with their own origin (never ``*``)
and no ``Access-Control-Allow-Credentials`` (cookies are never sent cross-origin).

A request with credentials that a browser sends from a page on another origin (its
``Origin`` header) is refused (403) unless that origin is listed, so that a token a
browser remembers (HTTP Basic typed into its dialog) cannot be used by a form on
another site (see :func:`pilotkg.server.auth.require`).

With ``behind-proxy`` N (N > 0), the last N values of ``X-Forwarded-For``,
``-Proto``, ``-Host`` and ``-Port`` are trusted (werkzeug's ``ProxyFix``), so the
Service Description, the VoID and every absolute link name the address clients use
(``https://…``) and each client's address is its own; with 0 (the default) these
headers are ignored, as a client could send them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Request, Response, request

# Paths that are for this site's own pages only: no CORS header at all.
SAME_ORIGIN_ONLY = ("/admin", "/ingest")
PREFLIGHT_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
PREFLIGHT_HEADERS = "Authorization, Content-Type, Accept"
EXPOSED = "X-Pilotkg-Row-Limit, X-Pilotkg-Rows, X-Pilotkg-Truncated, X-Request-Id, Retry-After, Location, Link"


class OriginsError(ValueError):
    """A ``cors-origins`` value that is not a list of origins; the message names the bad one."""


def parse_origins(text: str) -> frozenset[str]:
    """The origins of a ``cors-origins`` value: comma-separated ``scheme://host[:port]``.

    Each is kept as browsers send it in ``Origin`` (lower-case scheme and host, no
    default port, no path); ``*`` and anything with a path, query or user are refused."""
    origins = set()
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        if item == "*" or item.lower() == "null":
            raise OriginsError(f"cors-origins: {item!r} is not allowed; list the origins (https://host[:port]) that "
                               "may send updates")
        try:
            parts = urlsplit(item)
            port = parts.port
        except ValueError:
            raise OriginsError(f"cors-origins: {item!r} is not an origin (https://host[:port])") from None
        if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password
                or parts.path not in ("", "/") or parts.query or parts.fragment):
            raise OriginsError(f"cors-origins: {item!r} is not an origin (https://host[:port], without a path)")
        scheme, host = parts.scheme.lower(), parts.hostname.lower()
        if ":" in host:
            host = f"[{host}]"
        default = {"http": 80, "https": 443}[scheme]
        origins.add(f"{scheme}://{host}" + (f":{port}" if port and port != default else ""))
    return frozenset(origins)


def own_origin(req: Request) -> str:
    """This server's origin as the client sees it (after ProxyFix when behind a proxy)."""
    return req.host_url.rstrip("/").lower()


def foreign_origin(req: Request) -> str | None:
    """The ``Origin`` of a request a browser sent from a page on another origin; None when
    there is none (not a browser, or a same-origin request)."""
    origin = req.headers.get("Origin")
    if origin is None:
        return None
    if req.headers.get("Sec-Fetch-Site") == "same-origin" or origin.strip().lower() == own_origin(req):
        return None
    return origin.strip()


def same_origin_only(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in SAME_ORIGIN_ONLY)


def _vary_origin(response: Response) -> None:
    vary = response.headers.get("Vary", "")
    if "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"


def install(app: Flask, allowed: frozenset[str], proxies: int) -> None:
    """Answer preflights of the allowed origins, mark reads and allowed origins' answers, and
    trust ``proxies`` reverse proxies."""
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

    def listed() -> str | None:
        origin = (request.headers.get("Origin") or "").strip()
        return origin if origin and origin.lower() in allowed else None

    @app.before_request
    def preflight():
        origin = listed()
        if request.method == "OPTIONS" and origin and request.headers.get("Access-Control-Request-Method"):
            response = Response(status=204, mimetype="text/plain", headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": PREFLIGHT_METHODS,
                "Access-Control-Allow-Headers": PREFLIGHT_HEADERS,
                "Access-Control-Max-Age": "600",
            })
            _vary_origin(response)
            return response
        return None

    @app.after_request
    def cors_headers(response: Response) -> Response:
        origin = listed()
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers.setdefault("Access-Control-Expose-Headers", EXPOSED)
        elif request.method in ("GET", "HEAD") and not same_origin_only(request.path):
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        if allowed:
            _vary_origin(response)  # a cache must not give one origin's answer to another
        return response
