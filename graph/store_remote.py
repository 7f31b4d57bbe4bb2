"""The store interface over HTTP: SPARQL 1.1 Protocol, Update and Graph Store Protocol.

:class:`RemoteStore` talks to any SPARQL 1.1 server with the standard library
only (``urllib.request``) and returns pyoxigraph's own result types, so the
server layer cannot tell it from :class:`~pilotkg.graph.store.EmbeddedStore`.

Endpoints. Give the server root of an Oxigraph server and the three endpoints
are derived::

    RemoteStore("http://127.0.0.1:7878")
    # query  http://127.0.0.1:7878/query
    # update http://127.0.0.1:7878/update
    # store  http://127.0.0.1:7878/store

A query URL ending in ``/query`` gets the Oxigraph siblings ``/update`` and
``/store``; one ending in ``/sparql`` gets Fuseki's ``/update`` and ``/data``.
Anything else: pass them yourself. For a Fuseki dataset ``ds``::

    RemoteStore("http://localhost:3030/ds/sparql",
                update_url="http://localhost:3030/ds/update",
                store_url="http://localhost:3030/ds/data")

The union default graph. Without ``default_graphs`` a query's default graph is
the union of the named graphs, in a portable way: one ``default-graph-uri`` per
named graph (the protocol defines the default graph as their RDF merge), and
one ``named-graph-uri`` per named graph (with default-graph-uri alone, the
protocol's dataset would have no named graphs for ``GRAPH`` patterns), unless
the query has its own ``FROM``/``FROM NAMED`` (then it is left alone). So do
not start the server with a union default graph of its own (Oxigraph's
``--union-default-graph``, Fuseki's ``tdb:unionDefaultGraph``): :meth:`count`
would count the named graphs twice. Triples in the server's real default graph
are not part of that union (the embedded store's union includes them);
pilotkg's dataset has none.

Prefixes. The pilotkg prefixes are predeclared, as in the embedded store: the
ones a query or update does not declare itself are sent as ``PREFIX`` lines
before it, and a parse error's line number is shifted back so that it points
into the text the caller wrote.

Time limits. With ``query_timeout`` (seconds, pilotkg's ``--query-timeout``) each
query also carries the store's own time limit, where the engine has one per
request, set :data:`ENGINE_TIMEOUT_GRACE` seconds past pilotkg's, so that
pilotkg's worker gives up first (503) and the store stops the query a moment
later instead of running it to the end: Fuseki's ``timeout`` (seconds) and
Virtuoso's ``timeout`` (milliseconds). The engine is recognised by the
``Server`` header of its answers (one ``ASK {}`` is sent first when it is not
known yet). Oxigraph server has no per-request limit: only its own
``--timeout-s`` option stops a query that writes nothing until it ends (ORDER
BY, GROUP BY, COUNT, a FILTER that rejects every row); a query that streams
rows stops when the connection closes, which happens when pilotkg kills the
worker that sent it (see the README's table). Each request has its own
connection (``Connection: close``), held by the process that sent it.

Errors. A request the server answers with 400 (a malformed query or update,
RDF that does not parse) raises :class:`SyntaxError` with the server's message;
any other HTTP error, a refused connection or a timeout raises
:class:`~pilotkg.graph.store.StoreError` naming the URL and the status. Results
the store cut off (Oxigraph's ``--timeout-s`` ends a 200 answer with "The SPARQL
operation has been cancelled"; Virtuoso's "anytime" answer is partial, marked
``X-SQL-State: S1TAT``) raise :class:`StoreQueryStopped`, never a partial result.
"""

from __future__ import annotations

import http.client
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .namespaces import PREFIXES
from .rdfio import FORMATS
from .sparql_safety import has_dataset_clause, refuse_remote, tokens_text
from .store import QueryResult, StoreError

ACCEPT_QUERY = "application/sparql-results+json, application/n-triples;q=0.9"
GRAPHS_TTL = 5.0  # seconds a graphs() answer is reused for the union default graph
MAX_URL = 4000  # longer request URLs (many default-graph-uri) go as a form body instead

COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
# Named graphs with at least one triple: Oxigraph keeps a graph whose triples were all deleted.
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g {} FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }"
PROBE_QUERY = "ASK {}"
OXIGRAPH_CANCELLED = "The SPARQL operation has been cancelled"  # what Oxigraph writes when --timeout-s ends a query

# The store's own limit is this many seconds past pilotkg's, so that pilotkg answers first.
ENGINE_TIMEOUT_GRACE = 1.0
ENGINES = ("oxigraph", "fuseki", "virtuoso", "other")

