"""The dependency floors hold: pilotkg installed with the lowest versions its
pyproject.toml allows (each `NAME>=FLOOR` pinned to `NAME==FLOOR`; what those
need, pip picks as usual) builds the very same dataset, answers a query,
commits an import into the embedded store, applies an update to it (a
multi-operation update, which pyoxigraph before 0.5.8 fails) and serves it.

The install takes a minute or two, so the check runs in CI (`.ci/run` sets
CI) or when PILOTKG_TEST_FLOORS is set, and is skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import requests
from packaging.version import Version

from server_process import ServerProcess, clean_env

ROOT = Path(__file__).resolve().parents[1]
WANTED = bool(os.environ.get("CI") or os.environ.get("PILOTKG_TEST_FLOORS"))


# EmbeddedStore.update: the update and the merged graph's resync in one multi-operation update,
# which pyoxigraph before 0.5.8 fails ("Not able to find the string with id ... in the string store").
UPDATE = """
import sys
from pilotkg.graph.store import EmbeddedStore
store = EmbeddedStore(sys.argv[1])
try:
    store.update('INSERT DATA { GRAPH <https://w3id.org/pilotkg/id/graph/curation/floors-update> '
                 '{ <https://w3id.org/pilotkg/id/zone/floors-update> rdfs:label "floors"@en } }')
    assert bool(store.query('ASK { <https://w3id.org/pilotkg/id/zone/floors-update> rdfs:label "floors"@en }'))
finally:
    store.close()
"""


def floors() -> dict[str, str]:
    """Each runtime dependency's floor, from pyproject.toml."""
    out = {}
    for dep in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)", dep)
        assert m, f"{dep!r}: give every dependency a floor that is a release (NAME>=VERSION), so that this check can pin it"
        out[m[1]] = m[2]
    return out


def test_every_dependency_has_a_floor():
    assert {"rdflib", "pyoxigraph", "Flask"} <= set(floors())


@pytest.fixture(scope="module")
def lowest(tmp_path_factory) -> Path:
    """A new virtual environment with pilotkg and the floors of its dependencies; its bin folder."""
    if not WANTED:
        pytest.skip("installs the lowest allowed versions into a new venv (a minute or two): runs in CI or with PILOTKG_TEST_FLOORS=1")
    where = tmp_path_factory.mktemp("floors")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    constraints = where / "floors.txt"
    constraints.write_text("".join(f"{name}=={floor}\n" for name, floor in floors().items()), encoding="utf-8")
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          "--constraint", str(constraints), str(ROOT)],
                         capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, f"the floors do not install together:\n{pip.stderr[-4000:]}"
    return venv / "bin"


def test_the_floors_are_what_is_installed(lowest):
    wanted = floors()
    out = subprocess.run([str(lowest / "python"), "-c",
                          "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))",
                          *wanted], capture_output=True, text=True, check=True, timeout=60)
    got = json.loads(out.stdout)
    assert {n: Version(v) for n, v in got.items()} == {n: Version(v) for n, v in wanted.items()}


def test_the_floors_build_query_import_and_serve(lowest, built, tmp_path):
    from test_curation import CURATION_GRAPH, GOOD_ZONE, ID

    data = tmp_path / "data"
    pilotkg = str(lowest / "pilotkg")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([pilotkg, "--data", str(data), *args], capture_output=True, text=True,
                              env=clean_env(), timeout=600)

    out = run("build", "--quiet")
    assert out.returncode == 0, out.stderr
    assert (data / "dataset.nq").read_bytes() == built.nquads_path.read_bytes()  # the same dataset as with the newest

    out = run("query", "--output", "json", "SELECT (COUNT(?z) AS ?n) WHERE { ?z a pk:PilotZone }")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"]["bindings"][0]["n"]["value"] == "21"

    zone = tmp_path / "zone.ttl"
    zone.write_text(GOOD_ZONE.replace("test-xuchang-north", "floors-zone"), encoding="utf-8")
    out = run("import", str(zone), "--graph", CURATION_GRAPH + "-floors")
    assert out.returncode == 0, out.stderr

    update = subprocess.run([str(lowest / "python"), "-c", UPDATE, str(data / "store")], capture_output=True, text=True,
                            env=clean_env(), timeout=300)
    assert update.returncode == 0, update.stderr[-3000:]

    server = ServerProcess(data, tmp_path / "serve.log")
    server.command = pilotkg
    server.start(timeout=120)
    try:
        assert server.ask(f"ASK {{ GRAPH <{CURATION_GRAPH}-floors> {{ <{ID}zone/floors-zone> a pk:PilotZone }} }}")
        assert server.ask(f"ASK {{ <{ID}zone/floors-zone> pk:inProvince <{ID}division/410000> }}")  # reasoned
        assert requests.get(server.base + "/", timeout=30).status_code == 200
    finally:
        assert server.stop() == 0, server.output()
