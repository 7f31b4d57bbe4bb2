"""Browser tests: the pages for people in Debian's headless Chromium, driven by Playwright.

One real ``pilotkg --data DIR serve`` process (on a fresh copy of the session's
built data) serves every test of this folder. Each test gets a fresh browser
context through the ``web`` fixture, which

- aborts every request that does not go to the server at http://127.0.0.1:PORT
  and records it as a failure,
- records console errors and uncaught page errors,
- saves a full-page screenshot of every page the test visited (in the state
  the test left it) under ``test-artifacts/screenshots/``, named after the test,

and after the test body the test fails if anything was recorded.

Chromium is ``/usr/bin/chromium`` (Debian's package; ``.ci/run`` installs it).
Playwright's own browser downloads are never used. Without Chromium the tests
are skipped locally, and fail when the ``CI`` environment variable is set.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from browser_helpers import PREFIXES
from server_process import ServerProcess
from support import fresh_copy

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
SHOT_MAX_HEIGHT = 8000  # full-page screenshots stop here (a long list would take seconds to capture)
NAVIGATION_TIMEOUT_MS = 15_000
ACTION_TIMEOUT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in headless Chromium (tests/browser)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    """Skip locally; fail in CI, where the browser tests must run."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (the CI environment variable is set: browser tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