_PREFIX_DECL = re.compile(r"\bPREFIX\s+((?:[A-Za-z][\w.-]*)?)\s*:", re.I)
# Parse error positions: Oxigraph "error at 3:5: ...", Jena "... at line 3, column 5".
_POSITIONS = (re.compile(r"(error at )(\d+)(:\d+)"), re.compile(r"(\bline )(\d+)(, column )"))


def with_prefixes(sparql: str) -> tuple[str, int]:
    """``sparql`` with PREFIX lines for the pilotkg prefixes it does not declare, and how many lines were added."""
    declared = {m.group(1) for m in _PREFIX_DECL.finditer(tokens_text(sparql))}
    lines = [f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p not in declared]
    return "".join(lines) + sparql, len(lines)


def _shift_lines(message: str, added: int) -> str:
    """Point a parse error's line number back into the caller's text."""
    if not added:
        return message
    for pattern in _POSITIONS:
        message = pattern.sub(
            lambda m: f"{m.group(1)}{max(int(m.group(2)) - added, 1)}{m.group(3)}", message
        )
    return message


def _endpoints(query_url: str) -> tuple[str, str | None, str | None]:
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")
    if not path:  # the server root: Oxigraph's layout
        root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return root + "/query", root + "/update", root + "/store"
    head, _, last = path.rpartition("/")
    siblings = {"query": ("update", "store"), "sparql": ("update", "data")}.get(last)
    if siblings is None:
        return query_url, None, None

    def sibling(name: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{head}/{name}", "", ""))

    return query_url, sibling(siblings[0]), sibling(siblings[1])


def _add_params(url: str, params: list[tuple[str, str]]) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _triples(body: bytes, rdf_format: ox.RdfFormat) -> ox.QueryTriples:
    """A CONSTRUCT/DESCRIBE answer as pyoxigraph's own ``QueryTriples``.

    ``QueryTriples`` cannot be constructed from Python, so the triples go into
    a small in-memory store and come back out of it through a CONSTRUCT.
    """
    scratch = ox.Store()
    scratch.load(input=body, format=rdf_format)
    return scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)


class StoreQueryStopped(StoreError):
    """The store stopped a query itself (its own time limit) and sent no complete result."""


def engine_of(headers) -> str:
    """Which SPARQL engine answered: ``oxigraph``, ``fuseki``, ``virtuoso`` or ``other``,
    from the ``Server`` header (and Fuseki's ``Fuseki-Request-Id``)."""
    server = (headers.get("Server") or "").lower()
    if "oxigraph" in server:
        return "oxigraph"
    if "fuseki" in server or headers.get("Fuseki-Request-Id"):
        return "fuseki"
    if "virtuoso" in server:
        return "virtuoso"
    return "other"


def engine_timeout_params(engine: str | None, query_timeout: float | None) -> list[tuple[str, str]]:
    """The request parameters that make ``engine`` stop a query by itself
    ``ENGINE_TIMEOUT_GRACE`` seconds after pilotkg's ``query_timeout``; none where the
    engine has no such parameter (Oxigraph server, unknown engines) or no limit is set."""
    if not query_timeout or query_timeout <= 0:
        return []
    limit = query_timeout + ENGINE_TIMEOUT_GRACE
    if engine == "fuseki":  # whole seconds; a lower limit than the server's own only
        return [("timeout", str(math.ceil(limit)))]
    if engine == "virtuoso":  # milliseconds, capped by the server's MaxQueryExecutionTime
        return [("timeout", str(math.ceil(limit * 1000)))]
    return []


def _cut_off(media: str, payload: bytes, headers) -> str | None:
    """Why an answer with status 200 is not a whole result, or None if it is."""
    if (headers.get("X-SQL-State") or "").strip().upper() == "S1TAT":  # Virtuoso's partial "anytime" answer
        return headers.get("X-SQL-Message") or "the store's time limit cut the result (X-SQL-State: S1TAT)"
    if media in ("application/sparql-results+json", "application/json"):
        end = payload.rstrip()
        if not end.endswith(b"}"):  # Oxigraph ends the stream with its error message
            tail = end[-300:].decode("utf-8", "replace")
            return OXIGRAPH_CANCELLED if OXIGRAPH_CANCELLED in tail else "the answer ends before the result does"
    return None


