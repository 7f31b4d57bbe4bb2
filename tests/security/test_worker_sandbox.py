"""The second wall on its own: a worker process cannot open a network connection, whatever
its job says, even when the SPARQL check (the first wall) is switched off.

Each test runs the real worker loop (``pilotkg.server.workers._worker_main``) in a forked child
of this process after replacing the check with one that lets everything through, then sends it
jobs with SERVICE and LOAD aimed at the suite's listener on 127.0.0.1 (``conftest.listener``). The control test does the same with
the sandbox off and sees the connections arrive, so the listener would catch a leak.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import sys
import time

import pytest

from pilotkg.graph.rdfio import ParseLimits
from pilotkg.server import sandbox, workers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the network filter is Linux-only")


@pytest.fixture(scope="module")
def built_store_dir(built, tmp_path_factory) -> str:
    """A data folder with the embedded store loaded (workers open it read-only)."""
    from support import fresh_copy

    from pilotkg.server.cli import prepare_store
    from pilotkg.server.config import ServerConfig

    data = fresh_copy(built.data_dir, tmp_path_factory.mktemp("sandbox") / "data")
    prepare_store(ServerConfig(data=data))
    return str(data)


@pytest.fixture
def no_first_wall(monkeypatch):
    """Switch the SPARQL check off in this process; forked workers inherit the switch."""
    import pilotkg.graph.curate as curate
    import pilotkg.graph.store as store

    allow = lambda text: None  # noqa: E731
    monkeypatch.setattr(curate, "check_untrusted", allow)
    monkeypatch.setattr(store, "refuse_remote", allow)


def _worker(store_target: str, network: bool):
    """The real worker loop in a forked child (so the switched-off check is inherited)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    settings = workers.WorkerSettings(memory_bytes=2 << 30, network=network, limits=ParseLimits())
    process = ctx.Process(target=workers._worker_main, args=(child, store_target, ctx.Value("i", 0), settings), daemon=True)
    process.start()
    child.close()
    assert parent.poll(60), "the worker did not start"
    ready = parent.recv()
    assert ready[0] == "ready"
    return process, parent, ready[1]


def _send(conn, job, timeout=30):
    conn.send(job)
    assert conn.poll(timeout), "the worker did not answer"
    return conn.recv()


def _jobs(port: int):
    target = f"http://127.0.0.1:{port}/"
    return [
        workers.Job(f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}", "json", None, None, 10),
        workers.Job(f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}", "json", None, None, 10),
        workers.PlanJob("update", update=f"LOAD <{target}> INTO GRAPH <https://w3id.org/pilotkg/id/graph/curation/x>"),
        workers.PlanJob("update", update=f"LOAD SILENT <{target}>"),
    ]


def test_a_worker_opens_no_connection_even_past_the_check(built_store_dir, listener, no_first_wall):
    process, conn, confinement = _worker(built_store_dir, network=False)
    try:
        assert confinement.network, confinement.reason
        outcomes = [_send(conn, job, timeout=60) for job in _jobs(listener.port)]
        time.sleep(0.3)
        listener.assert_no_connection(grace=0)
        # the worker is alive and still answers ordinary queries
        ok = _send(conn, workers.Job("ASK { ?s ?p ?o }", "json", None, None, 10))
        assert ok.status == "ok" and b"true" in ok.body
        # what the jobs were told: refused (the sandbox's PermissionError), or SILENT swallowed it
        assert outcomes[0].status == "refused" and "ermission denied" in outcomes[0].message
        assert outcomes[2].status == "raised"
    finally:
        conn.send(None)
        process.join(5)
        process.kill()


def test_control_without_the_sandbox_the_same_jobs_connect(built_store_dir, listener, no_first_wall):
    """Proves the listener sees what a worker without the sandbox does: pyoxigraph really connects."""
    process, conn, confinement = _worker(built_store_dir, network=True)
    try:
        assert not confinement.network
        for job in _jobs(listener.port)[:1]:
            _send(conn, job, timeout=60)
        deadline = time.monotonic() + 5
        while not listener.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.connections
    finally:
        conn.send(None)
        process.join(5)
        process.kill()


def test_the_filter_refuses_inet_sockets_and_keeps_unix_ones():
    """The filter itself, in a forked child: AF_INET and AF_INET6 refused, AF_UNIX pairs work."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()

    def probe(conn):
        done, reason = sandbox.deny_network()
        results = {"done": done, "reason": reason}
        for family in (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_NETLINK", socket.AF_INET), getattr(socket, "AF_PACKET", socket.AF_INET)):
            try:
                socket.socket(family, socket.SOCK_DGRAM if family != socket.AF_INET else socket.SOCK_STREAM).close()
                results[int(family)] = "opened"
            except PermissionError:
                results[int(family)] = "refused"
            except OSError as err:
                results[int(family)] = f"refused ({err.errno})"
        a, b = socket.socketpair()
        a.sendall(b"x")
        results["unix"] = b.recv(1) == b"x"
        conn.send(results)

    process = ctx.Process(target=probe, args=(child,))
    process.start()
    assert parent.poll(30)
    results = parent.recv()
    process.join(5)
    assert results["done"], results["reason"]
    assert results[int(socket.AF_INET)] == "refused"
    assert results[int(socket.AF_INET6)] == "refused"
    assert all(v != "opened" for k, v in results.items() if isinstance(k, int))
    assert results["unix"]


def _quiet_worker(*args):
    """The worker loop without pytest's fault handler (an expected abort need not print a traceback)."""
    import faulthandler

    faulthandler.disable()
    workers._worker_main(*args)


def test_the_memory_cap_stops_a_query_that_grows_without_bound(built_store_dir):
    """A query that doubles a string 40 times (16 × 2^40 characters) cannot take the machine: under
    a 1.5 GiB cap its worker fails alone, a Python MemoryError reported as an error or, for memory
    pyoxigraph allocates, an abort of the worker process (which the pool replaces)."""
    import signal

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    settings = workers.WorkerSettings(memory_bytes=1536 << 20, network=False, limits=ParseLimits())
    process = ctx.Process(target=_quiet_worker, args=(child, built_store_dir, ctx.Value("i", 0), settings), daemon=True)
    process.start()
    child.close()
    try:
        assert parent.poll(60) and parent.recv()[0] == "ready"
        doubling = "".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1}) " for i in range(40))
        parent.send(workers.Job(f'SELECT (STRLEN(?v40) AS ?n) WHERE {{ BIND("0123456789abcdef" AS ?v0) {doubling} }}',
                                "json", None, None, 10))
        started = time.monotonic()
        answered = parent.poll(120)
        outcome = None
        if answered:
            try:
                outcome = parent.recv()
            except EOFError:
                pass
        if outcome is not None:  # failed inside the worker, which lives on
            assert outcome.status in ("error", "raised"), outcome
            again = _send(parent, workers.Job("ASK { ?s ?p ?o }", "json", None, None, 10))
            assert again.status == "ok"
        else:  # the worker died of it, alone, and quickly
            process.join(10)
            assert process.exitcode == -signal.SIGABRT, process.exitcode
            assert time.monotonic() - started < 60
    finally:
        process.kill()
