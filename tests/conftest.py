"""Session fixtures: one build of the dataset, a store over it, and the real `pilotkg` command.

The build takes ~20 s (reasoning + pyshacl), so it runs once per session: the
`built` fixture runs the installed command, `pilotkg --data DIR build`, which
also tests that command. `built.result` is an in-process
:func:`pilotkg.graph.build.build` of the same seeds, made only when a test asks
for it (the determinism test compares the two, byte for byte).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pilotkg.graph import build as pkbuild
from pilotkg.graph.store_file import open_store


def _pilotkg_command() -> str | None:
    """The installed console script: the one beside this Python first, then PATH."""
    beside = Path(sys.executable).with_name("pilotkg")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("pilotkg")


PILOTKG = _pilotkg_command()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def _run(args: list[str], cwd: Path | None = None, timeout: float = 300) -> CliResult:
    """Run ``pilotkg ARGS`` as a real process (CliRunner only if the command is not installed)."""
    if PILOTKG:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
        proc = subprocess.run([PILOTKG, *args], capture_output=True, text=True, encoding="utf-8",
                              cwd=cwd, env=env, timeout=timeout)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)
    import inspect

    from click.testing import CliRunner

    from pilotkg.graph.cli import main

    separate = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}  # click 8.1
    old = Path.cwd()
    try:
        if cwd:
            os.chdir(cwd)
        res = CliRunner(**separate).invoke(main, args, prog_name="pilotkg")
    finally:
        os.chdir(old)
    return CliResult(res.exit_code, res.stdout, res.stderr)


@dataclass
class Built:
    data_dir: Path
    build_output: CliResult | None = None
    _result: pkbuild.BuildResult | None = field(default=None, repr=False)

    @property
    def nquads_path(self) -> Path:
        return self.data_dir / pkbuild.DATASET_FILE

    @property
    def result(self) -> pkbuild.BuildResult:
        """The in-process build (run once, on first use)."""
        if self._result is None:
            self._result = pkbuild.build()
        return self._result


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    data_dir = tmp_path_factory.mktemp("data")
    if PILOTKG:
        out = _run(["--data", str(data_dir), "build"])
        assert out.returncode == 0, f"pilotkg build failed:\n{out.stdout}\n{out.stderr}"
        return Built(data_dir=data_dir, build_output=out)
    result = pkbuild.build()
    pkbuild.write(result, data_dir)
    return Built(data_dir=data_dir, _result=result)


@pytest.fixture(scope="session")
def dataset_store(built):
    """A pyoxigraph store of the built dataset; query it with ``store_file.run_query``."""
    return open_store(built.data_dir)


@pytest.fixture(scope="session")
def run_cli(built, tmp_path_factory):
    """``run_cli("query", "ASK {...}")`` runs ``pilotkg --data <built> query ...`` in a temp folder."""
    workdir = tmp_path_factory.mktemp("cwd")

    def run(*args, cwd: Path | None = None) -> CliResult:
        return _run(["--data", str(built.data_dir), *map(str, args)], cwd=cwd or workdir)

    return run



@pytest.fixture(scope="module")
def site_app(built):
    """The Flask app over the session's built data (one per test module: the store allows one writer)."""
    from support import serving

    with serving(built.data_dir, query_timeout=10) as application:
        yield application


@pytest.fixture
def site(site_app):
    """A test client of :func:`site_app` that asks for HTML, as a browser does."""
    client = site_app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    return client


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist (``-n N --dist loadgroup``): each test file runs whole on one worker, in its
    order, as without xdist; the security suite (tests/security/, whose last module checks the
    memory its shared server held after every probe) runs whole on one worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = "security" if path.startswith("tests/security/") or path.startswith("security/") else path
        item.add_marker(pytest.mark.xdist_group(group))