# --- the server ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A running ``pilotkg serve`` on 127.0.0.1 (a :class:`ServerProcess`) and small JSON helpers
    to read its graph."""

    proc: ServerProcess
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def base(self) -> str:
        return self.proc.base

    def url(self, path: str) -> str:
        return self.base + path

    def select(self, query: str) -> list[dict[str, str]]:
        """Run a SELECT through the SPARQL protocol (JSON results): rows of {variable: value}."""
        resp = self.http.post(self.base + "/sparql", data={"query": query},
                              headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert resp.status_code == 200, f"{resp.status_code} for\n{query}\n{resp.text}"
        return [{k: v["value"] for k, v in row.items()} for row in resp.json()["results"]["bindings"]]

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.http.get(self.base + path, **kwargs)

    def output(self) -> str:
        return self.proc.output()


@pytest.fixture(scope="session")
def server(built, tmp_path_factory):
    """``pilotkg --data COPY serve --port FREE --workers 1`` as a real process, until the session ends."""
    root = tmp_path_factory.mktemp("browser")
    proc = ServerProcess(fresh_copy(built.data_dir, root / "data"), root / "serve.log")
    proc.start(timeout=90)
    try:
        yield Server(proc)
    finally:
        proc.stop()
        try:  # query workers left behind are in the server's own session
            os.killpg(proc.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# --- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, launched once per session by Playwright."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (Debian package 'chromium'; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed (pip install '.[test]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _slug(text: str, limit: int = 90) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:limit] or "page"


class Web:
    """One browser context for one test, watching every page opened in it."""

    def __init__(self, context, server: Server, name: str):
        self.context = context
        self.server = server
        self.name = _slug(name, 70)
        self.origin = urlsplit(server.base)
        self.problems: list[str] = []
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.allowed_console: list[re.Pattern] = []
        self._shots = 0
        self._shot_urls: set[str] = set()
        self._pages = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{self.name}-[0-9][0-9]-*.png"):  # this test's pictures of an earlier run
            old.unlink()
        context.route("**/*", self._route)
        context.on("page", self._watch)

    # -- watching ---------------------------------------------------------------------------------

    def _local(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return (parts.scheme, parts.hostname, parts.port) == (self.origin.scheme, self.origin.hostname, self.origin.port)

    def _route(self, route):
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            self.problems.append(f"request leaving {self.server.base} (aborted): {route.request.method} {url}")
            route.abort("blockedbyclient")

    def _watch(self, page):
        self._pages.append(page)
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)

        def on_console(msg):
            if msg.type != "error":
                return
            text = msg.text
            where = msg.location.get("url") if msg.location else ""
            if any(p.search(text) or p.search(where or "") for p in self.allowed_console):
                return
            self.problems.append(f"console error on {page.url}: {text}" + (f" [{where}]" if where else ""))

        page.on("console", on_console)
        page.on("pageerror", lambda err: self.problems.append(f"uncaught page error on {page.url}: {err}"))
        page.on("request", lambda req: self.requests.append(req.url))

    def allow_console_error(self, pattern: str) -> None:
        """Tolerate one kind of console error the browser itself prints for an expected answer
        (e.g. Chromium logs 'Failed to load resource: ... 400' when a fetch() gets the 400 that a
        malformed query must get). Use only with a narrow pattern, in the test that expects it."""
        self.allowed_console.append(re.compile(pattern))

    # -- acting -----------------------------------------------------------------------------------

    def page(self):
        """A new tab in this test's context."""
        return self.context.new_page()

    def open(self, path: str, page=None, status: int = 200):
        """Go to ``path`` on the server (a new tab unless ``page`` is given), check the status, return the tab.
        The tab's previous page is screenshotted before it is left."""
        if page is None:
            page = self.page()
        elif page.url not in ("", "about:blank"):
            self._auto_shot(page)
        response = page.goto(self.server.url(path), wait_until="load")
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"{path}: status {response.status}, expected {status}"
        return page

    def shot(self, page, label: str | None = None, *, full_page: bool = True) -> Path:
        """Save a screenshot of ``page`` as test-artifacts/screenshots/TEST-NN-LABEL.png (the whole page,
        up to SHOT_MAX_HEIGHT px, unless ``full_page`` is False: then the 1280×800 window)."""
        self._shots += 1
        if label is None:
            parts = urlsplit(page.url)
            label = (parts.path if parts.path != "/" else "home") + (("?" + parts.query) if parts.query else "")
        path = SCREENSHOTS / f"{self.name}-{self._shots:02d}-{_slug(label, 60)}.png"
        options = {"path": str(path), "full_page": full_page, "animations": "disabled", "timeout": 30_000}
        if full_page:
            height = page.evaluate("Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
            if height > SHOT_MAX_HEIGHT:
                width = page.evaluate("document.documentElement.scrollWidth")
                options["clip"] = {"x": 0, "y": 0, "width": width, "height": SHOT_MAX_HEIGHT}
        page.screenshot(**options)
        return path

    def shot_element(self, page, selector: str, label: str) -> Path:
        """Save a screenshot of one element of ``page`` (e.g. an SVG drawing) as
        test-artifacts/screenshots/TEST-NN-LABEL.png."""
        self._shots += 1
        path = SCREENSHOTS / f"{self.name}-{self._shots:02d}-{_slug(label, 60)}.png"
        page.locator(selector).first.screenshot(path=str(path), animations="disabled", timeout=30_000)
        return path

    def _auto_shot(self, page) -> None:
        """The screenshot taken when a page is left or the test ends: once per URL and test."""
        if page.url in self._shot_urls:
            return
        self._shot_urls.add(page.url)
        self.shot(page)

    def finish(self) -> None:
        """Screenshot every page still open (the test's end state)."""
        for page in self._pages:
            if not page.is_closed() and page.url not in ("", "about:blank"):
                try:
                    self._auto_shot(page)
                except Exception as err:  # a screenshot that fails must not hide the test's own result
                    self.problems.append(f"could not screenshot {page.url}: {err}")

    def check(self) -> None:
        for url in self.requests:  # the route aborts these; this also catches any the route did not see
            if not self._local(url) and url not in self.blocked:
                self.problems.append(f"request leaving {self.server.base}: {url}")
        if self.problems:
            listed = "\n  ".join(dict.fromkeys(self.problems))
            raise AssertionError(f"the browser recorded problems:\n  {listed}")


@pytest.fixture
def web(chromium, server, request):
    """A fresh browser context (1280×800) for this test; see :class:`Web`."""
    context = chromium.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC",
                                   service_workers="block")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    helper = Web(context, server, request.node.name)
    request.node._browser_web = helper
    try:
        yield helper
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body: screenshots of every page, then the console/page-error/network check."""
    helper: Web | None = getattr(item, "_browser_web", None)
    try:
        result = yield
    except BaseException:
        if helper is not None:
            helper.finish()
            if helper.problems:
                item.add_report_section("call", "browser problems", "\n".join(dict.fromkeys(helper.problems)))
        raise
    if helper is not None:
        helper.finish()
        helper.check()
    return result


# --- what the graph holds (read through the SPARQL protocol, never hard-coded) ----------------------


@dataclass
class Samples:
    """One resource of each kind the tests visit, picked from the graph by a fixed order."""

    zone: str
    kinds: dict[str, str]  # kind → IRI (zone, body, task, policy, programme, batch)
    labels: dict[str, str]  # IRI → English label
    chinese_body: tuple[str, str]  # (IRI, Chinese label)
    source: str  # a source document IRI


@pytest.fixture(scope="session")
def samples(server) -> Samples:
    rows = server.select(PREFIXES + """
        SELECT ?zone (COUNT(DISTINCT ?e) AS ?n) WHERE { ?zone a pk:PilotZone ; pk:evidence ?e }
        GROUP BY ?zone ORDER BY DESC(?n) ?zone LIMIT 1""")
    assert rows, "the graph has no pilot zone with evidence"
    zone = rows[0]["zone"]
    kinds = {"zone": zone}
    classes = {"body": "ResponsibleBody", "task": "ReformTask", "policy": "Policy",
               "programme": "PilotProgramme", "batch": "PilotBatch"}
    for kind, cls in classes.items():
        found = server.select(PREFIXES + f"""
            SELECT ?s (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?s a pk:{cls} OPTIONAL {{ ?s pk:evidence ?e }} }}
            GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1""")
        assert found, f"the graph has no pk:{cls}"
        kinds[kind] = found[0]["s"]
    values = " ".join(f"<{iri}>" for iri in kinds.values())
    labels = {r["s"]: r["l"] for r in server.select(PREFIXES + f"""
        SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l FILTER(langMatches(lang(?l), "en")) }}""")}
    zh = server.select(PREFIXES + """
        SELECT ?s ?l WHERE { ?s a pk:ResponsibleBody ; rdfs:label ?l FILTER(lang(?l) = "zh") } ORDER BY ?s LIMIT 1""")
    assert zh, "the graph has no responsible body with a Chinese label"
    source = server.select(PREFIXES + """
        SELECT ?doc WHERE { ?doc a pk:SourceDocument } ORDER BY ?doc LIMIT 1""")
    assert source, "the graph has no source document"
    return Samples(zone=zone, kinds=kinds, labels=labels, chinese_body=(zh[0]["s"], zh[0]["l"]), source=source[0]["doc"])
