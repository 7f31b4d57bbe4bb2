"""A real ``pilotkg serve`` process for durability and backup tests: start it on a
data folder, talk to it over HTTP, stop it with SIGTERM or kill it with SIGKILL,
and start it again on the same folder.

Import as ``from server_process import ServerProcess`` (tests/ is on sys.path).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from support import bearer, console_script, free_port

ID = "https://w3id.org/pilotkg/id/"
PROGRAMME = ID + "programme/national-urban-rural-integration-pilot-zones"
SOURCE_001 = ID + "source/001-e77d55302f611b21"
EVIDENCE_XUCHANG = ID + "evidence/001-e77d55302f611b21/663-676"  # "Henan Xuchang", already in the graph
CURATION = ID + "graph/curation/"


def zone_turtle(slug: str, label: str | None = None) -> str:
    """A new pilot zone that passes the shapes (the pattern of tests/test_curation.py's GOOD_ZONE)."""
    return f"""
@prefix pk: <https://w3id.org/pilotkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{ID}zone/{slug}> a pk:PilotZone ;
    rdfs:label "{label or slug}"@en ;
    pk:inProgramme <{PROGRAMME}> ;
    pk:coversDivision <{ID}division/411000> ;
    pk:derivedFrom <{SOURCE_001}> ;
    pk:evidence <{EVIDENCE_XUCHANG}> .
"""


def zone_iri(slug: str) -> str:
    return f"{ID}zone/{slug}"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's PILOTKG_* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    env.update(extra)
    return env


class ServerProcess:
    """``pilotkg --data DATA serve --port FREE --workers 1`` as a real process (its own session)."""

    def __init__(self, data: Path, log: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()):
        self.command = console_script("pilotkg")
        if self.command is None:
            pytest.skip("the pilotkg command is not installed")
        self.data, self.log, self.env, self.args = Path(data), Path(log), env or {}, args
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._log_start = 0

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self, timeout: float = 60, **env: str) -> "ServerProcess":
        """Start (with ``env`` added to this server's environment for this run) and wait for /health."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        self._log_start = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [self.command, "--data", str(self.data), "serve", "--port", str(self.port), "--workers", "1", *self.args],
                stdout=out, stderr=subprocess.STDOUT, env=clean_env(**self.env, **env), start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"pilotkg serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.base + "/health", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self.kill9()
                pytest.fail(f"pilotkg serve did not answer /health within {timeout} s:\n{self.output()}")
            time.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL the server process (no shutdown code runs), then its leftover query workers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        try:  # the spawned workers are in the server's own session (process group = its pid)
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait; SIGKILL if it does not end in time. Returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return -9

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        """What this run printed (stdout and stderr) so far."""
        if not self.log.exists():
            return ""
        with open(self.log, "rb") as f:
            f.seek(self._log_start)
            return f.read().decode("utf-8", "replace")

    def wait_for_output(self, text: str, timeout: float, poll: float = 0.001) -> None:
        """Wait until this run has printed ``text`` (polls the log file every ``poll`` s)."""
        deadline = time.monotonic() + timeout
        with open(self.log, "rb") as f:
            f.seek(self._log_start)
            seen = b""
            needle = text.encode("utf-8")
            while True:
                seen = seen[-len(needle):] + f.read()
                if needle in seen:
                    return
                if time.monotonic() > deadline or not self.running:
                    pytest.fail(f"pilotkg serve did not print {text!r} within {timeout} s:\n{self.output()[-3000:]}")
                time.sleep(poll)

    # -- HTTP -----------------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, sparql: str) -> dict:
        resp = requests.post(self.base + "/sparql", data={"query": sparql},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def ask(self, sparql: str) -> bool:
        return self.query(sparql)["boolean"]

    def count(self, where: str) -> int:
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")["results"]["bindings"]
        return int(rows[0]["n"]["value"])

    def has_zone(self, slug: str) -> bool:
        return self.ask(f"ASK {{ <{zone_iri(slug)}> a pk:PilotZone }}")

    def stage(self, token: str, graph: str, turtle: str, session=None) -> requests.Response:
        return (session or requests).post(f"{self.base}/imports", params={"graph": graph}, data=turtle.encode("utf-8"),
                                          headers={**bearer(token), "Content-Type": "text/turtle"}, timeout=300)

    def commit(self, token: str, location: str, session=None) -> requests.Response:
        return (session or requests).post(self.base + location + "/commit", headers=bearer(token), timeout=300)

    def import_zone(self, token: str, graph: str, slug: str, session=None) -> tuple[requests.Response, requests.Response]:
        """Stage a zone into ``graph`` and commit it: (the 201 of the stage, the commit's response)."""
        staged = self.stage(token, graph, zone_turtle(slug), session)
        assert staged.status_code == 201, staged.text
        return staged, self.commit(token, staged.headers["Location"], session)


def audit_entries(data: Path) -> list[dict]:
    path = Path(data) / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
