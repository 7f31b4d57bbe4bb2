"""The store interface over HTTP: SPARQL 1.1 Protocol, Update and Graph Store Protocol.

:class:`RemoteStore` talks to any SPARQL 1.1 server with the standard library
only (``urllib.request``) and returns pyoxigraph's own result types, so the
server layer cannot tell it from :class:`~pilotkg.graph.store.EmbeddedStore`.

Engines. Each engine is served by its own profile (:data:`PROFILES`): how a query
is sent (Virtuoso 7 answers a query only as a URL-encoded form or a GET, not as
an ``application/sparql-query`` POST), how named graphs are listed (Virtuoso
answers ``GRAPH ?g {}`` with nothing, and holds system graphs of its own,
hidden here), and whether the Graph Store URL takes a whole dataset. The engine
is given (``engine=``, pilotkg's ``--store-engine``) or learnt from the
``Server`` header of one ``GET`` of the query URL, sent before the first
request that needs it.

Endpoints. The query URL is given; the update and Graph Store URLs are given
(``update_url=``/``store_url=``, pilotkg's ``--store-update``/``--store-data``)
or derived from the query URL for the engine::

    oxigraph  http://h:7878 or http://h:7878/query -> /query, /update, /store
    fuseki    http://h:3030/ds/sparql (or /query)  -> /ds/update, /ds/data
    virtuoso  http://h:8890 or http://h:8890/sparql -> /sparql, /sparql, /sparql-graph-crud
    other     nothing derived: pass them

The union default graph, as a set. Engines merge the graphs of several
``default-graph-uri`` as a bag (Oxigraph server, Virtuoso 7: a triple in two
graphs is seen twice), and Oxigraph's ``--union-default-graph`` does too. So
pilotkg keeps the merged graph itself, as the embedded store does, in a named
graph of the store, :data:`MERGED_GRAPH` (every triple of every graph, once):
written by :meth:`RemoteStore.replace_all` and :meth:`RemoteStore.load`, kept in
step by :meth:`RemoteStore.write` in the same update request. A query with no
dataset of its own gets ``default-graph-uri`` = that graph and one
``named-graph-uri`` per named graph. The dataset's own default graph (an update
or a file with no graph) is kept in :data:`~pilotkg.graph.store.DEFAULT_DATA_GRAPH`,
shown as the default graph, as in the embedded store. Both graphs are hidden
from :meth:`graphs`, :meth:`dump` and :meth:`count`. The cost: the store holds
each distinct triple once more, and a write that removes triples sends one
small delete per removed triple. A store loaded by an older pilotkg (no merged
graph) gets one on ``pilotkg serve`` (:meth:`RemoteStore.ensure_merged_graph`).

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
``Server`` header (see "Engines"). Oxigraph server has no per-request limit: only its own
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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from .namespaces import PKR, PREFIXES
from .rdfio import FORMATS
from .sparql_safety import has_dataset_clause, query_form, refuse_remote, tokens_text
from .store import DEFAULT_DATA_GRAPH, QueryResult, StoreError

ACCEPT_QUERY = "application/sparql-results+json, application/n-triples;q=0.9"
ACCEPT_GRAPH = "application/n-triples, text/plain;q=0.5"  # CONSTRUCT, DESCRIBE (Virtuoso would send JSON "results")
GRAPHS_TTL = 5.0  # seconds a graphs() answer is reused for the union default graph
MAX_URL = 4000  # longer request URLs (many default-graph-uri) go as a form body instead

# The merged default graph (a set) and the dataset's own default graph live in these named graphs.
MERGED_GRAPH = str(PKR["graph/merged-default-graph"])
HIDDEN_GRAPHS = frozenset({MERGED_GRAPH, DEFAULT_DATA_GRAPH})
COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # over the named graphs sent with it
# Named graphs with at least one triple: Oxigraph keeps a graph whose triples were all deleted.
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g {} FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }"
# Written with blank nodes: Virtuoso 7.2 answers this in milliseconds and the same query with
# ?s ?p ?o in about 30 s (measured on 40,000 quads).
GRAPHS_SCAN = "SELECT DISTINCT ?g WHERE { GRAPH ?g { [] ?p [] } }"
UPLOAD_CHUNK = 20_000  # triples per Graph Store POST
MAX_DELETES = 5_000  # removed triples past which a write re-derives the whole merged graph
OXIGRAPH_CANCELLED = "The SPARQL operation has been cancelled"  # what Oxigraph writes when --timeout-s ends a query

# The store's own limit is this many seconds past pilotkg's, so that pilotkg answers first.
ENGINE_TIMEOUT_GRACE = 1.0
ENGINES = ("oxigraph", "fuseki", "virtuoso", "other")


@dataclass(frozen=True)
class EngineProfile:
    """What differs between engines, as far as pilotkg is concerned."""

    form_queries: bool  # queries as application/x-www-form-urlencoded POST (else application/sparql-query)
    graphs_query: str  # lists the named graphs
    dataset_store: bool  # the Graph Store URL takes and gives a whole dataset (N-Quads, no ?graph=)
    system_graphs: tuple[str, ...] = ()  # IRI prefixes of the engine's own graphs, never shown


PROFILES = {
    "oxigraph": EngineProfile(form_queries=False, graphs_query=GRAPHS_QUERY, dataset_store=True),
    "fuseki": EngineProfile(form_queries=False, graphs_query=GRAPHS_QUERY, dataset_store=True),
    "virtuoso": EngineProfile(
        form_queries=True, graphs_query=GRAPHS_SCAN, dataset_store=False,
        system_graphs=("http://www.openlinksw.com/schemas/", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/"),
    ),
    "other": EngineProfile(form_queries=True, graphs_query=GRAPHS_SCAN, dataset_store=False),
}

_PREFIX_DECL = re.compile(r"\bPREFIX\s+((?:[A-Za-z][\w.-]*)?)\s*:", re.I)
# Parse error positions: Oxigraph "error at 3:5: ...", Jena "... at line 3, column 5",
# Virtuoso "SPARQL compiler, line 3: syntax error".
_POSITIONS = (re.compile(r"(error at )(\d+)(:\d+)"), re.compile(r"(\bline )(\d+)(, column )"),
              re.compile(r"(SPARQL compiler, line )(\d+)(:)"))


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


def derive_endpoints(query_url: str, engine: str) -> tuple[str, str | None, str | None]:
    """The (query, update, Graph Store) URLs an engine has beside ``query_url`` (None: not known)."""
    parts = urllib.parse.urlsplit(query_url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")

    def at(new_path: str) -> str:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))

    if engine == "oxigraph":
        if not path:
            return at("/query"), at("/update"), at("/store")
        if last == "query":
            return query_url, at(f"{head}/update"), at(f"{head}/store")
    elif engine == "fuseki":
        if last in ("sparql", "query"):
            return query_url, at(f"{head}/update"), at(f"{head}/data")
    elif engine == "virtuoso":
        if not path:
            return at("/sparql"), at("/sparql"), at("/sparql-graph-crud")
        if last == "sparql":
            return query_url, query_url, at(f"{head}/sparql-graph-crud")
    return query_url, None, None


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
    :data:`ENGINES`, or None to learn it from the ``Server`` header) chooses the
    profile and the derived URLs; ``update_url``/``store_url`` override them.
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
        if engine in ("", "auto"):
            engine = None
        if engine is not None and engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; use auto or one of {', '.join(ENGINES)}")
        for what, url in (("query", query_url), ("update", update_url), ("Graph Store", store_url)):
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"the {what} URL is not an http(s) URL: {url!r}")
        self.given_url = query_url
        self._given_update = update_url or None
        self._given_store = store_url or None
        self.timeout = timeout
        self.query_timeout = query_timeout
        self.engine = engine
        self._token = token
        self._graphs_cache: tuple[float, list[str]] | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.given_url!r}, engine={self.engine!r})"

    # -- the engine and its URLs -------------------------------------------------

    def _engine(self) -> str:
        """The engine's name, learnt from one GET of the given URL if it was not given."""
        if self.engine is None:
            self._send("GET", self.given_url, headers={"Accept": "*/*"}, any_status=True)
            if self.engine is None:
                self.engine = "other"
        return self.engine

    @property
    def profile(self) -> EngineProfile:
        return PROFILES[self._engine()]

    def _urls(self) -> tuple[str, str | None, str | None]:
        query, update, store = derive_endpoints(self.given_url, self._engine())
        return query, self._given_update or update, self._given_store or store

    @property
    def query_url(self) -> str:
        return self._urls()[0]

    @property
    def update_url(self) -> str | None:
        return self._urls()[1]

    @property
    def store_url(self) -> str | None:
        return self._urls()[2]

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
        any_status: bool = False,
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
            if any_status:
                return _media_type(err.headers.get("Content-Type")), b"", err.headers
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
            option = {"update": "--store-update", "store": "--store-data"}[what]
            raise StoreError(
                f"no {what} URL for the {self._engine()} engine at {self.given_url}: give it with {option} "
                f"(RemoteStore {what}_url=), or name the engine with --store-engine")
        return url

    def _select(self, sparql: str, params: list[tuple[str, str]] | None = None) -> ox.QuerySolutions:
        """An internal query on the server's own dataset (no dataset parameters unless given)."""
        result = self._run_query(sparql, params or [], 0)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"{self.query_url} did not answer a SELECT with solutions")
        return result

    def _run_query(self, text: str, params: list[tuple[str, str]], added: int) -> QueryResult:
        query_url = self.query_url
        url = _add_params(query_url, params)
        form = query_form(text)
        headers = {"Accept": ACCEPT_GRAPH if form in ("CONSTRUCT", "DESCRIBE") else ACCEPT_QUERY}
        if len(url) <= MAX_URL and not self.profile.form_queries:
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            body = text.encode("utf-8")
        else:  # a form: what the engine needs, or so that a long graph list fits
            url = query_url
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode([("query", text), *params]).encode("ascii")
        media, payload, answer_headers = self._send("POST", url, data=body, headers=headers, syntax_lines=added)
        cut = _cut_off(media, payload, answer_headers)
        if cut:
            raise StoreQueryStopped(f"{query_url} stopped the query and sent no complete result: {cut}")
        if media == "text/plain" and form in ("CONSTRUCT", "DESCRIBE"):
            media = "application/n-triples"  # Virtuoso's name for N-Triples when asked for text/plain
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        if results_format is not None:
            try:
                return ox.parse_query_results(payload, format=results_format)
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{query_url} sent query results that do not parse: {err}") from None
        rdf_format = ox.RdfFormat.from_media_type(media) if media else None
        if rdf_format is not None:
            try:
                return _triples(payload, rdf_format)
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{query_url} sent RDF that does not parse: {err}") from None
        raise StoreError(f"{query_url} answered with an unexpected content type {media or '(none)'!r}")

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
            params += [("default-graph-uri", MERGED_GRAPH)]  # the merged graph: a set
        if named_graphs:
            params += [("named-graph-uri", g) for g in named_graphs]
        elif params:
            # With default-graph-uri alone the protocol's dataset has no named
            # graphs; keep them all, as the embedded store does.
            params += [("named-graph-uri", g) for g in self._cached_graphs()]
        if self.query_timeout:
            params += engine_timeout_params(self._engine(), self.query_timeout)
        text, added = with_prefixes(sparql)
        if base_iri:  # a BASE line first: the query's own BASE, if any, still wins (it comes later)
            text, added = f"BASE <{ox.NamedNode(base_iri).value}>\n" + text, added + 1
        return self._run_query(text, params, added)

    def update(self, sparql: str) -> None:
        """Apply ``sparql`` (name a graph: its default graph is the store's own), then re-derive the
        merged graph, in one request. Reads the whole store: for tools and tests; the server's writes
        go through :meth:`write`."""
        refuse_remote(sparql)
        text, added = with_prefixes(sparql)
        self._update(text + " ;\n" + self._resync_text(), added)

    def write(self, removed: list, added: list) -> None:
        """Remove and add these dataset quads, keeping the merged graph in step, in one update request
        (the dataset's default graph is kept in DEFAULT_DATA_GRAPH)."""
        text = self._write_text(removed, added)
        if text:
            self._update(text)

    def _write_text(self, removed: list, added: list) -> str:
        from .store import _stored, quads_update_text

        parts = []
        text = quads_update_text([_stored(q) for q in removed], [_stored(q) for q in added])
        if text:
            parts.append(text)
        gone = sorted({f"{q.subject} {q.predicate} {q.object}" for q in removed})
        if len(gone) > MAX_DELETES:
            parts.append(self._resync_text())
        else:
            # One delete per triple, with the triple written out: Virtuoso 7 does not match
            # language-tagged literals bound by VALUES in an update.
            merged = f"<{MERGED_GRAPH}>"
            for triple in gone:
                parts.append(f"DELETE {{ GRAPH {merged} {{ {triple} }} }} WHERE {{ GRAPH {merged} {{ {triple} }} "
                             f"FILTER NOT EXISTS {{ GRAPH ?g {{ {triple} }} FILTER(?g != {merged}) }} }}")
            if added:
                lines = "\n".join(sorted({f"{q.subject} {q.predicate} {q.object} ." for q in added}))
                parts.append(f"INSERT DATA {{ GRAPH {merged} {{\n{lines}\n}} }}")
        return " ;\n".join(parts)

    def _resync_text(self) -> str:
        """Updates that re-derive the merged graph from every graph but itself and the engine's own."""
        keep = [f"?g != <{MERGED_GRAPH}>"] + [f'!STRSTARTS(STR(?g), "{prefix}")' for prefix in self.profile.system_graphs]
        return (f"DROP SILENT GRAPH <{MERGED_GRAPH}> ;\n"
                f"INSERT {{ GRAPH <{MERGED_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({' && '.join(keep)}) }}")

    def _update(self, text: str, added: int = 0) -> None:
        url = self._need(self.update_url, "update")
        self._graphs_cache = None
        self._request("POST", url, data=text.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update; charset=utf-8"}, syntax_lines=added)

    def load(self, data: bytes, fmt: str, graph: str | None = None) -> None:
        """Add RDF (a triple format's triples, and a dataset format's default graph, into ``graph``
        if given) and its triples to the merged graph. Raises SyntaxError if it does not parse."""
        from .store import _stored

        if fmt not in FORMATS:
            raise ValueError(f"unknown RDF format {fmt!r}; use one of {', '.join(FORMATS)}")
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        quads = [q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, target)
                 for q in ox.parse(data, format=FORMATS[fmt])]
        self._upload([_stored(q) for q in quads])

    def _upload(self, quads: list[ox.Quad]) -> None:
        """Add stored quads, and their triples to the merged graph, through the Graph Store URL."""
        store = self._need(self.store_url, "store")
        merged = ox.NamedNode(MERGED_GRAPH)
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
        everything = list(quads) + [ox.Quad(t.subject, t.predicate, t.object, merged) for t in triples]
        self._graphs_cache = None
        if self.profile.dataset_store:  # one request for the whole dataset
            body = ox.serialize(everything, format=ox.RdfFormat.N_QUADS)
            self._post_rdf(store, body, ox.RdfFormat.N_QUADS)
            return
        by_graph: dict[str, list[ox.Triple]] = {}
        for q in everything:
            by_graph.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
        for name, group in sorted(by_graph.items()):
            for start in range(0, len(group), UPLOAD_CHUNK):
                body = ox.serialize(group[start:start + UPLOAD_CHUNK], format=ox.RdfFormat.N_TRIPLES)
                self._post_rdf(_add_params(store, [("graph", name)]), body, ox.RdfFormat.N_TRIPLES)

    def _post_rdf(self, url: str, data, rdf_format: ox.RdfFormat, length: int | None = None) -> None:
        self._graphs_cache = None
        headers = {"Content-Type": rdf_format.media_type}
        if length is not None:
            headers["Content-Length"] = str(length)
        self._request("POST", url, data=data, headers=headers, syntax_lines=0)

    def _stored_quads(self) -> list[ox.Quad]:
        """Every quad of the graphs pilotkg shows and of DEFAULT_DATA_GRAPH, as stored."""
        store = self._need(self.store_url, "store")
        if self.profile.dataset_store:
            media, body = self._request("GET", store, headers={"Accept": "application/n-quads"})
            rdf_format = (ox.RdfFormat.from_media_type(media) if media else None) or ox.RdfFormat.N_QUADS
            try:
                quads = list(ox.parse(body, format=rdf_format))
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{store} sent a dump that does not parse: {err}") from None
            shown = set(self.graphs()) | {DEFAULT_DATA_GRAPH}
            # the engine's real default graph: nothing pilotkg wrote (an older pilotkg's default-graph triples)
            return [q if not isinstance(q.graph_name, ox.DefaultGraph) else ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(DEFAULT_DATA_GRAPH))
                    for q in quads if isinstance(q.graph_name, ox.DefaultGraph) or q.graph_name.value in shown]
        quads = []
        names = [*self.graphs(), DEFAULT_DATA_GRAPH]
        sizes = {row["g"].value: int(row["n"].value) for row in self._select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", [("named-graph-uri", g) for g in names])}
        for name in names:
            url = _add_params(store, [("graph", name)])
            try:
                media, body = self._request("GET", url, headers={"Accept": "application/n-triples"})
            except StoreError as err:
                if name == DEFAULT_DATA_GRAPH and "HTTP 404" in str(err):
                    continue  # no own default-graph triples
                raise
            if media == "text/plain":
                media = "application/n-triples"
            rdf_format = (ox.RdfFormat.from_media_type(media) if media else None) or ox.RdfFormat.N_TRIPLES
            graph = ox.NamedNode(name)
            try:
                got = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(body, format=rdf_format)]
            except (SyntaxError, ValueError) as err:
                raise StoreError(f"{url} sent a graph that does not parse: {err}") from None
            if len(got) < sizes.get(name, 0):  # Virtuoso cuts at its ResultSetMaxRows, silently
                raise StoreError(
                    f"{url} sent {len(got)} of the {sizes[name]} triples of graph <{name}>: the store cut the answer "
                    f"(Virtuoso: raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)")
            quads += got
        return quads

    def dump(self) -> bytes:
        from .store import _shown

        lines = sorted({str(shown) + " ." for shown in map(_shown, self._stored_quads()) if shown is not None})
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def count(self) -> int:
        graphs = [*self.graphs(), DEFAULT_DATA_GRAPH]
        for solution in self._select(COUNT_QUERY, [("named-graph-uri", g) for g in graphs]):
            return int(solution["n"].value)
        return 0

    def _all_graphs(self) -> list[str]:
        """Every named graph of the store, the hidden ones too (not the engine's own)."""
        system = self.profile.system_graphs
        return sorted({s["g"].value for s in self._select(self.profile.graphs_query)
                       if isinstance(s["g"], ox.NamedNode) and not s["g"].value.startswith(system)})

    def graphs(self) -> list[str]:
        found = [g for g in self._all_graphs() if g not in HIDDEN_GRAPHS]
        self._graphs_cache = (time.monotonic(), found)
        return list(found)

    def _cached_graphs(self) -> list[str]:
        if self._graphs_cache and time.monotonic() - self._graphs_cache[0] < GRAPHS_TTL:
            return list(self._graphs_cache[1])
        return self.graphs()

    def ensure_merged_graph(self) -> int:
        """Give a store loaded without the merged graph (by an older pilotkg) one; returns the triples
        it holds (0: nothing to do). Default-graph triples in the engine's real default graph move to
        DEFAULT_DATA_GRAPH (engines whose Graph Store URL gives a whole dataset)."""
        graphs = self._all_graphs()
        if MERGED_GRAPH in graphs or not graphs:
            return 0
        quads = self._stored_quads()
        if self.profile.dataset_store:
            self._update("CLEAR SILENT DEFAULT")
        self._upload(quads)
        return len({ox.Triple(q.subject, q.predicate, q.object) for q in quads})

    def replace_all(self, nquads: Path) -> None:
        """Drop every graph pilotkg shows or keeps (one update), then load the file and its merged graph.

        Not atomic: between the requests a reader sees an empty or partly loaded store.
        ``DROP`` rather than ``CLEAR``: a cleared graph stays listed (empty) in
        Oxigraph, and the embedded store forgets it.
        """
        from .store import _stored

        nquads = Path(nquads)
        self._need(self.store_url, "store")
        try:
            quads = [_stored(q) for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)]
        except OSError as err:
            raise StoreError(f"cannot read {nquads}: {err.strerror or err}") from None
        drops = [f"DROP SILENT GRAPH <{g}>" for g in self._all_graphs()]
        if self.profile.dataset_store:
            drops.append("CLEAR SILENT DEFAULT")
        if drops:
            self._update(" ;\n".join(drops))
        self._upload(quads)

    def close(self) -> None:
        """Nothing to release (each request has its own connection, closed when its answer is
        read or its process ends); forget the cached graph list."""
        self._graphs_cache = None