class RemoteStore:
    """A SPARQL 1.1 server (Oxigraph server, Fuseki, Virtuoso, GraphDB) as a :class:`~pilotkg.graph.store.Store`.

    ``token`` is sent as ``Authorization: Bearer TOKEN`` on every request;
    ``timeout`` (seconds) bounds each wait on the connection; ``query_timeout``
    (seconds, pilotkg's query time limit) is passed on to engines that take a
    per-request limit (see the module's "Time limits"); ``engine`` (one of
    :data:`ENGINES`) skips recognising the engine by its ``Server`` header.
    """

    def __init__(
        self,
        query_url: str,
        *,
        update_url: str | None = None,
        store_url: str | None = None,
        timeout: float = 30.0,
        token: str | None = None,
        query_timeout: float | None = None,
        engine: str | None = None,
    ):
        if engine is not None and engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
        if not query_url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {query_url!r}")
        query, derived_update, derived_store = _endpoints(query_url)
        self.query_url = query
        self.update_url = update_url or derived_update
        self.store_url = store_url or derived_store
        self.timeout = timeout
        self.query_timeout = query_timeout
        self.engine = engine
        self._token = token
        self._graphs_cache: tuple[float, list[str]] | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.query_url!r}, update_url={self.update_url!r}, store_url={self.store_url!r})"

    # -- HTTP ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        *,
        data: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        syntax_lines: int | None = None,
    ) -> tuple[str, bytes]:
        """Send one request; return (media type, body).

        With ``syntax_lines`` set, a 400 answer raises SyntaxError (its line
        numbers shifted back by that many lines); anything else that fails
        raises StoreError.
        """
        media, body, _headers = self._send(method, url, data=data, headers=headers, syntax_lines=syntax_lines)
        return media, body

    def _send(
        self,
        method: str,
        url: str,
        *,
        data: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        syntax_lines: int | None = None,
    ) -> tuple[str, bytes, http.client.HTTPMessage]:
        """:meth:`_request`, also returning the answer's headers (and noting the engine from them)."""
        headers = dict(headers or {})
        headers.setdefault("User-Agent", "pilotkg")
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        endpoint = url.split("?", 1)[0]
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if self.engine is None:
                    self.engine = engine_of(response.headers)
                return _media_type(response.headers.get("Content-Type")), response.read(), response.headers
        except urllib.error.HTTPError as err:
            if self.engine is None:
                self.engine = engine_of(err.headers)
            try:
                message = err.read().decode("utf-8", "replace").strip()
            except (OSError, http.client.HTTPException):
                message = ""
            if err.code == 400 and syntax_lines is not None:
                raise SyntaxError(_shift_lines(message, syntax_lines) or "the store rejected the request as malformed") from None
            detail = f": {message[:500]}" if message else ""
            hint = " (check the token)" if err.code in (401, 403) else ""
            raise StoreError(f"{method} {endpoint} failed: HTTP {err.code} {err.reason}{hint}{detail}") from None
        except urllib.error.URLError as err:
            raise StoreError(f"cannot reach the SPARQL store at {endpoint}: {err.reason}") from None
        except TimeoutError:
            raise StoreError(f"{method} {endpoint}: no answer within {self.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as err:
            raise StoreError(f"{method} {endpoint} failed: {err.__class__.__name__}: {err}") from None

    def _need(self, url: str | None, what: str) -> str:
        if not url:
            raise StoreError(f"no {what} URL: pass {what}_url= to RemoteStore (query URL {self.query_url})")
        return url

    def _select(self, sparql: str) -> ox.QuerySolutions:
        """An internal query on the server's own dataset (no dataset parameters)."""
        result = self._run_query(sparql, [], 0)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"{self.query_url} did not answer a SELECT with solutions")
        return result

    def _run_query(self, text: str, params: list[tuple[str, str]], added: int) -> QueryResult:
        url = _add_params(self.query_url, params)
        headers = {"Accept": ACCEPT_QUERY}
        if len(url) <= MAX_URL:
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            body = text.encode("utf-8")
        else:  # the same request as a form, so that a long graph list fits
            url = self.query_url
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode([("query", text), *params]).encode("ascii")
        media, payload, answer_headers = self._send("POST", url, data=body, headers=headers, syntax_lines=added)
        cut = _cut_off(media, payload, answer_headers)
        if cut:
            raise StoreQueryStopped(f"{self.query_url} stopped the query and sent no complete result: {cut}")
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        if results_format is not None:
            try:
                return ox.parse_query_results(payload, format=results_format)
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{self.query_url} sent query results that do not parse: {err}") from None
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is not None:
            try:
                return _triples(payload, rdf_format)
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{self.query_url} sent RDF that does not parse: {err}") from None
        raise StoreError(f"{self.query_url} answered with an unexpected content type {media or '(none)'!r}")

    # -- the Store interface ---------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        refuse_remote(sparql)
        params: list[tuple[str, str]] = []
        if default_graphs:
            params += [("default-graph-uri", g) for g in default_graphs]
        elif not has_dataset_clause(sparql):
            params += [("default-graph-uri", g) for g in self._cached_graphs()]
        if named_graphs:
            params += [("named-graph-uri", g) for g in named_graphs]
        elif params:
            # With default-graph-uri alone the protocol's dataset has no named
            # graphs; keep them all, as the embedded store does.
            params += [("named-graph-uri", g) for g in self._cached_graphs()]
        if self.query_timeout:
            if self.engine is None:
                self._run_query(PROBE_QUERY, [], 0)  # learn the engine from its Server header
            params += engine_timeout_params(self.engine, self.query_timeout)
        text, added = with_prefixes(sparql)
        if base_iri:  # a BASE line first: the query's own BASE, if any, still wins (it comes later)
            text, added = f"BASE <{ox.NamedNode(base_iri).value}>\n" + text, added + 1
        return self._run_query(text, params, added)

    def update(self, sparql: str) -> None:
        refuse_remote(sparql)
        text, added = with_prefixes(sparql)
        self._update(text, added)

    def write(self, removed: list, added: list) -> None:
        """Remove and add these quads (one update request). The store's own default-graph
        semantics apply: pilotkg keeps no merged graph on a remote store."""
        from .store import quads_update_text

        text = quads_update_text(removed, added)
        if text:
            self.update(text)

    def _update(self, text: str, added: int = 0) -> None:
        url = self._need(self.update_url, "update")
        self._graphs_cache = None
        self._request("POST", url, data=text.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update; charset=utf-8"}, syntax_lines=added)

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(FORMATS)}")
        rdf_format = FORMATS[fmt]
        url = self._need(self.store_url, "store")
        if rdf_format.supports_datasets and graph:
            # As the embedded store does: the default graph's triples go into ``graph``, named graphs stay.
            target = ox.NamedNode(graph)
            quads = (q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
                     for q in ox.parse(data, format=rdf_format))
            data, rdf_format = ox.serialize(quads, format=ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS
        elif not rdf_format.supports_datasets:
            url = _add_params(url, [("graph", graph)]) if graph else url + ("&" if "?" in url else "?") + "default"
        self._post_rdf(url, data, rdf_format)

    def _post_rdf(self, url: str, data, rdf_format: ox.RdfFormat, length: int | None = None) -> None:
        self._graphs_cache = None
        headers = {"Content-Type": rdf_format.media_type}
        if length is not None:
            headers["Content-Length"] = str(length)
        self._request("POST", url, data=data, headers=headers, syntax_lines=0)

    def dump(self) -> bytes:
        url = self._need(self.store_url, "store")
        media, body = self._request("GET", url, headers={"Accept": "application/n-quads"})
        rdf_format = (ox.RdfFormat.from_media_type(media) if media else None) or ox.RdfFormat.N_QUADS
        try:
            lines = sorted({str(q) + " ." for q in ox.parse(body, format=rdf_format)})
        except (SyntaxError, ValueError) as err:
            raise StoreError(f"{url} sent a dump that does not parse: {err}") from None
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def count(self) -> int:
        for solution in self._select(COUNT_QUERY):
            return int(solution["n"].value)
        return 0

    def graphs(self) -> list[str]:
        found = sorted({s["g"].value for s in self._select(GRAPHS_QUERY) if isinstance(s["g"], ox.NamedNode)})
        self._graphs_cache = (time.monotonic(), found)
        return list(found)

    def _cached_graphs(self) -> list[str]:
        if self._graphs_cache and time.monotonic() - self._graphs_cache[0] < GRAPHS_TTL:
            return list(self._graphs_cache[1])
        return self.graphs()

    def replace_all(self, nquads: Path) -> None:
        """Drop every named graph and clear the default graph (one update), then load the file.

        Not atomic: between the two requests a reader sees an empty store.
        ``DROP`` rather than ``CLEAR``: a cleared graph stays listed (empty) in
        Oxigraph, and the embedded store forgets it.
        """
        nquads = Path(nquads)
        store = self._need(self.store_url, "store")
        try:
            stream = nquads.open("rb")
            size = nquads.stat().st_size
        except OSError as err:
            raise StoreError(f"cannot read {nquads}: {err.strerror or err}") from None
        with stream:
            drops = [f"DROP SILENT GRAPH <{g}>" for g in self.graphs()]
            self._update(" ;\n".join([*drops, "CLEAR SILENT DEFAULT"]))
            self._post_rdf(store, stream, ox.RdfFormat.N_QUADS, length=size)

    def close(self) -> None:
        """Nothing to release (each request has its own connection, closed when its answer is
        read or its process ends); forget the cached graph list."""
        self._graphs_cache = None
