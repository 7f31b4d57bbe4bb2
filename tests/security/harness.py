"""Tools of the security suite: a listener that stands in for an outside host, memory
readings of a server process tree, a guarded ``pilotkg serve`` process, and small HTTP
helpers. Fixtures built on them live in ``conftest.py``; tests import from here
(``from security.harness import ...``)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from server_process import ServerProcess

# The security server's settings. The query time limit is kept low so that a probe that runs to
# the limit (a heavy query, a bomb that is not refused) costs seconds, not minutes.
QUERY_TIMEOUT = 5
WORKERS = 2
MAIN_RSS_LIMIT = 1024 ** 3  # the "the server stays under 1 GB" (main process)
# Not an assertion: a machine guard. Above this (main process plus its workers) the guard kills the
# server, so that a probe that is not yet defended against cannot take the whole machine down (the
# issue's billion laughs grew the server to 22.7 GB).
MACHINE_GUARD_BYTES = int(2.5 * 1024 ** 3)

PK = "https://w3id.org/pilotkg/ontology#"
LIGHT_QUERY = f"ASK {{ ?s a <{PK}PilotZone> }}"
CURATION_GRAPH = "https://w3id.org/pilotkg/id/graph/curation/"


# --------------------------------------------------------------------------- the listener


@dataclass
class Connection:
    peer: tuple
    at: float
    first_bytes: bytes = b""


class Listener:
    """A TCP server on 127.0.0.1 in a thread: it accepts, records every connection and the
    first bytes the client sent, answers a small HTTP 200 with Turtle, and closes. Any
    connection at all means the server reached "the network"."""


    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.marker = f"fetched from the listener on port {self.port}"
        self.body = f'<http://example.org/fetched> <http://example.org/from> "{self.marker}" .\n'.encode()
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=f"listener:{self.port}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, peer = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            record = Connection(peer, time.monotonic())
            with self._lock:
                self.connections.append(record)
            threading.Thread(target=self._answer, args=(conn, record), daemon=True).start()

    def _answer(self, conn: socket.socket, record: Connection) -> None:
        try:
            conn.settimeout(1.0)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            record.first_bytes = data[:2048]
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\nContent-Length: "
                    + str(len(self.body)).encode() + b"\r\nConnection: close\r\n\r\n")
            conn.sendall(head + self.body)
        except OSError:
            pass
        finally:
            conn.close()

    def assert_no_connection(self, grace: float = 0.05) -> None:
        """No connection reached the listener (waiting ``grace`` s for a late one)."""
        time.sleep(grace)
        with self._lock:
            seen = list(self.connections)
        assert not seen, "the server connected to the listener: " + "; ".join(
            f"from {c.peer} sending {c.first_bytes[:200]!r}" for c in seen)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(2)
        self._sock.close()


# --------------------------------------------------------------------------- memory


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (VmRSS of /proc/PID/status), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (its query workers, their helpers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent_of(int(entry))
            if parent is not None:
                parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def children_rss_bytes(pid: int) -> int:
    """The sum of the resident memory of the processes below ``pid``."""
    return sum(rss_bytes(child) for child in descendants(pid))


class RssSampler:
    """Samples a server's main-process RSS (and its children's sum) in a thread while a request runs::

        with RssSampler(pid) as memory:
            requests.put(...)
        assert memory.peak_main < MAIN_RSS_LIMIT
    """

    def __init__(self, pid: int, every: float = 0.02):
        self.pid, self.every = pid, every
        self.peak_main = 0
        self.peak_children = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_main = max(self.peak_main, rss_bytes(self.pid))
            self.peak_children = max(self.peak_children, children_rss_bytes(self.pid))
            self.samples += 1
            self._stop.wait(self.every)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


def mib(n: int) -> str:
    return f"{n / 1024 ** 2:.0f} MiB"


def biggest_growth(baseline: int, trail: list[tuple[str, int]], count: int = 5) -> str:
    """The ``count`` tests after which the RSS grew most, from a trail of (test, RSS after it)."""
    steps, previous = [], baseline
    for test, rss in trail:
        steps.append((rss - previous, test, rss))
        previous = rss
    steps.sort(reverse=True)
    return "; ".join(f"+{mib(grew)} to {mib(rss)} after {test.split('::', 1)[-1]}" for grew, test, rss in steps[:count] if grew > 0)


# --------------------------------------------------------------------------- the guarded server


@dataclass
class GuardedServer:
    """A real ``pilotkg serve`` (:class:`ServerProcess`) with a memory guard, its curators, and
    a record of every time it died (the guard's kills included). :meth:`ensure_running`
    restarts a dead server so that one failed probe does not take the rest of the suite with it;
    the death stays recorded and the final memory test reports it."""

    process: ServerProcess
    data: Path
    tokens: dict[str, str] = field(default_factory=dict)
    deaths: list[str] = field(default_factory=list)
    baseline_rss: int = 0
    memory_trail: list[tuple[str, int]] = field(default_factory=list)  # (test, main RSS after it)
    _guard_stop: threading.Event = field(default_factory=threading.Event)
    _guard: threading.Thread | None = None
    current_test: str = ""

    @property
    def base(self) -> str:
        return self.process.base

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def start(self) -> "GuardedServer":
        self.process.start(timeout=120)
        if self._guard is None:
            self._guard = threading.Thread(target=self._watch, name="memory-guard", daemon=True)
            self._guard.start()
        return self

    def _watch(self) -> None:
        while not self._guard_stop.wait(0.05):
            proc = self.process.process
            if proc is None or proc.poll() is not None:
                continue
            total = rss_bytes(proc.pid) + children_rss_bytes(proc.pid)
            if total > MACHINE_GUARD_BYTES:
                self.deaths.append(f"killed by the suite's memory guard at {mib(total)} during {self.current_test}")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def ensure_running(self, test_name: str) -> None:
        self.current_test = test_name
        if not self.process.running:
            code = self.process.process.returncode if self.process.process else None
            if not any("memory guard" in d for d in self.deaths[-1:]):
                self.deaths.append(f"exited with {code} before {test_name}")
            self.process.kill9()
            self.start()

    def stop(self) -> None:
        self._guard_stop.set()
        self.process.stop()


def start_guarded(data: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> GuardedServer:
    server = GuardedServer(ServerProcess(data, log, env=env, args=tuple(args)), data)
    return server.start()


# --------------------------------------------------------------------------- HTTP helpers

# JSON results for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE: never a 406 before the query is looked at.
ANY_RESULTS = "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1"


def get_query(server, query: str, timeout: float = 60, **params) -> requests.Response:
    return requests.get(server.base + "/sparql", params={"query": query, **params},
                        headers={"Accept": ANY_RESULTS}, timeout=timeout)


def post_form(server, query: str, timeout: float = 60, **params) -> requests.Response:
    return requests.post(server.base + "/sparql", data={"query": query, **params},
                         headers={"Accept": ANY_RESULTS}, timeout=timeout)


def post_direct(server, query: str, timeout: float = 60, **params) -> requests.Response:
    return requests.post(server.base + "/sparql", params=params or None, data=query.encode("utf-8"),
                         headers={"Content-Type": "application/sparql-query",
                                  "Accept": ANY_RESULTS}, timeout=timeout)


QUERY_TRANSPORTS = {"GET": get_query, "POST-form": post_form, "POST-direct": post_direct}


def post_update(server, update: str, token: str | None, transport: str = "form", timeout: float = 60) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if transport == "form":
        return requests.post(server.base + "/sparql", data={"update": update}, headers=headers, timeout=timeout)
    return requests.post(server.base + "/sparql", data=update.encode("utf-8"),
                         headers={**headers, "Content-Type": "application/sparql-update"}, timeout=timeout)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_alive(server) -> None:
    """The server still answers /health with 200."""
    try:
        resp = requests.get(server.base + "/health", timeout=10)
    except requests.RequestException as err:
        raise AssertionError(f"/health did not answer: {err}") from err
    assert resp.status_code == 200, f"/health answered {resp.status_code}: {resp.text[:300]}"


def assert_refused(resp: requests.Response, status: int, text: str) -> None:
    assert resp.status_code == status, f"expected {status} with {text!r}, got {resp.status_code}: {resp.text[:500]}"
    assert text in resp.text, f"expected {text!r} in the answer: {resp.text[:500]}"


def raw_request(server, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
                timeout: float = 30) -> tuple[int, dict, bytes]:
    """A request with ``path`` sent byte for byte (requests would normalise ``..`` and escapes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.process.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a chosen loopback address (127.0.0.2, ...), so that the server sees
    different clients: Linux routes all of 127.0.0.0/8 to the loopback interface."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    adapter = SourceAddressAdapter(address)
    session.mount("http://", adapter)
    return session


def median(values: list[float]) -> float:
    return statistics.median(values)
