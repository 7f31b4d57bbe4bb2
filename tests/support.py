"""Small helpers shared by test modules (import as `from support import ...`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from pilotkg.server.app import create_app
from pilotkg.server.cli import prepare_store
from pilotkg.server.config import ServerConfig


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def console_script(name: str) -> str | None:
    """A console script of this venv (beside sys.executable), else from PATH."""
    import os
    import shutil

    beside = Path(sys.executable).with_name(name)
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


# --- apps and curators, for tests of the server ----------------------------------------------------


def pilotkg(*args: str) -> subprocess.CompletedProcess:
    """``pilotkg ARGS`` as a real process, without the caller's PILOTKG_* variables."""
    command = console_script("pilotkg")
    argv = [command] if command else [sys.executable, "-c", "from pilotkg.graph.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    return subprocess.run([*argv, *args], capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)


def add_curator(data: Path, name: str, role: str = "curator") -> str:
    out = pilotkg("--data", str(data), "token", "add", name, "--role", role)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    assert len(token) >= 43 and "\n" not in token
    return token


def fresh_copy(source: Path, target: Path) -> Path:
    """A copy of the built data folder without its embedded store (the app loads its own)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("store", "store-dataset.sha256"))
    return target


@contextmanager
def serving(data_dir: Path, *, workers: int = 1, **settings):
    """A Flask app over ``data_dir`` (store loaded first); its workers and store closed at the end."""
    config = ServerConfig(data=data_dir, workers=workers, **settings)
    prepare_store(config)
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["pilotkg"].close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wait_for_url(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Wait until ``url`` answers 200, failing the test (with the end of ``log``) if ``process``
    exits first or ``seconds`` pass."""
    import time

    import pytest
    import requests

    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
