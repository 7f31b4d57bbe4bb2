"""Fixtures of the security suite: one real ``pilotkg serve`` process for the whole session
(two query workers, a 5 s query time limit, a curator and an admin), a listener per test
standing in for an outside host, and the server's memory at the start.

The dataset is built once per session by ``tests/conftest.py``'s ``built`` fixture and
copied (without its store) into a folder of this suite's own, so that the probes' writes, if
any get through, touch nothing another test reads.
"""

from __future__ import annotations

import time

import pytest
import requests

from support import add_curator, fresh_copy

from .harness import LIGHT_QUERY, QUERY_TIMEOUT, WORKERS, GuardedServer, Listener, post_form, rss_bytes, start_guarded


WARM_UP_PAGES = ["/", "/search?q=zone", "/search?q=%E8%AF%95%E7%82%B9", "/browse", "/queries", "/queries/zones-in-province",
                 "/sources", "/ontology", "/shapes", "/validate", "/sparql"]


@pytest.fixture(scope="session")
def security_data(built, tmp_path_factory):
    """A copy of the built data folder for the security server (its store is loaded at start)."""
    return fresh_copy(built.data_dir, tmp_path_factory.mktemp("security") / "data")


@pytest.fixture(scope="session")
def secure_server(security_data, tmp_path_factory) -> GuardedServer:
    """``pilotkg serve --workers 2 --query-timeout 5`` with a curator and an admin in its tokens
    file. Its main-process RSS after a warm-up (queries and a reader's first page views) is kept
    as ``baseline_rss``."""
    tokens = {"curator": add_curator(security_data, "security-curator"),
              "admin": add_curator(security_data, "security-admin", role="admin")}
    log = tmp_path_factory.mktemp("security-log") / "serve.log"
    server = start_guarded(security_data, log, "--workers", str(WORKERS), "--query-timeout", str(QUERY_TIMEOUT))
    server.tokens = tokens
    for _ in range(3):  # warm up: the first queries load modules and open the store in each worker
        assert post_form(server, LIGHT_QUERY).status_code == 200
        assert requests.get(server.base + "/health", timeout=10).status_code == 200
    # ...and a reader's first page views, which build caches the server keeps by design (the
    # search index alone is ~140 MiB): the baseline is a server in use, not one that never served a page.
    for page in WARM_UP_PAGES:
        assert requests.get(server.base + page, headers={"Accept": "text/html"}, timeout=60).status_code == 200, page
    time.sleep(0.5)
    server.baseline_rss = rss_bytes(server.pid)
    assert server.baseline_rss > 0, "could not read the server's VmRSS from /proc"
    yield server
    server.stop()


@pytest.fixture()
def server(secure_server, request) -> GuardedServer:
    """The session's security server, running (restarted, and the death recorded, if a previous
    probe killed it)."""
    secure_server.ensure_running(request.node.nodeid)
    return secure_server


@pytest.fixture(autouse=True)
def _memory_trail(request):
    """After each test that used the security server, note its main-process RSS: the final memory
    test names the probes after which it grew most."""
    yield
    if "server" in request.fixturenames or "secure_server" in request.fixturenames:
        server = request.getfixturevalue("secure_server")
        if server.process.running:
            server.memory_trail.append((request.node.nodeid, rss_bytes(server.pid)))


@pytest.fixture()
def curator(server) -> str:
    return server.tokens["curator"]


@pytest.fixture()
def admin(server) -> str:
    return server.tokens["admin"]


@pytest.fixture()
def listener():
    """A listener on its own port for this test only, so a late connection is never blamed on another test."""
    ear = Listener()
    yield ear
    ear.close()
